// What the follow-up screens share (the #/followups screen and the desk's list): the style
// sheet, the call (start the follow-up, ring the agent's own extension and dial the
// customer through POST /live-calls, as the desk's click-to-call does, then report the
// call's id), the outcome form and the labels.

import { html } from "htm/preact";
import { useState } from "preact/hooks";
import { api, get, post } from "/static/shell/api.js";
import { t } from "/static/shell/i18n.js";
import { user } from "/static/shell/store.js";
import { fmtTime, run, toast } from "/static/shell/util.js";

const CSS = "/static/followups/followups.css";
if (!document.querySelector(`link[href="${CSS}"]`)) {
  document.head.append(Object.assign(document.createElement("link"), { rel: "stylesheet", href: CSS }));
}

export const OUTCOMES = ["reached", "no_answer", "busy", "wrong_number", "refused", "other"];
export const OPEN = ["pending", "in_progress"];
export const patch = (path, body) => api("PATCH", path, body);

/** The open follow-ups of a query (pending and in progress), soonest due first. */
export async function openFollowups(query = "") {
  const pages = await Promise.all(OPEN.map((s) => get(`/followups?state=${s}&limit=200${query}`)));
  return pages.flatMap((p) => p.items).sort((a, b) => a.due_at - b.due_at || a.id - b.id);
}

/** The extension an agent is logged in on (GET /agents/{me}); "" for other roles or when
 *  not logged in: POST /live-calls then answers why. */
async function myExtension() {
  const me = user.peek();
  if (!me || me.role !== "agent") return "";
  try { return (await get(`/agents/${encodeURIComponent(me.username)}`)).extension || ""; }
  catch { return ""; }
}

/** Call the follow-up's customer: start it (an attempt), ring my phone and dial the
 *  number, and note the call on the follow-up.  Returns the follow-up as it is now. */
export async function callFollowup(f) {
  const started = await run(() => post(`/followups/${f.id}/start`));
  if (!started) return undefined;
  const from = await myExtension();
  const call = await run(() => post("/live-calls", { to: started.number, from: from || undefined }),
                         t("dial.started", { to: started.number }));
  if (!call || call === true) return started.followup;   // not placed: the outcome form stays
  return (await run(() => patch(`/followups/${f.id}`, { call_id: call.call_id }))) || started.followup;
}

export const kindText = (k) => t(`fu.kind.${k}`);
export const stateText = (s) => t(`fu.st.${s}`);
export const who = (f) => [f.assignee, f.group && `(${f.group})`].filter(Boolean).join(" ");
export const customerText = (f) => (f.customer_name ? `${f.customer_name} · ${f.number}` : f.number);

/** A local date-time input's value ("2026-12-03T10:30") as epoch seconds. */
export const toEpoch = (value) => (value ? new Date(value).getTime() / 1000 : undefined);
/** Epoch seconds as a local date-time input's value. */
export function toLocalInput(ts) {
  const d = new Date(ts * 1000);
  const pad = (n) => String(n).padStart(2, "0");
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

/** How the attempt ended: outcome, note, when to call again. */
export function OutcomeForm({ f, onDone }) {
  const [outcome, setOutcome] = useState("reached");
  const again = !["reached", "wrong_number", "refused"].includes(outcome);
  const submit = async (e) => {
    e.preventDefault();
    const form = e.currentTarget;
    const body = { outcome, note: form.note.value };
    const at = again ? toEpoch(form.reschedule_at?.value) : undefined;
    if (at) body.reschedule_at = at;
    const done = await run(() => post(`/followups/${f.id}/outcome`, body), t("fu.outcome_saved"));
    if (done && done !== true) onDone?.(done);
  };
  return html`<form class="outcome" data-id=${f.id} onSubmit=${submit}>
    <label><span>${t("fu.outcome")}</span>
      <select name="outcome" value=${outcome} onChange=${(e) => setOutcome(e.currentTarget.value)}>
        ${OUTCOMES.map((o) => html`<option key=${o} value=${o}>${t(`fu.out.${o}`)}</option>`)}
      </select></label>
    <label><span>${t("fu.note")}</span><input name="note" maxlength="2000" /></label>
    ${again ? html`<label><span>${t("fu.reschedule_at")}</span><input name="reschedule_at" type="datetime-local" /></label>` : null}
    <button type="submit" class="save-outcome">${t("fu.save_outcome")}</button>
  </form>`;
}

/** The due time, marked when overdue. */
export function Due({ f }) {
  return html`<span class="due" title=${f.overdue ? t("fu.overdue") : ""}>${fmtTime(f.due_at)}${f.overdue ? ` · ${t("fu.overdue")}` : ""}</span>`;
}

export { toast };
