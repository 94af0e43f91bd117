// The desk's knowledge-base panel (知识库): during a call and its wrap-up, the articles
// suggested for the call (GET /kb/suggest, each with why: 队列, 工单 …); as the agent
// types, search as you type (/kb/search?prefix=true, debounced); idle, the hot questions
// (常问问题).  An article opens inline; 插入 appends its text to the call's note (the CRM
// slice's form).  引导问答 walks a guided tree (walk.js).  Also the pieces a ticket's
// reply box uses (KbPicker): a search that inserts an article's text.

import { html } from "htm/preact";
import { useEffect, useRef, useState } from "preact/hooks";
import { errorText, get, post } from "/static/shell/api.js";
import { t } from "/static/shell/i18n.js";
import { useEvents } from "/static/shell/store.js";
import { debounce, toast } from "/static/shell/util.js";
import { appendToNote } from "/static/crm/notes.js";
import { Body } from "./common.js";
import Walk from "./walk.js";

const CSS = "/static/kb/kbdesk.css";
if (!document.querySelector(`link[href="${CSS}"]`)) {
  document.head.append(Object.assign(document.createElement("link"), { rel: "stylesheet", href: CSS }));
}

const TYPING_MS = 250;
const NEWS = new Set(["call.data", "ivr.back"]);   // the call's news that may change its suggestions

/** An article's answer as text to insert: its title, then its body (Markdown). */
export const articleText = (a) => [a?.live?.title, a?.live?.body].filter(Boolean).join("\n");

/** Insert `text` into the call's note, saying whether it went in. */
export function insertIntoNote(text) {
  const ok = appendToNote(text);
  toast(t(ok ? "kbd.inserted" : "kbd.no_note"), ok ? "info" : "error");
  return ok;
}

/** Search as you type: `[hits, busy]` for `q` (null: nothing typed); late answers to an
 *  older text are dropped. */
export function useTyped(q, callId = "") {
  const [hits, setHits] = useState(null);
  const seq = useRef(0);
  const [find] = useState(() => debounce(async (text, call, n) => {
    try {
      const params = new URLSearchParams({ q: text, prefix: "true", limit: "10" });
      if (call) params.set("call_id", call);
      const found = await get(`/kb/search?${params}`);
      if (n === seq.current) setHits(found);
    } catch (err) {
      if (n === seq.current) { setHits([]); toast(t("msg.error", { detail: errorText(err) }), "error"); }
    }
  }, TYPING_MS));
  useEffect(() => {
    const n = ++seq.current;
    const text = q.trim().slice(0, 200);
    if (text) find(text, callId, n); else setHits(null);
  }, [q, callId]);
  return hits;
}

/** One article, opened: title and the server's HTML (kb/render.py; its images and files
 *  fetched with the token by the screens' one `Body`); `actions` beside the title. */
export function ArticleView({ article, actions, id = "kbd-article" }) {
  const v = article.live || {};
  return html`<div class="kbd-article" id=${id} data-article=${article.id}>
    <div class="kbd-head"><h3>${v.title}</h3>${actions}</div>
    <div class="kbd-body"><${Body} html=${v.body_html ?? article.body_html} articleId=${article.id}
        id=${`${id}-body`} /></div>
  </div>`;
}

/** A list of articles to open (and to insert, when `onInsert` and the text are there). */
function Articles({ id, items, onOpen, onInsert, none }) {
  if (!items) return html`<p class="muted">${t("kbd.loading")}</p>`;
  if (!items.length) return html`<p class="muted" id=${`${id}-none`}>${none}</p>`;
  return html`<ul class="kbd-list" id=${id}>${items.map((it) => html`<li key=${it.id} data-article=${it.id}>
    <button type="button" class="kbd-title" onClick=${() => onOpen(it.id)}>${it.title}</button>
    ${onInsert && it.text && html`<button type="button" class="small" data-insert=${it.id}
        onClick=${() => onInsert(it.text)}>${t("kbd.insert")}</button>`}
    ${it.reasons?.length ? html`<span class="kbd-why">${it.reasons.map((r, i) => html`<span key=${i}
        data-kind=${r.kind}>${t(`kbd.why.${r.kind}`)}: ${r.text}</span>`)}</span>` : null}
  </li>`)}</ul>`;
}

const fromArticle = (a, extra = {}) => ({ id: a.id, title: a.live?.title || "", text: articleText(a), ...extra });

/**
 * The panel; `call`: {call_id, number, queue, live} of the call (or its wrap-up) on the
 * desk, null when idle.
 */
