// An offer must not be missed: while one rings, the page plays the ring tone (ring.js),
// flashes the tab title and, while the page is hidden, shows a desktop notification
// whose click brings the desk back.  `alertOffer(offer)` starts them, `endAlert()` stops
// them all (answered, withdrawn, rung out, signed out).

import { t } from "./i18n.js";
import { startRing, stopRing } from "./ring.js";

let current = null;     // {id, caller, queue, flash, normal, timer, note}

/** Ask once for the desktop notifications (from a user gesture); resolves to the
 *  permission ("granted", "denied", "default", or "unsupported"). */
export function askNotifications() {
  if (!("Notification" in window)) return Promise.resolve("unsupported");
  if (Notification.permission !== "default") return Promise.resolve(Notification.permission);
  return Notification.requestPermission().catch(() => "default");
}

/** Alert the offer `{id, caller, queue}`; `ring`: play the tone (a desk phone rings itself). */
export function alertOffer({ id, caller, queue }, { ring = true } = {}) {
  if (current?.id === id) return;
  endAlert();
  const a = current = { id, caller, queue, flash: t("offer.alert_title", { caller }), normal: document.title,
                        timer: null, note: null };
  if (ring) startRing();
  document.title = a.flash;
  a.timer = setInterval(() => {
    if (document.title !== a.flash) a.normal = document.title;   // the shell retitled meanwhile
    document.title = document.title === a.flash ? a.normal : a.flash;
  }, 1000);
  document.addEventListener("visibilitychange", notify);
  notify();
}

/** A notification while the page is hidden; none (closed) once it is seen. */
function notify() {
  const a = current;
  if (!a) return;
  if (document.visibilityState !== "hidden") { a.note?.close(); a.note = null; return; }
  if (a.note || !("Notification" in window) || Notification.permission !== "granted") return;
  try {
    a.note = new Notification(t("offer.alert_note_title"), {
      body: t("offer.alert_note_body", { caller: a.caller, queue: a.queue || "" }),
      tag: `kefu-offer-${a.id}`, requireInteraction: true });
  } catch { return; }          // a browser that only notifies from a service worker
  a.note.onclick = () => {
    window.focus();
    if (!location.hash.startsWith("#/desk")) location.hash = "#/desk";
    a.note?.close();
  };
}

export function endAlert() {
  const a = current;
  if (!a) return;
  current = null;
  stopRing();
  clearInterval(a.timer);
  if (document.title === a.flash) document.title = a.normal;
  document.removeEventListener("visibilitychange", notify);
  a.note?.close();
}

/** What is alerting now (the desk's hook for tests): {id, notified} or null. */
export const alerting = () => (current ? { id: current.id, notified: Boolean(current.note) } : null);
