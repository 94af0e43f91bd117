// The supervisor wallboard (监控大屏): every agent and queue live, per-agent actions
// (force ready / not ready / logout), per-call supervision (listen, whisper, barge,
// force release) and announcements.

import { del, errorText, get, post, put } from "./api.js";
import { EventStream } from "./events.js";
import { applyI18n, bindSwitch, label, onLangChange, t } from "./i18n.js";
import { bindLogout, ensureLogin, expired } from "./login.js";
import { renderAnnouncements } from "./announcements.js";
import { choiceOptions, choices } from "./choices.js";
import { line, onLineState, startLine, stopLine } from "./softphone.js";
import { $, $$, debounce, el, fill, fmtDuration, run, toast } from "./util.js";

const TALKING = new Set(["talking", "on_hold"]);
const PAUSED = new Set(["not_ready", "away"]);
const MISSING = new Set([404, 405, 501]);

const W = {
  user: null,
  agents: [],            // GET /agents, each with a local `since` (ms)
  queues: [], queuesAt: Date.now(),
  calls: [], callsAt: Date.now(),
  announcements: null,
};
window.kefuWall = W;

// --- data ------------------------------------------------------------------------------

async function refresh() {
  const [agents, queues, calls] = await Promise.allSettled([get("/agents"), get("/queues"), get("/live-calls")]);
  const now = Date.now();
  if (agents.status === "fulfilled")
    W.agents = agents.value.map((a) => ({ ...a, since: now - (a.in_state || 0) * 1000 }));
  if (queues.status === "fulfilled") { W.queues = queues.value; W.queuesAt = now; }
  // persistent lines (softphones, 常连接) are calls from "kefu" that last a whole session
  if (calls.status === "fulfilled") {
    W.calls = calls.value.filter((c) => !c.line);   // persistent lines are not calls
    W.callsAt = now;
  }
  render();
}
const refreshSoon = debounce(refresh, 250, 1000);   // a burst of events: one refresh a second

async function refreshAnnouncements() {
  try {
    const body = await get("/announcements");
    W.announcements = Array.isArray(body) ? body : body?.items || [];
  } catch (err) {
    W.announcements = null;
    if (!MISSING.has(err.status)) console.warn("announcements", err);
  }
  renderAnnouncements($("#announcements"), W.announcements);
}

function onEvent(msg) {
  const d = msg.data || {};
  const type = msg.type || "";
  if (type === "agent.state") {
    const agent = W.agents.find((a) => a.username === d.agent);
    if (agent) {
      Object.assign(agent, { state: d.state, reason: d.reason || "", since: Date.now(),
                             call_id: msg.call_id ?? agent.call_id });
      renderAgents();
      renderTiles();
    }
    refreshSoon();
  } else if (type.startsWith("agent.") || type.startsWith("queue.") || type.startsWith("call.")) {
    refreshSoon();
  }
  if (type.startsWith("announcement.")) refreshAnnouncements();
}

function onWsStatus(status) {
  const node = $("#ws-status");
  node.className = `ws ws-${status}`;
  node.dataset.status = status;
  if (status === "open") refresh();
}

// --- actions ---------------------------------------------------------------------------

const supExt = () => $("#sup-ext").value.trim();
const agentPath = (u, suffix) => `/agents/${encodeURIComponent(u)}${suffix}`;

function forceState(agent, state) {
  const body = state === "not_ready" ? { state, reason: $("#force-reason").value } : { state };
  return run(() => post(agentPath(agent.username, "/state"), body), t("act.done")).then(refresh);
}

/** The skills form: one level per queue (empty: not a member), built when opened so the
 *  5 s refresh does not undo what the supervisor is typing. */
function editSkills(agent) {
  const form = $("#skills-form");
  form.dataset.agent = agent.username;
  $("#skills-agent").textContent = agent.username;
  fill($("#skills-fields"), W.queues.map((q) => el("label", { class: "inline", dataset: { queue: q.name } },
    `${q.name} `, el("input", { type: "number", name: q.name, min: 0, max: 100, step: 1,
                                value: agent.skills?.[q.name] ?? "" }))));
  form.hidden = false;
  form.querySelector("input")?.focus();
}

