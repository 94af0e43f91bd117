// The guided question trees' editor (问题推测, #/kb/trees), for the knowledge base's
// approvers: the trees; one tree as an indented outline from its root (a question, its
// answers, each leading to the next question or to a solution article); nodes and answers
// added, edited (an answer: its label, where it leads) and deleted in place; a solution's
// article picked by search.  检查 asks the server (POST /kb/trees/check) and shows each
// problem on its node (dead end, loop, unreachable …); saving an invalid tree is refused
// by the server with the same problems, shown the same way.  A node reused by two answers
// is drawn once, then referred to.

import { html } from "htm/preact";
import { useEffect, useState } from "preact/hooks";
import { api, del, errorText, get, post } from "/static/shell/api.js";
import { t } from "/static/shell/i18n.js";
import { toast } from "/static/shell/util.js";
import { useTyped } from "./panel.js";

const patch = (path, body) => api("PATCH", path, body);
const blank = (categoryId) => ({ title: "", category_id: categoryId || "", enabled: true,
                                 nodes: [{ id: "q1", kind: "question", text: "", article_id: null }], edges: [] });
const shapeOf = (d) => ({ nodes: d.nodes.map((n) => ({ id: n.id, kind: n.kind, text: n.text || "",
                                                       article_id: n.kind === "solution" ? n.article_id : null })),
                          edges: d.edges });

/** A fresh node id: the kind's letter and the next free number. */
function freshId(nodes, kind) {
  const used = new Set(nodes.map((n) => n.id));
  let i = 1;
  while (used.has(`${kind[0]}${i}`)) i += 1;
  return `${kind[0]}${i}`;
}

// the server's problems in the language shown (an unknown one as the server says it)
const KNOWN = [[/^a dead end/, "dead_end"], [/^a loop: (.*)$/, "loop"], [/^unreachable/, "unreachable"],
               [/^a second root/, "second_root"], [/^a solution needs an article/, "no_article"],
               [/^a question needs its text/, "no_text"], [/^no root/, "no_root"],
               [/article .*(not|no longer) (found|published)|not published/, "article"]];
export function problemText(message) {
  for (const [re, key] of KNOWN) {
    const m = re.exec(message);
    if (m) return t(`kbd.p.${key}`, { path: m[1] || "" });
  }
  return message;
}

/** The outline of a draft: from each root, depth first, every node drawn once; an answer
 *  to a node on its own path is a loop (↺), to one drawn already a reference (↪).  Nodes
 *  no root reaches (inside a loop) come last. */
export function layout(draft) {
  const shown = new Set();
  const answers = (id) => draft.edges.filter((e) => e.source === id);
  const place = (id, path) => {
    shown.add(id);
    const here = [...path, id];
    return { id, answers: answers(id).map((edge) => {
      if (here.includes(edge.target)) return { edge, ref: "loop" };
      if (shown.has(edge.target)) return { edge, ref: "seen" };
      return { edge, child: place(edge.target, here) };
    }) };
  };
  const targets = new Set(draft.edges.map((e) => e.target));
  const items = draft.nodes.filter((n) => !targets.has(n.id)).map((n) => place(n.id, []));
  const rest = [];
  for (const n of draft.nodes) if (!shown.has(n.id)) rest.push(place(n.id, []));
  return { items, rest };
}

/** A 422's detail → the problems with their nodes (null: not a tree's problems). */
function treeProblems(err) {
  const d = err?.detail;
  if (!Array.isArray(d) || !d.some((x) => x && "node" in x)) return null;
  return d.map((x) => ({ node: x.node || "", message: x.msg }));
}

