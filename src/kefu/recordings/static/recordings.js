// Recordings (录音) for admins, supervisors and inspectors: #/recordings is the search (a
// filter for every field the API searches on, sortable columns, pages), #/recordings/{id}
// one recording: its details, the player (waveform, speed, paused spans, download) and
// the customer's journey (every segment of the call, click to switch).  The search is
// kept in module signals: back from a recording, the same page of results is there.

import { html } from "htm/preact";
import { useEffect, useState } from "preact/hooks";
import { signal } from "@preact/signals";
import { get } from "/static/shell/api.js";
import { label, t } from "/static/shell/i18n.js";
import { navigate, redirect, route } from "/static/shell/router.js";
import { choices, onSignOut } from "/static/shell/store.js";
import { Pager as SharedPager, fmtDuration, fmtTime, options, run } from "/static/shell/util.js";
import { epoch, query } from "./common.js";
import { Player } from "./player.js";

const SORTS = ["started_at", "caller", "agent", "duration", "qa_score"];   // records.SORTS
const SIZES = [20, 50, 100];

const filters = signal({});          // the form's values as typed
const order = signal({ sort: "started_at", descending: true });
const paging = signal({ offset: 0, limit: 50 });
const results = signal(null);        // {items, total, total_capped, offset, limit} of the last search

onSignOut(() => { filters.value = {}; results.value = null; paging.value = { offset: 0, limit: 50 }; });

/** The API's parameters for the form's values (times as epoch seconds, tags a list). */
export function searchParams(f) {
  return {
    agent: f.agent?.trim(), number: f.number?.trim(), queue: f.queue?.trim(),
    since: epoch(f.since), until: epoch(f.until), customer_id: f.customer_id,
    min_duration: f.min_duration, max_duration: f.max_duration, disposition: f.disposition,
    min_score: f.min_score, max_score: f.max_score,
    tags: (f.tags || "").split(/[,,\s]+/).filter(Boolean),
  };
}

let searching = 0;                   // answers to older searches are dropped

async function search() {
  const mine = ++searching;
  const asked = paging.value;
  const q = query({ ...searchParams(filters.value), ...order.value, ...asked });
  const page = await run(() => get(`/recordings?${q}`));
  if (page && mine === searching) results.value = { ...page, ...asked };   // the range it shows
}

/** A sortable column's heading: a click sorts by it, a second click reverses. */
function SortHead({ by, children }) {
  const { sort, descending } = order.value;
  const active = sort === by;
  const click = () => {
    order.value = { sort: by, descending: active ? !descending : by === "started_at" || by === "duration" || by === "qa_score" };
    paging.value = { ...paging.value, offset: 0 };
    search();
  };
  return html`<th class=${`sortable${active ? " sorted" : ""}`} data-sort=${by}
      aria-sort=${active ? (descending ? "descending" : "ascending") : "none"}>
    <button type="button" class="link" onClick=${click}>${children}${active ? (descending ? " ▼" : " ▲") : ""}</button></th>`;
}

function Tags({ tags }) {
  return (tags || []).map((tag) => html`<span key=${tag} class="rec-tag">${tag}</span>`);
}

function Score({ value }) {
  if (value === null || value === undefined) return html`<span class="muted">—</span>`;
  return html`<b class="rec-score">${Number(value).toFixed(1).replace(/\.0$/, "")}</b>`;
}

function Filters() {
  const f = filters.value;
  const submit = (e) => {
    e.preventDefault();
    filters.value = Object.fromEntries(new FormData(e.currentTarget));
    paging.value = { ...paging.value, offset: 0 };
    search();
  };
  const reset = () => { filters.value = {}; paging.value = { ...paging.value, offset: 0 }; search(); };
  const field = (name, attrs = {}) => html`<label><span>${t(`rec.f.${name}`)}</span>
    <input name=${name} value=${f[name] ?? ""} ...${attrs} /></label>`;
  return html`<form id="rec-filter" class="rec-filter" onSubmit=${submit} onReset=${reset}>
    ${field("agent")} ${field("number")} ${field("queue")}
    ${field("since", { type: "datetime-local" })} ${field("until", { type: "datetime-local" })}
    ${field("customer_id", { type: "number", min: 1 })}
    ${field("min_duration", { type: "number", min: 0, step: 1 })} ${field("max_duration", { type: "number", min: 0, step: 1 })}
    <label><span>${t("rec.f.disposition")}</span>
      <select name="disposition" value=${f.disposition ?? ""}><option value="">${t("rec.any")}</option>
        ${options("rec.disp", choices.data.value?.dispositions)}</select></label>
    ${field("min_score", { type: "number", min: 0, max: 100, step: "any" })}
    ${field("max_score", { type: "number", min: 0, max: 100, step: "any" })}
    ${field("tags", { placeholder: t("rec.tags_hint") })}
    <div class="buttons"><button type="submit" class="primary">${t("rec.search")}</button>
      <button type="reset">${t("rec.reset")}</button></div>
  </form>`;
}

function Pager() {
  const go = (next) => { paging.value = { ...paging.value, ...next }; search(); };
  return html`<${SharedPager} prefix="rec" page=${results.value} sizes=${SIZES} onGo=${go} none="rec.none" />`;
}

