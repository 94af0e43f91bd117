// Small helpers every screen shares: durations and times, a debounce, the toasts, running
// an API action, the one-second clock, and keeping unchanged list items identical so that
// keyed rows re-render only when their own data changed.

import { Component } from "preact";
import { html } from "htm/preact";
import { signal } from "@preact/signals";
import { errorText } from "./api.js";
import { known, lang, later, t } from "./i18n.js";

/** 75 → "01:15", 3725 → "1:02:05" */
export function fmtDuration(seconds) {
  const s = Math.max(0, Math.floor(seconds || 0));
  const h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60), r = s % 60;
  const mm = String(m).padStart(2, "0"), ss = String(r).padStart(2, "0");
  return h ? `${h}:${mm}:${ss}` : `${mm}:${ss}`;
}

export function fmtTime(ts) {
  if (ts === undefined || ts === null || ts === "") return "";
  const d = typeof ts === "number" ? new Date(ts < 1e12 ? ts * 1000 : ts) : new Date(ts);
  return isNaN(d) ? String(ts) : d.toLocaleString();
}

/** Run `fn` once calls stop for `ms`, but no later than `maxWait` after the first one:
 *  a steady stream of events must not starve the refresh. */
export function debounce(fn, ms, maxWait = Infinity) {
  let timer = null, first = 0;
  return (...args) => {
    const now = Date.now();
    if (timer === null) first = now;
    clearTimeout(timer);
    timer = setTimeout(() => { timer = null; fn(...args); }, Math.max(0, Math.min(ms, first + maxWait - now)));
  };
}

/** Milliseconds since the epoch, updated once a second: the ticking clocks read it, so
 *  only they re-render each second. */
export const now = signal(Date.now());
setInterval(() => { now.value = Date.now(); }, 1000);

/** The toasts shown at the bottom of the shell: [{id, kind, message}]. */
export const toasts = signal([]);
let toastId = 0;

/** A short message at the bottom of the page; kind "error" stays longer.  `message`: a
 *  text, or `later(key, vars)`: then `item.message` translates it each time it is read,
 *  so the toasts (which read it while rendering, as `t()` does) follow a language switch. */
export function toast(message, kind = "info") {
  const text = typeof message === "function" ? message : () => message;
  const item = { id: ++toastId, kind, get message() { return text(); } };
  toasts.value = [...toasts.value, item];
  setTimeout(() => { toasts.value = toasts.value.filter((x) => x !== item); }, kind === "error" ? 8000 : 3500);
}

/** Run an API action: on success toast `okMessage` (if any: a text or `later(key)`) and
 *  return the result (true for an empty one); on failure toast the reason and return
 *  undefined. */
export async function run(fn, okMessage) {
  try {
    const out = await fn();
    if (okMessage) toast(okMessage);
    return out ?? true;
  } catch (err) {
    toast(later("msg.error", { detail: errorText(err) }), "error");
    return undefined;
  }
}

/** `next` with every item equal to the `prev` item of the same key (same JSON, but for the
 *  `volatile` fields: clocks that grow between refreshes) replaced by that item: a
 *  refresh that changed one row hands the others back unchanged, so a `Pure` row
 *  component skips them.  A kept item keeps its old volatile fields, which stay true
 *  together (a wait and when it was measured). */
export function keepSame(prev, next, key, volatile = []) {
  if (!Array.isArray(prev) || !Array.isArray(next)) return next;
  const skip = new Set(volatile);
  const stable = (item) => JSON.stringify(item, (k, v) => (skip.has(k) ? undefined : v));
  const old = new Map(prev.map((item) => [key(item), item]));
  return next.map((item) => {
    const was = old.get(key(item));
    return was && stable(was) === stable(item) ? was : item;
  });
}

/** A component that renders again only when a prop changed (shallow compare) or the
 *  language did: the rows of keyed tables.  `class Row extends Pure { render(props) {…} }` */
export class Pure extends Component {
  shouldComponentUpdate(next) {
    if (this.shownLang !== lang.peek()) return true;
    const keys = new Set([...Object.keys(this.props), ...Object.keys(next)]);
    for (const k of keys) if (k !== "children" && this.props[k] !== next[k]) return true;
    return false;
  }

  componentDidUpdate() { this.shownLang = lang.peek(); }

  componentDidMount() { this.shownLang = lang.peek(); }
}

/** One <option> per value of a server choice list (GET /choices): translated when the
 *  dictionary knows `${prefix}.${value}`, else the value as configured. */
export function options(prefix, values) {
  // the value also as an attribute (Preact sets the property only, and skips it when the
  // text already gives that value): option[value=…] selectors see every choice
  const attr = (value) => (node) => node?.setAttribute("value", value);
  return (values || []).map((value) => html`<option key=${value} value=${value} ref=${attr(value)}>
    ${known(`${prefix}.${value}`) ? t(`${prefix}.${value}`) : value}</option>`);
}

/** A link that dials `number` (click-to-call) through `onDial`. */
export function DialLink({ number, onDial }) {
  if (!number) return null;
  return html`<a href="#" class="dial-link" data-dial=${number}
    onClick=${(e) => { e.preventDefault(); onDial?.(number); }}>${number}</a>`;
}

/** A duration that grows each second: `base` seconds at `from` (ms), plus the time since
 *  when `running`.  Only this text re-renders each second, not the row around it. */
export function Elapsed({ base = 0, from, running = true }) {
  return fmtDuration(base + (running ? (now.value - from) / 1000 : 0));
}

/** A list's pages: previous, "from–to of total", next, page size.  `page` is the API's
 *  page (`items`, `total`, `offset`, `limit`; `total_capped`: the count stopped at the
 *  API's cap, so there is more while pages come back full); `onGo({offset, limit})` asks
 *  for another; `prefix` names the elements (`<prefix>-prev` …); `none` is the i18n key
 *  for an empty result. */
export function Pager({ prefix, page, sizes, onGo, none, children }) {
  if (!page) return null;
  const { offset, limit } = page;
  const last = offset + page.items.length;
  const more = page.total_capped ? page.items.length === limit : last < page.total;
  const total = page.total_capped ? `${page.total}+` : page.total;
  return html`<div class=${`buttons ${prefix}-pager`} id=${`${prefix}-pager`}>
    <button type="button" id=${`${prefix}-prev`} disabled=${offset === 0}
            onClick=${() => onGo({ offset: Math.max(0, offset - limit) })}>${t("page.prev")}</button>
    <span id=${`${prefix}-range`}>${page.items.length ? t("page.range", { from: offset + 1, to: last, total })
                                                      : t(none)}</span>
    <button type="button" id=${`${prefix}-next`} disabled=${!more}
            onClick=${() => onGo({ offset: offset + limit })}>${t("page.next")}</button>
    <label class="inline">${t("page.per_page")}
      <select id=${`${prefix}-limit`} value=${limit}
              onChange=${(e) => onGo({ offset: 0, limit: Number(e.currentTarget.value) })}>
        ${sizes.map((n) => html`<option key=${n} value=${n}>${n}</option>`)}</select></label>
    ${children}
  </div>`;
}
