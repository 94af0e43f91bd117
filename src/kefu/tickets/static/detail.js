// One ticket (#/tickets/{id}): its fields, the customer and the call, the state with the
// transitions this caller may take now (a dialog asks for a transition's required fields
// and a comment), assigning (supervisor, admin), editing, comments (internal notes look
// different from replies to the customer), attachments (upload, download) and the
// activity log.  A ticket.changed event for this ticket reloads it.

import { html } from "htm/preact";
import { useEffect, useRef, useState } from "preact/hooks";
import { api, errorText, get, post } from "/static/shell/api.js";
import { t } from "/static/shell/i18n.js";
import { navigate } from "/static/shell/router.js";
import { useEvents, user } from "/static/shell/store.js";
import { fmtTime, run, toast } from "/static/shell/util.js";
import { PRIORITIES, PeopleLists, SlaBadges, StateBadge, download, epoch, lbl,
         loadPeople, loadTypes, localInput, missing, priorityText, size, typeLabel, typeNamed,
         upload } from "./common.js";
import { FieldInput, fieldValues } from "./create.js";

const STAFF = ["supervisor", "admin"];
const patch = (path, body) => api("PATCH", path, body);

/** The transition dialog: the required fields of `tr` (ticket fields or the type's custom
 *  ones) and a comment; the API's refusal (403, 409, 422) is shown in it. */
function TransitionDialog({ ticket, tr, type, onClose, onDone }) {
  const [values, setValues] = useState({});
  const [problem, setProblem] = useState("");
  const required = tr.required || [];
  const custom = (type?.fields || []).filter((f) => required.includes(f.name));
  const need = (name) => required.includes(name);
  const set = (name) => (e) => setValues({ ...values, [name]: e.currentTarget.value });
  const submit = async (e) => {
    e.preventDefault();
    const body = { transition: tr.name, fields: fieldValues(custom, values) };
    for (const name of ["assignee", "group", "comment"]) if (values[name]?.trim()) body[name] = values[name].trim();
    // priority and due time are not among a transition's inputs: the API reads the
    // ticket's own, so a changed one is saved first
    const own = {};
    if (values.priority && values.priority !== ticket.priority) own.priority = values.priority;
    if (values.due_at && epoch(values.due_at) !== ticket.due_at) own.due_at = epoch(values.due_at);
    try {
      if (Object.keys(own).length) await patch(`/tickets/${ticket.id}`, own);
      onDone(await post(`/tickets/${ticket.id}/transitions`, body));
      toast(t("tk.moved", { state: lbl(tr) }));
    } catch (err) {
      setProblem(err.status === 403 ? t("tk.forbidden", { detail: errorText(err) })
        : err.status === 409 ? t("tk.conflict", { detail: errorText(err) }) : errorText(err));
    }
  };
  return html`<div class="tk-overlay" onClick=${(e) => e.target === e.currentTarget && onClose()}>
    <form class="panel tk-dialog" id="tk-transition" data-transition=${tr.name} onSubmit=${submit}>
      <h2>${lbl(tr)} <span class="muted">→ ${lbl(type?.workflow.states.find((s) => s.name === tr.to)) || tr.to}</span></h2>
      ${need("assignee") ? html`<label><span>${t("tk.assignee")} *</span>
        <input name="assignee" list="tk-agents" required value=${values.assignee ?? ticket.assignee ?? ""} onInput=${set("assignee")} /></label>` : null}
      ${need("group") ? html`<label><span>${t("tk.group")} *</span>
        <input name="group" list="tk-groups" required value=${values.group ?? ticket.group ?? ""} onInput=${set("group")} /></label>` : null}
      ${need("priority") ? html`<label><span>${t("tk.priority")} *</span><select name="priority" required onChange=${set("priority")}>
        ${PRIORITIES.map((p) => html`<option value=${p} selected=${p === (values.priority ?? ticket.priority)}>${priorityText(p)}</option>`)}</select></label>` : null}
      ${need("due_at") ? html`<label><span>${t("tk.due_at")} *</span>
        <input name="due_at" type="datetime-local" required value=${values.due_at ?? localInput(ticket.due_at)} onInput=${set("due_at")} /></label>` : null}
      ${custom.map((f) => html`<label key=${f.name} data-field=${f.name}><span>${lbl(f)} *</span>
        <${FieldInput} field=${{ ...f, required: true }} value=${values[f.name] ?? ticket.fields?.[f.name]}
          onInput=${(v) => setValues({ ...values, [f.name]: v })} /></label>`)}
      <label><span>${t("tk.comment")}${need("comment") ? " *" : ""}</span>
        <textarea name="comment" rows="3" required=${need("comment")} onInput=${set("comment")}></textarea></label>
      ${problem ? html`<p class="error" id="tk-transition-problem">${problem}</p>` : null}
      <div class="buttons"><button type="submit" class="primary" id="tk-transition-submit">${lbl(tr)}</button>
        <button type="button" onClick=${onClose}>${t("tk.cancel")}</button></div>
    </form></div>`;
}

