"""ASGI middleware: request logs, security headers, body-size limit, and backpressure."""

from __future__ import annotations

import json
import logging
import time
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

from rag.settings import Settings

CHAT_PATHS = ("/api/chat", "/v1/chat/completions")  # bodies limited by RAG_MAX_CHAT_BODY_BYTES

log = logging.getLogger("rag.access")
Scope = dict[str, Any]
Receive = Callable[[], Awaitable[dict[str, Any]]]
Send = Callable[[dict[str, Any]], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
       "object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'")
# /docs loads Swagger UI; keep its scripts same-origin too (served from the fastapi package is not possible
# offline), so the docs page gets a policy of its own below.
HEAVY = ("/api/ask", "/api/chat", "/api/search", "/v1/chat/completions", "/api/documents")


async def _send_json(send: Send, status: int, body: dict[str, Any], headers: list[tuple[bytes, bytes]] = ()) -> None:  # type: ignore[assignment]
    data = json.dumps(body, ensure_ascii=False).encode()
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(data)).encode()),
                            *headers]})
    await send({"type": "http.response.body", "body": data})


class ServiceMiddleware:
    """One pass over every request: id, timing log, limits, and headers on the way out."""

    def __init__(self, app: ASGIApp, settings: Settings):
        self.app = app
        self.settings = settings
        self.in_flight = 0
        self.capacity = settings.max_concurrency + settings.max_queue

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        rid = uuid.uuid4().hex[:12]
        t0 = time.perf_counter()
        path: str = scope.get("path", "")
        status_box = {"status": 0}
        limit = self.settings.max_body_bytes
        env_name = "RAG_MAX_BODY_BYTES"
        if path in CHAT_PATHS:  # a conversation is small: a big body there is an attack, not an upload
            limit, env_name = min(limit, self.settings.max_chat_body_bytes), "RAG_MAX_CHAT_BODY_BYTES"

        for k, v in scope.get("headers", []):
            if k == b"content-length" and v.isdigit() and int(v) > limit:
                await _send_json(send, 413, {"error": {"code": "too_large", "message":
                                 f"the request body is over {limit} bytes ({env_name})"}})
                self._log(scope, 413, t0, rid)
                return

        heavy = scope.get("method") == "POST" and path.startswith(HEAVY) or path == "/api/search"
        if heavy and self.in_flight >= self.capacity:
            await _send_json(send, 503, {"error": {"code": "overloaded", "message":
                             "the server is busy; retry in a moment"}}, [(b"retry-after", b"1")])
            self._log(scope, 503, t0, rid)
            return

        received = 0

        async def limited_receive() -> dict[str, Any]:
            nonlocal received
            msg = await receive()
            if msg["type"] == "http.request":
                received += len(msg.get("body", b""))
                if received > limit:
                    raise BodyTooLarge()
            return msg

        async def send_wrapper(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                status_box["status"] = message["status"]
                headers = list(message.get("headers", []))
                headers += [(b"x-request-id", rid.encode()), (b"x-content-type-options", b"nosniff"),
                            (b"referrer-policy", b"no-referrer")]
                if not path.startswith("/docs"):
                    headers.append((b"content-security-policy", CSP.encode()))
                headers.append((b"x-frame-options", b"DENY"))
                message = dict(message, headers=headers)
            await send(message)

        if heavy:
            self.in_flight += 1
        try:
            await self.app(scope, limited_receive, send_wrapper)
        except BodyTooLarge:
            if not status_box["status"]:
                await _send_json(send, 413, {"error": {"code": "too_large", "message":
                                 f"the request body is over {limit} bytes ({env_name})"}})
                status_box["status"] = 413
        finally:
            if heavy:
                self.in_flight -= 1
            self._log(scope, status_box["status"], t0, rid)

    @staticmethod
    def _log(scope: Scope, status: int, t0: float, rid: str) -> None:
        # Only method, path and timing: never headers or bodies (they may carry the API key).
        log.info("request", extra={"request_id": rid, "method": scope.get("method"), "path": scope.get("path"),
                                   "status": status, "ms": round((time.perf_counter() - t0) * 1000, 1)})


class BodyTooLarge(Exception):
    pass
