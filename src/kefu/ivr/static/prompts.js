// Uploaded prompts (提示音), for admins: the list per language and the upload form (WAV or
// MP3, converted to 8 kHz mono by the server); a refused upload shows the server's reason.

import { html } from "htm/preact";
import { useState } from "preact/hooks";
import { errorText } from "/static/shell/api.js";
import { t } from "/static/shell/i18n.js";
import { resource } from "/static/shell/store.js";
import { fmtDuration, fmtTime, toast } from "/static/shell/util.js";
import { send } from "./common.js";

const prompts = resource("/ivr/prompts", { every: 60000, key: (p) => `${p.language}/${p.name}` });

export default function Prompts() {
  const items = prompts.use();
  const [refused, setRefused] = useState("");
  async function upload(e) {
    e.preventDefault();
    const form = e.currentTarget;
    try {
      await send("POST", "/ivr/prompts", new FormData(form));
      setRefused("");
      toast(t("ivr.uploaded"));
      form.reset();
      prompts.refresh();
    } catch (err) {
      setRefused(errorText(err));
    }
  }
  return html`<section class="panel ivr" id="ivr-prompts-screen">
    <h2>${t("nav.ivr_prompts")}</h2>
    <form id="prompt-upload" class="buttons" onSubmit=${upload}>
      <input name="name" required pattern="[A-Za-z0-9_][A-Za-z0-9_\\-]{0,63}" placeholder=${t("ivr.name")} />
      <select name="language"><option value="zh">中文</option><option value="en">English</option></select>
      <input type="file" name="file" required accept=".wav,.mp3,audio/wav,audio/mpeg" />
      <button type="submit" class="primary">${t("ivr.upload")}</button>
    </form>
    ${refused && html`<p id="prompt-refused" class="bad-text">${t("ivr.refused")}: ${refused}</p>`}
    <table id="ivr-prompts" class="kv ivr-table">
      <thead><tr><th>${t("ivr.name")}</th><th>${t("ivr.language")}</th><th>${t("ivr.duration")}</th>
        <th>${t("ivr.author")}</th><th>${t("ivr.when")}</th></tr></thead>
      <tbody>${(items ?? []).map((p) => html`<tr key=${`${p.language}/${p.name}`} data-name=${p.name}>
        <td>${p.name}</td><td>${p.language}</td><td>${fmtDuration(p.duration)}</td>
        <td>${p.uploaded_by}</td><td>${fmtTime(p.updated_at)}</td></tr>`)}
        ${items && !items.length ? html`<tr><td colspan="5" class="muted">${t("ivr.none")}</td></tr>` : null}</tbody>
    </table>
  </section>`;
}
