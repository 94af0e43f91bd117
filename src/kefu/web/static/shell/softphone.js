// The browser softphone: one WebRTC line from this page to kefu (POST /api/v1/lines,
// SDP offer/answer without trickle ICE). kefu bridges it into the agent's calls like a
// persistent phone line, so offers are answered with POST /agents/{u}/answer.
//
// While no call needs it, the line sends nothing (setSending): kefu then spends no work
// on an idle line, and nobody's room is streamed to the server between calls.
//
// A desk that must keep its line (keepLine: a logged-in agent's) opens it again by itself
// when it drops (a frozen tab, a lost network), every second while within kefu's grace
// period ([acd] reconnect_grace): kefu re-binds the new line to the agent's place in its
// call. stopLine (log-out, sign-out) ends that wish.
//
// window.kefuDesk.pc / .lineState / .muted / .sending are exposed for tests and debugging.

import { detailText } from "./api.js";

export class LineError extends Error {
  /** kind: "media" (no microphone), "unavailable" (404), "conflict" (409), "http", "sdp" */
  constructor(kind, status, detail) {
    super(`${kind}${status ? ` ${status}` : ""}: ${detail}`);
    Object.assign(this, { kind, status, detail });
  }
}

export const line = { pc: null, stream: null, track: null, sender: null, state: "idle",
                      muted: false, sending: true, audio: null };
const listeners = new Set();

const hook = (window.kefuDesk ??= {});
Object.defineProperties(hook, {
  pc: { get: () => line.pc, enumerable: true, configurable: true },
  lineState: { get: () => line.state, enumerable: true, configurable: true },
  muted: { get: () => line.muted, enumerable: true, configurable: true },
  sending: { get: () => line.sending, enumerable: true, configurable: true },
  startLine: { value: (...a) => startLine(...a), configurable: true },
  keepingLine: { get: () => Boolean(want), enumerable: true, configurable: true },
});

let want = null;          // {token, opts, grace, lostAt}: keep the line up (keepLine)
let retry = 0;            // the timer of the next attempt

function setState(state) {
  if (line.state === state) return;
  line.state = state;
  for (const fn of listeners) fn(state);
  if (want && state === "connected") want.lostAt = 0;
  if (want && (state === "closed" || state === "failed")) dropped();
}

/** The kept line dropped: try again in a second, while within the grace period. */
function dropped() {
  if (!want || retry) return;
  want.lostAt ||= Date.now();
  if (Date.now() - want.lostAt > want.grace) { want = null; return; }
  retry = setTimeout(async () => {
    retry = 0;
    if (!want) return;
    try {
      await startLine(want.token, want.opts);
    } catch (err) {
      // no microphone, or kefu says this desk has no line to come back to: give up
      if (err.kind === "media" || [401, 403, 409].includes(err.status)) want = null;
      else dropped();
    }
  }, 1000);
}

/**
 * Open the line and keep it: if it drops, open it again (see the top of this module).
 * Resolves or throws as startLine; a refused first attempt does not keep trying.
 */
export async function keepLine(token, { grace = 30000, ...opts } = {}) {
  want = { token, opts, grace, lostAt: 0 };
  try {
    return await startLine(token, opts);
  } catch (err) {
    want = null;
    throw err;
  }
}

/** Call `fn(state)` on every line state change: idle, connecting, connected, failed, closed. */
export function onLineState(fn) { listeners.add(fn); return () => listeners.delete(fn); }

function iceGathered(pc, timeout) {
  if (pc.iceGatheringState === "complete") return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      if (pc.iceGatheringState !== "complete") return;
      pc.removeEventListener("icegatheringstatechange", done);
      resolve();
    };
    pc.addEventListener("icegatheringstatechange", done);
    setTimeout(resolve, timeout);      // send what we have rather than wait forever
  });
}

/**
 * Open the line: microphone → RTCPeerConnection (no STUN/TURN: kefu is reached directly)
 * → offer with every candidate → POST /api/v1/lines → answer. The remote track plays in
 * `audio` (an <audio autoplay>). Throws LineError; the page shows it.
 */
