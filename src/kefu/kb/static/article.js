// One article (#/kb/{id}): the live version's rendered body (or, for writers, the working
// one), keywords, category, files, helpful / not helpful, the related articles, and for
// writers and approvers the version history with a side-by-side diff between any two and
// the audit (who approved, with which comment).  Opening it logs a view.

import { html } from "htm/preact";
import { useEffect, useState } from "preact/hooks";
import { get, post, put } from "/static/shell/api.js";
import { t } from "/static/shell/i18n.js";
import { navigate } from "/static/shell/router.js";
import { user } from "/static/shell/store.js";
import { run } from "/static/shell/util.js";
import { APPROVERS, Body, StaleFlag, StateBadge, VisibilityBadge, WRITERS, categoryPath, explain,
         fileUrl, loadCategories, newest, saveFile, when } from "./common.js";

/** A session id for the co-viewing that relates articles (one per tab). */
const SESSION = sessionStorage.getItem("kb.session") || (() => {
  const s = `web-${Math.random().toString(36).slice(2, 12)}`;
  sessionStorage.setItem("kb.session", s);
  return s;
})();

function Files({ a }) {
  const [thumbs, setThumbs] = useState({});
  useEffect(() => {
    for (const f of a.files.filter((x) => x.kind === "image")) {
      fileUrl(a.id, f.id).then((url) => setThumbs((m) => ({ ...m, [f.id]: url })), () => {});
    }
  }, [a.id, a.files.length]);
  if (!a.files.length) return null;
  return html`<div class="kb-files" id="kb-files"><h3>${t("kb.files")}</h3><ul>
    ${a.files.map((f) => html`<li key=${f.id} data-kind=${f.kind}>
      ${f.kind === "image" && thumbs[f.id] ? html`<img class="kb-thumb" src=${thumbs[f.id]} alt=${f.name} />` : null}
      <a href="#" class="kb-file" onClick=${(e) => { e.preventDefault(); run(() => saveFile(a.id, f.id, f.name)); }}>${f.name}</a>
      <small class="muted"> ${Math.ceil(f.size / 1024)} KB</small></li>`)}</ul></div>`;
}

function Diff({ id, a, b }) {
  const [d, setD] = useState(null);
  const [problem, setProblem] = useState(null);
  useEffect(() => {
    setD(null);
    get(`/kb/articles/${id}/diff?a=${a}&b=${b}&mode=side`).then(setD, (err) => setProblem(explain(err)));
  }, [id, a, b]);
  if (problem) return html`<p class="error">${problem}</p>`;
  if (!d) return null;
  return html`<table class="kb-diff" id="kb-diff" data-a=${a} data-b=${b}>
    <thead><tr><th>v${a}</th><th>v${b}</th></tr></thead>
    <tbody>${d.rows.map((r, i) => html`<tr key=${i} class=${r.op}>
      <td class="left">${r.left}</td><td class="right">${r.right}</td></tr>`)}</tbody></table>`;
}

function History({ a }) {
  const [versions, setVersions] = useState(null);
  const [audit, setAudit] = useState([]);
  const [pick, setPick] = useState(null);         // [a, b]
  useEffect(() => {
    get(`/kb/articles/${a.id}/versions`).then((list) => {
      setVersions(list);
      if (list.length > 1) setPick([list[list.length - 2].number, list[list.length - 1].number]);
    }, () => setVersions([]));
    get(`/kb/articles/${a.id}/audit`).then(setAudit, () => {});
  }, [a.id, a.live?.number, a.working?.number]);
  if (!versions?.length) return null;
  const choose = (side, n) => setPick((p) => (side === 0 ? [n, p?.[1] ?? n] : [p?.[0] ?? n, n]));
  return html`<div class="kb-history" id="kb-history"><h3>${t("kb.history")}</h3>
    <table class="kb-versions"><thead><tr><th>${t("kb.diff_a")}</th><th>${t("kb.diff_b")}</th><th>#</th>
      <th>${t("kb.f.title")}</th><th>${t("kb.state")}</th><th>${t("kb.author")}</th><th>${t("kb.decided")}</th></tr></thead>
    <tbody>${versions.map((v) => html`<tr key=${v.number} data-number=${v.number}>
      <td><input type="radio" name="kb-a" checked=${pick?.[0] === v.number} onChange=${() => choose(0, v.number)} /></td>
      <td><input type="radio" name="kb-b" checked=${pick?.[1] === v.number} onChange=${() => choose(1, v.number)} /></td>
      <td>v${v.number}</td><td>${v.title}</td><td><${StateBadge} state=${v.state} /></td>
      <td>${v.author} <small class="muted">${when(v.created_at)}</small></td>
      <td>${v.decided_by}${v.comment ? html` <q>${v.comment}</q>` : null}</td></tr>`)}</tbody></table>
    ${pick && pick[0] !== pick[1] ? html`<${Diff} id=${a.id} a=${pick[0]} b=${pick[1]} />` : null}
    ${audit.length ? html`<h3>${t("kb.audit")}</h3><ul class="kb-audit" id="kb-audit">${audit.map((e) => html`<li key=${e.id} data-action=${e.action}>
      <small class="muted">${when(e.at)}</small> ${e.actor} ${t(`kb.act.${e.action}`)}${e.version ? ` v${e.version}` : ""}
      ${e.comment ? html` <q>${e.comment}</q>` : null}</li>`)}</ul>` : null}
  </div>`;
}

