"""Start the service with uvicorn, logging one JSON object per line."""

from __future__ import annotations

import json
import logging
import sys
import time

from rag.engine import Engine
from rag.settings import Settings

_STD = set(vars(logging.makeLogRecord({})))


class JsonFormatter(logging.Formatter):
    """Structured logs: time, level, logger, message and any `extra` fields."""

    def format(self, record: logging.LogRecord) -> str:
        out = {"ts": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created)) + f".{int(record.msecs):03d}Z",
               "level": record.levelname.lower(), "logger": record.name, "msg": record.getMessage()}
        for k, v in vars(record).items():
            if k not in _STD and k not in ("message", "asctime", "color_message"):
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


def serve(settings: Settings, engine: Engine | None = None) -> None:
    """Run the app with uvicorn until interrupted (the engine is loaded first if not given)."""
    import uvicorn

    from rag.api.app import create_app

    configure_logging(settings.log_level)
    app = create_app(settings, engine)
    logging.getLogger("rag.api").info("starting", extra={"host": settings.host, "port": settings.port,
                                                         "url": f"http://{settings.host}:{settings.port}/"})
    uvicorn.run(app, host=settings.host, port=settings.port, log_config=None, access_log=False,
                timeout_graceful_shutdown=5)
