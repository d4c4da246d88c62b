"""Index build speed: `rag.store.write` (one segment, then the manifest swap) over the CMRC 2018 dev passages,
against the raw encoder throughput on the same texts, measured in the same run.

    .venv/bin/python benchmarks/bench_build.py [--quick] [--limit N] [--backends onnx,torch]
        [--sentence-vectors separate,pooled] [--rounds R]

Each corpus line becomes one Article. With several sentence-vector modes (RAG_SENTENCE_VECTORS), each backend's
model is loaded once and the builds alternate between the modes, R rounds in the order ABBA..., so that a
change of the machine's load falls on both; a mode's figure is its article chars over its summed build time. Reported: passages/s and article characters/s of the whole
build, the time spent inside the model during the build (so the overhead outside it is visible),
`embedder.encode_documents` alone over the raw passage texts, and peak RSS. Prints a markdown table
and writes artifacts/bench/build.json. Timings depend on the machine's load: compare the ratios.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _common as common  # noqa: E402


class TimedEmbedder:
    """Wraps an embedder and adds up the wall time spent inside encode_documents/encode_queries."""

    def __init__(self, inner: Any):
        self.inner, self.name, self.dim = inner, inner.name, inner.dim
        self.seconds = 0.0
        self.texts = 0
        self.chars = 0

    def encode_documents(self, texts: Sequence[str], progress: bool = False) -> np.ndarray:
        t0 = time.perf_counter()
        out = self.inner.encode_documents(texts, progress)
        self.seconds += time.perf_counter() - t0
        self.texts += len(texts)
        self.chars += sum(len(t) for t in texts)
        return out

    def encode_documents_pooled(self, texts: Sequence[str], spans: Sequence[Sequence[tuple[int, int]]],
                                progress: bool = False) -> tuple[np.ndarray, list[np.ndarray]]:
        """The passage pass with sentence vectors pooled from it (RAG_SENTENCE_VECTORS=pooled)."""
        t0 = time.perf_counter()
        out = self.inner.encode_documents_pooled(texts, spans, progress)
        self.seconds += time.perf_counter() - t0
        self.texts += len(texts)
        self.chars += sum(len(t) for t in texts)
        return out

    def encode_queries(self, texts: Sequence[str]) -> np.ndarray:
        return self.inner.encode_queries(texts)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="first 150 passages only")
    ap.add_argument("--limit", type=int, default=None, help="first N passages (default: all 848)")
    ap.add_argument("--backends", default="onnx,torch", help="encoder backends, one after the other (onnx,torch)")
    ap.add_argument("--sentence-vectors", default="separate",
                    help="sentence-vector modes to build with, comma-separated (separate,pooled); default separate")
    ap.add_argument("--rounds", type=int, default=1, help="builds per mode, alternating ABBA (default 1)")
    args = ap.parse_args(argv)
    limit = args.limit or (150 if args.quick else None)
    modes = [m.strip() for m in args.sentence_vectors.split(",") if m.strip()]
    out: dict[str, Any] = {}
    for backend in [b.strip() for b in args.backends.split(",") if b.strip()]:
        for mode, res in measure(backend, limit, modes, args.rounds).items():
            out[backend if modes == ["separate"] else f"{backend}-{mode}"] = res
    if len(out) > 1:
        first = next(iter(out))
        ref = "torch" if "torch" in out else "torch-separate" if "torch-separate" in out else \
            "onnx-separate" if "onnx-separate" in out else first
        rows = [[k, r["build"]["chars_per_s"], r["raw_encode"]["chars_per_s"], r["embedded_chars"] / r["article_chars"],
                 r["build"]["inside_model_s"], round(r["build"]["chars_per_s"] / out[ref]["build"]["chars_per_s"], 2)]
                for k, r in out.items()]
        summary = common.md_table(["backend", "build article chars/s", "encoder alone chars/s",
                                   "embedded chars per article char", "inside the model s", f"build vs {ref}"], rows)
        print("\n" + summary)
        out["summary"] = summary
    name = "build-quick" if args.quick else "build"
    if modes != ["separate"]:
        name += "-" + "-".join(modes)
    path = common.write_artifact(name, out)
    print(f"wrote {path.relative_to(common.ROOT)}")
    return 0


def measure(backend: str, limit: int | None, modes: Sequence[str] = ("separate",),
            rounds: int = 1) -> dict[str, dict[str, Any]]:
    """Per sentence-vector mode, the figures of its builds with one loaded model."""
    from rag.embedding import load_embedder
    from rag.settings import Settings

    settings = Settings.from_env(env_file=None, encoder_backend=backend)
    t0 = time.perf_counter()
    embedder = load_embedder(settings, progress=False)
    model_load = time.perf_counter() - t0
    runs: dict[str, list[dict[str, Any]]] = {m: [] for m in modes}
    raw: dict[str, Any] | None = None
    for r in range(max(1, rounds)):
        for mode in (modes if r % 2 == 0 else list(reversed(modes))):
            res = measure_one(settings.replace(sentence_vectors=mode), embedder, limit, raw)
            raw = res["raw_encode"]
            res["model_load_s"] = round(model_load, 2)
            runs[mode].append(res)
    out: dict[str, dict[str, Any]] = {}
    for mode, rs in runs.items():
        res = dict(rs[0])
        if len(rs) > 1:
            total = sum(x["build"]["total_seconds"] for x in rs)
            inside = sum(x["build"]["inside_model_s"] for x in rs)
            res["build"] = dict(res["build"], chars_per_s=round(res["article_chars"] * len(rs) / total, 1),
                                total_seconds=round(total / len(rs), 2), inside_model_s=round(inside / len(rs), 2))
            res["rounds"] = [{"chars_per_s": x["build"]["chars_per_s"], "seconds": x["build"]["total_seconds"],
                              "loadavg_before": x["machine_before"]["loadavg_1_5_15"],
                              "loadavg_after": x["machine_after"]["loadavg_1_5_15"]} for x in rs]
        out[mode] = res
    return out


def measure_one(settings: Any, embedder: Any, limit: int | None, raw: dict[str, Any] | None) -> dict[str, Any]:
    """One build with `settings` (its RAG_SENTENCE_VECTORS mode); the encoder alone over the raw passages
    unless `raw` already has that figure from this model."""
    from rag import store
    from rag.chunking import chunk_article, embedding_text
    from rag.keywords import tokenize
    from rag.types import Article

    backend, mode = settings.encoder_backend, settings.sentence_vectors
    before = common.machine()
    rows = common.cmrc_passages(limit)
    articles = [Article(id=r["id"], title=r["title"], text=r["text"]) for r in rows]
    texts = [r["text"] for r in rows]
    n_chars = sum(len(t) for t in texts)
    embedder.encode_documents(texts[:8])  # warm-up: first pass allocations, tokenizer caches
    tokenize("预热分词器")  # jieba + OpenCC dictionaries (about a second), not part of either figure
    rss_model = common.rss_mb()

    # 1. the model alone over the raw passage texts (same batching as the build: 256 per call)
    if raw is None:
        t0 = time.perf_counter()
        for i in range(0, len(texts), 256):
            embedder.encode_documents(texts[i:i + 256])
        raw_s = time.perf_counter() - t0
    else:
        raw_s = raw["seconds"]

    # 2. the build and the save, with the time inside the model added up
    timed = TimedEmbedder(embedder)
    common.reset_peak_rss()
    t0 = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="bench-build-") as tmp:
        index_dir = Path(tmp) / "index"
        snap, report = store.write(index_dir, settings, timed, replace=articles)
        build_s = time.perf_counter() - t0
        save_s = 0.0  # the write is the save: a segment written once, then a manifest swap
        disk = sum(f.stat().st_size for f in index_dir.rglob("*") if f.is_file())
        peak = common.peak_rss_mb()
        # 3. rebuilding with nothing changed (the incremental path: no article is re-embedded)
        t1 = time.perf_counter()
        snap2, report2 = store.write(index_dir, settings, timed, replace=articles, base=snap)
        rebuild_s = time.perf_counter() - t1
    # the parts outside the model, timed on their own afterwards
    t1 = time.perf_counter()
    chunks = [c for a in articles for c in chunk_article(a, settings.chunk_size, settings.chunk_overlap)]
    chunk_s = time.perf_counter() - t1
    by_id = {a.id: a for a in articles}
    t1 = time.perf_counter()
    for c in chunks:
        tokenize(f"{by_id[c.doc_id].title}\n{c.text}")
    tok_s = time.perf_counter() - t1
    emb_chars = sum(len(embedding_text(by_id[c.doc_id].title, c)) for c in chunks)

    total = build_s + save_s
    outside = total - timed.seconds
    res: dict[str, Any] = {
        "passages": len(articles), "article_chars": n_chars, "chunks": report.chunks,
        "embedded_texts": timed.texts, "embedded_chars": timed.chars, "sentence_vectors": mode,
        "pooled_sentences": report.pooled_sentences, "own_pass_sentences": report.embedded_sentences,
        "raw_encode": {"seconds": round(raw_s, 2), "passages_per_s": round(len(texts) / raw_s, 2),
                       "chars_per_s": round(n_chars / raw_s, 1)},
        "build": {"seconds": round(build_s, 2), "save_seconds": round(save_s, 3), "total_seconds": round(total, 2),
                  "passages_per_s": round(len(articles) / total, 2), "chars_per_s": round(n_chars / total, 1),
                  "inside_model_s": round(timed.seconds, 2),
                  "model_chars_per_s": round(timed.chars / timed.seconds, 1) if timed.seconds else None,
                  "outside_model_s": round(outside, 2), "outside_share": round(outside / total, 4),
                  "chunking_s": round(chunk_s, 3), "tokenize_s": round(tok_s, 2), "on_disk_bytes": disk},
        "rebuild_unchanged": {"seconds": round(rebuild_s, 3), "embedded": report2.embedded},
        "rss_mb": {"after_model_load": round(rss_model, 1), "peak_during_build_and_save": round(peak, 1)},
        "build_vs_raw_encoder": round((n_chars / total) / (n_chars / raw_s), 3),
        "settings": {"chunk_size": settings.chunk_size, "chunk_overlap": settings.chunk_overlap,
                     "embed_batch_size": settings.embed_batch_size, "sentence_vectors": mode},
        "machine_before": before, "machine_after": common.machine(),
    }
    b = res["build"]
    table = common.md_table(
        ["what", "seconds", "passages/s", "article chars/s", "notes"],
        [["encoder alone: encode_documents(raw passage texts)", raw_s, len(texts) / raw_s, n_chars / raw_s,
          f"{len(texts)} texts, {n_chars:,} chars"],
         ["build_snapshot + save (the index build)", total, b["passages_per_s"], b["chars_per_s"],
          f"{report.chunks} chunks, {timed.chars:,} chars embedded ({timed.chars / n_chars:.2f}x the article chars)"],
         ["  of which inside the model", timed.seconds, "", "",
          f"{timed.chars / timed.seconds:,.0f} embedded chars/s"],
         ["  of which outside the model", outside, "", "",
          f"{100 * outside / total:.1f}% (chunking {chunk_s:.2f} s, jieba/OpenCC {tok_s:.2f} s, save {save_s:.2f} s)"],
         ["rebuild with nothing changed", rebuild_s, len(articles) / rebuild_s, n_chars / rebuild_s,
          f"{report2.embedded} embedded"]])
    print(f"\nIndex build over CMRC 2018 dev ({len(articles)} passages), encoder {backend} ({embedder.name}), "
          f"sentence vectors {mode} ({report.pooled_sentences} pooled, {report.embedded_sentences} own pass), "
          f"{common.load_line()} (before: {before['loadavg_1_5_15'][0]})\n")
    print(table)
    print(f"\nbuild / raw encoder throughput (article chars/s): {res['build_vs_raw_encoder']:.2f}; "
          f"peak RSS {peak:,.0f} MiB (model loaded: {rss_model:,.0f} MiB); on disk {disk / 1e6:.1f} MB; "
          f"embedded chars per article char {emb_chars / n_chars:.2f}")
    return dict(res, table=table, backend=backend, model=embedder.name)


if __name__ == "__main__":
    sys.exit(main())
