// The agent desktop (坐席工作台): agent login and states, offers with screen pop, call
// control, wrap-up notes, queue monitor and announcements — all over kefu's HTTP API and
// the events WebSocket. One module-level state object `S`, render functions that read it.

import { del, errorText, get, post } from "./api.js";
import { EventStream } from "./events.js";
import { applyI18n, bindSwitch, label, onLangChange, t } from "./i18n.js";
import { bindLogout, ensureLogin, expired } from "./login.js";
import { LineError, line, onLineState, setMuted, setSending, startLine, stopLine } from "./softphone.js";
import { renderAnnouncements } from "./announcements.js";
import { choiceOptions, choices } from "./choices.js";
import { $, $$, debounce, el, fill, fmtDuration, run, toast } from "./util.js";

const IN_CALL = new Set(["talking", "on_hold"]);
const CHOOSABLE = new Set(["ready", "not_ready", "away", "wrap_up"]);  // may press a state button
const MISSING = new Set([404, 405, 501]);   // an endpoint not (yet) in this kefu

const S = {
  user: null,            // {token, username, role}
  agent: null,           // GET /agents/{me}
  member: true,          // false: not in any queue
  state: "logged_out",
  reason: "",
  since: Date.now(),     // local clock: when the current state began
  device: localStorage.getItem("kefu.device") || "webrtc",
  offer: null,           // {call_id, caller, queue, wait, attached, at}
  call: null,            // GET /live-calls item involving my extension
  callAt: 0,
  consulting: false,
  numbers: {},           // call_id → the customer's number (from offers/connects)
  wrapup: null,          // {call_id, number}
  customer: null,        // {number, record | null, name, company}
  queues: [], queuesAt: Date.now(),
  announcements: null,   // null: not loaded / unavailable
  lineError: "",
};

const me = () => S.user.username;
const ext = () => S.agent?.extension || "";
const loggedIn = () => S.state !== "logged_out";

// the test and debugging hook (softphone.js adds pc, lineState, muted)
Object.defineProperties(window.kefuDesk ??= {}, Object.fromEntries(
  ["state", "reason", "agent", "call", "offer", "device", "wrapup", "customer"].map(
    (k) => [k, { get: () => S[k], enumerable: true, configurable: true }])));

// --- actions ---------------------------------------------------------------------------

function applyAgent(agent) {
  const changed = !S.agent || agent.state !== S.state || agent.reason !== S.reason;
  S.agent = agent;
  if (changed || Math.abs(Date.now() - agent.in_state * 1000 - S.since) > 2000)
    S.since = Date.now() - (agent.in_state || 0) * 1000;
  S.state = agent.state;
  S.reason = agent.reason || "";
  if (agent.device && agent.state !== "logged_out") S.device = agent.device;   // else: the choice
  if (agent.call_id && agent.queue && S.wrapup === null && agent.state === "wrap_up")
    showWrapup(agent.call_id);
}

async function refreshAgent() {
  try {
    applyAgent(await get(`/agents/${encodeURIComponent(me())}`));
    S.member = true;
  } catch (err) {
    if (err.status === 404) S.member = false;
    else toast(t("msg.error", { detail: errorText(err) }), "error");
  }
  renderAgentPanel();
  renderState();
  renderStats();
}

async function agentLogin(form) {
  const data = new FormData(form);
  const queues = data.getAll("queue");
  const body = { extension: String(data.get("extension")).trim(), ready: data.get("ready") === "on",
                 device: String(data.get("device") || "webrtc"),
                 // desk phones that honour Call-Info answer-after pick up by themselves
                 auto_answer: data.get("auto_answer") === "on" };
  if (queues.length) body.queues = queues;
  S.device = body.device;
  localStorage.setItem("kefu.device", S.device);
  localStorage.setItem("kefu.extension", body.extension);
  $("#agent-error").hidden = true;
  try {
    applyAgent(await post(`/agents/${encodeURIComponent(me())}/login`, body));
  } catch (err) {
    $("#agent-error").textContent = errorText(err);
    $("#agent-error").hidden = false;
    return;
  }
  renderAll();
  if (S.device === "webrtc") await connectLine();
}

