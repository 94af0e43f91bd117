// The wallboard's live calls and their supervision: the call table, the per-call buttons
// (listen, whisper, barge, force release) and the supervisor's own audio line.  Kept out
// of wall.js so that the wallboard's data (queues, agents, announcements) and its
// supervision can change apart.

import { html } from "htm/preact";
import { signal } from "@preact/signals";
import { del, post } from "../api.js";
import { label, t } from "../i18n.js";
import { line, onLineState, startLine, stopLine } from "../softphone.js";
import { liveCalls, user } from "../store.js";
import { Elapsed, Pure, now, run, toast } from "../util.js";

export const supExt = signal(localStorage.getItem("kefu.supExt") || "");
const lineState = signal(line.state);
onLineState((s) => { lineState.value = s; });

// Who supervises: "my extension" when filled in, else me (kefu finds my browser line or
// the extension I am logged in on, and says so when there is none).
function monitor(callId, mode, target) {
  const body = { supervisor: supExt.peek().trim() || user.peek().username, mode };
  if (mode === "whisper" && target) body.target = target;
  return run(() => post(`/live-calls/${encodeURIComponent(callId)}/monitor`, body), t("act.done"));
}

function release(callId) {
  if (!confirm(t("act.confirm_release"))) return;
  return run(() => del(`/live-calls/${encodeURIComponent(callId)}`), t("act.done")).then(() => liveCalls.refresh());
}

// The supervisor's own audio: a browser line on "my extension".  With it up, listen /
// whisper / barge take this line into the call instead of ringing a phone there.
async function toggleLine() {
  if (line.pc) { stopLine(); return; }
  const ext = supExt.peek().trim();
  if (!ext) { toast(t("act.need_ext"), "error"); document.getElementById("sup-ext")?.focus(); return; }
  try {
    await startLine(user.peek().token, { extension: ext });
  } catch (err) {
    toast(`${t("wall.line_failed")}: ${err.detail || err.message}`, "error");
  }
}

/** Listen, whisper, barge and force release for one call (also on an agent's row). */
export function CallButtons({ callId, whisperTo }) {
  const b = (act, cls, onClick) => html`<button type="button" class=${`small ${cls}`} data-act=${act}
    onClick=${onClick}>${t(`act.${act}`)}</button>`;
  return html`${b("listen", "", () => monitor(callId, "listen"))}
    ${b("whisper", "", () => monitor(callId, "whisper", whisperTo))}
    ${b("barge", "", () => monitor(callId, "barge"))}
    ${b("release", "danger", () => release(callId))}`;
}

class CallRow extends Pure {
  render({ c, whisperTo, at }) {
    const members = (c.members || []).map((m) => (m.mode && m.mode !== "talk" ? `${m.number}(${m.mode})` : m.number)).join(" ");
    return html`<tr data-call=${c.call_id}>
      <td>${c.caller}</td><td>${c.callee || ""}</td>
      <td class="call-state">${label("cs", c.state)}</td>
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
          whisperTo=${list.find((a) => a.username === c.agent)?.extension} />`)
        : html`<tr><td colspan="8" class="muted">${t("calls.none")}</td></tr>`}</tbody>
    </table>
  </section>`;
}

/** The supervisor's extension and audio line, in the wallboard's top bar. */
export function SupervisionBar() {
  const on = lineState.value === "connected" || lineState.value === "connecting";
  return html`<label class="inline"><span>${t("wall.sup_ext")}</span>
      <input id="sup-ext" size="6" inputmode="numeric" pattern="[0-9]{2,10}" value=${supExt.value}
             onInput=${(e) => { supExt.value = e.currentTarget.value; }}
             onChange=${(e) => localStorage.setItem("kefu.supExt", e.currentTarget.value.trim())} /></label>
    <button type="button" id="sup-line" data-line=${lineState.value} onClick=${toggleLine}>
      ${t(on ? "wall.line_on" : "wall.line_connect")}</button>`;
}
