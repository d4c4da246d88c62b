"""A deterministic fake embedder for fast unit tests: hashed character bigrams, L2-normalised."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence

import numpy as np

from rag.keywords import normalize


class HashEmbedder:
    """Texts sharing character bigrams get similar vectors; no model, no network, microseconds."""

    def __init__(self, dim: int = 128, name: str = "fake-hash-bigrams"):
        self.dim, self.name = dim, name
        self.calls = 0
        self.documents_encoded = 0

    def _vec(self, text: str) -> np.ndarray:
        v = np.zeros(self.dim, dtype=np.float32)
        t = re.sub(r"\W+", "", normalize(text))
        for i in range(max(1, len(t) - 1)):
            h = int.from_bytes(hashlib.blake2b(t[i:i + 2].encode(), digest_size=4).digest(), "little")
            v[h % self.dim] += 1.0
        v += 0.01  # never the zero vector
        return v / np.linalg.norm(v)

    def encode_queries(self, texts: Sequence[str]) -> np.ndarray:
        self.calls += 1
        return np.vstack([self._vec(t) for t in texts]) if texts else np.zeros((0, self.dim), np.float32)

    def encode_documents(self, texts: Sequence[str], progress: bool = False) -> np.ndarray:
        self.calls += 1
        self.documents_encoded += len(texts)
        return np.vstack([self._vec(t) for t in texts]) if texts else np.zeros((0, self.dim), np.float32)


def hand_model():  # type: ignore[no-untyped-def]
    """A hand-set answer scorer for unit tests with the fake embedder (the packaged one is fitted on the real
    model's cosines): passages by keyword rank; a sentence answers when it has the asked type and shares
    rare terms with the question; the corpus answers when its best sentence does."""
    from rag.features import PASSAGE_FEATURES, QUESTION_FEATURES, SENTENCE_FEATURES
    from rag.scorer import Linear, ScorerModel

    def lin(names: tuple[str, ...], weights: dict[str, float], b: float, t: float) -> Linear:
        return Linear(names, np.array([weights.get(n, 0.0) for n in names]), b, t, "hand-set for tests")

    return ScorerModel(lin(PASSAGE_FEATURES, {"p_kw_rr": 4.0, "p_cov": 2.0}, -2.0, 0.5),
                       lin(SENTENCE_FEATURES, {"s_lex": 6.0, "s_type_match": 3.0, "s_type_miss": -3.0}, -4.0, 0.6),
                       lin(QUESTION_FEATURES, {"best_logit": 2.0}, 0.0, 0.5))