async function connectLine() {
  S.lineError = "";
  renderLine();
  try {
    await startLine(S.user.token);
  } catch (err) {
    S.lineError = !(err instanceof LineError) ? errorText(err)
      : err.kind === "unavailable" ? t("line.unavailable")
      : err.kind === "media" ? t("line.media", { detail: err.detail })
      : err.kind === "conflict" ? t("line.conflict", { detail: err.detail })
      : `${err.status || ""} ${typeof err.detail === "string" ? err.detail : JSON.stringify(err.detail)}`;
  }
  renderLine();
}

async function agentLogout() {
  await run(() => post(`/agents/${encodeURIComponent(me())}/logout`));
  stopLine();
  S.offer = null;
  await refreshAgent();
  renderAll();
}

async function setState(state, reason = "") {
  const agent = await run(() => post(`/agents/${encodeURIComponent(me())}/state`, { state, reason }));
  if (agent) { applyAgent(agent); renderState(); }
}

async function answer() {
  if (!S.offer) return;
  if (!canAnswer()) { toast(t("offer.on_phone")); return; }
  await run(() => post(`/agents/${encodeURIComponent(me())}/answer`));
}

async function reject() {
  if (!S.offer) return;
  const ok = await run(() => post(`/agents/${encodeURIComponent(me())}/reject`));
  if (ok !== undefined) hideOffer();
}

const callPath = (suffix = "") => `/live-calls/${encodeURIComponent(S.call.call_id)}${suffix}`;

async function hangup() {
  if (!S.call) return;
  await run(() => del(callPath(`/parties/${encodeURIComponent(ext())}`)));
  refreshCall();
}

async function toggleHold() {
  if (!S.call) return;
  const how = myMember()?.holding ? "resume" : "hold";
  await run(() => post(callPath(`/${how}`), { by: ext() }));
  refreshCall();
}

function toggleMute() {
  if (!setMuted(!line.muted)) { toast(t("phone.mute_on_phone")); return; }
  renderCall();
}

async function sendDtmf(digits) {
  if (!S.call) return;
  await run(() => post(callPath("/dtmf"), { by: ext(), digits }));
}

async function transfer(kind, value, consult) {
  if (!S.call || !value) return;
  if (consult) {
    if (kind === "queue") { toast(t("consult.no_queue"), "error"); return; }
    const ok = await run(() => post(callPath("/consult"), { by: ext(), [kind]: value }),
                         t("consult.started"));
    if (ok !== undefined) S.consulting = true;
  } else {
    await run(() => post(callPath("/transfer"), { by: ext(), [kind]: value }), t("transfer.done"));
  }
  renderCall();
  refreshCall();
}

/** Suggestions for the transfer box from the directory (agents, queues, extensions). */
const DIRECTORY_KIND = { agent: "agent", queue: "queue", target: "extension" };
async function suggestTargets() {
  const form = $("#transfer-form");
  const kind = DIRECTORY_KIND[form.elements.kind.value];
  const q = form.elements.value.value.trim();
  let entries = [];
  try {
    entries = await get(`/directory?kind=${kind}&q=${encodeURIComponent(q)}&limit=20`);
  } catch { /* no suggestions: the box still takes any value */ }
  fill($("#transfer-options"), entries.map((e) => el("option", { value: e.value },
    [e.label, e.number, e.state ? label("st", e.state) : "",
     e.waiting ? `${t("queues.waiting")} ${e.waiting}` : ""].filter(Boolean).join(" · "))));
}

async function finishConsult(how) {
  if (!S.call) return;
  const ok = await run(() => post(callPath(`/consult/${how}`), { by: ext() }));
  if (ok !== undefined) S.consulting = false;
  renderCall();
  refreshCall();
}

async function dial(to) {
  to = String(to || "").trim();
  if (!to) return;
  const call = await run(() => post("/live-calls", { to, from: ext() || undefined }),
                         t("dial.started", { to }));
  if (call) {
    S.numbers[call.call_id] = to;
    setCall(call);
  }
}

// --- offers, screen pop, calls, wrap-up --------------------------------------------------

function canAnswer() {
  return S.device === "webrtc" || Boolean(S.agent?.persistent_line);
}

function showOffer(msg) {
  const d = msg.data;
  S.offer = { call_id: msg.call_id, caller: d.caller, queue: d.queue, wait: d.wait || 0,
              attached: d.attached || {}, callback: d.callback, at: Date.now() };
  S.numbers[msg.call_id] = d.caller;
  renderOffer();
  screenPop(d.caller);
}

function hideOffer() {
  S.offer = null;
  renderOffer();
}