async function saveSkills(form) {
  const skills = {};
  for (const input of form.querySelectorAll("#skills-fields input"))
    if (input.value.trim() !== "") skills[input.name] = Number(input.value);
  if (await run(() => put(agentPath(form.dataset.agent, "/skills"), { skills }), t("skills.saved"))) {
    form.hidden = true;
    refresh();
  }
}

function forceLogout(agent) {
  if (!confirm(t("act.confirm_logout", { agent: agent.username }))) return;
  return run(() => post(agentPath(agent.username, "/logout")), t("act.done")).then(refresh);
}

// Who supervises: "my extension" when filled in, else me (kefu finds my browser line or
// the extension I am logged in on, and says so when there is none).
function monitor(callId, mode, target) {
  const body = { supervisor: supExt() || W.user.username, mode };
  if (mode === "whisper" && target) body.target = target;
  return run(() => post(`/live-calls/${encodeURIComponent(callId)}/monitor`, body), t("act.done"));
}

function release(callId) {
  if (!confirm(t("act.confirm_release"))) return;
  return run(() => del(`/live-calls/${encodeURIComponent(callId)}`), t("act.done")).then(refresh);
}

async function announce(form) {
  const fields = new FormData(form);
  const data = Object.fromEntries(fields);
  const audience = String(data.audience || "").split(/[,,\s]+/).filter(Boolean);
  const groups = fields.getAll("groups");     // checked queues (技能组)
  try {
    await post("/announcements", { title: data.title, body: data.body, audience, groups });
    toast(t("ann.posted"));
    form.reset();
    refreshAnnouncements();
  } catch (err) {
    toast(MISSING.has(err.status) ? t("ann.unavailable") : t("msg.error", { detail: errorText(err) }), "error");
  }
}

// --- rendering -------------------------------------------------------------------------

/** One checkbox per queue for the announcement form, rebuilt only when the queue names
 *  change (the 5 s refresh must not undo what the supervisor is ticking). */
function renderGroupChoices() {
  const box = $("#announce-groups-list");
  const names = W.queues.map((q) => q.name);
  if (box.dataset.names === names.join("\n") && box.childElementCount) return;
  const checked = new Set(new FormData($("#announce-form")).getAll("groups"));
  box.dataset.names = names.join("\n");
  fill(box, names.length
    ? names.map((name) => el("label", { class: "inline", dataset: { group: name } },
        el("input", { type: "checkbox", name: "groups", value: name, checked: checked.has(name) }), name))
    : [el("span", { class: "muted", "data-i18n": "ann.groups_none" }, t("ann.groups_none"))]);
}

function callButtons(callId, whisperTo) {
  return [
    el("button", { type: "button", class: "small", dataset: { act: "listen" },
                   onclick: () => monitor(callId, "listen") }, t("act.listen")),
    el("button", { type: "button", class: "small", dataset: { act: "whisper" },
                   onclick: () => monitor(callId, "whisper", whisperTo) }, t("act.whisper")),
    el("button", { type: "button", class: "small", dataset: { act: "barge" },
                   onclick: () => monitor(callId, "barge") }, t("act.barge")),
    el("button", { type: "button", class: "small danger", dataset: { act: "release" },
                   onclick: () => release(callId) }, t("act.release")),
  ];
}

const pct = (x) => (x === null || x === undefined ? "—" : `${Math.round(x * 100)}%`);
const emptyRow = (key) => [el("tr", {}, el("td", { colspan: 8, class: "muted" }, t(key)))];

function renderTiles() {
  const sum = (f) => W.queues.reduce((n, q) => n + (f(q) || 0), 0);
  const handled = (q) => (q.answered || 0) + (q.abandoned || 0);
  const total = sum(handled);
  const count = (pred) => W.agents.filter((a) => pred(a.state)).length;
  $("#t-waiting").textContent = sum((q) => q.waiting);
  $("#t-ready").textContent = count((s) => s === "ready");
  $("#t-talking").textContent = count((s) => TALKING.has(s));
  $("#t-paused").textContent = count((s) => PAUSED.has(s));
  $("#t-answered").textContent = sum((q) => q.answered);
  $("#t-abandoned").textContent = sum((q) => q.abandoned);
  // every queue's service level, weighted by the calls it handled
  $("#t-sl").textContent = pct(total ? sum((q) => (q.service_level || 0) * handled(q)) / total : null);
  $("#tiles").classList.toggle("alert", sum((q) => q.waiting) > 0);
}

