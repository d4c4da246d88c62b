"""Vectors of one segment: a memory-mapped float32 matrix, searched exactly, or through an IVF index of
8-bit codes on large segments, whose best candidates are then re-scored exactly.

Small segments (every write makes one) are scanned exactly: a matrix-vector product over at most
`exact_threshold` rows. A segment above it, which only a merge or a large build produces, also gets an
IVF-SQ8 index built once for it; adding a segment never rebuilds another segment's index.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np

from rag.errors import IndexError_
from rag.store.arrays import load_array

# Why IVF-SQ8 with exact re-scoring (benchmarks/bench_scale.py; docs/benchmarks.md, "Scale: the segment
# store"): on real e5 vectors (the CMRC dev index's 13,206 passage and sentence vectors, 200 CMRC
# questions) HNSW M=32 efSearch 128 reached recall@10 0.996, but on the 1M synthetic corpus (409 noisy copies
# of each passage) its graph breaks into clusters and recall fell to 0.21; IVF found those clusters
# (recall 1.00) and reached 0.988 on the real vectors when a quarter of its lists is probed.
LISTS_PER_SQRT = 4  # nlist = 4 sqrt(n), the usual IVF sizing
PROBE_DIVISOR = 4  # probe a quarter of the lists (real vectors: 1/16 0.927, 1/8 0.961, 1/4 0.988)
TRAIN_PER_LIST = 40  # training points per list: faiss warns below 39
RESCORE = 2  # candidates per wanted result re-scored from the float vectors (8-bit codes blur near ties)
# Below this many allowed rows a filtered search scans them exactly: it is cheap (~2 ms for 20k rows, einsum,
# 384 dims; bench_scale's 10k: 0.9 ms) and has no recall loss at all.
FILTERED_EXACT = 20_000


def faiss_module() -> Any:
    try:
        import faiss
    except ImportError as exc:  # pragma: no cover
        raise IndexError_("faiss-cpu is not installed: run `.venv/bin/pip install -e .`") from exc
    return faiss


def build_ann(vectors: np.ndarray, path: Path, seed: int = 0) -> None:
    """Train and fill the IVF-SQ8 index of a large segment, and write it to `path`."""
    faiss = faiss_module()
    n, dim = vectors.shape
    nlist = max(1, int(LISTS_PER_SQRT * math.sqrt(n)))
    index = faiss.IndexIVFScalarQuantizer(faiss.IndexFlatIP(dim), dim, nlist, faiss.ScalarQuantizer.QT_8bit,
                                          faiss.METRIC_INNER_PRODUCT)
    rng = np.random.default_rng(seed)
    sample = vectors[np.sort(rng.choice(n, size=min(n, nlist * TRAIN_PER_LIST), replace=False))]
    index.train(np.ascontiguousarray(sample, dtype=np.float32))  # on every core (OpenMP's default)
    for i in range(0, n, 65536):
        index.add(np.ascontiguousarray(vectors[i:i + 65536], dtype=np.float32))
    faiss.write_index(index, str(path))


class Vectors:
    """Read-only vectors of one segment, with exact or IVF top-k search."""

    def __init__(self, directory: Path):
        self.matrix = load_array(directory / "vectors.npy", mmap=True)
        self.ann: Any = None
        ann = directory / "ann.faiss"
        if ann.is_file():
            faiss = faiss_module()
            self.ann = faiss.read_index(str(ann), faiss.IO_FLAG_MMAP | faiss.IO_FLAG_READ_ONLY)  # lists mapped
            self.nprobe = max(1, self.ann.nlist // PROBE_DIVISOR)
            # one question's probed lists split over the cores: 1M passages, 1,000 lists probed, 2 cores:
            # 28.8 -> 19.8 ms p50 (faiss's default splits over questions, and a request asks one)
            self.ann.parallel_mode = 1

    def __len__(self) -> int:
        return int(self.matrix.shape[0])

    @staticmethod
    def write(directory: Path, vectors: np.ndarray, exact_threshold: int) -> None:
        np.save(directory / "vectors.npy", np.ascontiguousarray(vectors, dtype=np.float32))
        if len(vectors) > exact_threshold:
            build_ann(load_array(directory / "vectors.npy", mmap=True), directory / "ann.faiss")

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
        params = faiss.SearchParametersIVF(nprobe=self.nprobe)
        if live is not None:
            bits = np.packbits(live, bitorder="little")
            params = faiss.SearchParametersIVF(nprobe=self.nprobe, sel=faiss.IDSelectorBitmap(len(live), bits))
        q = qv.reshape(1, -1).astype(np.float32)
        _, rows = self.ann.search(q, min(RESCORE * k, len(self)), params=params)
        del bits, params
        cand = np.sort(rows[0][rows[0] >= 0]).astype(np.int64)
        scores = np.einsum("ij,j->i", self.matrix[cand], q[0])  # exact cosines of the candidates
        top = np.lexsort((cand, -scores))[:k]
        return cand[top], scores[top].astype(np.float32)

    def rows(self, local_rows: np.ndarray) -> np.ndarray:
        return np.asarray(self.matrix[np.asarray(local_rows, np.int64)], dtype=np.float32)