const listOf = (body) => (Array.isArray(body) ? body : body?.items || body?.customers || []);

async function screenPop(number) {
  if (!number || S.customer?.number === number) return;
  S.customer = { number, record: null, loading: true, unavailable: false };
  renderCustomer();
  try {
    S.customer.record = listOf(await get(`/customers?number=${encodeURIComponent(number)}`))[0] || null;
  } catch (err) {
    S.customer.unavailable = MISSING.has(err.status);
    if (!S.customer.unavailable) toast(t("msg.error", { detail: errorText(err) }), "error");
  }
  S.customer.loading = false;
  renderCustomer();
}

async function saveCustomer(form) {
  const data = Object.fromEntries(new FormData(form));
  Object.assign(S.customer, { name: data.name, company: data.company });
  try {
    const record = await post("/customers", { number: data.number, name: data.name,
                                               company: data.company });
    S.customer.record = record && typeof record === "object" ? record : { ...data };
    toast(t("customer.saved"));
  } catch (err) {
    if (MISSING.has(err.status)) toast(t("customer.unavailable"));
    else toast(t("msg.error", { detail: errorText(err) }), "error");
  }
  renderCustomer();
}

function myMember() {
  return S.call?.members?.find((m) => m.number === ext()) || null;
}

/** A persistent line (the softphone's or a phone's 常连接) is a call from "kefu" to the
 *  agent's extension that lasts the whole session: not a call to show. */
const isLine = (call) => Boolean(call.line);   // a persistent line, not a conversation

function involvesMe(call) {
  const x = ext();
  if (!x || isLine(call)) return false;
  if ((call.members || []).some((m) => m.number === x)) return true;
  if ((call.dialing || []).includes(x)) return call.state !== "queued";  // an offer is not my call yet
  // before anyone answers: a call I am placing (after a transfer I am no member: not mine)
  return (call.state === "routing" || call.state === "ringing") && (call.caller === x || call.callee === x);
}

function otherParty(call) {
  if (!call) return "";
  if (S.numbers[call.call_id]) return S.numbers[call.call_id];
  return call.caller === ext() ? call.callee : call.caller;
}

function setCall(call) {
  const previous = S.call;
  if (call && (!previous || previous.call_id !== call.call_id)) {
    S.callAt = Date.now();
    S.consulting = false;
    if (S.offer && S.offer.call_id === call.call_id) hideOffer();
    screenPop(otherParty(call));
  }
  if (previous && (!call || previous.call_id !== call.call_id)) callEnded(previous);
  S.call = call;
  renderCall();
}

function callEnded(call) {
  const number = otherParty(call);
  S.consulting = false;
  if (!S.wrapup || S.wrapup.call_id !== call.call_id) showWrapup(call.call_id, number);
}

async function refreshCall() {
  if (!loggedIn() || !ext()) { if (S.call) setCall(null); return; }
  try {
    const calls = await get("/live-calls");
    setCall(calls.find((c) => c.call_id === S.call?.call_id && involvesMe(c))
            || calls.find(involvesMe) || null);
  } catch (err) {
    if (err.status !== 403) console.warn("live-calls", err);
  }
}

function showWrapup(callId, number) {
  S.wrapup = { call_id: callId, number: number || S.numbers[callId] || S.customer?.number || "" };
  $("#wrapup-form").reset();
  renderWrapup();
}

async function saveWrapup(form) {
  const data = Object.fromEntries(new FormData(form));
  const body = { number: S.wrapup.number, type: data.type, result: data.result, notes: data.notes };
  const c = S.customer?.number === S.wrapup.number ? S.customer : null;
  const newCustomer = $("#customer-form");
  if (c && !c.record && (newCustomer.elements.name.value.trim() || newCustomer.elements.company.value.trim()))
    await saveCustomer(newCustomer);          // the new-customer form was filled but not saved
  const name = c ? (c.record?.name || c.name) : "";
  if (name) body.name = name;
  try {
    await post(`/calls/${encodeURIComponent(S.wrapup.call_id)}/notes`, body);
    toast(t("wrapup.saved"));
  } catch (err) {
    toast(MISSING.has(err.status) ? t("wrapup.unavailable", { status: err.status })
                                  : t("msg.error", { detail: errorText(err) }), "error");
    return;
  }
  await endWrapup();
}