/** The transitions this caller may take now (those to state `to` when given), as
 *  buttons; the dialog for the chosen one (`first`: open at once). */
export function Transitions({ ticket, onDone, to = null, first = null }) {
  const [open, setOpen] = useState(first);
  const type = typeNamed(ticket.type);
  const list = (ticket.transitions || []).filter((tr) => !to || tr.to === to);
  return html`<span class="buttons tk-transitions" id="tk-transitions">
    ${list.map((tr) => html`<button type="button" key=${tr.name} data-transition=${tr.name}
        onClick=${() => setOpen(tr)}>${lbl(tr)}</button>`)}
    ${list.length ? null : html`<span class="muted">${t("tk.no_transitions")}</span>`}
    ${open ? html`<${TransitionDialog} ticket=${ticket} tr=${open} type=${type} onClose=${() => setOpen(null)}
      onDone=${(out) => { setOpen(null); onDone(out); }} />` : null}
  </span>`;
}

function Assign({ ticket, onDone }) {
  const submit = async (e) => {
    e.preventDefault();
    const f = Object.fromEntries(new FormData(e.currentTarget));
    const out = await run(() => patch(`/tickets/${ticket.id}`, { assignee: f.assignee.trim(), group: f.group.trim() }), t("tk.assigned"));
    if (out) onDone(out);
  };
  return html`<form id="tk-assign" class="buttons" onSubmit=${submit}>
    <label class="inline">${t("tk.assignee")} <input name="assignee" list="tk-agents" value=${ticket.assignee} /></label>
    <label class="inline">${t("tk.group")} <input name="group" list="tk-groups" value=${ticket.group} /></label>
    <button type="submit">${t("tk.assign")}</button></form>`;
}

function Edit({ ticket, type, onDone }) {
  const [values, setValues] = useState({ ...ticket.fields });
  const submit = async (e) => {
    e.preventDefault();
    const f = Object.fromEntries(new FormData(e.currentTarget));
    const out = await run(() => patch(`/tickets/${ticket.id}`, {
      title: f.title.trim(), description: f.description, priority: f.priority,
      due_at: epoch(f.due_at), fields: fieldValues(type?.fields, values) }), t("tk.saved"));
    if (out) onDone(out);
  };
  return html`<form id="tk-edit" class="tk-form-grid" onSubmit=${submit}>
    <label class="wide"><span>${t("tk.title")}</span><input name="title" required value=${ticket.title} /></label>
    <label class="wide"><span>${t("tk.description")}</span><textarea name="description" rows="3">${ticket.description}</textarea></label>
    <label><span>${t("tk.priority")}</span><select name="priority">
      ${PRIORITIES.map((p) => html`<option key=${p} value=${p} selected=${p === ticket.priority}>${priorityText(p)}</option>`)}</select></label>
    <label><span>${t("tk.due_at")}</span><input name="due_at" type="datetime-local" value=${localInput(ticket.due_at)} /></label>
    ${(type?.fields || []).map((fd) => html`<label key=${fd.name} data-field=${fd.name}><span>${lbl(fd)}</span>
      <${FieldInput} field=${fd} value=${values[fd.name]} onInput=${(v) => setValues({ ...values, [fd.name]: v })} /></label>`)}
    <div class="buttons wide"><button type="submit" class="primary">${t("tk.save")}</button></div>
  </form>`;
}

/** The call: a link to its recording for those who may hear it, else its id. */
function CallLink({ callId }) {
  if (!callId) return "—";
  if (!["qa", "supervisor", "admin"].includes(user.value?.role)) return html`<code class="small">${callId}</code>`;
  const open = async (e) => {
    e.preventDefault();
    const page = await run(() => get(`/recordings?call_id=${encodeURIComponent(callId)}&limit=1`));
    if (page?.items?.length) navigate(`/recordings/${page.items[0].id}`);
    else if (page) toast(t("tk.no_recording"));
  };
  return html`<a href="#" id="tk-call-link" data-call=${callId} onClick=${open}><code class="small">${callId}</code></a>`;
}

/** 知识库 beside the reply box: the kb slice's picker (loaded on the first click), whose
 *  插入 appends an article's text to the reply. */
