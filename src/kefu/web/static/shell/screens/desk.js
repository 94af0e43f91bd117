// The agent desktop (坐席工作台) as a shell screen: agent login and states, offers with the
// screen pop, call control, wrap-up notes, the queue monitor and announcements, over the
// HTTP API and the shell's events stream.  Each panel is a component reading only the
// signals it shows, so a state change re-renders the state badge, not the desk.
//
// The desk's state lives in module signals (kept while the user moves to another screen
// and back; cleared at sign-out).  The softphone (softphone.js, WebRTC) is one line per
// page; the CRM (customer, notes) and announcements parts are those slices' screens.

import { html } from "htm/preact";
import { useEffect, useState } from "preact/hooks";
import { batch, effect, signal, untracked } from "@preact/signals";
import { del, errorText, get, post } from "../api.js";
import { label, t } from "../i18n.js";
import { LineError, keepLine, line, onLineState, setMuted, setSending, stopLine } from "../softphone.js";
import { choices, liveCalls, onEvent, onSignOut, queues, user, wsStatus } from "../store.js";
import { Elapsed, Pure, debounce, fmtDuration, fmtTime, now, options, run, toast } from "../util.js";   // keepalive: fmtTime
import { clearCustomer, CustomerPanel, customer, refreshHistory, screenPop, useModule } from "/static/crm/customer.js";
import { WrapupPanel } from "/static/crm/notes.js";
import { AnnouncementList } from "/static/announcements/announcements.js";
import RecentCalls from "/static/crm/recent.js";
import { alerting, alertOffer, endAlert } from "../alerts.js";
import { applyMic, askNotify, AudioSettings, listDevices } from "../devices.js";
import { ringing, unlockAudio } from "../ring.js";

const IN_CALL = new Set(["talking", "on_hold"]);
const WRAP_UP_MORE = 30;             // s: the extend button's
const CHOOSABLE = new Set(["ready", "not_ready", "away", "wrap_up"]);  // may press a state button

const agent = signal(null);          // GET /agents/{me}
const member = signal(true);         // false: in no queue (404)
const state = signal("logged_out");
const reason = signal("");
const since = signal(Date.now());    // local clock: when the current state began
const device = signal(localStorage.getItem("kefu.device") || "webrtc");
const offer = signal(null);          // {call_id, caller, queue, wait, attached, callback, at, until}
const call = signal(null);           // the /live-calls item involving my extension
const callAt = signal(0);
const consulting = signal(false);
const away = signal(null);           // {call_id, flow}: my caller is in a self-service flow
const callData = signal({});         // the call-attached data of my call
const wrapup = signal(null);         // {call_id, number}
const wrapUntil = signal(0);         // ms: when the wrap-up ends (the agent's wrap_up_until)
const lineState = signal(line.state);
const lineError = signal("");
const muted = signal(false);
const agentError = signal("");
let numbers = {};                    // call_id → the customer's number (offers, connects)
let callQueues = {};                 // call_id → the queue it came through (the note's queue)

onLineState((s) => {
  lineState.value = s;
  muted.value = line.muted;
  if (s === "connected") applyMic();     // each (re)opened line on the chosen microphone
});

// the test and debugging hook (softphone.js adds pc, lineState, muted, sending)
const exposed = { state, reason, agent, call, offer, device, wrapup, away, callData, ringing, wrapUntil,
                  alert: { get value() { return alerting(); } } };
Object.defineProperties(window.kefuDesk ??= {}, Object.fromEntries(Object.entries(exposed).map(
  ([k, s]) => [k, { get: () => s.value, enumerable: true, configurable: true }])));

const me = () => user.peek().username;
const ext = () => agent.peek()?.extension || "";
const loggedIn = () => state.peek() !== "logged_out";
const agentPath = (suffix) => `/agents/${encodeURIComponent(me())}${suffix}`;

/** An offer rings (the browser line: a desk phone rings itself), flashes the title and
 *  notifies a hidden page, until it ends: answered, withdrawn, rung out. */
effect(() => {
  const o = offer.value;
  untracked(() => (o ? alertOffer({ id: o.call_id, caller: o.caller, queue: o.queue },
                                  { ring: device.peek() === "webrtc" }) : endAlert()));
});

// browsers play a page's audio after a user gesture: the first one on the page will do
// (after a reload no log-in click comes)
for (const type of ["pointerdown", "keydown"])
  document.addEventListener(type, unlockAudio, { once: true, capture: true });

/** The softphone sends the microphone only while an offer or a call needs it. */
effect(() => {
  setSending(Boolean(offer.value || call.value || ["reserved", "talking", "on_hold"].includes(state.value)));
});

// --- actions ---------------------------------------------------------------------------

function applyAgent(a) {
  batch(() => {
    const changed = !agent.peek() || a.state !== state.peek() || (a.reason || "") !== reason.peek();
    agent.value = a;
    if (changed || Math.abs(Date.now() - (a.in_state || 0) * 1000 - since.peek()) > 2000)
      since.value = Date.now() - (a.in_state || 0) * 1000;
    state.value = a.state;
    reason.value = a.reason || "";
    if (a.device && a.state !== "logged_out") device.value = a.device;   // else: the choice
    wrapUntil.value = a.state === "wrap_up" && a.wrap_up_until ? a.wrap_up_until * 1000 : 0;
    if (a.call_id && a.queue && wrapup.peek() === null && a.state === "wrap_up") showWrapup(a.call_id);
  });
}

