// The wallboard's live calls and their supervision: the call table, the per-call buttons
// and the supervisor's own audio.  Kept out of wall.js so that the wallboard's data
// (queues, agents, announcements) and its supervision can change apart.
//
// One click: pressing 监听 / 密语 / 强插 on a row opens the supervisor's browser line if it is
// not up (kefu puts it on the supervisor's own bound extension), then brings it into the
// call; pressing another mode switches in place (same leg, no gap); 停止监控 takes it out
// and the customer's call goes on.  A desk phone stays an option ("monitor with"), kept in
// localStorage.  The row shows the supervisor's current mode as a badge.

import { html } from "htm/preact";
import { signal } from "@preact/signals";
import { del, post } from "../api.js";
import { label, t } from "../i18n.js";
import { line, onLineState, startLine, stopLine } from "../softphone.js";
import { liveCalls, user } from "../store.js";
import { Elapsed, Pure, run, toast } from "../util.js";

const MODES = ["listen", "whisper", "barge"];
/** "browser" (this page's own audio line) or "phone" (a desk phone, `supExt`). */
export const monitorWith = signal(localStorage.getItem("kefu.monitorWith") === "phone" ? "phone" : "browser");
export const supExt = signal(localStorage.getItem("kefu.supExt") || "");
const lineState = signal(line.state);
const lineNumber = signal("");        // the number kefu put this page's line on
onLineState((s) => {
  lineState.value = s;
  if (s !== "connected" && s !== "connecting") lineNumber.value = "";
});

const callPath = (callId, suffix = "") => `/live-calls/${encodeURIComponent(callId)}${suffix}`;

/** The number that supervises for this page: the desk phone, else the browser line's. */
const myNumber = () => (monitorWith.value === "phone" ? supExt.value.trim() : lineNumber.value);

/** This supervisor's member in call `c` (null when not supervising it). */
export function myMember(c) {
  const me = myNumber();
  return (me && (c?.members || []).find((m) => m.role === "supervisor" && m.number === me)) || null;
}

/** The browser line up (opened on demand, on the supervisor's own extension); false
 *  when it could not be (the reason shown). */
async function ensureLine() {
  if (line.pc && lineState.peek() !== "failed" && lineState.peek() !== "closed") return true;
  try {
    await startLine(user.peek().token);
    return true;
  } catch (err) {
    toast(`${t("wall.line_failed")}: ${err.detail || err.message}`, "error");
    return false;
  }
}

/** Listen, whisper or barge: the first press brings the supervisor in, the next switch. */
async function monitor(callId, mode, target) {
  const body = { mode };
  if (mode === "whisper" && target) body.target = target;
  if (monitorWith.peek() === "phone") {
    const ext = supExt.peek().trim();
    if (!ext) { toast(t("act.need_ext"), "error"); document.getElementById("sup-ext")?.focus(); return; }
    body.supervisor = ext;
  } else if (!(await ensureLine())) {
    return;
  }
  const out = await run(() => post(callPath(callId, "/monitor"), body), t(`sup.now_${mode}`));
  if (out && out.supervisor && monitorWith.peek() === "browser") lineNumber.value = out.supervisor;
  if (out) liveCalls.refresh();
}

async function stopMonitor(callId) {
  const who = monitorWith.peek() === "phone" ? `?supervisor=${encodeURIComponent(supExt.peek().trim())}` : "";
  if (await run(() => del(callPath(callId, `/monitor${who}`)), t("sup.stopped"))) liveCalls.refresh();
}

function release(callId) {
  if (!confirm(t("act.confirm_release"))) return;
  return run(() => del(callPath(callId)), t("act.done")).then(() => liveCalls.refresh());
}

/** The supervisor's mode in a call, as a badge (监听 / 密语 / 强插). */
function ModeBadge({ mode }) {
  return mode ? html`<span class=${`badge sup-mode sup-${mode}`} data-mode=${mode}>${t(`sup.mode.${mode}`)}</span>` : null;
}

/** Listen, whisper, barge (the current one pressed), stop and force release for one call
 *  (also on an agent's row). */
