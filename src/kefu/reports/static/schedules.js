// Scheduled reports (定时报表), for supervisors and admins: the schedules (report, period,
// when, recipients, the next sending), a form to create or edit one (the report's filters
// as on the reports screen, less the dates the period sets), delete, send now, and each
// schedule's delivery log.  Without a mail server the API answers 409: said plainly here.

import { html } from "htm/preact";
import { useEffect, useState } from "preact/hooks";
import { ApiError, api, del, errorText, get, post } from "/static/shell/api.js";
import { t } from "/static/shell/i18n.js";
import { fmtTime, run, toast } from "/static/shell/util.js";
import { FilterFields, PERIOD_KEYS, catalog, loadCatalog, title } from "./common.js";

const PERIODS = ["yesterday", "last_week", "last_month"];
const FREQUENCIES = ["daily", "weekly", "monthly"];
const BLANK = { report: "", filters: {}, period: "yesterday", frequency: "daily", at: "07:00",
  weekday: 0, day: 1, recipients: "", lang: "zh", enabled: true };

const reportTitle = (name) => { const e = (catalog.value || []).find((x) => x.name === name); return e ? title(e) : name; };
const when = (s) => `${t(`rp.freq.${s.frequency}`)}${s.frequency === "weekly" ? ` ${t(`rp.wd.${s.weekday + 1}`)}`
  : s.frequency === "monthly" ? ` ${t("rp.day_n", { day: s.day })}` : ""} ${s.at}`;

/** A failure as the screen says it: a 409 is the missing mail server (or engine). */
const explain = (err) => (err instanceof ApiError && err.status === 409
  ? t("rp.no_mail", { detail: errorText(err) }) : errorText(err));

/** The form's values as the API's body (filters as the query's text, the period's left out). */
function body(f) {
  const filters = Object.fromEntries(Object.entries(f.filters)
    .filter(([k, v]) => v !== "" && v !== undefined && !PERIOD_KEYS.includes(k)));
  return { report: f.report, filters, period: f.period, frequency: f.frequency, at: f.at,
    weekday: f.frequency === "weekly" ? Number(f.weekday) : null,
    day: f.frequency === "monthly" ? Number(f.day) : null,
    recipients: f.recipients.split(/[\s,;]+/).filter(Boolean), lang: f.lang, enabled: f.enabled };
}

function Editor({ start, onDone, onCancel }) {
  const [f, setF] = useState(start);
  const [problem, setProblem] = useState(null);
  const set = (k) => (e) => setF({ ...f, [k]: e.currentTarget.type === "checkbox" ? e.currentTarget.checked : e.currentTarget.value });
  const entry = (catalog.value || []).find((e) => e.name === f.report);
  const fields = (entry?.filters ?? []).filter((k) => !PERIOD_KEYS.includes(k));
  const save = async (e) => {
    e.preventDefault();
    try {
      const saved = f.id ? await api("PATCH", `/report-schedules/${f.id}`, body(f)) : await post("/report-schedules", body(f));
      toast(t("rp.saved"));
      onDone(saved);
    } catch (err) {
      setProblem(explain(err));
    }
  };
  return html`<form class="rp-editor panel" id="rp-sched-form" onSubmit=${save}>
    <h3>${f.id ? t("rp.sched_edit", { id: f.id }) : t("rp.sched_new")}</h3>
    <div class="rp-fields">
      <label><span>${t("rp.report")}</span><select name="report" required value=${f.report}
        onChange=${(e) => setF({ ...f, report: e.currentTarget.value, filters: {} })}>
        <option value="">—</option>
        ${(catalog.value || []).map((r) => html`<option key=${r.name} value=${r.name}>${title(r)}</option>`)}</select></label>
      <label><span>${t("rp.period")}</span><select name="period" value=${f.period} onChange=${set("period")}>
        ${PERIODS.map((p) => html`<option key=${p} value=${p}>${t(`rp.period.${p}`)}</option>`)}</select></label>
      <label><span>${t("rp.frequency")}</span><select name="frequency" value=${f.frequency} onChange=${set("frequency")}>
        ${FREQUENCIES.map((p) => html`<option key=${p} value=${p}>${t(`rp.freq.${p}`)}</option>`)}</select></label>
      ${f.frequency === "weekly" ? html`<label><span>${t("rp.weekday")}</span><select name="weekday" value=${f.weekday} onChange=${set("weekday")}>
        ${[0, 1, 2, 3, 4, 5, 6].map((d) => html`<option key=${d} value=${d}>${t(`rp.wd.${d + 1}`)}</option>`)}</select></label>` : null}
      ${f.frequency === "monthly" ? html`<label><span>${t("rp.day")}</span>
        <input type="number" name="day" min="1" max="28" value=${f.day} onChange=${set("day")} /></label>` : null}
      <label><span>${t("rp.at")}</span><input type="time" name="at" required value=${f.at} onChange=${set("at")} /></label>
      <label><span>${t("rp.lang")}</span><select name="lang" value=${f.lang} onChange=${set("lang")}>
        <option value="zh">中文</option><option value="en">English</option></select></label>
      <label class="rp-inline"><input type="checkbox" name="enabled" checked=${f.enabled} onChange=${set("enabled")} />${t("rp.enabled")}</label>
      <label class="rp-wide"><span>${t("rp.recipients")}</span>
        <input name="recipients" required value=${f.recipients} placeholder="boss@example.com, ops@example.com" onInput=${set("recipients")} /></label>
    </div>
    ${fields.length ? html`<div class="rp-sub"><span class="muted">${t("rp.filters")}</span>
      <${FilterFields} fields=${fields} params=${f.filters} onChange=${(k, v) => setF({ ...f, filters: { ...f.filters, [k]: v } })} /></div>` : null}
    ${problem ? html`<p class="error" id="rp-sched-problem">${problem}</p>` : null}
    <div class="buttons"><button type="submit" id="rp-sched-save">${t("rp.save")}</button>
      <button type="button" onClick=${onCancel}>${t("rp.cancel")}</button></div>
  </form>`;
}

