// The reports (系统报表): pick one of the reports the caller may run, set its filters (those
// GET /reports lists for it), see its charts (ECharts) and its table (sorted by a click on
// a header, the totals row last), and save it as CSV or Excel.  A row with a `drill` link
// opens its detail report here; 返回 goes back to the summary as it was.  What is open
// is kept for the sign-in (module signals), so a visit to another screen loses nothing.

import { html } from "htm/preact";
import { signal } from "@preact/signals";
import { useEffect, useState } from "preact/hooks";
import { download, errorText, get } from "/static/shell/api.js";
import { lang, t } from "/static/shell/i18n.js";
import { onSignOut } from "/static/shell/store.js";
import { run } from "/static/shell/util.js";
import { Charts } from "./charts.js";
import { FilterFields, catalog, loadCatalog, parseLink, query, shown, title, today } from "./common.js";

/** The views opened, the last shown: [{name, params}] (a drill pushes, 返回 pops). */
const views = signal([]);
onSignOut(() => { views.value = []; });
const CARRIED = ["from", "to", "business_hours", "weekdays"];   // kept when another report is picked

const current = () => views.value[views.value.length - 1];
const entryOf = (name) => (catalog.value || []).find((e) => e.name === name);

function pick(name) {
  const was = current()?.params ?? { from: today(), to: today() };
  const params = Object.fromEntries(CARRIED.filter((k) => was[k]).map((k) => [k, was[k]]));
  views.value = [{ name, params }];
}

/** The table: a click on a header sorts by it (again: the other way); totals stay last. */
function Table({ report, onDrill }) {
  const [sort, setSort] = useState(null);              // {key, dir: 1 | -1}
  useEffect(() => setSort(null), [report]);
  const cols = report.columns;
  const rows = [...report.rows];
  if (sort) {
    const kind = cols.find((c) => c.key === sort.key)?.kind;
    const num = kind !== "text" && kind !== "datetime" && kind !== "date";
    rows.sort((a, b) => {
      const x = a[sort.key], y = b[sort.key];
      if (x === null || x === undefined) return 1;       // empty last either way
      if (y === null || y === undefined) return -1;
      return sort.dir * (num ? Number(x) - Number(y) : String(x).localeCompare(String(y), lang.value));
    });
  }
  const by = (key) => setSort(sort?.key === key ? { key, dir: -sort.dir } : { key, dir: 1 });
  const mark = (key) => (sort?.key === key ? (sort.dir > 0 ? " ▲" : " ▼") : "");
  const totals = report.totals;
  return html`<div class="rp-table-box"><table class="kv rp-table" id="rp-table" data-report=${report.name}>
    <thead><tr>${cols.map((c) => html`<th key=${c.key} data-key=${c.key} class=${`sortable ${c.kind}`}
      aria-sort=${sort?.key === c.key ? (sort.dir > 0 ? "ascending" : "descending") : "none"}>
      <button type="button" class="link" onClick=${() => by(c.key)}>${title(c)}${mark(c.key)}</button></th>`)}</tr></thead>
    <tbody>${rows.map((r, i) => html`<tr key=${i} class=${r.drill ? "rp-row rp-drill" : "rp-row"}
        title=${r.drill ? t("rp.drill_hint") : ""} onClick=${r.drill ? () => onDrill(r.drill) : undefined}>
      ${cols.map((c) => html`<td key=${c.key} class=${c.kind} data-key=${c.key}>${shown(c.kind, r[c.key])}</td>`)}</tr>`)}
      ${rows.length ? null : html`<tr><td colspan=${cols.length} class="muted" id="rp-empty">${t("rp.no_rows")}</td></tr>`}</tbody>
    ${totals ? html`<tfoot><tr id="rp-totals">${cols.map((c, i) => html`<td key=${c.key} class=${c.kind} data-key=${c.key}>
      ${i === 0 && !totals[c.key] ? t("rp.total") : shown(c.kind, totals[c.key])}</td>`)}</tr></tfoot>` : null}
  </table></div>`;
}

function Viewer({ view, entry, depth }) {
  const [draft, setDraft] = useState(view.params);
  const [report, setReport] = useState(null);
  const [failed, setFailed] = useState(null);
  useEffect(() => setDraft(view.params), [view]);
  useEffect(() => {
    let live = true;
    setFailed(null);
    get(`/reports/${view.name}?${query(view.params)}`).then((r) => live && setReport(r),
      (err) => { if (live) { setReport(null); setFailed(errorText(err)); } });
    return () => { live = false; };
  }, [view]);
  const edit = (k, v) => setDraft({ ...draft, [k]: v });
  const submit = (e) => {
    e.preventDefault();
    views.value = [...views.value.slice(0, -1), { name: view.name, params: { ...draft } }];
  };
  const file = (ext) => run(() => download(`/reports/${view.name}.${ext}?${query({ ...view.params, lang: lang.value })}`,
    `${view.name}.${ext}`));
  const drill = (url) => { views.value = [...views.value, parseLink(url)]; };
  const back = () => { views.value = views.value.slice(0, -1); };
  const shownReport = report && report.name === view.name ? report : null;
  return html`<div class="rp-viewer" id="rp-viewer" data-report=${view.name} data-depth=${depth}>
    <div class="rp-head">
      ${depth > 1 ? html`<button type="button" class="link" id="rp-back" onClick=${back}>← ${t("rp.back")}</button>` : null}
      <h2 id="rp-title">${entry ? title(entry) : view.name}</h2>
      <span class="grow"></span>
      <button type="button" id="rp-csv" onClick=${() => file("csv")}>${t("rp.csv")}</button>
      <button type="button" id="rp-xlsx" onClick=${() => file("xlsx")}>${t("rp.xlsx")}</button>
    </div>
    <form id="rp-filter" class="rp-filter" onSubmit=${submit}>
      <${FilterFields} fields=${entry?.filters ?? []} params=${draft} onChange=${edit} />
      <button type="submit" id="rp-run">${t("rp.run")}</button>
    </form>
    ${failed ? html`<p class="error" id="rp-error">${failed}</p>` : null}
    ${shownReport ? html`
      ${shownReport.filters.truncated ? html`<p class="muted" id="rp-truncated">${t("rp.truncated")}</p>` : null}
      <${Charts} report=${shownReport} />
      <${Table} report=${shownReport} onDrill=${drill} />` : failed ? null : html`<p class="muted">${t("rp.loading")}</p>`}
  </div>`;
}

export default function Reports() {
  const [error, setError] = useState(null);
  useEffect(() => { loadCatalog().catch((err) => setError(errorText(err))); }, []);
  const list = catalog.value;
  useEffect(() => { if (list?.length && !views.value.length) pick(list[0].name); }, [list]);
  const view = current();
  return html`<section class="panel rp" id="rp-screen">
    <nav class="rp-list" id="rp-list" aria-label=${t("nav.reports")}>
      ${(list || []).map((e) => html`<button type="button" key=${e.name} data-name=${e.name}
        class=${view?.name === e.name && views.value.length === 1 ? "rp-pick active" : "rp-pick"}
        onClick=${() => pick(e.name)}>${title(e)}</button>`)}
      ${error ? html`<p class="error">${error}</p>` : null}
    </nav>
    ${view ? html`<${Viewer} key=${views.value.length} view=${view} entry=${entryOf(view.name)} depth=${views.value.length} />`
      : html`<p class="muted">${t("rp.loading")}</p>`}
  </section>`;
}
