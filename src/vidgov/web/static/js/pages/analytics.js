// 客流与事件 Counts and events: people or vehicles crossing the counting lines per city (or a
// city's counties) and over time, per camera, and the latest events with their de-identified
// pictures. Everything comes from /api/analytics/*, so it stays inside the user's scope.

import { get, query } from "../api.js";
import { $, fill, h, num, setUrlParams, table, urlParams, when } from "../dom.js";
import { label, t } from "../i18n.js";
import { boot, errorBox } from "../shell.js";
import { cities } from "../charts/map.js";
import { drawPlaces, drawTrend } from "../charts/counts.js";

const HOUR_MS = 3600 * 1000;
const RANGES = {
  "24h": { span_ms: 24 * HOUR_MS, bucket: "hour" },
  "7d": { span_ms: 7 * 24 * HOUR_MS, bucket: "hour" },
  "30d": { span_ms: 30 * 24 * HOUR_MS, bucket: "day" },
};
const CLASSES = { person: ["person"], vehicle: ["car", "bus", "truck", "motorcycle"] };

/** GET /api/analytics/counts with `class` repeated, which query() cannot express. */
function counts(params, classes) {
  const search = new URLSearchParams(query(params).slice(1));
  for (const c of classes) search.append("class", c);
  return get(`/api/analytics/counts?${search}`);
}

/** Sum the API's rows per group (and per time when `byTime`), over classes. */
function sumUp(rows, byTime) {
  const groups = new Map();
  for (const r of rows) {
    const key = byTime ? `${r.key}\u0000${r.time}` : r.key;
    const g = groups.get(key) ?? { key: r.key, name: r.name, time: r.time, in: 0, out: 0,
      occupancy: null };
    if (r.kind === "line") {
      g.in += r.in_count;
      g.out += r.out_count;
    } else if (r.occupancy_max !== null) {
      g.occupancy = Math.max(g.occupancy ?? 0, r.occupancy_max);
    }
    groups.set(key, g);
  }
  return [...groups.values()];
}

function bucketTimes(since, until, bucket) {
  const step = bucket === "day" ? 24 * HOUR_MS : HOUR_MS;
  const start = new Date(since);
  if (bucket === "day") start.setUTCHours(0, 0, 0, 0);
  else start.setUTCMinutes(0, 0, 0);
  const times = [];
  for (let ms = start.getTime(); ms < until.getTime(); ms += step) {
    const iso = new Date(ms).toISOString().replace(".000Z", "+00:00");
    const text = when(iso);
    times.push({ iso, label: bucket === "day" ? text.slice(0, 10) : text.slice(5) });
  }
  return times;
}

function drawCameras(rows) {
  const cameras = sumUp(rows, false).sort((a, b) => (b.in + b.out) - (a.in + a.out));
  fill($("#cameras"), table([
    { label: t("analytics.camera"), cell: (r) => h("a", { href: `/camera.html?id=${encodeURIComponent(r.key)}` }, r.name ?? r.key) },
    { label: t("analytics.in"), class: "num", cell: (r) => num(r.in) },
    { label: t("analytics.out"), class: "num", cell: (r) => num(r.out) },
    { label: t("analytics.occupancy"), class: "num", cell: (r) => num(r.occupancy) },
  ], cameras, t("analytics.no_counts")));
  $("#cameras").dataset.cameras = String(cameras.length);
}

function eventCard(e) {
  const picture = e.snapshot_url
    ? h("img", { src: e.snapshot_url, alt: t("analytics.snapshot"), loading: "lazy" })
    : h("div", { class: "nopic" }, t("analytics.no_snapshot"));
  return h("div", { class: "event", "data-event": e.id, "data-kind": e.kind }, picture,
    h("div", { class: "body" },
      h("strong", {}, label("event", e.kind), " · ", e.camera_name ?? e.device_id),
      h("span", { class: "muted" }, `${e.city ?? ""} ${when(e.started_at)}`),
      h("span", {}, t("analytics.event_line", {
        peak: num(e.peak), threshold: num(e.threshold), seconds: num(Math.round(e.duration_s)),
      }))));
}

let generation = 0;  // a later filter wins over answers still arriving for an earlier one

async function refresh(city, range, kind) {
  const mine = ++generation;
  const { span_ms: span, bucket } = RANGES[range] ?? RANGES["24h"];
  const until = new Date();
  const since = new Date(until.getTime() - span);
  const window = { since: since.toISOString(), until: until.toISOString(), city };
  const by = city ? "county" : "city";
  const classes = CLASSES[kind] ?? CLASSES.person;
  $("#places-title").textContent = t(city ? "analytics.by_county" : "analytics.by_city");
  document.body.dataset.loaded = "";
  const tasks = [
    counts({ by, bucket, kind: "line", ...window }, classes).then((body) => {
      if (mine !== generation) return;
      drawPlaces($("#places-chart"), sumUp(body.totals, false));
      const series = {};
      for (const g of sumUp(body.rows, true)) {
        (series[g.name ?? g.key] ??= {})[g.time] = g.in + g.out;
      }
      drawTrend($("#trend-chart"), bucketTimes(since, until, bucket), series);
    }),
    counts({ by: "camera", bucket: range === "30d" ? "day" : "hour", ...window }, classes)
      .then((body) => { if (mine === generation) drawCameras(body.totals); }),
    get("/api/analytics/events", { since: window.since, city, page_size: 12 }).then((body) => {
      if (mine !== generation) return;
      fill($("#events"), body.items.length
        ? body.items.map(eventCard) : h("p", { class: "muted" }, t("analytics.no_events")));
      $("#event-count").textContent = t("analytics.event_count", { n: num(body.total) });
      $("#events").dataset.events = String(body.items.length);
    }),
  ];
  const failed = (await Promise.allSettled(tasks)).find((r) => r.status === "rejected");
  if (mine !== generation) return;
  fill($("#notice"), failed ? errorBox(failed.reason) : null);
  document.body.dataset.loaded = "1";
}

async function main() {
  const me = await boot("analytics", "analytics.read");
  if (!me) return;
  const params = urlParams();
  const [citySelect, rangeSelect, classSelect] = ["#city-filter", "#range-filter",
    "#class-filter"].map((s) => $(s));
  for (const c of await cities()) citySelect.append(h("option", { value: c.code }, c.name));
  citySelect.value = params.city || "";
  rangeSelect.value = RANGES[params.range] ? params.range : "24h";
  classSelect.value = CLASSES[params.class] ? params.class : "person";
  const update = () => {
    setUrlParams({ city: citySelect.value, range: rangeSelect.value, class: classSelect.value });
    refresh(citySelect.value, rangeSelect.value, classSelect.value);
  };
  for (const select of [citySelect, rangeSelect, classSelect]) {
    select.addEventListener("change", update);
  }
  await refresh(citySelect.value, rangeSelect.value, classSelect.value);
}

main().catch((error) => fill($("main"), errorBox(error)));
