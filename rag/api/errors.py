"""Library errors become JSON HTTP errors here, at the edge: {"error": {"code", "message"}}."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException as StarletteHTTPException

from rag.errors import (
    ConfigError,
    Conflict,
    IndexError_,
    IndexNotFound,
    InputError,
    LLMError,
    ModelError,
    NotFound,
    RagError,
)

log = logging.getLogger("rag.api")


class ApiError(Exception):
    """An HTTP error with a code and a message a person can act on."""

    def __init__(self, status: int, code: str, message: str, headers: dict[str, str] | None = None,
                 **extra: object):
        super().__init__(message)
        self.status, self.code, self.message, self.headers = status, code, message, headers
        self.extra = extra


RETRY_AFTER_S = "5"  # a missing index or model is rebuilt or loaded in seconds to minutes: ask again soon


class ErrorBody(BaseModel):
    code: str = Field(..., description="a stable machine-readable code, e.g. bad_request, not_found, too_large")
    message: str = Field(..., description="what went wrong and what to do, for a person")


class ErrorOut(BaseModel):
    """Every error reply of the API."""

    error: ErrorBody


def _doc(description: str) -> dict[str, Any]:
    return {"model": ErrorOut, "description": description}


# The error replies every route can give, declared in the OpenAPI document.
ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    400: _doc("bad input: an empty or over-long question, invalid JSON, an invalid value"),
    404: _doc("no such collection (or, where the path names one, no such article or passage)"),
    413: _doc("the request body, an article or an upload is over its limit (the message names the setting)"),
    422: _doc("the body does not match the schema (the message names the field)"),
    503: _doc("overloaded, or the index or model is not ready: retry after the Retry-After header"),
}
NOT_FOUND: dict[int | str, dict[str, Any]] = {404: _doc("no such id")}
CONFLICT: dict[int | str, dict[str, Any]] = {409: _doc("the name exists already")}
WRITE_ERRORS: dict[int | str, dict[str, Any]] = {401: _doc("missing or wrong API key"), 403: _doc("writes are disabled (no RAG_API_KEY set)"),
                404: _doc("no such id"), 415: _doc("not JSON or multipart/form-data")}


def error_response(status: int, code: str, message: str, headers: dict[str, str] | None = None,
                   **extra: object) -> JSONResponse:
    body: dict[str, object] = {"code": code, "message": message}
    body.update(extra)
    if status == 503:
        headers = {"Retry-After": RETRY_AFTER_S, **(headers or {})}
    return JSONResponse({"error": body}, status_code=status, headers=headers)


def status_for(exc: RagError) -> tuple[int, str]:
    """The one mapping of the package's errors to HTTP statuses (the JSON, streaming and OpenAI paths)."""
    if isinstance(exc, NotFound):
        return 404, "not_found"
    if isinstance(exc, Conflict):
        return 409, "conflict"
    if isinstance(exc, InputError):
        return 400, "bad_request"
    if isinstance(exc, IndexNotFound):
        return 503, "no_index"
    if isinstance(exc, (IndexError_, ModelError, LLMError)):
        return 503, "unavailable"
    if isinstance(exc, ConfigError):
        return 500, "misconfigured"
    return 500, "internal"


# pydantic's messages for the two mistakes people make most, said the way the rest of the API says things
_PLAIN = {"string_pattern_mismatch": "is empty: type some text",
          "string_too_short": "is empty: type some text",
          "string_unicode": "holds a character that is not valid Unicode text (a lone surrogate): send it as UTF-8"}


def _describe(errors: list[dict[str, object]]) -> str:
    parts = []
    for e in errors[:5]:
        loc = ".".join(str(x) for x in e.get("loc", ()) if x != "body")  # type: ignore[union-attr,attr-defined]
        plain = _PLAIN.get(str(e.get("type")))
        ctx = e.get("ctx")
        pattern = ctx.get("pattern") if isinstance(ctx, dict) else None
        if plain and (e.get("type") != "string_pattern_mismatch" or pattern == r"\S"):
            parts.append(f"{loc or 'body'} {plain}")
        else:
            parts.append(f"{loc or 'body'}: {e.get('msg')}")
    return "; ".join(parts)


def install(app: FastAPI) -> None:
    @app.exception_handler(ApiError)
    async def _api(_: Request, exc: ApiError) -> JSONResponse:
        return error_response(exc.status, exc.code, exc.message, exc.headers, **exc.extra)

    @app.exception_handler(RagError)
    async def _rag(_: Request, exc: RagError) -> JSONResponse:
        status, code = status_for(exc)
        if status >= 500:
            log.error("request failed", extra={"error": str(exc)})
        return error_response(status, code, str(exc))

    @app.exception_handler(RequestValidationError)
    async def _invalid(_: Request, exc: RequestValidationError) -> JSONResponse:
        errs = exc.errors()
        if any(e.get("type") == "json_invalid" for e in errs):
            return error_response(400, "invalid_json", "the request body is not valid JSON")
        return error_response(422, "invalid_request", _describe(list(errs)))

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, "http_error")
        headers = {k: v for k, v in (getattr(exc, "headers", None) or {}).items() if k.lower() != "allow"}
        if exc.status_code == 405:  # every method served at this path, not just the first route's
            headers["Allow"] = ", ".join(_allowed_methods(request))
        return error_response(exc.status_code, code, str(exc.detail), headers or None)
    # Anything else is logged once and answered with a 500 by rag.api.middleware.ServiceMiddleware.


def _allowed_methods(request: Request) -> list[str]:
    """The methods the app serves at this request's path (for a 405's Allow header): those for which some
    route matches in full."""
    from starlette.routing import Match

    allowed = []
    for method in ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"):
        scope = {**request.scope, "method": method}
        if any(route.matches(scope)[0] == Match.FULL for route in request.app.router.routes):
            allowed.append(method)
    return allowed
