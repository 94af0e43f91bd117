// Customers (客户): #/customers is the list — a search box (a name, a number in any
// spelling, an e-mail), filters (tag, tier, owner), pages, a new customer, export to CSV or
// Excel (admins and supervisors) — and the routes below it: #/customers/new and
// #/customers/{id} (customer_page.js, loaded when first opened), #/customers/{id}/duplicates
// (the same page, at its duplicates), #/customers/duplicates (the likely duplicates across
// all customers).  The search is kept in module signals: back from a customer, the same
// page of results is there (and asked again).  The helpers at the top are the customer screens' shared ones.

import { html } from "htm/preact";
import { useEffect, useState } from "preact/hooks";
import { signal } from "@preact/signals";
import { ApiError, get, send, session } from "/static/shell/api.js";
import { t } from "/static/shell/i18n.js";
import { navigate, redirect, route } from "/static/shell/router.js";
import { onSignOut, user } from "/static/shell/store.js";
import { Pager as SharedPager, fmtTime, run, toast } from "/static/shell/util.js";

// --- shared by the customer screens ----------------------------------------------------

const STYLE = `
section.crm { margin: 14px; }
.crm-filter { display: grid; grid-template-columns: 2fr repeat(3, 1fr) auto; gap: 6px 10px; align-items: end; }
.crm-filter label { margin: 0; } .crm-filter label > input { width: 100%; }
.crm-table { width: 100%; } .crm-table td, .crm-table th { white-space: nowrap; }
.crm-table td.wrap { white-space: normal; }
.crm-table tbody tr.crm-row { cursor: pointer; } .crm-table tbody tr.crm-row:hover { background: #f0f5ff; }
.crm-chip { display: inline-flex; align-items: center; gap: 2px; padding: 0 7px; margin: 0 4px 3px 0;
  border-radius: 10px; background: #eef2ff; color: #3b4cb8; font-size: 12px; line-height: 20px; white-space: nowrap; }
.crm-table td.num { width: 4em; text-align: right; }
.crm-chip button { border: 0; background: none; padding: 0 0 0 2px; color: inherit; cursor: pointer; line-height: 1; }
.crm-chip.reason { background: #fff1d6; color: #8a5300; }
#crm-timeline { margin-top: 14px; }
.crm-page { display: grid; grid-template-columns: minmax(0, 1.35fr) minmax(0, 1fr); gap: 14px; align-items: start; }
.crm-form { display: grid; grid-template-columns: repeat(2, minmax(0, 1fr)); gap: 4px 12px; }
.crm-form label { display: flex; margin: 0 0 6px; } .crm-form .wide { grid-column: 1 / -1; }
.crm-form label > input, .crm-form label > select, .crm-form label > textarea { width: 100%; box-sizing: border-box; }
.crm-form .field-error, .crm-error { color: var(--danger, #b42318); font-size: 12px; min-height: 0; }
.crm-form .invalid > input, .crm-form .invalid > select, .crm-form .invalid > textarea,
.crm-form .invalid .crm-phone input { border-color: var(--danger, #b42318); }
.crm-phone { display: flex; gap: 6px; margin-bottom: 4px; } .crm-phone input { flex: 1; min-width: 0; }
.crm-chips-box { display: flex; flex-wrap: wrap; align-items: center; gap: 2px; border: 1px solid var(--line);
  border-radius: 4px; padding: 3px 4px; background: #fff; }
.crm-chips-box input { border: 0; outline: 0; flex: 1; min-width: 8em; padding: 2px; }
.crm-req { color: var(--danger, #b42318); }
.crm-progress { width: 100%; height: 16px; }
.crm-help td, .crm-help th { font-size: 12px; }
@media (max-width: 1100px) { .crm-page { grid-template-columns: 1fr; } }
`;
if (!document.getElementById("crm-screens-style")) {
  document.head.append(Object.assign(document.createElement("style"), { id: "crm-screens-style", textContent: STYLE }));
}

/** Who may change customers (QA reads only), and who may delete, merge, export, import. */
export const canWrite = (role) => ["admin", "supervisor", "agent"].includes(role);
export const canManage = (role) => ["admin", "supervisor"].includes(role);
export const role = () => user.value?.role ?? session()?.role;

/** `{name: value}` as a query string, empty values left out. */
export function query(params) {
  const q = new URLSearchParams();
  for (const [name, value] of Object.entries(params)) {
    if (value !== undefined && value !== null && String(value).trim() !== "") q.append(name, String(value).trim());
  }
  return q.toString();
}

/** fetch under /api/v1 with the token (`{method, body, headers}`); the Response, or
 *  ApiError with the reason (the shell's `send`). */
export const authorised = (path, { method = "GET", body, headers } = {}) => send(method, path, body, headers);

/** Save an authorised file (an export, an import's errors.csv) as `filename`. */
export async function download(path, filename) {
  const res = await authorised(path);
  const url = URL.createObjectURL(await res.blob());
  const a = Object.assign(document.createElement("a"), { href: url, download: filename });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10000);
}