function KbPick({ onInsert }) {
  const [Picker, setPicker] = useState(null);
  const toggle = () => (Picker ? setPicker(null) : import("/static/kb/panel.js")
    .then((m) => setPicker(() => m.KbPicker), (err) => toast(errorText(err), "error")));
  return html`<button type="button" id="tk-kb" aria-pressed=${Boolean(Picker)} onClick=${toggle}>${t("kbd.kb")}</button>
    ${Picker && html`<${Picker} onInsert=${onInsert} />`}`;
}

function Comments({ ticket, onAdd }) {
  const box = useRef(null);
  const insert = (text) => {
    const area = box.current?.elements.body;
    if (!area) return;
    area.value = area.value.trim() ? `${area.value.trimEnd()}\n${text}` : text;
    area.focus();
  };
  const submit = async (e) => {
    e.preventDefault();
    const form = e.currentTarget, f = new FormData(form);
    const out = await run(() => post(`/tickets/${ticket.id}/comments`, { body: String(f.get("body")).trim(), internal: f.get("internal") === "1" }));
    if (out) { onAdd(out); form.reset(); }
  };
  return html`<div class="tk-comments">
    <h3>${t("tk.comments")}</h3>
    <ul id="tk-comments">${(ticket.comments || []).map((c) => html`<li key=${c.id} data-id=${c.id}
        class=${c.internal ? "internal" : "public"}>
      <div class="tk-comment-head"><b>${c.author}</b> <span class="muted small">${fmtTime(c.at)}</span>
        <span class="tk-comment-kind">${c.internal ? t("tk.internal") : t("tk.to_customer")}</span></div>
      <div class="tk-comment-body">${c.body}</div></li>`)}
      ${(ticket.comments || []).length ? null : html`<li class="muted">${t("tk.no_comments")}</li>`}</ul>
    <form id="tk-comment" ref=${box} onSubmit=${submit}>
      <textarea name="body" rows="2" required placeholder=${t("tk.comment")}></textarea>
      <div class="buttons"><${KbPick} onInsert=${insert} /><label class="inline"><input type="checkbox" name="internal" value="1" checked /> ${t("tk.internal_note")}</label>
        <button type="submit">${t("tk.add_comment")}</button></div>
    </form></div>`;
}

function Attachments({ ticket, onAdd }) {
  const [problem, setProblem] = useState("");
  const choose = async (e) => {
    const input = e.currentTarget, file = input.files[0];
    if (!file) return;
    setProblem("");
    try {
      onAdd(await upload(`/tickets/${ticket.id}/attachments`, file));
      toast(t("tk.uploaded", { name: file.name }));
    } catch (err) {
      setProblem(err.status === 413 ? t("tk.too_large", { detail: errorText(err) })
        : err.status === 415 ? t("tk.bad_type", { detail: errorText(err) }) : errorText(err));
    }
    input.value = "";
  };
  return html`<div class="tk-attachments">
    <h3>${t("tk.attachments")}</h3>
    <ul id="tk-attachments">${(ticket.attachments || []).map((a) => html`<li key=${a.id} data-id=${a.id}>
      <a href="#" class="download" onClick=${(e) => { e.preventDefault(); run(() => download(`/tickets/${ticket.id}/attachments/${a.id}`, a.name)); }}>${a.name}</a>
      <span class="muted small"> ${a.mime} · ${size(a.size)} · ${a.by} · ${fmtTime(a.at)}</span></li>`)}
      ${(ticket.attachments || []).length ? null : html`<li class="muted">${t("tk.no_attachments")}</li>`}</ul>
    <label class="inline">${t("tk.upload")} <input type="file" id="tk-upload" onChange=${choose} /></label>
    ${problem ? html`<p class="error" id="tk-upload-problem">${problem}</p>` : null}
  </div>`;
}

/** An activity line's old → new, in words where they are states or priorities. */
function change(a, type) {
  const state = (name) => lbl(type?.workflow.states.find((s) => s.name === name)) || name;
  const show = (v) => (a.field === "state" || ["created", "transition", "state_mapped"].includes(a.action) ? state(v)
    : a.field === "priority" ? priorityText(v) : v);
  if ((a.old ?? "") === "" && (a.new ?? "") === "") return "";
  return `${show(a.old) || "—"} → ${show(a.new) || "—"}`;
}

function Activity({ ticket, type }) {
  return html`<table id="tk-activity" class="kv tk-activity">
    <caption>${t("tk.activity")}</caption>
    <thead><tr><th>${t("tk.when")}</th><th>${t("tk.who")}</th><th>${t("tk.action")}</th><th>${t("tk.change")}</th><th></th></tr></thead>
    <tbody>${(ticket.activity || []).map((a) => html`<tr key=${a.id} data-action=${a.action}>
      <td>${fmtTime(a.at)}</td><td>${a.actor}</td><td>${t(`tk.act.${a.action}`)}${a.field ? ` · ${a.field}` : ""}</td>
      <td class="change">${change(a, type)}</td><td class="muted">${a.detail}</td></tr>`)}</tbody>
  </table>`;
}

