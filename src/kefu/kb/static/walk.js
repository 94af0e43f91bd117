// A guided question tree walked during a call (问题推测), in the desk's KB panel: pick a
// tree, answer its questions with buttons, 上一步 goes back one answer; a solution shows
// its article (插入 puts its text in the note) and 完成 ends the walk, the server writing
// the path taken to the call's notes; 放弃 ends it without a note.  The walk lives on the
// server (/kb/walks): a reloaded desk picks up the call's open walk.

import { html } from "htm/preact";
import { useEffect, useState } from "preact/hooks";
import { errorText, get, post } from "/static/shell/api.js";
import { t } from "/static/shell/i18n.js";
import { toast } from "/static/shell/util.js";
import { ArticleView, articleText } from "./panel.js";     // (panel.js opens this: used at render only)

/** `call`: {call_id, number}; `onInsert(text)` puts text in the note; `onClose()`. */
export default function Walk({ call, onInsert, onClose }) {
  const [trees, setTrees] = useState(null);
  const [walk, setWalk] = useState(null);
  const [article, setArticle] = useState(null);
  const [error, setError] = useState("");
  useEffect(() => {
    get("/kb/trees").then(setTrees, (err) => { setTrees([]); setError(errorText(err)); });
    get(`/kb/walks?call_id=${encodeURIComponent(call.call_id)}`)
      .then((list) => { const w = list.filter((x) => x.state === "open").at(-1); if (w) setWalk(w); }, () => {});
  }, [call.call_id]);
  const at = walk?.at;
  useEffect(() => {
    setArticle(null);
    if (at?.kind === "solution" && at.article_id)
      get(`/kb/articles/${at.article_id}`).then(setArticle, (err) => setError(errorText(err)));
  }, [walk?.id, at?.id]);
  const act = async (path, body) => {
    setError("");
    try { return await post(path, body); }
    catch (err) { setError(errorText(err)); return null; }
  };
  const step = async (path, body) => { const w = await act(path, body); if (w) setWalk(w); return w; };
  const start = (treeId) => step("/kb/walks", { tree_id: treeId, call_id: call.call_id, number: call.number });
  const finish = async () => {
    const w = await act(`/kb/walks/${walk.id}/finish`, {});
    if (w) { toast(t("kbd.walk_saved")); onClose(); }
  };
  const abandon = async () => {
    if (walk) await act(`/kb/walks/${walk.id}/abandon`);
    onClose();
  };
  return html`<div class="kbd-walk" id="kbd-walk-panel" data-state=${walk?.state || "choose"}
                   data-at=${at?.id || undefined}>
    <div class="kbd-head"><h3>${walk ? walk.title : t("kbd.walk_pick")}</h3>
      <button type="button" class="small" id="kbd-walk-abandon" onClick=${abandon}>${t("kbd.walk_abandon")}</button></div>
    ${error && html`<p class="error" id="kbd-walk-error">${error}</p>`}
    ${!walk && (trees === null ? html`<p class="muted">${t("kbd.loading")}</p>`
      : trees.length ? html`<ul class="kbd-list" id="kbd-trees">${trees.map((tr) => html`<li key=${tr.id}>
          <button type="button" class="kbd-title" data-tree=${tr.id} onClick=${() => start(tr.id)}>${tr.title}</button></li>`)}</ul>`
        : html`<p class="muted" id="kbd-trees-none">${t("kbd.walk_none")}</p>`)}
    ${walk && html`
      <ol class="kbd-path" id="kbd-path">${walk.path.map((p, i) => html`<li key=${i}>${p.question} → <b>${p.answer}</b></li>`)}</ol>
      ${at.kind === "question" ? html`<p class="kbd-question" id="kbd-question">${at.text}</p>
        <div class="kbd-answers" id="kbd-answers">${walk.answers.map((a) => html`<button type="button" key=${a}
            data-answer=${a} onClick=${() => step(`/kb/walks/${walk.id}/answer`, { node: at.id, answer: a })}>${a}</button>`)}</div>`
      : html`<div class="kbd-solution" id="kbd-solution">
          ${at.text && html`<p>${at.text}</p>`}
          ${article ? html`<${ArticleView} id="kbd-walk-article" article=${article} />` : html`<p class="muted">${t("kbd.loading")}</p>`}
        </div>`}
      <div class="buttons">
        <button type="button" id="kbd-walk-back" disabled=${!walk.path.length}
                onClick=${() => step(`/kb/walks/${walk.id}/back`)}>${t("kbd.walk_back")}</button>
        ${at.kind === "solution" && html`
          <button type="button" id="kbd-walk-insert" disabled=${!article}
                  onClick=${() => onInsert([at.text, articleText(article)].filter(Boolean).join("\n"))}>${t("kbd.insert")}</button>
          <button type="button" id="kbd-walk-finish" class="primary" onClick=${finish}>${t("kbd.walk_finish")}</button>`}
      </div>`}
  </div>`;
}
