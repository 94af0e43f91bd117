// The shell's store: who is signed in, the one events WebSocket every screen shares, and
// resources (an API list kept fresh while some screen uses it).
//
// - `user`, `wsStatus`, `lastEvent` are signals; `onEvent(fn)` / `useEvents(fn)` get every
//   event of the stream (a screen's own reactions: offers, state changes).
// - `resource(path, {prefixes, every, key})` is a signal of GET `path`'s body, refreshed
//   when an event whose type starts with one of `prefixes` arrives (debounced: a burst is
//   one request), every `every` ms, and when the socket (re)opens — but only while a
//   mounted component `use()`s it.  Lists keep unchanged items identical (`keepSame`).
// - `onSignOut(fn)`: a screen's module-level state is cleared when the user signs out.

import { signal } from "@preact/signals";
import { useEffect, useRef } from "preact/hooks";
import { get } from "./api.js";
import { EventStream } from "./events.js";
import { debounce, keepSame } from "./util.js";

/** {token, username, role, display_name} once signed in, else null. */
export const user = signal(null);
/** The events socket: "connecting", "open" or "closed". */
export const wsStatus = signal("closed");
/** The last event of the stream (for debugging and tests: window.kefuShell.lastEvent). */
export const lastEvent = signal(null);

const listeners = new Set();
const resources = new Set();
const signOutHooks = new Set();
let stream = null;

/** Call `fn(msg)` for every event; returns the function that stops it. */
export function onEvent(fn) {
  listeners.add(fn);
  return () => listeners.delete(fn);
}

/** `onEvent` for a component's lifetime (the latest `fn` is called). */
export function useEvents(fn) {
  const ref = useRef(fn);
  ref.current = fn;
  useEffect(() => onEvent((msg) => ref.current(msg)), []);
}

function deliver(msg) {
  lastEvent.value = msg;
  for (const fn of [...listeners]) {
    try { fn(msg); } catch (err) { console.warn("event handler failed", msg.type, err); }
  }
}

/** Open the stream for the signed-in user (closing any previous one). */
export function connect(onUnauthorized) {
  stream?.stop();
  stream = new EventStream(user.peek().token, {
    onEvent: deliver,
    onStatus: (status) => {
      wsStatus.value = status;
      if (status === "open") for (const r of resources) if (r.users) r.refresh();
    },
    onUnauthorized,
  }).start();
}

/** Signed out: close the stream, forget every resource's data, clear screens' state. */
export function disconnect() {
  stream?.stop();
  stream = null;
  wsStatus.value = "closed";
  lastEvent.value = null;
  for (const r of resources) r.clear();
  for (const fn of signOutHooks) fn();
}

/** Run `fn` at each sign-out. */
export function onSignOut(fn) { signOutHooks.add(fn); }

class Resource {
  constructor(path, { prefixes = [], every = 0, key = null, volatile = [], map = (body) => body,
                      delay = 250 } = {}) {
    Object.assign(this, { path, prefixes, every, key, volatile, map });
    this.data = signal(null);      // the body, null before the first answer
    this.at = signal(0);           // when it came (ms): clocks add the time since
    this.failed = signal(null);    // the last refresh's error, if it failed
    this.users = 0;
    this.soon = debounce(() => this.refresh(), delay, 1000);
    this.timer = null;
    this.off = null;
  }

  async refresh() {
    if (!user.peek()) return;
    try {
      this.set(await get(this.path));
      this.failed.value = null;
    } catch (err) {
      this.failed.value = err;
    }
  }

  set(body) {
    body = this.map(body);
    this.data.value = this.key ? keepSame(this.data.peek(), body, this.key, this.volatile) : body;
    this.at.value = Date.now();
  }

  /** Change one item at once (an event says what changed before the next refresh). */
  patch(id, change) {
    const list = this.data.peek();
    if (Array.isArray(list)) this.data.value = list.map((item) => (this.key(item) === id ? { ...item, ...change } : item));
  }

  clear() { this.data.value = null; this.failed.value = null; }

  acquire() {
    if (this.users++) return;
    this.refresh();
    if (this.every) this.timer = setInterval(() => this.refresh(), this.every);
    if (this.prefixes.length)
      this.off = onEvent((msg) => this.prefixes.some((p) => (msg.type || "").startsWith(p)) && this.soon());
  }

  release() {
    if (--this.users) return;
    clearInterval(this.timer);
    this.off?.();
  }

  /** For a component: keep this resource fresh while mounted; returns the data. */
  use() {
    useEffect(() => { this.acquire(); return () => this.release(); }, []);
    return this.data.value;
  }
}

export function resource(path, options) {
  const r = new Resource(path, options);
  resources.add(r);
  return r;
}

// the lists more than one screen reads
/** The queues; `fetched` (ms): when `longest_wait` was measured (its clock adds the time since). */
export const queues = resource("/queues", {
  prefixes: ["queue.", "agent."], every: 5000, key: (q) => q.name, volatile: ["longest_wait", "wait", "fetched"],
  map: (list) => list.map((q) => ({ ...q, fetched: Date.now() })),
});
/** Live calls but the persistent lines (a softphone's or 常连接 session: not a conversation). */
export const liveCalls = resource("/live-calls", { prefixes: ["call.", "queue."], every: 3000,
                                                   key: (c) => c.call_id, map: (calls) => calls.filter((c) => !c.line) });
/** Choice lists (pause reasons, wrap-up types and results…): GET /choices, once. */
export const choices = resource("/choices");

window.kefuShell = { get user() { return user.value; }, get lastEvent() { return lastEvent.value; } };
