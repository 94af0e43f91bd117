// The web shell (/): one sign-in, navigation by role, the hash router, the shared events
// stream and i18n, built with Preact + htm + signals (ES modules from the npm packages,
// no build step).  The screens come from screens.js: each is a Preact component loaded
// the first time it is opened and shown in <main> below the top bar.

import { render } from "preact";
import { html } from "htm/preact";
import { computed, effect, signal } from "@preact/signals";
import { clearSession, errorText, get, login, logout, saveSession, session,
         setUnauthorizedHandler } from "./api.js";
import { lang, setLang, t } from "./i18n.js";
import { redirect, route } from "./router.js";
import { navEntries, screenAt, screensFor } from "./screens.js";
import { connect, disconnect, user, wsStatus } from "./store.js";
import { toasts } from "./util.js";

const loginError = signal("");
const loaded = signal({});             // path → the screen's component, once imported
const openGroup = signal(null);        // the navigation menu opened by a click

const screens = computed(() => (user.value ? screensFor(user.value.role) : []));
/** The screen shown: the one the route names (or is below) if this role may use it, else
 *  the first. */
const current = computed(() => screenAt(screens.value, route.value) ?? screens.value[0]);

effect(() => {
  const screen = current.value;
  if (!screen || screenAt([screen], route.value)) return;
  redirect(screen.path);          // a route this role may not use (or none): its first screen
});
effect(() => {
  const screen = current.value;
  if (!screen) return;
  if (!loaded.peek()[screen.path]) {
    screen.load().then((mod) => { loaded.value = { ...loaded.peek(), [screen.path]: mod.default }; });
  }
});
effect(() => {
  current.value;                       // a screen opened: its menu closes
  openGroup.value = null;
});
document.addEventListener("click", (e) => {
  if (!e.target.closest?.(".nav-group")) openGroup.value = null;
});
document.addEventListener("keydown", (e) => { if (e.key === "Escape") openGroup.value = null; });
effect(() => {
  const screen = current.value;
  document.title = screen ? `${t(screen.label)} · ${t("shell.title")}` : t("shell.title");
});

// --- sign-in ---------------------------------------------------------------------------

async function me(token) {
  const out = await get("/auth/me");
  saveSession({ token, username: out.username, role: out.role });
  return { token, username: out.username, role: out.role, display_name: out.display_name };
}

function signedIn(u) {
  user.value = u;
  connect(() => signedOut(true));
  // a browser desk reloaded on another screen (tickets, customers): the desk follows its
  // calls and offers and reopens its line there too, as when the desk had been opened
  if (sessionStorage.getItem("kefu.desk")) import("./screens/desk.js").then((m) => m.follow());
}

function signedOut(expired = false) {
  clearSession();
  disconnect();
  loginError.value = expired ? t("login.expired") : "";
  user.value = null;
}

async function submit(e) {
  e.preventDefault();
  const data = new FormData(e.currentTarget);
  loginError.value = "";
  try {
    const out = await login(String(data.get("username")).trim(), String(data.get("password")));
    signedIn(await me(out.token));
  } catch (err) {
    loginError.value = err.status === 401 ? t("login.failed") : errorText(err);
  }
}

async function signOut() {
  await logout();
  signedOut();
}

setUnauthorizedHandler(() => user.value && signedOut(true));

// --- views ------------------------------------------------------------------------------

function Login() {
  return html`<section class="login"><form id="login-form" class="panel login-box" onSubmit=${submit}>
    <h2>${t("login.title")}</h2>
    <label><span>${t("login.username")}</span>
      <input name="username" id="login-username" autocomplete="username" required autofocus /></label>
    <label><span>${t("login.password")}</span>
      <input name="password" id="login-password" type="password" autocomplete="current-password" required /></label>
    ${loginError.value && html`<p class="error" id="login-error">${loginError.value}</p>`}
    <button type="submit" class="primary" id="login-submit">${t("login.submit")}</button>
  </form></section>`;
}

const NavLink = ({ s }) => html`<a href=${`#${s.path}`} data-path=${s.path}
  class=${current.value === s ? "active" : ""}>${t(s.label)}</a>`;

/** A group's menu: opened by its button, closed by opening a screen, a click elsewhere or
 *  Escape; its screens' links in it. */
function NavGroup({ group, screens: list }) {
  const open = openGroup.value === group;
  const toggle = () => { openGroup.value = open ? null : group; };
  return html`<div class=${`nav-group${open ? " open" : ""}${list.includes(current.value) ? " active" : ""}`}
      data-group=${group}>
    <button type="button" class="nav-group-button" aria-haspopup="true" aria-expanded=${open}
      onClick=${toggle}>${t(`navgroup.${group}`)}</button>
    <div class="nav-menu" role="menu" onClick=${() => { openGroup.value = null; }}>${list.map((s) => html`<${NavLink} key=${s.path} s=${s} />`)}</div>
  </div>`;
}

/** The navigation by role: a screen of its own a link, a group of screens a menu. */
function Nav() {
  return html`<nav class="shell-nav" id="shell-nav" aria-label=${t("shell.nav")}>
    ${navEntries(screens.value).map((e) => (e.group
    ? html`<${NavGroup} key=${e.group} group=${e.group} screens=${e.screens} />`
    : html`<${NavLink} key=${e.screens[0].path} s=${e.screens[0]} />`))}
  </nav>`;
}

function TopBar() {
  const u = user.value;
  return html`<header class="topbar">
    <h1><span class="logo">客服</span> <span>${t("shell.title")}</span></h1>
    ${u && html`<${Nav} />`}
    <div class="status-strip">
      ${u && html`<span id="shell-me" class="me">${u.display_name || u.username}</span>
        <span id="shell-ws" class=${`ws ws-${wsStatus.value}`} data-status=${wsStatus.value}
              title=${t("ws.title")}></span>`}
    </div>
    <div class="tools">
      <button type="button" id="shell-lang"
              onClick=${() => setLang(lang.value === "zh" ? "en" : "zh")}>${t("lang.switch")}</button>
      ${u && html`<button type="button" id="shell-logout" onClick=${signOut}>${t("auth.logout")}</button>`}
    </div>
  </header>`;
}

function Screen() {
  const screen = current.value;
  if (!screen) return html`<p class="shell-empty muted" id="shell-none">${t("shell.none")}</p>`;
  const View = loaded.value[screen.path];
  return html`<div class="shell-screen" data-path=${screen.path} key=${screen.path}>
    ${View ? html`<${View} />` : null}</div>`;
}

function Toasts() {
  return html`<div id="toasts" role="status" aria-live="polite">
    ${toasts.value.map((x) => html`<div key=${x.id} class=${`toast ${x.kind}`}>${x.message}</div>`)}
  </div>`;
}

function Shell() {
  return html`<${TopBar} />
    <main class="shell-view" id="shell-view">${user.value ? html`<${Screen} />` : html`<${Login} />`}</main>
    <${Toasts} />`;
}

async function main() {
  const saved = session();
  if (saved) {
    try { signedIn(await me(saved.token)); } catch { clearSession(); }
  }
  render(html`<${Shell} />`, document.getElementById("shell"));
  document.body.dataset.ready = "1";
}

main();
