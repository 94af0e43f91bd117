// The recording player (录音播放器), one component the recordings page and the QA scoring
// page both use: play/pause (Space), seek (click the waveform; skip ±5 s, ←/→), speed 0.5–2×, the
// waveform of both channels (left: the customer, right: the agent) drawn by wavesurfer.js
// from the server's peaks (the file is never downloaded to draw it), the paused spans
// marked, markers at times, and download.  The audio streams from the ticket URL (no
// header needed, Range requests): an <audio> element the waveform follows.
//
//   <Player id=${42} onTime=${(t) => …} onReady=${(handle) => handle.seek(12.5)}
//           markers=${[{ at: 12.5, label: "礼貌用语", color: "…" }, { at: 30, end: 34 }]} />
//
// `handle`: seek(seconds), play(), pause(), time(), duration(), media (the <audio>).

import { html } from "htm/preact";
import { useEffect, useRef, useState } from "preact/hooks";
import WaveSurfer from "wavesurfer.js";
import RegionsPlugin from "wavesurfer.js/dist/plugins/regions.esm.js";
import { errorText, get, post } from "/static/shell/api.js";
import { t } from "/static/shell/i18n.js";
import { fmtDuration } from "/static/shell/util.js";
import { saveUrl } from "./common.js";

export const SPEEDS = [0.5, 0.75, 1, 1.25, 1.5, 2];
const POINTS = 1200;          // peaks asked of the server: about one per pixel of a wide screen
const SKIP = 5;
const COLORS = {
  left: { waveColor: "#4f8fe8", progressColor: "#1f4fa0" },     // the customer
  right: { waveColor: "#3fb06a", progressColor: "#1a6b3c" },    // the agent
  paused: "rgba(120, 120, 120, 0.28)",
  marker: "rgba(191, 135, 0, 0.35)",
};

/** A ticket's URLs: `{audio, download}` (the API's names; `url`, `download_url` also read). */
const audioUrl = (ticket) => ticket.audio ?? ticket.url;
const downloadUrl = (ticket) => ticket.download ?? ticket.download_url;

/** What the player needs before it draws: the recording, a ticket and the peaks. */
async function fetchAll(id) {
  const [rec, ticket, peaks] = await Promise.all([
    get(`/recordings/${id}`), post(`/recordings/${id}/ticket`), get(`/recordings/${id}/peaks?points=${POINTS}`),
  ]);
  return { rec, ticket, peaks };
}

/** Put the paused spans and the markers on the waveform as regions (the old ones go). */
function drawRegions(regions, paused, markers) {
  regions.clearRegions();
  for (const [start, end] of paused) {
    regions.addRegion({ start, end, color: COLORS.paused, drag: false, resize: false,
                        content: t("rec.paused_span"), id: `paused-${start}` });
  }
  markers.forEach((m, i) => {
    regions.addRegion({ start: m.at, ...(m.end > m.at ? { end: m.end } : {}), color: m.color ?? COLORS.marker,
                        drag: false, resize: false, content: m.label ?? "", id: m.id ?? `marker-${i}` });
  });
}