async function refreshAgent() {
  try {
    applyAgent(await get(agentPath("")));
    member.value = true;
  } catch (err) {
    if (err.status === 404) member.value = false;
    else if (err.status !== 401) toast(t("msg.error", { detail: errorText(err) }), "error");
  }
}

async function agentLogin(body) {
  unlockAudio();        // the click is the gesture the ring and the notifications need
  askNotify();
  device.value = body.device;
  localStorage.setItem("kefu.device", body.device);
  localStorage.setItem("kefu.extension", body.extension);
  agentError.value = "";
  try {
    applyAgent(await post(agentPath("/login"), body));
  } catch (err) {
    agentError.value = errorText(err);
    return;
  }
  if (body.device === "webrtc") await connectLine();
}

async function connectLine() {
  if (["connecting", "connected"].includes(line.state)) return;   // keepalive: opened already
  lineError.value = "";
  try {
    await keepLine(user.peek().token);   // keepalive: reopened by itself when it drops
    listDevices();        // their names, now that the page may use the microphone
  } catch (err) {
    lineError.value = !(err instanceof LineError) ? errorText(err)
      : err.kind === "unavailable" ? t("line.unavailable")
      : err.kind === "media" ? t("line.media", { detail: err.detail })
      : err.kind === "conflict" ? t("line.conflict", { detail: err.detail })
      : `${err.status || ""} ${typeof err.detail === "string" ? err.detail : JSON.stringify(err.detail)}`;
  }
}

async function agentLogout() {
  await run(() => post(agentPath("/logout")));
  stopLine();
  offer.value = null;
  await refreshAgent();
}

async function setState(next, why = "") {
  const a = await run(() => post(agentPath("/state"), { state: next, reason: why }));
  if (a && a !== true) applyAgent(a);
}

const canAnswer = () => device.value === "webrtc" || Boolean(agent.value?.persistent_line);

async function answer() {
  if (!offer.peek()) return;
  if (!canAnswer()) { toast(t("offer.on_phone")); return; }
  await run(() => post(agentPath("/answer")));
}

async function reject() {
  if (!offer.peek()) return;
  const ok = await run(() => post(agentPath("/reject")));
  if (ok !== undefined) offer.value = null;
}

const callPath = (suffix = "") => `/live-calls/${encodeURIComponent(call.peek().call_id)}${suffix}`;
const myMember = (c = call.value) => c?.members?.find((m) => m.number === ext()) || null;

async function hangup() {
  if (!call.peek()) return;
  await run(() => del(callPath(`/parties/${encodeURIComponent(ext())}`)));
  liveCalls.refresh();
}

async function toggleHold() {
  if (!call.peek()) return;
  const how = myMember(call.peek())?.holding ? "resume" : "hold";
  await run(() => post(callPath(`/${how}`), { by: ext() }));
  liveCalls.refresh();
}

function toggleMute() {
  if (!setMuted(!line.muted)) { toast(t("phone.mute_on_phone")); return; }
  muted.value = line.muted;
}

/** Recording on demand: start/stop, pause/resume (a card number: silence in the file). */
async function recording(action) {
  if (!call.peek()) return;
  await run(() => post(callPath("/recording"), { action }), t(`rec.done_${action}`));
  liveCalls.refresh();
}

async function sendDtmf(digits) {
  if (!call.peek()) return;
  await run(() => post(callPath("/dtmf"), { by: ext(), digits }));
}

async function transfer(kind, value, consult) {
  if (!call.peek() || !value) return;
  if (consult) {
    if (kind === "queue") { toast(t("consult.no_queue"), "error"); return; }
    const ok = await run(() => post(callPath("/consult"), { by: ext(), [kind]: value }), t("consult.started"));
    if (ok !== undefined) consulting.value = true;
  } else {
    await run(() => post(callPath("/transfer"), { by: ext(), [kind]: value }), t("transfer.done"));
  }
  liveCalls.refresh();
}

async function finishConsult(how) {
  if (!call.peek()) return;
  const ok = await run(() => post(callPath(`/consult/${how}`), { by: ext() }));
  if (ok !== undefined) consulting.value = false;
  liveCalls.refresh();
}

/** Self-service (转自助服务): my caller walks ``flow``; its ``return`` brings it back. */
async function selfService(flow) {
  if (!call.peek() || !flow) return;
  const ok = await run(() => post(callPath("/ivr"), { by: ext(), flow }));
  if (ok !== undefined) away.value = { call_id: call.peek().call_id, flow };
  liveCalls.refresh();
}

async function loadData(callId) {
  try {
    const data = await get(`/live-calls/${encodeURIComponent(callId)}/data`);
    if (call.peek()?.call_id === callId) callData.value = data;
  } catch { /* the call ended meanwhile */ }
}

async function dial(to) {
  to = String(to || "").trim();
  if (!to) return;
  const c = await run(() => post("/live-calls", { to, from: ext() || undefined }), t("dial.started", { to }));
  if (c && c !== true) {
    numbers[c.call_id] = to;
    setCall(c);
  }
}