export function CallButtons({ callId, whisperTo }) {
  const c = (liveCalls.data.value || []).find((x) => x.call_id === callId);
  const mode = myMember(c)?.mode || "";
  const b = (act, cls, onClick, pressed) => html`<button type="button" class=${`small ${cls}${pressed ? " active" : ""}`}
    data-act=${act} aria-pressed=${pressed === undefined ? undefined : String(pressed)}
    onClick=${onClick}>${t(`act.${act}`)}</button>`;
  return html`${MODES.map((m) => b(m, "", () => monitor(callId, m, m === "whisper" ? whisperTo : undefined), mode === m))}
    ${mode && b("stop_monitor", "warn", () => stopMonitor(callId))}
    ${b("release", "danger", () => release(callId))}`;
}

class CallRow extends Pure {
  render({ c, whisperTo, at, mine }) {
    const members = (c.members || []).map((m) => (m.role === "supervisor"
      ? html`<span class="member sup" data-number=${m.number}>${m.number}<small> ${label("sup.mode", m.mode)}</small></span> `
      : html`<span class="member" data-number=${m.number}>${m.number}</span> `));
    return html`<tr data-call=${c.call_id} data-sup-mode=${mine || undefined}>
      <td>${c.caller}</td><td>${c.callee || ""}</td>
      <td class="call-state">${label("cs", c.state)} <${ModeBadge} mode=${mine} /></td>
      <td>${c.queue || ""}</td><td>${c.agent || ""}</td>
      <td class="num call-time"><${Elapsed} from=${c.started ? c.started * 1000 : at} /></td>
      <td class="small members">${members}</td>
      <td class="actions"><${CallButtons} callId=${c.call_id} whisperTo=${whisperTo} /></td></tr>`;
  }
}

/** The live calls; `agents`: the wallboard's agent list (whom a whisper goes to). */
export function CallTable({ agents }) {
  const calls = liveCalls.data.value || [];
  const list = agents || [];
  const at = liveCalls.at.value;
  const cols = ["calls.caller", "calls.callee", "calls.state", "calls.queue", "calls.agent", "calls.duration",
                "calls.members", "agents.actions"];
  return html`<section class="panel">
    <h2>${t("calls.title")}</h2>
    <table class="grid" id="call-table">
      <thead><tr>${cols.map((key) => html`<th>${t(key)}</th>`)}</tr></thead>
      <tbody>${calls.length ? calls.map((c) => html`<${CallRow} key=${c.call_id} c=${c} at=${at}
          mine=${myMember(c)?.mode || ""} whisperTo=${list.find((a) => a.username === c.agent)?.extension} />`)
        : html`<tr><td colspan="8" class="muted">${t("calls.none")}</td></tr>`}</tbody>
    </table>
  </section>`;
}

function setWith(value) {
  monitorWith.value = value;
  localStorage.setItem("kefu.monitorWith", value);
}

/** "Monitor with: browser | desk phone <ext>" and the browser line's state, in the
 *  wallboard's top bar (the line opens by itself on the first listen). */
export function SupervisionBar() {
  const on = lineState.value === "connected" || lineState.value === "connecting";
  const phone = monitorWith.value === "phone";
  return html`<label class="inline"><span>${t("sup.with")}</span>
      <select id="sup-with" value=${monitorWith.value} onChange=${(e) => setWith(e.currentTarget.value)}>
        <option value="browser">${t("sup.with.browser")}</option>
        <option value="phone">${t("sup.with.phone")}</option></select></label>
    ${phone ? html`<label class="inline"><span>${t("wall.sup_ext")}</span>
      <input id="sup-ext" size="6" inputmode="numeric" pattern="[0-9]{2,10}" value=${supExt.value}
             onInput=${(e) => { supExt.value = e.currentTarget.value; }}
             onChange=${(e) => localStorage.setItem("kefu.supExt", e.currentTarget.value.trim())} /></label>`
    : html`<button type="button" id="sup-line" data-line=${lineState.value} data-number=${lineNumber.value || undefined}
        title=${t("sup.line_hint")} onClick=${() => (line.pc ? stopLine() : ensureLine())}>
        ${on ? `${t("wall.line_on")}${lineNumber.value ? ` · ${lineNumber.value}` : ""}` : t("wall.line_connect")}</button>`}`;
}
