// Ticket types and their workflows (工单类型与流程), for admins: the types; a type's states
// (name, labels, kind, visit flag), transitions (from, to, roles, required fields),
// custom fields and SLA edited in tables beside a live diagram of the workflow.  The API
// validates (its 422 problems are listed); saving a workflow that drops states with the
// saved version asks for the state each dropped one maps to (`state_map`).

import { html } from "htm/preact";
import { useEffect, useState } from "preact/hooks";
import { post, put } from "/static/shell/api.js";
import { t } from "/static/shell/i18n.js";
import { toast } from "/static/shell/util.js";
import { PeopleLists, STATE_KINDS, TICKET_FIELDS, lbl, loadPeople, loadTypes, missing, types,
         typesFailed } from "./common.js";
import { Diagram } from "./diagram.js";

const ROLES = ["agent", "supervisor", "admin"];
const KINDS = ["text", "number", "date", "choice"];
const clone = (x) => JSON.parse(JSON.stringify(x));
const list = (text) => String(text || "").split(/[,,\s]+/).filter(Boolean);

/** A new type's starting point: one open and one closed state. */
export function blankType() {
  return { name: "", label_zh: "", label_en: "", active: true, fields: [],
    sla: { first_response: null, resolution: null, calendar: "", warn_before: 30, escalate_to_group: "", notify_supervisors: true },
    workflow: { initial: "open",
      states: [{ name: "open", label_zh: "处理中", label_en: "Open", kind: "open", visit: false },
               { name: "closed", label_zh: "已结案", label_en: "Closed", kind: "closed", visit: false }],
      transitions: [{ name: "close", label_zh: "结案", label_en: "Close", from: ["open"], to: "closed",
                      roles: ["agent", "supervisor", "admin"], required: [] }] } };
}

/** The states of `saved` that `draft` no longer has. */
export const dropped = (saved, draft) => (saved ? saved.workflow.states.map((s) => s.name)
  .filter((n) => !draft.workflow.states.some((s) => s.name === n)) : []);

/** A 422's detail as one line per problem: the validation list (a field's path before its
 *  message; a store refusal is one item at "body" whose message joins problems by "; "). */
export function problems(detail) {
  if (Array.isArray(detail)) {
    return detail.flatMap((d) => {
      if (typeof d === "string") return problems(d);
      const field = (d.loc || []).slice(1).join(".");
      return field ? [`${field}: ${d.msg}`] : problems(d.msg);
    });
  }
  return String(detail ?? "").split("; ").filter(Boolean);
}

function Text({ value, onInput, ...attrs }) {
  return html`<input value=${value ?? ""} onInput=${(e) => onInput(e.currentTarget.value)} ...${attrs} />`;
}

function States({ wf, set }) {
  const change = (i, patch) => set({ ...wf, states: wf.states.map((s, k) => (k === i ? { ...s, ...patch } : s)) });
  const rename = (i, name) => {
    const old = wf.states[i].name;
    // transitions and the initial state follow a renamed state
    set({ ...wf, initial: wf.initial === old ? name : wf.initial,
      states: wf.states.map((s, k) => (k === i ? { ...s, name } : s)),
      transitions: wf.transitions.map((tr) => ({ ...tr, to: tr.to === old ? name : tr.to,
        from: tr.from.map((f) => (f === old ? name : f)) })) });
  };
  // a removed state leaves the transitions' "from" lists; a transition into it keeps its
  // target (shown as unknown) for the admin to change
  const remove = (i) => {
    const gone = wf.states[i].name;
    set({ ...wf, states: wf.states.filter((_, k) => k !== i),
      transitions: wf.transitions.map((tr) => ({ ...tr, from: tr.from.filter((f) => f !== gone) })) });
  };
  return html`<table class="kv tk-edit-table" id="tk-states">
    <caption>${t("tk.states")}</caption>
    <thead><tr><th>${t("tk.name")}</th><th>中文</th><th>English</th><th>${t("tk.kind")}</th><th>${t("tk.visit")}</th><th></th></tr></thead>
    <tbody>${wf.states.map((s, i) => html`<tr key=${i} data-state=${s.name}>
      <td><${Text} name="name" value=${s.name} onInput=${(v) => rename(i, v.trim())} required pattern="[a-z][a-z0-9_]*" /></td>
      <td><${Text} name="label_zh" value=${s.label_zh} onInput=${(v) => change(i, { label_zh: v })} /></td>
      <td><${Text} name="label_en" value=${s.label_en} onInput=${(v) => change(i, { label_en: v })} /></td>
      <td><select name="kind" value=${s.kind} onChange=${(e) => change(i, { kind: e.currentTarget.value })}>
        ${STATE_KINDS.map((k) => html`<option key=${k} value=${k}>${t(`tk.kind.${k}`)}</option>`)}</select></td>
      <td><input type="checkbox" name="visit" checked=${s.visit} onChange=${(e) => change(i, { visit: e.currentTarget.checked })} /></td>
      <td><button type="button" class="small remove" onClick=${() => remove(i)}>✕</button></td>
    </tr>`)}</tbody>
    <tfoot><tr><td colspan="6"><button type="button" class="small" id="tk-add-state"
      onClick=${() => set({ ...wf, states: [...wf.states, { name: `state${wf.states.length + 1}`, label_zh: "", label_en: "", kind: "open", visit: false }] })}>
      + ${t("tk.add_state")}</button>
      <label class="inline">${t("tk.initial")} <select id="tk-initial" value=${wf.initial} onChange=${(e) => set({ ...wf, initial: e.currentTarget.value })}>
        ${wf.states.map((s) => html`<option key=${s.name} value=${s.name}>${s.name}</option>`)}</select></label></td></tr></tfoot>
  </table>`;
}

