// Voicemail (语音信箱) for every role: an agent sees the messages of its own extensions'
// mailboxes, staff all of them; each plays in an <audio> element (fetched with the token)
// and its follow-up can be marked done, or a ticket made of it (转工单: the tickets
// slice's form, prefilled from the message).

import { html } from "htm/preact";
import { signal } from "@preact/signals";
import { useState } from "preact/hooks";
import { post } from "/static/shell/api.js";
import { t } from "/static/shell/i18n.js";
import { resource } from "/static/shell/store.js";
import { fmtDuration, fmtTime, run } from "/static/shell/util.js";
import { blobUrl } from "./common.js";

/** The ticket form open for a message: {Form, m}, or null. */
const ticketing = signal(null);
async function toTicket(m) {
  const Form = (await run(() => import("/static/tickets/create.js")))?.default;
  if (Form) ticketing.value = { Form, m };
}

const messages = resource("/ivr/voicemail/messages", { every: 30000, key: (m) => m.id });

function Message({ m }) {
  const [src, setSrc] = useState(null);
  const play = async () => { const url = await run(() => blobUrl(`/ivr/voicemail/messages/${m.id}/audio`)); if (url) setSrc(url); };
  const done = async () => { if (await run(() => post(`/ivr/voicemail/messages/${m.id}/done`), t("ivr.marked_done"))) messages.refresh(); };
  return html`<tr data-id=${m.id} class=${m.status === "new" ? "unread" : ""}>
    <td>${fmtTime(m.created_at)}</td><td>${m.caller}</td><td>${fmtDuration(m.duration)}</td>
    <td>${t(`ivr.st.${m.status}`)}</td>
    <td>${src ? html`<audio controls autoplay src=${src}></audio>`
      : html`<button type="button" class="small play" onClick=${play}>▶ ${t("ivr.play")}</button>`}</td>
    <td>${m.done ? html`<span class="muted">✔ ${m.done_by}</span>`
      : html`<button type="button" class="small done" onClick=${done}>${t("ivr.mark_done")}</button>`}
      <button type="button" class="small to-ticket" onClick=${() => toTicket(m)}>${t("ivr.to_ticket")}</button></td>
  </tr>`;
}

export default function Voicemail() {
  const items = messages.use();
  const open = ticketing.value;
  return html`<section class="panel ivr" id="ivr-voicemail-screen">
    <h2>${t("nav.ivr_voicemail")}</h2>
    ${open ? html`<${open.Form} key=${open.m.id} voicemailId=${open.m.id} number=${open.m.caller}
      onDone=${(ticket) => { ticketing.value = null; if (ticket) messages.refresh(); }} />` : null}
    <table id="ivr-voicemail" class="kv ivr-table">
      <thead><tr><th>${t("ivr.when")}</th><th>${t("ivr.caller")}</th><th>${t("ivr.duration")}</th>
        <th>${t("ivr.status")}</th><th></th><th>${t("ivr.follow_up")}</th></tr></thead>
      <tbody>${(items ?? []).map((m) => html`<${Message} key=${m.id} m=${m} />`)}
        ${items && !items.length ? html`<tr><td colspan="6" class="muted">${t("ivr.none")}</td></tr>` : null}</tbody>
    </table>
  </section>`;
}
