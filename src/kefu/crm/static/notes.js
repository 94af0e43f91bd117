// The CRM slice's call notes (通话小结) on the desk: written during the call or in wrap-up,
// the same POST /calls/{id}/notes (which also makes the customer known by number).  Type
// (the site's note types, labelled in the language shown), handling (处理方式), result,
// content; the fields a type requires are marked and checked before sending.  The call's
// queue goes with the note when the desk knows it.  A new-customer form filled but not
// saved is saved first.  A saved note stays in the form (in the call and then in wrap-up)
// for the agent to correct: notes are append-only, so a changed form saves a newer note on
// the call (the history shows both, newest first) and an unchanged one saves nothing.

import { html } from "htm/preact";
import { useEffect, useRef, useState } from "preact/hooks";
import { errorText, post } from "/static/shell/api.js";
import { t } from "/static/shell/i18n.js";
import { choices } from "/static/shell/store.js";
import { DialLink, options, toast } from "/static/shell/util.js";
import { customer, refreshHistory, saveCustomer, unsaved } from "./customer.js";
import { noteType } from "./timeline.js";

const MISSING = new Set([404, 405, 501]);
const saved = {};                    // call id → the notes saved on it (this page's life)
const FIELDS = ["type", "handling", "result", "notes"];
const same = (a, b) => Boolean(a && b) && FIELDS.every((f) => (a[f] || "") === (b[f] || ""));
let shownForm = null;                // the note form on screen (appendToNote writes into it)

/** Append `text` to the note being written (the knowledge base's 插入), on a line of its
 *  own; false when no note form is shown. */
export function appendToNote(text) {
  const area = shownForm?.elements.notes;
  if (!area || !text) return false;
  area.value = area.value.trim() ? `${area.value.trimEnd()}\n${text}` : text;
  area.focus();
  return true;
}

/** The fields `type` requires that are empty in `data` (the server checks the same). */
export function missingFields(type, data, types) {
  const required = (types || []).find((nt) => nt.name === type)?.required || [];
  return required.filter((f) => !String(data[f] ?? "").trim());
}

async function save(form, note, setError, after) {
  const data = Object.fromEntries(new FormData(form));
  const lists = choices.data.peek();
  const missing = missingFields(data.type, data, lists?.note_types);
  if (missing.length) {
    setError(t("note.missing", { fields: missing.map((f) => t(`note.field.${f}`)).join(", ") }));
    return;
  }
  setError("");
  const last = saved[note.call_id]?.at(-1);
  if (same(last, data)) { await after(); return; }        // nothing changed: nothing to add
  const body = { number: note.number, type: data.type, result: data.result, notes: data.notes,
                 handling: data.handling || "" };
  if (note.queue) body.queue = note.queue;
  const c = customer.peek()?.number === note.number ? customer.peek() : null;
  if (unsaved(c)) await saveCustomer();
  const now = customer.peek()?.number === note.number ? customer.peek() : null;
  const name = now ? (now.record?.name || now.name) : "";
  if (name) body.name = name;
  try {
    await post(`/calls/${encodeURIComponent(note.call_id)}/notes`, body);
  } catch (err) {
    const text = MISSING.has(err.status) ? t("wrapup.unavailable", { status: err.status })
                                         : t("msg.error", { detail: errorText(err) });
    setError(text);
    toast(text, "error");
    return;
  }
  (saved[note.call_id] ??= []).push(Object.fromEntries(FIELDS.map((f) => [f, body[f] || ""])));
  toast(t("wrapup.saved"));
  refreshHistory();
  await after();
}

/**
 * The notes panel for `wrapup` ({call_id, number, queue, live}, or null: hidden); `live`:
 * the call is still on (saving keeps the panel for more).  `inWrapUp`: the agent is in the
 * wrap_up state (the end button works); `onEnd()` ends it.
 */
