// What the IVR screens share: the requests the shell's JSON client does not make (a flow
// as YAML text, a prompt as a form upload, a file as a blob with the token), the slice's
// style sheet, and where in the text a problem points.

import { send } from "/static/shell/api.js";

const CSS = "/static/ivr/ivr.css";
if (!document.querySelector(`link[href="${CSS}"]`)) {
  const link = Object.assign(document.createElement("link"), { rel: "stylesheet", href: CSS });
  document.head.append(link);
}

export { send };

/** POST/PUT a flow's YAML text; the JSON answer. */
export const sendYaml = async (method, path, text) =>
  (await send(method, path, text, { "Content-Type": "text/yaml; charset=utf-8" })).json();

/** An authorised file (CSV, WAV) as an object URL for a link or an <audio>. */
export async function blobUrl(path) {
  return URL.createObjectURL(await (await send("GET", path)).blob());
}

/** Save an authorised file under `filename` (a link cannot carry the token). */
export async function download(path, filename) {
  const url = await blobUrl(path);
  const a = Object.assign(document.createElement("a"), { href: url, download: filename });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10000);
}

/** The 1-based line a problem points to in `text`: "at line N" of a YAML error, the line
 *  of a named node's key (node `x`), or of a top-level key; null when none is found. */
export function problemLine(problem, text) {
  const at = /at line (\d+)/.exec(problem);
  if (at) return Number(at[1]);
  const lines = text.split("\n");
  const node = /^node `([A-Za-z0-9_]+)`/.exec(problem);
  const key = node ? node[1] : (/^([A-Za-z_]+)[.:]/.exec(problem) || [])[1];
  if (!key) return null;
  const pattern = node ? new RegExp(`^\\s+["']?${key}["']?\\s*:`) : new RegExp(`^${key}\\s*:`);
  let inNodes = !node;
  for (let i = 0; i < lines.length; i++) {
    if (/^nodes\s*:/.test(lines[i])) inNodes = true;
    if (inNodes && pattern.test(lines[i])) return i + 1;
  }
  return null;
}
