// The supervisor wallboard (监控大屏) as a shell screen: figures, every queue, agent and
// live call, per-agent actions (force ready / not ready / logout, skills), per-call
// supervision (listen, whisper, barge, force release) from the supervisor's own browser
// audio or phone, and announcements.  Rows are keyed `Pure` components: a refresh or an
// event re-renders the rows whose data changed, and only the clocks tick.

import { html } from "htm/preact";
import { computed, signal } from "@preact/signals";
import { post, put } from "../api.js";
import { label, t } from "../i18n.js";
import { line } from "../softphone.js";
import { choices, liveCalls, queues, resource, useEvents } from "../store.js";
import { Elapsed, Pure, fmtDuration, now, options, run } from "../util.js";
import { CallButtons, CallTable, SupervisionBar } from "./wallcalls.js";
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
window.kefuWall = { line, agents };

const agentPath = (u, suffix) => `/agents/${encodeURIComponent(u)}${suffix}`;
const refresh = () => Promise.all([agents.refresh(), queues.refresh(), liveCalls.refresh()]);

// --- actions ------------------------------------------------------------------------------

function forceState(a, state) {
  const body = state === "not_ready" ? { state, reason: forceReason.peek() || choices.data.peek()?.pause_reasons?.[0] }
                                     : { state };
  return run(() => post(agentPath(a.username, "/state"), body), t("act.done")).then(refresh);
}

function forceLogout(a) {
  if (!confirm(t("act.confirm_logout", { agent: a.username }))) return;
  return run(() => post(agentPath(a.username, "/logout")), t("act.done")).then(refresh);
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

class QueueRow extends Pure {
  render({ q }) {
    const num = (cls, value) => html`<td class=${`num ${cls}`}>${value}</td>`;
    return html`<tr class=${q.waiting ? "alert" : ""} data-queue=${q.name}>
      <td>${q.name}</td><td>${q.number || ""}</td>
      ${num("waiting", q.waiting)}
      <td class="num longest"><${Elapsed} base=${q.longest_wait} from=${q.fetched} running=${q.waiting > 0} /></td>
      ${num("logged-in", q.agents_logged_in)} ${num("ready", q.agents_ready)}
      ${num("talking", q.agents_talking)} ${num("answered", q.answered)}
      ${num("abandoned", q.abandoned)} ${num("sl", pct(q.service_level))}</tr>`;
  }
}

function QueueTable() {
  const list = queues.data.value || [];
  const th = (key) => html`<th>${t(key)}</th>`;
  return html`<section class="panel">
    <h2>${t("queues.title")}</h2>
    <table class="grid" id="queue-table">
      <thead><tr>${["queues.name", "queues.number", "queues.waiting", "queues.longest", "queues.logged_in",
        "queues.ready", "queues.talking", "queues.answered", "queues.abandoned", "queues.sl"].map(th)}</tr></thead>
      <tbody>${list.map((q) => html`<${QueueRow} key=${q.name} q=${q} />`)}</tbody>
    </table>
  </section>`;
}

class AgentRow extends Pure {
  render({ a, other }) {
    const on = a.state !== "logged_out";
    const idle = IDLE.has(a.state);
    const b = (act, cls, enabled, onClick) => html`<button type="button" class=${`small ${cls}`} data-act=${act}
      disabled=${!enabled} onClick=${onClick}>${t(`act.${act}`)}</button>`;
    return html`<tr class="agent" data-agent=${a.username} data-state=${a.state}>
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
    if (await run(() => put(agentPath(a.username, "/skills"), { skills }), t("skills.saved"))) {
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

function AgentTable() {
  const lists = choices.use();
  const list = agents.data.value || [];
  const calls = liveCalls.data.value || [];
  // logged-in agents first, then by name: rows stay put while states change
  const sorted = [...list].sort((a, b) => (a.state === "logged_out") - (b.state === "logged_out")
                                          || a.username.localeCompare(b.username));
  const otherOf = (a) => {
    const c = a.call_id ? calls.find((x) => x.call_id === a.call_id) : null;
    return c ? (c.caller === a.extension ? c.callee : c.caller) : "";
  };
  const cols = ["agents.agent", "agents.extension", "agents.state", "agents.in_state", "agents.queue",
                "agents.call", "agents.answered", "agents.actions"];
  return html`<section class="panel">
    <h2>${t("agents.title")}</h2>
    <label class="inline panel-tool"><span>${t("wall.force_reason")}</span>
      <select id="force-reason" value=${forceReason.value || lists?.pause_reasons?.[0] || ""}
              onChange=${(e) => { forceReason.value = e.currentTarget.value; }}>
        ${options("reason", lists?.pause_reasons)}</select></label>
    <${SkillsForm} />
    <table class="grid" id="agent-table">
      <thead><tr>${cols.map((key) => html`<th>${t(key)}</th>`)}</tr></thead>
      <tbody>${sorted.length ? sorted.map((a) => html`<${AgentRow} key=${a.username} a=${a} other=${otherOf(a)} />`)
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
      <${QueueTable} />
      <${AgentTable} />
      <${CallTable} agents=${agents.data.value} />
      <${Announcements} />
    </div>
  </div>`;
}