async function endWrapup() {
  if (S.state === "wrap_up") {
    const agent = await run(() => post(`/agents/${encodeURIComponent(me())}/wrap-up/end`));
    if (agent) applyAgent(agent);
  }
  S.wrapup = null;
  if (S.customer && !S.call && !S.offer) S.customer = null;
  renderAll();
}

// --- queues, announcements ---------------------------------------------------------------

async function refreshQueues() {
  try {
    S.queues = await get("/queues");
    S.queuesAt = Date.now();
    renderQueues();
  } catch (err) {
    if (err.status !== 401) console.warn("queues", err);
  }
}
const refreshQueuesSoon = debounce(refreshQueues, 250, 1000);

async function refreshAnnouncements() {
  try {
    S.announcements = listOf(await get("/announcements"));
  } catch (err) {
    S.announcements = null;
    if (!MISSING.has(err.status)) console.warn("announcements", err);
  }
  renderAnnouncements($("#announcements"), S.announcements, { onAck: ack });
}

async function ack(id) {
  await run(() => post(`/announcements/${encodeURIComponent(id)}/ack`));
  refreshAnnouncements();
}

// --- events ---------------------------------------------------------------------------

function onEvent(msg) {
  const d = msg.data || {};
  const mine = d.agent === me() || (Array.isArray(d.agents) && d.agents.includes(me()));
  const type = msg.type || "";
  if (type.startsWith("queue.")) refreshQueuesSoon();
  if (type.startsWith("announcement.")) refreshAnnouncements();
  if (type === "call.ended" && S.call && msg.call_id === S.call.call_id) refreshCall();
  if (!mine) {
    if (S.offer && msg.call_id === S.offer.call_id
        && ["queue.abandon", "queue.overflow", "queue.callback", "queue.connect"].includes(type))
      hideOffer();
    return;
  }
  switch (type) {
    case "agent.state": {
      const was = S.state;
      S.state = d.state;
      S.reason = d.reason || "";
      S.since = Date.now();
      if (S.agent) Object.assign(S.agent, { state: d.state, reason: d.reason, call_id: msg.call_id });
      if (was === "reserved" && d.state !== "reserved" && S.offer && !IN_CALL.has(d.state)) hideOffer();
      if (IN_CALL.has(d.state) || IN_CALL.has(was)) refreshCall();
      if (d.state === "wrap_up" && !S.wrapup) showWrapup(msg.call_id);
      if (d.state === "logged_out") { stopLine(); hideOffer(); refreshAgent(); }
      renderState();
      break;
    }
    case "agent.login": case "agent.logout":
      refreshAgent();
      if (type === "agent.logout") { stopLine(); hideOffer(); }
      break;
    case "agent.line":
      if (d.state === "failed") S.lineError = `${d.code || ""} ${d.reason || ""}`.trim();
      refreshAgent().then(renderLine);
      break;
    case "agent.wrap_up_start":
      if (!S.wrapup || S.wrapup.call_id !== msg.call_id) showWrapup(msg.call_id);
      break;
    case "queue.offer":
      showOffer(msg);
      break;
    case "queue.connect":
      S.numbers[msg.call_id] = d.caller;
      hideOffer();
      refreshCall();
      refreshAgent();           // today's answered count
      break;
    case "queue.ring_no_answer":
      if (S.offer && S.offer.call_id === msg.call_id) hideOffer();
      break;
    case "queue.complete":
      refreshAgent();
      refreshCall();
      if (!S.wrapup || S.wrapup.call_id !== msg.call_id) showWrapup(msg.call_id);
      break;
    default:
  }
}

function onWsStatus(status) {
  const node = $("#ws-status");
  node.className = `ws ws-${status}`;
  node.dataset.status = status;
  if (status === "open") { refreshAgent(); refreshCall(); refreshQueues(); }
}

// --- rendering ---------------------------------------------------------------------------

