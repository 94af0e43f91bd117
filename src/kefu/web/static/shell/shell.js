// The web shell (/): one sign-in, navigation by role, a hash router, the shared events
// WebSocket and i18n, built with Preact + htm + signals (ES modules from the npm packages,
// no build step).  The screens come from screens.js; the desk and wallboard are still
// their own pages, embedded in an <iframe> each (same origin, so they share the sign-in
// kept in sessionStorage and follow the language switch) until they are ported.

import { render } from "preact";
import { html } from "htm/preact";
import { computed, effect, signal } from "@preact/signals";
import { clearSession, errorText, get, login, logout, saveSession, session,
         setUnauthorizedHandler } from "/static/desk/api.js";
import { EventStream } from "/static/desk/events.js";
import { lang, onLangChange, setLang, t } from "/static/desk/i18n.js";
import { screensFor } from "./screens.js";

const TOKEN = "kefu.token";           // api.js's sessionStorage key

const user = signal(null);            // {token, username, role, display_name} once signed in
const loginError = signal("");
const language = signal(lang());
const hash = signal(location.hash.slice(1));
const wsStatus = signal("closed");
/** The last event of the shared stream: screens subscribe with effect(). */
export const lastEvent = signal(null);

const tr = (key, vars) => (language.value, t(key, vars));   // reading the signal: re-render on switch
onLangChange((next) => { language.value = next; });
window.addEventListener("hashchange", () => { hash.value = location.hash.slice(1); });

const screens = computed(() => (user.value ? screensFor(user.value.role) : []));
/** The screen shown: the one the hash names if this role may use it, else the first. */
const current = computed(() => screens.value.find((s) => s.path === hash.value) ?? screens.value[0]);
const visited = signal(new Set());     // screens opened once stay mounted (a desk keeps its line)

effect(() => {
  const screen = current.value;
  if (!screen) return;
  if (hash.value !== screen.path) history.replaceState(null, "", `#${screen.path}`);
  if (!visited.peek().has(screen.path)) visited.value = new Set([...visited.peek(), screen.path]);
});
effect(() => { document.title = current.value ? `${tr(current.value.label)} · ${tr("shell.title")}` : tr("shell.title"); });

// --- the events stream, one per signed-in shell -------------------------------------------

let stream = null;
effect(() => {
  stream?.stop();
  stream = null;
  const u = user.value;
  if (!u) return;
  stream = new EventStream(u.token, {
    onEvent: (msg) => { lastEvent.value = msg; },
    onStatus: (status) => { wsStatus.value = status; },
    onUnauthorized: () => signedOut(true),
  }).start();
});

// --- sign-in ---------------------------------------------------------------------------

async function me(token) {
  const out = await get("/auth/me");
  saveSession({ token, username: out.username, role: out.role });
  return { token, username: out.username, role: out.role, display_name: out.display_name };
}

function signedOut(expired = false) {
  clearSession();
  visited.value = new Set();
  loginError.value = expired ? t("login.expired") : "";
  user.value = null;
}

async function submit(e) {
  e.preventDefault();
  const data = new FormData(e.currentTarget);
  loginError.value = "";
  try {
    const out = await login(String(data.get("username")).trim(), String(data.get("password")));
    user.value = await me(out.token);
  } catch (err) {
    loginError.value = err.status === 401 ? t("login.failed") : errorText(err);
  }
}

async function signOut() {
  await logout();
  signedOut();
}

// an embedded page signed out, or its token expired (it cleared sessionStorage)
window.addEventListener("storage", (e) => {
  if (user.value && (e.key === TOKEN || e.key === null) && !sessionStorage.getItem(TOKEN)) signedOut(true);
});
setUnauthorizedHandler(() => user.value && signedOut(true));

// --- views ------------------------------------------------------------------------------

function Login() {
  return html`<section class="login"><form id="login-form" class="panel login-box" onSubmit=${submit}>
    <h2>${tr("login.title")}</h2>
    <label><span>${tr("login.username")}</span>
      <input name="username" id="login-username" autocomplete="username" required autofocus /></label>
    <label><span>${tr("login.password")}</span>
      <input name="password" id="login-password" type="password" autocomplete="current-password" required /></label>
    ${loginError.value && html`<p class="error" id="login-error">${loginError.value}</p>`}
    <button type="submit" class="primary" id="login-submit">${tr("login.submit")}</button>
  </form></section>`;
}

function Nav() {
  return html`<nav class="shell-nav" id="shell-nav" aria-label=${tr("shell.nav")}>
    ${screens.value.map((s) => html`<a href=${`#${s.path}`} data-path=${s.path}
        class=${current.value === s ? "active" : ""}>${tr(s.label)}</a>`)}
  </nav>`;
}

function TopBar() {
  const u = user.value;
  return html`<header class="topbar">
    <h1><span class="logo">客服</span> <span>${tr("shell.title")}</span></h1>
    ${u && html`<${Nav} />`}
    <div class="status-strip">
      ${u && html`<span id="shell-me" class="me">${u.display_name || u.username}</span>
        <span id="shell-ws" class=${`ws ws-${wsStatus.value}`} data-status=${wsStatus.value}
              title=${tr("ws.title")}></span>`}
    </div>
    <div class="tools">
      <button type="button" id="shell-lang"
              onClick=${() => setLang(language.value === "zh" ? "en" : "zh")}>${tr("lang.switch")}</button>
      ${u && html`<button type="button" id="shell-logout" onClick=${signOut}>${tr("auth.logout")}</button>`}
    </div>
  </header>`;
}

function Screens() {
  if (!current.value) return html`<p class="shell-empty muted" id="shell-none">${tr("shell.none")}</p>`;
  // every visited screen stays mounted, only the current one shows
  return screens.value.filter((s) => visited.value.has(s.path)).map((s) => html`
    <iframe key=${s.path} src=${s.page} data-path=${s.path} title=${tr(s.label)}
            hidden=${current.value !== s} allow="microphone; autoplay"></iframe>`);
}

function Shell() {
  return html`<${TopBar} />
    <main class="shell-view" id="shell-view">${user.value ? html`<${Screens} />` : html`<${Login} />`}</main>`;
}

async function main() {
  const saved = session();
  if (saved) {
    try { user.value = await me(saved.token); } catch { clearSession(); }
  }
  render(html`<${Shell} />`, document.getElementById("shell"));
  document.body.dataset.ready = "1";
}

main();
