"""Dependencies shared by the routers: the engine, the settings, and the write-key check."""

from __future__ import annotations

import hmac
from typing import Annotated

from fastapi import Depends, Request

from rag.api.errors import ApiError
from rag.engine import Engine
from rag.settings import Settings


def get_engine(request: Request) -> Engine:
    engine = getattr(request.app.state, "engine", None)
    if engine is None:
        raise ApiError(503, "not_ready", "the index is still loading; retry in a few seconds")
    return engine  # type: ignore[no-any-return]


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
SettingsDep = Annotated[Settings, Depends(get_settings)]
WriteKey = Depends(require_api_key)