export default function KbPanel({ call }) {
  const callId = call?.call_id || "";
  const [q, setQ] = useState("");
  const [suggested, setSuggested] = useState(null);
  const [hot, setHot] = useState(null);
  const [open, setOpen] = useState(null);
  const [walking, setWalking] = useState(false);
  const [news, setNews] = useState(0);
  const typed = useTyped(q, callId);
  useEvents((msg) => {       // a ticket (of this customer, perhaps) made during the call too
    if (callId && ((msg.call_id === callId && NEWS.has(msg.type)) || msg.type === "ticket.created")) setNews((n) => n + 1);
  });
  useEffect(() => { setOpen(null); setWalking(false); }, [callId]);
  useEffect(() => {
    if (!callId) {
      setSuggested(null);
      get("/kb/hot?limit=8").then((list) => setHot(list.map((h) => ({ id: h.article_id, title: h.title }))),
                                  () => setHot([]));
      return;
    }
    let live = true;
    get(`/kb/suggest?call_id=${encodeURIComponent(callId)}`).then(
      (list) => live && setSuggested(list.map((s) => fromArticle(s.article, { reasons: s.reasons }))),
      () => live && setSuggested([]));
    return () => { live = false; };
  }, [callId, news]);
  const show = async (id) => {
    try {
      setOpen(await get(`/kb/articles/${id}`));
      post(`/kb/articles/${id}/views`, { call_id: callId.slice(0, 64) }).catch(() => {});
    } catch (err) { toast(t("msg.error", { detail: errorText(err) }), "error"); }
  };
  const insert = callId ? insertIntoNote : null;
  const list = typed !== null
    ? html`<${Articles} id="kbd-results" items=${typed.map((h) => fromArticle(h))} onOpen=${show}
                        onInsert=${insert} none=${t("kbd.no_results")} />`
    : callId ? html`<h3>${t("kbd.suggested")}</h3><${Articles} id="kbd-suggested" items=${suggested}
                        onOpen=${show} onInsert=${insert} none=${t("kbd.no_suggestions")} />`
      : html`<h3>${t("kbd.hot")}</h3><${Articles} id="kbd-hot" items=${hot} onOpen=${show}
                        none=${t("kbd.no_hot")} />`;
  return html`<section class="panel kbd" id="kb-panel" data-call=${callId || undefined}>
    <h2>${t("kbd.title")}</h2>
    <div class="kbd-search">
      <input type="search" id="kbd-q" placeholder=${t("kbd.search")} aria-label=${t("kbd.search")}
             value=${q} maxlength="200" onInput=${(e) => setQ(e.currentTarget.value)} />
      ${callId && call.number && !walking && html`<button type="button" id="kbd-walk"
          onClick=${() => setWalking(true)}>${t("kbd.walk")}</button>`}
    </div>
    ${walking && html`<${Walk} call=${call} onInsert=${insertIntoNote} onClose=${() => setWalking(false)} />`}
    ${open && html`<${ArticleView} article=${open} actions=${html`
      ${insert && html`<button type="button" id="kbd-insert" class="primary small"
          onClick=${() => insert(articleText(open))}>${t("kbd.insert")}</button>`}
      <button type="button" class="small" id="kbd-close" onClick=${() => setOpen(null)}>${t("kbd.close")}</button>`} />`}
    ${list}
  </section>`;
}

/** A ticket's 知识库 picker: search, open, and insert an article's text with `onInsert`. */
export function KbPicker({ onInsert }) {
  const [q, setQ] = useState("");
  const [open, setOpen] = useState(null);
  const typed = useTyped(q);
  const show = async (id) => {
    try { setOpen(await get(`/kb/articles/${id}`)); }
    catch (err) { toast(t("msg.error", { detail: errorText(err) }), "error"); }
  };
  return html`<div class="kbd kbd-picker" id="kbd-picker">
    <input type="search" id="kbd-picker-q" placeholder=${t("kbd.search")} aria-label=${t("kbd.search")}
           value=${q} maxlength="200" onInput=${(e) => setQ(e.currentTarget.value)}
           onKeyDown=${(e) => { if (e.key === "Enter") e.preventDefault(); }} />
    ${open && html`<${ArticleView} article=${open} actions=${html`
      <button type="button" class="primary small" id="kbd-picker-insert"
              onClick=${() => { onInsert(articleText(open)); setOpen(null); }}>${t("kbd.insert")}</button>
      <button type="button" class="small" onClick=${() => setOpen(null)}>${t("kbd.close")}</button>`} />`}
    ${typed !== null && html`<${Articles} id="kbd-picker-results" items=${typed.map((h) => fromArticle(h))}
        onOpen=${show} onInsert=${(text) => onInsert(text)} none=${t("kbd.no_results")} />`}
  </div>`;
}
