"""The two encoder backends: int8 ONNX (the default) and fp32 torch (RAG_ENCODER_BACKEND=torch), both real."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from rag.errors import ConfigError, ModelError
from rag.quantize import cpu_quantization_config, ensure_int8, quantized_file
from rag.settings import Settings

ROOT = Path(__file__).resolve().parents[1]
TEXTS = ["哈萨克斯坦与俄罗斯的边界有多长？", "托卡耶夫称如果在世界范围内实施自决权，将有600多个国家。",
         "How long is the border between Kazakhstan and Russia?", "哈薩克斯坦與俄羅斯的邊界有多長？"]


@pytest.fixture(scope="module")
def torch_embedder(real_settings: Settings):  # type: ignore[no-untyped-def]
    from rag.embedding import load_embedder

    return load_embedder(real_settings.replace(encoder_backend="torch"), progress=False)


def test_the_default_encoder_is_int8_onnx_and_agrees_with_fp32(real_embedder, torch_embedder) -> None:  # type: ignore[no-untyped-def]
    assert real_embedder.backend == "onnx" and "+onnx-qint8-" in real_embedder.name
    assert torch_embedder.backend == "torch" and "onnx" not in torch_embedder.name
    for encode in ("encode_queries", "encode_documents"):
        a = getattr(real_embedder, encode)(TEXTS)
        b = getattr(torch_embedder, encode)(TEXTS)
        assert a.shape == b.shape == (len(TEXTS), real_embedder.dim)
        assert np.allclose(np.linalg.norm(a, axis=1), 1, atol=1e-3)
        cos = (a * b).sum(axis=1)
        assert cos.min() > 0.98, cos  # measured 0.997 on these texts


def test_the_torch_backend_answers_from_its_own_index(real_settings: Settings, torch_embedder, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from rag.engine import Engine, build

    s = real_settings.replace(index_dir=tmp_path / "index", encoder_backend="torch")
    build(s, [ROOT / "seeds"], embedder=torch_embedder)
    ans = Engine.open(s, embedder=torch_embedder).ask("哈萨克斯坦与俄罗斯的边界有多长？")
    assert ans.answerable and "7500" in ans.answer.replace(",", "")


def test_an_index_built_by_one_backend_is_not_read_with_the_other(real_settings: Settings, real_engine,
                                                                  torch_embedder) -> None:  # type: ignore[no-untyped-def]
    from rag import store

    with pytest.raises(Exception, match="rag build"):
        store.load(real_settings.index_dir, real_settings, torch_embedder.name, torch_embedder.dim)


def test_backend_settings_are_checked() -> None:
    with pytest.raises(ConfigError, match="RAG_ENCODER_BACKEND"):
        Settings.from_env(environ={"RAG_ENCODER_BACKEND": "gpu"}, env_file=None)
    assert cpu_quantization_config() in ("avx512_vnni", "avx512", "avx2", "arm64")
    assert quantized_file("avx2") == "onnx/model_qint8_avx2.onnx"


def test_a_folder_that_cannot_be_exported_says_what_to_do(tmp_path: Path) -> None:
    (tmp_path / "src").mkdir()
    with pytest.raises(ModelError, match="RAG_ENCODER_BACKEND=torch"):
        ensure_int8(tmp_path / "src", tmp_path / "out", "avx2", progress=False)
