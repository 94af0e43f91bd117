// The IVR flows (流程) for admins: the list (name, description, published version, draft)
// with the create form, and a flow's page: the YAML editor checked as the admin types
// (POST …/check, debounced: problems listed and their lines marked), the diagram beside
// it re-drawn from the graph the check answers, save draft, publish, and the versions
// with rollback.  The flow opened is a module signal: the screen keeps it across visits.

import { html } from "htm/preact";
import { useEffect } from "preact/hooks";
import { computed, signal } from "@preact/signals";
import { get, post } from "/static/shell/api.js";
import { t } from "/static/shell/i18n.js";
import { onSignOut, resource } from "/static/shell/store.js";
import { debounce, fmtTime, run } from "/static/shell/util.js";
import { problemLine, sendYaml } from "./common.js";
import { Diagram } from "./diagram.js";
import { Editor } from "./editor.js";

const flows = resource("/ivr/flows", { every: 30000, key: (f) => f.name });

const opened = signal(null);      // the flow's name, or null: the list
const detail = signal(null);      // GET /ivr/flows/{name}: the flow with its versions
const text = signal("");
const saved = signal("");         // the text as last loaded or saved
const check = signal(null);       // the last answer of POST …/check for the current text
const graph = signal(null);       // the last graph drawn (kept while the text has none)
let checking = 0;                 // answers to older texts are dropped

onSignOut(() => { opened.value = null; detail.value = null; });
window.kefuIvr = { opened, text, check, graph, detail };

const starter = (name) => `name: ${name}
start: greet
nodes:
  greet:
    type: play
    prompt: "您好,欢迎致电。"
    next: bye
  bye:
    type: hangup
`;

async function runCheck(name, body) {
  const mine = ++checking;
  try {
    const out = await sendYaml("POST", `/ivr/flows/${encodeURIComponent(name)}/check`, body);
    if (mine !== checking) return;
    check.value = out;
    if (out.graph) graph.value = out.graph;
  } catch (err) {
    if (mine === checking) check.value = { valid: false, problems: [String(err.message || err)], graph: null };
  }
}
const checkSoon = debounce(runCheck, 350);

async function load(name) {
  const d = await run(() => get(`/ivr/flows/${encodeURIComponent(name)}`));
  if (!d) return;
  detail.value = d;
  const current = d.versions.find((v) => v.number === d.draft) ?? d.versions.find((v) => v.number === d.published);
  const source = current ? current.source : starter(name);
  text.value = saved.value = source;
  check.value = null;
  graph.value = null;
  runCheck(name, source);
}

function open(name) { opened.value = name; load(name); }

function edit(value) {
  text.value = value;
  checkSoon(opened.peek(), value);
}

async function save() {
  const name = opened.peek();
  const out = await run(() => sendYaml("PUT", `/ivr/flows/${encodeURIComponent(name)}/draft`, text.peek()),
                        t("ivr.saved"));
  if (out) { saved.value = out.version.source; await load(name); flows.refresh(); }
}

async function publish() {
  const name = opened.peek();
  if (text.peek() !== saved.peek() && !(await run(() => sendYaml("PUT", `/ivr/flows/${encodeURIComponent(name)}/draft`, text.peek())))) return;
  const out = await run(() => post(`/ivr/flows/${encodeURIComponent(name)}/publish`), t("ivr.published"));
  if (out) { await load(name); flows.refresh(); }
}

async function rollback(number) {
  const name = opened.peek();
  if (!confirm(t("ivr.confirm_rollback", { n: number }))) return;
  const out = await run(() => post(`/ivr/flows/${encodeURIComponent(name)}/rollback/${number}`), t("ivr.rolled_back"));
  if (out) { await load(name); flows.refresh(); }
}

const marks = computed(() => {
  const out = new Map();
  for (const p of check.value?.problems ?? []) {
    const line = problemLine(p, text.value);
    if (line) out.set(line, [...(out.get(line) ?? []), p]);
  }
  return out;
});

function Problems() {
  const c = check.value;
  if (!c) return html`<p id="flow-status" class="muted" data-state="checking">${t("ivr.checking")}</p>`;
  if (c.valid) return html`<p id="flow-status" class="ok-text" data-state="valid">✔ ${t("ivr.valid")}</p>`;
  return html`<div><p id="flow-status" class="bad-text" data-state="invalid">${t("ivr.problems", { n: c.problems.length })}</p>
    <ul id="flow-problems" class="ivr-problems">${c.problems.map((p) => {
      const line = problemLine(p, text.value);
      return html`<li data-line=${line ?? ""}>${line ? html`<span class="muted">${t("ivr.line", { n: line })} </span>` : null}${p}</li>`;
    })}</ul></div>`;
}

