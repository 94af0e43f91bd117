// What the recordings screens share: the slice's style sheet, the query string of a
// filter form, times typed in a form, and an authorised file (the audit CSV) saved.

import { send } from "/static/shell/api.js";

const CSS = "/static/recordings/recordings.css";
if (!document.querySelector(`link[href="${CSS}"]`)) {
  const link = Object.assign(document.createElement("link"), { rel: "stylesheet", href: CSS });
  document.head.append(link);
}

/** A datetime-local value ("2026-12-03T09:30") as epoch seconds; "" → undefined. */
export const epoch = (value) => (value ? new Date(value).getTime() / 1000 : undefined);

/** `{name: value}` as a query string: empty values left out, an array as a repeated name. */
export function query(params) {
  const q = new URLSearchParams();
  for (const [name, value] of Object.entries(params)) {
    for (const v of Array.isArray(value) ? value : [value]) {
      if (v !== undefined && v !== null && v !== "") q.append(name, String(v));
    }
  }
  return q.toString();
}

/** Save an authorised file (GET under /api/v1 with the token) as `filename`. */
export async function download(path, filename) {
  const res = await send("GET", path);
  saveUrl(URL.createObjectURL(await res.blob()), filename, true);
}

/** Let the browser save `url` (a ticket's download URL or an object URL). */
export function saveUrl(url, filename = "", revoke = false) {
  const a = Object.assign(document.createElement("a"), { href: url, download: filename });
  document.body.append(a);
  a.click();
  a.remove();
  if (revoke) setTimeout(() => URL.revokeObjectURL(url), 10000);
}
