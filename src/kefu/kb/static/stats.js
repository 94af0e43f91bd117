// The knowledge base's statistics (统计分析) for supervisors and admins: top searches,
// searches that found nothing (one click "写草稿" makes a draft titled with the search and
// opens it in the editor), the most viewed articles, helpful / not helpful votes; and for
// admins the synonyms (退款 = 退钱) and the product words the segmenter must keep whole.

import { html } from "htm/preact";
import { useEffect, useState } from "preact/hooks";
import { get, post, put } from "/static/shell/api.js";
import { t } from "/static/shell/i18n.js";
import { navigate } from "/static/shell/router.js";
import { user } from "/static/shell/store.js";
import { run } from "/static/shell/util.js";
import { categories, categoryOptions, explain, loadCategories, when } from "./common.js";

const DAYS = [7, 30, 90, 365];

function Table({ id, head, rows, empty }) {
  return html`<table class="kb-table" id=${id}><thead><tr>${head.map((h) => html`<th key=${h}>${h}</th>`)}</tr></thead>
    <tbody>${rows.length ? rows : html`<tr><td colspan=${head.length} class="muted">${empty}</td></tr>`}</tbody></table>`;
}

/** Synonym groups, one per line (words split by spaces, commas or =); product words, one per line. */
function Vocabulary() {
  const [syn, setSyn] = useState(null);
  const [words, setWords] = useState(null);
  const [problem, setProblem] = useState(null);
  useEffect(() => {
    get("/kb/synonyms").then((x) => setSyn(x.groups.map((g) => g.join(" = ")).join("\n")), (err) => setProblem(explain(err)));
    get("/kb/words").then((x) => setWords(x.words.join("\n")), (err) => setProblem(explain(err)));
  }, []);
  const saveSyn = () => run(() => put("/kb/synonyms", { groups: syn.split("\n").map((l) => l.split(/[\s,，=、]+/).filter(Boolean)).filter((g) => g.length) }), t("kb.vocab_saved"))
    .then((out) => out?.groups && setSyn(out.groups.map((g) => g.join(" = ")).join("\n")));
  const saveWords = () => run(() => put("/kb/words", { words: words.split(/\n+/).map((w) => w.trim()).filter(Boolean) }), t("kb.vocab_saved"))
    .then((out) => out?.words && setWords(out.words.join("\n")));
  return html`<div class="kb-vocab" id="kb-vocab">
    ${problem ? html`<p class="error">${problem}</p>` : null}
    <div><h3>${t("kb.synonyms")}</h3><p class="muted small">${t("kb.synonyms_hint")}</p>
      <textarea id="kb-synonyms" rows="8" disabled=${syn === null} value=${syn ?? ""} onInput=${(e) => setSyn(e.currentTarget.value)}></textarea>
      <button type="button" id="kb-save-synonyms" disabled=${syn === null} onClick=${saveSyn}>${t("kb.save")}</button></div>
    <div><h3>${t("kb.words")}</h3><p class="muted small">${t("kb.words_hint")}</p>
      <textarea id="kb-words" rows="8" disabled=${words === null} value=${words ?? ""} onInput=${(e) => setWords(e.currentTarget.value)}></textarea>
      <button type="button" id="kb-save-words" disabled=${words === null} onClick=${saveWords}>${t("kb.save")}</button></div></div>`;
}

export default function Stats() {
  const [days, setDays] = useState(30);
  const [data, setData] = useState(null);
  const [problem, setProblem] = useState(null);
  const [category, setCategory] = useState("");
  const load = () => Promise.all(["searches", "gaps", "views"].map((x) => get(`/kb/stats/${x}?days=${days}&limit=20`))
    .concat([get("/kb/stats/votes?limit=50")]))
    .then(([searches, gaps, views, votes]) => { setData({ searches, gaps, views, votes }); setProblem(null); },
      (err) => setProblem(explain(err)));
  useEffect(() => { loadCategories().then((tree) => tree.length && setCategory((c) => c || String(tree[0].id))); }, []);
  useEffect(() => { load(); }, [days]);
  const draft = async (q) => {
    if (!category) { setProblem(t("kb.need_category")); return; }
    try {
      const a = await post("/kb/stats/gaps/draft", { query: q, category_id: Number(category) });
      navigate(`/kb/${a.id}/edit`);
    } catch (err) { setProblem(explain(err)); }
  };
  const d = data;
  return html`<section class="panel kb" id="kb-stats">
    <div class="kb-head"><h2>${t("nav.kb_stats")}</h2>
      <label class="small">${t("kb.days")} <select id="kb-days" value=${days} onChange=${(e) => setDays(Number(e.currentTarget.value))}>
        ${DAYS.map((n) => html`<option key=${n} value=${n}>${t("kb.last_days", { n })}</option>`)}</select></label></div>
    ${problem ? html`<p class="error" id="kb-error">${problem}</p>` : null}
    ${d ? html`<div class="kb-stats-grid">
      <div><h3>${t("kb.top_searches")}</h3><${Table} id="kb-top" head=${[t("kb.query"), t("kb.searches"), t("kb.last_at")]} empty=${t("kb.none")}
        rows=${d.searches.map((r) => html`<tr key=${r.query}><td>${r.query}</td><td>${r.searches}</td><td>${when(r.last_at)}</td></tr>`)} /></div>
      <div><h3>${t("kb.gaps")}</h3>
        <label class="small">${t("kb.gap_category")} <select id="kb-gap-category" value=${category} onChange=${(e) => setCategory(e.currentTarget.value)}>
          ${categories.value?.length ? null : html`<option value="">${t("kb.no_categories")}</option>`}${categoryOptions()}</select></label>
        <${Table} id="kb-gaps" head=${[t("kb.query"), t("kb.searches"), ""]} empty=${t("kb.no_gaps")}
          rows=${d.gaps.map((r) => html`<tr key=${r.query} data-query=${r.query}><td>${r.query}</td><td>${r.searches}</td>
            <td><button type="button" class="kb-draft" onClick=${() => draft(r.query)}>${t("kb.write_draft")}</button></td></tr>`)} /></div>
      <div><h3>${t("kb.most_viewed")}</h3><${Table} id="kb-viewed" head=${[t("kb.f.title"), t("kb.views")]} empty=${t("kb.none")}
        rows=${d.views.map((r) => html`<tr key=${r.article_id}><td><a href=${`#/kb/${r.article_id}`}>${r.title}</a></td><td>${r.count}</td></tr>`)} /></div>
      <div><h3>${t("kb.votes")}</h3><${Table} id="kb-votes" head=${[t("kb.f.title"), "v", t("kb.helpful"), t("kb.unhelpful")]} empty=${t("kb.none")}
        rows=${d.votes.map((r) => html`<tr key=${`${r.article_id}/${r.version}`}><td><a href=${`#/kb/${r.article_id}`}>${r.title}</a></td>
          <td>${r.version}</td><td>${r.helpful}</td><td>${r.not_helpful}</td></tr>`)} /></div>
    </div>` : null}
    ${user.value?.role === "admin" ? html`<${Vocabulary} />` : null}
  </section>`;
}
