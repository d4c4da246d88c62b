"""ASGI middleware: request logs, security headers, body size and time limits, backpressure, and 500s."""

from __future__ import annotations

import asyncio
import json
import logging
import time
import uuid
from collections.abc import Awaitable, Callable
from contextvars import ContextVar
from typing import Any

from starlette.requests import ClientDisconnect

from rag.api.metrics import observe_request
from rag.settings import Settings

CHAT_PATHS = ("/api/chat", "/v1/chat/completions")  # bodies limited by RAG_MAX_CHAT_BODY_BYTES

log = logging.getLogger("rag.access")
# The id of the request being served, stamped on every log record written while serving it.
request_id: ContextVar[str | None] = ContextVar("request_id", default=None)
Scope = dict[str, Any]
Receive = Callable[[], Awaitable[dict[str, Any]]]
Send = Callable[[dict[str, Any]], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
       "object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'")
# The API docs page (local Swagger UI assets, rag/api/docs_pages.py) sets inline styles.
DOCS_PATHS = ("/docs",)
DOCS_CSP = CSP.replace("style-src 'self'", "style-src 'self' 'unsafe-inline'").replace(
    "img-src 'self' data:", "img-src 'self' data: blob:").replace("script-src 'self'", "script-src 'self' blob:")
HEAVY = ("/api/ask", "/api/chat", "/api/search", "/v1/chat/completions", "/api/documents")


async def _send_json(send: Send, status: int, body: dict[str, Any], headers: list[tuple[bytes, bytes]] = ()) -> None:  # type: ignore[assignment]
    data = json.dumps(body, ensure_ascii=False).encode()
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(data)).encode()),
                            *headers]})
    await send({"type": "http.response.body", "body": data})


class ServiceMiddleware:
    """One pass over every request: id, timing log, body read with limits, capacity, headers on the way out,
    and the one place an unexpected error is logged and answered (a 500 with the usual headers)."""

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
        request_id.set(rid)
        t0 = time.perf_counter()
        path: str = scope.get("path", "")
        status_box = {"status": 0}

        async def send_wrapper(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                status_box["status"] = message["status"]
                headers = list(message.get("headers", []))
                headers += [(b"x-request-id", rid.encode()), (b"x-content-type-options", b"nosniff"),
                            (b"referrer-policy", b"no-referrer"), (b"x-frame-options", b"DENY"),
                            (b"content-security-policy", (DOCS_CSP if path in DOCS_PATHS else CSP).encode())]
                message = dict(message, headers=headers)
            await send(message)

        heavy = False
        try:
            # The whole body is read before the request counts against capacity: a client that sends half a
            # body and waits holds a connection, never a slot that questions need.
            body = await self._read_body(scope, receive, send_wrapper)
            if body is None:
                return
            heavy = scope.get("method") == "POST" and path.startswith(HEAVY) or path == "/api/search"
            if heavy and self.in_flight >= self.capacity:
                heavy = False
                await _send_json(send_wrapper, 503, {"error": {"code": "overloaded", "message":
                                 "the server is busy; retry in a moment"}}, [(b"retry-after", b"1")])
                return
            if heavy:
                self.in_flight += 1
            await self.app(scope, _replay(body, receive), send_wrapper)
        except ClientDisconnect:
            status_box["status"] = status_box["status"] or 499
            log.info("client disconnected", extra={"path": path})
        except Exception:
            log.exception("unexpected error", extra={"path": path})
            if not status_box["status"]:
                await _send_json(send_wrapper, 500, {"error": {"code": "internal", "message":
                                 f"internal error; the server log has details (request id {rid})"}})
        finally:
            if heavy:
                self.in_flight -= 1
            self._log(scope, status_box["status"] or 499, t0)

    async def _read_body(self, scope: Scope, receive: Receive, send: Send) -> list[dict[str, Any]] | None:
        """The request's body messages, or None once a 408/413 has been sent or the client has gone."""
        s = self.settings
        limit, env_name = s.max_body_bytes, "RAG_MAX_BODY_BYTES"
        if scope.get("path", "") in CHAT_PATHS:  # a conversation is small: a big body is an attack, not an upload
            limit, env_name = min(limit, s.max_chat_body_bytes), "RAG_MAX_CHAT_BODY_BYTES"
        too_large = {"error": {"code": "too_large", "message": f"the request body is over {limit} bytes ({env_name})"}}
        for k, v in scope.get("headers", []):
            if k == b"content-length" and v.isdigit() and int(v) > limit:
                await _send_json(send, 413, too_large, [(b"connection", b"close")])
                return None
        loop = asyncio.get_running_loop()
        start, received, messages = loop.time(), 0, []
        while True:
            # the deadline grows by one second per min_body_rate bytes received
            left = start + s.body_timeout + received / s.min_body_rate - loop.time()
            try:
                msg = await asyncio.wait_for(receive(), max(left, 0.001))
            except TimeoutError:
                await _send_json(send, 408, {"error": {"code": "request_timeout", "message":
                                 f"the request body did not arrive in time ({received} bytes after "
                                 f"{loop.time() - start:.0f} s; RAG_BODY_TIMEOUT, RAG_MIN_BODY_RATE)"}},
                                 [(b"connection", b"close")])
                return None
            if msg["type"] == "http.disconnect":
                raise ClientDisconnect()
            received += len(msg.get("body", b""))
            if received > limit:
                await _send_json(send, 413, too_large, [(b"connection", b"close")])
                return None
            messages.append(msg)
            if not msg.get("more_body", False):
                return messages

    @staticmethod
    def _log(scope: Scope, status: int, t0: float) -> None:
        # Only method, path and timing: never headers or bodies (they may carry the API key).
        seconds = time.perf_counter() - t0
        log.info("request", extra={"method": scope.get("method"), "path": scope.get("path"),
                                   "status": status, "ms": round(seconds * 1000, 1)})
        observe_request(scope, status, seconds)


def stamp_request_ids() -> None:
    """Give every log record a `request_id` attribute (the request being served, or None); idempotent."""
    old = logging.getLogRecordFactory()
    if getattr(old, "stamps_request_id", False):
        return

    def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = old(*args, **kwargs)
        if not hasattr(record, "request_id"):
            record.request_id = request_id.get()
        return record

    factory.stamps_request_id = True  # type: ignore[attr-defined]
    logging.setLogRecordFactory(factory)


def _replay(body: list[dict[str, Any]], receive: Receive) -> Receive:
    """A receive that hands the app the body read so far, then waits on the connection (for a disconnect)."""
    pending = list(body)

    async def replayed() -> dict[str, Any]:
        if pending:
            return pending.pop(0)
        return await receive()

    return replayed


