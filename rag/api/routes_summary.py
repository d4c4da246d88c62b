"""Summaries: GET /api/documents/{id}/summary, an article's most central sentences in the answer contract
(rag.summary). A chat request ("总结一下…") gets the same kind of answer through the engine."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from starlette.concurrency import run_in_threadpool

from rag.api.deps import EngineDep
from rag.api.errors import ERROR_RESPONSES, NOT_FOUND
from rag.summary import summarize_document

router = APIRouter(prefix="/api/documents", tags=["documents"], responses=ERROR_RESPONSES)


@router.get("/{doc_id}/summary", responses=NOT_FOUND,
            summary="An extractive summary of one article: its 3-5 most central sentences, each cited to its span")
async def document_summary(doc_id: str, engine: EngineDep) -> dict[str, Any]:
    answer = await run_in_threadpool(summarize_document, engine.snapshot, doc_id)
    return answer.to_dict()
