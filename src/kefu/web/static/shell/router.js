// The client-side router: the hash names the screen (#/desk, #/wall); `route` is a signal
// of the path after "#", so the shell re-renders on navigation without reloading.

import { signal } from "@preact/signals";

export const route = signal(location.hash.slice(1));
window.addEventListener("hashchange", () => { route.value = location.hash.slice(1); });

/** Go to `path` (adds a history entry, like a link). */
export function navigate(path) { location.hash = `#${path}`; }

/** Show `path` without a new history entry (a route this role may not use, or none). */
export function redirect(path) {
  if (route.peek() === path) return;
  history.replaceState(null, "", `#${path}`);
  route.value = path;
}
