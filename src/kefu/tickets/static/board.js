// The tickets board (工单看板): one column per state of the chosen type, a card per ticket
// (title, customer, assignee, SLA).  A card moves only by a transition the API lists for
// it: click it to choose one, or drag it onto a column (the transitions to that state are
// offered; none: the move is refused here).  ticket.* events refresh the board.

import { html } from "htm/preact";
import { signal } from "@preact/signals";
import { useEffect, useState } from "preact/hooks";
import { get } from "/static/shell/api.js";
import { t } from "/static/shell/i18n.js";
import { onSignOut, useEvents, user } from "/static/shell/store.js";
import { debounce, toast } from "/static/shell/util.js";
import { SlaBadges, lbl, loadPeople, loadTypes, missing, priorityText, query, typeNamed, types } from "./common.js";
import { Transitions } from "./detail.js";

const LIMIT = 200;                  // cards read per board
const typeName = signal("");
const mine = signal(false);
onSignOut(() => { typeName.value = ""; mine.value = false; });

function Card({ x, onPick, picked }) {
  return html`<article class=${`tk-card prio-${x.priority}${picked ? " picked" : ""}`} data-id=${x.id} draggable="true"
      onDragStart=${(e) => { e.dataTransfer.setData("text/plain", String(x.id)); e.dataTransfer.effectAllowed = "move"; }}
      onClick=${() => onPick(x)}>
    <div class="tk-card-title"><a href=${`#/tickets/${x.id}`} onClick=${(e) => e.stopPropagation()}>#${x.id}</a> ${x.title}</div>
    <div class="small">${x.customer_name || x.number || ""}</div>
    <div class="small muted">${x.assignee || t("tk.unassigned")} · <span class=${`tk-prio ${x.priority}`}>${priorityText(x.priority)}</span></div>
    <${SlaBadges} sla=${x.sla} />
  </article>`;
}

export default function Board() {
  const [tickets, setTickets] = useState(null);
  const [failed, setFailed] = useState(null);
  const [move, setMove] = useState(null);          // {ticket, to}: the card being moved
  const [over, setOver] = useState("");
  useEffect(() => {
    loadPeople();
    loadTypes().then((list) => { if (!typeName.peek() && list.length) typeName.value = list[0].name; });
  }, []);
  const type = typeNamed(typeName.value);
  const load = () => {
    if (!typeName.peek()) return;
    const q = query({ type: typeName.peek(), assignee: mine.peek() ? user.peek()?.username : "", sort: "-priority", limit: LIMIT });
    get(`/tickets?${q}`).then((page) => { setTickets(page); setFailed(null); }, setFailed);
  };
  useEffect(load, [typeName.value, mine.value]);
  const [soon] = useState(() => debounce(load, 400, 2000));
  useEvents((msg) => { if ((msg.type || "").startsWith("ticket.")) soon(); });
  const drop = (state) => (e) => {
    e.preventDefault();
    setOver("");
    const x = tickets?.items.find((i) => i.id === Number(e.dataTransfer.getData("text/plain")));
    if (!x || x.state === state) return;
    const ways = (x.transitions || []).filter((tr) => tr.to === state);
    if (!ways.length) { toast(t("tk.no_way", { state: lbl(type.workflow.states.find((s) => s.name === state)) }), "error"); return; }
    setMove({ ticket: x, to: state, first: ways.length === 1 ? ways[0] : null });
  };
  const states = type?.workflow.states ?? [];
  const items = tickets?.items ?? [];
  return html`<section class="panel tk" id="tk-board-screen">
    <div class="buttons tk-head"><h2>${t("nav.tickets_board")}</h2>
      <label class="inline">${t("tk.type")} <select id="tk-board-type" value=${typeName.value}
          onChange=${(e) => { typeName.value = e.currentTarget.value; setMove(null); }}>
        ${(types.value || []).map((x) => html`<option key=${x.name} value=${x.name}>${lbl(x)}</option>`)}</select></label>
      <label class="inline"><input type="checkbox" id="tk-board-mine" checked=${mine.value}
        onChange=${(e) => { mine.value = e.currentTarget.checked; }} /> ${t("tk.mine")}</label>
      <a href="#/tickets">${t("nav.tickets")}</a>
      ${tickets && tickets.total > items.length ? html`<span class="muted">${t("tk.board_capped", { n: items.length, total: tickets.total })}</span>` : null}
    </div>
    ${failed ? html`<p class=${missing(failed) ? "muted" : "error"} id="tk-failed">${missing(failed) ? t("tk.unavailable") : failed.message}</p>` : null}
    ${move ? html`<div class="tk-move" id="tk-move" data-id=${move.ticket.id}>
      <b>#${move.ticket.id} ${move.ticket.title}</b>
      <${Transitions} key=${`${move.ticket.id}-${move.to}`} ticket=${move.ticket} to=${move.to} first=${move.first}
        onDone=${() => { setMove(null); load(); }} />
      <button type="button" class="small" id="tk-move-close" onClick=${() => setMove(null)}>×</button></div>` : null}
    <div class="tk-board" id="tk-board" style=${`grid-template-columns: repeat(${Math.max(1, states.length)}, minmax(170px, 1fr))`}>
      ${states.map((s) => {
        const cards = items.filter((x) => x.state === s.name);
        return html`<div key=${s.name} class=${`tk-column ${s.kind}${over === s.name ? " over" : ""}`} data-state=${s.name}
            onDragOver=${(e) => { e.preventDefault(); setOver(s.name); }} onDragLeave=${() => setOver("")} onDrop=${drop(s.name)}>
          <h3>${lbl(s)} <span class="count">${cards.length}</span></h3>
          ${cards.map((x) => html`<${Card} key=${x.id} x=${x} picked=${move?.ticket.id === x.id}
            onPick=${(c) => setMove({ ticket: c, to: null, first: null })} />`)}
        </div>`;
      })}
    </div>
  </section>`;
}
