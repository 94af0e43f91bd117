// A workflow drawn as SVG while it is edited: the states in a row (colour by kind, the
// initial one outlined, ⟲ on a visit state), each transition an arrow from every state
// it leaves to its target — forward arrows above the row, backward ones below.

import { html } from "htm/preact";
import { t } from "/static/shell/i18n.js";
import { lbl } from "./common.js";

const W = 112, H = 40, GAP = 44, PAD = 12;

export function Diagram({ workflow }) {
  const states = workflow.states;
  const at = new Map(states.map((s, i) => [s.name, i]));
  const cx = (i) => PAD + i * (W + GAP) + W / 2;
  const width = PAD * 2 + states.length * (W + GAP) - GAP;
  const edges = workflow.transitions.flatMap((tr) => tr.from.filter((f) => at.has(f) && at.has(tr.to) && f !== tr.to)
    .map((f) => ({ tr, a: at.get(f), b: at.get(tr.to) })));
  const lift = Math.min(90, 26 + 14 * Math.max(1, ...edges.map((e) => Math.abs(e.b - e.a))));
  const mid = lift + 14;
  const height = mid * 2 + H;
  return html`<svg class="tk-diagram" id="tk-diagram" viewBox=${`0 0 ${Math.max(width, 200)} ${height}`}
      width=${Math.max(width, 200)} height=${height} role="img" aria-label=${t("tk.diagram")}>
    <defs><marker id="tk-arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse">
      <path d="M0,0 L10,5 L0,10 z" /></marker></defs>
    ${edges.map(({ tr, a, b }, k) => {
      const forward = b > a, dist = Math.abs(b - a);
      const y0 = forward ? mid : mid + H, dy = (forward ? -1 : 1) * (18 + 12 * dist);
      const x1 = cx(a) + (forward ? 10 : -10), x2 = cx(b) + (forward ? -10 : 10);
      const qx = (x1 + x2) / 2, qy = y0 + dy * 2;
      return html`<g class="edge" key=${k} data-transition=${tr.name} data-from=${states[a].name} data-to=${tr.to}>
        <path d=${`M${x1},${y0} Q${qx},${qy} ${x2},${y0}`} marker-end="url(#tk-arrow)" />
        <text x=${qx} y=${y0 + dy + (forward ? -2 : 10)} text-anchor="middle">${lbl(tr)}</text></g>`;
    })}
    ${states.map((s, i) => html`<g class=${`node ${s.kind}${s.name === workflow.initial ? " initial" : ""}`} key=${s.name} data-state=${s.name}>
      <rect x=${cx(i) - W / 2} y=${mid} width=${W} height=${H} rx="6" />
      <text x=${cx(i)} y=${mid + 17} text-anchor="middle">${lbl(s)}${s.visit ? " ⟲" : ""}</text>
      <text x=${cx(i)} y=${mid + 31} text-anchor="middle" class="sub">${s.name}</text></g>`)}
  </svg>`;
}
