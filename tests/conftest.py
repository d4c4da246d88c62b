"""Shared fixtures: a fake embedder for unit tests; the real model, a real index and a real server for
integration tests (built once per session)."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
from fakes import HashEmbedder  # noqa: E402
from servers import rag_serve  # noqa: E402

from rag.settings import Settings  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
SEEDS = ROOT / "seeds"
API_KEY = "test-key-7f3a9c"


@pytest.fixture
def fake_embedder() -> HashEmbedder:
    return HashEmbedder()


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    """Settings for a throwaway index; nothing read from the developer's environment or .env."""
    return Settings.from_env(environ={}, env_file=None, index_dir=tmp_path / "index",
                             cache_dir=Path(os.environ.get("RAG_CACHE_DIR", Settings().cache_dir)))


@pytest.fixture(scope="session")
def real_settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    return Settings.from_env(environ={}, env_file=None, index_dir=tmp_path_factory.mktemp("real") / "index",
                             cache_dir=Path(os.environ.get("RAG_CACHE_DIR", Settings().cache_dir)))


@pytest.fixture(scope="session")
def real_embedder(real_settings: Settings):  # type: ignore[no-untyped-def]
    from rag.embedding import load_embedder

    return load_embedder(real_settings, progress=False)


@pytest.fixture(scope="session")
def real_engine(real_settings: Settings, real_embedder):  # type: ignore[no-untyped-def]
    from rag.engine import Engine, build

    build(real_settings, [SEEDS], embedder=real_embedder)
    return Engine.open(real_settings, embedder=real_embedder)


@pytest.fixture(scope="session")
def server_api_key() -> str:
    return API_KEY


@pytest.fixture(scope="session")
def server(real_engine, real_settings: Settings, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, object]]:  # type: ignore[no-untyped-def]
    """A real `rag serve` (uvicorn) on 127.0.0.1 over its own copy of the seed index."""
    import shutil

    index_dir = tmp_path_factory.mktemp("served") / "index"
    shutil.copytree(real_settings.index_dir, index_dir)
    log_path = tmp_path_factory.mktemp("logs") / "server.log"
    env = {"RAG_INDEX_DIR": str(index_dir), "RAG_API_KEY": API_KEY, "RAG_CACHE_DIR": str(real_settings.cache_dir),
           "RAG_LOG_LEVEL": "info"}
    with rag_serve(env, log_path) as url:
        yield {"url": url, "log": log_path, "index_dir": index_dir}


@pytest.fixture(scope="session")
def server_url(server: dict[str, object]) -> str:
    return str(server["url"])
