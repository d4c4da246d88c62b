"""The model's scheduler: one forward pass at a time, questions first, an upload's encoding in slices between them.

An upload embeds thousands of texts; a question needs one forward pass now. The gate lets a question go before
the next slice of an upload, and lets an upload's slice go once it has waited BATCH_MAX_WAIT_S, so neither
starves the other (rag.embedding's encoder calls the model only through it).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager

import numpy as np

# Texts per model call when indexing with no questions about: 32 seed passages (215 chars on average) take
# 1.2 s with the int8 encoder (2.7-3.1 s fp32) on 2 cores, about the same per passage as larger calls.
INDEX_SLICE = 32
# Texts per call while questions are being asked (one in the last QUIET_S seconds): 2 seed passages take
# 0.07 s int8 (0.22 s fp32), so a question that arrives during an upload waits at most that long.
BUSY_SLICE = 2
QUIET_S = 5.0
# An index slice that has waited this long behind questions goes next, so a steady stream of questions cannot
# starve an upload. Under 32 clients the ask p95 with a 50,000-char upload running was 1.17x the p95 without
# (int8; 1.37x fp32), and the upload finished in 77 s (docs/benchmarks.md, "Uploads beside questions").
BATCH_MAX_WAIT_S = 1.0


def encode_in_slices(gate: ModelGate, texts: Sequence[str], dim: int,
                     forward: Callable[[list[str]], np.ndarray], progress: bool = False) -> np.ndarray:
    """Encode texts shortest first (less padding) in slices that each wait their turn at the gate: large
    slices when no one is asking, BUSY_SLICE texts while questions come in."""
    out = np.zeros((len(texts), dim), dtype=np.float32)

    def run(rows: list[int]) -> None:
        out[rows] = forward([texts[j] for j in rows])

    each_slice(gate, texts, run, progress)
    return out


def each_slice(gate: ModelGate, texts: Sequence[str], run: Callable[[list[int]], None],
               progress: bool = False) -> None:
    """Call `run` with the row numbers of each slice of `encode_in_slices`, at the gate."""
    order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
    bar = None
    if progress and len(texts) > INDEX_SLICE:
        from tqdm import tqdm

        bar = tqdm(total=len(texts), unit="text", desc="embedding", dynamic_ncols=True)
    i = 0
    while i < len(order):
        with gate.batch():
            rows = order[i:i + (BUSY_SLICE if gate.questions_recently() else INDEX_SLICE)]
            run(rows)
        i += len(rows)
        if bar is not None:
            bar.update(len(rows))
    if bar is not None:
        bar.close()


class ModelGate:
    """One forward pass at a time (torch already uses every core). Questions go first; an index slice
    goes when no question waits, or once it has waited BATCH_MAX_WAIT_S."""

    def __init__(self, max_wait: float = BATCH_MAX_WAIT_S):
        self._cond = threading.Condition()
        self._busy = False
        self._questions = 0  # questions waiting for the model
        self._batch_due = False  # an index slice has waited long enough: it goes next
        self._last_question = -QUIET_S
        self.max_wait = max_wait

    def questions_recently(self) -> bool:
        return self._questions > 0 or time.monotonic() - self._last_question < QUIET_S

    @contextmanager
    def question(self) -> Iterator[None]:
        with self._cond:
            self._questions += 1
            while self._busy or self._batch_due:
                self._cond.wait()
            self._questions -= 1
            self._busy = True
            self._last_question = time.monotonic()
        try:
            yield
        finally:
            self._release()

    @contextmanager
    def batch(self) -> Iterator[None]:
        deadline = time.monotonic() + self.max_wait
        with self._cond:
            while self._busy or (self._questions and not self._batch_due):
                left = deadline - time.monotonic()
                if left <= 0:
                    self._batch_due = True
                self._cond.wait(None if self._batch_due else left)
            self._batch_due = False
            self._busy = True
        try:
            yield
        finally:
            self._release()

    def _release(self) -> None:
        with self._cond:
            self._busy = False
            self._cond.notify_all()