function renderAgentPanel() {
  const form = $("#agent-login-form"), session = $("#agent-session");
  $("#agent-error").hidden = S.member;
  if (!S.member) $("#agent-error").textContent = t("agent.not_member");
  form.hidden = loggedIn() || !S.member;
  session.hidden = !loggedIn();
  if (loggedIn()) {
    $("#session-ext").textContent = ext();
    $("#session-device").textContent = t(`agent.device.${S.device}`);
    $("#session-queues").textContent = (S.agent?.queues || []).join(", ");
    return;
  }
  const skills = S.agent?.skills || {};
  const choices = $("#queue-choices");
  const signature = JSON.stringify(skills) + document.documentElement.lang;
  if (choices.dataset.skills !== signature) {      // keep the agent's ticks between refreshes
    const old = new Map($$("input[name=queue]", form).map((i) => [i.value, i.checked]));
    choices.dataset.skills = signature;
    fill(choices, Object.entries(skills).map(([q, level]) =>
      el("label", { class: "inline" },
        el("input", { type: "checkbox", name: "queue", value: q, checked: old.get(q) ?? true }),
        ` ${q} `, el("small", { class: "muted" }, t("agent.skill", { level })))));
  }
  const input = $("#extension");
  if (!input.value) input.value = localStorage.getItem("kefu.extension") || "";
  for (const radio of $$("input[name=device]", form)) radio.checked = radio.value === S.device;
}

function renderState() {
  syncSending();
  for (const id of ["#state-badge", "#state-label"]) {
    const node = $(id);
    node.textContent = label("st", S.state);
    node.className = `badge state-${S.state}`;
    node.dataset.state = S.state;
  }
  $("#state-reason").textContent = S.state === "not_ready" ? label("reason", S.reason) : "";
  const free = loggedIn() && CHOOSABLE.has(S.state);
  for (const [id, state] of [["#btn-ready", "ready"], ["#btn-not-ready", "not_ready"], ["#btn-away", "away"]]) {
    $(id).disabled = !free;
    $(id).classList.toggle("active", S.state === state);
  }
  $("#reason").disabled = !free;
  $("#btn-wrapup-end").disabled = S.state !== "wrap_up";
  renderCall();
  tick();
}

function renderStats() {
  $("#stat-answered").textContent = S.agent?.answered ?? 0;
  $("#stat-talk").textContent = fmtDuration(S.agent?.talk_time || 0);
}

/** The softphone sends the microphone only while an offer or a call needs it. */
function syncSending() {
  setSending(Boolean(S.offer || S.call || ["reserved", "talking", "on_hold"].includes(S.state)));
}

function renderLine() {
  syncSending();
  const state = S.device === "webrtc" ? line.state : "phone";
  const node = $("#line-state");
  node.textContent = label("line", state);
  node.dataset.line = state;
  $("#line-error").textContent = S.lineError;
  $("#line-error").hidden = !S.lineError;
  $("#btn-line").hidden = !(loggedIn() && S.device === "webrtc"
                            && ["idle", "failed", "closed"].includes(line.state));
  $("#btn-mute").disabled = !S.call || S.device !== "webrtc" || !line.track;
}

function kvRows(obj) {
  const entries = Object.entries(obj || {});
  if (!entries.length) return [el("tr", {}, el("td", { colspan: 2, class: "muted" }, t("offer.none")))];
  return entries.map(([k, v]) => el("tr", {}, el("th", {}, k),
    el("td", {}, typeof v === "object" && v !== null ? JSON.stringify(v) : String(v))));
}

function renderOffer() {
  const o = S.offer;
  syncSending();
  $("#offer-panel").hidden = !o;
  document.body.classList.toggle("ringing", Boolean(o));
  if (!o) return;
  $("#offer-caller").textContent = o.caller + (o.callback ? ` (${t("offer.callback")})` : "");
  $("#offer-queue").textContent = o.queue;
  fill($("#offer-data tbody"), kvRows(o.attached));
  $("#offer-hint").hidden = canAnswer();
  $("#btn-answer").disabled = !canAnswer();
  tick();
}

function renderCustomer() {
  const c = S.customer;
  $("#customer-panel").hidden = !c;
  if (!c) return;
  const info = $("#customer-info"), form = $("#customer-form");
  if (c.loading) {
    fill(info, [el("p", { class: "muted" }, t("customer.loading"))]);
    form.hidden = true;
    return;
  }
  if (c.record) {
    const shown = Object.entries(c.record).filter(([k, v]) => v !== null && v !== "" && typeof v !== "object"
                                                    && !["id", "created_at", "updated_at"].includes(k));
    const value = (k, v) => (k === "number" || k === "phone"
      ? el("a", { href: "#", class: "dial-link", dataset: { dial: v } }, String(v)) : String(v));
    const rows = shown.map(([k, v]) => el("tr", {}, el("th", {}, label("customer", k)), el("td", {}, value(k, v))));
    fill(info, [el("table", { class: "kv", id: "customer-record" }, el("tbody", {}, rows))]);
    form.hidden = true;
    return;
  }
  fill(info, c.unavailable ? [el("p", { class: "muted" }, t("customer.unavailable"))] : []);
  form.hidden = false;
  form.elements.number.value = c.number;
  if (c.name !== undefined) form.elements.name.value = c.name;
  if (c.company !== undefined) form.elements.company.value = c.company;
}

