// One customer (客户详情), #/customers/{id} (#/customers/new: a new one): every field to view
// and edit — several numbers with labels, e-mails and tags as chips, birthday, address,
// tier, owner, the custom fields by their kind — with the API's reasons (422) shown at
// their fields; its likely duplicates with why, and a merge into this customer (a confirm
// naming what moves); its timeline (the desk's component, left out when it is not there);
// delete for admins and supervisors.

import { html } from "htm/preact";
import { Component } from "preact";
import { useEffect, useRef, useState } from "preact/hooks";
import { ApiError, api, del, get, post } from "/static/shell/api.js";
import { t } from "/static/shell/i18n.js";
import { navigate } from "/static/shell/router.js";
import { fmtTime, run, toast } from "/static/shell/util.js";
import { Chips, canManage, canWrite, fieldErrors, numbersText, role } from "./customers.js";
import { FieldInput, loadFields } from "./fields.js";

const LABELS = ["mobile", "work", "home", ""];            // a number's label (records.NUMBER_LABELS)
const TEXT = ["name", "company", "tier", "owner", "birthday"];
const EMAIL = /^[^@\s]+@[^@\s]+\.[^@\s.]+$/;

/** A customer as the form holds it. */
function formOf(c) {
  const phones = c?.phones ?? (c?.numbers || []).map((number) => ({ number, extension: "", label: "" }));
  return {
    name: c?.name ?? "", company: c?.company ?? "", tier: c?.tier ?? "", owner: c?.owner ?? "",
    notes: c?.notes ?? "", birthday: c?.birthday ?? "", address: c?.address ?? "",
    phones: phones.length ? phones.map((p) => ({ number: p.extension ? `${p.number} ext. ${p.extension}` : p.number,
                                                 label: p.label ?? "" }))
                          : [{ number: "", label: "mobile" }],
    emails: [...(c?.emails || [])], tags: [...(c?.tags || [])], fields: { ...(c?.fields || {}) },
  };
}

/** The form as CustomerIn (a PATCH sends the same: lists replace). */
function bodyOf(f, defs) {
  const fields = {};
  for (const d of defs) {
    const v = f.fields[d.name];
    if (v !== null && v !== undefined && v !== "") fields[d.name] = v;
  }
  return {
    name: f.name.trim(), company: f.company.trim(), tier: f.tier.trim(), owner: f.owner.trim(),
    notes: f.notes, birthday: f.birthday || null, address: f.address.trim(),
    numbers: f.phones.filter((p) => p.number.trim()).map((p) => ({ number: p.number.trim(), label: p.label })),
    emails: f.emails, tags: f.tags, fields,
  };
}

/** What the browser can tell before asking: {field: reason}. */
function check(f, defs) {
  const out = {};
  if (!f.name.trim() && !f.phones.some((p) => p.number.trim())) out.name = t("crm.need_name_or_number");
  for (const d of defs) {
    const v = f.fields[d.name];
    if (d.required && (v === null || v === undefined || v === "")) out[`fields.${d.name}`] = t("crm.required");
  }
  return out;
}

/** The API's 422 at its field: a sentence quoting a value ("'abc' is not a phone number")
 *  goes to the number or e-mail that holds it. */
function apiErrors(err, f, defs) {
  const names = [...TEXT, "notes", "address", "numbers", "emails", "tags", ...defs.map((d) => d.name)];
  const out = fieldErrors(err, names);
  for (const d of defs) {
    if (d.name in out) { out[`fields.${d.name}`] = out[d.name]; delete out[d.name]; }
  }
  const text = out[""];
  if (text) {
    const quoted = /'([^']*)'/.exec(text)?.[1];
    const i = f.phones.findIndex((p) => p.number.trim() && p.number.trim() === quoted);
    if (i >= 0) { out[`numbers.${i}`] = text; delete out[""]; }
    else if (quoted && f.emails.includes(quoted)) { out.emails = text; delete out[""]; }
  }
  return out;
}

function Problem({ errors, name }) {
  return errors[name] ? html`<span class="field-error" data-for=${name}>${errors[name]}</span>` : null;
}

