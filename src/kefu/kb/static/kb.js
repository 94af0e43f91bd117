// The knowledge base (知识库) for every signed-in role.  #/kb: search as you type (the API's
// marked title and snippet), the category tree as a filter, the lists (published, stale,
// pending, mine), the hot questions; #/kb/{id} an article (article.js); #/kb/new and
// #/kb/{id}/edit the editor (editor.js).  The search and filter live in module signals:
// back from an article, the same results are there.

import { html } from "htm/preact";
import { signal } from "@preact/signals";
import { useEffect } from "preact/hooks";
import { get } from "/static/shell/api.js";
import { t } from "/static/shell/i18n.js";
import { navigate, route } from "/static/shell/router.js";
import { onSignOut, user } from "/static/shell/store.js";
import { debounce } from "/static/shell/util.js";
import Article from "./article.js";
import Editor from "./editor.js";
import { CategoryTree, StaleFlag, StateBadge, VisibilityBadge, WRITERS, categoryPath, explain,
         loadCategories } from "./common.js";

const query = signal("");
const category = signal(null);
const view = signal("published");
const results = signal(null);      // {kind: "search" | "list", items, total}
const failed = signal(null);
const hot = signal(null);
onSignOut(() => { query.value = ""; category.value = null; view.value = "published"; results.value = null; hot.value = null; });

let asked = 0;
/** The results for the box and filter: a search (`prefix`: as you type, not logged in the
 *  statistics; Enter: a whole search, logged) or, with no words, the chosen list. */
async function load(prefix = true) {
  const mine = ++asked;
  const q = query.value.trim();
  const cat = category.value ? `&category_id=${category.value}` : "";
  try {
    const out = q
      ? { kind: "search", items: await get(`/kb/search?q=${encodeURIComponent(q)}&limit=30${prefix ? "&prefix=true" : ""}${cat}`) }
      : { kind: "list", ...(await get(`/kb/articles?view=${view.value}&limit=100${cat}`)) };
    if (mine !== asked) return;
    results.value = { ...out, q };
    failed.value = null;
  } catch (err) {
    if (mine === asked) failed.value = explain(err);
  }
}
const typed = debounce(() => load(true), 200, 800);

function Row({ a, hit }) {
  const v = a.live || a.working;
  return html`<li class="kb-item" data-id=${a.id}>
    <a href=${`#/kb/${a.id}`} class="kb-title">${hit
      ? html`<span dangerouslySetInnerHTML=${{ __html: hit.title_html }}></span>` : v?.title}</a>
    <span class="kb-badges">
      ${a.live ? null : html`<${StateBadge} state=${a.working?.state} />`}
      ${a.live && a.working ? html`<${StateBadge} state=${a.working.state} />` : null}
      <${VisibilityBadge} visibility=${v?.visibility} /> <${StaleFlag} stale=${a.stale} /></span>
    <div class="kb-meta muted small">${categoryPath(a.category_id)}${v?.keywords?.length ? ` · ${v.keywords.join(" · ")}` : ""}</div>
    ${hit ? html`<div class="kb-snippet" dangerouslySetInnerHTML=${{ __html: hit.snippet_html }}></div>` : null}
  </li>`;
}

function Home() {
  const role = user.value?.role;
  useEffect(() => {
    loadCategories();
    load();                       // back from an article or the editor: fresh
    get("/kb/hot?limit=10").then((list) => { hot.value = list; }, () => { hot.value = []; });
  }, []);
  const r = results.value;
  const views = WRITERS.includes(role) ? ["published", "stale", "pending", "mine"] : ["published"];
  return html`<section class="panel kb" id="kb-home">
    <div class="kb-head"><h2>${t("nav.kb")}</h2>
      <form class="kb-search" onSubmit=${(e) => { e.preventDefault(); load(false); }}>
        <input id="kb-q" type="search" autocomplete="off" placeholder=${t("kb.search_hint")} value=${query.value}
          onInput=${(e) => { query.value = e.currentTarget.value; typed(); }} />
        <button type="submit" id="kb-go">${t("kb.search")}</button></form>
      <span class="grow"></span>
      ${WRITERS.includes(role) ? html`<button type="button" id="kb-new" onClick=${() => navigate("/kb/new")}>${t("kb.new")}</button>` : null}
    </div>
    <div class="kb-cols">
      <aside><h3>${t("kb.categories")}</h3>
        <${CategoryTree} selected=${category.value} onSelect=${(id) => { category.value = id; load(); }} /></aside>
      <div class="kb-main">
        ${views.length > 1 && !query.value.trim() ? html`<div class="kb-views" id="kb-views">${views.map((x) => html`
          <button type="button" key=${x} data-view=${x} class=${view.value === x ? "on" : ""}
            onClick=${() => { view.value = x; load(); }}>${t(`kb.view.${x}`)}</button>`)}</div>` : null}
        ${failed.value ? html`<p class="error" id="kb-error">${failed.value}</p>` : null}
        ${r === null ? html`<p class="muted">${t("kb.loading")}</p>`
          : html`<p class="muted small" id="kb-count">${r.kind === "search" ? t("kb.found", { n: r.items.length })
              : t("kb.listed", { n: r.total })}</p>
            ${r.items.length ? html`<ul class="kb-list" id="kb-results" data-kind=${r.kind} data-q=${r.q}>
              ${r.items.map((x) => html`<${Row} key=${x.id} a=${x} hit=${r.kind === "search" ? x : null} />`)}</ul>`
              : html`<p class="muted" id="kb-none">${r.kind === "search" ? t("kb.none_found") : t("kb.none")}</p>`}`}
      </div>
      <aside class="kb-hot" id="kb-hot"><h3>${t("kb.hot")}</h3>
        ${hot.value?.length ? html`<ol>${hot.value.map((h) => html`<li key=${h.article_id}>
          <a href=${`#/kb/${h.article_id}`} data-id=${h.article_id}>${h.title}</a></li>`)}</ol>`
          : html`<p class="muted small">${t("kb.hot_none")}</p>`}</aside>
    </div></section>`;
}

/** #/kb and the routes below it. */
export default function Kb() {
  const path = route.value.split("?")[0];
  const m = /^\/kb\/(\d+)(\/edit)?$/.exec(path);
  if (path === "/kb/new" || m?.[2]) return html`<${Editor} key="editor" id=${m ? Number(m[1]) : null} />`;
  if (m) return html`<${Article} key=${m[1]} id=${Number(m[1])} />`;
  return html`<${Home} />`;
}