export function WrapupPanel({ wrapup, inWrapUp, onEnd, onDial }) {
  const lists = choices.use();
  const [error, setError] = useState("");
  const [, setCount] = useState(0);
  if (!wrapup) return null;
  const types = lists?.note_types || [];
  const required = (name) => (field) => (types.find((nt) => nt.name === name)?.required || []).includes(field);
  const after = async () => { setCount((n) => n + 1); if (!wrapup.live) await onEnd(); };
  return html`<section class="panel" id="wrapup-panel" data-live=${wrapup.live ? "1" : "0"}>
    <h2>${t(wrapup.live ? "note.title_live" : "wrapup.title")}</h2>
    <${NoteForm} key=${`${wrapup.call_id}:${saved[wrapup.call_id]?.length || 0}`} wrapup=${wrapup}
                 last=${saved[wrapup.call_id]?.at(-1) || null} types=${types} lists=${lists} error=${error}
                 onSubmit=${(form) => save(form, wrapup, setError, after)} onDial=${onDial} required=${required}
                 inWrapUp=${inWrapUp} onEnd=${onEnd} />
    ${saved[wrapup.call_id] ? html`<p class="muted" id="notes-saved">${t("note.saved_n", { n: saved[wrapup.call_id].length })}
      · ${t("note.saved_live")}</p>` : null}
  </section>`;
}

/** The form; `last`: the note saved last on this call, shown in the fields to correct. */
function NoteForm({ wrapup, last, types, lists, error, onSubmit, onDial, required, inWrapUp, onEnd }) {
  const [type, setType] = useState(last?.type || types[0]?.name || "");
  const ref = useRef(null);
  useEffect(() => {
    const form = (shownForm = ref.current);
    return () => { if (shownForm === form) shownForm = null; };
  }, []);
  useEffect(() => {        // a mounted form (a new call, or just saved) shows the last note
    const form = ref.current;
    if (!form || !last) return;
    for (const f of FIELDS) if (form.elements[f]) form.elements[f].value = last[f] || "";
  }, [Boolean(lists)]);
  const need = required(type || types[0]?.name);
  const cls = (field) => (need(field) ? "note-required" : "");
  return html`<form id="wrapup-form" ref=${ref} data-saved=${last ? "1" : undefined} onSubmit=${(e) => { e.preventDefault(); onSubmit(e.currentTarget); }}>
    <p class="muted" id="wrapup-call" title=${`${t("call.id")}: ${wrapup.call_id || ""}`}><span id="wrapup-number"><${DialLink} number=${wrapup.number} onDial=${onDial} /></span>${wrapup.queue ? ` · ${wrapup.queue}` : ""}</p>
    <label><span>${t("wrapup.type")}</span>
      <select name="type" onChange=${(e) => setType(e.currentTarget.value)}>
        ${types.map((nt) => html`<option key=${nt.name} value=${nt.name} ref=${(n) => n?.setAttribute("value", nt.name)}>${noteType(nt.name, types)}</option>`)}
      </select></label>
    <label><span class=${cls("handling")}>${t("note.handling")}</span>
      <select name="handling" data-required=${need("handling") ? "1" : undefined}>
        <option value="">—</option>${options("note.handling", lists?.note_handlings)}</select></label>
    <label><span class=${cls("result")}>${t("wrapup.result")}</span>
      <select name="result">${options("wrapup.result", lists?.contact_results)}</select></label>
    <label class="block"><span class=${cls("notes")}>${t("wrapup.notes")}</span>
      <textarea name="notes" rows="3" data-required=${need("notes") ? "1" : undefined}></textarea></label>
    ${error && html`<p class="error" id="wrapup-error">${error}</p>`}
    <div class="buttons">
      <button type="submit" class="primary">${t(last ? "note.update" : "wrapup.save")}</button>
      ${!wrapup.live && html`<button type="button" id="btn-wrapup-end" disabled=${!inWrapUp} onClick=${onEnd}>${t("wrapup.end")}</button>`}
    </div>
  </form>`;
}
