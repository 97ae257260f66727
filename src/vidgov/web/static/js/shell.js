// What every signed-in page shares: who is signed in, the top navigation (links only for
// the actions the user holds), the language switch and signing out.

import { get, post, ApiError } from "./api.js";
import { $, fill, h } from "./dom.js";
import { applyI18n, currentLang, label, setLang, t } from "./i18n.js";

export const PAGES = [
  { key: "cockpit", href: "/", action: "cockpit.read" },
  { key: "catalog", href: "/catalog.html", action: "camera.read" },
  { key: "orders", href: "/orders.html", action: "order.read" },
  { key: "audit", href: "/audit.html", action: "finding.read" },
  { key: "analytics", href: "/analytics.html", action: "analytics.read" },
];

export function can(me, action) {
  return me.actions.includes(action);
}

export function langToggle() {
  return h("button", {
    type: "button", class: "lang", id: "lang-toggle", title: t("lang.switch.title"),
    onclick: () => {
      setLang(currentLang() === "zh" ? "en" : "zh");
      location.reload();  // every string and chart is drawn again in the new language
    },
  }, t("lang.switch"));
}

function topbar(me, active) {
  const links = PAGES.filter((p) => can(me, p.action)).map((p) => h("a", {
    href: p.href, class: p.key === active ? "active" : null, "data-page": p.key,
    "aria-current": p.key === active ? "page" : null,
  }, t(`nav.${p.key}`)));
  const logout = h("button", {
    type: "button", id: "logout", class: "link",
    onclick: async () => {
      try { await post("/api/auth/logout"); } finally { location.assign("/login.html"); }
    },
  }, t("nav.logout"));
  return [
    h("a", { class: "brand", href: "/" }, h("span", { class: "logo" }, "◉"), t("app.title")),
    h("nav", { class: "pages" }, links),
    h("div", { class: "who" },
      h("span", { id: "me", title: t("nav.signed_in"), "data-role": me.role },
        `${me.username} · ${label("role", me.role)}`,
        me.maintenance_unit ? h("small", {}, me.maintenance_unit) : null),
      langToggle(), logout),
  ];
}

/** An error shown where the page's content would be (a refusal keeps its reason). */
export function errorBox(error) {
  const detail = error instanceof ApiError ? error.detail : String(error);
  const status = error instanceof ApiError ? error.status : 0;
  const title = { 403: t("common.forbidden"), 404: t("common.not_found") }[status]
    ?? t("common.error");
  return h("div", { class: "error", role: "alert", "data-status": error.status ?? "" },
    h("strong", {}, title), " ", detail);
}

/**
 * Sign-in check, top bar and translations for page `active`; resolves to /api/me.
 * When the user's role lacks `action` the page body says so (and the API would refuse anyway).
 */
export async function boot(active, action) {
  applyI18n();
  document.title = `${t(`nav.${active}`)} · ${t("app.title")}`;
  const me = await get("/api/me");
  fill($("#topbar"), topbar(me, active));
  document.body.dataset.user = me.username;
  if (action && !can(me, action)) {
    fill($("main"), errorBox(new ApiError(403, action)));
    return null;
  }
  return me;
}
