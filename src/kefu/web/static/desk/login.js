// The sign-in form shared by the desktop and the wallboard: username/password →
// POST /api/v1/auth/login, token in sessionStorage; a 401 later brings the form back.

import { clearSession, errorText, get, login, logout, saveSession, session,
         setUnauthorizedHandler } from "./api.js";
import { applyI18n, t } from "./i18n.js";
import { $, el } from "./util.js";

const EXPIRED = "kefu.expired";

function form() {
  return el("form", { id: "login-form", class: "panel login-box", autocomplete: "on" },
    el("h2", { "data-i18n": "login.title" }),
    el("label", {}, el("span", { "data-i18n": "login.username" }),
      el("input", { name: "username", id: "login-username", autocomplete: "username", required: true })),
    el("label", {}, el("span", { "data-i18n": "login.password" }),
      el("input", { name: "password", id: "login-password", type: "password",
                    autocomplete: "current-password", required: true })),
    el("p", { class: "error", id: "login-error", hidden: true }),
    el("button", { type: "submit", class: "primary", id: "login-submit", "data-i18n": "login.submit" }));
}

function showForm() {
  const box = $("#login");
  const f = form();
  box.replaceChildren(f);
  box.hidden = false;
  $("#app").hidden = true;
  applyI18n(box);
  const error = $("#login-error", f);
  if (sessionStorage.getItem(EXPIRED)) {
    sessionStorage.removeItem(EXPIRED);
    error.textContent = t("login.expired");
    error.hidden = false;
  }
  $("#login-username", f).focus();
  return new Promise((resolve) => {
    f.addEventListener("submit", async (e) => {
      e.preventDefault();
      error.hidden = true;
      const data = new FormData(f);
      try {
        const out = await login(String(data.get("username")).trim(), String(data.get("password")));
        box.hidden = true;
        box.replaceChildren();
        resolve(out);
      } catch (err) {
        error.textContent = err.status === 401 ? t("login.failed") : errorText(err);
        error.hidden = false;
      }
    });
  });
}

/** The signed-in user `{token, username, role}`: the stored token if still valid, else
 *  after the form has been filled in. */
export async function ensureLogin() {
  setUnauthorizedHandler(() => {});
  let user = null;
  const saved = session();
  if (saved) {
    try {
      const me = await get("/auth/me");
      saveSession({ token: saved.token, username: me.username, role: me.role });
      user = { ...session(), display_name: me.display_name };
    } catch (err) {
      if (err.status !== 401) throw err;
      clearSession();
    }
  }
  if (!user) {
    await showForm();
    const me = await get("/auth/me");
    user = { ...session(), display_name: me.display_name };
  }
  // from now on a 401 means the token expired or was revoked: sign in again
  setUnauthorizedHandler(expired);
  return user;
}

export function expired() {
  clearSession();
  sessionStorage.setItem(EXPIRED, "1");
  location.reload();
}

/** Wire the "sign out" button: revoke the token, back to the form. */
export function bindLogout(button, before = async () => {}) {
  button.addEventListener("click", async () => {
    try { await before(); } catch { /* leave anyway */ }
    await logout();
    location.reload();
  });
}
