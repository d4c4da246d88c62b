"""`rag build --ray`: the seeds embedded by Ray Data actors on a local Ray instance, written into either backend,
give the index a plain `rag build` gives (issue 15, item 3). Real model, real Ray."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from rag.engine import Engine
from rag.settings import Settings
from rag.store.milvus.db import release

ROOT = Path(__file__).resolve().parents[1]


def _rag_build(env: dict[str, str], *args: str) -> str:
    full = {k: v for k, v in os.environ.items() if not k.startswith("RAG_")} | env
    done = subprocess.run([sys.executable, "-m", "rag.cli", "build", "seeds/", "--quiet", *args], cwd=ROOT, env=full,
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def test_a_worker_with_another_encoder_refuses(monkeypatch: pytest.MonkeyPatch, settings: Settings) -> None:
    """A Ray worker whose int8 encoder differs from the driver's (another CPU, another quantization config) would
    write vectors the index's recorded model did not make: its actor refuses to start."""
    from fakes import HashEmbedder

    from rag import raybuild
    from rag.errors import ConfigError

    monkeypatch.setattr(raybuild, "load_embedder", lambda *_, **__: HashEmbedder())
    assert raybuild._Encoder(settings, HashEmbedder().name).embedder.name == HashEmbedder().name
    with pytest.raises(ConfigError, match="RAG_ENCODER_BACKEND=torch"):
        raybuild._Encoder(settings, "multilingual-e5-small+onnx-qint8-avx512_vnni")


@pytest.mark.slow
@pytest.mark.parametrize("backend", ["segments", "milvus"])
def test_a_ray_build_gives_the_index_a_plain_build_gives(backend: str, real_settings: Settings, real_engine,  # type: ignore[no-untyped-def]
                                                         real_embedder, tmp_path: Path) -> None:
    s = real_settings.replace(index_dir=tmp_path / "index")
    env = {"RAG_INDEX_DIR": str(s.index_dir), "RAG_CACHE_DIR": str(s.cache_dir)}
    if backend == "milvus":
        s = s.replace(store_uri=str(tmp_path / "milvus.db"))
        env["RAG_STORE_URI"] = str(s.store_uri)
    out = _rag_build(env, "--ray", "--ray-actors", "2")
    assert "ray: 191 texts embedded" in out and "added 5" in out
    again = _rag_build(env, "--ray")
    assert "ray: 0 texts embedded" in again and "unchanged 5" in again  # nothing new: Ray has nothing to do

    ray_built = Engine.open(s, embedder=real_embedder)
    plain = real_engine.snapshot
    ids = [c.id for c in plain.iter_chunks()]
    assert sorted(c.id for c in ray_built.snapshot.iter_chunks()) == sorted(ids)
    a = plain.vectors([plain.row_of(i) for i in ids])
    b = ray_built.snapshot.vectors([ray_built.snapshot.row_of(i) for i in ids])
    # the int8 encoder's activations are quantized per call: a text embedded in another batch moves by as much
    assert float((a * b).sum(1).min()) > 0.99
    for q, fact in (("哈萨克斯坦与俄罗斯的边界有多长？", "7500"), ("被革职的国家安全局局长是谁？", "马西莫夫")):
        ans = ray_built.ask(q)
        assert ans.answerable and fact in ans.answer
    if backend == "milvus":
        release(str(s.store_uri))
