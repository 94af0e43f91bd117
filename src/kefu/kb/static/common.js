// What the knowledge base's screens share (知识库): the style sheet, the category tree (one
// list for every screen), an article's rendered body (the server's HTML, whose images and
// file links are fetched with the token: an <img> cannot carry it), uploads, the state
// and stale badges, and a refusal said plainly (403: who may; 409: why not now).

import { html } from "htm/preact";
import { signal } from "@preact/signals";
import { useEffect, useRef } from "preact/hooks";
import { ApiError, errorText, get, send, upload as uploadFile } from "/static/shell/api.js";
import { t } from "/static/shell/i18n.js";
import { onSignOut } from "/static/shell/store.js";
import { fmtTime, toast } from "/static/shell/util.js";

const CSS = "/static/kb/kb.css";
if (!document.querySelector(`link[href="${CSS}"]`)) {
  document.head.append(Object.assign(document.createElement("link"), { rel: "stylesheet", href: CSS }));
}

/** The roles that see drafts, history and the editor by default ([kb] writers/approvers:
 *  the API has the last word and says 403 with the reason). */
export const WRITERS = ["agent", "supervisor", "admin"];
export const APPROVERS = ["supervisor", "admin"];

/** The category tree (GET /kb/categories), loaded once and again after a change. */
export const categories = signal(null);
let loading = null;
export function loadCategories(force = false) {
  if (loading && !force) return loading;
  loading = get("/kb/categories").then((tree) => { categories.value = tree; return tree; },
    (err) => { loading = null; toast(errorText(err), "error"); return []; });
  return loading;
}
onSignOut(() => { categories.value = null; loading = null; blobs.clear(); });

/** The tree as a list in display order: [{id, name, depth, path, articles, parent_id}]. */
export function flat(tree = categories.value || [], depth = 0, above = "") {
  return tree.flatMap((c) => {
    const path = above ? `${above} / ${c.name}` : c.name;
    return [{ ...c, depth, path }, ...flat(c.children, depth + 1, path)];
  });
}

/** "售后 / 退货" for a category id. */
export const categoryPath = (id) => flat().find((c) => c.id === id)?.path ?? `#${id}`;

/** <option>s of every category, indented by depth. */
export const categoryOptions = () => flat().map((c) => html`<option key=${c.id} value=${c.id}>
  ${"\u3000".repeat(c.depth)}${c.name}</option>`);

/** Upload `file` to an article: an image when it is one, else an attachment. */
export function upload(articleId, file) {
  const kind = (file.type || "").startsWith("image/") ? "image" : "attachment";
  return uploadFile(`/kb/articles/${articleId}/files?kind=${kind}`, file);
}

/** The Markdown that shows an uploaded file: an image inline, an attachment as a link. */
export const fileMarkdown = (f) => `${f.kind === "image" ? "!" : ""}[${f.name.replace(/[[\]]/g, "")}](kbfile:${f.id})`;

const blobs = new Map();           // "article/file" → object URL (kept while signed in)
/** An article's file as an object URL (fetched once with the token). */
export function fileUrl(articleId, fileId) {
  const key = `${articleId}/${fileId}`;
  if (!blobs.has(key)) {
    blobs.set(key, send("GET", `/kb/articles/${articleId}/files/${fileId}`)
      .then(async (res) => URL.createObjectURL(await res.blob()))
      .catch((err) => { blobs.delete(key); throw err; }));
  }
  return blobs.get(key);
}

/** Save an article's file under its name. */
export async function saveFile(articleId, fileId, name) {
  const url = await fileUrl(articleId, fileId);
  const a = Object.assign(document.createElement("a"), { href: url, download: name || "file" });
  document.body.append(a);
  a.click();
  a.remove();
}

/** The server's rendered HTML (kefu.kb.render: safe as it is), its images loaded and its
 *  file links saving the file. */
export function Body({ html: body, articleId, id }) {
  const ref = useRef(null);
  useEffect(() => {
    const root = ref.current;
    if (!root || !articleId) return;
    for (const img of root.querySelectorAll("img[data-kb-file]")) {
      fileUrl(articleId, img.dataset.kbFile).then((url) => { img.src = url; }, () => img.classList.add("kb-missing"));
    }
  }, [body, articleId]);
  const click = (e) => {
    const a = e.target.closest?.("a[data-kb-file]");
    if (!a) return;
    e.preventDefault();
    saveFile(articleId, a.dataset.kbFile, a.dataset.kbName).catch((err) => toast(errorText(err), "error"));
  };
  return html`<div class="kb-body" id=${id} ref=${ref} onClick=${click} dangerouslySetInnerHTML=${{ __html: body || "" }}></div>`;
}

/** A version's state as a badge. */
export const StateBadge = ({ state }) => (state
  ? html`<span class=${`kb-state ${state}`} data-state=${state}>${t(`kb.state.${state}`)}</span>` : null);

/** "可能过时" when the live version's review date has passed. */
export const StaleFlag = ({ stale }) => (stale
  ? html`<span class="kb-stale" title=${t("kb.stale_hint")}>${t("kb.stale")}</span>` : null);

export const VisibilityBadge = ({ visibility }) => (visibility
  ? html`<span class=${`kb-vis ${visibility}`}>${t(`kb.vis.${visibility}`)}</span>` : null);

/** An API failure in words: 403 who may, 409 why not now, else the reason. */
export function explain(err) {
  if (err instanceof ApiError && err.status === 403) return t("kb.err.403", { detail: errorText(err) });
  if (err instanceof ApiError && err.status === 409) return t("kb.err.409", { detail: errorText(err) });
  if (err instanceof ApiError && err.status === 404) return t("kb.err.404");
  return errorText(err);
}

export const when = (ts) => (ts ? fmtTime(ts) : "");

/** An article's newest version: the working one, else the live one, else (taken down: 下线)
 *  the last in its history, so a writer can read it and put it up again. */
export async function newest(a) {
  const v = a.working || a.live;
  if (v) return v;
  const list = await get(`/kb/articles/${a.id}/versions`);
  return list[list.length - 1] ?? null;
}

/** The category tree as filter buttons; `selected` null: all. */
export function CategoryTree({ selected, onSelect, id = "kb-tree" }) {
  const branch = (list) => html`<ul>${list.map((c) => html`<li key=${c.id}>
    <button type="button" class=${`link${selected === c.id ? " on" : ""}`} data-category=${c.id}
      onClick=${() => onSelect(selected === c.id ? null : c.id)}>${c.name}
      ${c.articles ? html` <small class="muted">${c.articles}</small>` : null}</button>
    ${c.children.length ? branch(c.children) : null}</li>`)}</ul>`;
  return html`<nav class="kb-tree" id=${id}>
    <button type="button" class=${`link${selected == null ? " on" : ""}`} data-category="" onClick=${() => onSelect(null)}>${t("kb.all")}</button>
    ${branch(categories.value || [])}</nav>`;
}
