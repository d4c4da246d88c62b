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
