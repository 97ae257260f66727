// A camera's health state, as the map and the tables colour it.
// 0 playable, 1 online but not playable, 2 offline, 3 never probed (as GET /api/map/points).

import { query } from "./api.js";
import { h } from "./dom.js";
import { label, t } from "./i18n.js";

export const STATE_COLOURS = ["#2e9e44", "#f08c00", "#d6336c", "#98a2b3"];
export const STATUS_NAMES = ["playable", "unplayable", "offline", "unprobed"];

export function stateOf(camera) {
  if (!camera.probed_at) return 3;
  if (camera.playable) return 0;
  return camera.online ? 1 : 2;
}

export function stateBadge(state) {
  return h("span", { class: `badge state-${state}`, "data-state": state }, t(`state.${state}`));
}

export function faultList(faults) {
  return (faults || []).map((code) => h("span", { class: "tag", title: code }, label("fault", code)));
}

export function cameraLink(deviceId, text = deviceId) {
  return h("a", { href: `/camera.html${query({ id: deviceId })}`, class: "mono" }, text);
}
