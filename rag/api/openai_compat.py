"""OpenAI-compatible chat completions: the official `openai` client gets a cited answer.

Citations travel in a top-level `citations` field (and on the final stream chunk), so clients that
only read `choices[0].message.content` still see the `[n]` markers and the source list appended.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import AsyncIterator
from typing import Any

from fastapi import APIRouter

from rag.api.deps import LibraryDep
from rag.api.errors import ERROR_RESPONSES, ApiError
from rag.api.routes_qa import STREAM_OR_JSON, final_answer
from rag.api.schemas import OpenAIChatIn
from rag.api.streaming import answer_events, event_stream, sse
from rag.collections import DEFAULT
from rag.errors import NotFound

router = APIRouter(prefix="/v1", tags=["openai"], responses=ERROR_RESPONSES)
MODEL_ID = "rag-news"
RESET_SEPARATOR = "\n\n[LLM unavailable — extractive answer:]\n"


def model_id(collection: str) -> str:
    """`rag-news` is the default collection; `rag-news:NAME` is collection NAME."""
    return MODEL_ID if collection == DEFAULT else f"{MODEL_ID}:{collection}"


def collection_of(model: str | None) -> str:
    """The collection a `model` names. Another model name (clients often hard-code one) means the default."""
    name, _, coll = (model or MODEL_ID).partition(":")
    return (coll or DEFAULT) if name == MODEL_ID else DEFAULT


@router.get("/models", summary="One model per collection: rag-news (the default one) and rag-news:NAME")
async def models(library: LibraryDep) -> dict[str, Any]:
    return {"object": "list", "data": [{"id": model_id(n), "object": "model", "created": 0, "owned_by": "rag-news"}
                                       for n in library.names()]}


def _extras(done: dict[str, Any]) -> dict[str, Any]:
    """The answer's fields beyond OpenAI's: disagreements between outlets, the gate's confidence, degraded, filters,
    and a timeline question's dated events."""
    return {k: done[k] for k in ("disagreements", "confidence", "degraded", "filters", "timeline") if done.get(k)}


def sources_footer(citations: list[dict[str, Any]]) -> str:
    if not citations:
        return ""
    lines = [f"[{c['n']}] {c['title']}" + (f" ({c['source']}, {str(c['published'] or '')[:10]})" if c.get("source")
                                            else "") + (f" {c['url']}" if c.get("url") else "") for c in citations]
    return "\n\n" + "\n".join(lines)


@router.post("/chat/completions", summary="OpenAI-compatible chat completion with citations",
             responses=STREAM_OR_JSON)
async def chat_completions(body: OpenAIChatIn, library: LibraryDep) -> Any:
    collection = collection_of(body.model)
    try:
        engine = library.get(collection)
    except NotFound:
        raise ApiError(404, "model_not_found", f"no collection {collection!r} for model {body.model!r}: "
                                               "GET /v1/models lists them") from None
    model = model_id(collection)
    if not any(m.role == "user" and isinstance(m.content, str) and m.content.strip() for m in body.messages):
        raise ApiError(422, "invalid_request", "the conversation has no user message with text: send the question")
    users = [m.text() for m in body.messages if m.role == "user" and m.text().strip()]
    question, history = users[-1], users[:-1]
    engine.check_question(question)
    engine.check_history(history)
    cid, created = f"chatcmpl-{uuid.uuid4().hex[:24]}", int(time.time())
    events = answer_events(engine, question, history, None, body.filters.to_filters() if body.filters else None)

    if not body.stream:
        done = final_answer([ev async for ev in events])
        content = done["answer"] + sources_footer(done["citations"])
        return {"id": cid, "object": "chat.completion", "created": created, "model": model,
                "choices": [{"index": 0, "finish_reason": "stop",
                             "message": {"role": "assistant", "content": content}}],
                "usage": {"prompt_tokens": 0, "completion_tokens": 0, "total_tokens": 0},
                "citations": done["citations"], "answerable": done["answerable"], **_extras(done)}

    def chunk(delta: dict[str, Any], finish: str | None = None, **extra: Any) -> str:
        return sse(None, {"id": cid, "object": "chat.completion.chunk", "created": created, "model": model,
                          "choices": [{"index": 0, "delta": delta, "finish_reason": finish}], **extra})

    async def frames() -> AsyncIterator[str]:
        yield chunk({"role": "assistant", "content": ""})
        async for name, data in events:
            if name == "delta":
                yield chunk({"content": data["text"]})
            elif name == "reset":  # streamed text cannot be unsent: the fallback answer follows a separator
                yield chunk({"content": RESET_SEPARATOR})
            elif name == "error":
                yield chunk({"content": f"\n\n[error] {data['message']}"}, "stop")
                break
            elif name == "done":
                footer = sources_footer(data["citations"])
                if footer:
                    yield chunk({"content": footer})
                yield chunk({}, "stop", citations=data["citations"], answerable=data["answerable"], **_extras(data))
        yield sse(None, "[DONE]")

    return event_stream(frames())