function renderCall() {
  const c = S.call;
  syncSending();
  const info = $("#call-info");
  if (!c) {
    fill(info, [el("span", { class: "muted", "data-i18n": "call.none" }, t("call.none"))]);
  } else {
    const mine = myMember();
    fill(info, [
      el("div", { class: "call-line" },
        el("span", {}, `${t("call.with")}: `, el("b", { id: "call-other" }, otherParty(c) || "—")),
        el("span", { class: "timer", id: "call-time" }, fmtDuration((Date.now() - S.callAt) / 1000)),
        el("span", { class: "badge" }, label("cs", c.state))),
      el("div", { class: "muted small" }, `${t("call.id")}: ${c.call_id}`, c.queue ? ` · ${c.queue}` : ""),
      el("div", { class: "small" }, `${t("call.parties")}: `,
        (c.members || []).map((m) => el("span", { class: `party${m.holding || m.held ? " held" : ""}` },
          m.number, m.holding || m.held ? ` (${t("call.held")})` : "")),
        (c.dialing || []).map((n) => el("span", { class: "party dialing" }, `${n} (${t("call.dialing")})`))),
      mine?.holding ? el("div", { class: "badge state-on_hold" }, label("st", "on_hold")) : null,
    ]);
  }
  const has = Boolean(c);
  for (const b of $$("#call-controls button, #keypad button, #transfer-form button")) b.disabled = !has;
  $("#hold-label").dataset.i18n = myMember()?.holding ? "call.resume" : "call.hold";
  $("#hold-label").textContent = t($("#hold-label").dataset.i18n);
  $("#btn-mute").textContent = t(line.muted ? "call.unmute" : "call.mute");
  $("#btn-mute").classList.toggle("active", line.muted);
  $("#consult-controls").hidden = !S.consulting;
  for (const b of $$("#consult-controls button")) b.disabled = !has;
  $("#dial-form button").disabled = !loggedIn() || has || S.state === "reserved";
  renderLine();
}

function renderWrapup() {
  const w = S.wrapup;
  $("#wrapup-panel").hidden = !w;
  if (!w) return;
  $("#wrapup-call").textContent = w.call_id || "";
  const num = $("#wrapup-number");
  fill(num, w.number ? [el("a", { href: "#", class: "dial-link", dataset: { dial: w.number } }, w.number)] : []);
  $("#btn-wrapup-end").disabled = S.state !== "wrap_up";
}

function renderQueues() {
  const rows = S.queues.filter((q) => !S.agent?.queues?.length || S.agent.queues.includes(q.name)
                                      || !loggedIn());
  fill($("#queue-table tbody"), rows.map((q) => el("tr", { class: q.waiting ? "alert" : "", dataset: { queue: q.name } },
    el("td", {}, q.name, el("small", { class: "muted" }, ` ${q.number || ""}`)),
    el("td", { class: "num waiting" }, q.waiting),
    el("td", { class: "num longest", dataset: { longest: q.longest_wait, waiting: q.waiting } },
       fmtDuration(q.longest_wait)),
    el("td", { class: "num" }, q.agents_ready))));
}

function renderAll() {
  renderAgentPanel(); renderState(); renderStats(); renderLine(); renderOffer();
  renderCustomer(); renderCall(); renderWrapup(); renderQueues();
  renderAnnouncements($("#announcements"), S.announcements, { onAck: ack });
  const who = S.user.display_name || S.user.username;
  $("#me").textContent = loggedIn() && ext() ? `${who} · ${ext()}` : who;
}

/** Once a second: the ticking clocks. */
function tick() {
  const inState = fmtDuration((Date.now() - S.since) / 1000);
  $("#state-time").textContent = inState;
  $("#state-clock").textContent = inState;
  if (S.offer) $("#offer-wait").textContent = fmtDuration(S.offer.wait + (Date.now() - S.offer.at) / 1000);
  const callTime = $("#call-time");
  if (callTime && S.call) callTime.textContent = fmtDuration((Date.now() - S.callAt) / 1000);
  const age = (Date.now() - S.queuesAt) / 1000;
  for (const td of $$("#queue-table td.longest")) {
    const waiting = Number(td.dataset.waiting);
    td.textContent = fmtDuration(Number(td.dataset.longest) + (waiting ? age : 0));
  }
}

