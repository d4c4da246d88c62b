"""Start the service with uvicorn, logging one JSON object per line."""

from __future__ import annotations

import asyncio
import json
import logging
import sys
import time
from typing import Any

from rag.engine import Engine
from rag.settings import Settings

log = logging.getLogger("rag.api")
_STD = set(vars(logging.makeLogRecord({})))


class JsonFormatter(logging.Formatter):
    """Structured logs: time, level, logger, message and any `extra` fields."""

    def format(self, record: logging.LogRecord) -> str:
        out = {"ts": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created)) + f".{int(record.msecs):03d}Z",
               "level": record.levelname.lower(), "logger": record.name, "msg": record.getMessage()}
        for k, v in vars(record).items():
            if k not in _STD and k not in ("message", "asctime", "color_message") and v is not None:
                out[k] = v
        if record.exc_info:
            out["exc"] = self.formatException(record.exc_info)
        return json.dumps(out, ensure_ascii=False, default=str)


def configure_logging(level: str = "info") -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    for name in ("uvicorn", "uvicorn.error"):
        logging.getLogger(name).handlers[:] = []
        logging.getLogger(name).propagate = True
    logging.getLogger("uvicorn.access").disabled = True  # our middleware logs requests


def uvicorn_config(app: Any, settings: Settings, port: int | None = None) -> Any:
    """The uvicorn settings the service runs with (also used by the tests' in-process servers)."""
    import uvicorn

    return uvicorn.Config(app, host=settings.host, port=settings.port if port is None else port, log_config=None,
                          access_log=False, timeout_graceful_shutdown=5, lifespan="on",
                          http=header_timeout_protocol(settings.header_timeout))


def header_timeout_protocol(timeout: float) -> type:
    """uvicorn's HTTP protocol, closing a connection whose request headers take longer than `timeout` s.

    uvicorn times out idle keep-alive connections but not a request whose headers trickle in, so a few
    hundred such connections would hold the server's sockets for as long as the client likes."""
    from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

    class HeaderTimeoutProtocol(HttpToolsProtocol):
        _header_timer: asyncio.TimerHandle | None = None

        def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
            super().connection_made(transport)
            self._arm()

        def on_message_begin(self) -> None:
            super().on_message_begin()
            self._arm()

        def on_headers_complete(self) -> None:
            self._disarm()
            super().on_headers_complete()

        def connection_lost(self, exc: Exception | None) -> None:
            self._disarm()
            super().connection_lost(exc)

        def _arm(self) -> None:
            if self._header_timer is None:
                self._header_timer = self.loop.call_later(timeout, self._too_slow)

        def _disarm(self) -> None:
            if self._header_timer is not None:
                self._header_timer.cancel()
                self._header_timer = None

        def _too_slow(self) -> None:
            self._header_timer = None
            if not self.transport.is_closing():
                log.info("closed a connection whose request headers did not arrive in time",
                         extra={"client": self.client, "timeout_s": timeout})
                self.transport.close()

    return HeaderTimeoutProtocol


def serve(settings: Settings, engine: Engine | None = None) -> None:
    """Run the app with uvicorn until interrupted (the engine is loaded first if not given)."""
    import uvicorn

    from rag.api.app import create_app

    configure_logging(settings.log_level)
    app = create_app(settings, engine)
    logging.getLogger("rag.api").info("starting", extra={"host": settings.host, "port": settings.port,
                                                         "url": f"http://{settings.host}:{settings.port}/"})
    uvicorn.Server(uvicorn_config(app, settings)).run()