/** A list of short values as chips, added by Enter (or a comma) and removed by ×. */
function ChipInput({ name, values, onChange, validate, placeholder, disabled }) {
  const [text, setText] = useState("");
  const [problem, setProblem] = useState("");
  const add = () => {
    const v = text.trim().replace(/[,,]$/, "");
    if (!v) return;
    const bad = validate?.(v);
    if (bad) { setProblem(bad); return; }
    setProblem("");
    if (!values.includes(v)) onChange([...values, v]);
    setText("");
  };
  const key = (e) => {
    if (e.key === "Enter" || e.key === "," || e.key === ",") { e.preventDefault(); add(); }
    else if (e.key === "Backspace" && !text && values.length) onChange(values.slice(0, -1));
  };
  return html`<div class="crm-chips-box" data-name=${name}>
    <${Chips} values=${values} onRemove=${disabled ? null : (v) => onChange(values.filter((x) => x !== v))} />
    ${disabled ? null : html`<input name=${`${name}-new`} value=${text} placeholder=${placeholder}
      onInput=${(e) => { setText(e.currentTarget.value); setProblem(""); }} onKeyDown=${key} onBlur=${add} />`}
  </div>${problem ? html`<span class="field-error" data-for=${`${name}-new`}>${problem}</span>` : null}`;
}

function Phones({ phones, errors, onChange, disabled }) {
  const set = (i, part) => (e) => onChange(phones.map((p, j) => (j === i ? { ...p, [part]: e.currentTarget.value } : p)));
  return html`<div id="crm-phones">
    ${phones.map((p, i) => html`<div key=${i} class=${`crm-phone-row ${errors[`numbers.${i}`] ? "invalid" : ""}`}>
      <div class="crm-phone">
        <input name=${`numbers.${i}.number`} value=${p.number} disabled=${disabled} placeholder="138 0013 8000"
               onInput=${set(i, "number")} />
        <select name=${`numbers.${i}.label`} value=${p.label} disabled=${disabled} onChange=${set(i, "label")}>
          ${LABELS.map((l) => html`<option key=${l} value=${l}>${t(`crm.label.${l || "none"}`)}</option>`)}</select>
        ${disabled ? null : html`<button type="button" class="small remove-number" title=${t("crm.remove")}
          onClick=${() => onChange(phones.filter((_, j) => j !== i))}>×</button>`}
      </div><${Problem} errors=${errors} name=${`numbers.${i}`} /></div>`)}
    ${disabled ? null : html`<button type="button" class="small" id="crm-add-number"
      onClick=${() => onChange([...phones, { number: "", label: "mobile" }])}>+ ${t("crm.add_number")}</button>`}
  </div>`;
}

