// Work orders as the board, the order page and the camera page show them.

import { query } from "./api.js";
import { h, when } from "./dom.js";
import { label, t } from "./i18n.js";
import { cameraLink } from "./states.js";

export function orderLink(order) {
  return h("a", { href: `/orders.html${query({ id: order.id })}`, class: "mono" }, `#${order.id}`);
}

export function statusBadge(status) {
  return h("span", { class: `badge order-${status}`, "data-status": status }, label("order", status));
}

/** The order columns; `actions(order)` adds a last column when given. */
export function orderColumns(actions) {
  const columns = [
    { label: t("col.id"), cell: orderLink },
    { label: t("col.camera"), cell: (o) => [cameraLink(o.device_id), h("br"), o.camera_name ?? ""] },
    { label: t("col.fault"), cell: (o) => h("span", { class: "tag", title: o.fault }, label("fault", o.fault)) },
    { label: t("col.maintenance_unit"), key: "maintenance_unit" },
    { label: t("orders.status"), cell: (o) => statusBadge(o.status) },
    { label: t("col.opened_at"), cell: (o) => when(o.opened_at), class: "nowrap" },
    { label: t("col.due_at"), cell: (o) => when(o.due_at), class: "nowrap" },
    { label: t("col.closed_at"), cell: (o) => (o.closed_at ? [when(o.closed_at), h("br"),
      h("small", {}, o.close_reason ?? "")] : "–"), class: "nowrap" },
  ];
  if (actions) columns.push({ label: t("col.actions"), cell: actions });
  return columns;
}
