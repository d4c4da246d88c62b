"""Pure scoring functions: passage ranks, recall@k, MRR, answer hit, abstention, latency percentiles."""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence

from rag.chunking import sentence_spans

_MARKER = re.compile(r"\[\d+\]")
_SPACE = re.compile(r"\s+")


def dedup(ids: Iterable[str]) -> list[str]:
    """Ids in order of first appearance (chunks -> the passages they came from)."""
    return list(dict.fromkeys(ids))


def rank_of(gold: str, ranked: Sequence[str]) -> int | None:
    """1-based rank of `gold` among the deduplicated `ranked` ids, or None when absent."""
    for i, pid in enumerate(dedup(ranked), 1):
        if pid == gold:
            return i
    return None


def recall_at(ranks: Sequence[int | None], k: int) -> float:
    """Share of questions whose gold passage is ranked within the top k."""
    if not ranks:
        return 0.0
    return sum(1 for r in ranks if r is not None and r <= k) / len(ranks)


def mrr_at(ranks: Sequence[int | None], k: int = 10) -> float:
    """Mean reciprocal rank, counting ranks beyond k (or missing) as 0."""
    if not ranks:
        return 0.0
    return sum(1.0 / r for r in ranks if r is not None and r <= k) / len(ranks)


def strip_markers(answer: str) -> str:
    """The answer text without citation markers like `[1]`."""
    return _MARKER.sub("", answer)


def limit_answer(answer: str, max_sentences: int = 3, max_chars: int = 250) -> tuple[str, bool]:
    """The answer cut to `max_sentences` sentences and `max_chars` characters; True if it was cut."""
    text = strip_markers(answer).strip()
    spans = sentence_spans(text)
    cut = False
    if len(spans) > max_sentences:
        text, cut = text[:spans[max_sentences - 1][1]], True
    if len(text) > max_chars:
        text, cut = text[:max_chars], True
    return text, cut


def _norm(text: str) -> str:
    """For matching answers: NFKC, case folded, no whitespace, simplified script (a traditional gold answer
    matches the same words quoted from a simplified corpus)."""
    from rag.keywords import to_simplified

    return _SPACE.sub("", to_simplified(unicodedata.normalize("NFKC", text)).casefold())


def contains_answer(text: str, golds: Sequence[str]) -> bool:
    """True when any gold answer occurs in `text` (NFKC, case and whitespace insensitive)."""
    t = _norm(text)
    return any(_norm(g) and _norm(g) in t for g in golds)


def answer_hit(answer: str, golds: Sequence[str], max_sentences: int = 3,
               max_chars: int = 250) -> tuple[bool, bool]:
    """(hit, truncated): does the length-limited, marker-free answer contain a gold answer."""
    text, truncated = limit_answer(answer, max_sentences, max_chars)
    return contains_answer(text, golds), truncated


def abstention(abstained: Sequence[bool], unanswerable: Sequence[bool]) -> dict[str, float | int | None]:
    """Precision and recall of abstaining on the unanswerable questions, false abstentions on the rest."""
    pairs = list(zip(abstained, unanswerable))
    tp = sum(1 for a, u in pairs if a and u)
    fp = sum(1 for a, u in pairs if a and not u)
    fn = sum(1 for a, u in pairs if not a and u)
    rest = sum(1 for _, u in pairs if not u)
    return {
        "unanswerable": tp + fn,
        "abstained": tp + fp,
        "precision": tp / (tp + fp) if tp + fp else None,
        "recall": tp / (tp + fn) if tp + fn else None,
        "false_abstention_rate": fp / rest if rest else None,
    }


def percentile(values: Sequence[float], p: float) -> float:
    """The p-th percentile (0-100) by linear interpolation; 0.0 for no values."""
    if not values:
        return 0.0
    xs = sorted(values)
    pos = (len(xs) - 1) * p / 100
    lo, hi = math.floor(pos), math.ceil(pos)
    return xs[lo] + (xs[hi] - xs[lo]) * (pos - lo)


def _share(flags: Sequence[bool | None]) -> float | None:
    vals = [f for f in flags if f is not None]
    return sum(1 for f in vals if f) / len(vals) if vals else None


def summarize(records: Sequence[Mapping[str, object]], ks: Sequence[int]) -> dict[str, object]:
    """Figures for a group of per-question records (see runner.run_questions for their keys).

    Ranking, answer and citation figures cover the questions whose gold passage is in the index.
    """
    scored = [r for r in records if not r["held_out"]]
    ranks: list[int | None] = [r["rank"] for r in scored]  # type: ignore[misc]
    latencies = [float(r["seconds"]) for r in records]  # type: ignore[arg-type]
    out: dict[str, object] = {"n": len(scored)}
    for k in ks:
        out[f"recall@{k}"] = recall_at(ranks, k)
    out["mrr@10"] = mrr_at(ranks, 10)
    if any(r.get("answer_hit") is not None for r in scored):
        out["answer_hit"] = _share([r.get("answer_hit") for r in scored])  # type: ignore[misc]
        out["citation_hit"] = _share([r.get("citation_hit") for r in scored])  # type: ignore[misc]
        out["abstained"] = _share([not r["answerable"] for r in scored])
        out["truncated"] = _share([r.get("truncated") for r in scored])  # type: ignore[misc]
    out["latency_ms_p50"] = round(1000 * percentile(latencies, 50), 1)
    out["latency_ms_p95"] = round(1000 * percentile(latencies, 95), 1)
    return out