function Related({ id }) {
  const [list, setList] = useState(null);
  useEffect(() => { get(`/kb/articles/${id}/related?limit=5`).then(setList, () => setList([])); }, [id]);
  return html`<div class="kb-related" id="kb-related"><h3>${t("kb.related")}</h3>
    ${list?.length ? html`<ul>${list.map((r) => html`<li key=${r.article_id}>
      <a href=${`#/kb/${r.article_id}`} data-id=${r.article_id}>${r.title}</a></li>`)}</ul>`
      : html`<p class="muted small">${list ? t("kb.related_none") : t("kb.loading")}</p>`}</div>`;
}

function Vote({ id }) {
  const [mine, setMine] = useState(null);
  const vote = (helpful) => run(() => put(`/kb/articles/${id}/vote`, { helpful }), t("kb.voted"))
    .then((ok) => { if (ok) setMine(helpful); });
  return html`<div class="kb-vote" id="kb-vote">${t("kb.helpful_q")}
    <button type="button" id="kb-helpful" class=${mine === true ? "on" : ""} onClick=${() => vote(true)}>${t("kb.helpful")}</button>
    <button type="button" id="kb-unhelpful" class=${mine === false ? "on" : ""} onClick=${() => vote(false)}>${t("kb.unhelpful")}</button></div>`;
}

/** An approver takes the live version down (下线), with a comment for the audit; a pending
 *  edit stays pending. */
function Unpublish({ a, onDone }) {
  const [open, setOpen] = useState(false);
  const [comment, setComment] = useState("");
  const [problem, setProblem] = useState(null);
  const confirm = () => post(`/kb/articles/${a.id}/unpublish`, { comment: comment.trim() })
    .then((x) => { setOpen(false); setProblem(null); onDone(x); }, (err) => setProblem(explain(err)));
  if (!open) return html`<button type="button" id="kb-unpublish" onClick=${() => setOpen(true)}>${t("kb.unpublish")}</button>`;
  return html`<span class="kb-unpublish-form">
    <input id="kb-unpublish-comment" placeholder=${t("kb.unpublish_why")} maxlength="2000" value=${comment}
      onInput=${(e) => setComment(e.currentTarget.value)} />
    <button type="button" class="danger" id="kb-unpublish-confirm" onClick=${confirm}>${t("kb.unpublish_confirm")}</button>
    <button type="button" onClick=${() => setOpen(false)}>${t("kb.cancel")}</button>
    ${problem ? html`<span class="error">${problem}</span>` : null}</span>`;
}

export default function Article({ id }) {
  const [a, setA] = useState(null);
  const [problem, setProblem] = useState(null);
  const [showWorking, setShowWorking] = useState(false);
  const [offline, setOffline] = useState(null);     // taken down: the last version, for writers
  const role = user.value?.role;
  useEffect(() => {
    loadCategories();
    get(`/kb/articles/${id}`).then((x) => {
      setA(x);
      if (x.live) post(`/kb/articles/${id}/views`, { session: SESSION }).catch(() => {});
    }, (err) => setProblem(explain(err)));
  }, [id]);
  useEffect(() => {
    setOffline(null);
    if (a && !a.live && !a.working) newest(a).then(setOffline, () => {});
  }, [a]);
  if (problem) return html`<section class="panel kb"><p class="error" id="kb-error">${problem}</p>
    <a href="#/kb">${t("kb.back")}</a></section>`;
  if (!a) return html`<section class="panel kb"><p class="muted">${t("kb.loading")}</p></section>`;
  const v = ((showWorking || !a.live) && a.working ? a.working : a.live) ?? offline;
  return html`<section class="panel kb" id="kb-article" data-id=${a.id} data-version=${v?.number}>
    <div class="kb-head"><a href="#/kb">${t("kb.back")}</a><span class="grow"></span>
      ${a.live && APPROVERS.includes(role) ? html`<${Unpublish} a=${a} onDone=${setA} />` : null}
      ${WRITERS.includes(role) ? html`<button type="button" id="kb-edit" onClick=${() => navigate(`/kb/${a.id}/edit`)}>${t("kb.edit")}</button>` : null}</div>
    <h1 id="kb-article-title">${v?.title}</h1>
    <div class="kb-meta muted small"><span id="kb-category">${categoryPath(a.category_id)}</span>
      · <${VisibilityBadge} visibility=${v?.visibility} /> <${StateBadge} state=${v?.state} /> <${StaleFlag} stale=${a.stale} />
      ${v?.published_at ? html` · ${t("kb.published_at", { at: when(v.published_at) })}` : null}
      ${v?.review_date ? html` · ${t("kb.review_on", { date: v.review_date })}` : null}</div>
    ${!a.live && !a.working ? html`<p class="kb-note" id="kb-offline">${t("kb.offline_note")}</p>` : null}
    ${a.live && a.working ? html`<p class="kb-note" id="kb-working-note">${t("kb.working_note", { state: t(`kb.state.${a.working.state}`), n: a.working.number })}
      <button type="button" class="link" id="kb-toggle-working" onClick=${() => setShowWorking(!showWorking)}>
        ${showWorking ? t("kb.show_live") : t("kb.show_working")}</button></p>` : null}
    ${v?.keywords?.length ? html`<div class="kb-keywords" id="kb-keywords">${v.keywords.map((k) => html`<span key=${k} class="kb-kw">${k}</span>`)}</div>` : null}
    <${Body} id="kb-body" html=${v?.body_html} articleId=${a.id} />
    <${Files} a=${a} />
    ${a.live ? html`<${Vote} id=${a.id} />` : null}
    <${Related} id=${a.id} />
    ${WRITERS.includes(role) ? html`<${History} a=${a} />` : null}
  </section>`;
}
