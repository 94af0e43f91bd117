// What the tickets screens share: the style sheet, a label in the shown language (the API
// gives label_zh and label_en), the SLA badge, the ticket types (one list for every
// screen), queues and agents for the group and assignee choices, the multipart upload
// and authorised download the JSON client does not make, and the query string of a form.

import { html } from "htm/preact";
import { signal } from "@preact/signals";
import { get, send } from "/static/shell/api.js";
import { lang, t } from "/static/shell/i18n.js";
import { onSignOut } from "/static/shell/store.js";
import { fmtDuration, fmtTime, now } from "/static/shell/util.js";

const CSS = "/static/tickets/tickets.css";
if (!document.querySelector(`link[href="${CSS}"]`)) {
  document.head.append(Object.assign(document.createElement("link"), { rel: "stylesheet", href: CSS }));
}

export const PRIORITIES = ["low", "normal", "high", "urgent"];
export const STATE_KINDS = ["open", "waiting", "closed"];
/** The ticket's own fields a transition may require (the rest are the type's custom fields). */
export const TICKET_FIELDS = ["assignee", "group", "priority", "due_at", "comment"];

/** `obj.label_zh` or `obj.label_en` as the language is, else its name. */
export function lbl(obj, field = "label") {
  if (!obj) return "";
  return (lang.value === "zh" ? obj[`${field}_zh`] || obj[`${field}_en`] : obj[`${field}_en`] || obj[`${field}_zh`])
    || obj.name || "";
}

export const priorityText = (p) => t(`tk.prio.${p}`);

/** The ticket types (GET /ticket-types), loaded once and again after an edit. */
export const types = signal(null);
export const typesFailed = signal(null);
let loadingTypes = null;
export function loadTypes(force = false) {
  if (loadingTypes && !force) return loadingTypes;
  loadingTypes = get("/ticket-types").then((list) => { types.value = list; typesFailed.value = null; return list; },
    (err) => { typesFailed.value = err; loadingTypes = null; return []; });
  return loadingTypes;
}
export const typeNamed = (name) => (types.value || []).find((x) => x.name === name);

/** Queue names (the groups) and agents' usernames: choices for group and assignee. */
export const groups = signal([]);
export const agents = signal([]);
let peopleLoaded = false;
export function loadPeople() {
  if (peopleLoaded) return;
  peopleLoaded = true;
  get("/queues").then((qs) => { groups.value = qs.map((q) => q.name); }, () => {});
  get("/agents").then((as) => { agents.value = as.map((a) => a.username); }, () => {});
}
onSignOut(() => { types.value = null; loadingTypes = null; peopleLoaded = false; groups.value = []; agents.value = []; });

/** <datalist>s of the groups and the agents (inputs name them with list=…). */
export function PeopleLists() {
  return html`<datalist id="tk-groups">${groups.value.map((g) => html`<option key=${g} value=${g} />`)}</datalist>
    <datalist id="tk-agents">${agents.value.map((a) => html`<option key=${a} value=${a} />`)}</datalist>`;
}

/** "2h 05m" of a span of seconds (days when longer). */
export function span(seconds) {
  const s = Math.abs(seconds);
  if (s >= 86400) return `${Math.floor(s / 86400)}d ${Math.floor((s % 86400) / 3600)}h`;
  if (s >= 3600) return `${Math.floor(s / 3600)}h ${String(Math.floor((s % 3600) / 60)).padStart(2, "0")}m`;
  return fmtDuration(s);
}

/** One SLA clock `{due_at, state}`: its state, and the time left or overdue while it runs. */
export function SlaBadge({ clock, which }) {
  if (!clock || !clock.state || clock.state === "none") return null;
  const { state, due_at: due } = clock;
  let left = "";
  if (due && (state === "running" || state === "warning" || state === "breached")) {
    const rest = due - now.value / 1000;
    left = rest >= 0 ? t("tk.sla_left", { t: span(rest) }) : t("tk.sla_over", { t: span(rest) });
  }
  return html`<span class=${`tk-sla ${state}`} data-which=${which} data-state=${state}
      title=${`${t(`tk.sla_${which}`)}${due ? ` · ${fmtTime(due)}` : ""}`}>
    ${t(`tk.sla_${which}_short`)} ${t(`tk.sla.${state}`)}${left ? ` ${left}` : ""}</span>`;
}

/** Both clocks of a ticket; the resolution one alone once the first response is met. */
export function SlaBadges({ sla }) {
  if (!sla) return null;
  const first = sla.first_response?.state === "met" ? null : sla.first_response;
  return html`<span class="tk-slas"><${SlaBadge} clock=${first} which="first_response" />
    <${SlaBadge} clock=${sla.resolution} which="resolution" /></span>`;
}

export function StateBadge({ ticket }) {
  return html`<span class=${`tk-state ${ticket.state_kind}`} data-state=${ticket.state}>
    ${lang.value === "zh" ? ticket.state_label_zh || ticket.state : ticket.state_label_en || ticket.state}</span>`;
}

export const typeLabel = (ticket) =>
  (lang.value === "zh" ? ticket.type_label_zh || ticket.type : ticket.type_label_en || ticket.type);

/** `{name: value}` as a query string, empty values left out. */
export function query(params) {
  const q = new URLSearchParams();
  for (const [name, value] of Object.entries(params)) {
    if (value !== undefined && value !== null && value !== "" && value !== false) q.append(name, String(value));
  }
  return q.toString();
}

/** A datetime-local value as epoch seconds, "" → null; and back. */
export const epoch = (value) => (value ? new Date(value).getTime() / 1000 : null);
export function localInput(ts) {
  if (!ts) return "";
  const d = new Date(ts * 1000), p = (n) => String(n).padStart(2, "0");
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}T${p(d.getHours())}:${p(d.getMinutes())}`;
}

export { upload } from "/static/shell/api.js";

/** Save an authorised file under `filename` (a link cannot carry the token). */
export async function download(path, filename) {
  const url = URL.createObjectURL(await (await send("GET", path)).blob());
  const a = Object.assign(document.createElement("a"), { href: url, download: filename });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10000);
}

/** 1536 → "1.5 KB" */
export function size(bytes) {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}

/** A 404 from the tickets API: not in this kefu yet (shown as a note, not as an error). */
export const missing = (err) => err?.status === 404 || err?.status === 405;
