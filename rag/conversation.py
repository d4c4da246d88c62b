"""Turn a follow-up question into a standalone search query using the earlier user turns."""

from __future__ import annotations

import re
from collections.abc import Sequence

# Pronouns and deictic words that point back to something named earlier in the conversation.
_ANAPHORA = re.compile(
    r"他|她|它|他们|她们|它们|其|该|此|这位|那位|这个|那个|这些|那些|这件|那件|上述|前者|后者|對方|對此|"
    r"\b(he|she|it|they|him|her|them|his|its|their|this|that|these|those)\b",
    re.I,
)


def needs_context(question: str) -> bool:
    """A question that leans on earlier turns: it uses a pronoun, or is too short to stand alone."""
    q = question.strip()
    return bool(_ANAPHORA.search(q)) or len(re.sub(r"\W", "", q)) <= 6


def standalone_question(question: str, history: Sequence[str], max_chars: int = 2000) -> str:
    """Without an LLM: prefix the most recent earlier user question when this one needs context.

    Retrieval then matches the entity named earlier (e.g. Nazarbayev) together with what is asked
    now (e.g. the year he stepped down); the answer itself still addresses the new question. The query is
    at most `max_chars` long (RAG_MAX_QUESTION_CHARS).
    """
    earlier = [h.strip() for h in history if h and h.strip()]
    if not earlier or not needs_context(question):
        return question.strip()
    q = question.strip()
    room = max(0, max_chars - len(q) - 1)  # the query stays within the question limit: keep the latest words
    return f"{earlier[-1][-room:] if room else ''} {q}".strip()
