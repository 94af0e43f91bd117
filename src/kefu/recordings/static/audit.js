// The recordings audit trail (录音审计) for admins: who played, downloaded, archived,
// deleted or exported which recording, when and from where, newest first, 100 a page;
// filters (from, to, user, recording) and the same filters as a CSV export.

import { html } from "htm/preact";
import { useEffect, useState } from "preact/hooks";
import { get } from "/static/shell/api.js";
import { label, t } from "/static/shell/i18n.js";
import { fmtTime, run } from "/static/shell/util.js";
import { download, epoch, query } from "./common.js";

const LIMIT = 100;

function params(f) {
  return { since: epoch(f.since), until: epoch(f.until), username: f.username?.trim(),
           recording: f.recording };
}

export default function Audit() {
  const [filters, setFilters] = useState({});
  const [offset, setOffset] = useState(0);
  const [rows, setRows] = useState(null);
  useEffect(() => {
    run(() => get(`/recordings/audit?${query({ ...params(filters), offset, limit: LIMIT })}`))
      .then((list) => Array.isArray(list) && setRows(list));
  }, [filters, offset]);
  const submit = (e) => {
    e.preventDefault();
    setFilters(Object.fromEntries(new FormData(e.currentTarget)));
    setOffset(0);
  };
  const exportCsv = () => run(() => download(`/recordings/audit.csv?${query(params(filters))}`, "recordings-audit.csv"));
  return html`<section class="panel rec" id="rec-audit">
    <h2>${t("nav.recordings_audit")}</h2>
    <form id="audit-filter" class="rec-filter" onSubmit=${submit}>
      <label><span>${t("rec.f.since")}</span><input type="datetime-local" name="since" /></label>
      <label><span>${t("rec.f.until")}</span><input type="datetime-local" name="until" /></label>
      <label><span>${t("rec.audit.user")}</span><input name="username" /></label>
      <label><span>${t("rec.audit.recording")}</span><input type="number" min="1" name="recording" /></label>
      <div class="buttons"><button type="submit" class="primary">${t("rec.search")}</button>
        <button type="button" id="audit-csv" onClick=${exportCsv}>${t("rec.export")}</button>
        <button type="button" id="audit-prev" disabled=${offset === 0}
                onClick=${() => setOffset(Math.max(0, offset - LIMIT))}>${t("page.prev")}</button>
        <button type="button" id="audit-next" disabled=${!rows || rows.length < LIMIT}
                onClick=${() => setOffset(offset + LIMIT)}>${t("page.next")}</button></div>
    </form>
    <table id="audit-table" class="kv rec-table">
      <thead><tr><th>${t("rec.audit.at")}</th><th>${t("rec.audit.user")}</th><th>${t("rec.audit.action")}</th>
        <th>${t("rec.audit.recording")}</th><th>${t("rec.audit.address")}</th><th>${t("rec.audit.detail")}</th></tr></thead>
      <tbody>${(rows ?? []).map((a) => html`<tr key=${a.id} data-id=${a.id} data-action=${a.action}>
        <td>${fmtTime(a.at)}</td><td>${a.username}</td><td>${label("rec.act", a.action)}</td>
        <td>${a.recording_id ? html`<a href=${`#/recordings/${a.recording_id}`}>${a.recording_id}</a>` : ""}</td>
        <td>${a.address}</td><td>${a.detail}</td></tr>`)}
        ${rows && !rows.length ? html`<tr><td colspan="6" class="muted">${t("rec.none")}</td></tr>` : null}
      </tbody>
    </table>
  </section>`;
}