export default function Trees() {
  const [trees, setTrees] = useState(null);
  const [cats, setCats] = useState([]);
  const [draft, setDraft] = useState(null);
  const [found, setFound] = useState(null);        // problems of the last check or save
  const [error, setError] = useState("");
  const [titles, setTitles] = useState({});        // article id → title (solutions)
  const load = () => get("/kb/trees").then(setTrees, (err) => { setTrees([]); setError(errorText(err)); });
  useEffect(() => { load(); get("/kb/categories").then(setCats, () => setCats([])); }, []);
  useEffect(() => {               // the titles of the solutions' articles
    for (const n of draft?.nodes || []) {
      if (n.kind === "solution" && n.article_id && !(n.article_id in titles)) {
        setTitles((m) => ({ ...m, [n.article_id]: "" }));
        get(`/kb/articles/${n.article_id}`).then((a) => setTitles((m) => ({ ...m, [a.id]: a.live?.title || `#${a.id}` })),
                                                  () => setTitles((m) => ({ ...m, [n.article_id]: `#${n.article_id}` })));
      }
    }
  }, [draft]);
  const edit = (d) => { setDraft(d); setFound(null); setError(""); };
  const change = (d) => { setDraft(d); setFound(null); };
  const check = async () => {
    setError("");
    try { setFound(await post("/kb/trees/check", shapeOf(draft))); }
    catch (err) { setError(errorText(err)); }
  };
  const save = async () => {
    setError("");
    const body = { title: draft.title.trim(), category_id: Number(draft.category_id), enabled: draft.enabled,
                   shape: shapeOf(draft) };
    try {
      const out = draft.id ? await patch(`/kb/trees/${draft.id}`, { ...body, version: draft.version })
        : await post("/kb/trees", body);
      edit({ ...out, nodes: out.shape.nodes, edges: out.shape.edges });
      setFound([]);
      toast(t("kbd.t.saved"));
      load();
    } catch (err) {
      const p = treeProblems(err);
      if (p) { setFound(p); setError(t("kbd.t.refused")); } else setError(errorText(err));
    }
  };
  const remove = async () => {
    if (!confirm(t("kbd.t.delete_confirm", { title: draft.title }))) return;
    try { await del(`/kb/trees/${draft.id}`); setDraft(null); load(); toast(t("kbd.t.deleted")); }
    catch (err) { setError(errorText(err)); }
  };
  return html`<div class="screen kbt" id="kb-trees">
    <section class="panel">
      <h2>${t("kbd.t.title")}</h2>
      <button type="button" id="kbt-new" onClick=${() => edit(blank(cats[0]?.id))}>${t("kbd.t.new")}</button>
      ${trees === null ? html`<p class="muted">${t("kbd.loading")}</p>` : html`<ul class="kbt-trees" id="kbt-list">
        ${trees.map((tr) => html`<li key=${tr.id} data-tree=${tr.id} class=${draft?.id === tr.id ? "active" : ""}>
          <button type="button" onClick=${() => edit({ ...tr, nodes: tr.shape.nodes, edges: tr.shape.edges })}>
            ${tr.title}${tr.enabled ? "" : ` (${t("kbd.t.disabled")})`}</button></li>`)}
        ${trees.length ? null : html`<li class="muted">${t("kbd.t.none")}</li>`}</ul>`}
    </section>
    <section class="panel">
      ${error && html`<p class="error" id="kbt-error">${error}</p>`}
      ${draft ? html`<${Editor} draft=${draft} cats=${cats} found=${found} titles=${titles}
          onChange=${change} onTitle=${(id, title) => setTitles((m) => ({ ...m, [id]: title }))}
          onCheck=${check} onSave=${save} onDelete=${draft.id ? remove : null} />`
        : html`<p class="muted">${t("kbd.t.pick")}</p>`}
    </section>
  </div>`;
}

