// The supervisor wallboard (监控大屏) as a shell screen: figures, every queue, agent and
// live call, per-agent actions (force ready / not ready / logout, skills), per-call
// supervision (listen, whisper, barge, force release) from the supervisor's own browser
// audio or phone, and announcements.  Rows are keyed `Pure` components: a refresh or an
// event re-renders the rows whose data changed, and only the clocks tick.

import { html } from "htm/preact";
import { computed, signal } from "@preact/signals";
import { post, put } from "../api.js";
import { label, later, t } from "../i18n.js";
import { line } from "../softphone.js";
import { choices, liveCalls, queues, resource, useEvents } from "../store.js";
import { Elapsed, Pure, fmtDuration, now, options, run } from "../util.js";
import { CallButtons, CallTable, SupervisionBar } from "./wallcalls.js";
import { alertsOf } from "./wallalerts.js";
import { AnnouncementForm, AnnouncementList } from "/static/announcements/announcements.js";

const TALKING = new Set(["talking", "on_hold"]);
const PAUSED = new Set(["not_ready", "away"]);
const IDLE = new Set(["ready", "not_ready", "away", "wrap_up"]);

/** GET /agents; `localSince` (ms, this browser's clock): when the state began. */
const agents = resource("/agents", {
  prefixes: ["agent.", "queue."], every: 5000, key: (a) => a.username, volatile: ["in_state", "localSince"],
  map: (list) => list.map((a) => ({ ...a, localSince: Date.now() - (a.in_state || 0) * 1000 })),
});
const forceReason = signal("");
const editing = signal(null);          // the agent whose skills form is open
const openQueues = signal(new Set());  // the queues whose waiting callers are listed
window.kefuWall = { line, agents };

const agentPath = (u, suffix) => `/agents/${encodeURIComponent(u)}${suffix}`;
const refresh = () => Promise.all([agents.refresh(), queues.refresh(), liveCalls.refresh()]);

// --- actions ------------------------------------------------------------------------------

function forceState(a, state) {
  const body = state === "not_ready" ? { state, reason: forceReason.peek() || choices.data.peek()?.pause_reasons?.[0] }
                                     : { state };
  return run(() => post(agentPath(a.username, "/state"), body), later("act.done")).then(refresh);
}

function forceLogout(a) {
  if (!confirm(t("act.confirm_logout", { agent: a.username }))) return;
  return run(() => post(agentPath(a.username, "/logout")), later("act.done")).then(refresh);
}

// --- views ----------------------------------------------------------------------------------

const pct = (x) => (x === null || x === undefined ? "—" : `${Math.round(x * 100)}%`);

const figures = computed(() => {
  const qs = queues.data.value || [];
  const as = agents.data.value || [];
  const sum = (f) => qs.reduce((n, q) => n + (f(q) || 0), 0);
  const handled = (q) => (q.answered || 0) + (q.abandoned || 0);
  const total = sum(handled);
  const count = (pred) => as.filter((a) => pred(a.state)).length;
  const waitingQs = qs.filter((q) => q.waiting > 0);
  return {
    waiting: sum((q) => q.waiting), ready: count((s) => s === "ready"), talking: count((s) => TALKING.has(s)),
    paused: count((s) => PAUSED.has(s)), answered: sum((q) => q.answered), abandoned: sum((q) => q.abandoned),
    // every queue's service level, weighted by the calls it handled
    sl: pct(total ? sum((q) => (q.service_level || 0) * handled(q)) / total : null),
    longest: waitingQs.map((q) => ({ base: q.longest_wait, from: q.fetched })),
  };
});

/** The alerts now (wallalerts.js), recomputed each second; `alertKeys` changes only when
 *  one is raised or cleared (or its start moved: a new not-ready spell), so what shows
 *  them re-renders then only. */
const alerts = computed(() => alertsOf(queues.data.value || [], agents.data.value || [],
                                       liveCalls.data.value || [], now.value));
