"""The int8 encoder: export a sentence-transformers folder to ONNX and quantize it, once, into the model cache.

Both steps are sentence-transformers' own (`backend="onnx"` export through Optimum, then
`export_dynamic_quantized_onnx_model`). The quantization config matches the CPU that runs it: AVX-512 VNNI,
AVX-512 or ARM64 kernels where the CPU has them, else the AVX2 config, which ONNX Runtime runs on any x86-64.
"""

from __future__ import annotations

import fcntl
import json
import logging
import platform
import shutil
import tempfile
import time
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from rag.errors import ModelError

log = logging.getLogger(__name__)

MARKER = "rag-quantization.json"


def cpu_quantization_config() -> str:
    """The sentence-transformers quantization config name for this CPU."""
    machine = platform.machine().lower()
    if machine in ("aarch64", "arm64"):
        return "arm64"
    flags: set[str] = set()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("flags"):
                flags = set(line.split(":", 1)[1].split())
                break
    except OSError:
        pass
    if "avx512_vnni" in flags or "avx512vnni" in flags:
        return "avx512_vnni"
    if "avx512f" in flags and "avx512bw" in flags:
        return "avx512"
    return "avx2"  # the portable fallback: ONNX Runtime runs these int8 kernels on any x86-64


def quantized_file(config: str) -> str:
    return f"onnx/model_qint8_{config}.onnx"


def ensure_int8(source: Path, target: Path, config: str | None = None, progress: bool = True) -> tuple[Path, str]:
    """The folder and file name of `source` (a sentence-transformers folder) as an int8 ONNX model.

    Made once into `target` (export, quantize, then an atomic rename); reused afterwards."""
    config = config or cpu_quantization_config()
    file_name = quantized_file(config)
    if (target / file_name).is_file() and (target / MARKER).is_file():
        return target, file_name
    target.parent.mkdir(parents=True, exist_ok=True)
    with (target.parent / f".{target.name}.lock").open("a") as lock:
        fcntl.flock(lock.fileno(), fcntl.LOCK_EX)  # one exporter at a time; released when the file closes
        if (target / file_name).is_file() and (target / MARKER).is_file():
            return target, file_name  # another process made it meanwhile
        _export(source, target, config, file_name, progress)
    return target, file_name


def _export(source: Path, target: Path, config: str, file_name: str, progress: bool) -> None:
    if not (source / "modules.json").is_file():
        raise ModelError(f"{source} is not a sentence-transformers folder: cannot export it to ONNX "
                         "(set RAG_ENCODER_BACKEND=torch to use it as it is)")
    try:
        from sentence_transformers import SentenceTransformer, export_dynamic_quantized_onnx_model
    except ImportError as exc:  # pragma: no cover - a broken install
        raise ModelError("the ONNX backend needs optimum-onnx and onnxruntime: run `scripts/bootstrap.sh` "
                         "(or set RAG_ENCODER_BACKEND=torch)") from exc
    t0 = time.perf_counter()
    if progress:
        print(f"exporting the encoder to ONNX and quantizing it to int8 ({config}), once (about a minute)...",
              flush=True)
    with tempfile.TemporaryDirectory(prefix=".onnx-", dir=target.parent) as tmp:
        work = Path(tmp) / "model"
        shutil.copytree(source, work)
        _drop_model_args(work)
        try:
            with warnings.catch_warnings(), _quiet("sentence_transformers", "optimum", "transformers"):
                warnings.simplefilter("ignore")  # torch's tracer warnings during the export
                model = SentenceTransformer(str(work), backend="onnx", device="cpu",
                                            model_kwargs={"provider": "CPUExecutionProvider"})
                model.save_pretrained(str(work))
                export_dynamic_quantized_onnx_model(model, config, str(work))
        except Exception as exc:
            raise ModelError(f"exporting {source} to int8 ONNX failed ({exc.__class__.__name__}: {exc}); "
                             "set RAG_ENCODER_BACKEND=torch to run the model as it is") from exc
        if not (work / file_name).is_file():
            raise ModelError(f"quantization wrote no {file_name} in {work}")
        # the int8 file is all the service loads: drop the fp32 weights and the fp32 ONNX graph
        for name in ("model.safetensors", "pytorch_model.bin", "onnx/model.onnx"):
            (work / name).unlink(missing_ok=True)
        shutil.copy2(source / "config.json", work / "config.json")  # keep the source's config as it was
        (work / MARKER).write_text(json.dumps({"source": str(source), "config": config, "file": file_name,
                                               "seconds": round(time.perf_counter() - t0, 1)}), encoding="utf-8")
        if target.exists():
            shutil.rmtree(target)
        work.rename(target)
    log.info("int8 encoder ready", extra={"path": str(target), "config": config,
                                           "seconds": round(time.perf_counter() - t0, 1)})


@contextmanager
def _quiet(*names: str) -> Iterator[None]:
    """Silence the libraries' advice during the export (it is saved, as they recommend)."""
    loggers = [logging.getLogger(n) for n in names]
    levels = [lg.level for lg in loggers]
    for lg in loggers:
        lg.setLevel(logging.ERROR)
    try:
        yield
    finally:
        for lg, level in zip(loggers, levels, strict=True):
            lg.setLevel(level)


def _drop_model_args(folder: Path) -> None:
    """Optimum's ONNX model takes no torch-only model arguments (such as add_pooling_layer)."""
    path = folder / "sentence_bert_config.json"
    if path.is_file():
        cfg = json.loads(path.read_text(encoding="utf-8"))
        if cfg.pop("model_args", None) is not None:
            path.write_text(json.dumps(cfg, indent=2), encoding="utf-8")
