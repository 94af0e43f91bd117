// Ticket statistics (工单统计), for supervisors and admins: a date range (local days, the
// last one included) and a type; tables with CSS bars of GET /tickets/stats — by type,
// state and group (total, open, SLA breached), complaints by category and by period,
// handled tickets and the mean handling time per agent.

import { html } from "htm/preact";
import { useEffect, useState } from "preact/hooks";
import { get } from "/static/shell/api.js";
import { t } from "/static/shell/i18n.js";
import { fmtDuration } from "/static/shell/util.js";
import { lbl, loadTypes, missing, query, span, types } from "./common.js";

const day = (d) => `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, "0")}-${String(d.getDate()).padStart(2, "0")}`;
const pct = (part, whole) => (whole ? `${((100 * part) / whole).toFixed(1)}%` : "–");

/** The form's days as the API's `since` and `until` (epoch seconds; `until` the end of its day). */
export function range(f) {
  const since = new Date(`${f.since}T00:00`), until = new Date(`${f.until || f.since}T00:00`);
  until.setDate(until.getDate() + 1);
  return { since: since.getTime() / 1000, until: until.getTime() / 1000, type: f.type };
}

function Bar({ value, max, kind = "" }) {
  return html`<span class="tk-barcell"><span class=${`tk-bar ${kind}`} style=${`width:${max ? (100 * value) / max : 0}%`}></span></span>`;
}

/** by_type, by_state, by_group: total with a bar, open, breached and its share. */
function Counts({ id, title, rows, name = (k) => k }) {
  const max = Math.max(0, ...rows.map((r) => r.total));
  return html`<table class="kv tk-stats-table" id=${id}>
    <caption>${title}</caption>
    <thead><tr><th></th><th>${t("tk.total")}</th><th></th><th>${t("tk.open")}</th><th>${t("tk.breached_n")}</th><th>${t("tk.breach_rate")}</th></tr></thead>
    <tbody>${rows.map((r) => html`<tr key=${r.key} data-key=${r.key}>
      <td>${name(r.key) || "—"}</td><td class="num total">${r.total}</td><td><${Bar} value=${r.total} max=${max} /></td>
      <td class="num open">${r.open ?? "–"}</td><td class="num breached">${r.breached ?? "–"}</td>
      <td class="num">${r.breached === undefined ? "–" : pct(r.breached, r.total)}</td></tr>`)}
      ${rows.length ? null : html`<tr><td colspan="6" class="muted">${t("tk.none")}</td></tr>`}</tbody>
  </table>`;
}

function Totals({ id, title, rows, head }) {
  const max = Math.max(0, ...rows.map((r) => r.total));
  return html`<table class="kv tk-stats-table" id=${id}>
    <caption>${title}</caption>
    <thead><tr><th>${head}</th><th>${t("tk.total")}</th><th></th></tr></thead>
    <tbody>${rows.map((r) => html`<tr key=${r.key} data-key=${r.key}><td>${r.key || "—"}</td>
      <td class="num total">${r.total}</td><td><${Bar} value=${r.total} max=${max} kind="complaint" /></td></tr>`)}
      ${rows.length ? null : html`<tr><td colspan="3" class="muted">${t("tk.none")}</td></tr>`}</tbody>
  </table>`;
}

function Agents({ rows }) {
  const max = Math.max(0, ...rows.map((r) => r.handled));
  return html`<table class="kv tk-stats-table" id="tk-by-agent">
    <caption>${t("tk.by_agent")}</caption>
    <thead><tr><th>${t("tk.agent")}</th><th>${t("tk.handled")}</th><th></th><th>${t("tk.avg_handle")}</th></tr></thead>
    <tbody>${rows.map((r) => html`<tr key=${r.key} data-key=${r.key}><td>${r.key || t("tk.unassigned")}</td>
      <td class="num handled">${r.handled}</td><td><${Bar} value=${r.handled} max=${max} kind="agent" /></td>
      <td class="num avg" data-seconds=${r.avg_handle_seconds}>${r.avg_handle_seconds == null ? "–"
        : r.avg_handle_seconds >= 3600 ? span(r.avg_handle_seconds) : fmtDuration(r.avg_handle_seconds)}</td></tr>`)}
      ${rows.length ? null : html`<tr><td colspan="4" class="muted">${t("tk.none")}</td></tr>`}</tbody>
  </table>`;
}

export default function Stats() {
  const week = new Date();
  week.setDate(week.getDate() - 6);
  const [choice, setChoice] = useState({ since: day(week), until: day(new Date()), type: "" });
  const [report, setReport] = useState(null);
  const [failed, setFailed] = useState(null);
  useEffect(() => { loadTypes(); }, []);
  useEffect(() => {
    get(`/tickets/stats?${query(range(choice))}`).then((r) => { setReport(r); setFailed(null); }, setFailed);
  }, [choice]);
  const typeName = (k) => lbl((types.value || []).find((x) => x.name === k)) || k;
  const stateName = (k) => lbl((types.value || []).flatMap((x) => x.workflow.states).find((s) => s.name === k)) || k;
  const submit = (e) => { e.preventDefault(); setChoice(Object.fromEntries(new FormData(e.currentTarget))); };
  return html`<section class="panel tk" id="tk-stats-screen">
    <h2>${t("nav.tickets_stats")}</h2>
    <form id="tk-stats-filter" class="buttons" onSubmit=${submit}>
      <label class="inline">${t("tk.since")} <input type="date" name="since" required value=${choice.since} /></label>
      <label class="inline">${t("tk.until")} <input type="date" name="until" value=${choice.until} /></label>
      <label class="inline">${t("tk.type")} <select name="type" value=${choice.type}><option value="">${t("tk.any")}</option>
        ${(types.value || []).map((x) => html`<option key=${x.name} value=${x.name}>${lbl(x)}</option>`)}</select></label>
      <button type="submit" class="primary">${t("tk.search")}</button>
    </form>
    ${failed ? html`<p class=${missing(failed) ? "muted" : "error"} id="tk-failed">${missing(failed) ? t("tk.unavailable") : failed.message}</p>` : null}
    ${report ? html`<div class="tk-stats-grid">
      <${Counts} id="tk-by-type" title=${t("tk.by_type")} rows=${report.by_type || []} name=${typeName} />
      <${Counts} id="tk-by-state" title=${t("tk.by_state")} rows=${report.by_state || []} name=${stateName} />
      <${Counts} id="tk-by-group" title=${t("tk.by_group")} rows=${report.by_group || []} />
      <${Agents} rows=${report.by_agent || []} />
      <${Totals} id="tk-complaints-category" title=${t("tk.complaints_by_category")} head=${t("tk.category")} rows=${report.complaints_by_category || []} />
      <${Totals} id="tk-complaints-period" title=${t("tk.complaints_by_period")} head=${t("tk.period")} rows=${report.complaints_by_period || []} />
    </div>` : null}
  </section>`;
}
