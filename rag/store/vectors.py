"""Vectors of one segment: a memory-mapped float32 matrix, searched exactly, or through an HNSW graph on
large segments.

Small segments (every write makes one) are scanned exactly: a matrix-vector product over at most
`exact_threshold` rows. A segment above it, which only a merge or a large build produces, also gets a
FAISS HNSW graph built once for it; adding a segment never rebuilds another segment's graph.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np

from rag.errors import IndexError_

# HNSW over IVF, measured on real e5 vectors (benchmarks/bench_scale.py, "ANN on real vectors" in
# docs/benchmarks.md: the CMRC dev index's 13,206 passage and sentence vectors, 200 CMRC questions,
# recall@10 against exact search): HNSW M=32 efSearch 128 0.996 (64: 0.991); IVF with nlist = 4 sqrt(n)
# needed a quarter of its lists probed for 0.988 (1/16: 0.927), i.e. a quarter of an exact scan.
HNSW_M = 32
EF_CONSTRUCTION = 80
EF_SEARCH = 128
# Below this many allowed rows a filtered search scans them exactly: HNSW with a selective filter can
# miss results, and an exact scan of 20k rows costs ~2 ms (einsum, 384 dims; bench_scale's 10k: 0.75 ms).
FILTERED_EXACT = 20_000


def faiss_module() -> Any:
    try:
        import faiss
    except ImportError as exc:  # pragma: no cover
        raise IndexError_("faiss-cpu is not installed: run `.venv/bin/pip install -e .`") from exc
    if faiss.omp_get_max_threads() != 1:
        # One query gains nothing from OpenMP threads, and they stall whenever another process is busy.
        faiss.omp_set_num_threads(1)
    return faiss


def build_ann(vectors: np.ndarray, path: Path) -> None:
    """Build the HNSW graph of a large segment and write it to `path`."""
    faiss = faiss_module()
    n, dim = vectors.shape
    index = faiss.IndexHNSWFlat(dim, HNSW_M, faiss.METRIC_INNER_PRODUCT)
    index.hnsw.efConstruction = EF_CONSTRUCTION
    threads = faiss.omp_get_max_threads()
    faiss.omp_set_num_threads(os.cpu_count() or 1)  # a build may use every core
    try:
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
            # the graph in memory, its vectors memory-mapped (faiss >= 1.9; else read whole)
            flags = getattr(faiss, "IO_FLAG_MMAP_IFC", faiss.IO_FLAG_MMAP) | faiss.IO_FLAG_READ_ONLY
            self.ann = faiss.read_index(str(ann), flags)
            self.ef_search = EF_SEARCH

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
        if self.ann is not None and (live is None or int(live.sum()) > FILTERED_EXACT):
            return self._search_ann(qv, k, live)
        # einsum sums each row in the same order whatever the matrix's size (BLAS gemv does not), so a
        # passage scores the same in a small segment and in the merged one: compaction changes no result
        q = qv.astype(np.float32)
        if live is not None and int(live.sum()) < n // 2:  # few rows allowed: score only those
            cand = np.flatnonzero(live)
            scores = np.full(n, -np.inf, np.float32)
            scores[cand] = np.einsum("ij,j->i", self.matrix[cand], q)
        else:
            scores = np.einsum("ij,j->i", self.matrix, q)
            cand = np.arange(n) if live is None else np.flatnonzero(live)
        if cand.size > k:
            cand = cand[np.argpartition(-scores[cand], k - 1)[:k]]
        top = cand[np.lexsort((cand, -scores[cand]))]
        return top.astype(np.int64), scores[top]

    def _search_ann(self, qv: np.ndarray, k: int, live: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
        faiss = faiss_module()
        bits = None  # the selector points into this buffer, so it lives until the search returns
        params = faiss.SearchParametersHNSW(efSearch=max(self.ef_search, k))
        if live is not None:
            bits = np.packbits(live, bitorder="little")
            params = faiss.SearchParametersHNSW(efSearch=max(self.ef_search, k),
                                                sel=faiss.IDSelectorBitmap(len(live), bits))
        scores, rows = self.ann.search(qv.reshape(1, -1).astype(np.float32), min(k, len(self)), params=params)
        del bits, params
        keep = rows[0] >= 0
        return rows[0][keep].astype(np.int64), scores[0][keep].astype(np.float32)

    def rows(self, local_rows: np.ndarray) -> np.ndarray:
        return np.asarray(self.matrix[np.asarray(local_rows, np.int64)], dtype=np.float32)
