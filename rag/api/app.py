"""Assemble the FastAPI app: routers, error handlers, middleware, the web chat, health checks."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import FileResponse, JSONResponse
from fastapi.staticfiles import StaticFiles
from starlette.concurrency import run_in_threadpool

from rag import __name__ as _pkg  # noqa: F401
from rag.api import (
    docs_pages,
    errors,
    metrics,
    openai_compat,
    routes_collections,
    routes_docs,
    routes_qa,
    routes_summary,
)
from rag.api.middleware import ServiceMiddleware, stamp_request_ids
from rag.collections import Library
from rag.engine import Engine
from rag.settings import Settings, get_settings

log = logging.getLogger("rag.api")
WEB_DIR = Path(__file__).resolve().parents[2] / "web"


def create_app(settings: Settings | None = None, engine: Engine | None = None) -> FastAPI:
    """The app. Without settings, the process-wide `get_settings()`; without an engine, it loads the index
    from settings.index_dir at startup."""
    settings = get_settings() if settings is None else settings

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if app.state.engine is None:
            app.state.engine = await run_in_threadpool(Engine.open, settings)
        eng: Engine = app.state.engine
        app.state.library = Library(settings, eng.embedder, default=eng)
        # warm every stage so the first user does not pay for it
        await run_in_threadpool(eng.warm_up)
        attached = None
        if settings.llm_enabled and eng.answerer is eng.extractive:
            from rag.llm import LLMAnswerer  # lazy: only when an LLM is configured

            attached = eng.answerer = LLMAnswerer(settings)
            log.info("LLM answers on", extra={"llm_url": settings.llm_base_url, "llm_model": settings.llm_model})
        app.state.ready = True
        log.info("ready", extra={"index": str(settings.index_dir), "passages": len(eng.snapshot),
                                 "articles": len(eng.snapshot.articles), "model": eng.embedder.name})
        routes_feeds.start(app)  # feeds: poll in the background when there are any
        try:
            yield
        finally:
            await routes_feeds.stop(app)
            if attached is not None:
                eng.answerer = eng.extractive
                await attached.aclose()

    app = FastAPI(title="rag-news", version="0.1.0", lifespan=lifespan, docs_url=None, redoc_url=None,
                  description="Cited question answering over Chinese news. Every `[n]` marker in an answer "
                              "resolves to an exact character span of an article.")
    app.state.settings = settings
    app.state.engine = engine  # the default collection's
    app.state.library = None
    app.state.ready = False
    errors.install(app)
    docs_pages.install(app)
    app.include_router(routes_qa.router)
    app.include_router(routes_docs.router)
    app.include_router(routes_summary.router)
    app.include_router(routes_collections.router)
    app.include_router(openai_compat.router)
    app.include_router(metrics.router)
    from rag.api import routes_feeds  # feeds (rag/feeds/): the routes, and the poller the lifespan starts

    routes_feeds.install(app, settings)

    @app.get("/healthz", tags=["health"], summary="The process is alive")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/readyz", tags=["health"], summary="The index is loaded and the model is warm")
    async def readyz(request: Request) -> Any:
        eng = request.app.state.engine
        if not request.app.state.ready or eng is None:
            return JSONResponse({"status": "loading"}, status_code=503)
        return {"status": "ready", "articles": len(eng.snapshot.articles), "passages": len(eng.snapshot),
                "model": eng.embedder.name, "llm": eng.answerer is not eng.extractive}

    if WEB_DIR.is_dir():
        app.mount("/static", StaticFiles(directory=WEB_DIR), name="static")

        @app.api_route("/", methods=["GET", "HEAD"], include_in_schema=False)
        async def index() -> FileResponse:
            return FileResponse(WEB_DIR / "index.html", media_type="text/html")

    if settings.cors_origins.strip():
        from fastapi.middleware.cors import CORSMiddleware

        app.add_middleware(CORSMiddleware, allow_origins=[o.strip() for o in settings.cors_origins.split(",")],
                           allow_methods=["GET", "POST", "DELETE"], allow_headers=["authorization", "content-type"])
    app.add_middleware(ServiceMiddleware, settings=settings)
    stamp_request_ids()
    return app
