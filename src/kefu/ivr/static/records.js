// Collected records (数据采集: what the flows' store nodes saved), for staff: a table with
// filters (flow, caller, from, to) and the same filters as a CSV download.

import { html } from "htm/preact";
import { useEffect, useState } from "preact/hooks";
import { get } from "/static/shell/api.js";
import { t } from "/static/shell/i18n.js";
import { fmtTime, run } from "/static/shell/util.js";
import { download } from "./common.js";

/** The form's filters as a query string (dates are local days: until is exclusive). */
function query(f) {
  const q = new URLSearchParams();
  if (f.flow) q.set("flow", f.flow);
  if (f.caller) q.set("caller", f.caller);
  if (f.since) q.set("since", String(new Date(`${f.since}T00:00`).getTime() / 1000));
  if (f.until) q.set("until", String(new Date(`${f.until}T00:00`).getTime() / 1000 + 86400));
  return q.toString();
}

export default function Records() {
  const [filters, setFilters] = useState({});
  const [page, setPage] = useState(null);
  useEffect(() => { run(() => get(`/ivr/records?${query(filters)}&limit=200`)).then((p) => p && setPage(p)); }, [filters]);
  const submit = (e) => { e.preventDefault(); setFilters(Object.fromEntries(new FormData(e.currentTarget))); };
  return html`<section class="panel ivr" id="ivr-records-screen">
    <h2>${t("nav.ivr_records")}</h2>
    <form id="records-filter" class="buttons" onSubmit=${submit}>
      <input name="flow" placeholder=${t("ivr.flow")} pattern="[A-Za-z_][A-Za-z0-9_]*" />
      <input name="caller" placeholder=${t("ivr.caller")} />
      <label>${t("ivr.since")} <input type="date" name="since" /></label>
      <label>${t("ivr.until")} <input type="date" name="until" /></label>
      <button type="submit">${t("ivr.filter")}</button>
      <button type="button" id="records-csv" onClick=${() => run(() => download(`/ivr/records.csv?${query(filters)}`, "ivr-records.csv"))}>CSV</button>
      <span class="muted">${page ? t("ivr.total", { n: page.total }) : ""}</span>
    </form>
    <table id="ivr-records" class="kv ivr-table">
      <thead><tr><th>${t("ivr.when")}</th><th>${t("ivr.caller")}</th><th>${t("ivr.flow")}</th>
        <th>${t("ivr.record")}</th><th>${t("ivr.fields")}</th></tr></thead>
      <tbody>${(page?.items ?? []).map((r) => html`<tr key=${r.id} data-id=${r.id}>
        <td>${fmtTime(r.created_at)}</td><td>${r.caller}</td><td>${r.flow} v${r.version} · ${r.node}</td>
        <td>${r.record}</td><td>${Object.entries(r.fields).map(([k, v]) => `${k}=${v}`).join(", ")}</td></tr>`)}
        ${page && !page.items.length ? html`<tr><td colspan="5" class="muted">${t("ivr.none")}</td></tr>` : null}</tbody>
    </table>
  </section>`;
}