async function extendWrapup() {
  const a = await run(() => post(agentPath("/wrap-up/extend"), { seconds: WRAP_UP_MORE }));
  if (a && a !== true) applyAgent(a);
}

async function endWrapup() {
  if (state.peek() === "wrap_up") {
    const a = await run(() => post(agentPath("/wrap-up/end")));
    if (a && a !== true) applyAgent(a);
  }
  wrapup.value = null;
  if (!call.peek() && !offer.peek()) clearCustomer();
}

// --- offers, calls, wrap-up -----------------------------------------------------------------

function showOffer(msg) {
  const d = msg.data;
  offer.value = { call_id: msg.call_id, caller: d.caller, queue: d.queue, wait: d.wait || 0,
                  attached: d.attached || {}, callback: d.callback, at: Date.now(),
                  until: d.timeout ? Date.now() + d.timeout * 1000 : 0 };
  numbers[msg.call_id] = d.caller;
  if (d.queue) callQueues[msg.call_id] = d.queue;
  screenPop(d.caller);
}

function involvesMe(c) {
  const x = ext();
  if (!x) return false;
  if ((c.members || []).some((m) => m.number === x)) return true;
  if ((c.dialing || []).includes(x)) return c.state !== "queued";  // an offer is not my call yet
  // before anyone answers: a call I am placing (after a transfer I am no member: not mine)
  return (c.state === "routing" || c.state === "ringing") && (c.caller === x || c.callee === x);
}

function otherParty(c) {
  if (!c) return "";
  if (numbers[c.call_id]) return numbers[c.call_id];
  return c.caller === ext() ? c.callee : c.caller;
}

function setCall(c) {
  const previous = call.peek();
  batch(() => {
    if (c && (!previous || previous.call_id !== c.call_id)) {
      if (c.queue) callQueues[c.call_id] ??= c.queue;
      callAt.value = Date.now();
      consulting.value = false;
      callData.value = {};
      loadData(c.call_id);
      if (offer.peek()?.call_id === c.call_id) offer.value = null;
      screenPop(otherParty(c));
    }
    if (previous && (!c || previous.call_id !== c.call_id)) {
      consulting.value = false;
      away.value = null;
      if (!c) callData.value = {};
      if (wrapup.peek()?.call_id !== previous.call_id) showWrapup(previous.call_id, otherParty(previous));
      // the call's line reaches the timeline once the event log has written its end
      setTimeout(refreshHistory, 1500);
      setTimeout(refreshHistory, 5000);
    }
    call.value = c;
  });
}

/** The live calls (the shared resource) → my call, if any. */
function pickCall(calls) {
  if (!calls) return;
  if (!loggedIn() || !ext()) { if (call.peek()) setCall(null); return; }
  const current = call.peek();
  setCall(calls.find((c) => c.call_id === current?.call_id && involvesMe(c)) || calls.find(involvesMe) || null);
}

function showWrapup(callId, number) {
  wrapup.value = { call_id: callId, number: number || numbers[callId] || customer.peek()?.number || "",
                   queue: callQueues[callId] || "" };
}

// --- events -------------------------------------------------------------------------------

function handle(msg) {
  const d = msg.data || {};
  const type = msg.type || "";
  const mine = d.agent === me() || (Array.isArray(d.agents) && d.agents.includes(me()));
  if (type === "call.ended" && call.peek()?.call_id === msg.call_id) liveCalls.refresh();
  if (type === "call.data" && call.peek()?.call_id === msg.call_id) loadData(msg.call_id);
  if (!mine) {
    if (offer.peek()?.call_id === msg.call_id
        && ["queue.abandon", "queue.overflow", "queue.callback", "queue.connect"].includes(type))
      offer.value = null;
    return;
  }
  switch (type) {
    case "agent.state": {
      const was = state.peek();
      batch(() => {
        state.value = d.state;
        reason.value = d.reason || "";
        since.value = Date.now();
        if (agent.peek()) agent.value = { ...agent.peek(), state: d.state, reason: d.reason, call_id: msg.call_id };
        if (was === "reserved" && d.state !== "reserved" && offer.peek() && !IN_CALL.has(d.state)) offer.value = null;
        if (d.state === "wrap_up" && !wrapup.peek()) showWrapup(msg.call_id);
        if (d.state !== "wrap_up") wrapUntil.value = 0;
      });
      if (IN_CALL.has(d.state) || IN_CALL.has(was)) liveCalls.refresh();
      if (d.state === "logged_out") { stopLine(); offer.value = null; refreshAgent(); }
      break;
    }
    case "agent.login": case "agent.logout":
      refreshAgent();
      if (type === "agent.logout") { stopLine(); offer.value = null; }
      break;
    case "agent.line":
      if (d.state === "failed") lineError.value = `${d.code || ""} ${d.reason || ""}`.trim();
      refreshAgent();
      break;
    case "agent.wrap_up_start":
      wrapUntil.value = d.until * 1000;
      if (wrapup.peek()?.call_id !== msg.call_id) showWrapup(msg.call_id);
      break;
    case "agent.wrap_up_extended":
      wrapUntil.value = d.until * 1000;
      break;
    case "queue.offer":
      showOffer(msg);
      break;
    case "queue.connect":
      numbers[msg.call_id] = d.caller;
      if (d.queue) callQueues[msg.call_id] = d.queue;
      offer.value = null;
      liveCalls.refresh();
      refreshAgent();           // today's answered count
      break;
    case "ivr.sent":
      away.value = { call_id: msg.call_id, flow: d.flow };
      liveCalls.refresh();
      break;
    case "ivr.back":
      away.value = null;
      toast(t(`ivr.back.${d.reason}`), d.reason === "returned" ? "info" : "error");
      liveCalls.refresh();
      if (call.peek()?.call_id === msg.call_id) loadData(msg.call_id);
      break;
    case "queue.ring_no_answer":
      if (offer.peek()?.call_id === msg.call_id) offer.value = null;
      break;
    case "queue.complete":
      refreshAgent();
      liveCalls.refresh();
      if (wrapup.peek()?.call_id !== msg.call_id) showWrapup(msg.call_id);
      break;
    default:
  }
}

