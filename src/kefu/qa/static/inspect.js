// The inspector's screen (质检评分): pick a call (search recordings, or a random sample
// per agent for a week), then score it while listening: the criteria by section, the
// total the server computes, comments at the player's position, submit; a disputed
// evaluation is revised (new answers) or upheld here; a scored call can be put on the
// good or bad example list.

import { html } from "htm/preact";
import { signal } from "@preact/signals";
import { useEffect, useRef, useState } from "preact/hooks";
import { get, post, put } from "/static/shell/api.js";
import { t } from "/static/shell/i18n.js";
import { onSignOut, user } from "/static/shell/store.js";
import { fmtDuration, fmtTime, run } from "/static/shell/util.js";
import { Comments, Player, choiceOf, choices, clock, parseChoice, playTime, scoreText,
         stateText } from "./common.js";

/** The evaluation open on the scoring page (its id), kept across visits. */
const openId = signal(null);
const cardId = signal(null);
onSignOut(() => { openId.value = null; cardId.value = null; });

export default function Inspect() {
  return openId.value ? html`<${Scoring} id=${openId.value} />` : html`<${Pick} />`;
}

// --- picking a call --------------------------------------------------------------------------
function Pick() {
  const [cards, setCards] = useState([]);
  const [found, setFound] = useState(null);
  const [sample, setSample] = useState(null);
  const [mine, setMine] = useState([]);
  useEffect(() => {
    run(() => get("/qa/scorecards")).then((c) => {
      if (!c) return;
      setCards(c);
      if (!c.some((x) => x.id === cardId.value)) cardId.value = c[0]?.id ?? null;
    });
    run(() => get(`/qa/evaluations?inspector=${encodeURIComponent(user.value?.username ?? "")}&limit=50`))
      .then((e) => e && setMine(e));
  }, []);
  const search = (e) => {
    e.preventDefault();
    const q = new URLSearchParams();
    for (const [k, v] of new FormData(e.currentTarget)) if (v) q.set(k, v);
    run(() => get(`/recordings?${q}&limit=50`)).then((p) => p && setFound(p));
  };
  const draw = (e) => {
    e.preventDefault();
    const f = new FormData(e.currentTarget);
    const week = f.get("week") ? new Date(`${f.get("week")}T12:00`).getTime() / 1000 : null;
    run(() => post("/qa/sample", { per_agent: Number(f.get("per_agent")), week_of: week }))
      .then((s) => s && setSample(s));
  };
  const score = async (recordingId) => {
    if (!cardId.value) return;
    const ev = await run(() => post("/qa/evaluations", { recording_id: recordingId, scorecard_id: cardId.value }));
    if (ev) openId.value = ev.id;
  };
  const Row = ({ r }) => html`<tr data-id=${r.id}>
    <td>${fmtTime(r.started_at)}</td><td>${r.agent ?? "—"}</td><td>${r.queue ?? "—"}</td>
    <td>${r.caller} → ${r.callee}</td><td>${fmtDuration(r.duration)}</td><td>${r.qa_score ?? "—"}</td>
    <td><button type="button" class="score" disabled=${!cardId.value} onClick=${() => score(r.id)}>${t("qa.score_it")}</button></td></tr>`;
  const head = html`<thead><tr><th>${t("qa.when")}</th><th>${t("qa.agent")}</th><th>${t("qa.queue")}</th>
    <th>${t("qa.numbers")}</th><th>${t("qa.duration")}</th><th>${t("qa.score")}</th><th></th></tr></thead>`;
  return html`<section class="panel qa" id="qa-inspect-screen">
    <h2>${t("nav.qa_inspect")}</h2>
    <p><label>${t("qa.scorecard")} <select id="qa-card" onChange=${(e) => { cardId.value = Number(e.currentTarget.value); }}>
      ${cards.map((c) => html`<option value=${c.id} selected=${c.id === cardId.value}>${c.name} v${c.version}</option>`)}
    </select></label> ${cards.length ? null : html`<span class="muted">${t("qa.need_card")}</span>`}</p>
    <h3>${t("qa.mine")}</h3>
    <table id="qa-my-evaluations" class="kv">
      <thead><tr><th>#</th><th>${t("qa.when")}</th><th>${t("qa.agent")}</th><th>${t("qa.state")}</th><th>${t("qa.score")}</th></tr></thead>
      <tbody>${mine.map((e) => html`<tr key=${e.id} data-id=${e.id} data-state=${e.state}>
        <td><a href="#" onClick=${(x) => { x.preventDefault(); openId.value = e.id; }}>${e.id}</a></td>
        <td>${fmtTime(e.call_started_at)}</td><td>${e.agent ?? "—"}</td>
        <td><span class=${`qa-state ${e.state}`}>${stateText(e.state)}</span></td><td>${scoreText(e)}</td></tr>`)}
      ${mine.length ? null : html`<tr><td colspan="5" class="muted">${t("qa.none")}</td></tr>`}</tbody>
    </table>
    <h3>${t("qa.search")}</h3>
    <form id="qa-search" class="buttons" onSubmit=${search}>
      <input name="agent" placeholder=${t("qa.agent")} />
      <input name="number" placeholder=${t("qa.number")} />
      <button type="submit">${t("qa.find")}</button>
      <span class="muted">${found ? t("qa.total", { n: found.total }) : ""}</span>
    </form>
    ${found ? html`<table id="qa-recordings" class="kv">${head}<tbody>
      ${found.items.map((r) => html`<${Row} key=${r.id} r=${r} />`)}</tbody></table>` : null}
    <h3>${t("qa.sample")}</h3>
    <form id="qa-sample" class="buttons" onSubmit=${draw}>
      <label>${t("qa.per_agent")} <input name="per_agent" type="number" min="1" max="50" value="3" /></label>
      <label>${t("qa.week")} <input name="week" type="date" /></label>
      <button type="submit">${t("qa.draw")}</button>
    </form>
    ${sample ? html`<table id="qa-sampled" class="kv">${head}<tbody>
      ${sample.flatMap((a) => a.recordings.map((r) => html`<${Row} key=${r.id} r=${r} />`))}
      ${sample.some((a) => a.recordings.length) ? null : html`<tr><td colspan="7" class="muted">${t("qa.none")}</td></tr>`}
    </tbody></table>` : null}
  </section>`;
}

