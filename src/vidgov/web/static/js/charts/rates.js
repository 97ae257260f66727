// Online and playable rates per group (bars) and per day (lines).

import { t } from "../i18n.js";
import { chartIn, PALETTE } from "./echarts.js";

const percentAxis = { type: "value", min: 0, max: 100, axisLabel: { formatter: "{value}%" },
  splitLine: { lineStyle: { color: PALETTE.grid } } };

export function drawRates(el, rows, groupKey) {
  const chart = chartIn(el);
  if (!chart) return;
  const sorted = [...rows].sort((a, b) => b.playable_rate - a.playable_rate);
  chart.setOption({
    animation: false,
    tooltip: { trigger: "axis", valueFormatter: (v) => `${v}%` },
    legend: { top: 0 },
    grid: { left: 8, right: 8, top: 32, bottom: 8, containLabel: true },
    xAxis: { type: "category", data: sorted.map((r) => r[groupKey] ?? "–"),
      axisLabel: { interval: 0, rotate: sorted.length > 8 ? 40 : 0, fontSize: 11 } },
    yAxis: percentAxis,
    series: [
      { name: t("rates.online"), type: "bar", data: sorted.map((r) => r.online_rate),
        itemStyle: { color: PALETTE.online } },
      { name: t("rates.playable"), type: "bar", data: sorted.map((r) => r.playable_rate),
        itemStyle: { color: PALETTE.playable } },
    ],
  }, { notMerge: true });
  el.dataset.groups = String(rows.length);
}

export function drawTrend(el, rows) {
  const chart = chartIn(el);
  if (!chart) return;
  chart.setOption({
    animation: false,
    tooltip: { trigger: "axis", valueFormatter: (v) => `${v}%` },
    legend: { top: 0 },
    grid: { left: 8, right: 36, top: 32, bottom: 8, containLabel: true },
    xAxis: { type: "category", boundaryGap: false, data: rows.map((r) => r.day) },
    yAxis: percentAxis,
    series: [
      { name: t("rates.online"), type: "line", smooth: true, showSymbol: rows.length < 40,
        data: rows.map((r) => r.online_rate), itemStyle: { color: PALETTE.online } },
      { name: t("rates.playable"), type: "line", smooth: true, showSymbol: rows.length < 40,
        data: rows.map((r) => r.playable_rate), itemStyle: { color: PALETTE.playable } },
    ],
  }, { notMerge: true });
  el.dataset.days = String(rows.length);
}