function onKey(e) {
  const keys = { F2: answer, F4: hangup, F6: toggleHold };
  if (keys[e.key]) { e.preventDefault(); keys[e.key](); }
}

// Started by the first mount, for the rest of the sign-in: the desk keeps following its
// events (an offer, a state change) while another screen is shown.
let stop = null;
/** The desk's background part without its screen: the shell starts it after a reload on
 *  another screen while this page's agent is logged in on the browser (keepalive). */
export const follow = () => start();
let resumed = false;   // keepalive: the line was reopened (or opened) once since this page loaded
function start() {
  if (stop) return;
  const offs = [
    onEvent(handle),
    effect(() => { const calls = liveCalls.data.value; untracked(() => pickCall(calls)); }),
    effect(() => { if (wsStatus.value === "open") untracked(refreshAgent); }),
  ];
  offs.push(effect(() => {   // keepalive: keepalive.js tells kefu when this desk goes and comes back
    if (!agent.value) return;
    const browser = state.value !== "logged_out" && device.value === "webrtc";
    if (browser) sessionStorage.setItem("kefu.desk", JSON.stringify({ username: me() }));
    else sessionStorage.removeItem("kefu.desk");
    if (browser && lineState.value === "idle" && !resumed) {   // keepalive: after a reload
      resumed = true;
      untracked(connectLine);
    }
  }));
  const timer = setInterval(refreshAgent, 15000);
  stop = () => { offs.forEach((off) => off()); clearInterval(timer); };
}

onSignOut(() => {
  stop?.();
  stop = null;
  stopLine();
  sessionStorage.removeItem("kefu.desk");   // keepalive
  resumed = false;   // keepalive
  numbers = {};
  callQueues = {};
  batch(() => {
    agent.value = null; member.value = true; state.value = "logged_out"; reason.value = "";
    offer.value = null; call.value = null; consulting.value = false; wrapup.value = null; wrapUntil.value = 0;
    away.value = null; callData.value = {};
    lineError.value = ""; agentError.value = "";
  });
  clearCustomer();
});

// --- views --------------------------------------------------------------------------------

const Clock = ({ from, id, cls = "timer" }) =>
  html`<span id=${id} class=${cls}>${fmtDuration((now.value - from) / 1000)}</span>`;

/** The time left until `until` (ms), whole seconds rounded up; "urgent" in the last 5. */
function Countdown({ until, id }) {
  // re-rendered by the one-second tick, measured from this moment (the tick may be up to
  // a second old: a fresh 40 s would show 41)
  const left = now.value && Math.max(0, Math.ceil((until - Date.now()) / 1000));
  return html`<span id=${id} class=${`timer countdown${left <= 5 ? " urgent" : ""}`} data-left=${left}>
    ${fmtDuration(left)}</span>`;
}

function Badge({ id }) {
  return html`<span id=${id} class=${`badge state-${state.value}`} data-state=${state.value}>
    ${label("st", state.value)}</span>`;
}

function DeskBar() {
  const u = user.value;
  const who = u.display_name || u.username;
  return html`<div class=${`screen-bar${offer.value ? " ringing" : ""}`}>
    <span id="me" class="me">${state.value !== "logged_out" && agent.value?.extension
      ? `${who} · ${agent.value.extension}` : who}</span>
    <${Badge} id="state-badge" />
    <${Clock} id="state-time" from=${since.value} />
  </div>`;
}