// --- wiring ---------------------------------------------------------------------------

async function buildStatic() {
  const lists = await run(choices);
  if (lists) {
    fill($("#reason"), choiceOptions("reason", lists.pause_reasons));
    fill($("#wrapup-form").elements.type, choiceOptions("wrapup.type", lists.contact_types));
    fill($("#wrapup-form").elements.result, choiceOptions("wrapup.result", lists.contact_results));
  }
  fill($("#keypad"), [..."123456789*0#"].map((k) =>
    el("button", { type: "button", class: "key", dataset: { digit: k } }, k)));
}

function bind() {
  $("#agent-login-form").addEventListener("submit", (e) => { e.preventDefault(); agentLogin(e.target); });
  $("#agent-logout").addEventListener("click", agentLogout);
  $("#btn-line").addEventListener("click", connectLine);
  $("#btn-ready").addEventListener("click", () => setState("ready"));
  $("#btn-not-ready").addEventListener("click", () => setState("not_ready", $("#reason").value));
  $("#btn-away").addEventListener("click", () => setState("away"));
  $("#btn-answer").addEventListener("click", answer);
  $("#btn-reject").addEventListener("click", reject);
  $("#btn-hangup").addEventListener("click", hangup);
  $("#btn-hold").addEventListener("click", toggleHold);
  $("#btn-mute").addEventListener("click", toggleMute);
  $("#keypad").addEventListener("click", (e) => { const d = e.target.dataset?.digit; if (d) sendDtmf(d); });
  const tf = $("#transfer-form");
  const suggest = debounce(suggestTargets, 200);
  tf.elements.value.addEventListener("input", suggest);
  tf.elements.value.addEventListener("focus", suggest);
  tf.elements.kind.addEventListener("change", suggest);
  tf.addEventListener("submit", (e) => {
    e.preventDefault();
    transfer(tf.elements.kind.value, tf.elements.value.value.trim(), false);
  });
  $("#btn-consult").addEventListener("click", () => {
    if (tf.reportValidity()) transfer(tf.elements.kind.value, tf.elements.value.value.trim(), true);
  });
  $("#consult-controls").addEventListener("click", (e) => {
    const how = e.target.dataset?.consult;
    if (how) finishConsult(how);
  });
  $("#dial-form").addEventListener("submit", (e) => { e.preventDefault(); dial($("#dial-to").value); });
  $("#customer-form").addEventListener("submit", (e) => { e.preventDefault(); saveCustomer(e.target); });
  $("#wrapup-form").addEventListener("submit", (e) => { e.preventDefault(); saveWrapup(e.target); });
  $("#btn-wrapup-end").addEventListener("click", endWrapup);
  document.addEventListener("click", (e) => {      // click-to-call
    const link = e.target.closest?.("[data-dial]");
    if (link) { e.preventDefault(); dial(link.dataset.dial); }
  });
  document.addEventListener("keydown", (e) => {
    const keys = { F2: answer, F4: hangup, F6: toggleHold };
    if (keys[e.key]) { e.preventDefault(); keys[e.key](); }
  });
  onLineState(() => { renderLine(); renderCall(); });
  onLangChange(renderAll);
}

async function main() {
  applyI18n();
  bindSwitch($("#lang-switch"));
  S.user = await ensureLogin();
  $("#app").hidden = false;
  $("#wall-link").hidden = !["admin", "supervisor"].includes(S.user.role);
  bindLogout($("#web-logout"), async () => stopLine());
  await buildStatic();
  applyI18n();
  bind();
  await refreshAgent();
  renderAll();
  new EventStream(S.user.token, { onEvent, onStatus: onWsStatus, onUnauthorized: expired }).start();
  await Promise.all([refreshCall(), refreshQueues(), refreshAnnouncements()]);
  renderAll();
  setInterval(tick, 1000);
  setInterval(refreshQueues, 5000);
  setInterval(() => loggedIn() && refreshCall(), 3000);
  setInterval(refreshAgent, 15000);
  setInterval(refreshAnnouncements, 60000);
  document.body.dataset.ready = "1";
}

main().catch((err) => {
  console.error(err);
  toast(t("msg.error", { detail: errorText(err) }), "error");
});