/** A 422's reasons by field: `{name: message}` (a nested place as "numbers.0", "fields.x";
 *  "" for the reason that names no field).  Pydantic's list names the place (`loc`); the
 *  service's sentence starts with the field's name ("owner bob is not a user"). */
export function fieldErrors(err, names = []) {
  const out = {};
  const detail = err instanceof ApiError ? err.detail : String(err?.message ?? err);
  if (Array.isArray(detail)) {
    for (const e of detail) {
      const loc = (e.loc || []).filter((p) => p !== "body");
      const key = loc.length ? loc.slice(0, 2).join(".") : "";
      out[key] = out[key] ? `${out[key]}; ${e.msg}` : e.msg;
    }
    return out;
  }
  const text = typeof detail === "string" ? detail : JSON.stringify(detail);
  const named = [...names].sort((a, b) => b.length - a.length)
    .find((n) => text.startsWith(`${n} `) || text.startsWith(`${n}:`) || text.includes(` ${n} `) || text.includes(`'${n}'`));
  out[named ?? ""] = text;
  return out;
}

/** The tags (or e-mails, reasons) as chips; `onRemove(value)` adds a × to each. */
export function Chips({ values, onRemove, kind = "", label = (v) => v }) {
  return (values || []).map((v) => html`<span key=${v} class=${`crm-chip ${kind}`} data-value=${v}>${label(v)}
    ${onRemove ? html`<button type="button" title=${t("crm.remove")} onClick=${() => onRemove(v)}>×</button>` : null}</span>`);
}

/** A customer's numbers as text: "+8613800138000, +861065529988 ext. 12". */
export function numbersText(c) {
  const phones = c.phones ?? (c.numbers || []).map((number) => ({ number, extension: "" }));
  return phones.map((p) => (p.extension ? `${p.number} ext. ${p.extension}` : p.number)).join(", ");
}

/** The screen of a route below #/customers, loaded when first opened. */
function Lazy({ load, ...props }) {
  const [Screen, setScreen] = useState(null);
  useEffect(() => { load().then((m) => setScreen(() => m.default), (err) => toast(String(err), "error")); }, []);
  return Screen ? html`<${Screen} ...${props} />` : null;
}
const loadPage = () => import("./customer_page.js");

// --- the list --------------------------------------------------------------------------

const SIZES = [20, 50, 100];
const filters = signal({});               // the form's values as typed
const paging = signal({ offset: 0, limit: 50 });
const results = signal(null);             // {items, total, offset, limit, fallback}
onSignOut(() => { filters.value = {}; results.value = null; paging.value = { offset: 0, limit: 50 }; });

/** The API's filters of the form's values. */
export const searchParams = (f) => ({ q: f.q, tag: f.tag, tier: f.tier, owner: f.owner });

/** Whether an error says the route is not in this kefu (GET /customers/search not built:
 *  /customers/{id} answers for "search" that it is no id). */
const notBuilt = (err) => err instanceof ApiError && ([404, 405, 501].includes(err.status)
  || (err.status === 422 && Array.isArray(err.detail) && err.detail.some((e) => e.loc?.[0] === "path")));

let searching = 0;                        // answers to older searches are dropped

export async function search() {
  const mine = ++searching;
  const asked = paging.value;
  const f = filters.value;
  let page;
  try {
    page = await get(`/customers/search?${query({ ...searchParams(f), ...asked })}`);
  } catch (err) {
    if (!notBuilt(err)) { run(() => Promise.reject(err)); return; }
    // a kefu without the search: the screen pop's look-up by number
    const items = f.q?.trim() ? (await run(() => get(`/customers?${query({ number: f.q })}`))) || [] : [];
    page = { items, total: items.length, fallback: true };
  }
  if (mine === searching) results.value = { ...page, ...asked };
}

function Filters() {
  const f = filters.value;
  const submit = (e) => {
    e.preventDefault();
    filters.value = Object.fromEntries(new FormData(e.currentTarget));
    paging.value = { ...paging.value, offset: 0 };
    search();
  };
  const reset = () => { filters.value = {}; paging.value = { ...paging.value, offset: 0 }; search(); };
  const field = (name, attrs = {}) => html`<label><span>${t(`crm.f.${name}`)}</span>
    <input name=${name} value=${f[name] ?? ""} ...${attrs} /></label>`;
  return html`<form id="crm-filter" class="crm-filter" onSubmit=${submit} onReset=${reset}>
    ${field("q", { type: "search", placeholder: t("crm.q_hint"), autofocus: true })}
    ${field("tag")} ${field("tier")} ${field("owner")}
    <div class="buttons"><button type="submit" class="primary">${t("crm.search")}</button>
      <button type="reset">${t("crm.reset")}</button></div>
  </form>`;
}

function Pager() {
  const page = results.value;
  const go = (next) => { paging.value = { ...paging.value, ...next }; search(); };
  return html`<${SharedPager} prefix="crm" page=${page} sizes=${SIZES} onGo=${go} none="crm.none">
    ${page?.fallback ? html`<span class="muted" id="crm-fallback">${t("crm.search_by_number")}</span>` : null}
  <//>`;
}