function Transitions({ wf, set, fields }) {
  const change = (i, patch) => set({ ...wf, transitions: wf.transitions.map((tr, k) => (k === i ? { ...tr, ...patch } : tr)) });
  const toggle = (arr, v, on) => (on ? [...new Set([...arr, v])] : arr.filter((x) => x !== v));
  const names = wf.states.map((s) => s.name);
  return html`<table class="kv tk-edit-table" id="tk-transitions-edit">
    <caption>${t("tk.transitions")}</caption>
    <thead><tr><th>${t("tk.name")}</th><th>中文</th><th>English</th><th>${t("tk.from")}</th><th>${t("tk.to")}</th>
      <th>${t("tk.roles")}</th><th>${t("tk.required")}</th><th></th></tr></thead>
    <tbody>${wf.transitions.map((tr, i) => html`<tr key=${i} data-transition=${tr.name}>
      <td><${Text} name="name" value=${tr.name} onInput=${(v) => change(i, { name: v.trim() })} required /></td>
      <td><${Text} name="label_zh" value=${tr.label_zh} onInput=${(v) => change(i, { label_zh: v })} /></td>
      <td><${Text} name="label_en" value=${tr.label_en} onInput=${(v) => change(i, { label_en: v })} /></td>
      <td class="checks">${names.map((n) => html`<label class="inline" key=${n}><input type="checkbox" data-from=${n}
        checked=${tr.from.includes(n)} onChange=${(e) => change(i, { from: toggle(tr.from, n, e.currentTarget.checked) })} />${n}</label>`)}</td>
      <td><select name="to" value=${tr.to} onChange=${(e) => change(i, { to: e.currentTarget.value })}>
        ${names.includes(tr.to) ? null : html`<option value=${tr.to}>${tr.to} ?</option>`}
        ${names.map((n) => html`<option key=${n} value=${n}>${n}</option>`)}</select></td>
      <td class="checks">${ROLES.map((r) => html`<label class="inline" key=${r}><input type="checkbox" data-role=${r}
        checked=${tr.roles.includes(r)} onChange=${(e) => change(i, { roles: toggle(tr.roles, r, e.currentTarget.checked) })} />${t(`tk.role.${r}`)}</label>`)}</td>
      <td><${Text} name="required" value=${tr.required.join(", ")} list="tk-required-names"
        onInput=${(v) => change(i, { required: list(v) })} title=${[...TICKET_FIELDS, ...fields.map((f) => f.name)].join(", ")} /></td>
      <td><button type="button" class="small remove" onClick=${() => set({ ...wf, transitions: wf.transitions.filter((_, k) => k !== i) })}>✕</button></td>
    </tr>`)}</tbody>
    <tfoot><tr><td colspan="8"><button type="button" class="small" id="tk-add-transition"
      onClick=${() => set({ ...wf, transitions: [...wf.transitions, { name: `move${wf.transitions.length + 1}`, label_zh: "", label_en: "",
        from: names.slice(0, 1), to: names.at(-1) ?? "", roles: ["supervisor", "admin"], required: [] }] })}>+ ${t("tk.add_transition")}</button>
      <span class="muted small"> ${t("tk.required_hint", { names: [...TICKET_FIELDS, ...fields.map((f) => f.name)].join(", ") })}</span></td></tr></tfoot>
  </table>
  <datalist id="tk-required-names">${[...TICKET_FIELDS, ...fields.map((f) => f.name)].map((n) => html`<option value=${n} />`)}</datalist>`;
}

