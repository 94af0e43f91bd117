// The agent's audio on the desk: the microphone the line sends (kept in localStorage,
// switched during a call by replacing the sender's track), the speaker the call and the
// ring play on (setSinkId), a level meter on the microphone (an AnalyserNode), and the
// ring's on/off and volume (ring.js).

import { html } from "htm/preact";
import { useEffect, useRef } from "preact/hooks";
import { signal } from "@preact/signals";
import { askNotifications } from "./alerts.js";
import { t } from "./i18n.js";
import { audioContext, ringOn, ringOutput, ringVolume, ringing } from "./ring.js";
import { line, replaceMicrophone } from "./softphone.js";
import { toast } from "./util.js";

export const mics = signal([]);
export const speakers = signal([]);
export const micId = signal(localStorage.getItem("kefu.mic") || "");
export const speakerId = signal(localStorage.getItem("kefu.speaker") || "");
const notifyState = signal("Notification" in window ? Notification.permission : "unsupported");

/** The devices (their names are known once the page may use the microphone). */
export async function listDevices() {
  if (!navigator.mediaDevices?.enumerateDevices) return;
  const all = await navigator.mediaDevices.enumerateDevices();
  mics.value = all.filter((d) => d.kind === "audioinput" && d.deviceId);
  speakers.value = all.filter((d) => d.kind === "audiooutput" && d.deviceId);
}
navigator.mediaDevices?.addEventListener?.("devicechange", () => { listDevices(); });

const micConstraints = (id) => ({ audio: { deviceId: id ? { exact: id } : undefined,
                                           echoCancellation: true, noiseSuppression: false,
                                           autoGainControl: true } });

/** Use microphone `id` ("" = the default): now on the open line, and for the next ones. */
export async function chooseMic(id) {
  micId.value = id;
  localStorage.setItem("kefu.mic", id);
  await applyMic();
}

/** After the line opened: switch it to the chosen microphone if it took another. */
export async function applyMic() {
  const id = micId.peek();
  if (!line.track || !id || line.track.getSettings?.().deviceId === id) return;
  try {
    replaceMicrophone(await navigator.mediaDevices.getUserMedia(micConstraints(id)));
  } catch (err) {
    toast(t("dev.mic_failed", { detail: err.message || String(err) }), "error");
  }
}

/** Play the call and the ring on speaker `id` ("" = the default). */
export function chooseSpeaker(id) {
  speakerId.value = id;
  localStorage.setItem("kefu.speaker", id);
  applySpeaker();
}

export function applySpeaker() {
  const id = speakerId.peek();
  const audio = document.querySelector("#remote-audio");
  audio?.setSinkId?.(id).catch(() => { /* device gone: the default */ });
  ringOutput(id);
}

/** Ask for the desktop notifications (a user gesture: the log-in click, the button). */
export const askNotify = () => askNotifications().then((p) => { notifyState.value = p; });

/** The microphone's level (0–1), read ten times a second from the line's stream. */
function MicLevel() {
  const ref = useRef(null);
  useEffect(() => {
    let stream = null, source = null, analyser = null, buf = null;
    const timer = setInterval(() => {
      if (line.stream !== stream) {
        source?.disconnect();
        stream = line.stream;
        source = null;
        const ctx = stream && audioContext();
        if (ctx) {
          analyser = ctx.createAnalyser();
          analyser.fftSize = 1024;
          buf = new Float32Array(analyser.fftSize);
          source = ctx.createMediaStreamSource(stream);
          source.connect(analyser);        // measured, not played
        }
      }
      let peak = 0;
      if (source) {
        analyser.getFloatTimeDomainData(buf);
        for (const x of buf) peak = Math.max(peak, Math.abs(x));
      }
      if (ref.current) ref.current.value = Math.min(1, peak);
    }, 100);
    return () => { clearInterval(timer); source?.disconnect(); };
  }, []);
  return html`<meter id="mic-level" ref=${ref} min="0" max="1" low="0.05" high="0.9" optimum="0.3"
                     value="0" aria-label=${t("dev.level")}></meter>`;
}

const choice = (d, i, kind) => html`<option key=${d.deviceId} value=${d.deviceId}>
  ${d.label || `${t(kind)} ${i + 1}`}</option>`;

/** The desk's audio settings: `webrtc`: the browser line is used (devices and meter). */
export function AudioSettings({ webrtc }) {
  useEffect(() => { listDevices(); applySpeaker(); }, []);
  return html`<div class="audio-settings" id="audio-settings">
    ${webrtc && html`<div class="devices">
      <label class="inline"><span>${t("dev.mic")}</span>
        <select id="mic-select" value=${micId.value} onChange=${(e) => chooseMic(e.currentTarget.value)}>
          <option value="">${t("dev.default")}</option>
          ${mics.value.filter((d) => d.deviceId !== "default").map((d, i) => choice(d, i, "dev.mic"))}</select></label>
      <${MicLevel} />
      ${speakers.value.length > 0 && html`<label class="inline"><span>${t("dev.speaker")}</span>
        <select id="speaker-select" value=${speakerId.value} onChange=${(e) => chooseSpeaker(e.currentTarget.value)}>
          <option value="">${t("dev.default")}</option>
          ${speakers.value.filter((d) => d.deviceId !== "default").map((d, i) => choice(d, i, "dev.speaker"))}</select></label>`}
    </div>`}
    <div class="ring-settings">
      <label class="inline"><input type="checkbox" id="ring-on" checked=${ringOn.value}
        onChange=${(e) => { ringOn.value = e.currentTarget.checked; }} /><span>${t("ring.on")}</span></label>
      <input type="range" id="ring-volume" min="0" max="1" step="0.05" value=${ringVolume.value}
             aria-label=${t("ring.volume")} title=${t("ring.volume")} disabled=${!ringOn.value}
             onInput=${(e) => { ringVolume.value = Number(e.currentTarget.value); }} />
      ${ringing.value && html`<span class="badge state-reserved" id="ring-playing">${t("ring.playing")}</span>`}
      ${notifyState.value === "default" && html`<button type="button" class="small" id="btn-notify"
          onClick=${askNotify}>${t("offer.alert_allow")}</button>`}
      ${notifyState.value === "denied" && html`<span class="muted small" id="notify-denied">${t("offer.alert_denied")}</span>`}
    </div>
  </div>`;
}