export async function startLine(token, { audio = document.querySelector("#remote-audio"),
                                         iceTimeout = 5000, extension = null } = {}) {
  closeLine();
  setState("connecting");
  let stream;
  try {
    // echo cancellation yes (the agent may use speakers); noise suppression no: it
    // treats steady sounds as noise and fades them, and a headset needs none
    stream = await navigator.mediaDevices.getUserMedia({
      audio: { echoCancellation: true, noiseSuppression: false, autoGainControl: true } });
  } catch (err) {
    setState("failed");
    throw new LineError("media", 0, err.message || String(err));
  }
  const pc = new RTCPeerConnection({ iceServers: [] });
  const [track] = stream.getAudioTracks();
  track.enabled = true;
  const sender = pc.addTrack(track, stream);
  Object.assign(line, { pc, stream, track, sender, audio, muted: false, sending: true });
  pc.addEventListener("track", (e) => {
    if (!audio) return;
    audio.srcObject = e.streams[0] || new MediaStream([e.track]);
    audio.play().catch(() => { /* autoplay refused: plays after the next click */ });
  });
  pc.addEventListener("connectionstatechange", () => {
    if (line.pc !== pc) return;
    const s = pc.connectionState;
    if (s === "connected") setState("connected");
    else if (s === "failed") setState("failed");
    else if (s === "closed" || s === "disconnected") setState("closed");
  });

  await pc.setLocalDescription(await pc.createOffer());
  await iceGathered(pc, iceTimeout);
  let res;
  try {
    res = await fetch("/api/v1/lines", {
      method: "POST",
      headers: { "Content-Type": "application/json", "Accept": "application/json",
                 "Authorization": `Bearer ${token}` },
      // supervisors name the extension their browser stands for; an agent's line is the
      // extension it logged in on
      body: JSON.stringify({ type: "offer", sdp: pc.localDescription.sdp,
                             ...(extension ? { extension } : {}) }),
    });
  } catch (err) {
    closeLine("failed");
    throw new LineError("http", 0, err.message || String(err));
  }
  const body = await res.json().catch(() => ({}));
  if (!res.ok) {
    closeLine("failed");
    const kind = res.status === 404 ? "unavailable" : res.status === 409 ? "conflict" : "http";
    throw new LineError(kind, res.status,
                        body.detail === undefined ? res.statusText : detailText(body.detail));
  }
  try {
    await pc.setRemoteDescription({ type: body.type || "answer", sdp: body.sdp });
  } catch (err) {
    closeLine("failed");
    throw new LineError("sdp", 0, err.message || String(err));
  }
  if (pc.connectionState === "connected") setState("connected");
  return line;
}

/** Close the line (agent logout, page leave); it is not opened again. */
export function stopLine(state = "idle") {
  want = null;
  clearTimeout(retry);
  retry = 0;
  closeLine(state);
}

function closeLine(state = "idle") {
  const { pc, stream } = line;
  Object.assign(line, { pc: null, stream: null, track: null, sender: null, muted: false,
                        sending: true });
  if (pc) pc.close();
  if (stream) stream.getTracks().forEach((tr) => tr.stop());
  if (line.audio) line.audio.srcObject = null;
  setState(state);
}

/** Mute is local: the microphone track stops sending sound (silence goes out). */
export function setMuted(muted) {
  if (!line.track) return false;
  line.track.enabled = !muted;
  line.muted = Boolean(muted);
  return true;
}

/** Send the microphone (on) or nothing at all (off: unlike mute, which sends silence).
 *  replaceTrack needs no renegotiation, so sound flows again at once. */
export function setSending(on) {
  const { sender, track } = line;
  on = Boolean(on);
  if (!sender || line.sending === on) return;
  line.sending = on;
  sender.replaceTrack(on ? track : null).catch(() => { /* the line is closing */ });
}

/** Another microphone for the open line (the desk's device choice): `stream`'s track
 *  replaces the old one in the sender (no renegotiation), keeping mute and the idle
 *  silence; the old microphone is released.  False (and `stream` stopped): no line. */
export function replaceMicrophone(stream) {
  const [track] = stream.getAudioTracks();
  const old = line.stream;
  if (!line.pc || !track) { stream.getTracks().forEach((tr) => tr.stop()); return false; }
  track.enabled = !line.muted;
  Object.assign(line, { stream, track });
  if (line.sending) line.sender?.replaceTrack(track).catch(() => { /* the line is closing */ });
  if (old && old !== stream) old.getTracks().forEach((tr) => tr.stop());
  return true;
}