function Fields({ fields, set }) {
  const change = (i, patch) => set(fields.map((f, k) => (k === i ? { ...f, ...patch } : f)));
  return html`<table class="kv tk-edit-table" id="tk-fields-edit">
    <caption>${t("tk.custom_fields")}</caption>
    <thead><tr><th>${t("tk.name")}</th><th>中文</th><th>English</th><th>${t("tk.kind")}</th><th>${t("tk.choices")}</th><th>${t("tk.required_field")}</th><th></th></tr></thead>
    <tbody>${fields.map((f, i) => html`<tr key=${i} data-field=${f.name}>
      <td><${Text} name="name" value=${f.name} onInput=${(v) => change(i, { name: v.trim() })} required /></td>
      <td><${Text} name="label_zh" value=${f.label_zh} onInput=${(v) => change(i, { label_zh: v })} /></td>
      <td><${Text} name="label_en" value=${f.label_en} onInput=${(v) => change(i, { label_en: v })} /></td>
      <td><select name="kind" value=${f.kind} onChange=${(e) => change(i, { kind: e.currentTarget.value })}>
        ${KINDS.map((k) => html`<option key=${k} value=${k}>${t(`tk.fkind.${k}`)}</option>`)}</select></td>
      <td><${Text} name="choices" value=${(f.choices || []).join(", ")} disabled=${f.kind !== "choice"}
        onInput=${(v) => change(i, { choices: list(v) })} /></td>
      <td><input type="checkbox" name="required" checked=${f.required} onChange=${(e) => change(i, { required: e.currentTarget.checked })} /></td>
      <td><button type="button" class="small remove" onClick=${() => set(fields.filter((_, k) => k !== i))}>✕</button></td></tr>`)}</tbody>
    <tfoot><tr><td colspan="7"><button type="button" class="small" id="tk-add-field"
      onClick=${() => set([...fields, { name: `field${fields.length + 1}`, label_zh: "", label_en: "", kind: "text", choices: [], required: false }])}>
      + ${t("tk.add_field")}</button></td></tr></tfoot>
  </table>`;
}

function Sla({ sla, set }) {
  const num = (v) => (v === "" ? null : Number(v));
  return html`<fieldset id="tk-sla" class="tk-form-grid"><legend>SLA</legend>
    <label><span>${t("tk.sla_first_response")} (${t("tk.minutes")})</span><input type="number" min="1" name="first_response"
      value=${sla.first_response ?? ""} onInput=${(e) => set({ ...sla, first_response: num(e.currentTarget.value) })} /></label>
    <label><span>${t("tk.sla_resolution")} (${t("tk.minutes")})</span><input type="number" min="1" name="resolution"
      value=${sla.resolution ?? ""} onInput=${(e) => set({ ...sla, resolution: num(e.currentTarget.value) })} /></label>
    <label><span>${t("tk.calendar")}</span><input name="calendar" value=${sla.calendar} placeholder=${t("tk.calendar_hint")}
      onInput=${(e) => set({ ...sla, calendar: e.currentTarget.value.trim() })} /></label>
    <label><span>${t("tk.warn_before")} (${t("tk.minutes")})</span><input type="number" min="0" name="warn_before"
      value=${sla.warn_before ?? 0} onInput=${(e) => set({ ...sla, warn_before: Number(e.currentTarget.value || 0) })} /></label>
    <label><span>${t("tk.escalate_to")}</span><input name="escalate_to_group" list="tk-groups" value=${sla.escalate_to_group}
      onInput=${(e) => set({ ...sla, escalate_to_group: e.currentTarget.value.trim() })} /></label>
    <label class="inline"><input type="checkbox" name="notify_supervisors" checked=${sla.notify_supervisors}
      onChange=${(e) => set({ ...sla, notify_supervisors: e.currentTarget.checked })} /> ${t("tk.notify_supervisors")}</label>
  </fieldset>`;
}

