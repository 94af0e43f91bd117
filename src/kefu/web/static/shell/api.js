// kefu HTTP API client: the bearer token lives in sessionStorage (one tab, one login).

const TOKEN = "kefu.token";
const USER = "kefu.user";

export class ApiError extends Error {
  constructor(status, detail) {
    super(detailText(detail));
    this.status = status;
    this.detail = detail;
  }
}

export function session() {
  const token = sessionStorage.getItem(TOKEN);
  if (!token) return null;
  try {
    return { token, ...JSON.parse(sessionStorage.getItem(USER) || "{}") };
  } catch {
    return { token };
  }
}

export function saveSession({ token, username, role }) {
  sessionStorage.setItem(TOKEN, token);
  sessionStorage.setItem(USER, JSON.stringify({ username, role }));
}

export function clearSession() {
  sessionStorage.removeItem(TOKEN);
  sessionStorage.removeItem(USER);
}

let onUnauthorized = () => {};
/** Called when the API answers 401 (token expired or revoked). */
export function setUnauthorizedHandler(fn) { onUnauthorized = fn; }

/** `api("POST", "/agents/alice/login", {...})` → parsed JSON (or null on 204). */
export async function api(method, path, body, { token } = {}) {
  const headers = { "Accept": "application/json" };
  const bearer = token ?? sessionStorage.getItem(TOKEN);
  if (bearer) headers["Authorization"] = `Bearer ${bearer}`;
  if (body !== undefined) headers["Content-Type"] = "application/json";
  const res = await fetch(`/api/v1${path}`, {
    method, headers, body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  let data = null;
  if (text) {
    try { data = JSON.parse(text); } catch { data = text; }
  }
  if (!res.ok) {
    const detail = data && typeof data === "object" && "detail" in data ? data.detail : data;
    if (res.status === 401 && path !== "/auth/login") onUnauthorized();
    throw new ApiError(res.status, detail ?? res.statusText);
  }
  return data;
}

export const get = (path) => api("GET", path);
export const post = (path, body = {}) => api("POST", path, body);
export const put = (path, body = {}) => api("PUT", path, body);
export const del = (path) => api("DELETE", path);

/** fetch under /api/v1 with the token, the body as it is (FormData, text, none): the
 *  Response, for what `api` does not do (uploads, files, YAML); an error answer throws
 *  ApiError with its reason, as `api` does.  The screens' one authorised fetch. */
export async function send(method, path, body, headers = {}) {
  const bearer = sessionStorage.getItem(TOKEN);
  const res = await fetch(`/api/v1${path}`, {
    method, body, headers: { ...(bearer ? { Authorization: `Bearer ${bearer}` } : {}), ...headers },
  });
  if (!res.ok) {
    let detail = res.statusText;
    try { detail = (await res.json()).detail ?? detail; } catch { /* not JSON */ }
    if (res.status === 401) onUnauthorized();
    throw new ApiError(res.status, detail);
  }
  return res;
}

/** Upload `file` as the multipart field `file`; the JSON answer. */
export async function upload(path, file) {
  const form = new FormData();
  form.append("file", file);
  return (await send("POST", path, form)).json();
}

/** Save an authorised file (GET under /api/v1 with the token: a link cannot carry it) under
 *  the name the answer's Content-Disposition gives (RFC 5987 `filename*` first), else
 *  `fallback`. */
export async function download(path, fallback = "download") {
  const res = await send("GET", path);
  const url = URL.createObjectURL(await res.blob());
  const a = Object.assign(document.createElement("a"), { href: url, download: fileName(res) || fallback });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10000);
}

/** The file name of a download answer: `filename*=UTF-8''…` or `filename="…"`. */
export function fileName(res) {
  const header = res.headers.get("Content-Disposition") || "";
  const utf8 = /filename\*=UTF-8''([^;]+)/i.exec(header);
  if (utf8) {
    try { return decodeURIComponent(utf8[1].trim()); } catch { /* malformed: the plain one */ }
  }
  const plain = /filename="([^"]*)"/i.exec(header) || /filename=([^;]+)/i.exec(header);
  return plain ? plain[1].trim() : "";
}

/** Username/password → token, kept in sessionStorage. */
export async function login(username, password) {
  const out = await api("POST", "/auth/login", { username, password }, { token: "" });
  saveSession(out);
  return out;
}

export async function logout() {
  try { await api("POST", "/auth/logout"); } catch { /* already gone */ }
  clearSession();
}

/** An error body's `detail` as text: a 422's validation list (`[{loc, msg, type}]`,
 *  "field: msg; …", the field left out when it is the whole body) or any other error's
 *  reason string. */
export function detailText(d) {
  if (Array.isArray(d)) {
    return d.map((e) => {
      const field = (e.loc || []).slice(1).join(".");
      return field ? `${field}: ${e.msg}` : e.msg;
    }).join("; ");
  }
  return typeof d === "string" ? d : JSON.stringify(d);
}

/** A readable one-line message for an error from `api` (or anything else). */
export function errorText(err) {
  if (err instanceof ApiError) return `${err.status}: ${detailText(err.detail)}`;
  return String(err && err.message ? err.message : err);
}
