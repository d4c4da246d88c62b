"""The learned answer scorer's models: three logistic models over the features of rag.features.

- passage model: "this passage contains the answer". It reranks the fused candidates, so the fusion's weights are
  learned rather than fixed (dense wins on news, BM25 on Wikipedia QA: the model sees both signals and the
  question's language).
- sentence model: "which of the question's candidate sentences answers it" (listwise: a softmax over the
  candidates).
- question model: "the corpus answers this question", from the best sentences and passages.

Coefficients live in rag/models/scorer.json (plain JSON), written by `python -m rag.evaluation.fit`,
which also records the data and figures each threshold came from.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

MODEL_PATH = Path(__file__).resolve().parent / "models" / "scorer.json"


@dataclass
class Linear:
    """A logistic model over named features (standardisation folded in at fit time)."""

    features: tuple[str, ...]
    coef: np.ndarray
    intercept: float
    threshold: float = 0.5
    provenance: str = ""

    def logit(self, rows: np.ndarray) -> np.ndarray:
        if rows.size == 0:
            return np.zeros(0, dtype=np.float64)
        return rows @ self.coef + self.intercept

    @staticmethod
    def prob(logit: np.ndarray | float) -> Any:
        return 1.0 / (1.0 + np.exp(-np.asarray(logit)))

    def to_dict(self) -> dict[str, Any]:
        return {"features": list(self.features), "coef": [round(float(c), 6) for c in self.coef],
                "intercept": round(float(self.intercept), 6), "threshold": round(float(self.threshold), 6),
                "provenance": self.provenance}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Linear:
        return cls(tuple(d["features"]), np.asarray(d["coef"], dtype=np.float64), float(d["intercept"]),
                   float(d.get("threshold", 0.5)), str(d.get("provenance", "")))


@dataclass
class ScorerModel:
    passage: Linear | None
    sentence: Linear | None
    question: Linear | None
    meta: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def load(cls, path: Path = MODEL_PATH) -> ScorerModel:
        d = json.loads(path.read_text(encoding="utf-8"))
        p, s, q = (Linear.from_dict(d[k]) if d.get(k) else None for k in ("passage", "sentence", "question"))
        return cls(p, s, q, d.get("meta", {}))

    def save(self, path: Path = MODEL_PATH) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        d = {"meta": self.meta, **{k: (m.to_dict() if m else None) for k, m in
                                    (("passage", self.passage), ("sentence", self.sentence),
                                     ("question", self.question))}}
        path.write_text(json.dumps(d, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")


def shares(logits: np.ndarray | Sequence[float]) -> np.ndarray:
    """The softmax of a question's sentence logits: each candidate's share of the sentence model's belief
    that it is the one that answers (the sentence model is listwise, so only differences between a
    question's candidates mean anything)."""
    x = np.asarray(logits, dtype=np.float64)
    if x.size == 0:
        return x
    e = np.exp(x - x.max())
    return e / e.sum()


@lru_cache(maxsize=4)
def load_model(path: str = str(MODEL_PATH)) -> ScorerModel | None:
    p = Path(path)
    return ScorerModel.load(p) if p.is_file() else None
