// Scorecard templates (评分表): the list, and an editor of a template as text: YAML or
// JSON (shown as JSON; JSON is YAML, the server reads either).
// Saving a template evaluations already use makes a new version (they keep theirs);
// a problem names the criterion.

import { html } from "htm/preact";
import { useEffect, useState } from "preact/hooks";
import { get, errorText } from "/static/shell/api.js";
import { t } from "/static/shell/i18n.js";
import { fmtTime, run, toast } from "/static/shell/util.js";
import { postText } from "./common.js";

const STARTER = {
  name: "热线标准", description: "",
  sections: [
    { title: "开场", criteria: [
      { key: "greeting", label: "标准问候语", weight: 1, kind: "yes_no", critical: false },
      { key: "identity", label: "核实客户身份", weight: 0, kind: "yes_no", critical: true }] },
    { title: "服务", criteria: [
      { key: "courtesy", label: "礼貌用语", weight: 2, kind: "scale_5", critical: false },
      { key: "solved", label: "问题解决", weight: 2, kind: "scale_10", critical: false }] },
  ],
};

const asText = (definition) => JSON.stringify(definition, null, 2);

function definitionOf(card) {
  return { name: card.name, description: card.description,
           sections: card.sections.map((s) => ({ title: s.title, criteria: s.criteria })) };
}

export default function Scorecards() {
  const [cards, setCards] = useState([]);
  const [text, setText] = useState(asText(STARTER));
  const [problem, setProblem] = useState("");
  const [versions, setVersions] = useState([]);
  const load = () => run(() => get("/qa/scorecards")).then((c) => c && setCards(c));
  useEffect(() => { load(); }, []);
  const open = async (card) => {
    setText(asText(definitionOf(card)));
    setProblem("");
    setVersions((await run(() => get(`/qa/scorecards/${card.id}/versions`))) || []);
  };
  const save = async () => {
    try {
      const card = await postText("/qa/scorecards", text);
      setProblem("");
      toast(t("qa.saved_version", { name: card.name, n: card.version }));
      await load();
      await open(card);
    } catch (err) { setProblem(errorText(err)); }
  };
  return html`<section class="panel qa" id="qa-scorecards-screen">
    <h2>${t("nav.qa_scorecards")}</h2>
    <div class="row">
      <div class="col">
        <table id="qa-cards" class="kv">
          <thead><tr><th>${t("qa.name")}</th><th>${t("qa.version")}</th><th>${t("qa.criteria")}</th><th>${t("qa.author")}</th></tr></thead>
          <tbody>${cards.map((c) => html`<tr key=${c.id} data-name=${c.name} data-version=${c.version}>
            <td><a href="#" onClick=${(e) => { e.preventDefault(); open(c); }}>${c.name}</a></td>
            <td>v${c.version}${c.used ? html` <span class="muted">(${t("qa.in_use")})</span>` : null}</td>
            <td>${c.sections.reduce((n, s) => n + s.criteria.length, 0)}</td><td>${c.author}</td></tr>`)}
          ${cards.length ? null : html`<tr><td colspan="4" class="muted">${t("qa.none")}</td></tr>`}</tbody>
        </table>
        <p><button type="button" id="qa-card-new" onClick=${() => { setText(asText(STARTER)); setVersions([]); }}>${t("qa.new_card")}</button></p>
        ${versions.length ? html`<h3>${t("qa.versions")}</h3><ul id="qa-card-versions">${versions.map((v) => html`<li key=${v.id}>
          v${v.version} · ${v.author} · ${fmtTime(v.created_at)}${v.used ? ` · ${t("qa.in_use")}` : ""}</li>`)}</ul>` : null}
        <p class="muted">${t("qa.card_help")}</p>
      </div>
      <div class="col">
        <textarea id="qa-card-text" class="qa-editor" spellcheck="false" value=${text}
          onInput=${(e) => setText(e.currentTarget.value)} />
        <p id="qa-card-problem" class="qa-problem">${problem}</p>
        <button type="button" id="qa-card-save" onClick=${save}>${t("qa.save")}</button>
      </div>
    </div>
  </section>`;
}
