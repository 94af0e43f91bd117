// Tickets (工单): #/tickets is the list (filters for what GET /tickets filters on, sortable
// columns, SLA badges with the time left, pages, "new ticket"); #/tickets/{id} one ticket
// (detail.js).  The filters live in module signals: back from a ticket, the same page is
// there; a ticket.* event refreshes the page shown.

import { html } from "htm/preact";
import { signal } from "@preact/signals";
import { useEffect } from "preact/hooks";
import { get } from "/static/shell/api.js";
import { t } from "/static/shell/i18n.js";
import { navigate, redirect, route } from "/static/shell/router.js";
import { onSignOut, useEvents, user } from "/static/shell/store.js";
import { Pager as SharedPager, debounce, fmtTime } from "/static/shell/util.js";
import { PRIORITIES, PeopleLists, SlaBadges, StateBadge, lbl, loadPeople, loadTypes, missing,
         priorityText, query, typeLabel, typeNamed, types } from "./common.js";
import TicketCreate from "./create.js";
import Detail from "./detail.js";

const SIZES = [20, 50, 100];
const filters = signal({ open: "true" });
const sort = signal("-created_at");
const paging = signal({ offset: 0, limit: 50 });
const results = signal(null);        // {items, total, offset, limit}
const failed = signal(null);         // the last search's error
const creating = signal(false);
onSignOut(() => { filters.value = { open: "true" }; results.value = null; paging.value = { offset: 0, limit: 50 }; });

/** The API's parameters for the form's values ("mine": assigned to me). */
export function listParams(f, me) {
  return {
    type: f.type, state: f.state, open: f.open, group: f.group?.trim(), priority: f.priority,
    assignee: f.mine ? me : f.assignee?.trim(), breached: f.breached ? "true" : "",
    customer_id: f.customer_id, q: f.q?.trim(),
  };
}

let searching = 0;
async function search() {
  const mine = ++searching;
  const asked = paging.value;
  const f = filters.value;
  try {
    const page = await get(`/tickets?${query({ ...listParams(f, user.value?.username), sort: sort.value, ...asked })}`);
    if (mine !== searching) return;
    results.value = { ...page, ...asked };
    failed.value = null;
  } catch (err) {
    if (mine === searching) failed.value = err;
  }
}
const soon = debounce(search, 400, 2000);

function SortHead({ asc, desc, children }) {
  const active = sort.value === asc || sort.value === desc;
  const next = sort.value === desc && asc ? asc : desc;
  const click = () => { sort.value = next; paging.value = { ...paging.value, offset: 0 }; search(); };
  return html`<th class=${`sortable${active ? " sorted" : ""}`} data-sort=${desc}>
    <button type="button" class="link" onClick=${click}>${children}${active ? (sort.value.startsWith("-") ? " ▼" : " ▲") : ""}</button></th>`;
}

function Filters() {
  const f = filters.value;
  const type = typeNamed(f.type);
  const states = type ? type.workflow.states
    : [...new Map((types.value || []).flatMap((x) => x.workflow.states).map((s) => [s.name, s])).values()];
  const submit = (e) => {
    e.preventDefault();
    filters.value = Object.fromEntries(new FormData(e.currentTarget));
    paging.value = { ...paging.value, offset: 0 };
    search();
  };
  const reset = (e) => { e.preventDefault(); filters.value = {}; paging.value = { ...paging.value, offset: 0 }; search(); };
  return html`<form id="tk-filter" class="tk-filter" onSubmit=${submit} onReset=${reset}>
    <label><span>${t("tk.type")}</span><select name="type" value=${f.type ?? ""}
        onChange=${(e) => { filters.value = { ...Object.fromEntries(new FormData(e.currentTarget.form)), state: "" }; }}>
      <option value="">${t("tk.any")}</option>
      ${(types.value || []).map((x) => html`<option key=${x.name} value=${x.name}>${lbl(x)}</option>`)}</select></label>
    <label><span>${t("tk.state")}</span><select name="state" value=${f.state ?? ""}>
      <option value="">${t("tk.any")}</option>
      ${states.map((s) => html`<option key=${s.name} value=${s.name}>${lbl(s)}</option>`)}</select></label>
    <label><span>${t("tk.open_closed")}</span><select name="open" value=${f.open ?? ""}>
      <option value="">${t("tk.any")}</option><option value="true">${t("tk.open")}</option>
      <option value="false">${t("tk.closed")}</option></select></label>
    <label><span>${t("tk.priority")}</span><select name="priority" value=${f.priority ?? ""}>
      <option value="">${t("tk.any")}</option>
      ${PRIORITIES.map((p) => html`<option key=${p} value=${p}>${priorityText(p)}</option>`)}</select></label>
    <label><span>${t("tk.group")}</span><input name="group" list="tk-groups" value=${f.group ?? ""} /></label>
    <label><span>${t("tk.assignee")}</span><input name="assignee" list="tk-agents" value=${f.assignee ?? ""} /></label>
    <label><span>${t("tk.customer_id")}</span><input name="customer_id" type="number" min="1" value=${f.customer_id ?? ""} /></label>
    <label><span>${t("tk.q")}</span><input name="q" value=${f.q ?? ""} placeholder=${t("tk.q_hint")} /></label>
    <label class="inline"><input type="checkbox" name="mine" value="1" checked=${Boolean(f.mine)} /> ${t("tk.mine")}</label>
    <label class="inline"><input type="checkbox" name="breached" value="1" checked=${Boolean(f.breached)} /> ${t("tk.breached")}</label>
    <div class="buttons"><button type="submit" class="primary" id="tk-search">${t("tk.search")}</button>
      <button type="reset">${t("tk.reset")}</button></div>
    <${PeopleLists} />
  </form>`;
}