function Versions() {
  const d = detail.value;
  if (!d) return null;
  return html`<table id="flow-versions" class="kv ivr-table"><caption>${t("ivr.versions")}</caption>
    <thead><tr><th>${t("ivr.version")}</th><th>${t("ivr.status")}</th><th>${t("ivr.author")}</th>
      <th>${t("ivr.when")}</th><th></th></tr></thead>
    <tbody>${d.versions.map((v) => html`<tr key=${v.number} data-version=${v.number} data-status=${v.status}>
      <td>${v.number}${v.based_on ? html` <small class="muted">(← ${v.based_on})</small>` : null}</td>
      <td>${t(`ivr.st.${v.status}`)}</td><td>${v.author}</td>
      <td>${fmtTime(v.published_at ?? v.updated_at)}</td>
      <td>${v.status === "retired" ? html`<button type="button" class="small rollback"
        onClick=${() => rollback(v.number)}>${t("ivr.rollback")}</button>` : null}</td></tr>`)}</tbody>
  </table>`;
}

function FlowPage() {
  const d = detail.value;
  const dirty = text.value !== saved.value;
  return html`<section class="panel ivr" id="flow-page" data-flow=${opened.value}>
    <div class="buttons">
      <button type="button" id="flow-back" onClick=${() => { opened.value = null; flows.refresh(); }}>← ${t("ivr.flows")}</button>
      <h2 class="ivr-title">${opened.value}</h2>
      <span class="muted">${d?.description ?? ""}</span>
      <span class="muted" id="flow-published">${t("ivr.published_version")}: ${d?.published ?? "—"}</span>
      <button type="button" id="flow-save" onClick=${save} disabled=${!dirty}>${t("ivr.save")}</button>
      <button type="button" id="flow-publish" class="primary" onClick=${publish}
        disabled=${!check.value?.valid || (!dirty && d && d.draft === null)}>${t("ivr.publish")}</button>
    </div>
    <div class="ivr-split">
      <div class="ivr-left">
        <${Editor} value=${text.value} onInput=${edit} marks=${marks.value} />
        <${Problems} />
      </div>
      <${Diagram} graph=${graph.value} stale=${check.value && !check.value.graph} />
    </div>
    <${Versions} />
  </section>`;
}

async function create(e) {
  e.preventDefault();
  const form = e.currentTarget;
  const data = Object.fromEntries(new FormData(form));
  const out = await run(() => post("/ivr/flows", { name: data.name, description: data.description || "" }),
                        t("ivr.created"));
  if (out) { form.reset(); flows.refresh(); open(out.name); }
}

function FlowList() {
  const items = flows.use();
  return html`<section class="panel ivr" id="ivr-flows-screen">
    <h2>${t("nav.ivr_flows")}</h2>
    <table id="ivr-flows" class="kv ivr-table">
      <thead><tr><th>${t("ivr.name")}</th><th>${t("ivr.description")}</th>
        <th>${t("ivr.published_version")}</th><th>${t("ivr.draft")}</th></tr></thead>
      <tbody>${(items ?? []).map((f) => html`<tr key=${f.name} data-flow=${f.name}>
        <td><a href=${"#/ivr/flows"} onClick=${(e) => { e.preventDefault(); open(f.name); }}>${f.name}</a></td>
        <td>${f.description}</td><td>${f.published ?? "—"}</td>
        <td>${f.draft ? t("ivr.draft_of", { n: f.draft }) : "—"}</td></tr>`)}
        ${items && !items.length ? html`<tr><td colspan="4" class="muted">${t("ivr.none")}</td></tr>` : null}</tbody>
    </table>
    <form id="flow-create" class="buttons" onSubmit=${create}>
      <input name="name" required pattern="[A-Za-z_][A-Za-z0-9_]*" maxlength="64" placeholder=${t("ivr.name")} />
      <input name="description" maxlength="500" placeholder=${t("ivr.description")} />
      <button type="submit" class="primary">${t("ivr.create")}</button>
    </form>
  </section>`;
}

export default function Flows() {
  useEffect(() => { if (opened.peek()) load(opened.peek()); }, []);
  return opened.value ? html`<${FlowPage} />` : html`<${FlowList} />`;
}
