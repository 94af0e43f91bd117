// Small DOM and formatting helpers shared by the desktop and the wallboard.

import { errorText } from "./api.js";
import { t } from "./i18n.js";

// inside the web shell (an <iframe> of /): the shell has the sign-out, language and
// navigation, so style.css hides this page's own
if (window.top !== window) document.documentElement.classList.add("embedded");

export const $ = (sel, root = document) => root.querySelector(sel);
export const $$ = (sel, root = document) => [...root.querySelectorAll(sel)];

/** el("td", {class: "num", dataset: {x: 1}, onclick}, "text", child…) */
export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k === "class") node.className = v;
    else if (k === "dataset") Object.assign(node.dataset, v);
    else if (k.startsWith("on") && typeof v === "function") node.addEventListener(k.slice(2), v);
    else if (v === true) node.setAttribute(k, "");
    else node.setAttribute(k, v);
  }
  for (const c of children.flat(Infinity)) {   // nested lists of nodes are fine
    if (c === undefined || c === null || c === false) continue;
    node.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return node;
}

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

/** A short message at the bottom of the page; kind "error" stays longer. */
export function toast(message, kind = "info") {
  let box = $("#toasts");
  if (!box) {
    box = el("div", { id: "toasts", role: "status", "aria-live": "polite" });
    document.body.append(box);
  }
  const item = el("div", { class: `toast ${kind}` }, message);
  box.append(item);
  setTimeout(() => item.remove(), kind === "error" ? 8000 : 3500);
}

/** Replace the rows of a <tbody> (or the children of any element). */
export function fill(parent, rows) {
  parent.replaceChildren(...rows.flat().filter((r) => r !== null && r !== undefined && r !== false));
}

/** Run an API action: on success toast `okMessage` (if any) and return the result (true
 *  for an empty one); on failure toast the reason and return undefined. */
export async function run(fn, okMessage) {
  try {
    const out = await fn();
    if (okMessage) toast(okMessage);
    return out ?? true;
  } catch (err) {
    toast(t("msg.error", { detail: errorText(err) }), "error");
    return undefined;
  }
}
