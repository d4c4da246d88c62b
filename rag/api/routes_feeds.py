"""Feeds: list them with their status; add and remove them with the API key. The poller runs in the server
process (a background thread started with the app, or by the first feed added) and writes to the default
index."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, FastAPI, Request, Response
from pydantic import BaseModel, ConfigDict, Field
from starlette.concurrency import run_in_threadpool

from rag.api.deps import WriteKey
from rag.api.errors import ERROR_RESPONSES, NOT_FOUND, WRITE_ERRORS
from rag.feeds.service import MIN_INTERVAL, FeedService
from rag.settings import Settings

router = APIRouter(prefix="/api/feeds", tags=["feeds"], responses=ERROR_RESPONSES)
MAX_INTERVAL = 7 * 86400.0  # a feed polled less than weekly is not keeping anything current


# an http(s) URL with an ASCII host (IDNs in their xn-- form) and a valid port: every URL this admits is one
# rag.feeds.urls.canonical_url accepts, so that the schema says exactly what is refused
_PORT = r"(6553[0-5]|655[0-2][0-9]|65[0-4][0-9]{2}|6[0-4][0-9]{3}|[1-5][0-9]{4}|[0-9]{1,4})"
URL_PATTERN = rf"^https?://[A-Za-z0-9][A-Za-z0-9.\-]*(:{_PORT})?([/?#]\S*)?$"


class FeedIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    url: str = Field(..., max_length=2000, pattern=URL_PATTERN,
                     description="the RSS or Atom feed's http(s) URL")
    interval: float | None = Field(None, ge=MIN_INTERVAL, le=MAX_INTERVAL,
                                   description="seconds between two polls (default: RAG_FEED_INTERVAL)")


def install(app: FastAPI, settings: Settings) -> None:
    """The feed service (writing through the app's engine once it is loaded) and the routes."""
    app.state.feeds = FeedService(settings, upsert=lambda articles: app.state.engine.upsert(articles))
    app.include_router(router)


def start(app: FastAPI) -> None:
    """At startup: poll in the background if there are feeds (adding one starts the poller too)."""
    feeds: FeedService = app.state.feeds
    if feeds.state.feeds():
        feeds.start()


async def stop(app: FastAPI) -> None:
    await run_in_threadpool(app.state.feeds.stop)


# the feed a POST returns, for the routes that take its id (OpenAPI links: API clients and fuzzers follow them)
_LINKS = {name: {"operationId": op, "parameters": {"feed_id": "$response.body#/feed/id"}}
          for name, op in (("GetFeed", "get_feed"), ("DeleteFeed", "delete_feed"))}


def _service(request: Request) -> FeedService:
    return request.app.state.feeds  # type: ignore[no-any-return]


@router.get("", summary="The feeds, each with its last poll, last success, items seen and indexed, and errors")
async def list_feeds(request: Request) -> dict[str, Any]:
    svc = _service(request)
    return {"feeds": await run_in_threadpool(svc.status), "poller": "running" if svc.running else "stopped"}


@router.get("/{feed_id}", summary="One feed's status", responses=NOT_FOUND, operation_id="get_feed")
async def get_feed(feed_id: str, request: Request) -> dict[str, Any]:
    return await run_in_threadpool(_service(request).describe, feed_id)


@router.post("", summary="Add a feed (polled at once, then every `interval` seconds); needs the API key",
             status_code=201, dependencies=[WriteKey],
             responses={201: {"description": "the feed was added", "links": _LINKS},
                        200: {"description": "the feed was there already: its interval was updated",
                              "links": _LINKS}, **WRITE_ERRORS})
async def add_feed(body: FeedIn, request: Request, response: Response) -> dict[str, Any]:
    svc = _service(request)
    row, new = await run_in_threadpool(svc.add, body.url, body.interval)
    svc.wake()  # the poller polls the due feeds now (starting if this is the first feed)
    if not new:
        response.status_code = 200
    return {"feed": row, "added": new,
            "message": f"{'added' if new else 'updated'} feed {row['id']}: polled "
                       f"{'now' if new else 'on schedule'}, then every {row['interval']:g} s; "
                       "GET /api/feeds shows its status"}


@router.delete("/{feed_id}", summary="Remove a feed (its articles stay in the index); needs the API key",
               dependencies=[WriteKey], responses=WRITE_ERRORS, operation_id="delete_feed")
async def delete_feed(feed_id: str, request: Request) -> dict[str, Any]:
    feed = await run_in_threadpool(_service(request).remove, feed_id)
    return {"deleted": feed.id, "url": feed.url,
            "message": f"removed feed {feed.id}; the articles it brought stay in the index"}