function Exports() {
  const save = (format) => run(() => download(
    `/customers/export?${query({ format, ...searchParams(filters.value) })}`, `customers.${format}`));
  return html`<button type="button" id="crm-export-csv" onClick=${() => save("csv")}>${t("crm.export_csv")}</button>
    <button type="button" id="crm-export-xlsx" onClick=${() => save("xlsx")}>${t("crm.export_xlsx")}</button>`;
}

function List() {
  useEffect(() => { search(); }, []);     // the same search again: a customer may have changed
  const page = results.value;
  const r = role();
  return html`<section class="panel crm" id="crm-list">
    <div class="buttons"><h2 style="margin:0 12px 0 0">${t("nav.customers")}</h2>
      ${canWrite(r) ? html`<button type="button" class="primary" id="crm-new"
          onClick=${() => navigate("/customers/new")}>${t("crm.new")}</button>` : null}
      <a href="#/customers/duplicates" id="crm-duplicates-link">${t("crm.duplicates_all")}</a>
      ${canManage(r) ? html`<a href="#/customers/import" id="crm-import-link">${t("nav.customers_import")}</a>
        <${Exports} />` : null}
    </div>
    <${Filters} />
    <${Pager} />
    <table id="crm-table" class="kv crm-table">
      <thead><tr><th>${t("crm.name")}</th><th>${t("crm.numbers")}</th><th>${t("crm.company")}</th>
        <th>${t("crm.tier")}</th><th>${t("crm.owner")}</th><th>${t("crm.tags")}</th>
        <th>${t("crm.updated_at")}</th><th></th></tr></thead>
      <tbody>${(page?.items ?? []).map((c) => html`<tr key=${c.id} data-id=${c.id} class="crm-row"
          onClick=${() => navigate(`/customers/${c.id}`)}>
        <td><a href=${`#/customers/${c.id}`}>${c.name || t("crm.unnamed")}</a></td>
        <td class="wrap">${numbersText(c)}</td><td>${c.company}</td><td>${c.tier}</td><td>${c.owner}</td>
        <td class="wrap"><${Chips} values=${c.tags} /></td><td>${fmtTime(c.updated_at)}</td>
        <td><a href=${`#/customers/${c.id}/duplicates`} class="dups" onClick=${(e) => e.stopPropagation()}>${t("crm.duplicates")}</a></td>
      </tr>`)}
      ${page && !page.items.length ? html`<tr><td colspan="8" class="muted">${t("crm.none")}</td></tr>` : null}</tbody>
    </table>
  </section>`;
}

// --- likely duplicates across all customers (GET /customers/duplicates) -----------------

function AllDuplicates() {
  const [groups, setGroups] = useState(null);
  const [missing, setMissing] = useState(false);
  useEffect(() => {
    get("/customers/duplicates?limit=100").then(setGroups, (err) => {
      if (notBuilt(err)) setMissing(true); else run(() => Promise.reject(err));
    });
  }, []);
  // a group: {customers: [CustomerOut], reasons: [..]}, or a plain list of customers
  const members = (g) => (Array.isArray(g) ? g : g.customers ?? g.items ?? []);
  return html`<section class="panel crm" id="crm-all-duplicates">
    <div class="buttons"><a href="#/customers">← ${t("crm.back")}</a>
      <h2 style="margin:0 0 0 12px">${t("crm.duplicates_all")}</h2></div>
    ${missing ? html`<p class="muted">${t("crm.unavailable")}</p>` : null}
    ${groups && !groups.length ? html`<p class="muted" id="crm-no-duplicates">${t("crm.no_duplicates")}</p>` : null}
    ${(groups || []).map((g, i) => html`<table key=${i} class="kv crm-table crm-group">
      <caption><${Chips} kind="reason" values=${g.reasons || []} label=${(v) => t(`crm.reason.${v}`)} /></caption>
      <tbody>${members(g).map((c) => html`<tr key=${c.id} class="crm-row" data-id=${c.id}
          onClick=${() => navigate(`/customers/${c.id}/duplicates`)}>
        <td><a href=${`#/customers/${c.id}/duplicates`}>${c.name || t("crm.unnamed")}</a></td>
        <td>${numbersText(c)}</td><td>${(c.emails || []).join(", ")}</td><td>${c.company}</td></tr>`)}</tbody>
    </table>`)}
  </section>`;
}

export default function Customers() {
  const rest = route.value.slice("/customers/".length);
  const m = /^(new|[1-9]\d*)(\/duplicates)?$/.exec(rest);
  const known = !rest || rest === "duplicates" || (m && !(m[1] === "new" && m[2]));
  useEffect(() => { if (!known) redirect("/customers"); }, [known]);
  if (rest === "duplicates") return html`<${AllDuplicates} />`;
  if (m && known) {
    const id = m[1] === "new" ? null : Number(m[1]);
    return html`<${Lazy} key=${m[1]} load=${loadPage} id=${id} focus=${m[2] ? "duplicates" : ""} />`;
  }
  return html`<${List} />`;
}
