// What the QA screens share: the style sheet, the recording player (the recordings
// slice's, with the comments as markers), times in a recording, and an evaluation's answers
// shown against its scorecard.

import { html } from "htm/preact";
import { signal } from "@preact/signals";
import { useEffect, useState } from "preact/hooks";
import { Player as Waveform } from "/static/recordings/player.js";
import { send } from "/static/shell/api.js";
import { t } from "/static/shell/i18n.js";

const CSS = "/static/qa/qa.css";
if (!document.querySelector(`link[href="${CSS}"]`)) {
  document.head.append(Object.assign(document.createElement("link"), { rel: "stylesheet", href: CSS }));
}

/** POST text (a template as YAML or JSON) under /api/v1; the JSON answer, or ApiError. */
export async function postText(path, text) {
  return (await send("POST", path, text, { "Content-Type": "text/yaml; charset=utf-8" })).json();
}

/** 75.5 → "01:15" (a position in a recording). */
export function clock(seconds) {
  const s = Math.max(0, Math.floor(seconds || 0));
  return `${String(Math.floor(s / 60)).padStart(2, "0")}:${String(s % 60).padStart(2, "0")}`;
}

/** Where the open player is (seconds): comments are added there. */
export const playTime = signal(0);
let handle = null;     // the open player's (recordings/static/player.js onReady)

/** Jump the open player to `seconds` (a comment clicked). */
export function seek(seconds) {
  if (handle) { handle.seek(seconds); handle.play(); }
  playTime.value = seconds;
}

/** The recording's player: the recordings slice's one (waveform of both channels from
 *  the server's peaks, the audio by a ticket, seek, speed), the evaluation's comments
 *  drawn on it as markers at their times. */
export function Player({ recordingId, comments = [] }) {
  const [ready, setReady] = useState(false);
  useEffect(() => {
    playTime.value = 0;
    setReady(false);
    return () => { handle = null; };
  }, [recordingId]);
  const markers = comments.map((c) => ({ at: c.at, label: c.text }));
  return html`<div class="qa-player" data-state=${ready ? "ready" : "loading"}>
    <${Waveform} id=${recordingId} markers=${markers}
      onTime=${(s) => { playTime.value = s; }}
      onReady=${(h) => { handle = h; setReady(true); }} />
  </div>`;
}

/** The state's name, in the current language. */
export const stateText = (state) => t(`qa.st.${state}`);

/** An answer as text: 是/否 or the number. */
export function answerText(kind, value) {
  if (value === undefined || value === null) return "—";
  if (kind === "yes_no") return value ? t("qa.yes") : t("qa.no");
  return String(value);
}

/** The choices a criterion's select offers: ["", "yes", "no"] or the scale's numbers. */
export function choices(kind) {
  if (kind === "yes_no") return [["", "—"], ["yes", t("qa.yes")], ["no", t("qa.no")]];
  const [low, high] = kind === "scale_5" ? [1, 5] : [0, 10];
  const out = [["", "—"]];
  for (let v = low; v <= high; v++) out.push([String(v), String(v)]);
  return out;
}

/** A select's text back to an answer (undefined: not answered). */
export function parseChoice(kind, text) {
  if (text === "") return undefined;
  return kind === "yes_no" ? text === "yes" : Number(text);
}

/** An answer to the select's text. */
export function choiceOf(kind, value) {
  if (value === undefined || value === null) return "";
  return kind === "yes_no" ? (value ? "yes" : "no") : String(value);
}

/** The comments at their positions; a click plays from there. */
export function Comments({ comments }) {
  if (!comments.length) return html`<p class="muted">${t("qa.no_comments")}</p>`;
  return html`<ul class="qa-comments">${comments.map((c) => html`<li key=${c.id} data-at=${c.at}>
    <a href="#" class="at" onClick=${(e) => { e.preventDefault(); seek(c.at); }}>${clock(c.at)}</a>
    <span class="text">${c.text}</span> <span class="muted">— ${c.author}</span></li>`)}</ul>`;
}

/** The score as "85.0" or "0 (failed)". */
export function scoreText(ev) {
  if (ev.score === null || ev.score === undefined) return "—";
  return ev.failed ? `${ev.score} (${t("qa.failed")})` : String(ev.score);
}