function AgentLoginForm() {
  const skills = agent.value?.skills || {};
  const [extension, setExtension] = useState(() => localStorage.getItem("kefu.extension") || "");
  const [unticked, setUnticked] = useState(() => new Set());
  const [chosen, setChosen] = useState(device.peek());
  const [autoAnswer, setAutoAnswer] = useState(false);
  const [ready, setReady] = useState(true);
  const tick = (q, on) => { const next = new Set(unticked); if (on) next.delete(q); else next.add(q); setUnticked(next); };
  function submit(e) {
    e.preventDefault();
    const picked = Object.keys(skills).filter((q) => !unticked.has(q));
    // desk phones that honour Call-Info answer-after pick up by themselves
    const body = { extension: extension.trim(), ready, device: chosen, auto_answer: autoAnswer };
    if (picked.length) body.queues = picked;
    agentLogin(body);
  }
  const radio = (value) => html`<label class="inline"><input type="radio" name="device" value=${value}
      checked=${chosen === value} onChange=${() => setChosen(value)} />
    <span>${t(`agent.device.${value}`)}</span></label>`;
  return html`<form id="agent-login-form" onSubmit=${submit}>
    <label><span>${t("agent.extension")}</span>
      <input name="extension" id="extension" inputmode="numeric" pattern="[0-9]{2,10}" required
             value=${extension} onInput=${(e) => setExtension(e.currentTarget.value)} /></label>
    <fieldset><legend>${t("agent.queues")}</legend>
      <div id="queue-choices" class="choices">${Object.entries(skills).map(([q, level]) =>
        html`<label key=${q} class="inline"><input type="checkbox" name="queue" value=${q}
          checked=${!unticked.has(q)} onChange=${(e) => tick(q, e.currentTarget.checked)} />
          ${` ${q} `}<small class="muted">${t("agent.skill", { level })}</small></label>`)}</div></fieldset>
    <fieldset><legend>${t("agent.device")}</legend>
      ${radio("webrtc")} ${radio("phone")}
      <label class="inline"><input type="checkbox" name="auto_answer" checked=${autoAnswer}
        onChange=${(e) => setAutoAnswer(e.currentTarget.checked)} /><span>${t("agent.auto_answer")}</span></label>
    </fieldset>
    <label class="inline"><input type="checkbox" name="ready" checked=${ready}
      onChange=${(e) => setReady(e.currentTarget.checked)} /><span>${t("agent.ready_on_login")}</span></label>
    <button type="submit" class="primary" id="agent-login">${t("agent.login")}</button>
  </form>`;
}

function AgentPanel() {
  const on = state.value !== "logged_out";
  const error = !member.value ? t("agent.not_member") : agentError.value;
  return html`<section class="panel" id="agent-panel">
    <h2>${t("agent.title")}</h2>
    ${!on && member.value && html`<${AgentLoginForm} />`}
    ${on && html`<div id="agent-session">
      <p><span>${t("agent.extension")}</span>: <b id="session-ext">${agent.value?.extension || ""}</b>${" · "}<span>${t("agent.device")}</span>: <b id="session-device">${t(`agent.device.${device.value}`)}</b></p>
      <p><span>${t("agent.queues")}</span>: <span id="session-queues">${(agent.value?.queues || []).join(", ")}</span></p>
      <button type="button" id="agent-logout" onClick=${agentLogout}>${t("agent.logout")}</button>
    </div>`}
    ${error && html`<p id="agent-error" class="error">${error}</p>`}
    ${!on && agent.value?.last_logout?.reason && html`<p id="last-logout" class="notice">${t("logout.notice", { at: fmtTime(agent.value.last_logout.at), reason: label("logout", agent.value.last_logout.reason) })}</p>`}
  </section>`;   // keepalive: #last-logout, why the ACD logged this agent out
}

function StatePanel() {
  const lists = choices.use();
  const [why, setWhy] = useState("");
  const free = state.value !== "logged_out" && CHOOSABLE.has(state.value);
  const pick = why || lists?.pause_reasons?.[0] || "";
  const button = (id, to, cls, key, onClick) => html`<button type="button" id=${id} class=${`${cls}${state.value === to ? " active" : ""}`}
      disabled=${!free} onClick=${onClick}>${t(key)}</button>`;
  return html`<section class="panel" id="state-panel">
    <h2>${t("state.title")}</h2>
    <div class="state-now">
      <${Badge} id="state-label" />
      <span id="state-reason" class="muted">${state.value === "not_ready" ? label("reason", reason.value) : ""}</span>
      <${Clock} id="state-clock" cls="timer big" from=${since.value} />
    </div>
    <div class="buttons">
      ${button("btn-ready", "ready", "ok", "state.ready", () => setState("ready"))}
      <span class="pause" title=${t("state.reason")}>
        ${button("btn-not-ready", "not_ready", "warn", "state.not_ready", () => setState("not_ready", pick))}
        <select id="reason" aria-label=${t("state.reason")} disabled=${!free} value=${pick}
                onChange=${(e) => setWhy(e.currentTarget.value)}>${options("reason", lists?.pause_reasons)}</select>
      </span>
      ${button("btn-away", "away", "", "state.away", () => setState("away"))}
    </div>
  </section>`;
}

function PhonePanel() {
  const webrtc = device.value === "webrtc";
  const shown = webrtc ? lineState.value : "phone";
  const on = state.value !== "logged_out";
  return html`<section class="panel" id="softphone-panel">
    <h2>${t("phone.title")}</h2>
    <p><span>${t("phone.line")}</span>: <b id="line-state" data-line=${shown}>${label("line", shown)}</b></p>
    ${lineError.value && html`<p id="line-error" class="error">${lineError.value}</p>`}
    ${on && webrtc && ["idle", "failed", "closed"].includes(lineState.value)
      && html`<button type="button" id="btn-line" onClick=${connectLine}>${t("phone.connect")}</button>`}
    ${on && html`<${AudioSettings} webrtc=${webrtc} />`}
  </section>`;
}

