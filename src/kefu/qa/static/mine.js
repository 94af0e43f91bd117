// An agent's own evaluations (我的质检): the score, the answers against the scorecard,
// the inspector's comments at their positions in the call (a click plays from there),
// and acknowledge or dispute with a reason.

import { html } from "htm/preact";
import { useEffect, useState } from "preact/hooks";
import { get, post } from "/static/shell/api.js";
import { t } from "/static/shell/i18n.js";
import { fmtTime, run } from "/static/shell/util.js";
import { Comments, Player, answerText, scoreText, stateText } from "./common.js";

const CAN_ANSWER = ["submitted", "revised", "upheld"];

export default function Mine() {
  const [items, setItems] = useState(null);
  const [cards, setCards] = useState({});
  const [playing, setPlaying] = useState(null);
  const load = async () => {
    const list = await run(() => get("/qa/evaluations"));
    if (!list) return;
    setItems(list);
    const wanted = [...new Set(list.map((e) => e.scorecard_id))].filter((id) => !cards[id]);
    const got = await Promise.all(wanted.map((id) => run(() => get(`/qa/scorecards/${id}`))));
    setCards((old) => ({ ...old, ...Object.fromEntries(got.filter(Boolean).map((c) => [c.id, c])) }));
  };
  useEffect(() => { load(); }, []);
  const replace = (ev) => ev && setItems(items.map((e) => (e.id === ev.id ? ev : e)));
  const dispute = async (ev) => {
    const reason = document.querySelector(`#qa-mine article[data-id='${ev.id}'] .reason`).value;
    replace(await run(() => post(`/qa/evaluations/${ev.id}/dispute`, { reason }), t("qa.st.disputed")));
  };
  return html`<section class="panel qa" id="qa-mine-screen">
    <h2>${t("nav.qa_mine")}</h2>
    <div id="qa-mine">
    ${items && !items.length ? html`<p class="muted">${t("qa.none")}</p>` : null}
    ${(items ?? []).map((ev) => {
      const card = cards[ev.scorecard_id];
      const notes = ev.history.filter((h) => h.note);
      return html`<article key=${ev.id} class="qa-card" data-id=${ev.id} data-state=${ev.state}>
        <h3>${fmtTime(ev.call_started_at)} · ${t("qa.score")} <span class="score">${scoreText(ev)}</span>
          <span class=${`qa-state ${ev.state}`}>${stateText(ev.state)}</span></h3>
        <p class="muted">${card ? `${card.name} v${card.version}` : ""} · ${t("qa.inspector")} ${ev.inspector}${ev.queue ? ` · ${ev.queue}` : ""}</p>
        ${playing === ev.id ? html`<${Player} recordingId=${ev.recording_id} />`
          : html`<button type="button" class="play" onClick=${() => setPlaying(ev.id)}>${t("qa.play")}</button>`}
        ${card ? html`<table class="kv answers">${card.sections.flatMap((s) => s.criteria.map((c) => html`<tr key=${c.key} data-key=${c.key}>
          <td>${s.title} · ${c.label}${c.critical ? " ★" : ""}</td><td>${answerText(c.kind, ev.answers[c.key])}</td></tr>`))}</table>` : null}
        <h4>${t("qa.comments")}</h4>
        <div class="comments"><${Comments} comments=${ev.comments} /></div>
        ${notes.length ? html`<ul class="notes">${notes.map((h, i) => html`<li key=${i}>${stateText(h.state)} · ${h.by}: ${h.note}</li>`)}</ul>` : null}
        ${CAN_ANSWER.includes(ev.state) ? html`<p class="buttons">
          <button type="button" class="ack" onClick=${async () => replace(await run(() => post(`/qa/evaluations/${ev.id}/acknowledge`), t("qa.st.acknowledged")))}>${t("qa.acknowledge")}</button>
          ${ev.state !== "upheld" ? html`<input class="reason" placeholder=${t("qa.reason")} />
          <button type="button" class="dispute" onClick=${() => dispute(ev)}>${t("qa.dispute")}</button>` : null}</p>` : null}
      </article>`;
    })}
    </div>
  </section>`;
}
