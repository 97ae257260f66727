// Sign in: POST /api/auth/login sets the session cookie, then back to where the user was.

import { request, ApiError } from "../api.js";
import { $, fill } from "../dom.js";
import { applyI18n, t } from "../i18n.js";
import { langToggle } from "../shell.js";

/** Only a page of this origin may be the destination: no open redirect (//host, /\host). */
function destination() {
  const next = new URL(new URLSearchParams(location.search).get("next") || "/", location.origin);
  if (next.origin !== location.origin || next.pathname === "/login.html") return "/";
  return next.pathname + next.search + next.hash;
}

applyI18n();
document.title = `${t("login.title")} · ${t("app.title")}`;
fill($("#lang-slot"), langToggle());

$("#login-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const form = event.currentTarget;
  const box = $("#login-error");
  box.hidden = true;
  form.querySelector("button").disabled = true;
  try {
    await request("POST", "/api/auth/login", {
      username: form.username.value.trim(), password: form.password.value,
    });
    location.assign(destination());
  } catch (error) {
    const status = error instanceof ApiError ? error.status : 0;
    box.textContent = status === 401 || status === 422 ? t("login.failed")
      : `${t("login.error")}: ${error.message}`;
    box.dataset.status = String(status);
    box.hidden = false;
    form.password.select();
  } finally {
    form.querySelector("button").disabled = false;
  }
});
