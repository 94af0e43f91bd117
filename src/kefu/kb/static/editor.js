// The article editor for writers (#/kb/new, #/kb/{id}/edit): title, category, keywords,
// visibility, review date, the Markdown with a live preview (the server renders it, as
// readers will see it), files dropped or picked (uploaded, their Markdown inserted at the
// cursor), save as a draft or submit for approval.  An approver may also give a publish
// time: submitted and approved for then (scheduled).  Editing a published article makes a
// new version; the live one stays live until it is approved.

import { html } from "htm/preact";
import { useEffect, useRef, useState } from "preact/hooks";
import { api, get, post } from "/static/shell/api.js";
import { t } from "/static/shell/i18n.js";
import { navigate, redirect } from "/static/shell/router.js";
import { user } from "/static/shell/store.js";
import { debounce, toast } from "/static/shell/util.js";
import { APPROVERS, Body, categories, categoryOptions, explain, fileMarkdown, loadCategories,
         newest, upload } from "./common.js";

const BLANK = { title: "", category_id: "", keywords: "", visibility: "internal", review_date: "", body: "", publish_at: "" };

/** The form from an article and its newest version. */
function formOf(a, v) {
  return { title: v.title, category_id: String(a.category_id), keywords: v.keywords.join(", "), visibility: v.visibility,
    review_date: v.review_date || "", body: v.body, publish_at: "" };
}

const keywords = (text) => [...new Set(text.split(/[,，、;；\n]+/).map((k) => k.trim()).filter(Boolean))];