function Search() {
  choices.use();
  useEffect(() => { if (!results.peek()) search(); }, []);
  const page = results.value;
  return html`<section class="panel rec" id="rec-search">
    <h2>${t("nav.recordings")}</h2>
    <${Filters} />
    <${Pager} />
    <table id="rec-table" class="kv rec-table">
      <thead><tr>
        <${SortHead} by="started_at">${t("rec.started_at")}<//>
        <${SortHead} by="caller">${t("rec.caller")}<//>
        <th>${t("rec.callee")}</th>
        <${SortHead} by="agent">${t("rec.agent")}<//>
        <th>${t("rec.queue")}</th>
        <${SortHead} by="duration">${t("rec.duration")}<//>
        <th>${t("rec.disposition")}</th>
        <${SortHead} by="qa_score">${t("rec.qa_score")}<//>
        <th>${t("rec.tags")}</th><th>${t("rec.segment")}</th>
      </tr></thead>
      <tbody>${(page?.items ?? []).map((r) => html`<tr key=${r.id} data-id=${r.id} class="rec-row"
          onClick=${() => navigate(`/recordings/${r.id}`)}>
        <td><a href=${`#/recordings/${r.id}`}>${fmtTime(r.started_at)}</a></td>
        <td>${r.caller}</td><td>${r.callee}</td><td>${r.agent ?? ""}</td><td>${r.queue ?? ""}</td>
        <td class="num" data-seconds=${r.duration}>${fmtDuration(r.duration)}</td>
        <td>${label("rec.disp", r.disposition)}</td>
        <td class="num"><${Score} value=${r.qa_score} /></td><td><${Tags} tags=${r.tags} /></td>
        <td class="num">${r.segment}</td></tr>`)}
        ${page && !page.items.length ? html`<tr><td colspan="10" class="muted">${t("rec.none")}</td></tr>` : null}
      </tbody>
    </table>
  </section>`;
}

function Details({ rec }) {
  const row = (key, value) => html`<tr><th>${t(key)}</th><td>${value}</td></tr>`;
  return html`<table class="kv rec-details" id="rec-details"><tbody>
    ${row("rec.started_at", fmtTime(rec.started_at))}
    ${row("rec.duration", fmtDuration(rec.duration))}
    ${row("rec.caller", rec.caller)} ${row("rec.callee", rec.callee)}
    ${row("rec.agent", rec.agent ?? "")} ${row("rec.queue", rec.queue ?? "")}
    ${row("rec.direction", label("rec.dir", rec.direction))}
    ${row("rec.disposition", label("rec.disp", rec.disposition))}
    ${row("rec.qa_score", html`<${Score} value=${rec.qa_score} />`)}
    ${row("rec.tags", html`<${Tags} tags=${rec.tags} />`)}
    ${row("rec.state", label("rec.st", rec.state))}
    ${row("rec.call_id", html`<code>${rec.call_id}</code>`)}
    ${rec.sha256 ? row("rec.sha256", html`<code class="small">${rec.sha256}</code>`) : null}
  </tbody></table>`;
}

function Segments({ current, list }) {
  return html`<table class="kv rec-segments" id="rec-segments">
    <caption>${t("rec.journey")}</caption>
    <thead><tr><th>${t("rec.segment")}</th><th>${t("rec.started_at")}</th><th>${t("rec.agent")}</th>
      <th>${t("rec.callee")}</th><th>${t("rec.duration")}</th></tr></thead>
    <tbody>${list.map((s) => html`<tr key=${s.id} data-id=${s.id} class=${s.id === current ? "current" : ""}
        onClick=${() => navigate(`/recordings/${s.id}`)}>
      <td><a href=${`#/recordings/${s.id}`}>${t("rec.segment_n", { n: s.segment })}</a>
        ${s.call_id !== s.journey ? html` <span class="muted small">${t("rec.linked")}</span>` : null}</td>
      <td>${fmtTime(s.started_at)}</td><td>${s.agent ?? ""}</td><td>${s.callee}</td>
      <td class="num">${fmtDuration(s.duration)}</td></tr>`)}</tbody>
  </table>`;
}

function Recording({ id }) {
  const [rec, setRec] = useState(null);
  const [segments, setSegments] = useState([]);
  const [missing, setMissing] = useState("");
  useEffect(() => {
    setMissing("");
    get(`/recordings/${id}`).then(setRec, (err) => setMissing(err.status === 404 ? t("rec.not_found") : String(err.message)));
    run(() => get(`/recordings/${id}/segments`)).then((list) => Array.isArray(list) && setSegments(list));
  }, [id]);
  const same = rec && rec.id === id;
  return html`<section class="panel rec" id="rec-page" data-id=${id}>
    <div class="buttons"><a href="#/recordings" id="rec-back">← ${t("rec.back")}</a>
      <h2 class="rec-title">${t("rec.title", { id })}</h2></div>
    ${missing ? html`<p class="error" id="rec-missing">${missing}</p>` : null}
    ${same ? html`<div class="rec-split">
      <div class="rec-main">
        ${rec.state === "deleted" ? html`<p class="muted" id="rec-deleted">${t("rec.deleted")}</p>`
                                  : html`<${Player} key=${id} id=${id} />`}
        ${segments.length ? html`<${Segments} current=${id} list=${segments} />` : null}
      </div>
      <${Details} rec=${rec} />
    </div>` : null}
  </section>`;
}

export default function Recordings() {
  const rest = route.value.slice("/recordings/".length);
  const id = /^[1-9]\d*$/.test(rest) ? Number(rest) : null;
  // a route below this one that names no recording (or a screen this role may not open)
  useEffect(() => { if (rest && !id) redirect("/recordings"); }, [rest, id]);
  return id ? html`<${Recording} id=${id} />` : html`<${Search} />`;
}
