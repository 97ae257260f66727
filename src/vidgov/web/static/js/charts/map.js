// The map of Guangxi: boundaries from GET /api/geo/boundaries (GeoJSON, no online tiles) and
// every camera from GET /api/map/points as a dot coloured by its state.
//
// Up to 250,000 points stay fluid: one `scatter` series per state in ECharts' large mode
// (points drawn as one path, no per-point elements) with progressive rendering in chunks.
// The container's data-points attribute gives the number of points drawn (tests read it).

import { get } from "../api.js";
import { t } from "../i18n.js";
import { STATE_COLOURS } from "../states.js";
import { chartIn } from "./echarts.js";

// Never probed first, offline last: the cameras that need someone are drawn on top.
const DRAW_ORDER = [3, 0, 1, 2];
const boundaryCache = new Map();

async function boundaries(level) {
  if (!boundaryCache.has(level)) {
    boundaryCache.set(level, get("/api/geo/boundaries", { level }));
  }
  return boundaryCache.get(level);
}

/** The cities (code, name) for the filter, from the boundaries the map draws. */
export async function cities() {
  const geo = await boundaries("city");
  return geo.features.map((f) => f.properties).sort((a, b) => a.code.localeCompare(b.code));
}

/** The map to draw: the region's cities, or one city's counties; registered once each. */
async function registerMap(echarts, cityCode) {
  const name = cityCode ? `gx-${cityCode}` : "gx";
  if (!echarts.getMap(name)) {
    let geo = await boundaries(cityCode ? "county" : "city");
    if (cityCode) {
      const prefix = cityCode.slice(0, 4);
      geo = { ...geo, features: geo.features.filter((f) => f.properties.code.startsWith(prefix)) };
    }
    echarts.registerMap(name, geo);
  }
  return name;
}

function byState(points) {
  const buckets = [[], [], [], []];
  for (const [lon, lat, state] of points) buckets[state]?.push([lon, lat]);
  return buckets;
}

export async function drawMap(el, cityCode, points) {
  const chart = chartIn(el);
  if (!chart) return;
  const map = await registerMap(window.echarts, cityCode);
  const buckets = byState(points);
  const dot = points.length > 20000 ? 2 : points.length > 2000 ? 3 : 5;
  el.dataset.rendered = "";
  chart.off("finished");
  chart.on("finished", () => { el.dataset.rendered = "1"; });
  chart.setOption({
    animation: false,
    tooltip: { trigger: "item", formatter: (p) => p.seriesType === "scatter"
      ? `${p.seriesName}<br>${p.value[0].toFixed(4)}, ${p.value[1].toFixed(4)}` : p.name },
    legend: { bottom: 4, itemWidth: 10, itemHeight: 10,
      data: buckets.map((_, s) => t(`state.${s}`)) },
    geo: {
      map, roam: true, scaleLimit: { min: 0.8, max: 40 }, layoutSize: "95%",
      label: { show: true, fontSize: 10, color: "#5b6b7f" },
      itemStyle: { areaColor: "#eef3f8", borderColor: "#8fa3ba", borderWidth: 0.8 },
      emphasis: { label: { color: "#1a202c" }, itemStyle: { areaColor: "#dbe7f3" } },
      select: { disabled: true },
    },
    series: DRAW_ORDER.map((state) => ({
      name: t(`state.${state}`), type: "scatter", coordinateSystem: "geo", data: buckets[state],
      symbolSize: dot, itemStyle: { color: STATE_COLOURS[state], opacity: 0.85 },
      large: true, largeThreshold: 2000, progressive: 20000, progressiveThreshold: 50000,
      emphasis: { scale: false },
    })),
  }, { notMerge: true });
  el.dataset.points = String(points.length);
}
