// IVR statistics (智能管理), for staff: pick a flow (or all), an interval (15 minutes, an
// hour, a day of the server's time zone) and a range of days; the figures of the whole
// range, a chart of how walks ended per interval, the table per interval, and per flow the
// node funnel, the menu choices and where callers hung up.  The same query as CSV.
// The chart is drawn here as SVG (stacked bars, as diagram.js draws the flow): no
// charting package is vendored and a bar per interval needs none.

import { html } from "htm/preact";
import { useEffect, useState } from "preact/hooks";
import { get } from "/static/shell/api.js";
import { t } from "/static/shell/i18n.js";
import { run } from "/static/shell/util.js";
import { download } from "./common.js";

const INTERVALS = ["15m", "hour", "day"];
const pct = (rate) => (rate === null || rate === undefined ? "–" : `${(rate * 100).toFixed(1)}%`);
const today = () => {
  const d = new Date();
  return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, "0")}-${String(d.getDate()).padStart(2, "0")}`;
};

/** The form's choice as the API's query: local days, the last one included. */
function query(f) {
  const q = new URLSearchParams({ interval: f.interval || "hour" });
  const from = new Date(`${f.since || today()}T00:00`);
  const to = new Date(`${f.until || f.since || today()}T00:00`);
  to.setDate(to.getDate() + 1);                       // a local day: 23 to 25 hours
  q.set("start", String(from.getTime() / 1000));
  q.set("end", String(to.getTime() / 1000));
  if (f.flow) q.set("flow", f.flow);
  return q.toString();
}

/** How the walks of each interval ended: self-served, handed to a queue or number, the rest. */
function Chart({ intervals }) {
  if (!intervals.length) return null;
  const W = 900, H = 180, pad = 28, n = intervals.length;
  const max = Math.max(1, ...intervals.map((i) => Math.max(i.total.ended, i.total.entered)));
  const bw = Math.min(48, (W - pad) / n);             // a few intervals: narrow bars from the left
  const y = (v) => H - 18 - (v / max) * (H - 30);
  const bars = intervals.map((i, k) => {
    const f = i.total, handed = f.to_queue + f.transferred;
    const rest = Math.max(0, f.ended - f.self_served - handed);
    let base = 0;
    const part = (v, cls) => {
      const top = base + v, rect = html`<rect class=${cls} x=${pad + k * bw + 1} width=${Math.max(1, bw - 2)}
        y=${y(top)} height=${y(base) - y(top)} />`;
      base = top;
      return v ? rect : null;
    };
    return html`<g class="bar" data-label=${i.label}>
      <title>${i.label}: ${t("ivrstats.entered")} ${f.entered}, ${t("ivrstats.self_served")} ${f.self_served}, ${t("ivrstats.handed_off")} ${handed}, ${t("ivrstats.other_end")} ${rest}</title>
      ${part(f.self_served, "served")}${part(handed, "handed")}${part(rest, "rest")}</g>`;
  });
  const ticks = [0, Math.floor((n - 1) / 2), n - 1].filter((v, k, a) => a.indexOf(v) === k);
  return html`<svg id="stats-chart" viewBox="0 0 ${W} ${H}" width="100%" role="img" aria-label=${t("ivrstats.chart")}>
    <line x1=${pad} x2=${W} y1=${y(0)} y2=${y(0)} class="axis" />
    <text x=${pad - 4} y=${y(max) + 4} class="tick" text-anchor="end">${max}</text>
    <text x=${pad - 4} y=${y(0) + 4} class="tick" text-anchor="end">0</text>
    ${bars}
    ${ticks.map((k) => html`<text x=${pad + (k + 0.5) * bw} y=${H - 4} class="tick" text-anchor="middle">${intervals[k].label.slice(5, 16).replace("T", " ")}</text>`)}
  </svg>
  <div class="stats-legend"><span class="served">■</span> ${t("ivrstats.self_served")}
    <span class="handed">■</span> ${t("ivrstats.handed_off")} <span class="rest">■</span> ${t("ivrstats.other_end")}</div>`;
}

const CARDS = [["entered", (f) => f.entered], ["ended", (f) => f.ended], ["self_served", (f) => f.self_served],
  ["completion_rate", (f) => pct(f.completion_rate)], ["to_queue", (f) => f.to_queue],
  ["caller_hangups", (f) => f.caller_hangups], ["lookup_errors", (f) => f.lookup_errors],
  ["survey_average", (f) => (f.survey_average ?? "–") + (f.surveys ? ` (${f.surveys})` : "")]];

function Summary({ figures }) {
  return html`<div id="stats-summary" class="stats-cards">
    ${CARDS.map(([key, value]) => html`<div class="stats-card" data-figure=${key}>
      <div class="muted">${t(`ivrstats.${key}`)}</div><b>${value(figures)}</b></div>`)}
    ${figures.queues.length ? html`<div class="stats-card wide" data-figure="queues"><div class="muted">${t("ivrstats.queues")}</div>
      ${figures.queues.map((q) => html`<span class="stats-chip">${q.name} <b>${q.count}</b></span>`)}</div>` : null}
  </div>`;
}

function Intervals({ intervals }) {
  return html`<table id="stats-intervals" class="kv ivr-table">
    <thead><tr><th>${t("ivrstats.interval")}</th><th>${t("ivrstats.entered")}</th><th>${t("ivrstats.ended")}</th>
      <th>${t("ivrstats.self_served")}</th><th>${t("ivrstats.completion_rate")}</th><th>${t("ivrstats.to_queue")}</th>
      <th>${t("ivrstats.caller_hangups")}</th><th>${t("ivrstats.invalid")}</th><th>${t("ivrstats.timeouts")}</th>
      <th>${t("ivrstats.lookup_errors")}</th><th>${t("ivrstats.survey_average")}</th></tr></thead>
    <tbody>${intervals.map((i) => { const f = i.total; return html`<tr key=${i.start} data-label=${i.label}>
      <td>${i.label.slice(0, 16).replace("T", " ")}</td><td>${f.entered}</td><td>${f.ended}</td><td>${f.self_served}</td>
      <td>${pct(f.completion_rate)}</td><td>${f.to_queue}</td><td>${f.caller_hangups}</td><td>${f.invalid}</td>
      <td>${f.timeouts}</td><td>${f.lookup_errors}</td><td>${f.survey_average ?? "–"}</td></tr>`; })}
      ${intervals.length ? null : html`<tr><td colspan="11" class="muted">${t("ivr.none")}</td></tr>`}</tbody>
  </table>`;
}

/** One flow over the whole range: the node funnel, the menu choices, the hang-up points. */
function FlowDetail({ f }) {
  const top = Math.max(1, f.entered, ...f.nodes.map((n) => n.calls));
  const hangups = f.nodes.filter((n) => n.hangups).sort((a, b) => b.hangups - a.hangups);
  return html`<section class="stats-flow" data-flow=${f.flow}>
    <h3>${t("ivr.flow")} ${f.flow} <span class="muted">· ${t("ivrstats.entered")} ${f.entered} · ${t("ivrstats.completion_rate")} ${pct(f.completion_rate)}</span></h3>
    <div class="ivr-split">
      <table class="kv ivr-table stats-funnel">
        <caption>${t("ivrstats.funnel")}</caption>
        <thead><tr><th>${t("ivrstats.node")}</th><th>${t("ivrstats.calls")}</th><th></th><th>${t("ivrstats.entries")}</th>
          <th>${t("ivrstats.invalid")}</th><th>${t("ivrstats.timeouts")}</th><th>${t("ivrstats.lookup_errors")}</th></tr></thead>
        <tbody>${f.nodes.map((n) => html`<tr key=${n.node} data-node=${n.node}>
          <td>${n.node} <span class="muted">${n.type}</span></td><td>${n.calls}</td>
          <td class="stats-barcell"><span class="stats-bar" style=${`width:${(100 * n.calls) / top}%`}></span></td>
          <td>${n.entered}</td><td>${n.invalid}</td><td>${n.timeouts}</td><td>${n.lookup_errors}</td></tr>`)}</tbody>
      </table>
      <div>
        <table class="kv ivr-table stats-choices">
          <caption>${t("ivrstats.choices")}</caption>
          <thead><tr><th>${t("ivrstats.menu")}</th><th>${t("ivrstats.key")}</th><th>${t("ivrstats.to")}</th><th>${t("ivrstats.count")}</th></tr></thead>
          <tbody>${f.choices.map((c) => html`<tr data-node=${c.node} data-key=${c.key}>
            <td>${c.node}</td><td>${c.key}</td><td>${c.to}</td><td>${c.count}</td></tr>`)}
            ${f.choices.length ? null : html`<tr><td colspan="4" class="muted">${t("ivr.none")}</td></tr>`}</tbody>
        </table>
        <table class="kv ivr-table stats-hangups">
          <caption>${t("ivrstats.hangup_points")}</caption>
          <thead><tr><th>${t("ivrstats.node")}</th><th>${t("ivrstats.caller_hangups")}</th></tr></thead>
          <tbody>${hangups.map((n) => html`<tr data-node=${n.node}><td>${n.node} <span class="muted">${n.type}</span></td><td>${n.hangups}</td></tr>`)}
            ${hangups.length ? null : html`<tr><td colspan="2" class="muted">${t("ivr.none")}</td></tr>`}</tbody>
        </table>
      </div>
    </div>
  </section>`;
}

export default function Stats() {
  const [choice, setChoice] = useState({ interval: "hour", since: today(), until: today() });
  const [flows, setFlows] = useState([]);
  const [report, setReport] = useState(null);
  useEffect(() => { run(() => get("/ivr/flows")).then((l) => Array.isArray(l) && setFlows(l)); }, []);
  useEffect(() => { run(() => get(`/ivr/stats?${query(choice)}`)).then((r) => r && setReport(r)); }, [choice]);
  // the flows defined, and those the figures name (a flow since deleted, a subflow)
  const names = [...new Set([...flows.map((f) => f.name), ...(report?.whole.flows ?? []).map((f) => f.flow),
    choice.flow].filter(Boolean))].sort();
  const submit = (e) => { e.preventDefault(); setChoice(Object.fromEntries(new FormData(e.currentTarget))); };
  return html`<section class="panel ivr" id="ivr-stats-screen">
    <h2>${t("nav.ivr_stats")}</h2>
    <form id="stats-filter" class="buttons" onSubmit=${submit}>
      <label>${t("ivr.flow")} <select name="flow" value=${choice.flow || ""}>
        <option value="">${t("ivrstats.all_flows")}</option>
        ${names.map((n) => html`<option key=${n} value=${n}>${n}</option>`)}</select></label>
      <label>${t("ivrstats.interval")} <select name="interval" value=${choice.interval}>
        ${INTERVALS.map((i) => html`<option key=${i} value=${i}>${t(`ivrstats.every.${i}`)}</option>`)}</select></label>
      <label>${t("ivr.since")} <input type="date" name="since" value=${choice.since} /></label>
      <label>${t("ivr.until")} <input type="date" name="until" value=${choice.until} /></label>
      <button type="submit">${t("ivr.filter")}</button>
      <button type="button" id="stats-csv" onClick=${() => run(() => download(`/ivr/stats.csv?${query(choice)}`, "ivr-stats.csv"))}>CSV</button>
      <span class="muted" id="stats-zone">${report ? t("ivrstats.zone", { zone: report.timezone }) : ""}</span>
    </form>
    <p class="muted stats-definition" id="stats-definition">${t("ivrstats.definition")}</p>
    ${report ? html`
      <${Summary} figures=${report.whole.total} />
      <${Chart} intervals=${report.intervals} />
      <${Intervals} intervals=${report.intervals} />
      ${report.whole.flows.map((f) => html`<${FlowDetail} key=${f.flow} f=${f} />`)}` : null}
  </section>`;
}
