// The desk's follow-ups (回访): the agent's own open follow-ups, soonest due first, overdue
// ones marked, each with 呼叫 / Call and, once started, its outcome form.  The desk places
// it (`import FollowupList from "/static/followups/desk.js"`); it follows followup.* events.

import { html } from "htm/preact";
import { useEffect, useState } from "preact/hooks";
import { t } from "/static/shell/i18n.js";
import { useEvents } from "/static/shell/store.js";
import { debounce, run } from "/static/shell/util.js";
import { Due, OutcomeForm, callFollowup, customerText, kindText, openFollowups } from "./common.js";

export default function FollowupList() {
  const [items, setItems] = useState(null);
  const load = async () => {
    const got = await run(() => openFollowups("&mine=true"));
    if (got && got !== true) setItems(got);
  };
  useEffect(() => { load(); }, []);
  const later = debounce(load, 300, 1000);
  useEvents((msg) => { if (msg.type?.startsWith("followup.")) later(); });
  const replace = (f) => f && setItems((list) => (list ?? []).map((x) => (x.id === f.id ? f : x))
    .filter((x) => ["pending", "in_progress"].includes(x.state)));
  return html`<section class="panel fu fu-desk" id="desk-followups">
    <h3>${t("fu.desk_title")} ${items?.length ? html`<small>(${items.length})</small>` : null}</h3>
    ${items && !items.length ? html`<p class="muted">${t("fu.none")}</p>` : null}
    <ul>${(items ?? []).map((f) => html`<li key=${f.id} data-id=${f.id} data-state=${f.state} class=${f.overdue ? "overdue" : ""}>
      <${Due} f=${f} /> · ${kindText(f.kind)} · <span class="customer">${customerText(f)}</span>
      ${f.note ? html`<div class="muted">${f.note}</div>` : null}
      ${f.state === "pending" ? html` <button type="button" class="call" onClick=${async () => replace(await callFollowup(f))}>${t("fu.call")}</button>` : null}
      ${f.state === "in_progress" ? html`<${OutcomeForm} f=${f} onDone=${replace} />` : null}
    </li>`)}</ul>
  </section>`;
}

export { FollowupList };
