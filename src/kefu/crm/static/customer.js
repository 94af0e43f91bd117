// The CRM slice's screen part on the desk: the customer screen pop (客户信息) — who is
// calling, found by number (GET /customers?number=), or a new-customer form.  The desk
// calls screenPop(number) on an offer or a call; notes.js reads `customer` to save the
// name with the wrap-up notes.

import { html } from "htm/preact";
import { signal } from "@preact/signals";
import { errorText, get, post } from "/static/shell/api.js";
import { label, t } from "/static/shell/i18n.js";
import { DialLink, toast } from "/static/shell/util.js";

const MISSING = new Set([404, 405, 501]);      // the CRM endpoints not in this kefu
const HIDDEN = new Set(["id", "created_at", "updated_at"]);

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
  if (customer.peek()?.number === number) update({ record, unavailable, loading: false });
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
        : c.record ? html`<${Record} record=${c.record} onDial=${onDial} />`
        : c.unavailable ? html`<p class="muted">${t("customer.unavailable")}</p>` : null}
    </div>
    ${!c.loading && !c.record && html`<${NewCustomer} c=${c} />`}
  </section>`;
}
