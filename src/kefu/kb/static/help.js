// The public help centre (帮助中心, /help): customers read and search the public published
// articles without signing in.  It uses only the /public/kb API (which never answers with
// an internal or unpublished article): the categories, search as you type with the
// matches marked, an article's rendered body, the hot questions.  Chinese first, a switch
// to English.  Routes: #/ (home, #/?c=3 a category), #/a/{id} an article.

import { html, render } from "htm/preact";
import { signal } from "@preact/signals";
import { useEffect, useState } from "preact/hooks";
import { lang, setLang, t } from "/static/shell/i18n.js";

const API = "/api/v1/public/kb";
const hash = signal(location.hash.slice(1) || "/");
window.addEventListener("hashchange", () => { hash.value = location.hash.slice(1) || "/"; });
const query = signal("");
const hits = signal(null);           // the search's hits, null: no search
const failed = signal(null);

async function get(path) {
  const res = await fetch(`${API}${path}`, { headers: { Accept: "application/json" } });
  if (!res.ok) {
    let detail = res.statusText;
    try { detail = (await res.json()).detail ?? detail; } catch { /* not JSON */ }
    const err = new Error(detail);
    err.status = res.status;
    throw err;
  }
  return res.json();
}

let asked = 0;
async function search(prefix) {
  const mine = ++asked;
  const q = query.value.trim();
  if (!q) { hits.value = null; return; }
  try {
    const out = await get(`/search?q=${encodeURIComponent(q)}&limit=20${prefix ? "&prefix=true" : ""}`);
    if (mine === asked) { hits.value = out; failed.value = null; }
  } catch (err) {
    if (mine === asked) failed.value = err.message;
  }
}
let timer = null;
const typed = () => { clearTimeout(timer); timer = setTimeout(() => search(true), 200); };

const flat = (tree, depth = 0) => tree.flatMap((c) => [{ ...c, depth }, ...flat(c.children, depth + 1)]);

function Home({ category }) {
  const [cats, setCats] = useState([]);
  const [list, setList] = useState(null);
  const [hot, setHot] = useState([]);
  useEffect(() => { get("/categories").then(setCats, () => {}); get("/hot?limit=10").then(setHot, () => {}); }, []);
  useEffect(() => { get(`/articles?limit=100${category ? `&category_id=${category}` : ""}`).then((p) => setList(p.items), () => setList([])); }, [category]);
  const shown = flat(cats).filter((c) => c.articles || c.children.length);
  return html`<div class="help-cols">
    <aside><h3>${t("kb.categories")}</h3><nav class="kb-tree" id="help-categories">
      <a href="#/" class=${category ? "" : "on"}>${t("kb.all")}</a>
      ${shown.map((c) => html`<a key=${c.id} href=${`#/?c=${c.id}`} data-category=${c.id} style=${`padding-left:${c.depth * 14}px`}
        class=${category === c.id ? "on" : ""}>${c.name}</a>`)}</nav></aside>
    <main>
      ${hits.value ? html`<h2>${t("kb.help.results", { q: query.value.trim() })}</h2>
        ${hits.value.length ? html`<ul class="kb-list" id="help-results">${hits.value.map((h) => html`<li key=${h.id} class="kb-item" data-id=${h.id}>
          <a class="kb-title" href=${`#/a/${h.id}`} dangerouslySetInnerHTML=${{ __html: h.title_html }}></a>
          <div class="kb-snippet" dangerouslySetInnerHTML=${{ __html: h.snippet_html }}></div></li>`)}</ul>`
          : html`<p class="muted" id="help-none">${t("kb.none_found")}</p>`}`
        : html`<h2>${t("kb.help.articles")}</h2>${list?.length ? html`<ul class="kb-list" id="help-list">${list.map((a) => html`<li key=${a.id} class="kb-item" data-id=${a.id}>
          <a class="kb-title" href=${`#/a/${a.id}`}>${a.title}</a></li>`)}</ul>` : html`<p class="muted">${list ? t("kb.none") : t("kb.loading")}</p>`}`}
    </main>
    <aside class="kb-hot" id="help-hot"><h3>${t("kb.hot")}</h3>${hot.length ? html`<ol>${hot.map((h) => html`<li key=${h.article_id}>
      <a href=${`#/a/${h.article_id}`}>${h.title}</a></li>`)}</ol>` : html`<p class="muted small">${t("kb.hot_none")}</p>`}</aside></div>`;
}

function Article({ id }) {
  const [a, setA] = useState(null);
  const [problem, setProblem] = useState(null);
  useEffect(() => { setA(null); setProblem(null); get(`/articles/${id}`).then(setA, (err) => setProblem(err.status === 404 ? t("kb.err.404") : err.message)); }, [id]);
  return html`<article class="help-article" id="help-article" data-id=${id}>
    <a href="#/" id="help-back">${t("kb.back")}</a>
    ${problem ? html`<p class="error" id="help-error">${problem}</p>` : !a ? html`<p class="muted">${t("kb.loading")}</p>` : html`
      <h1 id="help-title">${a.title}</h1>
      ${a.published_at ? html`<p class="muted small">${t("kb.help.updated", { at: new Date(a.published_at * 1000).toLocaleDateString() })}</p>` : null}
      <div class="kb-body" id="help-body" dangerouslySetInnerHTML=${{ __html: a.body_html }}></div>`}</article>`;
}

function Help() {
  const path = hash.value;
  const m = /^\/a\/(\d+)$/.exec(path);
  const c = /[?&]c=(\d+)/.exec(path);
  useEffect(() => { document.title = t("kb.help.title"); }, [lang.value]);
  return html`<header class="help-top"><h1><a href="#/">${t("kb.help.title")}</a></h1>
      <form class="kb-search" id="help-search" onSubmit=${(e) => { e.preventDefault(); search(false); if (m) location.hash = "#/"; }}>
        <input id="help-q" type="search" autocomplete="off" placeholder=${t("kb.help.search_hint")} value=${query.value}
          onInput=${(e) => { query.value = e.currentTarget.value; typed(); if (m) location.hash = "#/"; }} />
        <button type="submit">${t("kb.search")}</button></form>
      <button type="button" id="help-lang" class="link" onClick=${() => setLang(lang.value === "zh" ? "en" : "zh")}>${t("lang.switch")}</button></header>
    ${failed.value ? html`<p class="error">${failed.value}</p>` : null}
    <div class="help-page">${m ? html`<${Article} id=${Number(m[1])} />` : html`<${Home} category=${c ? Number(c[1]) : null} />`}</div>`;
}

render(html`<${Help} />`, document.getElementById("help"));
