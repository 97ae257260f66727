// Counts of people or vehicles: crossings per place (bars) and per time bucket (lines).
// The containers' data-groups / data-buckets attributes give what was drawn (tests read them).

import { t } from "../i18n.js";
import { chartIn, PALETTE } from "./echarts.js";

const countAxis = { type: "value", minInterval: 1,
  splitLine: { lineStyle: { color: PALETTE.grid } } };

/** One bar pair (in, out) per group, busiest first; rows are the API's `totals`. */
export function drawPlaces(el, groups) {
  const chart = chartIn(el);
  if (!chart) return;
  const sorted = [...groups].sort((a, b) => (b.in + b.out) - (a.in + a.out));
  chart.setOption({
    animation: false,
    tooltip: { trigger: "axis" },
    legend: { top: 0 },
    grid: { left: 8, right: 8, top: 32, bottom: 8, containLabel: true },
    xAxis: { type: "category", data: sorted.map((g) => g.name ?? "–"),
      axisLabel: { interval: 0, rotate: sorted.length > 8 ? 40 : 0, fontSize: 11 } },
    yAxis: countAxis,
    series: [
      { name: t("analytics.in"), type: "bar", data: sorted.map((g) => g.in),
        itemStyle: { color: PALETTE.online } },
      { name: t("analytics.out"), type: "bar", data: sorted.map((g) => g.out),
        itemStyle: { color: PALETTE.playable } },
    ],
  }, { notMerge: true });
  el.dataset.groups = String(groups.length);
}

/** One line per group over the buckets; `series` maps group name → {time: count}. */
export function drawTrend(el, times, series) {
  const chart = chartIn(el);
  if (!chart) return;
  chart.setOption({
    animation: false,
    tooltip: { trigger: "axis" },
    legend: { top: 0, type: "scroll" },
    grid: { left: 8, right: 36, top: 32, bottom: 8, containLabel: true },
    xAxis: { type: "category", boundaryGap: false, data: times.map((x) => x.label) },
    yAxis: countAxis,
    series: Object.entries(series).map(([name, values]) => ({
      name, type: "line", showSymbol: times.length < 40,
      data: times.map((x) => values[x.iso] ?? 0),
    })),
  }, { notMerge: true });
  el.dataset.buckets = String(times.length);
}