function Editor({ saved, onSaved, onClose }) {
  const [draft, setDraft] = useState(() => clone(saved ?? blankType()));
  const [map, setMap] = useState({});
  const [errs, setErrs] = useState([]);
  const wf = draft.workflow;
  const gone = dropped(saved, draft);
  const save = async (e) => {
    e.preventDefault();
    setErrs([]);
    const body = { ...draft };
    delete body.id; delete body.version;
    if (gone.length) body.state_map = Object.fromEntries(gone.map((n) => [n, map[n] || ""]).filter(([, v]) => v));
    try {
      const out = saved ? await put(`/ticket-types/${saved.id}`, body) : await post("/ticket-types", body);
      toast(t("tk.type_saved", { name: out.name, n: out.version ?? "" }));
      onSaved(out);
    } catch (err) {
      setErrs(err.status === 422 ? problems(err.detail) : [err.message]);
    }
  };
  return html`<form class="tk-type-editor" id="tk-type-editor" data-name=${draft.name} onSubmit=${save}>
    <div class="tk-form-grid">
      <label><span>${t("tk.name")}</span><input name="name" required value=${draft.name} readonly=${Boolean(saved)}
        onInput=${(e) => setDraft({ ...draft, name: e.currentTarget.value.trim() })} /></label>
      <label><span>中文</span><input name="label_zh" value=${draft.label_zh} onInput=${(e) => setDraft({ ...draft, label_zh: e.currentTarget.value })} /></label>
      <label><span>English</span><input name="label_en" value=${draft.label_en} onInput=${(e) => setDraft({ ...draft, label_en: e.currentTarget.value })} /></label>
      <label class="inline"><input type="checkbox" name="active" checked=${draft.active !== false}
        onChange=${(e) => setDraft({ ...draft, active: e.currentTarget.checked })} /> ${t("tk.active")}</label>
    </div>
    <${Diagram} workflow=${wf} />
    <${States} wf=${wf} set=${(next) => setDraft({ ...draft, workflow: next })} />
    <${Transitions} wf=${wf} fields=${draft.fields} set=${(next) => setDraft({ ...draft, workflow: next })} />
    <${Fields} fields=${draft.fields} set=${(fields) => setDraft({ ...draft, fields })} />
    <${Sla} sla=${draft.sla} set=${(sla) => setDraft({ ...draft, sla })} />
    ${gone.length ? html`<fieldset id="tk-state-map"><legend>${t("tk.state_map")}</legend>
      <p class="muted small">${t("tk.state_map_hint")}</p>
      ${gone.map((n) => html`<label class="inline" key=${n} data-state=${n}>${n} →
        <select name=${`map.${n}`} value=${map[n] ?? ""} onChange=${(e) => setMap({ ...map, [n]: e.currentTarget.value })}>
          <option value="">—</option>${wf.states.map((s) => html`<option key=${s.name} value=${s.name}>${s.name}</option>`)}</select></label>`)}
    </fieldset>` : null}
    ${errs.length ? html`<ul class="error" id="tk-type-problems">${errs.map((p, i) => html`<li key=${i}>${p}</li>`)}</ul>` : null}
    <div class="buttons"><button type="submit" class="primary" id="tk-type-save">${t("tk.save")}</button>
      <button type="button" onClick=${onClose}>${t("tk.cancel")}</button></div>
  </form>`;
}

export default function Types() {
  const [open, setOpen] = useState(undefined);      // a type, null for a new one, undefined: none
  useEffect(() => { loadTypes(true); loadPeople(); }, []);
  const all = types.value || [];
  return html`<section class="panel tk" id="tk-types-screen">
    <div class="buttons tk-head"><h2>${t("nav.tickets_types")}</h2>
      <button type="button" id="tk-new-type" onClick=${() => setOpen(null)}>+ ${t("tk.new_type")}</button></div>
    ${typesFailed.value ? html`<p class=${missing(typesFailed.value) ? "muted" : "error"} id="tk-failed">
      ${missing(typesFailed.value) ? t("tk.unavailable") : typesFailed.value.message}</p>` : null}
    <table class="kv" id="tk-types">
      <thead><tr><th>${t("tk.name")}</th><th>${t("tk.label")}</th><th>${t("tk.version")}</th><th>${t("tk.states")}</th>
        <th>SLA</th><th>${t("tk.active")}</th><th></th></tr></thead>
      <tbody>${all.map((x) => html`<tr key=${x.id} data-name=${x.name} data-version=${x.version}
          class=${open?.id === x.id ? "current" : ""}>
        <td>${x.name}</td><td>${lbl(x)}</td><td>${x.version}</td>
        <td class="states">${x.workflow.states.map((s) => lbl(s)).join(" → ")}</td>
        <td>${x.sla?.first_response ?? "—"} / ${x.sla?.resolution ?? "—"} ${t("tk.minutes")}</td>
        <td>${x.active === false ? "✕" : "✓"}</td>
        <td><button type="button" class="small edit" onClick=${() => setOpen(x)}>${t("tk.edit")}</button></td></tr>`)}</tbody>
    </table>
    ${open !== undefined ? html`<${Editor} key=${open?.id ?? "new"} saved=${open}
      onSaved=${async (out) => { const list = await loadTypes(true); setOpen(list.find((x) => x.id === out.id) ?? out); }}
      onClose=${() => setOpen(undefined)} />` : null}
    <${PeopleLists} />
  </section>`;
}
