"""An async client for any OpenAI-compatible chat-completions server (Ollama, vLLM, llama.cpp, ...).

One pooled `httpx.AsyncClient` per process. Every failure surfaces as `LLMError` with a short reason
that is safe to show a user (it becomes the answer's `degraded` notice); retries are bounded and only
happen before any text was received, so a caller never sees the same text twice.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncIterator
from typing import Any

import httpx

from rag.errors import LLMError
from rag.settings import Settings

log = logging.getLogger("rag.llm")
Message = dict[str, str]
_RETRY_STATUS = {408, 409, 425, 429, 500, 502, 503, 504}


class _Retryable(LLMError):
    """A failure before any text arrived: worth another attempt."""


class LLMClient:
    """Chat completions over HTTP: `complete()` for one reply, `stream()` for token deltas."""

    def __init__(self, settings: Settings, transport: httpx.AsyncBaseTransport | None = None):
        if not settings.llm_base_url or not settings.llm_model:
            raise LLMError("RAG_LLM_BASE_URL and RAG_LLM_MODEL must both be set to use an LLM")
        self.model = settings.llm_model
        self.timeout = settings.llm_timeout
        self.retries = max(0, settings.llm_retries)
        self.url = settings.llm_base_url.rstrip("/") + "/chat/completions"
        headers = {"Accept": "application/json, text/event-stream"}
        if settings.llm_api_key:
            headers["Authorization"] = f"Bearer {settings.llm_api_key}"
        self._http = httpx.AsyncClient(
            timeout=httpx.Timeout(settings.llm_timeout), headers=headers, transport=transport,
            limits=httpx.Limits(max_connections=max(4, settings.max_concurrency * 2), max_keepalive_connections=8))

    async def aclose(self) -> None:
        await self._http.aclose()

    def _body(self, messages: list[Message], stream: bool, **params: Any) -> dict[str, Any]:
        return {"model": self.model, "messages": messages, "stream": stream, **params}

    async def complete(self, messages: list[Message], *, retries: int | None = None, **params: Any) -> str:
        """The assistant's whole reply (non-streaming)."""
        tries = 1 + (self.retries if retries is None else max(0, retries))
        for attempt in range(tries):
            try:
                resp = await self._http.post(self.url, json=self._body(messages, False, **params))
                _check_status(resp.status_code, resp.text)
                return _message_content(resp.text)
            except httpx.HTTPError as exc:
                err: LLMError = _Retryable(_describe(exc, self.timeout))
            except _Retryable as exc:
                err = exc
            if attempt + 1 < tries:
                log.warning("LLM attempt failed; retrying", extra={"reason": str(err), "attempt": attempt + 1})
                await asyncio.sleep(0.25 * 2 ** attempt)
                continue
            raise LLMError(str(err)) from err
        raise LLMError("no attempt was made")  # pragma: no cover - tries >= 1

    async def stream(self, messages: list[Message], **params: Any) -> AsyncIterator[str]:
        """Content deltas as they arrive. Raises LLMError on any failure, including a stream that stops
        before the server said it was finished."""
        tries = 1 + self.retries
        for attempt in range(tries):
            sent = False
            try:
                async for piece in self._stream_once(messages, **params):
                    sent = True
                    yield piece
                return
            except httpx.HTTPError as exc:
                reason = _describe(exc, self.timeout, mid_stream=sent)
                retry = not sent
            except _Retryable as exc:
                reason, retry = str(exc), not sent
            if retry and attempt + 1 < tries:
                log.warning("LLM attempt failed; retrying", extra={"reason": reason, "attempt": attempt + 1})
                await asyncio.sleep(0.25 * 2 ** attempt)
                continue
            raise LLMError(reason)

    async def _stream_once(self, messages: list[Message], **params: Any) -> AsyncIterator[str]:
        async with self._http.stream("POST", self.url, json=self._body(messages, True, **params)) as resp:
            if resp.status_code >= 400:
                _check_status(resp.status_code, (await resp.aread()).decode("utf-8", "replace"))
            if "text/event-stream" not in resp.headers.get("content-type", ""):
                # the server ignored stream=true and sent one JSON reply
                yield _message_content((await resp.aread()).decode("utf-8", "replace"))
                return
            finished = False
            async for line in resp.aiter_lines():
                line = line.strip()
                if not line.startswith("data:"):
                    continue  # blank lines, comments, event:/id: fields
                data = line[5:].strip()
                if data == "[DONE]":
                    return
                chunk = _json(data)
                if "error" in chunk:
                    raise LLMError(f"the LLM reported an error: {_error_text(chunk['error'])}")
                for choice in chunk.get("choices") or []:
                    text = (choice.get("delta") or {}).get("content")
                    if isinstance(text, str) and text:
                        yield text
                    if choice.get("finish_reason"):
                        finished = True
            if not finished:
                raise LLMError("the LLM stream stopped before the answer was complete")


def _check_status(status: int, body: str) -> None:
    if status < 400:
        return
    try:
        detail = _error_text(json.loads(body)["error"])
    except (ValueError, KeyError, TypeError):
        detail = body.strip().replace("\n", " ")[:200]
    msg = f"the LLM server returned HTTP {status}" + (f": {detail}" if detail else "")
    raise (_Retryable if status in _RETRY_STATUS else LLMError)(msg)


def _json(text: str) -> dict[str, Any]:
    try:
        data = json.loads(text)
    except ValueError:
        raise LLMError("the LLM server sent malformed output (not JSON)") from None
    if not isinstance(data, dict):
        raise LLMError("the LLM server sent malformed output (not a JSON object)")
    return data


def _message_content(text: str) -> str:
    data = _json(text)
    if "error" in data:
        raise LLMError(f"the LLM reported an error: {_error_text(data['error'])}")
    try:
        content = data["choices"][0]["message"]["content"]
    except (KeyError, IndexError, TypeError):
        raise LLMError("the LLM server sent malformed output (no choices[0].message.content)") from None
    if not isinstance(content, str):
        raise LLMError("the LLM server sent malformed output (content is not text)")
    return content


def _error_text(err: Any) -> str:
    return str(err.get("message", err) if isinstance(err, dict) else err)[:200]


def _describe(exc: httpx.HTTPError, timeout: float, mid_stream: bool = False) -> str:
    """A user-facing reason for a transport failure."""
    if isinstance(exc, httpx.TimeoutException):
        return f"the LLM did not respond within {timeout:g} s"
    if isinstance(exc, httpx.ConnectError):
        return "the LLM server refused the connection or cannot be reached"
    if mid_stream:
        return "the LLM stream stopped before the answer was complete"
    if isinstance(exc, httpx.RemoteProtocolError):
        return "the LLM server closed the connection without a valid reply"
    return f"the LLM request failed ({type(exc).__name__})"