export default function Editor({ id }) {
  const [f, setF] = useState(id ? null : { ...BLANK });
  const [article, setArticle] = useState(null);
  const [preview, setPreview] = useState("");
  const [problem, setProblem] = useState(null);
  const [busy, setBusy] = useState(false);
  const [dragging, setDragging] = useState(false);
  const area = useRef(null);
  const loaded = useRef(null);           // the id whose data the form holds
  const render = useRef(debounce((markdown, articleId) => post("/kb/preview", { markdown, article_id: articleId ?? undefined })
    .then((out) => setPreview(out.html), (err) => setProblem(explain(err))), 300, 1500));
  const approver = APPROVERS.includes(user.value?.role);

  useEffect(() => {
    loadCategories().then((tree) => {
      if (!id) setF((x) => (x && !x.category_id && tree.length ? { ...x, category_id: String(tree[0].id) } : x));
    });
  }, []);
  useEffect(() => {
    if (!id || loaded.current === id) return;
    get(`/kb/articles/${id}`).then(async (a) => { loaded.current = id; setArticle(a); setF(formOf(a, await newest(a))); })
      .catch((err) => setProblem(explain(err)));
  }, [id]);
  useEffect(() => { if (f) render.current(f.body, article?.id); }, [f?.body, article?.id]);

  if (!f) return html`<section class="panel kb">${problem ? html`<p class="error" id="kb-error">${problem}</p>` : t("kb.loading")}</section>`;
  const set = (k) => (e) => setF({ ...f, [k]: e.currentTarget.value });

  /** Save (a new article, or a new version of this one); `submit`: to the approvers. */
  async function save(submit) {
    setProblem(null);
    if (!f.title.trim()) { setProblem(t("kb.need_title")); return null; }
    if (!f.category_id) { setProblem(t("kb.need_category")); return null; }
    const body = { title: f.title.trim(), body: f.body, keywords: keywords(f.keywords), visibility: f.visibility,
      review_date: f.review_date || null, submit };
    setBusy(true);
    try {
      let a;
      if (article) {
        a = await api("PATCH", `/kb/articles/${article.id}`, body);
        if (Number(f.category_id) !== a.category_id) a = await post(`/kb/articles/${a.id}/move`, { category_id: Number(f.category_id) });
      } else {
        a = await post("/kb/articles", { ...body, category_id: Number(f.category_id) });
      }
      if (submit && f.publish_at && approver && a.working?.state === "pending") {
        a = await post(`/kb/articles/${a.id}/versions/${a.working.number}/approve`,
          { comment: "", publish_at: new Date(f.publish_at).getTime() / 1000 });
      }
      loaded.current = a.id;
      setArticle(a);
      toast(t(submit ? "kb.submitted" : "kb.saved"));
      if (!id) redirect(`/kb/${a.id}/edit`);
      return a;
    } catch (err) {
      setProblem(explain(err));
      return null;
    } finally {
      setBusy(false);
    }
  }

  /** Upload files (a new article is saved as a draft first: files belong to one) and put
   *  their Markdown at the cursor. */
  async function addFiles(list) {
    const files = [...list];
    if (!files.length) return;
    const a = article || await save(false);
    if (!a) return;
    const at = area.current?.selectionStart ?? f.body.length;
    const added = [];
    for (const file of files) {
      try { added.push(await upload(a.id, file)); } catch (err) { setProblem(explain(err)); }
    }
    if (!added.length) return;
    const text = added.map(fileMarkdown).join("\n");
    setF((x) => ({ ...x, body: `${x.body.slice(0, at)}${at && x.body[at - 1] !== "\n" ? "\n" : ""}${text}\n${x.body.slice(at)}` }));
    setArticle((x) => ({ ...(x || a), files: [...(x || a).files, ...added] }));
    toast(t("kb.uploaded", { n: added.length }));
  }

  const working = article?.working;
  return html`<section class="panel kb kb-editor" id="kb-editor" data-id=${article?.id ?? ""}>
    <div class="kb-head"><h2>${article ? t("kb.edit_title", { id: article.id }) : t("kb.new")}</h2>
      ${working ? html`<span class=${`kb-state ${working.state}`} id="kb-editor-state" data-state=${working.state}>${t(`kb.state.${working.state}`)} v${working.number}</span>` : null}
      <span class="grow"></span>
      ${article ? html`<a href=${`#/kb/${article.id}`} id="kb-view">${t("kb.view_article")}</a>` : html`<a href="#/kb">${t("kb.back")}</a>`}</div>
    ${article?.live ? html`<p class="kb-note">${t("kb.live_stays")}</p>` : null}
    ${problem ? html`<p class="error" id="kb-error">${problem}</p>` : null}
    <div class="kb-form">
      <label class="wide"><span>${t("kb.f.title")}</span><input name="title" maxlength="200" value=${f.title} onInput=${set("title")} /></label>
      <label><span>${t("kb.f.category")}</span><select name="category_id" value=${f.category_id} onChange=${set("category_id")}>
        ${categories.value?.length ? null : html`<option value="">${t("kb.no_categories")}</option>`}${categoryOptions()}</select></label>
      <label><span>${t("kb.f.keywords")}</span><input name="keywords" value=${f.keywords} onInput=${set("keywords")} placeholder=${t("kb.keywords_hint")} /></label>
      <label><span>${t("kb.f.visibility")}</span><select name="visibility" value=${f.visibility} onChange=${set("visibility")}>
        <option value="internal">${t("kb.vis.internal")}</option><option value="public">${t("kb.vis.public")}</option></select></label>
      <label><span>${t("kb.f.review_date")}</span><input type="date" name="review_date" value=${f.review_date} onInput=${set("review_date")} /></label>
      ${approver ? html`<label><span>${t("kb.f.publish_at")}</span><input type="datetime-local" name="publish_at" value=${f.publish_at}
        onInput=${set("publish_at")} title=${t("kb.publish_at_hint")} /></label>` : null}
    </div>
    <div class="kb-write">
      <div class=${`kb-md${dragging ? " dragging" : ""}`}
        onDragOver=${(e) => { e.preventDefault(); setDragging(true); }} onDragLeave=${() => setDragging(false)}
        onDrop=${(e) => { e.preventDefault(); setDragging(false); addFiles(e.dataTransfer.files); }}>
        <h3>${t("kb.f.body")}</h3>
        <textarea name="body" ref=${area} rows="18" value=${f.body} onInput=${set("body")} placeholder=${t("kb.body_hint")}></textarea>
        <label class="kb-pick">${t("kb.pick_files")} <input type="file" id="kb-file" multiple
          onChange=${(e) => { addFiles(e.currentTarget.files); e.currentTarget.value = ""; }} /></label>
      </div>
      <div class="kb-preview"><h3>${t("kb.preview")}</h3><${Body} id="kb-preview" html=${preview} articleId=${article?.id} /></div>
    </div>
    <div class="buttons">
      <button type="button" id="kb-save" disabled=${busy} onClick=${() => save(false)}>${t("kb.save_draft")}</button>
      <button type="button" id="kb-submit" class="primary" disabled=${busy} onClick=${() => save(true).then((a) => a && navigate(`/kb/${a.id}`))}>
        ${approver && f.publish_at ? t("kb.submit_schedule") : t("kb.submit")}</button>
    </div></section>`;
}
