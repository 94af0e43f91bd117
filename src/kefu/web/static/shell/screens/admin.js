// Administration (系统管理): the users (create with a role, a password and the extensions
// an agent may use; the display name, a new password (which signs them out everywhere) and
// an agent's extensions changed in place) and the extensions (create,
// rename, a new SIP password, enable or disable, delete), over /users and /extensions.
// Queues, trunks and the dial plan are kefu.toml's (the README's Configuration); the API
// documentation (/docs) does the rest.

import { html } from "htm/preact";
import { useEffect, useState } from "preact/hooks";
import { api, del, get, post, put } from "../api.js";
import { t } from "../i18n.js";
import { choices } from "../store.js";
import { fmtTime, options, run } from "../util.js";

const numbers = (text) => [...new Set(String(text || "").split(/[,，\s]+/).filter(Boolean))];
const field = (form, name) => form.elements[name].value.trim();

/** Run an API action (`run`: its refusal toasted) and on success `done()` (a reload). */
const act = (fn, ok, done) => run(fn, ok).then((out) => out && done());

/** Submit `form` as `build(form)` by `send`; on success reset it and `done()`. */
const submitter = (send, build, ok, done) => (e) => {
  e.preventDefault();
  const form = e.currentTarget;
  return act(() => send(build(form)), ok, () => { form.reset(); done(); });
};

/** A new password typed and set by `onSet(password)` (write-only: the field empties). */
function NewPassword({ cls, placeholder, onSet }) {
  const [password, setPassword] = useState("");
  return html`<input type="password" class=${cls} value=${password} placeholder=${placeholder}
      autocomplete="new-password" onInput=${(e) => setPassword(e.currentTarget.value)} />
    <button type="button" class=${`small ${cls}-set`} disabled=${!password}
      onClick=${() => onSet(password).then(() => setPassword(""))}>${t("admin.set_password")}</button>`;
}

function UserRow({ u, onDone }) {
  const saved = u.extensions.join(", ");
  const [exts, setExts] = useState(saved);
  useEffect(() => setExts(saved), [saved]);                // the server's list after a save
  const changed = numbers(exts).sort().join() !== [...u.extensions].sort().join();
  const path = `/users/${encodeURIComponent(u.username)}`;
  const patch = (body, ok) => act(() => api("PATCH", path, body), ok, onDone);
  const save = () => act(() => put(`${path}/extensions`, { extensions: numbers(exts) }), t("admin.saved"), onDone);
  return html`<tr data-user=${u.username}>
    <td>${u.username}</td>
    <td><input class="admin-user-name" value=${u.display_name} maxlength="128"
      onChange=${(e) => patch({ display_name: e.currentTarget.value.trim() }, t("admin.saved"))} /></td>
    <td>${t(`role.${u.role}`)}</td>
    <td>${u.role === "qa" ? html`<span class="muted">—</span>` : html`<input class="admin-exts" value=${exts}
        onInput=${(e) => setExts(e.currentTarget.value)} placeholder="1001, 1002" />
      ${changed ? html`<button type="button" class="small admin-save-exts" onClick=${save}>${t("admin.save")}</button>` : null}`}</td>
    <td><${NewPassword} cls="admin-user-password" placeholder=${t("admin.new_login_password")}
      onSet=${(password) => patch({ password }, t("admin.login_password_set"))} /></td>
    <td class="muted small">${fmtTime(u.created_at)}</td></tr>`;
}

