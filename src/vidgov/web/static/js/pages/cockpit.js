// 驾驶舱 The cockpit: KPI cards, the camera map, rates per city and the trend; one city filter
// drives them all (city= on every request).

import { get } from "../api.js";
import { $, fill, h, num, pct, setUrlParams, urlParams } from "../dom.js";
import { t } from "../i18n.js";
import { boot, errorBox } from "../shell.js";
import { cities, drawMap } from "../charts/map.js";
import { drawRates, drawTrend } from "../charts/rates.js";

function kpiCard(key, value, note, extra = {}) {
  return h("div", { class: "kpi", "data-kpi": key, ...extra },
    h("span", { class: "kpi-label" }, t(`kpi.${key}`)),
    h("strong", { class: "kpi-value" }, value),
    note ? h("span", { class: "kpi-note" }, note) : null);
}

function renderKpis(k) {
  fill($("#kpis"),
    kpiCard("cameras", num(k.cameras), t("kpi.probed", { probed: num(k.probed) })),
    kpiCard("online_rate", pct(k.online_rate), t("kpi.online", { online: num(k.online) })),
    kpiCard("playable_rate", pct(k.playable_rate),
      t("kpi.playable", { playable: num(k.playable) })),
    kpiCard("open_orders", num(k.open_orders), null),
    kpiCard("catalog_score", Number(k.catalog_score).toFixed(1), null));
  $("#kpis").dataset.cameras = String(k.cameras);
}

let generation = 0;  // a later filter wins over answers still arriving for an earlier one

async function refresh(city) {
  const mine = ++generation;
  const current = (draw) => (body) => (mine === generation ? draw(body) : undefined);
  const filter = city ? { city } : {};
  const by = city ? "county" : "city";
  $("#rates-title").textContent = t(city ? "rates.title_county" : "rates.title");
  document.body.dataset.loading = "1";
  const tasks = [
    get("/api/kpis", filter).then(current(renderKpis)),
    get("/api/map/points", filter).then(current(async (body) => {
      await drawMap($("#map"), city, body.points);
      $("#map-count").textContent = t("map.points", { n: num(body.points.length) });
    })),
    get("/api/rates", { by, ...filter })
      .then(current((body) => drawRates($("#rates"), body.rows, by))),
    get("/api/rates/trend", { days: 30, ...filter })
      .then(current((body) => drawTrend($("#trend"), body.rows))),
  ];
  const failed = (await Promise.allSettled(tasks)).find((r) => r.status === "rejected");
  if (mine !== generation) return;
  if (failed) $("#kpis").prepend(errorBox(failed.reason));
  document.body.dataset.loading = "";
  document.body.dataset.city = city;
}

async function main() {
  const me = await boot("cockpit", "cockpit.read");
  if (!me) return;
  const select = $("#city-filter");
  const chosen = urlParams().city || "";
  for (const c of await cities()) select.append(h("option", { value: c.code }, c.name));
  select.value = chosen;
  select.addEventListener("change", () => {
    setUrlParams({ city: select.value });
    refresh(select.value);
  });
  await refresh(select.value);
}

main().catch((error) => fill($("main"), errorBox(error)));