function renderQueues() {
  const num = (cls, value) => el("td", { class: `num ${cls}` }, value);
  fill($("#queue-table tbody"), W.queues.map((q) =>
    el("tr", { class: q.waiting ? "alert" : "", dataset: { queue: q.name } },
      el("td", {}, q.name), el("td", {}, q.number || ""),
      num("waiting", q.waiting),
      el("td", { class: "num longest", dataset: { longest: q.longest_wait, waiting: q.waiting } },
         fmtDuration(q.longest_wait)),
      num("logged-in", q.agents_logged_in), num("ready", q.agents_ready),
      num("talking", q.agents_talking), num("answered", q.answered),
      num("abandoned", q.abandoned), num("sl", pct(q.service_level)))));
}

function agentActions(a) {
  const button = (act, cls, enabled, onclick) =>
    el("button", { type: "button", class: `small ${cls}`, dataset: { act }, disabled: !enabled, onclick },
       t(`act.${act}`));
  const skills = button("skills", "", true, () => editSkills(a));
  if (a.state === "logged_out") return [skills];
  const idle = ["ready", "not_ready", "away", "wrap_up"].includes(a.state);
  return [
    button("ready", "ok", idle && a.state !== "ready", () => forceState(a, "ready")),
    button("not_ready", "warn", idle, () => forceState(a, "not_ready")),
    button("logout", "", true, () => forceLogout(a)),
    skills,
    a.call_id && TALKING.has(a.state) ? callButtons(a.call_id, a.extension) : [],
  ];
}

function renderAgents() {
  // logged-in agents first, then by name: rows stay put while states change
  const agents = [...W.agents].sort((a, b) => (a.state === "logged_out") - (b.state === "logged_out")
                                            || a.username.localeCompare(b.username));
  const rows = agents.map((a) => {
    const call = a.call_id ? W.calls.find((c) => c.call_id === a.call_id) : null;
    const other = call ? (call.caller === a.extension ? call.callee : call.caller) : "";
    const on = a.state !== "logged_out";
    const reason = a.state === "not_ready" && a.reason
      ? el("small", { class: "muted" }, ` ${label("reason", a.reason)}`) : null;
    return el("tr", { class: "agent", dataset: { agent: a.username, state: a.state } },
      el("td", {}, el("b", {}, a.username),
         a.name && a.name !== a.username ? el("small", { class: "muted" }, ` ${a.name}`) : null),
      el("td", {}, a.extension || ""),
      el("td", {}, el("span", { class: `badge state-${a.state}` }, label("st", a.state)), reason),
      el("td", { class: "num in-state", dataset: { since: a.since } },
         on ? fmtDuration((Date.now() - a.since) / 1000) : ""),
      el("td", {}, a.queue || (a.queues || []).join(", ")),
      el("td", {}, other, a.call_id ? el("small", { class: "muted" }, ` ${a.call_id.slice(0, 8)}`) : null),
      el("td", { class: "num" }, a.answered ?? 0),
      el("td", { class: "actions" }, agentActions(a)));
  });
  fill($("#agent-table tbody"), rows.length ? rows : emptyRow("agents.none"));
}

function renderCalls() {
  const members = (c) => (c.members || [])
    .map((m) => (m.mode && m.mode !== "talk" ? `${m.number}(${m.mode})` : m.number)).join(" ");
  const rows = W.calls.map((c) => {
    const agent = W.agents.find((a) => a.username === c.agent);
    const started = c.started ? c.started * 1000 : W.callsAt;
    return el("tr", { dataset: { call: c.call_id } },
      el("td", {}, c.caller), el("td", {}, c.callee || ""),
      el("td", { class: "call-state" }, label("cs", c.state)),
      el("td", {}, c.queue || ""), el("td", {}, c.agent || ""),
      el("td", { class: "num call-time", dataset: { started } }, fmtDuration((Date.now() - started) / 1000)),
      el("td", { class: "small members" }, members(c)),
      el("td", { class: "actions" }, callButtons(c.call_id, agent?.extension)));
  });
  fill($("#call-table tbody"), rows.length ? rows : emptyRow("calls.none"));
}