function CustomerForm({ id, customer, defs, onSaved }) {
  const [f, setF] = useState(() => formOf(customer));
  const [errors, setErrors] = useState({});
  const [saving, setSaving] = useState(false);
  useEffect(() => { setF(formOf(customer)); setErrors({}); }, [customer]);
  const writable = canWrite(role());
  const set = (name) => (e) => setF({ ...f, [name]: e.currentTarget.value });
  const save = async (e) => {
    e.preventDefault();
    const local = check(f, defs);
    setErrors(local);
    if (Object.keys(local).length) return;
    setSaving(true);
    try {
      const body = bodyOf(f, defs);
      const out = id ? await api("PATCH", `/customers/${id}`, body) : await post("/customers", body);
      toast(t("crm.saved"));
      onSaved(out);
    } catch (err) {
      if (err instanceof ApiError && err.status === 422) setErrors(apiErrors(err, f, defs));
      else run(() => Promise.reject(err));
    } finally { setSaving(false); }
  };
  const text = (name, attrs = {}) => html`<label class=${errors[name] ? "invalid" : ""}><span>${t(`crm.${name}`)}</span>
    <input name=${name} value=${f[name]} disabled=${!writable} onInput=${set(name)} ...${attrs} />
    <${Problem} errors=${errors} name=${name} /></label>`;
  const area = (name) => html`<label class=${errors[name] ? "invalid" : ""}><span>${t(`crm.${name}`)}</span>
    <textarea name=${name} rows="2" value=${f[name]} disabled=${!writable} onInput=${set(name)} />
    <${Problem} errors=${errors} name=${name} /></label>`;
  return html`<form id="crm-customer-form" class="crm-form" onSubmit=${save} noValidate>
    ${text("name")} ${text("company")}
    <div class=${`wide ${errors.numbers ? "invalid" : ""}`}><label><span>${t("crm.numbers")}</span></label>
      <${Phones} phones=${f.phones} errors=${errors} disabled=${!writable} onChange=${(phones) => setF({ ...f, phones })} />
      <${Problem} errors=${errors} name="numbers" /></div>
    <div class=${`wide ${errors.emails ? "invalid" : ""}`}><label><span>${t("crm.emails")}</span></label>
      <${ChipInput} name="emails" values=${f.emails} disabled=${!writable} placeholder=${t("crm.email_hint")}
        validate=${(v) => (EMAIL.test(v) ? null : t("crm.bad_email", { value: v }))}
        onChange=${(emails) => setF({ ...f, emails })} /><${Problem} errors=${errors} name="emails" /></div>
    <div class=${`wide ${errors.tags ? "invalid" : ""}`}><label><span>${t("crm.tags")}</span></label>
      <${ChipInput} name="tags" values=${f.tags} disabled=${!writable} placeholder=${t("crm.tag_hint")}
        validate=${(v) => (v.length > 64 ? t("crm.tag_too_long") : null)}
        onChange=${(tags) => setF({ ...f, tags })} /><${Problem} errors=${errors} name="tags" /></div>
    ${text("tier")} ${text("owner")} ${text("birthday", { type: "date" })}
    ${defs.map((d) => html`<label key=${d.name} class=${errors[`fields.${d.name}`] ? "invalid" : ""}
        data-field=${d.name}><span>${d.label}${d.required ? html` <span class="crm-req">*</span>` : null}</span>
      <${FieldInput} def=${d} value=${f.fields[d.name]} disabled=${!writable}
        onChange=${(v) => setF({ ...f, fields: { ...f.fields, [d.name]: v } })} />
      <${Problem} errors=${errors} name=${`fields.${d.name}`} /></label>`)}
    ${errors.fields ? html`<div class="wide"><${Problem} errors=${errors} name="fields" /></div>` : null}
    ${defs.length % 2 ? null : html`<span></span>`}
    ${area("address")} ${area("notes")}
    ${errors[""] ? html`<p class="crm-error wide" id="crm-form-error">${errors[""]}</p>` : null}
    ${writable ? html`<div class="buttons wide"><button type="submit" class="primary" id="crm-save" disabled=${saving}>
      ${id ? t("crm.save") : t("crm.create")}</button></div>` : null}
  </form>`;
}

