// Custom fields (自定义字段) of customers, for admins: #/crm/fields lists them in their
// order, adds, edits (the name is the key the values are kept under: fixed once made),
// moves up and down, deletes.  `FieldInput` is a field's input by its kind, for the
// customer page.

import { html } from "htm/preact";
import { useEffect, useState } from "preact/hooks";
import { del, get, post, put } from "/static/shell/api.js";
import { t } from "/static/shell/i18n.js";
import { run, toast } from "/static/shell/util.js";
import { fieldErrors } from "./customers.js";

export const KINDS = ["text", "number", "date", "choice"];
const NAME = /^[a-z][a-z0-9_]{0,63}$/;

/** The custom fields in their order (none when the API has no custom fields). */
export async function loadFields() {
  try {
    const list = await get("/crm/fields");
    return [...list].sort((a, b) => a.position - b.position || a.id - b.id);
  } catch {
    return [];
  }
}

/** A value as the API keeps it: a number for a number field, "" → null. */
export function fieldValue(def, text) {
  if (text === "" || text === undefined || text === null) return null;
  return def.kind === "number" ? Number(text) : text;
}

/** The input of custom field `def` (value, onChange(value)) by its kind. */
export function FieldInput({ def, value, onChange, disabled }) {
  const common = { name: `fields.${def.name}`, disabled, required: def.required,
                   onInput: (e) => onChange(fieldValue(def, e.currentTarget.value)) };
  const shown = value ?? "";
  if (def.kind === "choice") {
    return html`<select ...${common} value=${shown} onChange=${common.onInput}>
      <option value="">—</option>
      ${(def.choices || []).map((c) => html`<option key=${c} value=${c}>${c}</option>`)}</select>`;
  }
  const type = { number: "number", date: "date" }[def.kind] ?? "text";
  return html`<input type=${type} step=${def.kind === "number" ? "any" : undefined} value=${shown} ...${common} />`;
}

/** A field as the API takes it (PUT replaces the definition), at `position`. */
const definition = (f, position) => ({ name: f.name, label: f.label, kind: f.kind, choices: f.choices || [],
                                       required: f.required, position });

const EMPTY = { name: "", label: "", kind: "text", choices: "", required: false };

/** The add/edit form: `field` null adds a new one. */
function FieldForm({ field, count, onSaved, onCancel }) {
  const [f, setF] = useState(field ? { ...field, choices: (field.choices || []).join("\n") } : EMPTY);
  const [errors, setErrors] = useState({});
  const set = (name) => (e) => setF({ ...f, [name]: e.currentTarget.type === "checkbox" ? e.currentTarget.checked
                                                                                         : e.currentTarget.value });
  const save = async (e) => {
    e.preventDefault();
    const choices = f.kind === "choice" ? f.choices.split(/[\n,,]+/).map((c) => c.trim()).filter(Boolean) : [];
    const local = {};
    if (!NAME.test(f.name)) local.name = t("crm.field_name_rule");
    if (!f.label.trim()) local.label = t("crm.required");
    if (f.kind === "choice" && !choices.length) local.choices = t("crm.choices_needed");
    setErrors(local);
    if (Object.keys(local).length) return;
    const body = { name: f.name, label: f.label.trim(), kind: f.kind, choices, required: f.required,
                   position: field ? field.position : count };
    try {
      await (field ? put(`/crm/fields/${field.id}`, body) : post("/crm/fields", body));
      toast(t("crm.field_saved"));
      onSaved();
    } catch (err) {
      if (err.status === 422) setErrors(fieldErrors(err, ["name", "label", "kind", "choices", "required"]));
      else run(() => Promise.reject(err));
    }
  };
  const error = (name) => (errors[name] ? html`<span class="field-error" data-for=${name}>${errors[name]}</span>` : null);
  return html`<form id="crm-field-form" class="crm-form" onSubmit=${save} noValidate>
    <label class=${errors.name ? "invalid" : ""}><span>${t("crm.field_name")}</span>
      <input name="name" value=${f.name} onInput=${set("name")} readonly=${Boolean(field)} placeholder="vip_level" />
      ${error("name")}</label>
    <label class=${errors.label ? "invalid" : ""}><span>${t("crm.field_label")}</span>
      <input name="label" value=${f.label} onInput=${set("label")} />${error("label")}</label>
    <label><span>${t("crm.field_kind")}</span>
      <select name="kind" value=${f.kind} onChange=${set("kind")}>
        ${KINDS.map((k) => html`<option key=${k} value=${k}>${t(`crm.kind.${k}`)}</option>`)}</select>${error("kind")}</label>
    <label class="inline"><input type="checkbox" name="required" checked=${f.required} onChange=${set("required")} />
      ${t("crm.field_required")}</label>
    ${f.kind === "choice" ? html`<label class=${`wide ${errors.choices ? "invalid" : ""}`}><span>${t("crm.field_choices")}</span>
      <textarea name="choices" rows="3" value=${f.choices} onInput=${set("choices")} />${error("choices")}</label>` : null}
    ${error("")}
    <div class="buttons wide"><button type="submit" class="primary" id="crm-field-save">${t("crm.save")}</button>
      <button type="button" onClick=${onCancel}>${t("crm.cancel")}</button></div>
  </form>`;
}