function Editor({ draft, cats, found, titles, onChange, onTitle, onCheck, onSave, onDelete }) {
  const [open, setOpen] = useState(null);     // "node:<id>" | "answer:<id>": the form shown
  const set = (k) => (e) => onChange({ ...draft, [k]: e.currentTarget.type === "checkbox" ? e.currentTarget.checked : e.currentTarget.value });
  const byNode = {};
  for (const p of found || []) (byNode[p.node] ??= []).push(p.message);
  const ops = {
    open, setOpen, titles, onTitle, byNode,
    node: (id) => draft.nodes.find((n) => n.id === id),
    label: (n) => (n?.kind === "solution" ? (n.article_id ? titles[n.article_id] || `#${n.article_id}` : "") : n?.text || ""),
    saveNode: (id, node) => { onChange({ ...draft, nodes: draft.nodes.map((n) => (n.id === id ? node : n)) }); setOpen(null); },
    deleteNode: (id) => onChange({ ...draft, nodes: draft.nodes.filter((n) => n.id !== id),
                                   edges: draft.edges.filter((e) => e.source !== id && e.target !== id) }),
    // a new answer, or `old` changed: to `target`, or to a new node of `kind` (asking `text`)
    putAnswer: (old, source, label, target, kind, text) => {
      let nodes = draft.nodes;
      if (!target) { target = freshId(nodes, kind); nodes = [...nodes, { id: target, kind, text, article_id: null }]; }
      const edge = { source, target, label };
      onChange({ ...draft, nodes, edges: old ? draft.edges.map((e) => (e === old ? edge : e)) : [...draft.edges, edge] });
      setOpen(null);
    },
    edgeKey: (edge) => `edge:${draft.edges.indexOf(edge)}`,
    deleteAnswer: (edge) => onChange({ ...draft, edges: draft.edges.filter((e) => e !== edge) }),
    all: draft.nodes,
  };
  const { items, rest } = layout(draft);
  const addLoose = () => onChange({ ...draft, nodes: [...draft.nodes, { id: freshId(draft.nodes, "question"), kind: "question", text: "", article_id: null }] });
  return html`<div id="kbt-editor" data-tree=${draft.id || "new"}>
    <div class="kbt-meta">
      <label><span>${t("kbd.t.name")}</span><input name="title" id="kbt-title" required maxlength="200"
             value=${draft.title} onInput=${set("title")} /></label>
      <label><span>${t("kbd.t.category")}</span><select name="category_id" id="kbt-category"
             value=${String(draft.category_id)} onChange=${set("category_id")}>
        ${cats.map((c) => html`<option key=${c.id} value=${String(c.id)}>${c.name}</option>`)}</select></label>
      <label class="inline"><input type="checkbox" name="enabled" checked=${draft.enabled} onChange=${set("enabled")} />
        ${t("kbd.t.enabled")}</label>
    </div>
    ${(byNode[""] || []).map((m, i) => html`<p key=${i} class="error" data-node="">${problemText(m)}</p>`)}
    <ul class="kbt-outline top" id="kbt-outline">${items.map((it) => html`<${NodeItem} key=${it.id} item=${it} ops=${ops} />`)}
      ${rest.length ? html`<li class="muted">${t("kbd.t.in_loop")}</li>${rest.map((it) => html`<${NodeItem} key=${it.id}
          item=${it} ops=${ops} />`)}` : null}</ul>
    <div class="buttons">
      <button type="button" id="kbt-add-node" onClick=${addLoose}>${t("kbd.t.add_node")}</button>
      <span class="spacer"></span>
      <button type="button" id="kbt-check" onClick=${onCheck}>${t("kbd.t.check")}</button>
      <button type="button" id="kbt-save" class="primary" onClick=${onSave}>${t("kbd.t.save")}</button>
      ${onDelete && html`<button type="button" id="kbt-delete" class="danger" onClick=${onDelete}>${t("kbd.t.delete")}</button>`}
    </div>
    ${found && !found.length && html`<p class="ok" id="kbt-ok">${t("kbd.t.no_problems")}</p>`}
  </div>`;
}

/** A node, its problems, its answers and (drawn once) the nodes they lead to. */
function NodeItem({ item, ops }) {
  const id = item.id;
  const n = ops.node(id);
  if (!n) return html`<li class="error">${id}?</li>`;
  const mine = ops.byNode[id] || [];
  const text = ops.label(n) || html`<i class="muted">${t(n.kind === "solution" ? "kbd.t.no_article" : "kbd.t.no_text")}</i>`;
  return html`<li data-node=${id}>
    <div class=${`kbt-node${mine.length ? " has-problem" : ""}`} data-node=${id}>
      <code>${id}</code><span class=${`kbt-kind ${n.kind}`}>${t(`kbd.t.kind.${n.kind}`)}</span>
      <span class="kbt-text">${text}</span>
      <button type="button" class="small" data-edit=${id} onClick=${() => ops.setOpen(`node:${id}`)}>${t("kbd.t.edit")}</button>
      ${n.kind === "question" && html`<button type="button" class="small" data-add-answer=${id}
          onClick=${() => ops.setOpen(`answer:${id}`)}>${t("kbd.t.add_answer")}</button>`}
      <button type="button" class="small danger" data-delete=${id} onClick=${() => ops.deleteNode(id)}>${t("kbd.t.delete_node")}</button>
      ${mine.length ? html`<ul class="kbt-problems" data-node=${id}>${mine.map((m, i) => html`<li key=${i}>${problemText(m)}</li>`)}</ul>` : null}
      ${ops.open === `node:${id}` && html`<${NodeForm} node=${n} ops=${ops} />`}
      ${ops.open === `answer:${id}` && html`<${AnswerForm} source=${id} ops=${ops} />`}
    </div>
    ${item.answers.length ? html`<ul class="kbt-outline">${item.answers.map(({ edge: e, ref, child }, i) => html`<li key=${i}>
      <button type="button" class="kbt-answer link" data-answer=${e.label} title=${t("kbd.t.edit")}
              onClick=${() => ops.setOpen(ops.edgeKey(e))}>→ ${e.label}</button>
      <button type="button" class="small" title=${t("kbd.t.delete_answer")} onClick=${() => ops.deleteAnswer(e)}>×</button>
      ${ops.open === ops.edgeKey(e) && html`<${AnswerForm} source=${id} edge=${e} ops=${ops} />`}
      ${ref === "loop" ? html` <span class="error">↺ ${e.target} ${ops.label(ops.node(e.target))}</span>`
        : ref === "seen" ? html` <span class="muted">↪ ${e.target} ${ops.label(ops.node(e.target))}</span>`
        : html`<ul class="kbt-outline"><${NodeItem} item=${child} ops=${ops} /></ul>`}
    </li>`)}</ul>` : null}
  </li>`;
}

