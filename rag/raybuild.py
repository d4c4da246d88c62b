"""`rag build --ray [--address ...]`: a build whose embedding runs on Ray (issue 15, item 3), then the usual write
into the configured store (the embedded segments, or Milvus with RAG_STORE_URI).

What runs where:
- the driver (this process) reads the article files, finds the articles that are new or changed against the
  live index, and cuts them into passages and sentence units, exactly as the write will (rag.chunking);
- Ray Data embeds those texts: `map_batches` over an encoder class, so each actor loads the model once and
  embeds batch after batch (`--ray-actors` of them, one CPU and one encoder thread each);
- the driver writes the index through the same path as `rag build` (Engine._apply), with an embedder that
  hands back the vectors Ray computed (a text Ray did not embed, none expected, is embedded here).
Without `--address`, Ray starts a local instance on this machine; with it (`auto`, `ray://head:10001`), the same
command runs on a cluster whose workers have this package installed.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from rag.chunking import chunk_article, embedding_text, sentence_units
from rag.embedding import Embedder, load_embedder
from rag.errors import ConfigError, IndexError_
from rag.settings import Settings
from rag.sources import SourceProblem, load_paths
from rag.store import BuildReport, backend, index_config
from rag.store.building import article_hash
from rag.types import Article

log = logging.getLogger(__name__)
BATCH = 128  # texts per Ray batch (one encoder call on an actor, sliced by length inside)
INSTALL = "pip install 'ray[data]>=2.9'  (or: pip install -e '.[ray]')"


class _Encoder:
    """The Ray Data UDF: one model per actor, loaded when the actor starts."""

    def __init__(self, settings: Settings, expected: str | None = None):
        self.embedder = load_embedder(settings, progress=False)
        if expected is not None and self.embedder.name != expected:  # e.g. the int8 config follows the worker's CPU
            raise ConfigError(f"a Ray worker's encoder is {self.embedder.name}, the driver's {expected}: their vectors "
                              f"would not match the index's. Use workers with the driver's CPU features, or "
                              f"RAG_ENCODER_BACKEND=torch on both")

    def __call__(self, batch: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        return {"i": batch["i"], "vector": self.embedder.encode_documents(list(batch["text"]))}


class Precomputed:
    """An embedder whose document vectors were computed elsewhere (by Ray); queries go to the model."""

    def __init__(self, model: Embedder, vectors: dict[str, np.ndarray]):
        self.model, self.vectors = model, vectors
        self.name, self.dim = model.name, model.dim
        self.missed = 0

    def encode_queries(self, texts: Sequence[str]) -> np.ndarray:
        return self.model.encode_queries(texts)

    def encode_documents(self, texts: Sequence[str], progress: bool = False) -> np.ndarray:
        missing = [t for t in dict.fromkeys(texts) if t not in self.vectors]
        if missing:
            self.missed += len(missing)
            self.vectors.update(zip(missing, self.model.encode_documents(missing)))
        return np.vstack([self.vectors[t] for t in texts]) if texts else np.zeros((0, self.dim), np.float32)


def _stored_hashes(settings: Settings, model: Embedder, ids: list[str]) -> dict[str, str]:
    """The content hashes the live index holds for `ids`; none when it was built with another model or chunking."""
    try:
        live = backend(settings).load(model.name, model.dim, strict=False)
    except IndexError_:
        return {}
    want = index_config(settings, model.name, model.dim)
    if not all(live.config.get(k) == v for k, v in want.items() if k not in ("tokenizer", "format")):
        return {}
    many = getattr(live.hashes, "many", None)
    return many(ids) if many is not None else {i: h for i in ids if (h := live.hashes.get(i)) is not None}


def texts_to_embed(settings: Settings, model: Embedder, articles: Sequence[Article]) -> list[str]:
    """The passage and sentence texts the write will ask the encoder for: those of the articles that the live
    index lacks or holds otherwise (all of them when it was built with another model or chunking)."""
    try:
        stored = _stored_hashes(settings, model, [a.id for a in articles])
    finally:
        if settings.store_uri:
            # Reading the live index started a Milvus client (and, for a .db path, the Milvus Lite engine) whose
            # gRPC threads would still run when ray.init launches its GCS server: with them, the GCS server never
            # came up and ray.init timed out after 30 s (tests/test_raybuild.py, milvus, 3 runs of 3). Close them
            # once read; the write reopens the store from disk.
            from rag.store.milvus.db import release

            release(settings.store_uri)
    texts: list[str] = []
    for a in articles:
        if stored.get(a.id) == article_hash(a):
            continue
        texts += [embedding_text(a.title, c) for c in chunk_article(a, settings.chunk_size, settings.chunk_overlap)]
        texts += [a.text[s:e] for s, e in sentence_units(a.text, settings.chunk_size)]
    return list(dict.fromkeys(texts))


def embed(settings: Settings, texts: Sequence[str], address: str | None = None, actors: int | None = None,
          progress: bool = False, model_name: str | None = None) -> dict[str, np.ndarray]:
    """Vectors of `texts`, embedded by Ray Data actors (a local Ray instance unless `address` names one); with
    `model_name`, an actor whose encoder is another one (another int8 config on another CPU) refuses."""
    try:
        import ray
    except ImportError as exc:
        raise ConfigError(f"`rag build --ray` needs Ray, which is not installed: {INSTALL}") from exc
    if not texts:
        return {}
    started = not ray.is_initialized()
    if started:
        ray.init(address=address, include_dashboard=False, log_to_driver=False, logging_level=logging.WARNING)
    try:
        ctx = ray.data.DataContext.get_current()
        ctx.enable_progress_bars = progress
        n = actors or max(1, int(ray.cluster_resources().get("CPU", 1)))
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))  # similar lengths share a batch: less padding
        ds = ray.data.from_items([{"i": i, "text": texts[i]} for i in order], override_num_blocks=max(n * 4, 1))
        out = ds.map_batches(_Encoder, fn_constructor_args=(settings.replace(encoder_threads=1), model_name),
                             batch_size=BATCH, compute=ray.data.ActorPoolStrategy(size=n), num_cpus=1,
                             batch_format="numpy")
        vectors: dict[str, np.ndarray] = {}
        for batch in out.iter_batches(batch_size=None, batch_format="numpy"):
            for i, v in zip(batch["i"].tolist(), batch["vector"]):
                vectors[texts[i]] = np.asarray(v, np.float32)
        return vectors
    finally:
        if started:
            ray.shutdown()


def build(settings: Settings, paths: Sequence[Path], address: str | None = None, actors: int | None = None,
          progress: bool = False) -> tuple[BuildReport, list[SourceProblem], dict[str, Any]]:
    """`rag build --ray`: make the index hold exactly the articles under `paths`, embedding on Ray. Returns the
    report, the files that could not be read, and the Ray side's figures."""
    from rag.engine import Engine

    t0 = time.perf_counter()
    articles, problems = load_paths(paths)
    model = load_embedder(settings, progress=progress)
    texts = texts_to_embed(settings, model, articles)
    t1 = time.perf_counter()
    vectors = embed(settings, texts, address, actors, progress, model.name)
    ray_s = time.perf_counter() - t1
    pre = Precomputed(model, vectors)
    engine = Engine(settings, pre, None)
    engine.background_merges = False  # a command runs its merges before it exits
    report = engine._apply(progress=progress, replace=articles)
    report.problems = [str(p) for p in problems]
    report.embed_seconds = round(ray_s, 3)
    report.seconds = round(time.perf_counter() - t0, 3)
    figures = {"texts": len(texts), "ray_seconds": round(ray_s, 1), "texts_per_second": round(len(texts) / ray_s, 1)
               if ray_s > 0 else None, "embedded_by_driver": pre.missed}
    log.info("ray build", extra=figures)
    return report, problems, figures