function Deliveries({ schedule }) {
  const [rows, setRows] = useState(null);
  useEffect(() => { run(() => get(`/report-schedules/${schedule.id}/deliveries`)).then((l) => setRows(l || [])); }, [schedule]);
  return html`<table class="kv rp-table rp-deliveries" id="rp-deliveries" data-id=${schedule.id}>
    <caption>${t("rp.deliveries", { id: schedule.id })}</caption>
    <thead><tr><th>${t("rp.d.at")}</th><th>${t("rp.d.trigger")}</th><th>${t("rp.d.slot")}</th><th>${t("rp.recipients")}</th>
      <th>${t("rp.d.result")}</th><th>${t("rp.d.file")}</th></tr></thead>
    <tbody>${(rows || []).map((d) => html`<tr key=${d.id} class=${d.ok ? "ok" : "failed"}>
      <td>${fmtTime(d.at)}</td><td>${t(`rp.trigger.${d.trigger}`)}</td><td>${d.slot ? fmtTime(d.slot) : "–"}</td>
      <td>${d.recipients.join(", ")}</td><td>${d.ok ? t("rp.d.ok") : html`<span class="error">${d.error}</span>`}</td>
      <td>${d.filename} ${d.size ? `(${Math.ceil(d.size / 1024)} KB)` : ""}</td></tr>`)}
      ${rows && !rows.length ? html`<tr><td colspan="6" class="muted">${t("rp.d.none")}</td></tr>` : null}</tbody>
  </table>`;
}

export default function Schedules() {
  const [list, setList] = useState(null);
  const [editing, setEditing] = useState(null);
  const [log, setLog] = useState(null);
  const [problem, setProblem] = useState(null);
  const load = () => get("/report-schedules").then(setList, (err) => setProblem(explain(err)));
  useEffect(() => { loadCatalog().catch((err) => setProblem(errorText(err))); load(); }, []);
  const remove = (s) => {
    if (!confirm(t("rp.delete_confirm", { id: s.id }))) return;
    run(() => del(`/report-schedules/${s.id}`), t("rp.deleted")).then((ok) => { if (ok) { if (log?.id === s.id) setLog(null); load(); } });
  };
  const sendNow = async (s) => {
    try {
      const d = await post(`/report-schedules/${s.id}/send-now`);
      toast(d.ok ? t("rp.sent") : t("rp.send_failed", { error: d.error }), d.ok ? "info" : "error");
      setLog({ ...s });
    } catch (err) { setProblem(explain(err)); }
  };
  const edit = (s) => setEditing({ ...s, recipients: s.recipients.join(", "), weekday: s.weekday ?? 0, day: s.day ?? 1,
    filters: Object.fromEntries(Object.entries(s.filters).map(([k, v]) => [k, Array.isArray(v) ? v.join(",") : String(v)])) });
  return html`<section class="panel rp" id="rp-schedules">
    <div class="rp-main">
      <div class="rp-head"><h2>${t("nav.reports_schedules")}</h2><span class="grow"></span>
        <button type="button" id="rp-sched-new" onClick=${() => { setProblem(null); setEditing({ ...BLANK }); }}>${t("rp.sched_new")}</button></div>
      ${problem ? html`<p class="error" id="rp-sched-error">${problem}</p>` : null}
      ${editing ? html`<${Editor} key=${editing.id ?? "new"} start=${editing} onCancel=${() => setEditing(null)}
        onDone=${() => { setEditing(null); setProblem(null); load(); }} />` : null}
      <table class="kv rp-table" id="rp-sched-table">
        <thead><tr><th>#</th><th>${t("rp.report")}</th><th>${t("rp.period")}</th><th>${t("rp.when")}</th>
          <th>${t("rp.recipients")}</th><th>${t("rp.next")}</th><th></th></tr></thead>
        <tbody>${(list || []).map((s) => html`<tr key=${s.id} data-id=${s.id} class=${s.enabled ? "" : "muted"}>
          <td>${s.id}</td><td>${reportTitle(s.report)}</td><td>${t(`rp.period.${s.period}`)}</td><td>${when(s)}</td>
          <td class="rp-recipients">${s.recipients.join(", ")}</td>
          <td>${s.enabled ? (s.next_at ? fmtTime(s.next_at) : "–") : t("rp.disabled")}
            ${s.failing_since ? html` <span class="error" title=${fmtTime(s.failing_since)}>${t("rp.failing")}</span>` : null}</td>
          <td class="rp-actions"><div class="buttons"><button type="button" class="edit" onClick=${() => edit(s)}>${t("rp.edit")}</button>
            <button type="button" class="log" onClick=${() => setLog(s)}>${t("rp.log")}</button>
            <button type="button" class="send" onClick=${() => sendNow(s)}>${t("rp.send_now")}</button>
            <button type="button" class="delete danger" onClick=${() => remove(s)}>${t("rp.delete")}</button></div></td></tr>`)}
          ${list && !list.length ? html`<tr><td colspan="7" class="muted" id="rp-sched-none">${t("rp.sched_none")}</td></tr>` : null}</tbody>
      </table>
      ${log ? html`<${Deliveries} schedule=${log} />` : null}
    </div>
  </section>`;
}