function Pager() {
  const go = (next) => { paging.value = { ...paging.value, ...next }; search(); };
  return html`<${SharedPager} prefix="tk" page=${results.value} sizes=${SIZES} onGo=${go} none="tk.none" />`;
}

export function Row({ x }) {
  return html`<tr data-id=${x.id} data-state=${x.state} class=${`tk-row prio-${x.priority}`}
      onClick=${(e) => { if (!e.target.closest("a")) navigate(`/tickets/${x.id}`); }}>
    <td class="num"><a href=${`#/tickets/${x.id}`}>${x.id}</a></td>
    <td>${typeLabel(x)}</td>
    <td class="tk-title">${x.title}</td>
    <td>${x.customer_id ? html`<a href=${`#/customers/${x.customer_id}`}>${x.customer_name || `#${x.customer_id}`}</a>`
                        : x.number || ""}</td>
    <td><${StateBadge} ticket=${x} /></td>
    <td><span class=${`tk-prio ${x.priority}`}>${priorityText(x.priority)}</span></td>
    <td>${x.assignee || html`<span class="muted">${t("tk.unassigned")}</span>`}</td>
    <td>${x.group}</td>
    <td>${fmtTime(x.created_at)}</td>
    <td>${x.due_at ? fmtTime(x.due_at) : ""}</td>
    <td><${SlaBadges} sla=${x.sla} /></td>
  </tr>`;
}

function List() {
  useEffect(() => { loadTypes(); loadPeople(); search(); }, []);
  useEvents((msg) => { if ((msg.type || "").startsWith("ticket.")) soon(); });
  const page = results.value;
  if (creating.value) {
    return html`<${TicketCreate} onDone=${(ticket) => { creating.value = false; if (ticket) navigate(`/tickets/${ticket.id}`); }} />`;
  }
  return html`<section class="panel tk" id="tk-list">
    <div class="buttons tk-head"><h2>${t("nav.tickets")}</h2>
      <button type="button" class="primary" id="tk-new" onClick=${() => { creating.value = true; }}>+ ${t("tk.new")}</button>
      <a href="#/tickets/board">${t("nav.tickets_board")}</a></div>
    <${Filters} />
    ${failed.value ? html`<p class=${missing(failed.value) ? "muted" : "error"} id="tk-failed">
      ${missing(failed.value) ? t("tk.unavailable") : failed.value.message}</p>` : null}
    <${Pager} />
    <table id="tk-table" class="kv tk-table">
      <thead><tr>
        <th>#</th><th>${t("tk.type")}</th><th>${t("tk.title")}</th><th>${t("tk.customer")}</th><th>${t("tk.state")}</th>
        <${SortHead} desc="-priority">${t("tk.priority")}<//>
        <th>${t("tk.assignee")}</th><th>${t("tk.group")}</th>
        <${SortHead} asc="created_at" desc="-created_at">${t("tk.created_at")}<//>
        <${SortHead} desc="due">${t("tk.due_at")}<//>
        <th>SLA</th>
      </tr></thead>
      <tbody>${(page?.items ?? []).map((x) => html`<${Row} key=${x.id} x=${x} />`)}
        ${page && !page.items.length ? html`<tr><td colspan="11" class="muted">${t("tk.none")}</td></tr>` : null}</tbody>
    </table>
  </section>`;
}

export default function Tickets() {
  const rest = route.value.slice("/tickets/".length);
  const id = /^[1-9]\d*$/.test(rest) ? Number(rest) : null;
  useEffect(() => { if (rest && !id) redirect("/tickets"); }, [rest, id]);
  return id ? html`<${Detail} key=${id} id=${id} />` : html`<${List} />`;
}
