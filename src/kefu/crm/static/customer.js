// The CRM slice's screen pop on the desk (客户信息): who is calling, found by number in
// any spelling (GET /customers?number=; several customers share it: the agent picks one),
// with name, company, tier, owner and tags, the last lines of the customer's one history
// (timeline.js), the open tickets (GET /tickets?customer_id=…&open=true, nothing when the
// tickets slice is not there) and the "new ticket" button during and after a call.  An
// unknown number offers a new-customer form, or linking the number to a customer found by
// search (GET /customers/search, then PATCH /customers/{id} with the numbers).  The desk
// calls screenPop(number) on an offer or a call; notes.js reads `customer` to save the
// name with the note and calls refreshHistory() after it.  The history joins a call and
// its notes into one contact; a number no customer has shows its last calls from the CDRs
// (recent.js), so a second call from a stranger is no first contact either.

import { html } from "htm/preact";
import { useEffect, useState } from "preact/hooks";
import { signal } from "@preact/signals";
import { api, errorText, get, post } from "/static/shell/api.js";
import { label, t } from "/static/shell/i18n.js";
import { DialLink, fmtTime, toast } from "/static/shell/util.js";
import Timeline from "./timeline.js";
import { NumberCalls } from "./recent.js";

const MISSING = new Set([404, 405, 501]);      // an endpoint not in this kefu (yet)
const HISTORY = 5;                              // timeline lines shown on the desk
const TICKETS = 5;

/** The customer on screen: {number, records, record | null, loading, unavailable, name,
 *  company (the new-customer form's fields), version (the timeline's), tickets}, or null. */
export const customer = signal(null);
window.kefuDesk = Object.defineProperty(window.kefuDesk ?? {}, "customer",
  { get: () => customer.value, enumerable: true, configurable: true });

const update = (fields) => { customer.value = { ...customer.peek(), ...fields }; };
const listOf = (body) => (Array.isArray(body) ? body : body?.items || body?.customers || []);
const numberOf = (n) => (typeof n === "string" ? { number: n, label: "" } : { number: n.number, label: n.label || "" });

/** Import a component another slice builds (its default export); null when it is not
 *  there (that slice not merged or not running). */
const modules = {};
export function useModule(url) {
  // a function given to useState is called as its initialiser: the component is wrapped
  const [mod, setMod] = useState(() => modules[url]?.value ?? null);
  useEffect(() => {
    modules[url] ??= { promise: import(url).then((m) => m.default || null, () => null) };
    let live = true;
    modules[url].promise.then((m) => { modules[url].value = m; if (live) setMod(() => m); });
    return () => { live = false; };
  }, [url]);
  return mod;
}

/** Look `number` up and show it (nothing to do when it is already shown). */
export async function screenPop(number) {
  if (!number || customer.peek()?.number === number) return;
  customer.value = { number, records: [], record: null, loading: true, unavailable: false,
                     name: "", company: "", version: 0, tickets: null };
  let records = [], unavailable = false;
  try {
    records = listOf(await get(`/customers?number=${encodeURIComponent(number)}`));
  } catch (err) {
    unavailable = MISSING.has(err.status);
    if (!unavailable) toast(t("msg.error", { detail: errorText(err) }), "error");
  }
  if (customer.peek()?.number !== number) return;
  update({ records, record: records[0] || null, unavailable, loading: false });
  if (records[0]) loadTickets(records[0].id);
}

/** The customer's open tickets (the tickets slice's; none when it answers 404). */
async function loadTickets(id) {
  let tickets = null;
  try {
    tickets = listOf(await get(`/tickets?customer_id=${id}&open=true&limit=${TICKETS}`));
  } catch (err) {
    tickets = null;                             // no tickets slice, or not for this role
  }
  if (customer.peek()?.record?.id === id) update({ tickets });
}

/** Show another of the customers who share the number. */
function pick(record) {
  update({ record, tickets: null });
  loadTickets(record.id);
}