const alertKeys = computed(() => alerts.value.map((a) => `${a.key}@${Math.round(a.since / 1000)}`).join(" "));
/** What the rows highlight: queue → its late callers' ids; agent → its alert's kind. */
const alertIndex = computed(() => {
  alertKeys.value;
  const calls = new Map(), agentKinds = new Map();
  for (const a of alerts.peek()) {
    if (a.kind === "wait") calls.set(a.queue, `${calls.get(a.queue) || ""} ${a.key.slice(5)}`.trim());
    else if (!agentKinds.has(a.agent)) agentKinds.set(a.agent, a.kind);
  }
  return { calls, agents: agentKinds };
});

function alertText(a) {
  const limit = fmtDuration(a.limit);
  if (a.kind === "wait") return t("alert.wait", { caller: a.caller, queue: a.queue, limit });
  if (a.kind === "not_ready") return t("alert.not_ready", { agent: a.agent, limit });
  return t("alert.talk", { agent: a.agent, caller: a.caller, limit });
}

/** The alert banner: what, and since when; nothing while all is well. */
function Alerts() {
  alertKeys.value;
  const list = alerts.peek();
  return html`<section class=${`panel alerts${list.length ? " on" : ""}`} id="alerts" data-count=${list.length}>
    <h2>${t("alert.title")} <small class="muted">${list.length || t("alert.none")}</small></h2>
    ${list.length ? html`<ul class="alert-list">${list.map((a) => html`<li key=${a.key} data-alert=${a.kind}
        data-key=${a.key} class=${`alert-${a.kind}`}>
      <span class="alert-what">${alertText(a)}</span>
      <small class="muted"> ${t("alert.since", { time: new Date(a.since).toLocaleTimeString() })}</small></li>`)}</ul>`
      : null}
  </section>`;
}

/** The longest wait of all queues, growing each second. */
function Longest({ waits }) {
  return fmtDuration(Math.max(0, ...waits.map((w) => w.base + (now.value - w.from) / 1000)));
}

function Tiles() {
  const f = figures.value;
  const tile = (id, value, key, cls = "") => html`<div class=${`tile ${cls}`}><b id=${id}>${value}</b><span>${t(key)}</span></div>`;
  return html`<section class=${`tiles${f.waiting > 0 ? " alert" : ""}`} id="tiles">
    ${tile("t-waiting", f.waiting, "tile.waiting")}
    <div class="tile"><b id="t-longest"><${Longest} waits=${f.longest} /></b><span>${t("tile.longest")}</span></div>
    ${tile("t-ready", f.ready, "tile.ready", "ok")}
    ${tile("t-talking", f.talking, "tile.talking", "busy")}
    ${tile("t-paused", f.paused, "tile.paused", "warn")}
    ${tile("t-answered", f.answered, "tile.answered")}
    ${tile("t-abandoned", f.abandoned, "tile.abandoned", "danger")}
    ${tile("t-sl", f.sl, "tile.sl")}
  </section>`;
}

function toggleQueue(name) {
  const next = new Set(openQueues.peek());
  if (next.has(name)) next.delete(name); else next.add(name);
  openQueues.value = next;
}

/** A queue's row; `late`: one of its callers waited past its `alert_wait`. */
class QueueRow extends Pure {
  render({ q, open, late }) {
    const num = (cls, value) => html`<td class=${`num ${cls}`}>${value}</td>`;
    const cls = [q.waiting ? "alert" : "", late ? "alert-wait" : ""].filter(Boolean).join(" ");
    return html`<tr class=${cls} data-queue=${q.name}>
      <td><button type="button" class="small link expander" data-act="callers" aria-expanded=${open ? "true" : "false"}
        title=${t("wall.callers")} onClick=${() => toggleQueue(q.name)}>${open ? "▾" : "▸"}</button> ${q.name}</td>
      <td>${q.number || ""}</td>
      ${num("waiting", q.waiting)}
      <td class="num longest"><${Elapsed} base=${q.longest_wait} from=${q.fetched} running=${q.waiting > 0} /></td>
      ${num("logged-in", q.agents_logged_in)} ${num("ready", q.agents_ready)}
      ${num("talking", q.agents_talking)} ${num("answered", q.answered)}
      ${num("abandoned", q.abandoned)} ${num("sl", pct(q.service_level))}</tr>`;
  }
}

