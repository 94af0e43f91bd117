// Quality summaries (质检统计): scores by agent, by criterion, by queue and by week for
// the calls of a date range.

import { html } from "htm/preact";
import { useEffect, useState } from "preact/hooks";
import { get } from "/static/shell/api.js";
import { t } from "/static/shell/i18n.js";
import { run } from "/static/shell/util.js";
import "./common.js";

function query(f) {
  const q = new URLSearchParams();
  if (f.since) q.set("since", String(new Date(`${f.since}T00:00`).getTime() / 1000));
  if (f.until) q.set("until", String(new Date(`${f.until}T00:00`).getTime() / 1000 + 86400));
  return q.toString();
}

function Figures({ id, title, rows, label }) {
  return html`<div class="col"><h3>${title}</h3><table id=${id} class="kv">
    <thead><tr><th>${label}</th><th>${t("qa.count")}</th><th>${t("qa.mean")}</th><th>${t("qa.failed_n")}</th></tr></thead>
    <tbody>${rows.map((f) => html`<tr key=${f.key} data-key=${f.key}><td>${f.label}</td><td>${f.count}</td>
      <td class="mean">${f.mean}</td><td>${f.failed}</td></tr>`)}
    ${rows.length ? null : html`<tr><td colspan="4" class="muted">${t("qa.none")}</td></tr>`}</tbody></table></div>`;
}

export default function Summary() {
  const [filters, setFilters] = useState({});
  const [s, setS] = useState(null);
  useEffect(() => { run(() => get(`/qa/summary?${query(filters)}`)).then((x) => x && setS(x)); }, [filters]);
  const submit = (e) => { e.preventDefault(); setFilters(Object.fromEntries(new FormData(e.currentTarget))); };
  return html`<section class="panel qa" id="qa-summary-screen">
    <h2>${t("nav.qa_summary")}</h2>
    <form class="buttons" id="qa-summary-filter" onSubmit=${submit}>
      <label>${t("qa.since")} <input type="date" name="since" /></label>
      <label>${t("qa.until")} <input type="date" name="until" /></label>
      <button type="submit">${t("qa.find")}</button>
    </form>
    ${s ? html`<div class="row">
      <${Figures} id="qa-by-agent" title=${t("qa.by_agent")} label=${t("qa.agent")} rows=${s.by_agent} />
      <${Figures} id="qa-by-criterion" title=${t("qa.by_criterion")} label=${t("qa.criterion")} rows=${s.by_criterion} />
      <${Figures} id="qa-by-queue" title=${t("qa.by_queue")} label=${t("qa.queue")} rows=${s.by_queue} />
      <${Figures} id="qa-by-week" title=${t("qa.by_week")} label=${t("qa.week")} rows=${s.by_week} />
    </div>` : null}
  </section>`;
}
