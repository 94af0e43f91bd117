// A report's charts (Report.charts) drawn with Apache ECharts on a canvas: bar (horizontal),
// column, line (the intervals) and pie, the category column along the axis and the value
// columns as series, values shown by their kind (percent, seconds as m:ss).  The colours
// are the Excel file's palette (reports/excel.py PALETTE), so page and file look alike.

import { html } from "htm/preact";
import { useEffect, useRef } from "preact/hooks";
import * as echarts from "echarts";
import { lang, t } from "/static/shell/i18n.js";
import { shown, title } from "./common.js";

const PALETTE = ["#4472C4", "#ED7D31", "#A5A5A5", "#FFC000", "#5B9BD5", "#70AD47",
  "#264478", "#9E480E", "#636363", "#997300"];

/** The ECharts option of `chart` over the report's rows. */
export function option(chart, report) {
  const col = (key) => report.columns.find((c) => c.key === key) || { key, kind: "int" };
  const cat = col(chart.category);
  const names = report.rows.map((r) => shown(cat.kind, r[chart.category]));
  const values = chart.values.map(col);
  const kind = values[0]?.kind ?? "int";
  const fmt = (v) => shown(kind, v);
  const base = { color: PALETTE, animation: false, title: { text: title(chart), left: "center", textStyle: { fontSize: 13 } },
    tooltip: { trigger: chart.kind === "pie" ? "item" : "axis", valueFormatter: fmt } };
  if (chart.kind === "pie") {
    const v = values[0];
    return { ...base, series: [{ type: "pie", name: title(v), radius: "55%", center: ["50%", "56%"],
      label: { formatter: (p) => `${p.name} ${Math.round(p.percent)}%` },   // the value: tooltip
      data: report.rows.map((r, i) => ({ name: names[i], value: r[v.key] ?? 0 })) }] };
  }
  const categoryAxis = { type: "category", data: names, axisLabel: { hideOverlap: true } };
  const valueAxis = { type: "value", axisLabel: { formatter: fmt } };
  const horizontal = chart.kind === "bar";
  return { ...base, legend: values.length > 1 ? { bottom: 0 } : undefined,
    grid: { left: 8, right: 16, top: 36, bottom: values.length > 1 ? 28 : 8, containLabel: true },
    xAxis: horizontal ? valueAxis : categoryAxis, yAxis: horizontal ? { ...categoryAxis, inverse: true } : valueAxis,
    series: values.map((v) => ({ type: chart.kind === "line" ? "line" : "bar", name: title(v),
      showSymbol: true, data: report.rows.map((r) => r[v.key] ?? 0) })) };
}

/** One chart; drawn again when the report or the language changes, resized with its box. */
function Chart({ chart, report, index }) {
  const box = useRef(null);
  const zh = lang.value === "zh";
  useEffect(() => {
    const c = echarts.init(box.current, null, { renderer: "canvas", locale: zh ? "ZH" : "EN" });
    c.setOption(option(chart, report));
    const resized = new ResizeObserver(() => c.resize());
    resized.observe(box.current);
    return () => { resized.disconnect(); c.dispose(); };
  }, [chart, report, zh]);
  return html`<div class="rp-chart" ref=${box} data-kind=${chart.kind} data-index=${index}
    role="img" aria-label=${title(chart)}></div>`;
}

export function Charts({ report }) {
  if (!report.charts.length || !report.rows.length) return null;
  return html`<div class="rp-charts" id="rp-charts" aria-label=${t("rp.charts")}>
    ${report.charts.map((c, i) => html`<${Chart} key=${`${report.name}-${i}`} chart=${c} report=${report} index=${i} />`)}
  </div>`;
}