/** The callers waiting in a queue (below its row when opened): position, caller, wait
 *  (ticking), priority and tier, a callback or an agent being rung. */
class Callers extends Pure {
  render({ q, late }) {
    const lateIds = new Set(late.split(" "));
    const calls = q.calls || [];
    return html`<tr class="queue-callers" data-callers=${q.name}><td colspan="10">
      ${calls.length ? html`<table class="grid small callers">
        <thead><tr>${["callers.position", "callers.caller", "callers.wait", "callers.priority", "callers.tier",
                      "callers.status"].map((key) => html`<th>${t(key)}</th>`)}</tr></thead>
        <tbody>${calls.map((c) => html`<tr key=${c.call_id} data-call=${c.call_id} data-caller=${c.caller}
            class=${lateIds.has(c.call_id) ? "alert-wait" : ""}>
          <td class="num position">${c.position || "—"}</td><td class="caller">${c.caller}</td>
          <td class="num wait"><${Elapsed} base=${c.wait} from=${q.fetched} running=${c.position > 0} /></td>
          <td class="num priority">${c.priority ?? 0}</td><td class="tier">${c.tier || ""}</td>
          <td class="small">${c.callback ? t("callers.callback") : ""}
            ${c.ringing?.length ? t("callers.ringing", { agents: c.ringing.join(", ") }) : ""}</td></tr>`)}</tbody>
      </table>` : html`<span class="muted">${t("callers.none")}</span>`}</td></tr>`;
  }
}

function QueueTable() {
  const list = queues.data.value || [];
  const open = openQueues.value;
  const late = alertIndex.value.calls;
  const th = (key) => html`<th>${t(key)}</th>`;
  return html`<section class="panel">
    <h2>${t("queues.title")}</h2>
    <table class="grid" id="queue-table">
      <thead><tr>${["queues.name", "queues.number", "queues.waiting", "queues.longest", "queues.logged_in",
        "queues.ready", "queues.talking", "queues.answered", "queues.abandoned", "queues.sl"].map(th)}</tr></thead>
      <tbody>${list.map((q) => [html`<${QueueRow} key=${q.name} q=${q} open=${open.has(q.name)} late=${late.has(q.name)} />`,
                              open.has(q.name) ? html`<${Callers} key=${`callers-${q.name}`} q=${q}
                                                                  late=${late.get(q.name) || ""} />` : null])}</tbody>
    </table>
  </section>`;
}

/** An agent's row; `alert`: "not_ready" or "talk" while that alert holds for it. */
class AgentRow extends Pure {
  render({ a, other, alert }) {
    const on = a.state !== "logged_out";
    const idle = IDLE.has(a.state);
    const b = (act, cls, enabled, onClick) => html`<button type="button" class=${`small ${cls}`} data-act=${act}
      disabled=${!enabled} onClick=${onClick}>${t(`act.${act}`)}</button>`;
    return html`<tr class=${`agent${alert ? ` alert-${alert}` : ""}`} data-agent=${a.username} data-state=${a.state}
                    data-alert=${alert || undefined}>
      <td><b>${a.username}</b>${a.name && a.name !== a.username ? html`<small class="muted"> ${a.name}</small>` : null}</td>
      <td>${a.extension || ""}</td>
      <td><span class=${`badge state-${a.state}`}>${label("st", a.state)}</span>
        ${a.state === "not_ready" && a.reason ? html`<small class="muted"> ${label("reason", a.reason)}</small>` : null}</td>
      <td class="num in-state">${on ? html`<${Elapsed} from=${a.localSince} />` : ""}</td>
      <td>${a.queue || (a.queues || []).join(", ")}</td>
      <td>${other}${a.call_id ? html`<small class="muted"> ${a.call_id.slice(0, 8)}</small>` : null}</td>
      <td class="num">${a.answered ?? 0}</td>
      <td class="actions">
        ${on && b("ready", "ok", idle && a.state !== "ready", () => forceState(a, "ready"))}
        ${on && b("not_ready", "warn", idle, () => forceState(a, "not_ready"))}
        ${on && b("logout", "", true, () => forceLogout(a))}
        ${b("skills", "", true, () => { editing.value = a; })}
        ${on && a.call_id && TALKING.has(a.state) && html`<${CallButtons} callId=${a.call_id} whisperTo=${a.extension} />`}
      </td></tr>`;
  }
}

