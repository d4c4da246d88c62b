// The API key for writes (uploads and deletes): entered once per browser session and kept in sessionStorage,
// so it is gone when the tab is closed; sent as `Authorization: Bearer <key>`. Without it the documents view is
// read-only. A 401 forgets it (it is wrong or was changed on the server); a 403 means the server refuses every
// write (no RAG_API_KEY there).

import { httpError } from "./errors.js";

const STORE = "rag-news.api-key";
let memory = null; // when sessionStorage is unavailable (a privacy mode), the key lives only in this page
const listeners = new Set();

export const WRONG_KEY_MESSAGE = "API 密钥不正确，已清除，请重新输入 · Wrong API key: it was forgotten, enter it again";
export const WRITES_DISABLED_MESSAGE =
  "服务器未开启修改（启动时未设置 RAG_API_KEY） · Changes are disabled on the server (it was started without RAG_API_KEY)";

export function apiKey() {
  try {
    return sessionStorage.getItem(STORE) || memory;
  } catch {
    return memory;
  }
}

function changed() {
  for (const fn of listeners) fn(apiKey());
}

export function setApiKey(key) {
  memory = key;
  try {
    sessionStorage.setItem(STORE, key);
  } catch {
    /* kept in memory only */
  }
  changed();
}

export function forgetApiKey() {
  memory = null;
  try {
    sessionStorage.removeItem(STORE);
  } catch {
    /* nothing stored */
  }
  changed();
}

// `fn(key or null)` after every change of the key.
export function onApiKeyChange(fn) {
  listeners.add(fn);
}

export function authHeaders(key = apiKey()) {
  return key ? { Authorization: `Bearer ${key}` } : {};
}

// What an HTTP status of a write means for the key: "wrong" (401: forgotten here), "disabled" (403), or null.
export function keyProblem(status) {
  if (status === 401) {
    forgetApiKey();
    return "wrong";
  }
  return status === 403 ? "disabled" : null;
}

// Check a key before keeping it, without changing anything: an empty upload passes the key check (401 or 403
// when it fails) and is then refused as empty (422), so nothing is ever written. Resolves to "ok", "wrong",
// "disabled", or throws (network, or the server not ready).
export async function checkApiKey(key) {
  const res = await fetch("/api/documents", {
    method: "POST",
    headers: { "Content-Type": "application/json", Accept: "application/json", ...authHeaders(key) },
    body: JSON.stringify({ documents: [] }),
  });
  if (res.status === 401) return "wrong";
  if (res.status === 403) return "disabled";
  if (res.ok || res.status === 422) return "ok";
  throw await httpError(res);
}
