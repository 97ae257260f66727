// 运维工单 The work-order board (filter by status) and one order's page (?id=N) with its
// history. Closing asks for what was done; a refusal (403/404) shows the server's reason.

import { get, post } from "../api.js";
import { $, fill, h, setUrlParams, table, urlParams, when } from "../dom.js";
import { t } from "../i18n.js";
import { orderColumns, statusBadge } from "../orders.js";
import { renderPager } from "../pager.js";
import { boot, can, errorBox } from "../shell.js";

const STATUSES = ["", "open", "escalated", "closed"];
const PAGE_SIZE = 50;

function notice(content, kind) {
  fill($("#notice"), content ? h("div", { class: kind }, content) : null);
}

/** Ask for a reason, POST the close; resolves to the closed order, or null when cancelled. */
function askToClose(order) {
  const dialog = $("#close-dialog");
  const form = $("#close-form");
  const box = $("#close-error");
  $("#close-title").textContent = t("orders.close_title", { id: order.id });
  form.reset();
  box.hidden = true;
  dialog.dataset.order = String(order.id);
  dialog.showModal();
  return new Promise((resolve) => {
    const finish = (value) => {
      form.onsubmit = null;
      $("#close-cancel").onclick = null;
      dialog.close();
      resolve(value);
    };
    $("#close-cancel").onclick = () => finish(null);
    form.onsubmit = async (event) => {
      event.preventDefault();
      try {
        finish(await post(`/api/orders/${order.id}/close`, { reason: form.reason.value.trim() }));
      } catch (error) {
        fill(box, h("strong", {}, t("orders.refused")), " ", error.detail || error.message);
        box.dataset.status = String(error.status ?? "");
        box.hidden = false;
        notice([h("strong", {}, t("orders.refused")), " ", error.detail || error.message], "error");
      }
    };
  });
}

function closeButton(me, after) {
  return (order) => (can(me, "order.close") && order.status !== "closed"
    ? h("button", { type: "button", class: "close-order", "data-order": order.id,
      onclick: async () => {
        const closed = await askToClose(order);
        if (closed) {
          notice(t("orders.closed_ok", { id: closed.id }), "ok");
          after();
        }
      } }, t("orders.close"))
    : "");
}

function renderTabs(active, go) {
  fill($("#status-tabs"), STATUSES.map((status) => h("button", {
    type: "button", class: status === active ? "tab active" : "tab", "data-status": status,
    "aria-pressed": status === active ? "true" : "false", onclick: () => go(status),
  }, status ? t(`order.${status}`) : t("common.all"))));
}

async function showBoard(me, status, page) {
  setUrlParams({ status, page: page > 1 ? String(page) : "" });
  renderTabs(status, (s) => { notice(null); showBoard(me, s, 1); });
  const board = $("#board");
  try {
    const answer = await get("/api/orders", { status, page, page_size: PAGE_SIZE });
    const columns = orderColumns(closeButton(me, () => showBoard(me, status, page)));
    fill(board, table(columns, answer.items, t("common.empty")));
    board.dataset.total = String(answer.total);
    renderPager($("#pager"), answer, (p) => showBoard(me, status, p));
  } catch (error) {
    fill(board, errorBox(error));
  }
}

const EVENT_COLUMNS = [
  { label: t("col.at"), cell: (e) => when(e.at), class: "nowrap" },
  { label: t("col.event"), key: "kind" },
  { label: t("col.detail"), key: "detail" },
];

async function showOrder(me, id) {
  $("#orders-title").textContent = t("orders.detail", { id });
  const back = h("a", { href: "/orders.html", class: "button" }, t("orders.back"));
  fill($("#status-tabs"), back);
  const board = $("#board");
  try {
    const order = await get(`/api/orders/${encodeURIComponent(id)}`);
    const again = () => showOrder(me, id);
    fill(board,
      table(orderColumns(closeButton(me, again)), [order], t("common.empty")),
      h("h2", {}, t("orders.events")),
      table(EVENT_COLUMNS, order.events, t("common.none")));
    board.dataset.status = order.status;
    fill($("#orders-title"), t("orders.detail", { id }), " ", statusBadge(order.status));
  } catch (error) {
    fill(board, errorBox(error));
  }
}

async function main() {
  const me = await boot("orders", "order.read");
  if (!me) return;
  const given = urlParams();
  if (given.id) await showOrder(me, given.id);
  else await showBoard(me, STATUSES.includes(given.status) ? given.status : "", Number(given.page) || 1);
}

main().catch((error) => fill($("main"), errorBox(error)));
