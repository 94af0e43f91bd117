// The announcements slice's screens (公告): the list agents read and acknowledge on the
// desk (and staff read on the wallboard, with how many acknowledged), and the form staff
// post with, to every agent, agents and/or groups (技能组 = queues) ticked in lists: the
// agents from the transfer directory (GET /directory?kind=agent, which staff may read).

import { html } from "htm/preact";
import { useState } from "preact/hooks";
import { errorText, post } from "/static/shell/api.js";
import { later, t } from "/static/shell/i18n.js";
import { resource } from "/static/shell/store.js";
import { fmtTime, run, toast } from "/static/shell/util.js";

const MISSING = new Set([404, 405, 501]);
const AGENT_LIMIT = 200;     // the directory's most per request

/** The agents one can name as recipients: [{value: username, label: name, …}]. */
const agentList = resource(`/directory?kind=agent&limit=${AGENT_LIMIT}`, {
  prefixes: ["agent.login", "agent.logout", "agent.skills"], every: 60000, key: (a) => a.value,
  volatile: ["state"], map: (list) => [...list].sort((a, b) => a.value.localeCompare(b.value)),
});

/** GET /announcements: what reaches this user, newest first; fresh on announcement.* events. */
export const announcements = resource("/announcements", {
  prefixes: ["announcement."], every: 60000, key: (a) => a.id,
  map: (body) => (Array.isArray(body) ? body : body?.items || []),
});

async function acknowledge(id) {
  await run(() => post(`/announcements/${encodeURIComponent(id)}/ack`));
  announcements.refresh();
}

/** Who it was posted to: its groups and named agents, or every agent; staff also see how
 *  many it reached (`recipients`, resolved when posted). */
function Addressee({ a }) {
  const agents = a.audience || [];
  const groups = a.groups || [];
  const reach = Array.isArray(a.recipients) && a.recipients.length ? a.recipients : null;
  return html`<div class="small ann-to"><span class="muted">${t("ann.to")}: </span>
    ${groups.map((g) => html`<span class="ann-group" data-group=${g}>${t("ann.group", { name: g })}</span> `)}
    ${agents.length ? html`<span class="ann-agents">${agents.join(", ")}</span>` : null}
    ${!groups.length && !agents.length ? html`<span class="ann-all">${t("ann.to_all")}</span>` : null}
    ${reach && html`<span class="muted ann-reach" title=${reach.join(", ")}> ${t("ann.reach", { n: reach.length })}</span>`}
  </div>`;
}

function Item({ a, canAck }) {
  const acked = Boolean(a.acked);
  return html`<li class=${canAck && !acked ? "unread" : "acked"} data-id=${a.id}>
    <div class="ann-head"><b>${a.title || ""}</b>
      <small class="muted"> ${fmtTime(a.created_at)} ${a.author || ""}</small>
      ${a.acks === null || a.acks === undefined ? null : html`<small class="muted acks"> ✔ ${a.acks}</small>`}</div>
    <${Addressee} a=${a} />
    <p>${a.body || ""}</p>
    ${canAck && (acked ? html`<small class="muted">${t("ann.acked")}</small>`
      : html`<button type="button" class="small" onClick=${() => acknowledge(a.id)}>${t("ann.ack")}</button>`)}
  </li>`;
}

/** The list; `canAck`: an acknowledge button on unread items (agents). */
export function AnnouncementList({ canAck = false }) {
  const items = announcements.use();
  const failed = announcements.failed.value;
  let body;
  if (!items && failed && MISSING.has(failed.status)) body = html`<li class="muted">${t("ann.unavailable")}</li>`;
  else if (items && !items.length) body = html`<li class="muted">${t("ann.none")}</li>`;
  else body = (items || []).map((a) => html`<${Item} key=${a.id} a=${a} canAck=${canAck} />`);
  return html`<ul id="announcements" class="announcements">${body}</ul>`;
}

const toggled = (set, name, on) => {
  const next = new Set(set);
  if (on) next.add(name); else next.delete(name);
  return next;
};

/** The agents to tick, narrowed by a search box (ticked ones always show). */
function AgentPicker({ chosen, onToggle }) {
  const list = agentList.use();
  const [find, setFind] = useState("");
  const q = find.trim().toLowerCase();
  const shown = (list || []).filter((a) => chosen.has(a.value) || !q
    || a.value.toLowerCase().includes(q) || (a.label || "").toLowerCase().includes(q));
  return html`<fieldset id="announce-agents" class="announce-agents">
    <legend>${t("ann.audience")}</legend>
    ${(list?.length || 0) > 8 ? html`<input type="search" id="announce-agents-find" value=${find}
        placeholder=${t("ann.agents_filter")} onInput=${(e) => setFind(e.currentTarget.value)} />` : null}
    <span id="announce-agents-list">${shown.length
      ? shown.map((a) => html`<label key=${a.value} class="inline" data-agent=${a.value}>
          <input type="checkbox" name="audience" value=${a.value} checked=${chosen.has(a.value)}
                 onChange=${(e) => onToggle(a.value, e.currentTarget.checked)} />${a.value}${a.label && a.label !== a.value
            ? html`<small class="muted"> ${a.label}</small>` : null}</label>`)
      : html`<span class="muted">${t("ann.agents_none")}</span>`}</span>
  </fieldset>`;
}

/** The staff's form: title, text, the agents and the queues (groups) it goes to. */
export function AnnouncementForm({ queueNames }) {
  const [groups, setGroups] = useState(() => new Set());
  const [audience, setAudience] = useState(() => new Set());
  async function submit(e) {
    e.preventDefault();
    const form = e.currentTarget;
    const data = Object.fromEntries(new FormData(form));
    try {
      await post("/announcements", { title: data.title, body: data.body, audience: [...audience],
                                     groups: [...groups] });
      toast(later("ann.posted"));
      form.reset();
      setGroups(new Set());
      setAudience(new Set());
      announcements.refresh();
    } catch (err) {
      toast(MISSING.has(err.status) ? later("ann.unavailable") : later("msg.error", { detail: errorText(err) }), "error");
    }
  }
  const toggle = (name, on) => setGroups(toggled(groups, name, on));
  return html`<form id="announce-form" class="announce-form" onSubmit=${submit}>
    <label><span>${t("ann.field_title")}</span> <input name="title" required maxlength="200" /></label>
    <label class="block"><span>${t("ann.body")}</span> <textarea name="body" rows="3" required></textarea></label>
    <${AgentPicker} chosen=${audience} onToggle=${(name, on) => setAudience(toggled(audience, name, on))} />
    <fieldset id="announce-groups" class="announce-groups">
      <legend>${t("ann.groups")}</legend>
      <span id="announce-groups-list">${queueNames.length
        ? queueNames.map((name) => html`<label key=${name} class="inline" data-group=${name}>
            <input type="checkbox" name="groups" value=${name} checked=${groups.has(name)}
                   onChange=${(e) => toggle(name, e.currentTarget.checked)} />${name}</label>`)
        : html`<span class="muted">${t("ann.groups_none")}</span>`}</span>
    </fieldset>
    <small class="muted announce-hint">${t("ann.everyone_hint")}</small>
    <button type="submit" class="primary">${t("ann.post")}</button>
  </form>`;
}