/** Likely duplicates of customer `id` and the merge into it. */
function Duplicates({ id, customer, focus, onMerged }) {
  const [list, setList] = useState(null);
  const [chosen, setChosen] = useState([]);
  const box = useRef(null);
  const load = () => get(`/customers/${id}/duplicates`).then(setList, () => setList([]));
  useEffect(() => { setChosen([]); load(); }, [id]);
  useEffect(() => { if (focus && list) box.current?.scrollIntoView({ block: "start" }); }, [focus, list !== null]);
  const merge = async () => {
    const them = list.filter((d) => chosen.includes(d.customer.id)).map((d) => d.customer);
    const from = them.map((c) => `${c.name || t("crm.unnamed")} (#${c.id})`).join("、");
    if (!confirm(t("crm.merge_confirm", { from, into: `${customer.name || t("crm.unnamed")} (#${id})` }))) return;
    const out = await run(() => post("/customers/merge", { into: id, merge: them.map((c) => c.id) }), t("crm.merged"));
    if (out) { setChosen([]); onMerged(out); load(); }
  };
  const toggle = (cid) => setChosen(chosen.includes(cid) ? chosen.filter((x) => x !== cid) : [...chosen, cid]);
  const manager = canManage(role());
  return html`<section class="panel" id="crm-duplicates" ref=${box}>
    <h3>${t("crm.duplicates")}</h3>
    ${list && !list.length ? html`<p class="muted" id="crm-no-duplicates">${t("crm.no_duplicates")}</p>` : null}
    ${list?.length ? html`<table class="kv crm-table" id="crm-duplicates-table"><tbody>
      ${list.map(({ customer: c, reasons }) => html`<tr key=${c.id} data-id=${c.id}>
        ${manager ? html`<td><input type="checkbox" name="merge" value=${c.id} checked=${chosen.includes(c.id)}
          onChange=${() => toggle(c.id)} /></td>` : null}
        <td class="wrap"><a href=${`#/customers/${c.id}`}>${c.name || t("crm.unnamed")}</a>
          <div class="small muted">${numbersText(c)} ${(c.emails || []).join(", ")}</div></td>
        <td class="wrap"><${Chips} kind="reason" values=${reasons} label=${(v) => t(`crm.reason.${v}`)} /></td></tr>`)}
    </tbody></table>` : null}
    ${manager && list?.length ? html`<div class="buttons"><button type="button" id="crm-merge" class="warn"
      disabled=${!chosen.length} onClick=${merge}>${t("crm.merge_into_this")}</button></div>` : null}
  </section>`;
}

/** The desk's timeline component (/static/crm/timeline.js), if it is there and works. */
class Guard extends Component {
  componentDidCatch(err) { console.warn("timeline failed", err); this.setState({ failed: true }); }

  render({ children }, { failed }) { return failed ? null : children; }
}

function TimelinePart({ id, version }) {
  const [Timeline, setTimeline] = useState(null);
  useEffect(() => {
    import("/static/crm/timeline.js").then((m) => m.default && setTimeline(() => m.default), () => {});
  }, []);
  return Timeline ? html`<section class="panel" id="crm-timeline"><h3>${t("crm.timeline")}</h3>
    <${Guard}><${Timeline} customerId=${id} version=${version} /><//></section>` : null;
}

export default function CustomerPage({ id, focus }) {
  const [customer, setCustomer] = useState(null);
  const [defs, setDefs] = useState(null);
  const [missing, setMissing] = useState("");
  const [version, setVersion] = useState(0);         // the timeline reads again after a merge
  useEffect(() => { loadFields().then(setDefs); }, []);
  useEffect(() => {
    setMissing("");
    setCustomer(null);
    if (id) {
      get(`/customers/${id}`).then(setCustomer,
        (err) => setMissing(err.status === 404 ? t("crm.not_found") : String(err.message)));
    }
  }, [id]);
  const remove = async () => {
    if (!confirm(t("crm.delete_confirm", { name: customer.name || t("crm.unnamed"), id }))) return;
    try {
      await del(`/customers/${id}`);
    } catch (err) {
      // 409: the customer has history; an admin may delete it all the same
      if (err.status !== 409 || role() !== "admin") { run(() => Promise.reject(err)); return; }
      if (!confirm(t("crm.delete_force", { detail: err.message }))) return;
      if (!(await run(() => del(`/customers/${id}?force=true`)))) return;
    }
    toast(t("crm.deleted"));
    navigate("/customers");
  };
  const ready = defs !== null && (id ? customer?.id === id : true);
  const title = id ? (customer ? `${customer.name || t("crm.unnamed")} #${id}` : `#${id}`) : t("crm.new");
  return html`<section class="crm" id="crm-customer" data-id=${id ?? "new"} data-state=${ready ? "ready" : "loading"}>
    <div class="buttons"><a href="#/customers" id="crm-back">← ${t("crm.back")}</a>
      <h2 style="margin:0 0 0 12px" id="crm-title">${title}</h2>
      ${id && customer ? html`<span class="muted small">${t("crm.updated_at")} ${fmtTime(customer.updated_at)}</span>` : null}
      ${id && customer && canManage(role()) ? html`<button type="button" class="danger" id="crm-delete"
        style="margin-left:auto" onClick=${remove}>${t("crm.delete")}</button>` : null}</div>
    ${missing ? html`<p class="error" id="crm-missing">${missing}</p>` : null}
    ${ready ? html`<div class="crm-page">
      <div class="panel"><${CustomerForm} id=${id} customer=${customer} defs=${defs}
        onSaved=${(out) => (id ? setCustomer(out) : navigate(`/customers/${out.id}`))} /></div>
      ${id ? html`<${Duplicates} id=${id} customer=${customer} focus=${focus} onMerged=${(out) => { setCustomer(out); setVersion(version + 1); }} />` : null}
    </div>
    ${id ? html`<${TimelinePart} key=${id} id=${id} version=${version} />` : null}` : null}
  </section>`;
}