/** The skills form: one level per queue (empty: not a member), its values the form's own
 *  (uncontrolled) so that the 5 s refresh does not undo what the supervisor is typing. */
function SkillsForm() {
  const a = editing.value;
  if (!a) return null;
  async function save(e) {
    e.preventDefault();
    const skills = {};
    for (const input of e.currentTarget.querySelectorAll("#skills-fields input"))
      if (input.value.trim() !== "") skills[input.name] = Number(input.value);
    if (await run(() => put(agentPath(a.username, "/skills"), { skills }), later("skills.saved"))) {
      editing.value = null;
      refresh();
    }
  }
  return html`<form id="skills-form" class="skills-form" key=${a.username} onSubmit=${save}>
    <h3><span>${t("skills.title")}</span>: <b id="skills-agent">${a.username}</b></h3>
    <div id="skills-fields">${(queues.data.peek() || []).map((q) => html`<label key=${q.name} class="inline" data-queue=${q.name}>
      ${`${q.name} `}<input type="number" name=${q.name} min="0" max="100" step="1"
                            defaultValue=${a.skills?.[q.name] ?? ""} /></label>`)}</div>
    <small class="muted">${t("skills.hint")}</small>
    <button type="submit" class="primary">${t("skills.save")}</button>
    <button type="button" id="skills-cancel" onClick=${() => { editing.value = null; }}>${t("skills.cancel")}</button>
  </form>`;
}

// --- the agents' sorting and filter (kept in localStorage) ----------------------------------

const VIEW_KEY = "kefu.wall.agents";
const STATES = ["ready", "not_ready", "away", "reserved", "talking", "on_hold", "wrap_up", "logged_out"];
/** Filter (queue logged in to, group = queue a member of, state; "": any) and sort
 *  (column, ascending or not); "" sorts logged-in agents first, then by name. */
const view = signal({ queue: "", group: "", state: "", sort: "", asc: true,
                      ...(() => { try { return JSON.parse(localStorage.getItem(VIEW_KEY)) || {}; } catch { return {}; } })() });
Object.assign(window.kefuWall, { view, alerts });

function setView(change) {
  view.value = { ...view.peek(), ...change };
  localStorage.setItem(VIEW_KEY, JSON.stringify(view.peek()));
}

/** A header click: sort by that column, again: the other way. */
function sortBy(column) {
  const v = view.peek();
  setView(v.sort === column ? { asc: !v.asc } : { sort: column, asc: column !== "in_state" && column !== "answered" });
}

const byName = (a, b) => a.username.localeCompare(b.username);
const SORTS = {
  name: byName,
  state: (a, b) => STATES.indexOf(a.state) - STATES.indexOf(b.state),
  in_state: (a, b) => b.localSince - a.localSince,
  answered: (a, b) => (a.answered ?? 0) - (b.answered ?? 0),
};

/** The agents the filter keeps, in the chosen order (ties by name). */
export function viewAgents(list, v) {
  const kept = list.filter((a) => (!v.queue || (a.queues || []).includes(v.queue))
                                  && (!v.group || v.group in (a.skills || {}))
                                  && (!v.state || a.state === v.state));
  const by = SORTS[v.sort];
  // default: logged-in agents first, then by name: rows stay put while states change
  if (!by) return kept.sort((a, b) => (a.state === "logged_out") - (b.state === "logged_out") || byName(a, b));
  const out = v.sort === "in_state" ? (a) => a.state === "logged_out" : () => false;   // no time: last
  return kept.sort((a, b) => out(a) - out(b) || (v.asc ? by(a, b) : by(b, a)) || byName(a, b));
}

