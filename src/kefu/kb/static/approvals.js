// Approvals (审批) for the [kb] approvers: the pending versions, each with its diff against
// the live version (or, for a new article, its rendered body), approved now or for a
// publish time, or rejected with a comment (required).  403 and 409 said in words.

import { html } from "htm/preact";
import { useEffect, useState } from "preact/hooks";
import { get, post } from "/static/shell/api.js";
import { t } from "/static/shell/i18n.js";
import { toast } from "/static/shell/util.js";
import { Body, StateBadge, categoryPath, explain, loadCategories, when } from "./common.js";

function SideDiff({ id, a, b }) {
  const [d, setD] = useState(null);
  const [problem, setProblem] = useState(null);
  useEffect(() => { get(`/kb/articles/${id}/diff?a=${a}&b=${b}&mode=side`).then(setD, (err) => setProblem(explain(err))); }, [id, a, b]);
  if (problem) return html`<p class="error">${problem}</p>`;
  return d ? html`<table class="kb-diff"><thead><tr><th>${t("kb.live")} v${a}</th><th>${t("kb.proposed")} v${b}</th></tr></thead>
    <tbody>${d.rows.map((r, i) => html`<tr key=${i} class=${r.op}><td class="left">${r.left}</td><td class="right">${r.right}</td></tr>`)}</tbody></table>` : null;
}

function Pending({ a, onDone }) {
  const [full, setFull] = useState(null);
  const [comment, setComment] = useState("");
  const [at, setAt] = useState("");
  const [problem, setProblem] = useState(null);
  const v = a.working;
  useEffect(() => { if (!a.live) get(`/kb/articles/${a.id}`).then(setFull, () => {}); }, [a.id]);
  const decide = async (what) => {
    setProblem(null);
    if (what === "reject" && !comment.trim()) { setProblem(t("kb.reject_needs_comment")); return; }
    const body = what === "approve" ? { comment: comment.trim(), ...(at ? { publish_at: new Date(at).getTime() / 1000 } : {}) }
      : { comment: comment.trim() };
    try {
      const out = await post(`/kb/articles/${a.id}/versions/${v.number}/${what}`, body);
      toast(t(what === "approve" ? (out.working?.state === "scheduled" ? "kb.scheduled" : "kb.approved") : "kb.rejected"));
      onDone();
    } catch (err) { setProblem(explain(err)); }
  };
  return html`<li class="kb-pending" data-id=${a.id} data-version=${v.number}>
    <div class="kb-head"><a href=${`#/kb/${a.id}`}><strong>${v.title}</strong></a> <${StateBadge} state=${v.state} />
      <span class="muted small">${categoryPath(a.category_id)} · v${v.number} · ${v.author} · ${when(v.submitted_at)}</span></div>
    ${a.live ? html`<${SideDiff} id=${a.id} a=${a.live.number} b=${v.number} />`
      : html`<p class="muted small">${t("kb.new_article")}</p><${Body} html=${full?.working?.body_html} articleId=${a.id} />`}
    ${problem ? html`<p class="error kb-decide-error">${problem}</p>` : null}
    <div class="kb-decide">
      <input class="kb-comment" placeholder=${t("kb.comment")} value=${comment} onInput=${(e) => setComment(e.currentTarget.value)} maxlength="2000" />
      <label class="small">${t("kb.f.publish_at")} <input type="datetime-local" class="kb-publish-at" value=${at} onInput=${(e) => setAt(e.currentTarget.value)} /></label>
      <button type="button" class="primary kb-approve" onClick=${() => decide("approve")}>${at ? t("kb.approve_at") : t("kb.approve")}</button>
      <button type="button" class="kb-reject" onClick=${() => decide("reject")}>${t("kb.reject")}</button></div></li>`;
}

export default function Approvals() {
  const [list, setList] = useState(null);
  const [problem, setProblem] = useState(null);
  const load = () => get("/kb/articles?view=pending&limit=200").then((p) => { setList(p.items); setProblem(null); },
    (err) => setProblem(explain(err)));
  useEffect(() => {
    loadCategories();
    load();
    const timer = setInterval(load, 30000);         // no kb events: a new submission shows within 30 s
    return () => clearInterval(timer);
  }, []);
  return html`<section class="panel kb" id="kb-approvals"><div class="kb-head"><h2>${t("nav.kb_approvals")}</h2>
      <button type="button" id="kb-refresh" onClick=${load}>${t("kb.refresh")}</button></div>
    ${problem ? html`<p class="error" id="kb-error">${problem}</p>` : null}
    ${list === null ? null : list.length ? html`<ul class="kb-pendings">${list.map((a) => html`<${Pending} key=${`${a.id}/${a.working?.number}`} a=${a} onDone=${load} />`)}</ul>`
      : html`<p class="muted" id="kb-none">${t("kb.no_pending")}</p>`}</section>`;
}