export default function Detail({ id }) {
  const [ticket, setTicket] = useState(null);
  const [failed, setFailed] = useState(null);
  const [editing, setEditing] = useState(false);
  const load = () => get(`/tickets/${id}`).then((x) => { setTicket(x); setFailed(null); }, setFailed);
  useEffect(() => { loadTypes(); loadPeople(); load(); }, [id]);
  useEvents((msg) => { if (msg.type?.startsWith("ticket.") && Number(msg.ticket_id ?? msg.data?.ticket_id) === id) load(); });
  // a transition or edit answers the Ticket without its lists: keep them and read them again
  const merged = (out) => { setTicket({ ...ticket, ...out }); load(); };
  const type = ticket && typeNamed(ticket.type);
  const back = html`<a href="#/tickets" id="tk-back">← ${t("tk.back")}</a>`;
  if (failed) {
    return html`<section class="panel tk" id="tk-page" data-id=${id}>${back}
      <p class=${missing(failed) ? "muted" : "error"} id="tk-missing">
        ${failed.status === 404 ? t("tk.not_found") : failed.message}</p></section>`;
  }
  if (!ticket) return html`<section class="panel tk" id="tk-page" data-id=${id}>${back} <span class="muted">…</span></section>`;
  const row = (key, value) => html`<tr><th>${t(key)}</th><td>${value}</td></tr>`;
  return html`<section class="panel tk" id="tk-page" data-id=${id} data-state=${ticket.state}>
    <div class="buttons">${back}<h2 class="tk-page-title">#${ticket.id} ${ticket.title}</h2>
      <${StateBadge} ticket=${ticket} /> <${SlaBadges} sla=${ticket.sla} /></div>
    <div class="tk-state-bar"><span class="muted">${t("tk.next_step")}:</span>
      <${Transitions} ticket=${ticket} onDone=${merged} /></div>
    <div class="tk-split">
      <div class="tk-main">
        ${editing ? html`<${Edit} ticket=${ticket} type=${type} onDone=${(out) => { setEditing(false); merged(out); }} />`
          : html`<p class="tk-description" id="tk-description">${ticket.description || html`<span class="muted">${t("tk.no_description")}</span>`}</p>`}
        <${Comments} ticket=${ticket} onAdd=${(c) => { setTicket({ ...ticket, comments: [...(ticket.comments || []), c] }); load(); }} />
        <${Attachments} ticket=${ticket} onAdd=${(a) => setTicket({ ...ticket, attachments: [...(ticket.attachments || []), a] })} />
        <${Activity} ticket=${ticket} type=${type} />
      </div>
      <div class="tk-side">
        <table class="kv tk-fields" id="tk-fields"><tbody>
          ${row("tk.type", typeLabel(ticket))}
          ${row("tk.priority", html`<span class=${`tk-prio ${ticket.priority}`}>${priorityText(ticket.priority)}</span>`)}
          ${row("tk.customer", ticket.customer_id
            ? html`<a href=${`#/customers/${ticket.customer_id}`} id="tk-customer-link">${ticket.customer_name || `#${ticket.customer_id}`}</a>` : "—")}
          ${row("tk.number", ticket.number || "—")}
          ${row("tk.call", html`<${CallLink} callId=${ticket.call_id} />`)}
          ${ticket.voicemail_id ? row("tk.voicemail", html`<a href="#/ivr/voicemail">#${ticket.voicemail_id}</a>`) : null}
          ${row("tk.assignee", ticket.assignee || t("tk.unassigned"))}
          ${row("tk.group", ticket.group || "—")}
          ${row("tk.created_by", ticket.created_by)}
          ${row("tk.created_at", fmtTime(ticket.created_at))}
          ${row("tk.updated_at", fmtTime(ticket.updated_at))}
          ${row("tk.due_at", ticket.due_at ? fmtTime(ticket.due_at) : "—")}
          ${(type?.fields || []).map((f) => html`<tr key=${f.name} data-field=${f.name}><th>${lbl(f)}</th>
            <td>${ticket.fields?.[f.name] ?? "—"}</td></tr>`)}
        </tbody></table>
        <div class="buttons"><button type="button" id="tk-edit-toggle" onClick=${() => setEditing(!editing)}>
          ${editing ? t("tk.cancel") : t("tk.edit")}</button></div>
        ${STAFF.includes(user.value?.role) ? html`<${Assign} ticket=${ticket} onDone=${merged} />` : null}
      </div>
    </div>
    <${PeopleLists} />
  </section>`;
}
