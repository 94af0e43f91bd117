// The new-ticket form (新建工单): type, title, description, priority, the type's custom
// fields, group and assignee, due time; prefilled from the props when the desk (a call,
// its customer) or the voicemail page (a message: the server fills its caller and time)
// opens it.  `onDone(ticket)` after it is created, `onDone(null)` when cancelled.

import { html } from "htm/preact";
import { useEffect, useState } from "preact/hooks";
import { errorText, post } from "/static/shell/api.js";
import { t } from "/static/shell/i18n.js";
import { user } from "/static/shell/store.js";
import { toast } from "/static/shell/util.js";
import { PRIORITIES, PeopleLists, epoch, lbl, loadPeople, loadTypes, priorityText, types,
         typesFailed } from "./common.js";

/** One custom field's input (the type's `fields`: text, number, date, choice). */
export function FieldInput({ field, value, onInput, name = `f.${field.name}` }) {
  const set = (e) => onInput(e.currentTarget.value);
  const common = { name, required: field.required, value: value ?? "", onInput: set, onChange: set };
  if (field.kind === "choice") {
    return html`<select ...${common}><option value="">—</option>
      ${(field.choices || []).map((c) => html`<option key=${c} value=${c}>${c}</option>`)}</select>`;
  }
  const type = { number: "number", date: "date" }[field.kind] || "text";
  return html`<input type=${type} step=${field.kind === "number" ? "any" : undefined} ...${common} />`;
}

/** The custom fields' values as the API takes them (numbers as numbers, empty left out). */
export function fieldValues(fields, values) {
  const out = {};
  for (const f of fields || []) {
    const v = values[f.name];
    if (v === undefined || v === "") continue;
    out[f.name] = f.kind === "number" ? Number(v) : v;
  }
  return out;
}

export default function TicketCreate({ customerId = null, callId = null, number = "", voicemailId = null, onDone = () => {} }) {
  const [type, setType] = useState("");
  const [values, setValues] = useState({});
  const [problem, setProblem] = useState("");
  const [busy, setBusy] = useState(false);
  useEffect(() => { loadTypes(); loadPeople(); }, []);
  const active = (types.value || []).filter((x) => x.active !== false);
  useEffect(() => { if (!type && active.length) setType(active[0].name); }, [active.length]);
  const chosen = active.find((x) => x.name === type);
  const supervisor = ["supervisor", "admin"].includes(user.value?.role);

  const submit = async (e) => {
    e.preventDefault();
    const f = Object.fromEntries(new FormData(e.currentTarget));
    const body = { type, title: f.title.trim(), description: f.description, priority: f.priority,
                   fields: fieldValues(chosen?.fields, values) };
    if (customerId) body.customer_id = customerId;
    if (f.number?.trim()) body.number = f.number.trim();
    if (callId) body.call_id = callId;
    if (voicemailId) body.voicemail_id = voicemailId;
    if (f.group?.trim()) body.group = f.group.trim();
    if (f.assignee?.trim()) body.assignee = f.assignee.trim();
    if (f.due_at) body.due_at = epoch(f.due_at);
    setBusy(true);
    setProblem("");
    try {
      const ticket = await post("/tickets", body);
      toast(t("tk.created", { id: ticket.id }));
      onDone(ticket);
    } catch (err) {
      setProblem(errorText(err));
    } finally {
      setBusy(false);
    }
  };
  return html`<form class="panel tk-create" id="tk-create" onSubmit=${submit}>
    <h2>${t("tk.new")}</h2>
    ${typesFailed.value ? html`<p class="error" id="tk-create-unavailable">${t("tk.unavailable")}</p>` : null}
    <div class="tk-form-grid">
      <label><span>${t("tk.type")}</span>
        <select name="type" id="tk-create-type" value=${type} onChange=${(e) => { setType(e.currentTarget.value); setValues({}); }}>
          ${active.map((x) => html`<option key=${x.name} value=${x.name}>${lbl(x)}</option>`)}</select></label>
      <label><span>${t("tk.priority")}</span>
        <select name="priority">
          ${PRIORITIES.map((p) => html`<option key=${p} value=${p} selected=${p === "normal"}>${priorityText(p)}</option>`)}</select></label>
      <label class="wide"><span>${t("tk.title")}</span><input name="title" required maxlength="200" /></label>
      <label class="wide"><span>${t("tk.description")}</span><textarea name="description" rows="3"></textarea></label>
      <label><span>${t("tk.number")}</span><input name="number" value=${number || ""} readonly=${Boolean(voicemailId)} /></label>
      ${customerId ? html`<label><span>${t("tk.customer")}</span>
        <a href=${`#/customers/${customerId}`} class="tk-customer-link">#${customerId}</a></label>` : null}
      ${callId ? html`<label><span>${t("tk.call")}</span><code class="small">${callId}</code></label>` : null}
      ${voicemailId ? html`<label><span>${t("tk.voicemail")}</span><span id="tk-create-voicemail">#${voicemailId}</span></label>` : null}
      <label><span>${t("tk.group")}</span><input name="group" list="tk-groups" /></label>
      ${supervisor ? html`<label><span>${t("tk.assignee")}</span><input name="assignee" list="tk-agents" /></label>`
                   : html`<label class="inline"><input type="checkbox" name="assignee" value=${user.value?.username} /> ${t("tk.assign_me")}</label>`}
      <label><span>${t("tk.due_at")}</span><input name="due_at" type="datetime-local" /></label>
      ${(chosen?.fields || []).map((fd) => html`<label key=${fd.name} data-field=${fd.name}>
        <span>${lbl(fd)}${fd.required ? " *" : ""}</span>
        <${FieldInput} field=${fd} value=${values[fd.name]} onInput=${(v) => setValues({ ...values, [fd.name]: v })} /></label>`)}
    </div>
    ${problem ? html`<p class="error" id="tk-create-problem">${problem}</p>` : null}
    <div class="buttons">
      <button type="submit" class="primary" id="tk-create-submit" disabled=${busy || !chosen}>${t("tk.create")}</button>
      <button type="button" id="tk-create-cancel" onClick=${() => onDone(null)}>${t("tk.cancel")}</button>
    </div>
    <${PeopleLists} />
  </form>`;
}