function AgentFilter() {
  const v = view.value;
  const names = (queues.data.value || []).map((q) => q.name);
  const pick = (id, field, key, values, text) => html`<label class="inline"><span>${t(key)}</span>
    <select id=${id} value=${v[field]} onChange=${(e) => setView({ [field]: e.currentTarget.value })}>
      <option value="">${t("filter.any")}</option>
      ${values.map((x) => html`<option key=${x} value=${x}>${text(x)}</option>`)}</select></label>`;
  return html`<div class="buttons agent-filter" id="agent-filter">
    ${pick("filter-queue", "queue", "filter.queue", names, (x) => x)}
    ${pick("filter-group", "group", "filter.group", names, (x) => x)}
    ${pick("filter-state", "state", "filter.state", STATES, (x) => label("st", x))}
    ${v.queue || v.group || v.state ? html`<button type="button" class="small" id="filter-clear"
      onClick=${() => setView({ queue: "", group: "", state: "" })}>${t("filter.clear")}</button>` : null}
  </div>`;
}

function AgentTable() {
  const lists = choices.use();
  const list = agents.data.value || [];
  const calls = liveCalls.data.value || [];
  const v = view.value;
  const sorted = viewAgents([...list], v);
  const flagged = alertIndex.value.agents;
  const otherOf = (a) => {
    const c = a.call_id ? calls.find((x) => x.call_id === a.call_id) : null;
    return c ? (c.caller === a.extension ? c.callee : c.caller) : "";
  };
  const cols = [["agents.agent", "name"], ["agents.extension"], ["agents.state", "state"],
                ["agents.in_state", "in_state"], ["agents.queue"], ["agents.call"], ["agents.answered", "answered"],
                ["agents.actions"]];
  const th = ([key, sort]) => (sort
    ? html`<th class="sortable" data-sort=${sort} aria-sort=${v.sort === sort ? (v.asc ? "ascending" : "descending") : "none"}
             onClick=${() => sortBy(sort)}>${t(key)}${v.sort === sort ? (v.asc ? " ▲" : " ▼") : ""}</th>`
    : html`<th>${t(key)}</th>`);
  return html`<section class="panel">
    <h2>${t("agents.title")}</h2>
    <label class="inline panel-tool"><span>${t("wall.force_reason")}</span>
      <select id="force-reason" value=${forceReason.value || lists?.pause_reasons?.[0] || ""}
              onChange=${(e) => { forceReason.value = e.currentTarget.value; }}>
        ${options("reason", lists?.pause_reasons)}</select></label>
    <${AgentFilter} />
    <${SkillsForm} />
    <table class="grid" id="agent-table">
      <thead><tr>${cols.map(th)}</tr></thead>
      <tbody>${sorted.length ? sorted.map((a) => html`<${AgentRow} key=${a.username} a=${a} other=${otherOf(a)}
                                                               alert=${flagged.get(a.username) || ""} />`)
        : html`<tr><td colspan="8" class="muted">${t("agents.none")}</td></tr>`}</tbody>
    </table>
  </section>`;
}

function WallBar() {
  return html`<div class="screen-bar">
    <span id="clock" class="timer">${new Date(now.value).toLocaleTimeString()}</span>
    <span class="spacer"></span>
    <${SupervisionBar} />
  </div>`;
}

function Announcements() {
  const names = (queues.data.value || []).map((q) => q.name);
  return html`<section class="panel">
    <h2>${t("ann.post_title")}</h2>
    <${AnnouncementForm} queueNames=${names} />
    <${AnnouncementList} />
  </section>`;
}

const loaded = computed(() => Boolean(agents.data.value));

export default function Wall() {
  agents.use();
  queues.use();
  liveCalls.use();
  // a state change shows at once, the refresh that follows brings the rest
  useEvents((msg) => {
    if (msg.type !== "agent.state") return;
    const d = msg.data || {};
    agents.patch(d.agent, { state: d.state, reason: d.reason || "", localSince: Date.now(), in_state: 0,
                            ...(msg.call_id ? { call_id: msg.call_id } : {}) });
  });
  return html`<div class="screen wall" id="wall" data-ready=${loaded.value ? "1" : undefined}>
    <${WallBar} />
    <div class="wall-grid">
      <${Tiles} />
      <${Alerts} />
      <${QueueTable} />
      <${AgentTable} />
      <${CallTable} agents=${agents.data.value} />
      <${Announcements} />
    </div>
  </div>`;
}
