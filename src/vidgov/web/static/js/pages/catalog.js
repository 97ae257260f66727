// 资源目录 Catalog search: text, city and state filters, paged results, CSV/XLSX downloads
// with the same filters. The filters live in the URL, so a reload or a link keeps them.

import { get, query } from "../api.js";
import { $, fill, h, setUrlParams, table, urlParams, when } from "../dom.js";
import { t } from "../i18n.js";
import { cities } from "../charts/map.js";
import { renderPager } from "../pager.js";
import { boot, can, errorBox } from "../shell.js";
import { cameraLink, faultList, stateBadge, stateOf } from "../states.js";

const PAGE_SIZE = 50;

const COLUMNS = [
  { label: t("col.device_id"), cell: (c) => cameraLink(c.device_id) },
  { label: t("col.name"), key: "name" },
  { label: t("col.city"), key: "city" },
  { label: t("col.county"), key: "county" },
  { label: t("col.maintenance_unit"), key: "maintenance_unit" },
  { label: t("col.state"), cell: (c) => stateBadge(stateOf(c)) },
  { label: t("col.faults"), cell: (c) => faultList(c.faults) },
  { label: t("col.probed_at"), cell: (c) => when(c.probed_at), class: "nowrap" },
];

function filters() {
  const form = $("#search");
  return { q: form.q.value.trim(), city: form.city.value, status: form.status.value };
}

function renderExports(me, chosen) {
  if (!can(me, "camera.export")) return;
  fill($("#exports"), ["csv", "xlsx"].map((format) => h("a", {
    class: "button", id: `export-${format}`, download: "",
    href: `/api/cameras/export${query({ ...chosen, format })}`,
  }, t(`catalog.export_${format}`))));
}

async function search(me, page) {
  const chosen = filters();
  setUrlParams({ ...chosen, page: page > 1 ? String(page) : "" });
  renderExports(me, chosen);
  const results = $("#results");
  results.dataset.loading = "1";
  try {
    const answer = await get("/api/cameras", { ...chosen, page, page_size: PAGE_SIZE });
    fill(results, table(COLUMNS, answer.items, t("common.empty")));
    results.dataset.total = String(answer.total);
    renderPager($("#pager"), answer, (p) => search(me, p));
  } catch (error) {
    fill(results, errorBox(error));
  } finally {
    results.dataset.loading = "";
  }
}

async function main() {
  const me = await boot("catalog", "camera.read");
  if (!me) return;
  const form = $("#search");
  for (const c of await cities()) form.city.append(h("option", { value: c.code }, c.name));
  const given = urlParams();
  form.q.value = given.q || "";
  form.city.value = given.city || "";
  form.status.value = given.status || "";
  form.addEventListener("submit", (event) => { event.preventDefault(); search(me, 1); });
  form.addEventListener("reset", () => setTimeout(() => search(me, 1)));
  await search(me, Number(given.page) || 1);
}

main().catch((error) => fill($("main"), errorBox(error)));
