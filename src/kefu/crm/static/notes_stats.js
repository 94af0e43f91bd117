// Call-note statistics (统计分析), for supervisors and admins: how many notes of each type
// per type, agent, queue, day, week or month over a range of local days
// (GET /crm/notes/stats), as a table with a bar per row and a column per note type.

import { html } from "htm/preact";
import { useEffect, useState } from "preact/hooks";
import { get } from "/static/shell/api.js";
import { t } from "/static/shell/i18n.js";
import { choices } from "/static/shell/store.js";
import { run } from "/static/shell/util.js";
import { noteType } from "./timeline.js";

export const BY = ["type", "agent", "queue", "day", "week", "month"];

/** The form's choice as the API's query: local days, the last one included. */
export function query(f) {
  const q = new URLSearchParams({ by: f.by || "type" });
  if (f.since) q.set("since", String(new Date(`${f.since}T00:00`).getTime() / 1000));
  if (f.until) {
    const end = new Date(`${f.until}T00:00`);
    end.setDate(end.getDate() + 1);
    q.set("until", String(end.getTime() / 1000));
  }
  return q.toString();
}

function keyLabel(by, key, types) {
  if (by === "type") return noteType(key, types);
  if (by === "queue" && !key) return t("notestats.no_queue");
  return key;
}

export default function NotesStats() {
  const lists = choices.use();
  const [filters, setFilters] = useState({ by: "type" });
  const [rows, setRows] = useState(null);
  useEffect(() => { run(() => get(`/crm/notes/stats?${query(filters)}`)).then((x) => x && x !== true && setRows(x)); },
            [JSON.stringify(filters)]);
  const submit = (e) => { e.preventDefault(); setFilters(Object.fromEntries(new FormData(e.currentTarget))); };
  const types = lists?.note_types || [];
  const seen = [...new Set([...types.map((nt) => nt.name), ...(rows || []).flatMap((r) => Object.keys(r.types))])]
    .filter((name) => (rows || []).some((r) => r.types[name]));
  const max = Math.max(1, ...(rows || []).map((r) => r.total));
  return html`<section class="panel" id="notes-stats-screen">
    <h2>${t("nav.crm_notes")}</h2>
    <form class="buttons" id="notes-stats-filter" onSubmit=${submit}>
      <label>${t("notestats.by")} <select name="by" value=${filters.by}>
        ${BY.map((b) => html`<option key=${b} value=${b}>${t(`notestats.by.${b}`)}</option>`)}</select></label>
      <label>${t("qa.since")} <input type="date" name="since" /></label>
      <label>${t("qa.until")} <input type="date" name="until" /></label>
      <button type="submit">${t("notestats.show")}</button>
    </form>
    ${rows && html`<table class="grid" id="notes-stats" data-by=${filters.by}>
      <thead><tr><th>${t(`notestats.by.${filters.by}`)}</th><th>${t("notestats.total")}</th><th></th>
        ${seen.map((name) => html`<th key=${name} data-type=${name}>${noteType(name, types)}</th>`)}</tr></thead>
      <tbody>${rows.map((r) => html`<tr key=${r.key} data-key=${r.key}>
        <td>${keyLabel(filters.by, r.key, types)}</td><td class="num total">${r.total}</td>
        <td class="stats-bar-cell"><span class="stats-bar" style=${`width:${(100 * r.total) / max}%`}></span></td>
        ${seen.map((name) => html`<td key=${name} class="num" data-type=${name}>${r.types[name] || 0}</td>`)}</tr>`)}
      ${rows.length ? null : html`<tr><td colspan=${3 + seen.length} class="muted">${t("notestats.none")}</td></tr>`}</tbody>
    </table>`}
  </section>`;
}