function StatsPanel() {
  return html`<section class="panel" id="stats-panel">
    <h2>${t("stats.title")}</h2>
    <dl class="figures">
      <dt>${t("stats.answered")}</dt><dd id="stat-answered">${agent.value?.answered ?? 0}</dd>
      <dt>${t("stats.talk_time")}</dt><dd id="stat-talk">${fmtDuration(agent.value?.talk_time || 0)}</dd>
    </dl>
  </section>`;
}

/** Call-attached data as a key/value table (an offer's, my call's). */
function DataTable({ id, caption, data }) {
  const rows = Object.entries(data || {});
  return html`<table class="kv" id=${id}><caption>${caption}</caption><tbody>
      ${rows.length ? rows.map(([k, v]) => html`<tr key=${k}><th>${k}</th>
          <td>${typeof v === "object" && v !== null ? JSON.stringify(v) : String(v)}</td></tr>`)
        : html`<tr><td colspan="2" class="muted">${t("offer.none")}</td></tr>`}
    </tbody></table>`;
}

function OfferPanel() {
  const o = offer.value;
  if (!o) return null;
  const answerable = canAnswer();
  return html`<section class="panel offer" id="offer-panel">
    <h2>${t("offer.title")}</h2>
    <div class="offer-head">
      <span class="caller" id="offer-caller">${o.caller + (o.callback ? ` (${t("offer.callback")})` : "")}</span>
      <span><span>${t("offer.queue")}</span>: <b id="offer-queue">${o.queue}</b></span>
      <span><span>${t("offer.wait")}</span>: <${Clock} id="offer-wait" from=${o.at - o.wait * 1000} /></span>
      ${o.until > 0 && html`<span class="offer-left"><span>${t("offer.left")}</span>: <${Countdown}
          id="offer-left" until=${o.until} /></span>`}
    </div>
    <${DataTable} id="offer-data" caption=${t("offer.attached")} data=${o.attached} />
    ${!answerable && html`<p id="offer-hint" class="muted">${t("offer.on_phone")}</p>`}
    <div class="buttons">
      <button type="button" id="btn-answer" class="ok big" disabled=${!answerable} onClick=${answer}>
        <span>${t("offer.answer")}</span> <kbd>F2</kbd></button>
      <button type="button" id="btn-reject" class="danger" onClick=${reject}>${t("offer.reject")}</button>
    </div>
  </section>`;
}

const DIRECTORY_KIND = { agent: "agent", queue: "queue", target: "extension" };

function TransferForm({ has }) {
  const [kind, setKind] = useState("target");
  const [value, setValue] = useState("");
  const [suggestions, setSuggestions] = useState([]);
  const [suggest] = useState(() => debounce(async (k, q) => {
    try {
      setSuggestions(await get(`/directory?kind=${DIRECTORY_KIND[k]}&q=${encodeURIComponent(q)}&limit=20`));
    } catch { setSuggestions([]); }   // no suggestions: the box still takes any value
  }, 200));
  useEffect(() => { suggest(kind, value.trim()); }, [kind, value]);
  const submit = (e) => { e.preventDefault(); transfer(kind, value.trim(), false); };
  const consult = (e) => { if (e.currentTarget.form.reportValidity()) transfer(kind, value.trim(), true); };
  return html`<form id="transfer-form" class="transfer" onSubmit=${submit}>
    <h3>${t("transfer.title")}</h3>
    <select name="kind" value=${kind} onChange=${(e) => setKind(e.currentTarget.value)}>
      <option value="target">${t("transfer.kind.target")}</option>
      <option value="agent">${t("transfer.kind.agent")}</option>
      <option value="queue">${t("transfer.kind.queue")}</option>
    </select>
    <input name="value" required list="transfer-options" autocomplete="off" placeholder=${t("transfer.to")}
           value=${value} onInput=${(e) => setValue(e.currentTarget.value)} />
    <datalist id="transfer-options">${suggestions.map((s) => html`<option key=${s.kind + s.value} value=${s.value}>
      ${[s.label, s.number, s.state ? label("st", s.state) : "",
         s.waiting ? `${t("queues.waiting")} ${s.waiting}` : ""].filter(Boolean).join(" · ")}</option>`)}</datalist>
    <div class="buttons">
      <button type="submit" name="how" value="blind" disabled=${!has}>${t("transfer.blind")}</button>
      <button type="button" id="btn-consult" disabled=${!has} onClick=${consult}>${t("transfer.consult")}</button>
    </div>
    ${consulting.value && html`<div class="buttons" id="consult-controls">
      ${["transfer", "conference", "cancel"].map((how) => html`<button type="button" data-consult=${how}
          disabled=${!has} onClick=${() => finishConsult(how)}>${t(`consult.${how}`)}</button>`)}
    </div>`}
  </form>`;
}