/** Read the shown customer's history again (a note was just saved, a call ended). */
export function refreshHistory() {
  const c = customer.peek();
  if (c?.record?.id) update({ version: (c.version || 0) + 1 });
}

export function clearCustomer() { customer.value = null; }

/** Save the new-customer form (also done by the note when it was filled, not saved). */
export async function saveCustomer() {
  const c = customer.peek();
  if (!c) return;
  try {
    const record = await post("/customers", { number: c.number, name: c.name, company: c.company });
    update({ record: record && typeof record === "object" ? record
                                                          : { number: c.number, name: c.name, company: c.company },
             records: record ? [record] : [] });
    toast(t("customer.saved"));
  } catch (err) {
    if (MISSING.has(err.status)) toast(t("customer.unavailable"));
    else toast(t("msg.error", { detail: errorText(err) }), "error");
  }
}

/** Add the shown (unknown) number to the customer `found`: PATCH with its numbers. */
async function linkTo(found) {
  const c = customer.peek();
  if (!c) return;
  // the customer's numbers as they are (with their labels and extensions), and the new one
  const kept = found.phones?.map((p) => ({ number: p.extension ? `${p.number} ext. ${p.extension}` : p.number,
                                           label: p.label || "" }))
               ?? (found.numbers || []).map(numberOf);
  const numbers = [...kept, { number: c.number, label: "" }];
  try {
    const record = await api("PATCH", `/customers/${found.id}`, { numbers });
    update({ record, records: [record] });
    toast(t("customer.linked"));
    loadTickets(record.id);
  } catch (err) {
    toast(MISSING.has(err.status) || err.status === 422 && /numbers/.test(errorText(err))
      ? t("customer.link_unavailable") : t("msg.error", { detail: errorText(err) }), "error");
  }
}

/** Whether the new-customer form holds something not saved yet. */
export const unsaved = (c) => Boolean(c && !c.record && (c.name.trim() || c.company.trim()));

function Record({ record, onDial }) {
  const numbers = (record.numbers || []).map(numberOf).map((n) => n.number);
  const rows = [["name", record.name], ["company", record.company], ["tier", record.tier],
                ["owner", record.owner]].filter(([, v]) => v);
  return html`<table class="kv" id="customer-record" data-id=${record.id}><tbody>
    <tr><th>${t("customer.number")}</th><td>${(numbers.length ? numbers : [record.number]).map((n, i) =>
      html`${i ? ", " : ""}<${DialLink} key=${n} number=${n} onDial=${onDial} />`)}</td></tr>
    ${rows.map(([k, v]) => html`<tr key=${k} data-field=${k}><th>${label("customer", k)}</th><td>${v}</td></tr>`)}
    ${record.tags?.length ? html`<tr><th>${t("customer.tags")}</th>
      <td class="pop-tags">${record.tags.map((tag) => html`<span key=${tag} class="tag">${tag}</span>`)}</td></tr>` : null}
    ${record.notes ? html`<tr><th>${t("customer.notes")}</th><td>${record.notes}</td></tr>` : null}
  </tbody></table>`;
}