export default function Fields() {
  const [fields, setFields] = useState(null);
  const [editing, setEditing] = useState(undefined);      // undefined: no form; null: a new field
  const [missing, setMissing] = useState(false);
  const load = () => get("/crm/fields").then(
    (list) => setFields([...list].sort((a, b) => a.position - b.position || a.id - b.id)),
    (err) => { if ([404, 405].includes(err.status)) setMissing(true); else run(() => Promise.reject(err)); });
  useEffect(() => { load(); }, []);
  const move = async (index, step) => {
    const order = [...fields];
    const [f] = order.splice(index, 1);
    order.splice(index + step, 0, f);
    // each field whose place changed is told its new one
    for (const [position, g] of order.entries()) {
      if (g.position !== position && !(await run(() => put(`/crm/fields/${g.id}`, definition(g, position))))) break;
    }
    load();
  };
  const remove = async (f) => {
    if (!confirm(t("crm.field_delete_confirm", { label: f.label, name: f.name }))) return;
    if (await run(() => del(`/crm/fields/${f.id}`), t("crm.field_deleted"))) load();
  };
  const list = fields || [];
  return html`<section class="panel crm" id="crm-fields">
    <h2>${t("nav.crm_fields")}</h2>
    ${missing ? html`<p class="muted" id="crm-fields-missing">${t("crm.unavailable")}</p>` : null}
    <table class="kv crm-table" id="crm-fields-table">
      <thead><tr><th>${t("crm.field_label")}</th><th>${t("crm.field_name")}</th><th>${t("crm.field_kind")}</th>
        <th>${t("crm.field_choices")}</th><th>${t("crm.field_required")}</th><th></th></tr></thead>
      <tbody>${list.map((f, i) => html`<tr key=${f.id} data-name=${f.name}>
        <td>${f.label}</td><td><code>${f.name}</code></td><td>${t(`crm.kind.${f.kind}`)}</td>
        <td class="wrap">${(f.choices || []).join(", ")}</td><td>${f.required ? "✓" : ""}</td>
        <td class="actions">
          <button type="button" class="small up" disabled=${i === 0} title=${t("crm.up")} onClick=${() => move(i, -1)}>↑</button>
          <button type="button" class="small down" disabled=${i === list.length - 1} title=${t("crm.down")}
                  onClick=${() => move(i, 1)}>↓</button>
          <button type="button" class="small edit" onClick=${() => setEditing(f)}>${t("crm.edit")}</button>
          <button type="button" class="small danger delete" onClick=${() => remove(f)}>${t("crm.delete")}</button></td>
      </tr>`)}
      ${fields && !list.length ? html`<tr><td colspan="6" class="muted">${t("crm.no_fields")}</td></tr>` : null}</tbody>
    </table>
    ${editing === undefined
      ? html`<p><button type="button" id="crm-field-new" disabled=${missing} onClick=${() => setEditing(null)}>${t("crm.field_new")}</button></p>`
      : html`<${FieldForm} key=${editing?.id ?? "new"} field=${editing} count=${list.length}
          onSaved=${() => { setEditing(undefined); load(); }} onCancel=${() => setEditing(undefined)} />`}
  </section>`;
}