function CallInfo({ c }) {
  if (!c) return html`<span class="muted">${t("call.none")}</span>`;
  const mine = myMember(c);
  return html`<div class="call-line" title=${`${t("call.id")}: ${c.call_id}`}>
      <span>${t("call.with")}: <b id="call-other">${otherParty(c) || "—"}</b></span>
      <${Clock} id="call-time" from=${callAt.value} />
      <span class="badge">${label("cs", c.state)}</span>
      ${c.queue && html`<span class="muted small">${c.queue}</span>`}</div>
    <div class="small">${t("call.parties")}: ${(c.members || []).map((m) => html`<span key=${m.number}
        class=${`party${m.holding || m.held ? " held" : ""}`}>${m.number}${m.holding || m.held ? ` (${t("call.held")})` : ""}</span>`)}
      ${(c.dialing || []).map((n) => html`<span key=${`d${n}`} class="party dialing">${n} (${t("call.dialing")})</span>`)}</div>
    ${mine?.holding && html`<div class="badge state-on_hold">${label("st", "on_hold")}</div>`}`;
}

/** 转自助服务: the published flows (GET /ivr/flows) and the button that sends my caller. */
function SelfServiceForm({ has }) {
  const [flows, setFlows] = useState(null);
  const [flow, setFlow] = useState("");
  useEffect(() => {
    get("/ivr/flows").then((list) => setFlows(list.filter((f) => f.published !== null)),
                           () => setFlows([]));
  }, []);
  const names = (flows || []).map((f) => f.name);
  const pick = names.includes(flow) ? flow : names[0] || "";
  const a = away.value;     // from ivr.sent; after a reload: the call is hosted
  const mine = Boolean(a && a.call_id === call.value?.call_id);
  const inside = mine || call.value?.state === "hosted";
  return html`<form id="ivr-form" class="transfer" onSubmit=${(e) => { e.preventDefault(); selfService(pick); }}>
    <h3>${t("ivr.title")}</h3>
    <select name="flow" id="ivr-flow" aria-label=${t("ivr.self_flow")} value=${pick}
            disabled=${!names.length} onChange=${(e) => setFlow(e.currentTarget.value)}>
      ${names.length ? names.map((n) => html`<option key=${n} value=${n}>${n}</option>`)
        : html`<option value="">${t("ivr.self_none")}</option>`}</select>
    <button type="submit" id="btn-ivr" disabled=${!has || !pick || inside || call.value?.state !== "connected"}>
      ${t("ivr.send")}</button>
    ${inside && html`<p id="ivr-away" class="badge state-on_hold">${t("ivr.away", { flow: mine ? a.flow : "" })}</p>`}
  </form>`;
}

/** The call's controls while there is a call; when idle (logged in, no call, no offer) the
 *  dial box alone: nothing shows greyed. */
function CallPanel() {
  const c = call.value;
  const has = Boolean(c);
  const idle = !has && !offer.value && !["logged_out", "reserved"].includes(state.value);
  const [to, setTo] = useState("");
  return html`<section class=${`panel${has ? " in-call" : " no-call"}`} id="call-panel">
    <h2>${t("call.title")}</h2>
    <div id="call-info" class="call-info"><${CallInfo} c=${c} /></div>
    ${has && html`<${CallControls} c=${c} />`}
    ${idle && html`<form id="dial-form" class="dial" onSubmit=${(e) => { e.preventDefault(); dial(to); }}>
      <input name="to" id="dial-to" inputmode="tel" pattern="[0-9*#+]{2,20}" required
             placeholder=${t("dial.placeholder")} value=${to} onInput=${(e) => setTo(e.currentTarget.value)} />
      <button type="submit" class="ok">${t("dial.call")}</button>
    </form>`}
  </section>`;
}

function CallControls({ c }) {
  const holding = Boolean(myMember(c)?.holding);
  const canMute = device.value === "webrtc" && lineState.value === "connected";
  const connected = c.state === "connected";
  const rec = c.recording || null;     // "recording" | "paused" | null
  return html`<div class="buttons" id="call-controls">
      <button type="button" id="btn-hangup" class="danger big" onClick=${hangup}>
        <span>${t("call.hangup")}</span> <kbd>F4</kbd></button>
      <button type="button" id="btn-hold" onClick=${toggleHold}>
        <span id="hold-label">${t(holding ? "call.resume" : "call.hold")}</span> <kbd>F6</kbd></button>
      ${canMute && html`<button type="button" id="btn-mute" class=${muted.value ? "active" : ""}
              onClick=${toggleMute}>${t(muted.value ? "call.unmute" : "call.mute")}</button>`}
      <span class="spacer"></span>
      <span id="rec-state" class=${`badge rec-${rec || "off"}`}>${t(`rec.${rec || "off"}`)}</span>
      ${connected && html`<button type="button" id="btn-rec" class="small"
              onClick=${() => recording(rec ? "stop" : "start")}>${t(rec ? "rec.stop" : "rec.start")}</button>`}
      ${connected && rec && html`<button type="button" id="btn-rec-pause" class="small"
              onClick=${() => recording(rec === "paused" ? "resume" : "pause")}>
        ${t(rec === "paused" ? "rec.resume" : "rec.pause_rec")}</button>`}
    </div>
    <div class="call-tools">
      <div class="keypad" id="keypad" aria-label="DTMF">${[..."123456789*0#"].map((k) =>
        html`<button key=${k} type="button" class="key" data-digit=${k}
                     onClick=${() => sendDtmf(k)}>${k}</button>`)}</div>
      <div class="call-forms">
        <${TransferForm} has=${true} />
        <${SelfServiceForm} has=${true} />
      </div>
    </div>
    <${DataTable} id="call-data" caption=${t("call.data")} data=${callData.value} />`;
}

