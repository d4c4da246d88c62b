"""Dependencies shared by the routers: the engine of the request's collection, the settings, and the
write-key check."""

from __future__ import annotations

import hmac
from typing import Annotated

from fastapi import Depends, Query, Request

from rag.api.errors import ApiError
from rag.collections import NAME, Library
from rag.engine import Engine
from rag.settings import Settings


def get_library(request: Request) -> Library:
    library = getattr(request.app.state, "library", None)
    if library is None:
        raise ApiError(503, "not_ready", "the index is still loading; retry in a few seconds")
    return library  # type: ignore[no-any-return]


def get_engine(request: Request, collection: str | None = Query(
        None, pattern=NAME.pattern, description="the collection to use (default: `default`); GET /api/collections "
                                                "lists them")) -> Engine:
    return get_library(request).get(collection)


def engine_for(request: Request, collection: str | None, engine: Engine) -> Engine:
    """The engine of a body's `collection` field when it names one, else the one the query chose."""
    return get_library(request).get(collection) if collection else engine


def get_settings(request: Request) -> Settings:
    return request.app.state.settings  # type: ignore[no-any-return]


def require_api_key(request: Request, settings: Annotated[Settings, Depends(get_settings)]) -> None:
    """Writes need `Authorization: Bearer <RAG_API_KEY>`; with no key configured, writes are refused."""
    if not settings.api_key:
        raise ApiError(403, "writes_disabled",
                       "changing the corpus is disabled: start the server with RAG_API_KEY set")
    auth = request.headers.get("authorization", "")
    scheme, _, token = auth.partition(" ")
    if scheme.lower() != "bearer" or not hmac.compare_digest(token.strip().encode(), settings.api_key.encode()):
        raise ApiError(401, "unauthorized", "send the API key as `Authorization: Bearer <RAG_API_KEY>`",
                       headers={"WWW-Authenticate": "Bearer"})


EngineDep = Annotated[Engine, Depends(get_engine)]
LibraryDep = Annotated[Library, Depends(get_library)]
SettingsDep = Annotated[Settings, Depends(get_settings)]
WriteKey = Depends(require_api_key)
