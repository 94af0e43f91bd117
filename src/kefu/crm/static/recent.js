// 最近通话: the agent's last calls on the desk (GET /calls?agent=me, its own CDRs of the
// last day, else week: taken from a queue or placed or taken on its extensions), each with time, the other party's
// number and customer name when the CRM knows it, direction, talk time and disposition,
// and a call-back button that places the call through the desk's click-to-call (`onDial`,
// the desk's dial(): POST /live-calls).  Read again when one of the agent's calls ends.
// Also CallList, the same rows for one number (the pop of a caller who is no customer).

import { html } from "htm/preact";
import { useEffect, useState } from "preact/hooks";
import { errorText, get } from "/static/shell/api.js";
import { label, t } from "/static/shell/i18n.js";
import { onSignOut, useEvents, user } from "/static/shell/store.js";
import { fmtTime } from "/static/shell/util.js";
import { spoken } from "./timeline.js";

const SHOWN = 10;
// how far back, tried in turn until one gives SHOWN calls: the query reads the event log
// from there (measured on 100k calls over 35 days: 1 day ~30 ms, 7 days ~300 ms)
const SPANS = [1, 7];
const names = new Map();             // number → its customers' names, this sign-in (a number
                                     // with none is asked again: it may become a customer)
onSignOut(() => names.clear());

/** The customers' names of `numbers` (GET /customers?number=, the pop's own lookup),
 *  read once per number. */
async function nameAll(numbers) {
  await Promise.all(numbers.filter((n) => n && !names.has(n)).map(async (n) => {
    try {
      const found = await get(`/customers?number=${encodeURIComponent(n)}`);
      const known = (Array.isArray(found) ? found : []).map((c) => c.name).filter(Boolean).join(", ");
      if (known) names.set(n, known);
    } catch { /* no CRM, or not for this role: the number alone */ }
  }));
}

/** A CDR as the agent sees it: outbound when one of `own` (its extensions) placed it. */
export function asSeen(cdr, own) {
  const outbound = own.includes(cdr.caller);
  return { ...cdr, direction: outbound ? "outbound" : "inbound",
           other: outbound ? cdr.callee : cdr.caller };
}

/** Today's calls by their time of day, older ones by date and time (a narrow column). */
function when(ts) {
  const d = new Date(ts * 1000);
  const hm = d.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
  return d.toDateString() === new Date().toDateString() ? hm
    : `${d.toLocaleDateString([], { month: "numeric", day: "numeric" })} ${hm}`;
}

function Row({ c, onDial, busy }) {
  const name = names.get(c.other) || c.caller_name && c.direction === "inbound" && c.caller_name || "";
  return html`<tr data-call=${c.call_id} data-number=${c.other}>
    <td class="muted small" title=${fmtTime(c.start_ts)}>${when(c.start_ts)}</td>
    <td><b class="rc-number">${c.other}</b>${name ? html`<br /><span class="rc-name">${name}</span>` : null}</td>
    <td>${label("tl.dir", c.direction)}</td>
    <td class="num">${c.answer_ts ? spoken(c.duration) : "—"}</td>
    <td>${label("tl.disp", c.disposition)}</td>
    <td>${onDial && html`<button type="button" class="rc-dial" title=${t("recent.call_back")}
        disabled=${busy} onClick=${() => onDial(c.other)}>☎ ${t("recent.call_back")}</button>`}</td>
  </tr>`;
}

/** The rows of the first of `paths` (GET /calls pages) that fills its page, else of the
 *  last, named; `version` reads them again. */
function useCalls(paths, limit, own, version) {
  const [calls, setCalls] = useState(null);
  const [error, setError] = useState("");
  useEffect(() => {
    let live = true;
    (async () => {
      try {
        let page = null;
        for (const path of paths) {
          page = await get(path);
          if (page.items.length >= limit) break;
        }
        // a call still on is the desk's call panel's, not a past contact
        const seen = page.items.filter((c) => c.end_ts != null).map((c) => asSeen(c, own));
        await nameAll(seen.map((c) => c.other));
        if (live) { setCalls(seen); setError(""); }
      } catch (err) {
        if (live) setError(errorText(err));
      }
    })();
    return () => { live = false; };
  }, [paths.join(" "), own.join(","), version]);
  return [calls, error];
}

function Table({ id, calls, error, onDial, busy }) {
  if (error) return html`<p class="error" id=${`${id}-error`}>${error}</p>`;
  if (!calls) return null;
  if (!calls.length) return html`<p class="muted" id=${`${id}-none`}>${t("recent.none")}</p>`;
  return html`<table class="grid" id=${id}>
    <thead><tr><th>${t("recent.time")}</th><th>${t("recent.number")}</th><th>${t("recent.direction")}</th>
      <th>${t("recent.duration")}</th><th>${t("recent.disposition")}</th><th></th></tr></thead>
    <tbody>${calls.map((c) => html`<${Row} key=${c.call_id} c=${c} onDial=${onDial} busy=${busy} />`)}</tbody>
  </table>`;
}

/** 最近通话 on the desk.  `onDial(number)`: the desk's click-to-call; `extension`: the one
 *  the agent is logged in on (its calls from there are outbound); `busy`: a call is on. */
export default function RecentCalls({ onDial, extension = "", busy = false }) {
  const [version, setVersion] = useState(0);
  useEvents((msg) => {
    // a CDR is written once the event log has the call's end: read again a little later
    if (msg.type === "call.ended" || msg.type === "queue.complete") {
      setTimeout(() => setVersion((v) => v + 1), 1000);
      setTimeout(() => setVersion((v) => v + 1), 4000);
    }
  });
  const own = extension ? [extension] : [];
  // `since` by the hour, so that the paths (the effect's key) stay the same meanwhile
  const hour = Math.floor(Date.now() / 3600e3) * 3600;
  const paths = SPANS.map((days) => `/calls?agent=me&since=${hour - days * 86400}&limit=${SHOWN}`);
  const [calls, error] = useCalls(paths, SHOWN, own, version);
  if (!user.value) return null;
  return html`<section class="panel" id="recent-panel">
    <h2>${t("recent.title")}</h2>
    <${Table} id="recent-calls" calls=${calls} error=${error} onDial=${onDial} busy=${busy} />
  </section>`;
}

/** One number's last calls (the pop of a caller who is no customer yet): every agent's,
 *  from the CDRs; `onDial` as above. */
export function NumberCalls({ number, onDial, limit = 5 }) {
  const [calls, error] = useCalls([`/calls?number=${encodeURIComponent(number)}&limit=${limit}`], limit, [], 0);
  if (!number || !calls?.length && !error) return null;
  // here the number is the caller or the callee: the other party is always `number`
  const rows = (calls || []).map((c) => ({ ...c, direction: c.caller === number ? "inbound" : "outbound",
                                          other: number }));
  return html`<div id="customer-calls"><h3>${t("recent.number_calls")}</h3>
    <${Table} id="number-calls" calls=${rows} error=${error} onDial=${onDial} /></div>`;
}
