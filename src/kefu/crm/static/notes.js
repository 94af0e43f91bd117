// The CRM slice's wrap-up notes (话后小结) on the desk: type and result from GET /choices,
// free notes, saved as the call's contact note (POST /calls/{id}/notes), which also makes
// the customer known by number.  A new-customer form filled but not saved is saved first.

import { html } from "htm/preact";
import { errorText, post } from "/static/shell/api.js";
import { t } from "/static/shell/i18n.js";
import { choices } from "/static/shell/store.js";
import { DialLink, options, toast } from "/static/shell/util.js";
import { customer, refreshHistory, saveCustomer, unsaved } from "./customer.js";

const MISSING = new Set([404, 405, 501]);

async function save(form, wrapup, onEnd) {
  const data = Object.fromEntries(new FormData(form));
  const body = { number: wrapup.number, type: data.type, result: data.result, notes: data.notes };
  const c = customer.peek()?.number === wrapup.number ? customer.peek() : null;
  if (unsaved(c)) await saveCustomer();
  const now = customer.peek()?.number === wrapup.number ? customer.peek() : null;
  const name = now ? (now.record?.name || now.name) : "";
  if (name) body.name = name;
  try {
    await post(`/calls/${encodeURIComponent(wrapup.call_id)}/notes`, body);
    toast(t("wrapup.saved"));
    refreshHistory();
  } catch (err) {
    toast(MISSING.has(err.status) ? t("wrapup.unavailable", { status: err.status })
                                  : t("msg.error", { detail: errorText(err) }), "error");
    return;
  }
  await onEnd();
}

/**
 * The wrap-up panel for `wrapup` ({call_id, number}, or null: hidden).  `inWrapUp`: the
 * agent is in the wrap_up state (the end button works); `onEnd()` ends it.
 */
export function WrapupPanel({ wrapup, inWrapUp, onEnd, onDial }) {
  const lists = choices.use();
  if (!wrapup) return null;
  return html`<section class="panel" id="wrapup-panel">
    <h2>${t("wrapup.title")}</h2>
    <form id="wrapup-form" key=${wrapup.call_id}
          onSubmit=${(e) => { e.preventDefault(); save(e.currentTarget, wrapup, onEnd); }}>
      <p class="muted"><span>${t("wrapup.call")}</span> <span id="wrapup-call">${wrapup.call_id || ""}</span>${" · "}<span id="wrapup-number"><${DialLink} number=${wrapup.number} onDial=${onDial} /></span></p>
      <label><span>${t("wrapup.type")}</span>
        <select name="type">${options("wrapup.type", lists?.contact_types)}</select></label>
      <label><span>${t("wrapup.result")}</span>
        <select name="result">${options("wrapup.result", lists?.contact_results)}</select></label>
      <label class="block"><span>${t("wrapup.notes")}</span>
        <textarea name="notes" rows="3"></textarea></label>
      <div class="buttons">
        <button type="submit" class="primary">${t("wrapup.save")}</button>
        <button type="button" id="btn-wrapup-end" disabled=${!inWrapUp} onClick=${onEnd}>${t("wrapup.end")}</button>
      </div>
    </form>
  </section>`;
}
