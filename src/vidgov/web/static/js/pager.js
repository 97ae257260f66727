// Previous / next over a page answer {items, total, page, page_size}.

import { fill, h } from "./dom.js";
import { t } from "./i18n.js";

export function renderPager(el, answer, go) {
  const pages = Math.max(1, Math.ceil(answer.total / answer.page_size));
  fill(el,
    h("button", { type: "button", id: "prev", disabled: answer.page <= 1,
      onclick: () => go(answer.page - 1) }, t("common.prev")),
    h("span", { class: "muted", id: "page-info" },
      t("common.page", { page: answer.page, pages, total: answer.total.toLocaleString() })),
    h("button", { type: "button", id: "next", disabled: answer.page >= pages,
      onclick: () => go(answer.page + 1) }, t("common.next")));
}
