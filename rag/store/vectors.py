"""Vectors of one segment: a memory-mapped float32 matrix, searched exactly, or through an IVF index on
large segments.

Small segments (every write makes one) are scanned exactly: a matrix-vector product over at most
`exact_threshold` rows. A segment above it, which only a merge or a large build produces, also gets a
FAISS IVF index built once for it; adding a segment never rebuilds another segment's index.
"""

from __future__ import annotations

import math
import os
from pathlib import Path
from typing import Any

import numpy as np

from rag.errors import IndexError_

# IVF probes: the share of inverted lists searched. Measured by benchmarks/bench_scale.py on the synthetic
# 1M-passage corpus (docs/benchmarks.md, "Scale"): nlist = 4 sqrt(n) lists and 1/16 of them probed
# gave recall@10 >= 0.98 against exact search.
PROBE_SHARE = 1 / 16
TRAIN_PER_LIST = 40  # training points per list: faiss warns below 39


def faiss_module() -> Any:
    try:
        import faiss
    except ImportError as exc:  # pragma: no cover
        raise IndexError_("faiss-cpu is not installed: run `.venv/bin/pip install -e .`") from exc
    if faiss.omp_get_max_threads() != 1:
        # One query gains nothing from OpenMP threads, and they stall whenever another process is busy.
        faiss.omp_set_num_threads(1)
    return faiss


def build_ann(vectors: np.ndarray, path: Path, seed: int = 0) -> None:
    """Train and fill an IVF index for a large segment, and write it to `path`."""
    faiss = faiss_module()
    n, dim = vectors.shape
    nlist = max(1, int(4 * math.sqrt(n)))
    quantizer = faiss.IndexFlatIP(dim)
    index = faiss.IndexIVFFlat(quantizer, dim, nlist, faiss.METRIC_INNER_PRODUCT)
    rng = np.random.default_rng(seed)
    sample = vectors[np.sort(rng.choice(n, size=min(n, nlist * TRAIN_PER_LIST), replace=False))]
    threads = faiss.omp_get_max_threads()
    faiss.omp_set_num_threads(os.cpu_count() or 1)  # a build may use every core
    try:
        index.train(np.ascontiguousarray(sample, dtype=np.float32))
        for i in range(0, n, 65536):
            index.add(np.ascontiguousarray(vectors[i:i + 65536], dtype=np.float32))
    finally:
        faiss.omp_set_num_threads(threads)
    faiss.write_index(index, str(path))


class Vectors:
    """Read-only vectors of one segment, with exact or IVF top-k search."""

    def __init__(self, directory: Path):
        self.matrix = np.load(directory / "vectors.npy", mmap_mode="r")
        self.ann: Any = None
        ann = directory / "ann.faiss"
        if ann.is_file():
            faiss = faiss_module()
            self.ann = faiss.read_index(str(ann), faiss.IO_FLAG_MMAP | faiss.IO_FLAG_READ_ONLY)
            self.ann.nprobe = max(1, round(self.ann.nlist * PROBE_SHARE))

    def __len__(self) -> int:
        return int(self.matrix.shape[0])

    @staticmethod
    def write(directory: Path, vectors: np.ndarray, exact_threshold: int) -> None:
        np.save(directory / "vectors.npy", np.ascontiguousarray(vectors, dtype=np.float32))
        if len(vectors) > exact_threshold:
            build_ann(np.load(directory / "vectors.npy", mmap_mode="r"), directory / "ann.faiss")

    def search(self, qv: np.ndarray, k: int, live: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
        """Top-k (local rows, cosines) among rows where `live` is True (all rows when None), best first."""
        n = len(self)
        if n == 0 or k <= 0:
            return np.zeros(0, np.int64), np.zeros(0, np.float32)
        if self.ann is not None:
            return self._search_ann(qv, k, live)
        # einsum sums each row in the same order whatever the matrix's size (BLAS gemv does not), so a
        # passage scores the same in a small segment and in the merged one: compaction changes no result
        scores = np.einsum("ij,j->i", self.matrix, qv.astype(np.float32))
        if live is not None:
            scores = np.where(live, scores, -np.inf).astype(np.float32)
            cand = np.flatnonzero(live)
        else:
            cand = np.arange(n)
        if cand.size > k:
            cand = cand[np.argpartition(-scores[cand], k - 1)[:k]]
        top = cand[np.lexsort((cand, -scores[cand]))]
        return top.astype(np.int64), scores[top]

    def _search_ann(self, qv: np.ndarray, k: int, live: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
        faiss = faiss_module()
        bits = None  # the selector points into this buffer, so it lives until the search returns
        params = faiss.SearchParametersIVF(nprobe=self.ann.nprobe)
        if live is not None:
            if not live.any():
                return np.zeros(0, np.int64), np.zeros(0, np.float32)
            bits = np.packbits(live, bitorder="little")
            params = faiss.SearchParametersIVF(nprobe=self.ann.nprobe, sel=faiss.IDSelectorBitmap(len(live), bits))
        scores, rows = self.ann.search(qv.reshape(1, -1).astype(np.float32), min(k, len(self)), params=params)
        del bits, params
        keep = rows[0] >= 0
        return rows[0][keep].astype(np.int64), scores[0][keep].astype(np.float32)

    def rows(self, local_rows: np.ndarray) -> np.ndarray:
        return np.asarray(self.matrix[np.asarray(local_rows, np.int64)], dtype=np.float32)