// --- scoring a call --------------------------------------------------------------------------
function Scoring({ id }) {
  const [ev, setEv] = useState(null);
  const [card, setCard] = useState(null);
  const [rec, setRec] = useState(null);
  const [answers, setAnswers] = useState({});
  const [at, setAt] = useState(null);          // null: follow the player
  const saving = useRef({ n: 0, answers: {} }); // the newest answers and save: no stale reply wins
  useEffect(() => {
    (async () => {
      const e = await run(() => get(`/qa/evaluations/${id}`));
      if (!e) { openId.value = null; return; }
      setEv(e); setAnswers(e.answers); saving.current.answers = e.answers;
      setCard(await run(() => get(`/qa/scorecards/${e.scorecard_id}`)));
      setRec(await run(() => get(`/recordings/${e.recording_id}`)) || null);
    })();
  }, [id]);
  if (!ev || !card) return html`<section class="panel qa"><p class="muted">…</p></section>`;
  const editable = ev.state === "draft" || ev.state === "disputed";
  const change = async (c, text) => {
    const next = { ...saving.current.answers };
    const value = parseChoice(c.kind, text);
    if (value === undefined) delete next[c.key]; else next[c.key] = value;
    saving.current.answers = next;
    setAnswers(next);
    if (ev.state === "draft") {
      const n = ++saving.current.n;
      const saved = await run(() => put(`/qa/evaluations/${id}/answers`, { answers: next }));
      if (saved && n === saving.current.n) setEv(saved);
    }
  };
  const act = async (fn, ok) => {
    const out = await run(fn, ok);
    if (out) { setEv(out); setAnswers(out.answers); saving.current.answers = out.answers; }
  };
  const comment = async (e) => {
    e.preventDefault();
    const form = e.currentTarget, f = new FormData(form);
    const out = await run(() => post(`/qa/evaluations/${id}/comments`, { at: Number(f.get("at")), text: f.get("text") }));
    if (out) { setEv({ ...ev, comments: [...ev.comments, out].sort((a, b) => a.at - b.at) }); form.reset(); setAt(null); }
  };
  const dispute = ev.history.filter((h) => h.action === "dispute").at(-1);
  const position = at ?? playTime.value.toFixed(1);
  return html`<section class="panel qa" id="qa-eval" data-id=${ev.id} data-state=${ev.state}>
    <p><button type="button" id="qa-back" onClick=${() => { openId.value = null; }}>← ${t("qa.back")}</button></p>
    <h2>${t("qa.evaluation")} #${ev.id} · ${card.name} v${card.version}
      <span class=${`qa-state ${ev.state}`} id="qa-eval-state">${stateText(ev.state)}</span></h2>
    <p class="muted">${fmtTime(ev.call_started_at)} · ${t("qa.agent")} ${ev.agent ?? "—"} · ${t("qa.queue")} ${ev.queue ?? "—"}
      ${rec ? ` · ${rec.caller} → ${rec.callee} · ${fmtDuration(rec.duration)}` : ""} · ${t("qa.inspector")} ${ev.inspector}</p>
    <${Player} recordingId=${ev.recording_id} comments=${ev.comments} />
    <div class="row">
      <div class="col" id="qa-answers">
        ${card.sections.map((s) => html`<div class="qa-section" key=${s.title}><h4>${s.title}</h4>
          ${s.criteria.map((c) => html`<div class=${`qa-criterion${c.critical ? " critical" : ""}`} key=${c.key}>
            <span class="label">${c.label} <span class="muted">(${c.critical ? t("qa.critical") : `${t("qa.weight")} ${c.weight}`})</span></span>
            <select name=${c.key} disabled=${!editable} onChange=${(e) => change(c, e.currentTarget.value)}>
              ${choices(c.kind).map(([v, label]) => html`<option value=${v} selected=${choiceOf(c.kind, answers[c.key]) === v}>${label}</option>`)}
            </select></div>`)}</div>`)}
        <p>${t("qa.total_score")}: <span id="qa-total" class=${`qa-total${ev.failed ? " failed" : ""}`}>${scoreText(ev)}</span></p>
        ${ev.state === "draft" ? html`<button type="button" id="qa-submit"
          onClick=${() => act(() => post(`/qa/evaluations/${id}/submit`, { answers }), t("qa.submitted"))}>${t("qa.submit")}</button>` : null}
        ${ev.state === "disputed" ? html`<div id="qa-dispute" class="qa-card">
          <p><b>${t("qa.disputed_by", { agent: dispute?.by ?? "" })}</b> ${dispute?.note}</p>
          <input id="qa-resolution" placeholder=${t("qa.note")} />
          <button type="button" id="qa-revise" onClick=${() => act(() => post(`/qa/evaluations/${id}/revise`,
            { answers, note: document.getElementById("qa-resolution").value }), t("qa.st.revised"))}>${t("qa.revise")}</button>
          <button type="button" id="qa-uphold" onClick=${() => act(() => post(`/qa/evaluations/${id}/uphold`,
            { note: document.getElementById("qa-resolution").value }), t("qa.st.upheld"))}>${t("qa.uphold")}</button></div>` : null}
        ${ev.state !== "draft" ? html`<${MarkExample} recordingId=${ev.recording_id} />` : null}
      </div>
      <div class="col">
        <h3>${t("qa.comments")}</h3>
        <div id="qa-comments"><${Comments} comments=${ev.comments} /></div>
        <form id="qa-comment" class="buttons" onSubmit=${comment}>
          <label>${t("qa.at")} <input name="at" type="number" min="0" step="0.1" value=${position}
            onInput=${(e) => setAt(e.currentTarget.value)} style="width:6em" /></label>
          <span class="muted">${clock(Number(position))}</span>
          <input name="text" required placeholder=${t("qa.comment")} />
          <button type="submit">${t("qa.add_comment")}</button>
        </form>
        <h3>${t("qa.history")}</h3>
        <ul id="qa-history">${ev.history.map((h, i) => html`<li key=${i}>${fmtTime(h.at)} · ${h.by} · ${stateText(h.state)}
          ${h.score !== null ? ` · ${h.score}` : ""}${h.note ? ` · ${h.note}` : ""}</li>`)}</ul>
      </div>
    </div>
  </section>`;
}

function MarkExample({ recordingId }) {
  const mark = (e) => {
    e.preventDefault();
    const f = new FormData(e.currentTarget);
    run(() => post("/qa/examples", { recording_id: recordingId, kind: f.get("kind"), note: f.get("note") }),
        t("qa.example_marked"));
  };
  return html`<form id="qa-example" class="buttons" onSubmit=${mark}>
    <select name="kind"><option value="good">${t("qa.good_example")}</option><option value="bad">${t("qa.bad_example")}</option></select>
    <input name="note" placeholder=${t("qa.note")} />
    <button type="submit">${t("qa.mark_example")}</button></form>`;
}
