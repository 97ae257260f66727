// One camera: its catalog record, latest state, evidence snapshot, work orders, catalog
// findings and probe history. A camera outside the user's scope answers 404 like a missing one.

import { get } from "../api.js";
import { $, fill, h, table, urlParams, when } from "../dom.js";
import { label, t } from "../i18n.js";
import { orderColumns } from "../orders.js";
import { boot, can, errorBox } from "../shell.js";
import { faultList, stateBadge, stateOf } from "../states.js";

const RECORD = [
  ["device_id", "col.device_id"], ["name", "col.name"], ["admin_code", "field.admin_code"],
  ["city", "col.city"], ["county", "col.county"], ["address", "col.address"],
  ["longitude", "field.longitude"], ["latitude", "field.latitude"],
  ["department", "col.department"], ["maintenance_unit", "col.maintenance_unit"],
  ["maintenance_contact", "field.maintenance_contact"], ["place_type", "field.place_type"],
  ["point_class", "field.point_class"], ["manufacturer", "field.manufacturer"],
  ["model", "field.model"], ["install_date", "field.install_date"],
  ["stream_url", "field.stream_url"], ["probed_at", "col.probed_at"], ["since", "field.since"],
];

function renderRecord(camera) {
  const value = (key) => (key === "probed_at" || key === "since"
    ? when(camera[key]) : camera[key] ?? "–");
  fill($("#record"), RECORD.flatMap(([key, name]) => [
    h("dt", {}, t(name)), h("dd", { "data-field": key }, String(value(key)))]));
}

function showSnapshot(deviceId) {
  const img = $("#snapshot");
  img.addEventListener("load", () => { img.hidden = false; $("#snapshot-panel").hidden = false; });
  img.addEventListener("error", () => { $("#snapshot-panel").hidden = true; });  // 404: none
  img.alt = t("camera.snapshot");
  img.src = `/api/cameras/${encodeURIComponent(deviceId)}/snapshot`;
}

const FINDING_COLUMNS = [
  { label: t("col.code"), cell: (f) => h("span", { title: f.code }, label("finding", f.code)) },
  { label: t("col.field"), key: "field" },
  { label: t("col.value"), key: "value" },
  { label: t("col.detail"), cell: (f) => f.detail ?? f.message ?? "" },
  { label: t("col.suggestion"), key: "suggestion" },
];

const PROBE_COLUMNS = [
  { label: t("col.probed_at"), cell: (p) => when(p.probed_at), class: "nowrap" },
  { label: t("col.online"), cell: (p) => t(p.online ? "yes" : "no") },
  { label: t("col.playable"), cell: (p) => t(p.playable ? "yes" : "no") },
  { label: t("col.faults"), cell: (p) => faultList(p.faults) },
  { label: t("col.timings"), cell: (p) => Object.entries(p.timings_ms || {})
    .map(([stage, ms]) => `${stage} ${Math.round(ms)}`).join(" · "), class: "muted" },
];

async function main() {
  const me = await boot("catalog", "camera.read");
  if (!me) return;
  const deviceId = urlParams().id;
  if (!deviceId) {
    fill($("main"), errorBox(new Error(t("camera.missing_id"))));
    return;
  }
  const path = `/api/cameras/${encodeURIComponent(deviceId)}`;
  let camera;
  try {
    camera = await get(path);
  } catch (error) {
    fill($("main"), errorBox(error));
    return;
  }
  document.body.dataset.camera = camera.device_id;
  $("#camera-name").textContent = camera.name || camera.device_id;
  fill($("#camera-state"), stateBadge(stateOf(camera)), " ", faultList(camera.faults));
  renderRecord(camera);
  if (can(me, "snapshot.read")) showSnapshot(camera.device_id);
  fill($("#orders"), table(orderColumns(), camera.orders, t("common.none")));
  fill($("#findings"), table(FINDING_COLUMNS, camera.findings, t("common.none")));
  try {
    const probes = await get(`${path}/probes`, { limit: 50 });
    fill($("#probes"), table(PROBE_COLUMNS, probes, t("common.none")));
  } catch (error) {
    fill($("#probes"), errorBox(error));
  }
}

main().catch((error) => fill($("main"), errorBox(error)));