function render() {
  renderTiles(); renderQueues(); renderAgents(); renderCalls(); renderGroupChoices();
  tick();
}

function tick() {
  const now = Date.now();
  $("#clock").textContent = new Date().toLocaleTimeString();
  const since = (td, key) => fmtDuration((now - Number(td.dataset[key])) / 1000);
  for (const td of $$("#agent-table td.in-state")) if (td.textContent) td.textContent = since(td, "since");
  for (const td of $$("#call-table td.call-time")) td.textContent = since(td, "started");
  const age = (now - W.queuesAt) / 1000;
  let longest = 0;
  for (const td of $$("#queue-table td.longest")) {
    const value = Number(td.dataset.longest) + (Number(td.dataset.waiting) ? age : 0);
    longest = Math.max(longest, Number(td.dataset.waiting) ? value : 0);
    td.textContent = fmtDuration(value);
  }
  $("#t-longest").textContent = fmtDuration(longest);
}

// --- wiring ----------------------------------------------------------------------------

// --- the supervisor's own audio: a browser line on "my extension" ----------------------------
// With it up, listen / whisper / barge take this line into the call instead of ringing a
// phone on that extension.
async function toggleLine() {
  if (line.pc) { stopLine(); return; }
  if (!supExt()) { toast(t("act.need_ext"), "error"); $("#sup-ext").focus(); return; }
  try {
    await startLine(W.user.token, { extension: supExt() });
  } catch (err) {
    toast(`${t("wall.line_failed")}: ${err.detail || err.message}`, "error");
  }
}

function showLine(state) {
  const button = $("#sup-line");
  button.dataset.line = state;
  const on = state === "connected" || state === "connecting";
  button.dataset.i18n = on ? "wall.line_on" : "wall.line_connect";
  button.textContent = t(button.dataset.i18n);
}

async function main() {
  applyI18n();
  bindSwitch($("#lang-switch"));
  W.user = await ensureLogin();
  $("#app").hidden = false;
  $("#me").textContent = W.user.display_name || W.user.username;
  bindLogout($("#web-logout"));
  if (!["admin", "supervisor"].includes(W.user.role)) {
    fill($("#app"), [el("p", { class: "error panel", id: "need-role" }, t("wall.need_role"))]);
    return;
  }
  const lists = await run(choices);
  if (lists) fill($("#force-reason"), choiceOptions("reason", lists.pause_reasons));
  const ext = $("#sup-ext");
  ext.value = localStorage.getItem("kefu.supExt") || "";
  ext.addEventListener("change", () => localStorage.setItem("kefu.supExt", ext.value.trim()));
  $("#announce-form").addEventListener("submit", (e) => { e.preventDefault(); announce(e.target); });
  $("#skills-form").addEventListener("submit", (e) => { e.preventDefault(); saveSkills(e.target); });
  $("#skills-cancel").addEventListener("click", () => { $("#skills-form").hidden = true; });
  $("#sup-line").addEventListener("click", toggleLine);
  onLineState(showLine);
  window.kefuWall = { line };
  onLangChange(() => { render(); renderAnnouncements($("#announcements"), W.announcements); });
  applyI18n();
  await Promise.all([refresh(), refreshAnnouncements()]);
  new EventStream(W.user.token, { onEvent, onStatus: onWsStatus, onUnauthorized: expired }).start();
  setInterval(tick, 1000);
  setInterval(refresh, 5000);
  setInterval(refreshAnnouncements, 60000);
  document.body.dataset.ready = "1";
}

main().catch((err) => {
  console.error(err);
  toast(t("msg.error", { detail: errorText(err) }), "error");
});
