// Errors of requests to the API, in the words the page shows.

export const NETWORK_MESSAGE = "无法连接到服务器 · Could not reach the server";

export class ChatError extends Error {
  constructor(message, detail) {
    super(message);
    this.name = "ChatError";
    this.detail = detail || "";
  }
}

// fetch() rejects with a TypeError when the server cannot be reached.
export const isNetworkError = (err) => err instanceof TypeError;

// A ChatError from an HTTP error response: the API's {"error": {code, message}} body, or FastAPI's {"detail"}.
export async function httpError(res) {
  let message = "";
  let code = "";
  try {
    const body = await res.json();
    if (body && body.error) {
      message = typeof body.error === "string" ? body.error : (body.error.message || "");
      code = (body.error && body.error.code) || "";
    } else if (body && typeof body.detail === "string") {
      message = body.detail;
    } else if (body && Array.isArray(body.detail)) {
      message = body.detail.map((d) => d && d.msg).filter(Boolean).join("; ");
    }
  } catch {
    /* not JSON */
  }
  const detail = `HTTP ${res.status}${code ? ` · ${code}` : ""}`;
  return new ChatError(message || res.statusText || "请求失败 · Request failed", detail);
}
