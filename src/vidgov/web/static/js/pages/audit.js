// 数据校验 Audit: scorecards per city / county / department / maintenance unit (worst first)
// and the findings with their suggested repairs.

import { get } from "../api.js";
import { $, fill, h, num, pct, setUrlParams, table, urlParams } from "../dom.js";
import { label, t } from "../i18n.js";
import { renderPager } from "../pager.js";
import { boot, errorBox } from "../shell.js";
import { cameraLink } from "../states.js";

const BYS = ["city", "county", "department", "maintenance_unit"];
// The finding codes of docs/catalog.md, for the filter.
const CODES = [
  "missing_name", "missing_admin_code", "missing_address", "missing_coordinates",
  "missing_department", "missing_maintenance_unit", "missing_maintenance_contact",
  "missing_point_class", "missing_stream_url", "invalid_device_id", "invalid_admin_code",
  "admin_code_mismatch", "invalid_coordinates", "coordinates_outside_guangxi",
  "coordinates_swapped", "coordinates_outside_admin_area", "invalid_stream_url",
  "invalid_point_class", "invalid_maintenance_contact", "invalid_install_date",
  "invalid_secrecy", "duplicate_camera",
];
const PAGE_SIZE = 50;

function scoreBar(score) {
  const value = Number(score);
  const tone = value >= 90 ? "good" : value >= 75 ? "fair" : "poor";
  return h("span", { class: `score ${tone}` },
    h("span", { class: "bar", style: `width:${Math.max(0, Math.min(100, value))}%` }),
    h("span", { class: "value" }, value.toFixed(1)));
}

function scorecardColumns(by) {
  // The API names rates completeness_pct / validity_pct; docs/api.md says completeness / validity.
  const rate = (row, name) => row[`${name}_pct`] ?? row[name];
  return [
    { label: t(`by.${by}`), cell: (r) => r[by] ?? "–" },
    { label: t("col.cameras"), cell: (r) => num(r.cameras), class: "num" },
    { label: t("col.findings"), cell: (r) => num(r.findings), class: "num" },
    { label: t("col.completeness"), cell: (r) => pct(rate(r, "completeness")), class: "num" },
    { label: t("col.validity"), cell: (r) => pct(rate(r, "validity")), class: "num" },
    { label: t("col.score"), cell: (r) => scoreBar(r.score) },
  ];
}

const FINDING_COLUMNS = [
  { label: t("col.device_id"), cell: (f) => cameraLink(f.device_id) },
  { label: t("col.city"), key: "city" },
  { label: t("col.county"), key: "county" },
  { label: t("col.code"), cell: (f) => h("span", { title: f.code }, label("finding", f.code)) },
  { label: t("col.field"), key: "field" },
  { label: t("col.value"), key: "value" },
  { label: t("col.detail"), cell: (f) => f.detail ?? f.message ?? "" },
  { label: t("col.suggestion"), key: "suggestion" },
];

async function showScorecards(by) {
  const el = $("#scorecards");
  try {
    const answer = await get("/api/scorecards", { by });
    const rows = [...answer.rows].sort((a, b) => a.score - b.score);
    fill(el, table(scorecardColumns(by), rows, t("common.empty")));
    el.dataset.rows = String(rows.length);
  } catch (error) {
    fill(el, errorBox(error));
  }
}

async function showFindings(code, page) {
  const el = $("#findings");
  try {
    const answer = await get("/api/findings", { code, page, page_size: PAGE_SIZE });
    fill(el, table(FINDING_COLUMNS, answer.items, t("common.empty")));
    el.dataset.total = String(answer.total);
    renderPager($("#pager"), answer, (p) => showFindings(code, p));
  } catch (error) {
    fill(el, errorBox(error));
  }
}

async function main() {
  const me = await boot("audit", "finding.read");
  if (!me) return;
  const given = urlParams();
  const by = $("#by");
  const code = $("#code");
  for (const c of CODES) code.append(h("option", { value: c }, label("finding", c)));
  by.value = BYS.includes(given.by) ? given.by : "city";
  code.value = CODES.includes(given.code) ? given.code : "";
  const remember = () => setUrlParams({ by: by.value, code: code.value });
  by.addEventListener("change", () => { remember(); showScorecards(by.value); });
  code.addEventListener("change", () => { remember(); showFindings(code.value, 1); });
  await Promise.all([showScorecards(by.value), showFindings(code.value, 1)]);
}

main().catch((error) => fill($("main"), errorBox(error)));