export function Player({ id, onTime, onReady, markers = [] }) {
  const wave = useRef(null);
  const audio = useRef(null);
  const ws = useRef(null);
  const regions = useRef(null);
  const paused = useRef([]);
  const callbacks = useRef({});
  callbacks.current = { onTime, onReady, markers };
  const [state, setState] = useState({ loading: true });   // {loading} | {error} | {ready, duration}
  const [time, setTime] = useState(0);
  const [playing, setPlaying] = useState(false);
  const [rate, setRate] = useState(1);

  useEffect(() => {
    let gone = false;
    let renewing = false;
    const media = audio.current;
    // a ticket that expired while the page stayed open: a new one, at the same time
    const renew = async () => {
      if (gone || renewing || !ws.current) return;
      renewing = true;
      const at = media.currentTime;
      try {
        const again = await post(`/recordings/${id}/ticket`);
        if (gone) return;
        media.src = audioUrl(again);
        media.currentTime = at;
      } catch (err) {
        setState({ error: errorText(err) });
      } finally {
        setTimeout(() => { renewing = false; }, 10000);
      }
    };
    media.addEventListener("error", renew);
    setState({ loading: true });
    setTime(0);
    setPlaying(false);
    fetchAll(id).then(({ rec, ticket, peaks }) => {
      if (gone) return;
      paused.current = rec.paused ?? [];
      const surfer = WaveSurfer.create({
        container: wave.current, media, url: audioUrl(ticket), peaks: [peaks.left, peaks.right],
        duration: peaks.duration, splitChannels: [{ ...COLORS.left, overlay: false }, { ...COLORS.right, overlay: false }],
        height: 64, normalize: false, cursorColor: "#c62828", cursorWidth: 2, dragToSeek: true,
        barWidth: 2, barGap: 1, barRadius: 1,
      });
      const plugin = surfer.registerPlugin(RegionsPlugin.create());
      ws.current = surfer;
      regions.current = plugin;
      surfer.on("timeupdate", (now) => { setTime(now); callbacks.current.onTime?.(now); });
      surfer.on("play", () => setPlaying(true));
      surfer.on("pause", () => setPlaying(false));
      surfer.on("finish", () => setPlaying(false));
      const handle = {
        seek: (seconds) => surfer.setTime(Math.max(0, Math.min(seconds, surfer.getDuration() || peaks.duration))),
        play: () => surfer.play(), pause: () => surfer.pause(),
        time: () => surfer.getCurrentTime(), duration: () => surfer.getDuration() || peaks.duration,
        media,
      };
      // regions need the duration (before it they are clamped to 0): drawn once it is known
      surfer.once("ready", () => {
        if (gone) return;
        drawRegions(plugin, paused.current, callbacks.current.markers);
        setState({ ready: true, duration: peaks.duration });
        callbacks.current.onReady?.(handle);
      });
    }).catch((err) => { if (!gone) setState({ error: errorText(err) }); });
    return () => {
      gone = true;
      media.removeEventListener("error", renew);
      ws.current?.destroy();
      media.pause();                      // the <audio> is ours: wavesurfer leaves it
      media.removeAttribute("src");
      ws.current = null;
      regions.current = null;
    };
  }, [id]);

  // markers given later (the QA page's comments as they are added)
  const markerKey = JSON.stringify(markers);
  useEffect(() => {
    if (regions.current && state.ready) drawRegions(regions.current, paused.current, markers);
  }, [markerKey]);

  const surfer = ws.current;
  const ready = Boolean(state.ready);
  const duration = state.duration ?? 0;
  const skip = (by) => surfer?.setTime(Math.max(0, Math.min(duration, surfer.getCurrentTime() + by)));
  const speed = (e) => {
    const value = Number(e.currentTarget.value);
    setRate(value);
    surfer?.setPlaybackRate(value, true);          // keep the pitch: voices stay natural
  };
  // keys while the player has the focus (not the whole page: the forms keep theirs)
  const keys = (e) => {
    if (!ready || e.target.closest("select, input, button")) return;
    const action = { " ": () => surfer.playPause(), ArrowLeft: () => skip(-SKIP), ArrowRight: () => skip(SKIP) }[e.key];
    if (action) { e.preventDefault(); action(); }
  };
  const downloadFile = async () => {
    try {
      saveUrl(downloadUrl(await post(`/recordings/${id}/ticket`)));
    } catch (err) {
      setState((s) => ({ ...s, downloadError: errorText(err) }));
    }
  };

  return html`<div class="rec-player" id="player" data-id=${id} tabIndex="0" onKeyDown=${keys}
      title=${t("rec.keys")}
      data-state=${state.error ? "error" : ready ? "ready" : "loading"} data-playing=${playing ? "1" : "0"}>
    <div class="rec-wave-box">
      <div class="rec-channels"><span class="left">${t("rec.channel_left")}</span>
        <span class="right">${t("rec.channel_right")}</span></div>
      <div class="rec-wave" id="player-wave" ref=${wave}></div>
    </div>
    <audio ref=${audio} preload="auto" id="player-audio"></audio>
    ${state.loading ? html`<p class="muted">${t("rec.loading")}</p>` : null}
    ${state.error ? html`<p class="error" id="player-error">${state.error}</p>` : null}
    <div class="buttons rec-controls">
      <button type="button" class="primary" id="player-play" disabled=${!ready}
              onClick=${() => surfer?.playPause()}>${playing ? t("rec.pause") : t("rec.play")}</button>
      <button type="button" id="player-back" disabled=${!ready} title=${t("rec.back5")}
              onClick=${() => skip(-SKIP)}>−${SKIP}s</button>
      <button type="button" id="player-forward" disabled=${!ready} title=${t("rec.forward5")}
              onClick=${() => skip(SKIP)}>+${SKIP}s</button>
      <span class="rec-time" id="player-time">${fmtDuration(time)} / ${fmtDuration(duration)}</span>
      <label class="inline">${t("rec.speed")}
        <select id="player-rate" value=${rate} onChange=${speed} disabled=${!ready}>
          ${SPEEDS.map((s) => html`<option key=${s} value=${s}>${s}×</option>`)}
        </select></label>
      <button type="button" id="player-download" onClick=${downloadFile}>${t("rec.download")}</button>
      ${state.downloadError ? html`<span class="error">${state.downloadError}</span>` : null}
    </div>
  </div>`;
}

export default Player;
