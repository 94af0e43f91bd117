// The example lists (培训案例): good and bad calls inspectors picked, with their note,
// that trainers play to new staff; inspectors take one off the list here.

import { html } from "htm/preact";
import { useEffect, useState } from "preact/hooks";
import { del, get } from "/static/shell/api.js";
import { t } from "/static/shell/i18n.js";
import { user } from "/static/shell/store.js";
import { fmtTime, run } from "/static/shell/util.js";
import { Player } from "./common.js";

const INSPECTORS = ["qa", "supervisor", "admin"];

export default function Examples() {
  const [items, setItems] = useState([]);
  const [playing, setPlaying] = useState(null);
  const load = () => run(() => get("/qa/examples")).then((x) => x && setItems(x));
  useEffect(() => { load(); }, []);
  const inspector = INSPECTORS.includes(user.value?.role);
  const list = (kind) => html`<div class="col"><h3>${t(`qa.${kind}_examples`)}</h3>
    <table id=${`qa-${kind}-examples`} class="kv"><tbody>
    ${items.filter((e) => e.kind === kind).map((e) => html`<tr key=${e.recording_id} data-id=${e.recording_id}>
      <td>${e.note || "—"}<div class="muted">${e.agent ?? ""} · ${e.score ?? "—"} · ${e.author} · ${fmtTime(e.created_at)}</div>
        ${playing === e.recording_id ? html`<${Player} recordingId=${e.recording_id} />` : null}</td>
      <td><button type="button" class="play" onClick=${() => setPlaying(e.recording_id)}>${t("qa.play")}</button>
        ${inspector ? html`<button type="button" class="remove" onClick=${async () => { if (await run(() => del(`/qa/examples/${e.recording_id}`))) load(); }}>${t("qa.remove")}</button>` : null}</td></tr>`)}
    ${items.some((e) => e.kind === kind) ? null : html`<tr><td class="muted">${t("qa.none")}</td></tr>`}
    </tbody></table></div>`;
  return html`<section class="panel qa" id="qa-examples-screen">
    <h2>${t("nav.qa_examples")}</h2>
    <div class="row">${list("good")}${list("bad")}</div>
  </section>`;
}
