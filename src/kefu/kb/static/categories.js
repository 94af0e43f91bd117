// The category tree (栏目) for the [kb] approvers: add a category (at the top or under
// another), rename, move under another (or to the top), delete an empty one.  The API's
// refusals (409: it still holds articles or categories, a loop, too deep) said in words.

import { html } from "htm/preact";
import { useEffect, useState } from "preact/hooks";
import { api, del, post } from "/static/shell/api.js";
import { t } from "/static/shell/i18n.js";
import { toast } from "/static/shell/util.js";
import { categories, explain, flat, loadCategories } from "./common.js";

export default function Categories() {
  const [name, setName] = useState("");
  const [parent, setParent] = useState("");
  const [problem, setProblem] = useState(null);
  useEffect(() => { loadCategories(true); }, []);
  const act = async (fn, ok) => {
    setProblem(null);
    try { await fn(); toast(ok); await loadCategories(true); return true; } catch (err) { setProblem(explain(err)); return false; }
  };
  const add = (e) => {
    e.preventDefault();
    if (!name.trim()) return;
    act(() => post("/kb/categories", { name: name.trim(), parent_id: parent ? Number(parent) : null }), t("kb.saved"))
      .then((ok) => ok && setName(""));
  };
  const rename = (c) => {
    const next = prompt(t("kb.rename_to"), c.name);
    if (next && next.trim() && next.trim() !== c.name) act(() => api("PATCH", `/kb/categories/${c.id}`, { name: next.trim() }), t("kb.saved"));
  };
  const move = (c, to) => act(() => api("PATCH", `/kb/categories/${c.id}`, { parent_id: to ? Number(to) : null }), t("kb.saved"));
  const remove = (c) => confirm(t("kb.delete_confirm", { name: c.name })) && act(() => del(`/kb/categories/${c.id}`), t("kb.deleted"));
  const all = flat(categories.value || []);
  return html`<section class="panel kb" id="kb-categories"><div class="kb-head"><h2>${t("nav.kb_categories")}</h2></div>
    ${problem ? html`<p class="error" id="kb-error">${problem}</p>` : null}
    <form class="kb-add" id="kb-add-category" onSubmit=${add}>
      <input name="name" placeholder=${t("kb.category_name")} value=${name} maxlength="100" onInput=${(e) => setName(e.currentTarget.value)} />
      <select name="parent" value=${parent} onChange=${(e) => setParent(e.currentTarget.value)}>
        <option value="">${t("kb.top_level")}</option>
        ${all.map((c) => html`<option key=${c.id} value=${c.id}>${c.path}</option>`)}</select>
      <button type="submit">${t("kb.add_category")}</button></form>
    <table class="kb-table" id="kb-category-table"><thead><tr><th>${t("kb.f.category")}</th><th>${t("kb.articles_n")}</th>
      <th>${t("kb.move_under")}</th><th></th></tr></thead>
      <tbody>${all.map((c) => html`<tr key=${c.id} data-id=${c.id}>
        <td style=${`padding-left:${8 + c.depth * 18}px`}>${c.name}</td><td>${c.articles}</td>
        <td><select class="kb-move" value=${c.parent_id ?? ""} onChange=${(e) => move(c, e.currentTarget.value)}>
          <option value="">${t("kb.top_level")}</option>
          ${all.filter((x) => x.id !== c.id).map((x) => html`<option key=${x.id} value=${x.id}>${x.path}</option>`)}</select></td>
        <td><button type="button" class="kb-rename" onClick=${() => rename(c)}>${t("kb.rename")}</button>
          <button type="button" class="kb-delete" onClick=${() => remove(c)}>${t("kb.delete")}</button></td></tr>`)}</tbody></table>
  </section>`;
}