function NodeForm({ node, ops }) {
  const [kind, setKind] = useState(node.kind);
  const [text, setText] = useState(node.text || "");
  const [article, setArticle] = useState(node.article_id);
  const [q, setQ] = useState("");
  const hits = useTyped(q);
  const submit = (e) => { e.preventDefault(); ops.saveNode(node.id, { ...node, kind, text, article_id: kind === "solution" ? article : null }); };
  return html`<form class="kbt-form" id="kbt-node-form" onSubmit=${submit}>
    <label><span>${t("kbd.t.kind")}</span><select name="kind" value=${kind} onChange=${(e) => setKind(e.currentTarget.value)}>
      ${["question", "solution"].map((k) => html`<option key=${k} value=${k}>${t(`kbd.t.kind.${k}`)}</option>`)}</select></label>
    <label><span>${t(kind === "question" ? "kbd.t.question" : "kbd.t.words")}</span>
      <input name="text" size="40" maxlength="1000" value=${text} onInput=${(e) => setText(e.currentTarget.value)} /></label>
    ${kind === "solution" && html`<label><span>${t("kbd.t.article")}: ${article ? ops.titles[article] || `#${article}` : "—"}</span>
      <input type="search" name="article_q" placeholder=${t("kbd.search")} value=${q}
             onKeyDown=${(e) => { if (e.key === "Enter") e.preventDefault(); }}
             onInput=${(e) => setQ(e.currentTarget.value)} /></label>
      ${hits && html`<ul class="kbd-list" id="kbt-article-hits">${hits.map((h) => html`<li key=${h.id}>
        <button type="button" data-pick=${h.id} onClick=${() => { setArticle(h.id); ops.onTitle(h.id, h.live?.title || ""); setQ(""); }}>
          ${h.live?.title}</button></li>`)}</ul>`}`}
    <button type="submit" class="primary small">${t("kbd.t.ok")}</button>
    <button type="button" class="small" onClick=${() => ops.setOpen(null)}>${t("kbd.close")}</button>
  </form>`;
}

/** A new answer of `source`, or `edge` changed (its label, where it leads). */
function AnswerForm({ source, edge, ops }) {
  const [label, setLabel] = useState(edge?.label || "");
  const [target, setTarget] = useState(edge?.target || "+question");
  const [text, setText] = useState("");
  const fresh = target.startsWith("+");
  const submit = (e) => {
    e.preventDefault();
    if (!label.trim()) return;
    ops.putAnswer(edge || null, source, label.trim(), fresh ? "" : target, fresh ? target.slice(1) : "", text);
  };
  return html`<form class="kbt-form" id=${edge ? "kbt-edge-form" : "kbt-answer-form"} onSubmit=${submit}>
    <label><span>${t("kbd.t.answer")}</span><input name="label" required maxlength="100" value=${label}
           onInput=${(e) => setLabel(e.currentTarget.value)} /></label>
    <label><span>${t("kbd.t.leads_to")}</span><select name="target" value=${target} onChange=${(e) => setTarget(e.currentTarget.value)}>
      <option value="+question">${t("kbd.t.new_question")}</option>
      <option value="+solution">${t("kbd.t.new_solution")}</option>
      ${ops.all.filter((n) => n.id !== source).map((n) => html`<option key=${n.id} value=${n.id}>${n.id} · ${n.text || t(`kbd.t.kind.${n.kind}`)}</option>`)}
    </select></label>
    ${target === "+question" && html`<label><span>${t("kbd.t.question")}</span><input name="text" size="30"
        maxlength="1000" value=${text} onInput=${(e) => setText(e.currentTarget.value)} /></label>`}
    <button type="submit" class="primary small">${t("kbd.t.ok")}</button>
    <button type="button" class="small" onClick=${() => ops.setOpen(null)}>${t("kbd.close")}</button>
  </form>`;
}
