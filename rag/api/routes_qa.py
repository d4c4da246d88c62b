"""Question answering endpoints: ask, chat (JSON or SSE), search, citation lookup."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

from fastapi import APIRouter, Query, Request
from starlette.concurrency import run_in_threadpool

from rag.api.deps import EngineDep, engine_for
from rag.api.errors import ERROR_RESPONSES, NOT_FOUND, ApiError
from rag.api.schemas import NOT_BLANK, AskIn, ChatIn
from rag.api.streaming import answer_events, event_stream, sse
from rag.retrieval import facets
from rag.types import page_of

router = APIRouter(prefix="/api", tags=["questions"], responses=ERROR_RESPONSES)
# with "stream": true the reply is server-sent events instead of JSON
STREAM_OR_JSON: dict[int | str, dict[str, Any]] = {200: {"content": {
    "application/json": {}, "text/event-stream": {"schema": {  # one server-sent event: its name and JSON data
        "type": "object", "required": ["data"],
        "properties": {"event": {"type": "string"}, "data": {"type": "string"}}}}}}}


@router.post("/ask", summary="Answer a question with cited sentences")
async def ask(body: AskIn, engine: EngineDep, request: Request) -> dict[str, Any]:
    engine = engine_for(request, body.collection, engine)
    filters = body.filters.to_filters() if body.filters else None
    events = [ev async for ev in answer_events(engine, body.question, (), body.top_k, filters)]
    return final_answer(events)


def final_answer(events: list[tuple[str, dict[str, Any]]]) -> dict[str, Any]:
    """The `done` answer of a non-streaming request, or its `error` as an HTTP error with the event's status."""
    for name, data in reversed(events):
        if name == "done":
            return data
        if name == "error":
            raise ApiError(int(data.get("status", 400)), str(data.get("code", "bad_request")), str(data.get("message")))
    raise ApiError(500, "internal", "no answer was produced")


def split_chat(body: ChatIn) -> tuple[str, list[str]]:
    """The last user message is the question; earlier user messages are the context (assistant turns,
    including any after the question, are not used)."""
    users = [m.content for m in body.messages if m.role == "user"]
    if not users:
        raise ApiError(422, "invalid_request", "the conversation has no user message: send the question as one")
    return users[-1], users[:-1]


@router.post("/chat", summary="Answer the last user message in the context of the conversation",
             responses=STREAM_OR_JSON)
async def chat(body: ChatIn, engine: EngineDep, request: Request) -> Any:
    engine = engine_for(request, body.collection, engine)
    question, history = split_chat(body)
    engine.check_question(question)  # reject bad input with a status code before any stream starts
    engine.check_history(history)
    filters = body.filters.to_filters() if body.filters else None
    events = answer_events(engine, question, history, body.top_k, filters)
    if not body.stream:
        return final_answer([ev async for ev in events])

    async def frames() -> AsyncIterator[str]:
        async for name, data in events:
            yield sse(name, data)

    return event_stream(frames())


@router.get("/facets", summary="Outlets and date span of the articles, with counts (for the filter controls)")
async def get_facets(engine: EngineDep) -> dict[str, Any]:
    return facets(engine.snapshot.outlets_and_dates())


@router.get("/search", summary="Ranked passages for a query, with article metadata")
async def search(engine: EngineDep, q: str = Query(..., min_length=1, pattern=NOT_BLANK, description="the query"),
                 k: int = Query(10, ge=1, le=50)) -> dict[str, Any]:
    return {"query": q, "results": await run_in_threadpool(engine.search, q, k)}


@router.get("/citations/{chunk_id:path}", summary="Look up a cited passage: span, article and context",
            responses=NOT_FOUND)
async def citation(chunk_id: str, engine: EngineDep) -> dict[str, Any]:
    snap = engine.snapshot
    chunk = snap.chunk(chunk_id)
    art = snap.article(chunk.doc_id)
    rows = snap.article_rows(chunk.doc_id)
    pos = rows.index(snap.row_of(chunk.id))

    def brief(i: int) -> dict[str, Any]:
        c = snap.chunk_at(rows[i])
        return {"chunk_id": c.id, "text": c.text, "start": c.start, "end": c.end}

    return {"chunk_id": chunk.id, "doc_id": chunk.doc_id, "text": chunk.text, "start": chunk.start,
            "end": chunk.end, "url": art.url, "article": art.meta(),
            **({"page": page_of(art, chunk.start)} if art.pages else {}),
            "context": {"before": [brief(pos - 1)] if pos > 0 else [],
                        "after": [brief(pos + 1)] if pos + 1 < len(rows) else []}}
