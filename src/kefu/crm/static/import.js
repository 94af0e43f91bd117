// Import customers (导入客户), #/customers/import, for admins and supervisors: pick a CSV
// (UTF-8) or Excel (.xlsx) file, upload it, watch the job's progress (polled each second
// until it is done or failed), then the rows that failed with why, and errors.csv.  A job
// in progress is remembered in the module: leaving the screen and coming back shows it.

import { html } from "htm/preact";
import { useEffect, useState } from "preact/hooks";
import { signal } from "@preact/signals";
import { get } from "/static/shell/api.js";
import { t } from "/static/shell/i18n.js";
import { onSignOut } from "/static/shell/store.js";
import { run } from "/static/shell/util.js";
import { authorised, download } from "./customers.js";

const POLL_MS = 1000;
const ACCEPT = ".csv,.xlsx,text/csv,application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";
// the headers the import reads (Chinese or English), besides custom fields' names or labels
const HEADERS = [["姓名", "name"], ["电话", "phone"], ["邮箱", "email"], ["公司", "company"],
                 ["生日", "birthday"], ["地址", "address"], ["等级", "tier"], ["标签", "tags"],
                 ["负责人", "owner"], ["备注", "notes"]];

const job = signal(null);                 // {id, file, status: the API's job, or null}
onSignOut(() => { job.value = null; });

let polling = 0;

async function poll(id) {
  const mine = ++polling;
  for (;;) {
    const status = await run(() => get(`/customers/import/${id}`));
    if (mine !== polling || job.peek()?.id !== id) return;
    if (status) job.value = { ...job.peek(), status };
    if (!status || status.state !== "running") return;
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
}

async function upload(file) {
  const body = new FormData();
  body.append("file", file);
  const out = await run(async () => (await authorised("/customers/import", { method: "POST", body })).json());
  if (!out?.job_id) return;
  job.value = { id: out.job_id, file: file.name, status: { state: "running", total: 0, done: 0 } };
  poll(out.job_id);
}

function Progress({ s }) {
  const pct = s.total ? Math.round((100 * s.done) / s.total) : 0;
  return html`<div id="crm-import-progress" data-state=${s.state}>
    <progress class="crm-progress" max=${s.total || 1} value=${s.total ? s.done : 0} />
    <p><b>${t(`crm.import_state.${s.state}`)}</b>
      ${" "}${t("crm.import_counts", { done: s.done ?? 0, total: s.total ?? 0, pct })}
      ${s.state !== "running" ? html`${" · "}<span id="crm-import-summary">${t("crm.import_result",
        { created: s.created ?? 0, updated: s.updated ?? 0, failed: s.failed ?? 0 })}</span>` : null}</p>
  </div>`;
}

function Errors({ id, errors }) {
  if (!errors?.length) return null;
  const save = (e) => { e.preventDefault(); run(() => download(`/customers/import/${id}/errors.csv`, "errors.csv")); };
  return html`<h3>${t("crm.import_errors")}</h3>
    <p><a href=${`/api/v1/customers/import/${id}/errors.csv`} id="crm-import-errors-csv" onClick=${save}>errors.csv</a></p>
    <table class="kv crm-table" id="crm-import-errors">
      <thead><tr><th>${t("crm.import_row")}</th><th>${t("crm.import_column")}</th><th>${t("crm.import_message")}</th></tr></thead>
      <tbody>${errors.map((e, i) => html`<tr key=${i} data-row=${e.row}><td class="num">${e.row}</td>
        <td>${e.column}</td><td class="wrap">${e.message}</td></tr>`)}</tbody>
    </table>`;
}

function Help() {
  return html`<details class="crm-help" id="crm-import-help" open>
    <summary>${t("crm.import_help_title")}</summary>
    <p class="small">${t("crm.import_help")}</p>
    <table class="kv"><thead><tr><th>中文</th><th>English</th></tr></thead>
      <tbody>${HEADERS.map(([zh, en]) => html`<tr key=${en}><td>${zh}</td><td><code>${en}</code></td></tr>`)}</tbody></table>
  </details>`;
}

export default function Import() {
  const [file, setFile] = useState(null);
  const [busy, setBusy] = useState(false);
  const current = job.value;
  // back on the screen while a job runs: follow it again
  useEffect(() => { if (current?.status?.state === "running") poll(current.id); return () => { polling++; }; }, []);
  const submit = async (e) => {
    e.preventDefault();
    if (!file) return;
    setBusy(true);
    try { await upload(file); } finally { setBusy(false); }
  };
  return html`<section class="panel crm" id="crm-import">
    <div class="buttons"><a href="#/customers">← ${t("crm.back")}</a>
      <h2 style="margin:0 0 0 12px">${t("nav.customers_import")}</h2></div>
    <div class="crm-page">
      <div>
        <form id="crm-import-form" onSubmit=${submit}>
          <label><span>${t("crm.import_file")}</span>
            <input type="file" name="file" accept=${ACCEPT} onChange=${(e) => setFile(e.currentTarget.files[0] ?? null)} /></label>
          <div class="buttons"><button type="submit" class="primary" id="crm-import-upload"
            disabled=${!file || busy || current?.status?.state === "running"}>${t("crm.import_upload")}</button></div>
        </form>
        ${current ? html`<p class="muted small">${t("crm.import_job", { file: current.file, id: current.id })}</p>
          <${Progress} s=${current.status} /><${Errors} id=${current.id} errors=${current.status.errors} />` : null}
      </div>
      <${Help} />
    </div>
  </section>`;
}