function Tickets({ tickets }) {
  if (!tickets) return null;                     // the tickets slice is not there
  return html`<div id="customer-tickets">
    <h3>${t("customer.open_tickets")}</h3>
    ${tickets.length ? html`<ul class="plain">${tickets.map((tk) => html`<li key=${tk.id} data-ticket=${tk.id}>
      <a href=${`#/tickets/${tk.id}`}>#${tk.id} ${tk.title}</a>
      <span class="muted"> · ${tk.state_label || tk.state_label_zh || tk.state || ""} · ${label("ticket.priority", tk.priority)}
        ${tk.due_at ? ` · ${t("customer.due")} ${fmtTime(tk.due_at)}` : ""}</span></li>`)}</ul>`
      : html`<p class="muted">${t("customer.no_tickets")}</p>`}
  </div>`;
}

/** 新建工单: the tickets slice's form (/static/tickets/create.js), during and after a call;
 *  nothing when that slice is not there. */
function NewTicket({ c, callId }) {
  const TicketCreate = useModule("/static/tickets/create.js");
  const [open, setOpen] = useState(false);
  if (!TicketCreate) return null;
  const done = () => { setOpen(false); if (c.record) loadTickets(c.record.id); refreshHistory(); };
  return html`<div id="new-ticket">
    <button type="button" id="btn-new-ticket" onClick=${() => setOpen(!open)}>${t("customer.new_ticket")}</button>
    ${open && html`<${TicketCreate} customerId=${c.record?.id ?? null} callId=${callId || null}
                                    number=${c.number} onDone=${done} />`}
  </div>`;
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

/** 关联已有客户: find a customer by name, company or number and add this number to it. */
function LinkCustomer() {
  const [q, setQ] = useState("");
  const [found, setFound] = useState(null);
  const [error, setError] = useState("");
  const search = async (e) => {
    e.preventDefault();
    try {
      setFound(listOf(await get(`/customers/search?q=${encodeURIComponent(q)}`)));
      setError("");
    } catch (err) {
      setFound(null);
      setError(MISSING.has(err.status) ? t("customer.search_unavailable") : errorText(err));
    }
  };
  return html`<form id="customer-link" onSubmit=${search}>
    <p class="muted">${t("customer.link")}</p>
    <input name="q" required placeholder=${t("customer.search")} value=${q}
           onInput=${(e) => setQ(e.currentTarget.value)} />
    <button type="submit">${t("customer.find")}</button>
    ${error && html`<p class="error" id="customer-link-error">${error}</p>`}
    ${found && (found.length ? html`<ul class="plain" id="customer-link-found">${found.map((f) => html`<li key=${f.id}>
        ${f.name || "—"} <span class="muted">${f.company || ""} ${(f.numbers || []).map(numberOf).map((n) => n.number).join(", ")}</span>
        <button type="button" data-link=${f.id} onClick=${() => linkTo(f)}>${t("customer.link_here")}</button></li>`)}</ul>`
      : html`<p class="muted">${t("customer.none_found")}</p>`)}
  </form>`;
}

/** 客户信息: hidden while no customer is on screen.  `callId`: the call on the desk (or
 *  in wrap-up), which a new ticket is linked to. */
export function CustomerPanel({ onDial, callId }) {
  const c = customer.value;
  if (!c) return null;
  const many = c.records?.length > 1;
  return html`<section class="panel" id="customer-panel">
    <h2>${t("customer.title")}</h2>
    <div id="customer-info">
      ${c.loading ? html`<p class="muted">${t("customer.loading")}</p>`
        : c.record ? html`
          ${many && html`<div class="pop-pick" id="customer-pick"><span class="muted">${t("customer.several")}</span>
            ${c.records.map((r) => html`<button type="button" key=${r.id} data-pick=${r.id}
                class=${r.id === c.record.id ? "on" : ""} onClick=${() => pick(r)}>${r.name || `#${r.id}`}</button>`)}</div>`}
          <${Record} record=${c.record} onDial=${onDial} />`
        : c.unavailable ? html`<p class="muted">${t("customer.unavailable")}</p>` : null}
    </div>
    <div class="pop-actions" id="desk-actions"><${NewTicket} c=${c} callId=${callId} /></div>
    ${!c.loading && c.record && html`<${Tickets} tickets=${c.tickets} />
      <div id="customer-history"><h3>${t("customer.history")}</h3>
        <${Timeline} customerId=${c.record.id} limit=${HISTORY} version=${c.version} joined=${true} /></div>`}
    ${!c.loading && !c.record && !c.unavailable && html`<${NumberCalls} number=${c.number} onDial=${onDial} />`}
    ${!c.loading && !c.record && html`<${NewCustomer} c=${c} />`}
    ${!c.loading && !c.record && !c.unavailable && html`<${LinkCustomer} />`}
  </section>`;
}
