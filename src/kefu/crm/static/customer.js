// The CRM slice's screen part on the desk: the customer screen pop (客户信息) — who is
// calling, found by number (GET /customers?number=), with the recent contact history
// (GET /customers/{id}/history: each call's notes and its survey score, 满意度), or a
// new-customer form.  The desk calls screenPop(number) on an offer or a call; notes.js
// reads `customer` to save the name with the wrap-up notes and refreshes the history.

import { html } from "htm/preact";
import { signal } from "@preact/signals";
import { errorText, get, post } from "/static/shell/api.js";
import { label, t } from "/static/shell/i18n.js";
import { DialLink, fmtTime, toast } from "/static/shell/util.js";

const MISSING = new Set([404, 405, 501]);      // the CRM endpoints not in this kefu
const HIDDEN = new Set(["id", "created_at", "updated_at"]);
const HISTORY = 5;                              // contacts shown on the desk

/** The customer on screen: {number, record | null, loading, unavailable, name, company}
 *  (name and company: the new-customer form's fields), or null. */
export const customer = signal(null);
window.kefuDesk = Object.defineProperty(window.kefuDesk ?? {}, "customer",
  { get: () => customer.value, enumerable: true, configurable: true });

const update = (fields) => { customer.value = { ...customer.peek(), ...fields }; };
const listOf = (body) => (Array.isArray(body) ? body : body?.items || body?.customers || []);

/** Look `number` up and show it (nothing to do when it is already shown). */
export async function screenPop(number) {
  if (!number || customer.peek()?.number === number) return;
  customer.value = { number, record: null, loading: true, unavailable: false, name: "", company: "" };
  let record = null, unavailable = false;
  try {
    record = listOf(await get(`/customers?number=${encodeURIComponent(number)}`))[0] || null;
  } catch (err) {
    unavailable = MISSING.has(err.status);
    if (!unavailable) toast(t("msg.error", { detail: errorText(err) }), "error");
  }
  const history = record ? await loadHistory(record.id) : [];
  if (customer.peek()?.number === number) update({ record, unavailable, loading: false, history });
}

async function loadHistory(id) {
  try {
    return listOf(await get(`/customers/${id}/history?limit=${HISTORY}`));
  } catch (err) {
    return [];                                  // the card still shows who is calling
  }
}

/** Read the shown customer's history again (a wrap-up note was just saved). */
export async function refreshHistory() {
  const c = customer.peek();
  if (!c?.record?.id) return;
  const history = await loadHistory(c.record.id);
  if (customer.peek()?.record?.id === c.record.id) update({ history });
}

export function clearCustomer() { customer.value = null; }

/** Save the new-customer form (also done by the wrap-up when it was filled, not saved). */
export async function saveCustomer() {
  const c = customer.peek();
  if (!c) return;
  try {
    const record = await post("/customers", { number: c.number, name: c.name, company: c.company });
    update({ record: record && typeof record === "object" ? record
                                                          : { number: c.number, name: c.name, company: c.company } });
    toast(t("customer.saved"));
  } catch (err) {
    if (MISSING.has(err.status)) toast(t("customer.unavailable"));
    else toast(t("msg.error", { detail: errorText(err) }), "error");
  }
}

/** Whether the new-customer form holds something not saved yet. */
export const unsaved = (c) => Boolean(c && !c.record && (c.name.trim() || c.company.trim()));

function Record({ record, onDial }) {
  const shown = Object.entries(record).filter(([k, v]) => v !== null && v !== "" && typeof v !== "object"
                                                          && !HIDDEN.has(k));
  return html`<table class="kv" id="customer-record"><tbody>
    ${shown.map(([k, v]) => html`<tr key=${k}><th>${label("customer", k)}</th>
      <td>${k === "number" || k === "phone" ? html`<${DialLink} number=${String(v)} onDial=${onDial} />`
                                             : String(v)}</td></tr>`)}
  </tbody></table>`;
}

/** 联系记录: the latest contacts, each with its call's survey score when the caller gave one. */
function History({ history }) {
  if (!history?.length) return html`<p class="muted" id="customer-history-none">${t("customer.no_history")}</p>`;
  return html`<table class="grid" id="customer-history">
    <caption>${t("customer.history")}</caption>
    <thead><tr><th>${t("customer.when")}</th><th>${t("wrapup.type")}</th>
      <th>${t("wrapup.result")}</th><th>${t("customer.survey")}</th></tr></thead>
    <tbody>${history.map((n) => html`<tr key=${n.id} data-call=${n.call_id || ""}>
      <td>${fmtTime(n.created_at)}</td><td>${label("wrapup.type", n.type)}</td>
      <td>${label("wrapup.result", n.result)}</td>
      <td class="num survey">${n.survey_score ?? "—"}</td></tr>`)}</tbody>
  </table>`;
}

function NewCustomer({ c }) {
  const field = (name) => html`<label><span>${t(`customer.${name}`)}</span>
    <input name=${name} value=${c[name]} onInput=${(e) => update({ [name]: e.currentTarget.value })} /></label>`;
  return html`<form id="customer-form" onSubmit=${(e) => { e.preventDefault(); saveCustomer(); }}>
    <p class="muted">${t("customer.new")}</p>
    <label><span>${t("customer.number")}</span> <input name="number" readonly value=${c.number} /></label>
    ${field("name")} ${field("company")}
    <button type="submit">${t("customer.save")}</button>
  </form>`;
}

/** 客户信息: hidden while no customer is on screen. */
export function CustomerPanel({ onDial }) {
  const c = customer.value;
  if (!c) return null;
  return html`<section class="panel" id="customer-panel">
    <h2>${t("customer.title")}</h2>
    <div id="customer-info">
      ${c.loading ? html`<p class="muted">${t("customer.loading")}</p>`
        : c.record ? html`<${Record} record=${c.record} onDial=${onDial} /><${History} history=${c.history} />`
        : c.unavailable ? html`<p class="muted">${t("customer.unavailable")}</p>` : null}
    </div>
    ${!c.loading && !c.record && html`<${NewCustomer} c=${c} />`}
  </section>`;
}
