// The announcements list (公告), shared by the desktop (read and acknowledge) and the
// wallboard (read, with how many acknowledged).

import { t } from "./i18n.js";
import { el, fill, fmtTime } from "./util.js";

/**
 * Who an announcement was posted to: its groups (技能组, queues) and named agents, or
 * every agent; staff also get how many it reached (`recipients`, resolved when posted).
 */
function addressee(a) {
  const agents = a.audience || [];
  const named = (a.groups || []).map((g) => el("span", { class: "ann-group", dataset: { group: g } },
                                               t("ann.group", { name: g })));
  if (agents.length) named.push(el("span", { class: "ann-agents" }, agents.join(", ")));
  const parts = named.length ? named.flatMap((node, i) => (i ? [" ", node] : [node]))
    : [el("span", { class: "ann-all" }, t("ann.to_all"))];
  const reach = Array.isArray(a.recipients) && a.recipients.length
    ? el("span", { class: "muted ann-reach", title: a.recipients.join(", ") },
         ` ${t("ann.reach", { n: a.recipients.length })}`)
    : null;
  return el("div", { class: "small ann-to" }, el("span", { class: "muted" }, `${t("ann.to")}: `), parts, reach);
}

/**
 * Fill `list` (a <ul>) with `items` from GET /api/v1/announcements; `null` means the
 * endpoint is not available.  `onAck(id)`: show an acknowledge button on unread items.
 */
export function renderAnnouncements(list, items, { onAck } = {}) {
  if (items === null) return fill(list, [el("li", { class: "muted" }, t("ann.unavailable"))]);
  if (!items.length) return fill(list, [el("li", { class: "muted" }, t("ann.none"))]);
  fill(list, items.map((a) => {
    const acked = Boolean(a.acked);
    const meta = ` ${fmtTime(a.created_at)} ${a.author || ""}`;
    const acks = a.acks === null || a.acks === undefined ? null
      : el("small", { class: "muted acks" }, ` ✔ ${a.acks}`);
    let foot = null;
    if (onAck) {
      foot = acked ? el("small", { class: "muted" }, t("ann.acked"))
        : el("button", { type: "button", class: "small", onclick: () => onAck(a.id) }, t("ann.ack"));
    }
    return el("li", { class: onAck && !acked ? "unread" : "acked", dataset: { id: a.id } },
      el("div", { class: "ann-head" }, el("b", {}, a.title || ""), el("small", { class: "muted" }, meta), acks),
      addressee(a),
      el("p", {}, a.body || ""),
      foot);
  }));
}