function Users({ users, reload }) {
  // an agent first: the form's default (and what a reset returns to), never an admin
  const roles = ["agent", ...(choices.use()?.roles ?? ["supervisor", "admin", "qa"]).filter((r) => r !== "agent")];
  const create = submitter((body) => post("/users", body), (f) => ({
    username: field(f, "username"), display_name: field(f, "display_name"), role: f.elements.role.value,
    password: f.elements.password.value, extensions: numbers(f.elements.extensions.value) }),
  t("admin.user_created"), reload);
  return html`<section class="panel" id="admin-users"><h3>${t("admin.users")}</h3>
    <table class="kv"><thead><tr><th>${t("admin.username")}</th><th>${t("admin.display_name")}</th>
      <th>${t("admin.role")}</th><th>${t("admin.user_extensions")}</th><th>${t("admin.password")}</th>
      <th>${t("admin.created")}</th></tr></thead>
    <tbody>${users.map((u) => html`<${UserRow} key=${u.username} u=${u} onDone=${reload} />`)}</tbody></table>
    <form class="admin-form" id="admin-new-user" onSubmit=${create}>
      <input name="username" placeholder=${t("admin.username")} required />
      <input name="display_name" placeholder=${t("admin.display_name")} maxlength="128" />
      <select name="role">${options("role", roles)}</select>
      <input name="password" type="password" placeholder=${t("admin.password")} required autocomplete="new-password" />
      <input name="extensions" placeholder=${t("admin.user_extensions")} />
      <button type="submit" class="primary">${t("admin.create_user")}</button></form></section>`;
}

function ExtensionRow({ x, users, onDone }) {
  const [sure, setSure] = useState(false);
  const path = `/extensions/${encodeURIComponent(x.number)}`;
  const patch = (body, ok) => act(() => api("PATCH", path, body), ok, onDone);
  const bound = users.filter((u) => u.extensions.includes(x.number)).map((u) => u.username);
  return html`<tr data-number=${x.number} class=${x.enabled ? "" : "muted"}>
    <td>${x.number}</td>
    <td><input class="admin-ext-name" value=${x.display_name} maxlength="128"
      onChange=${(e) => patch({ display_name: e.currentTarget.value.trim() }, t("admin.saved"))} /></td>
    <td><label class="inline"><input type="checkbox" class="admin-ext-enabled" checked=${x.enabled}
      onChange=${(e) => patch({ enabled: e.currentTarget.checked }, t("admin.saved"))} /> ${t("admin.enabled")}</label></td>
    <td>${bound.join(", ")}</td>
    <td><${NewPassword} cls="admin-ext-password" placeholder=${t("admin.new_password")}
      onSet=${(password) => patch({ password }, t("admin.password_set"))} /></td>
    <td>${sure ? html`<button type="button" class="small danger admin-ext-delete-sure"
        onClick=${() => act(() => del(path), t("admin.deleted"), onDone)}>${t("admin.delete_sure", { n: x.number })}</button>`
      : html`<button type="button" class="small admin-ext-delete" onClick=${() => setSure(true)}>${t("admin.delete")}</button>`}</td></tr>`;
}

function Extensions({ extensions, users, reload }) {
  const create = submitter((body) => post("/extensions", body), (f) => ({
    number: field(f, "number"), display_name: field(f, "display_name"), password: f.elements.password.value }),
  t("admin.extension_created"), reload);
  return html`<section class="panel" id="admin-extensions"><h3>${t("admin.extensions")}</h3>
    <table class="kv"><thead><tr><th>${t("admin.number")}</th><th>${t("admin.display_name")}</th><th>${t("admin.state")}</th>
      <th>${t("admin.bound")}</th><th>${t("admin.sip_password")}</th><th></th></tr></thead>
    <tbody>${extensions.map((x) => html`<${ExtensionRow} key=${x.number} x=${x} users=${users} onDone=${reload} />`)}</tbody></table>
    <form class="admin-form" id="admin-new-extension" onSubmit=${create}>
      <input name="number" placeholder=${t("admin.number")} required />
      <input name="display_name" placeholder=${t("admin.display_name")} maxlength="128" />
      <input name="password" type="password" placeholder=${t("admin.sip_password")} required autocomplete="new-password" />
      <button type="submit" class="primary">${t("admin.create_extension")}</button></form></section>`;
}

export default function Admin() {
  const [data, setData] = useState(null);
  const load = () => Promise.all([get("/users"), get("/extensions")])
    .then(([users, extensions]) => setData({ users, extensions }), () => setData({ users: [], extensions: [] }));
  useEffect(() => { load(); }, []);
  return html`<div class="admin" id="admin-screen">
    <h2>${t("nav.admin")}</h2>
    ${data ? html`<${Users} users=${data.users} reload=${load} />
      <${Extensions} extensions=${data.extensions} users=${data.users} reload=${load} />` : null}
    <p class="muted small">${t("admin.config")} <a href="/docs" target="_blank">/docs</a></p>
  </div>`;
}
