// The flow text editor: a textarea with a line-number gutter in which the lines a problem
// points to are marked (title: the problems).  A plain textarea, not CodeMirror: see
// docs/architecture.md "IVR screens" for why.

import { html } from "htm/preact";
import { useRef } from "preact/hooks";

/** `value`, `onInput(text)`, `marks`: Map line → [problems]. */
export function Editor({ value, onInput, marks }) {
  const gutter = useRef(null);
  const count = value.split("\n").length;
  const numbers = [];
  for (let n = 1; n <= count; n++) {
    const why = marks.get(n);
    numbers.push(html`<div class=${why ? "bad" : ""} data-line=${n} title=${why ? why.join("\n") : ""}>${n}</div>`);
  }
  const sync = (e) => { if (gutter.current) gutter.current.scrollTop = e.currentTarget.scrollTop; };
  return html`<div class="ivr-editor">
    <div class="gutter" ref=${gutter} aria-hidden="true">${numbers}</div>
    <textarea id="flow-text" spellcheck=${false} wrap="off" value=${value}
      onInput=${(e) => onInput(e.currentTarget.value)} onScroll=${sync}
      onKeyDown=${(e) => {
        if (e.key !== "Tab") return;           // two spaces: YAML indents with spaces
        e.preventDefault();
        const ta = e.currentTarget, at = ta.selectionStart;
        ta.setRangeText("  ", at, ta.selectionEnd, "end");
        onInput(ta.value);
      }}></textarea>
  </div>`;
}
