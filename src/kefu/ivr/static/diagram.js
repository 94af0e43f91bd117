// The flow drawn as a diagram: the graph the server answers with the check (nodes, and
// arrows labelled with the digit, the condition, "timeout / invalid", "error"), laid out
// by dagre (layered, top to bottom, edge labels placed) and drawn here as SVG.

import { html } from "htm/preact";
import { useMemo } from "preact/hooks";
import dagre from "@dagrejs/dagre";

const CHAR = 7.2, LINE = 16;

/** Rough width of a caption in the diagram's font (CJK characters are twice as wide). */
const width = (text) => [...text].reduce((w, ch) => w + (ch.charCodeAt(0) > 0x2e80 ? 2 : 1) * CHAR, 0);

function layout(graph) {
  const g = new dagre.graphlib.Graph({ multigraph: true });
  g.setGraph({ rankdir: "TB", nodesep: 30, ranksep: 46, edgesep: 14, marginx: 12, marginy: 12 });
  for (const n of graph.nodes) {
    const w = Math.max(width(n.label), width(n.type)) + 24;
    g.setNode(n.id, { ...n, width: Math.max(90, w), height: 2 * LINE + 12 });
  }
  graph.edges.forEach((e, i) => {
    g.setEdge(e.source, e.target, { ...e, width: e.label ? width(e.label) + 6 : 0,
                                    height: e.label ? LINE : 0, labelpos: "c" }, `e${i}`);
  });
  dagre.layout(g);
  const size = g.graph();
  return {
    width: size.width || 0, height: size.height || 0,
    nodes: g.nodes().map((id) => g.node(id)),
    edges: g.edges().map((ref) => g.edge(ref)),
  };
}

const path = (points) => points.map((p, i) => `${i ? "L" : "M"}${p.x.toFixed(1)},${p.y.toFixed(1)}`).join(" ");

/** `graph`: {start, nodes, edges} from POST …/check; `stale`: the text has no graph now
 *  (the last one is shown dimmed). */
export function Diagram({ graph, stale }) {
  const laid = useMemo(() => (graph ? layout(graph) : null), [graph]);
  if (!laid) return html`<div id="flow-diagram" class="ivr-diagram muted">—</div>`;
  return html`<div id="flow-diagram" class=${`ivr-diagram${stale ? " stale" : ""}`}>
    <svg xmlns="http://www.w3.org/2000/svg" width=${laid.width} height=${laid.height}
         viewBox=${`0 0 ${laid.width} ${laid.height}`}>
      <defs><marker id="ivr-arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7"
        markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" /></marker></defs>
      ${laid.edges.map((e) => html`<g class=${`edge ${e.kind}`} data-from=${e.source} data-to=${e.target}>
        <path d=${path(e.points)} marker-end="url(#ivr-arrow)" />
        ${e.label && html`<text class="edge-label" x=${e.x} y=${e.y + 4} text-anchor="middle">${e.label}</text>`}
      </g>`)}
      ${laid.nodes.map((n) => html`<g class=${`node ${n.type}${n.id === graph.start ? " start" : ""}`}
          data-node=${n.id} transform=${`translate(${n.x - n.width / 2},${n.y - n.height / 2})`}>
        <rect width=${n.width} height=${n.height} rx="6" />
        <text class="node-label" x=${n.width / 2} y=${LINE + 2} text-anchor="middle">${n.label}</text>
        <text class="node-type" x=${n.width / 2} y=${2 * LINE + 4} text-anchor="middle">${n.type}</text>
      </g>`)}
    </svg>
  </div>`;
}
