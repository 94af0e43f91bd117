// The offer's ring tone, made by the page (Web Audio): 440 + 480 Hz, 1 s on, 2 s off —
// the cadence a telephone rings with — through a volume the agent sets.  On/off and the
// volume are kept in localStorage ("kefu.ring").  Browsers start a page's audio only
// after a user gesture: `unlockAudio()` is called from one (the agent's log-in click)
// and makes the one AudioContext of the page, which the microphone meter shares.

import { effect, signal } from "@preact/signals";

export const TONE = { freqs: [440, 480], on: 1, off: 2 };   // Hz; seconds
const STORE = "kefu.ring";
const LONGEST = 600;                                       // s of cadence scheduled ahead

function saved() {
  try { return JSON.parse(localStorage.getItem(STORE)) || {}; } catch { return {}; }
}

/** The agent's choice: ring or not, and how loud (0–1). */
export const ringOn = signal(saved().on ?? true);
export const ringVolume = signal(saved().volume ?? 0.6);
/** True while the tone plays (shown on the desk, read by tests). */
export const ringing = signal(false);

let ctx = null;         // the page's AudioContext
let master = null;      // the volume: every tone goes through it to the speakers
let playing = null;     // {gate, oscillators} while ringing
let sink = "";          // the speaker chosen ("": the default)

/** The page's AudioContext (made at the first call, resumed if the browser suspended it). */
export function audioContext() {
  if (!ctx) {
    const Ctx = window.AudioContext || window.webkitAudioContext;
    if (!Ctx) return null;
    ctx = new Ctx();
    master = ctx.createGain();
    master.gain.value = level();
    master.connect(ctx.destination);
    if (sink && ctx.setSinkId) ctx.setSinkId(sink).catch(() => { /* device gone */ });
  }
  if (ctx.state === "suspended") ctx.resume().catch(() => { /* no gesture yet */ });
  return ctx;
}

/** Called from a user gesture: later tones may play without one. */
export const unlockAudio = () => { audioContext(); };

const level = () => (ringOn.peek() ? ringVolume.peek() : 0);

effect(() => {
  localStorage.setItem(STORE, JSON.stringify({ on: ringOn.value, volume: ringVolume.value }));
  if (master) master.gain.setTargetAtTime(ringOn.value ? ringVolume.value : 0, ctx.currentTime, 0.02);
});

/** Ring until `stopRing()`: the cadence is scheduled on the audio clock (no timers, so a
 *  hidden tab's throttled timers do not stretch it). */
export function startRing() {
  if (playing || !ringOn.peek()) return;
  const c = audioContext();
  if (!c) return;
  const gate = c.createGain();
  gate.gain.value = 0;
  gate.connect(master);
  const t0 = c.currentTime + 0.02, ramp = 0.01, period = TONE.on + TONE.off;
  const peak = 1 / TONE.freqs.length;          // the sum of the tones peaks at full scale
  for (let at = t0; at < t0 + LONGEST; at += period) {
    gate.gain.setValueAtTime(0, at);
    gate.gain.linearRampToValueAtTime(peak, at + ramp);
    gate.gain.setValueAtTime(peak, at + TONE.on - ramp);
    gate.gain.linearRampToValueAtTime(0, at + TONE.on);
  }
  const oscillators = TONE.freqs.map((f) => {
    const o = c.createOscillator();
    o.frequency.value = f;
    o.connect(gate);
    o.start(t0);
    o.stop(t0 + LONGEST);
    return o;
  });
  playing = { gate, oscillators };
  ringing.value = true;
}

export function stopRing() {
  if (!playing) return;
  const { gate, oscillators } = playing;
  playing = null;
  ringing.value = false;
  for (const o of oscillators) { try { o.stop(); } catch { /* stopped */ } o.disconnect(); }
  gate.disconnect();
}

/** Play the ring on the speaker `id` ("" = the default), where the browser can; kept
 *  for the context made later (none is made here: that needs a user gesture). */
export function ringOutput(id) {
  sink = id || "";
  if (ctx?.setSinkId) ctx.setSinkId(sink).catch(() => { /* device gone: the default */ });
}
