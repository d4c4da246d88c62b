"""Check an LLM answer against the passages it cites.

The answer is cut into claims: the text before each group of markers (sentence by sentence), plus any
sentence without a marker. A cited claim is supported when enough of its distinctive jieba tokens
occur in the cited passages (idf-weighted overlap), with embedding similarity as a second chance for
paraphrases, and every number it states appears in those passages. Uncited claims are checked
against all passages. Claims in another script than their passage (an English answer over Chinese
news) cannot be checked lexically: they are only checked for numbers, and otherwise left unverified.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from rag.chunking import sentence_spans
from rag.embedding import Embedder
from rag.keywords import tokenize
from rag.questions import is_english
from rag.store import IndexView
from rag.types import Hit

MIN_OVERLAP = 0.5  # idf-weighted share of the claim's tokens found in its passages
RESCUE_OVERLAP = 0.3  # ... or at least this much, and an embedding similarity of RESCUE_SIMILARITY
RESCUE_SIMILARITY = 0.88
_GROUP = re.compile(r"(?:\s*\[\d+\])+")
_NUMBER = re.compile(r"\d+(?:\.\d+)?")
_WORD = re.compile(r"[\w\u3400-\u9fff]")
_LEAD = " \t\n，,、；;：:。.!！?？"


@dataclass
class Claim:
    """One checked piece of the answer."""

    text: str
    citations: list[int]
    supported: bool | None = None  # None: not checkable (no content words, or another script)
    overlap: float | None = None
    similarity: float | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"text": self.text, "citations": self.citations, "supported": self.supported,
                "overlap": None if self.overlap is None else round(self.overlap, 3),
                "similarity": None if self.similarity is None else round(self.similarity, 3)}


def split_claims(answer: str) -> list[Claim]:
    """Claims in reading order; a marker group cites the sentence (or clause) right before it."""
    claims: list[Claim] = []
    pos = 0
    for m in _GROUP.finditer(answer):
        _add(answer[pos:m.start()], [int(x) for x in re.findall(r"\d+", m.group())], claims)
        pos = m.end()
    _add(answer[pos:], [], claims)
    return claims


def _add(piece: str, cites: list[int], claims: list[Claim]) -> None:
    sents = [piece[s:e].lstrip(_LEAD).rstrip() for s, e in sentence_spans(piece)]
    sents = [s for s in sents if _WORD.search(s)]
    if not sents:  # "...。[1]" after a marker: punctuation only, the markers join the previous claim
        if cites and claims:
            claims[-1].citations.extend(n for n in cites if n not in claims[-1].citations)
        return
    claims.extend(Claim(s, []) for s in sents[:-1])
    claims.append(Claim(sents[-1], list(dict.fromkeys(cites))))


def _numbers(text: str) -> set[str]:
    t = unicodedata.normalize("NFKC", text)
    return {n.rstrip("0").rstrip(".") if "." in n else n for n in _NUMBER.findall(re.sub(r"(?<=\d),(?=\d{3})", "", t))}


def verify(answer: str, cited: dict[int, Hit], hits: Sequence[Hit], snap: IndexView,
           embedder: Embedder | None) -> list[Claim]:
    """Check every claim of `answer`; `cited[n]` is the passage behind marker `[n]`."""
    claims = split_claims(answer)
    docs: dict[str, str] = {}
    for h in hits:
        art = snap.articles.get(h.chunk.doc_id)
        docs[h.chunk.id] = (f"{art.title}\n" if art else "") + h.chunk.text
    toks = {cid: set(tokenize(t)) for cid, t in docs.items()}
    nums = {cid: _numbers(t) for cid, t in docs.items()}
    borderline: list[tuple[Claim, list[str]]] = []
    for c in claims:
        ids = [cited[n].chunk.id for n in c.citations if n in cited] or list(docs)
        ids = [i for i in ids if i in docs]
        words = list(dict.fromkeys(tokenize(c.text)))
        numbers_ok = bool(ids) and _numbers(c.text) <= set().union(*(nums[i] for i in ids))
        if not words or not ids:
            c.supported = None if numbers_ok or not ids else False
            continue
        if is_english(c.text) != is_english(docs[ids[0]]):
            c.supported = False if not numbers_ok else None
            continue
        idf = snap.idf(words)
        total = sum(idf.values()) or 1.0
        pool = set().union(*(toks[i] for i in ids))
        c.overlap = sum(w for t, w in idf.items() if t in pool) / total
        c.supported = numbers_ok and c.overlap >= MIN_OVERLAP
        if numbers_ok and RESCUE_OVERLAP <= c.overlap < MIN_OVERLAP:
            borderline.append((c, ids))
    _rescue(borderline, docs, embedder)
    return claims


def _rescue(borderline: list[tuple[Claim, list[str]]], docs: dict[str, str], embedder: Embedder | None) -> None:
    """Borderline claims (a paraphrase shares fewer words) pass if they are close in embedding space.

    Only these are embedded: e5 similarities are too compressed to judge a claim on their own."""
    if embedder is None or not borderline:
        return
    ids = list(dict.fromkeys(i for _, cids in borderline for i in cids))
    vecs = embedder.encode_documents([c.text for c, _ in borderline] + [docs[i] for i in ids])
    claim_vecs, doc_vecs = vecs[:len(borderline)], vecs[len(borderline):]
    for k, (c, cids) in enumerate(borderline):
        sims = np.asarray(doc_vecs @ claim_vecs[k])
        c.similarity = max(float(sims[ids.index(i)]) for i in cids)
        c.supported = c.similarity >= RESCUE_SIMILARITY


def citation_support(claims: Sequence[Claim], n: int) -> bool | None:
    """A citation is unsupported if any claim citing it is; supported if at least one checked claim is."""
    flags = [c.supported for c in claims if n in c.citations]
    if False in flags:
        return False
    return True if True in flags else None