/** Wrap-up: the caller's number (the call id in its tooltip), the time left, more time. */
function WrapupBar() {
  const w = wrapup.value;
  if (!w || state.value !== "wrap_up") return null;
  return html`<div class="wrapup-bar" id="wrapup-bar">
    <span class="badge state-wrap_up">${label("st", "wrap_up")}</span>
    <b id="wrapup-caller" class="caller" title=${`${t("call.id")}: ${w.call_id}`}>${w.number || "—"}</b>
    ${wrapUntil.value > 0 && html`<span><span>${t("wrapup.left")}</span>: <${Countdown}
        id="wrapup-left" until=${wrapUntil.value} /></span>`}
    <span class="spacer"></span>
    <button type="button" id="btn-wrapup-extend" class="small" onClick=${extendWrapup}>
      ${t("wrapup.extend", { seconds: WRAP_UP_MORE })}</button>
  </div>`;
}

class QueueRow extends Pure {
  render({ q }) {
    return html`<tr class=${q.waiting ? "alert" : ""} data-queue=${q.name}>
      <td>${q.name}<small class="muted"> ${q.number || ""}</small></td>
      <td class="num waiting">${q.waiting}</td>
      <td class="num longest"><${Elapsed} base=${q.longest_wait} from=${q.fetched} running=${q.waiting > 0} /></td>
      <td class="num">${q.agents_ready}</td></tr>`;
  }
}

function QueuesPanel() {
  const list = queues.use() || [];
  const mine = agent.value?.queues || [];
  const rows = list.filter((q) => !mine.length || mine.includes(q.name) || state.value === "logged_out");
  return html`<section class="panel" id="queues-panel">
    <h2>${t("queues.title")}</h2>
    <table class="grid" id="queue-table">
      <thead><tr><th>${t("queues.name")}</th><th>${t("queues.waiting")}</th>
        <th>${t("queues.longest")}</th><th>${t("queues.ready")}</th></tr></thead>
      <tbody>${rows.map((q) => html`<${QueueRow} key=${q.name} q=${q} />`)}</tbody>
    </table>
  </section>`;
}

function Help() {
  return html`<section class="panel" id="help-panel">
    <h2>${t("help.title")}</h2>
    <dl class="shortcuts">
      <dt><kbd>F2</kbd></dt><dd>${t("help.f2")}</dd>
      <dt><kbd>F4</kbd></dt><dd>${t("help.f4")}</dd>
      <dt><kbd>F6</kbd></dt><dd>${t("help.f6")}</dd>
    </dl>
  </section>`;
}

/** The call's notes: in wrap-up, or during the call (the same form, kept open after saving). */
function notesFor() {
  if (wrapup.value) return wrapup.value;
  const c = call.value;
  if (!c || !otherParty(c)) return null;
  return { call_id: c.call_id, number: otherParty(c), queue: callQueues[c.call_id] || c.queue || "",
           live: true };
}

const Wrapup = () => html`<${WrapupPanel} wrapup=${notesFor()} inWrapUp=${state.value === "wrap_up"}
                                          onEnd=${endWrapup} onDial=${dial} />`;

/** 待办回访: the follow-ups slice's list (/static/followups/desk.js), when it is there. */
function Followups() {
  const FollowupList = useModule("/static/followups/desk.js");
  if (!FollowupList) return null;
  return html`<section class="panel" id="followups-panel">
    <h2>${t("desk.followups")}</h2>
    <${FollowupList} />
  </section>`;
}

/** 知识库: the kb slice's panel (/static/kb/panel.js) for the call or wrap-up, when it is there. */
function KbPanel() {
  const Panel = useModule("/static/kb/panel.js");
  return Panel ? html`<${Panel} call=${notesFor()} />` : null;
}

export default function Desk() {
  const [ready, setReady] = useState(false);
  liveCalls.use();
  useEffect(() => {
    start();
    refreshAgent().then(() => setReady(true));
    document.addEventListener("keydown", onKey);
    return () => document.removeEventListener("keydown", onKey);
  }, []);
  return html`<div class="screen desk" id="desk" data-ready=${ready ? "1" : undefined}>
    <${DeskBar} />
    <div class="desk-grid">
      <div class="col">
        <${AgentPanel} /><${StatePanel} /><${PhonePanel} /><${StatsPanel} /><${QueuesPanel} />
      </div>
      <div class="col wide work">
        <${OfferPanel} />
        <${CallPanel} />
        <${WrapupBar} />
        <${Wrapup} />
        <${KbPanel} />
      </div>
      <div class="col">
        <${CustomerPanel} onDial=${dial} callId=${call.value?.call_id || wrapup.value?.call_id || ""} />
        <${Followups} />
        <${RecentCalls} onDial=${dial} extension=${agent.value?.extension || ""} busy=${Boolean(call.value)} />
        <section class="panel" id="announcements-panel">
          <h2>${t("ann.title")}</h2>
          <${AnnouncementList} canAck=${true} />
        </section>
        <${Help} />
      </div>
    </div>
  </div>`;
}
