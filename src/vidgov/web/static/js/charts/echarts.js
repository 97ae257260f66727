// ECharts is loaded as a classic script from /vendor/ (npm at set-up); the charts find it here.
// When it is missing (npm never ran) the panels say so and the rest of the page still works.

import { h, fill } from "../dom.js";
import { t } from "../i18n.js";

export function echartsOr(el) {
  const lib = window.echarts;
  if (!lib) fill(el, h("div", { class: "error" }, t("common.charts_missing")));
  return lib || null;
}

const charts = new WeakMap();

/** The chart drawn in `el` (made once, resized with the window). */
export function chartIn(el) {
  const lib = echartsOr(el);
  if (!lib) return null;
  let chart = charts.get(el);
  if (!chart) {
    chart = lib.init(el, null, { renderer: "canvas" });
    charts.set(el, chart);
    window.addEventListener("resize", () => chart.resize());
  }
  return chart;
}

export const PALETTE = { online: "#1c7ed6", playable: "#2e9e44", grid: "#e3e8ef", text: "#4a5568" };
