// A customer's one history (历史记录): calls, notes, tickets, voicemails, survey scores,
// follow-ups, newest first, a page at a time (GET /customers/{id}/timeline, keyset
// paging), with a chip per kind to narrow it.  Used by the desk's screen pop and the
// customer page: `Timeline({customerId, limit, version})`; a new `version` reads it again
// (a note was saved, a call ended).  A call line's play link comes only when the server
// says this viewer may play its recording.  `joined`: a call and the notes written on it
// show as one contact (the notes nested in the call's line, as the desk's pop wants).

import { html } from "htm/preact";
import { useEffect, useState } from "preact/hooks";
import { errorText, get } from "/static/shell/api.js";
import { label, lang, t } from "/static/shell/i18n.js";
import { choices } from "/static/shell/store.js";
import { fmtTime } from "/static/shell/util.js";

export const KINDS = ["call", "note", "ticket", "voicemail", "survey", "followup"];
const ICONS = { call: "☎", note: "✎", ticket: "▤", voicemail: "✉", survey: "★", followup: "↻",
                chat: "✆", email: "@" };

const CSS = "/static/crm/history.css";
if (!document.querySelector(`link[href="${CSS}"]`)) {
  document.head.append(Object.assign(document.createElement("link"), { rel: "stylesheet", href: CSS }));
}

/** 133 → "2分13秒" / "2m 13s" (a call's talk time, plain). */
export function spoken(seconds) {
  const s = Math.max(0, Math.round(seconds || 0));
  const m = Math.floor(s / 60), r = s % 60;
  return t(m ? "tl.min_sec" : "tl.sec", { m, s: r });
}

/** A note type's label in the language shown (the site's [crm] note_types), else its name. */
export function noteType(name, types) {
  const found = (types || []).find((nt) => nt.name === name);
  if (!found) return label("wrapup.type", name);
  return (lang.value === "zh" ? found.label_zh : found.label_en) || name;
}

function CallLine({ item }) {
  const d = item.data || {};
  const parts = [label("tl.dir", d.direction), d.agent, spoken(d.duration),
                 label("tl.disp", d.disposition), d.queue,
                 d.survey_score != null && t("tl.score", { score: d.survey_score })].filter(Boolean);
  return html`<span class="tl-text">${parts.join(" · ")}</span>
    ${item.recording_id ? html` <a class="tl-play" href=${`#/recordings/${item.recording_id}`}>▶ ${t("tl.play")}</a>` : null}`;
}

function NoteLine({ item, types }) {
  const d = item.data || {};
  const head = [noteType(d.type, types), label("wrapup.result", d.result),
                label("note.handling", d.handling)].filter(Boolean).join(" · ");
  return html`<span class="tl-text"><b>${head}</b>${item.summary ? html` — ${item.summary}` : null}</span>`;
}

/** The lines with each note on a call of this page moved into that call's line
 *  (`item.notes`): one contact per call.  A note whose call is not on the page stays. */
export function joinNotes(items) {
  const calls = new Map(items.filter((i) => i.kind === "call").map((i) => [i.ref, { ...i, notes: [] }]));
  const out = [];
  for (const item of items) {
    const call = item.kind === "note" && item.data?.call_id ? calls.get(item.data.call_id) : null;
    if (call) call.notes.push(item);
    else out.push(item.kind === "call" ? calls.get(item.ref) : item);
  }
  return out;
}

function Line({ item, types }) {
  const d = item.data || {};
  const body = {
    call: () => html`<${CallLine} item=${item} />`,
    note: () => html`<${NoteLine} item=${item} types=${types} />`,
    survey: () => html`<span class="tl-text">${t("tl.score", { score: d.score ?? "—" })}</span>`,
    voicemail: () => html`<a class="tl-link" href="#/ivr/voicemail">${t("tl.voicemail_msg", { id: item.ref })}</a>`,
    ticket: () => html`<a class="tl-link" href=${`#/tickets/${encodeURIComponent(item.ref)}`}>#${item.ref}</a>
      <span class="tl-text"> ${item.summary}</span>`,
    followup: () => html`<a class="tl-link" href="#/followups">${t("tl.kind.followup")}</a>
      <span class="tl-text"> ${item.summary}</span>`,
  }[item.kind] || (() => html`<span class="tl-text">${item.summary}</span>`);
  return html`<li class="tl-item" data-kind=${item.kind} data-ref=${item.ref}>
    <span class="tl-icon" title=${t(`tl.kind.${item.kind}`)}>${ICONS[item.kind] || "•"}</span>
    <span class="tl-kind">${t(`tl.kind.${item.kind}`)}</span>
    <time class="tl-at muted">${fmtTime(item.at)}</time>
    <div class="tl-body">${body()}</div>
    ${item.notes?.length ? html`<ol class="tl-list tl-joined">${item.notes.map((n) =>
      html`<${Line} key=${n.id} item=${n} types=${types} />`)}</ol>` : null}
  </li>`;
}

async function page(customerId, kinds, limit, before) {
  const q = new URLSearchParams({ limit: String(limit) });
  if (kinds.length) q.set("kinds", kinds.join(","));
  if (before) { q.set("before_at", String(before.before_at)); q.set("before_id", String(before.before_id)); }
  return get(`/customers/${customerId}/timeline?${q}`);
}

export default function Timeline({ customerId, limit = 20, version = 0, chips = true, joined = false }) {
  const lists = choices.use();
  const [kinds, setKinds] = useState([]);          // none picked: every kind
  const [items, setItems] = useState([]);
  const [next, setNext] = useState(null);
  const [error, setError] = useState("");
  const [loading, setLoading] = useState(false);
  const load = async (more) => {
    setLoading(true);
    try {
      const body = await page(customerId, kinds, limit, more ? next : null);
      setItems(more ? [...items, ...body.items] : body.items);
      setNext(body.next);
      setError("");
    } catch (err) {
      setError(errorText(err));
    } finally {
      setLoading(false);
    }
  };
  useEffect(() => { if (customerId) load(false); }, [customerId, kinds.join(","), version]);
  if (!customerId) return null;
  const toggle = (k) => setKinds(kinds.includes(k) ? kinds.filter((x) => x !== k) : [...kinds, k]);
  return html`<div class="timeline" data-customer=${customerId}>
    ${chips && html`<div class="tl-chips" role="group" aria-label=${t("tl.filter")}>
      ${KINDS.map((k) => html`<button type="button" key=${k} class=${`chip${kinds.includes(k) ? " on" : ""}`}
          data-kind=${k} aria-pressed=${kinds.includes(k) ? "true" : "false"} onClick=${() => toggle(k)}>
          ${ICONS[k]} ${t(`tl.kind.${k}`)}</button>`)}</div>`}
    ${error ? html`<p class="error tl-error">${t("tl.error", { detail: error })}</p>` : null}
    ${!error && !loading && !items.length ? html`<p class="muted tl-none">${t("tl.none")}</p>` : null}
    <ol class="tl-list">${(joined ? joinNotes(items) : items).map((item) => html`<${Line} key=${item.id} item=${item} types=${lists?.note_types} />`)}</ol>
    ${next && html`<button type="button" class="tl-more" disabled=${loading} onClick=${() => load(true)}>${t("tl.more")}</button>`}
  </div>`;
}
