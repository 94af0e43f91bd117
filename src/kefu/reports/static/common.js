// What the reports screens share: the style sheet, the reports the caller may run
// (GET /reports, with the filters each reads), the choice lists of the filters (queues,
// agents, extensions from their own endpoints), the filter form built from a report's
// filters, and a value shown by its column's kind (percent, seconds as m:ss, local time).

import { html } from "htm/preact";
import { signal } from "@preact/signals";
import { get } from "/static/shell/api.js";
import { lang, t } from "/static/shell/i18n.js";
import { onSignOut } from "/static/shell/store.js";
import { fmtDuration, fmtTime } from "/static/shell/util.js";

const CSS = "/static/reports/reports.css";
if (!document.querySelector(`link[href="${CSS}"]`)) {
  document.head.append(Object.assign(document.createElement("link"), { rel: "stylesheet", href: CSS }));
}

export const GRAINS = ["15m", "hour", "day", "weekday"];
/** The filters a period sets in a scheduled report (the API refuses them there). */
export const PERIOD_KEYS = ["from", "to"];

/** A report's or a column's title in the shown language (the API gives both). */
export const title = (x) => (lang.value === "zh" ? x.title_zh ?? x.label_zh : x.title_en ?? x.label_en) ?? x.name ?? x.key;

/** The reports the caller may run, loaded once per sign-in. */
export const catalog = signal(null);
/** The filters' choices: {queues, agents, extensions} (names), each [] when not readable. */
export const picks = signal({ queues: [], agents: [], extensions: [] });
let loading = null;
export function loadCatalog() {
  if (!loading) {
    // only the lists some report filters by (an agent has no extension reports)
    loading = get("/reports").then(async (list) => {
      const wanted = new Set(list.flatMap((r) => r.filters));
      const names = (filter, path, key) => (wanted.has(filter)
        ? get(path).then((l) => l.map((x) => x[key]).sort(), () => []) : Promise.resolve([]));
      const [queues, agents, extensions] = await Promise.all([names("queues", "/queues", "name"),
        names("agents", "/agents", "username"), names("extensions", "/extensions", "number")]);
      catalog.value = list;
      picks.value = { queues, agents, extensions };
    }, (err) => { loading = null; throw err; });
  }
  return loading;
}
onSignOut(() => { loading = null; catalog.value = null; picks.value = { queues: [], agents: [], extensions: [] }; });

export const today = () => {
  const d = new Date();
  return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, "0")}-${String(d.getDate()).padStart(2, "0")}`;
};

/** The query string of `params` (empty values left out). */
export function query(params) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== "") q.set(k, String(v));
  return q.toString();
}

/** A report URL the API gave (a row's `drill`) as {name, params}. */
export function parseLink(url) {
  const [path, search = ""] = url.split("?");
  return { name: path.split("/").pop(), params: Object.fromEntries(new URLSearchParams(search)) };
}

const list = (v) => (v ? String(v).split(",").filter(Boolean) : []);

/** One multiple choice (queues, groups, agents, extensions) kept as comma-separated text,
 *  as the API reads it; a value not in the list (a drill's agent) still shows. */
function Many({ name, value, choices, onChange }) {
  const chosen = list(value);
  const all = [...new Set([...choices, ...chosen])];
  const pick = (e) => onChange(name, [...e.currentTarget.selectedOptions].map((o) => o.value).join(","));
  return html`<label class="rp-many"><span>${t(`rp.f.${name}`)}</span>
    <select multiple name=${name} size="3" onChange=${pick} title=${t("rp.many_hint")}>
      ${all.map((c) => html`<option key=${c} value=${c} selected=${chosen.includes(c)}>${c}</option>`)}
    </select></label>`;
}

/** The filters `fields` (the report's, as GET /reports lists them) over `params` (the API's
 *  query values as text); `onChange(key, value)` for each edit. Dates: a whole day, or a
 *  date and time when the value has one (a drill's exact range). */
export function FilterFields({ fields, params, onChange }) {
  const has = (k) => fields.includes(k);
  const set = (k) => (e) => onChange(k, e.currentTarget.value);
  const day = (k) => {
    const v = params[k] || "";
    const exact = v.includes("T");
    return html`<label><span>${t(`rp.f.${k}`)}</span>
      <input type=${exact ? "datetime-local" : "date"} name=${k} value=${exact ? v.slice(0, 16) : v} onChange=${set(k)} /></label>`;
  };
  const days = list(params.weekdays).map(Number);
  const toggleDay = (d) => onChange("weekdays", (days.includes(d) ? days.filter((x) => x !== d) : [...days, d]).sort().join(","));
  const hours = params.business_hours || "";
  const p = picks.value;
  return html`<div class="rp-fields">
    ${has("from") ? day("from") : null}${has("to") ? day("to") : null}
    ${has("queues") ? html`<${Many} name="queues" value=${params.queues} choices=${p.queues} onChange=${onChange} />` : null}
    ${has("groups") ? html`<${Many} name="groups" value=${params.groups} choices=${p.queues} onChange=${onChange} />` : null}
    ${has("agents") ? html`<${Many} name="agents" value=${params.agents} choices=${p.agents} onChange=${onChange} />` : null}
    ${has("extensions") ? html`<${Many} name="extensions" value=${params.extensions} choices=${p.extensions} onChange=${onChange} />` : null}
    ${has("interval") ? html`<label><span>${t("rp.f.interval")}</span>
      <select name="interval" value=${params.interval || "hour"} onChange=${set("interval")}>
        ${GRAINS.map((g) => html`<option key=${g} value=${g}>${t(`rp.grain.${g}`)}</option>`)}</select></label>` : null}
    ${has("business_hours") ? html`<label class="rp-hours"><span>${t("rp.f.business_hours")}</span>
      <span class="rp-inline"><input type="checkbox" name="business_hours_on" checked=${!!hours}
        onChange=${(e) => onChange("business_hours", e.currentTarget.checked ? "09:00-18:00" : "")} />
      <input name="business_hours" value=${hours} disabled=${!hours} placeholder="09:00-18:00" size="11"
        pattern="\\d{1,2}:\\d{2}-\\d{1,2}:\\d{2}" onChange=${set("business_hours")} /></span></label>` : null}
    ${has("weekdays") ? html`<fieldset class="rp-weekdays"><legend>${t("rp.f.weekdays")}</legend>
      ${[1, 2, 3, 4, 5, 6, 7].map((d) => html`<label key=${d}><input type="checkbox" name="weekday" value=${d}
        checked=${days.includes(d)} onChange=${() => toggleDay(d)} />${t(`rp.wd.${d}`)}</label>`)}</fieldset>` : null}
  </div>`;
}

/** A value as its column's kind shows it. */
export function shown(kind, v) {
  if (v === null || v === undefined || v === "") return "–";
  switch (kind) {
    case "percent": return `${(Number(v) * 100).toFixed(1)}%`;
    case "seconds": return fmtDuration(Number(v));
    case "datetime": return fmtTime(v);
    case "int": return Number(v).toLocaleString();
    case "float": return Number(v).toFixed(2);
    default: return String(v);
  }
}
