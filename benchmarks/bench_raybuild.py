"""The embedding of `rag build --ray` on a local Ray instance vs the single process, on the same passages.

Passages: CMRC dev articles cut as the index cuts them (`embedding_text`, title prefix), the first N of them.
Single process: the service's encoder (every core, `RAG_ENCODER_THREADS` as set). Ray: `rag.raybuild.embed`,
Ray Data `map_batches` over actors with one encoder thread each, Ray start-up and each actor's model load
included (as a `rag build --ray` pays them). Prints a markdown table; JSON to artifacts/bench/raybuild.json.

    .venv/bin/python benchmarks/bench_raybuild.py [--passages 2000] [--actors 2]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--corpus", default=str(ROOT / ".." / "shared" / "eval" / "cmrc2018" / "corpus.jsonl"))
    ap.add_argument("--passages", type=int, default=2000)
    ap.add_argument("--actors", type=int, default=os.cpu_count() or 1)
    ap.add_argument("--ray-first", action="store_true", help="run the Ray side first (order effects on a busy machine)")
    ap.add_argument("--out", default="artifacts/bench/raybuild.json")
    args = ap.parse_args()

    from rag import raybuild
    from rag.chunking import chunk_article, embedding_text
    from rag.embedding import load_embedder
    from rag.evaluation.dataset import load_corpus
    from rag.settings import Settings

    settings = Settings.from_env()
    texts: list[str] = []
    for p in load_corpus(Path(args.corpus)):
        a = p.article()
        texts += [embedding_text(a.title, c) for c in chunk_article(a, settings.chunk_size, settings.chunk_overlap)]
    texts = list(dict.fromkeys(texts))[:args.passages]
    chars = sum(map(len, texts))
    print(f"{len(texts)} passages, {chars:,} chars, {os.cpu_count()} cores, load {os.getloadavg()[0]:.2f}",
          file=sys.stderr)

    def on_ray() -> tuple[np.ndarray, float, float]:
        t = time.perf_counter()
        vectors = raybuild.embed(settings, texts, actors=args.actors)
        return np.vstack([vectors[x] for x in texts]), time.perf_counter() - t, os.getloadavg()[0]

    if args.ray_first:
        ray, ray_s, ray_load = on_ray()
    t0 = time.perf_counter()
    model = load_embedder(settings, progress=False)
    load_s = time.perf_counter() - t0
    t1 = time.perf_counter()
    single = model.encode_documents(texts)
    single_s = time.perf_counter() - t1
    single_load = os.getloadavg()[0]
    if not args.ray_first:
        ray, ray_s, ray_load = on_ray()
    cos = (single * ray).sum(1)

    rows = [("single process (model load apart)", load_s, single_s), (f"local Ray, {args.actors} actors x 1 thread", 0.0, ray_s)]
    result = {"passages": len(texts), "chars": chars, "actors": args.actors, "model_load_s": round(load_s, 1),
              "single_s": round(single_s, 1), "ray_s": round(ray_s, 1), "min_cosine": float(cos.min()),
              "mean_cosine": float(cos.mean()), "ray_first": args.ray_first,
              "load_after_single": single_load, "load_after_ray": ray_load}
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=1), encoding="utf-8")
    print("| run | seconds | passages/s | chars/s |\n|---|---|---|---|")
    for name, extra, s in rows:
        print(f"| {name} | {s:.1f}{f' (+{extra:.1f} load)' if extra else ''} | {len(texts) / s:.1f} | {chars / s:,.0f} |")
    print(f"\nsame vectors? cosine min {cos.min():.4f}, mean {cos.mean():.5f}; 1-min load average after the single "
          f"process {single_load:.2f}, after Ray {ray_load:.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
