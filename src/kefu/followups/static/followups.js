// The follow-ups screen (回访/回电): the list (mine, my groups, or all for supervisors and
// admins; open ones by default), overdue ones highlighted; 呼叫 / Call starts one and dials
// the customer from the agent's own phone, then its outcome form; a new follow-up form.
// It follows the followup.* events, so a reminder or an escalation shows at once.

import { html } from "htm/preact";
import { useEffect, useState } from "preact/hooks";
import { get, post } from "/static/shell/api.js";
import { t } from "/static/shell/i18n.js";
import { useEvents, user } from "/static/shell/store.js";
import { debounce, run, toast } from "/static/shell/util.js";
import { Due, OutcomeForm, callFollowup, customerText, kindText, openFollowups, stateText,
         toEpoch, toLocalInput, who } from "./common.js";

const STATES = ["open", "pending", "in_progress", "done", "failed", "cancelled"];

export default function Followups() {
  const role = user.value?.role;
  const [scope, setScope] = useState("mine");          // mine | groups
  const [state, setState] = useState("open");
  const [items, setItems] = useState(null);
  const [adding, setAdding] = useState(false);
  const load = async () => {
    const query = scope === "mine" ? "&mine=true" : "";
    const got = await run(() => (state === "open" ? openFollowups(query)
      : get(`/followups?state=${state}&limit=200${query}`).then((p) => p.items)));
    if (got && got !== true) setItems(got);
  };
  useEffect(() => { load(); }, [scope, state]);
  const later = debounce(load, 300, 1000);
  useEvents((msg) => {
    if (msg.type?.startsWith("followup.")) later();
    if (msg.type === "followup.due") toast(t("fu.reminder", { number: msg.data.number }));
  });
  const replace = (f) => f && setItems((list) => (list ?? []).map((x) => (x.id === f.id ? f : x)));
  const cancel = async (f) => replace(await run(() => post(`/followups/${f.id}/cancel`), t("fu.st.cancelled")));
  const call = async (f) => replace(await callFollowup(f));
  return html`<section class="panel fu" id="followups" data-ready=${items ? "1" : "0"}>
    <h2>${t("nav.followups")}</h2>
    <p class="tabs">
      <button type="button" id="fu-mine" aria-pressed=${scope === "mine"} onClick=${() => setScope("mine")}>${t("fu.mine")}</button>
      <button type="button" id="fu-groups" aria-pressed=${scope === "groups"} onClick=${() => setScope("groups")}>
        ${role === "agent" ? t("fu.my_groups") : t("fu.all")}</button>
      <select id="fu-state" value=${state} onChange=${(e) => setState(e.currentTarget.value)}>
        ${STATES.map((s) => html`<option key=${s} value=${s}>${s === "open" ? t("fu.open") : stateText(s)}</option>`)}
      </select>
      <button type="button" id="fu-new" onClick=${() => setAdding(!adding)}>${t("fu.new")}</button>
    </p>
    ${adding ? html`<${NewFollowup} onMade=${() => { setAdding(false); load(); }} />` : null}
    ${items && !items.length ? html`<p class="muted" id="fu-none">${t("fu.none")}</p>` : null}
    ${items?.length ? html`<table id="fu-list">
      <thead><tr><th>${t("fu.due")}</th><th>${t("fu.kind")}</th><th>${t("fu.customer")}</th>
        <th>${t("fu.assignee")}</th><th>${t("fu.state")}</th><th>${t("fu.note")}</th><th></th></tr></thead>
      <tbody>${items.map((f) => html`<tr key=${f.id} data-id=${f.id} data-state=${f.state} class=${f.overdue ? "overdue" : ""}>
        <td><${Due} f=${f} /></td>
        <td>${kindText(f.kind)}</td>
        <td class="customer">${customerText(f)}</td>
        <td>${who(f)}</td>
        <td><span class=${`state ${f.state}`}>${stateText(f.state)}</span>
          ${f.attempts ? html` <small>${t("fu.attempts", { n: f.attempts, max: f.max_attempts })}</small>` : null}
          ${f.outcome ? html` <small>${t(`fu.out.${f.outcome}`)}</small>` : null}</td>
        <td class="note">${f.note}</td>
        <td class="actions">
          ${f.state === "pending" ? html`<button type="button" class="call" onClick=${() => call(f)}>${t("fu.call")}</button>` : null}
          ${f.state === "in_progress" ? html`<${OutcomeForm} f=${f} onDone=${(done) => { replace(done); later(); }} />` : null}
          ${["pending", "in_progress"].includes(f.state) ? html`<button type="button" class="cancel" onClick=${() => cancel(f)}>${t("fu.cancel")}</button>` : null}
        </td></tr>`)}</tbody></table>` : null}
  </section>`;
}

/** A new follow-up: kind, number, due time, for whom, a note. */
function NewFollowup({ onMade }) {
  const me = user.value;
  const submit = async (e) => {
    e.preventDefault();
    const form = e.currentTarget;
    const body = { kind: form.kind.value, number: form.number.value.trim(),
                   due_at: toEpoch(form.due_at.value), note: form.note.value,
                   group: form.group.value.trim() };
    const assignee = form.assignee.value.trim();
    if (assignee || me.role !== "agent") body.assignee = assignee;
    const made = await run(() => post("/followups", body), t("fu.made"));
    if (made && made !== true) onMade?.(made);
  };
  return html`<form class="new-fu" id="fu-form" onSubmit=${submit}>
    <label><span>${t("fu.kind")}</span><select name="kind">
      <option value="callback">${kindText("callback")}</option><option value="visit">${kindText("visit")}</option></select></label>
    <label><span>${t("fu.number")}</span><input name="number" required maxlength="64" /></label>
    <label><span>${t("fu.due")}</span><input name="due_at" type="datetime-local" required
      value=${toLocalInput(Date.now() / 1000 + 3600)} /></label>
    <label><span>${t("fu.assignee")}</span><input name="assignee" maxlength="64"
      placeholder=${me?.role === "agent" ? me.username : ""} /></label>
    <label><span>${t("fu.group")}</span><input name="group" maxlength="64" /></label>
    <label><span>${t("fu.note")}</span><input name="note" maxlength="2000" /></label>
    <button type="submit">${t("fu.create")}</button>
  </form>`;
}
