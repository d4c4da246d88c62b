"""What the engine answers with: the Answerer interface, the events an answer streams as, and the verdict of the
question gate (a Judgement) that every answerer reads.

The extractive answerer (rag.answer) and the LLM answerer (rag.llm) stand behind `Answerer`; the engine
(rag.engine) is their `AnswerContext`; the API (rag.api) streams their events.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from rag.embedding import Embedder
from rag.features import Query, Sentence
from rag.retrieval import Candidates, Retrieval
from rag.store import IndexView
from rag.types import Answer

Event = tuple[str, dict[str, Any]]
_MARKER = re.compile(r"(\[\d+\])")


@dataclass
class Judgement:
    """Whether the corpus answers the question, and the scored sentences behind that verdict."""

    answerable: bool
    confidence: float  # the question model's probability that the corpus answers
    sentences: list[Sentence]
    # a multi-part question the gate refused as a whole but answers part by part: each such part's best sentence
    parts: list[Sentence] = field(default_factory=list)
    # a multi-part question's parts as queries, when the verdict read them (the selection reads them again)
    part_queries: list[Query] = field(default_factory=list)


class Judge(Protocol):
    """The extractive answerer as other answerers use it (rag.answer.ExtractiveAnswerer): its gate's verdict, and
    the refusal with the nearest articles."""

    def judge(self, snap: IndexView, question: str, cands: Candidates) -> Judgement: ...

    def not_answerable(self, snap: IndexView, question: str, cands: Candidates,
                       passages: list[dict[str, object]]) -> Answer: ...


class AnswerContext(Protocol):
    """What an answerer needs from the engine it answers for (rag.engine.Engine)."""

    embedder: Embedder

    @property
    def extractive(self) -> Judge: ...

    def compose(self, r: Retrieval) -> Answer: ...

    def passages(self, r: Retrieval) -> list[dict[str, object]]: ...


class Answerer(Protocol):
    """What the engine answers with: the extractive answerer, or an LLM answerer in front of it.

    `stream` yields answer events (`delta`, `citation`, `done`, and for an LLM `reset`); `condense`
    rewrites a follow-up as a standalone question, or returns None to use the non-LLM rule."""

    name: str

    def stream(self, engine: AnswerContext, r: Retrieval) -> AsyncIterator[Event]: ...

    async def condense(self, question: str, history: Sequence[str]) -> str | None: ...

    async def aclose(self) -> None: ...


def answer_pieces(answer: Answer, piece_chars: int = 12) -> list[Event]:
    """The answer as delta events, each citation event right after its first marker."""
    by_n = {c.n: c for c in answer.citations}
    sent: set[int] = set()
    events: list[Event] = []
    for part in _MARKER.split(answer.answer):
        if not part:
            continue
        m = _MARKER.fullmatch(part)
        if m:
            events.append(("delta", {"text": part}))
            n = int(part[1:-1])
            if n in by_n and n not in sent:
                sent.add(n)
                events.append(("citation", by_n[n].to_dict()))
            continue
        for i in range(0, len(part), piece_chars):
            events.append(("delta", {"text": part[i:i + piece_chars]}))
    return events
