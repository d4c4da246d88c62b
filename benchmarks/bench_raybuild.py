"""The embedding of `rag build --ray` on a local Ray instance vs the single process, on the same passages.

Passages: the articles of `--corpus` (one or more JSONL files, comma-separated; default CMRC dev) cut as the index
cuts them (`embedding_text`, title prefix), distinct, the first N of them. `--sentences` adds each article's
sentence units after its passages, as a build embeds them (a build embeds both), to reach N texts when the corpora
hold fewer passages: CMRC dev + trial + DRCD dev hold 5,806 distinct passages, no more.
Single process: the service's encoder (every core, `RAG_ENCODER_THREADS` as set). Ray: `rag.raybuild.embed`,
Ray Data `map_batches` over actors with one encoder thread each, Ray start-up and each actor's model load
included (as a `rag build --ray` pays them). Prints a markdown table; JSON to artifacts/bench/raybuild.json.

    .venv/bin/python benchmarks/bench_raybuild.py [--passages 2000] [--actors 2] [--corpus A.jsonl,B.jsonl] [--sentences]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _common as common  # noqa: E402

ROOT = common.ROOT


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--corpus", default=str(ROOT / ".." / "shared" / "eval" / "cmrc2018" / "corpus.jsonl"),
                    help="one or more corpus JSONL files, comma-separated")
    ap.add_argument("--sentences", action="store_true", help="each article's sentence units too, as a build embeds them")
    ap.add_argument("--passages", type=int, default=2000)
    ap.add_argument("--actors", type=int, default=os.cpu_count() or 1)
    ap.add_argument("--ray-first", action="store_true", help="run the Ray side first (order effects on a busy machine)")
    ap.add_argument("--out", default="artifacts/bench/raybuild.json")
    args = ap.parse_args()

    from rag import raybuild
    from rag.chunking import chunk_article, embedding_text, sentence_units
    from rag.embedding import load_embedder
    from rag.evaluation.dataset import load_corpus
    from rag.settings import Settings

    settings = Settings.from_env()
    texts: list[str] = []
    for corpus in args.corpus.split(","):
        for p in load_corpus(Path(corpus)):
            a = p.article()
            texts += [embedding_text(a.title, c) for c in chunk_article(a, settings.chunk_size, settings.chunk_overlap)]
            if args.sentences:
                texts += [a.text[s:e] for s, e in sentence_units(a.text, settings.chunk_size)]
    texts = list(dict.fromkeys(texts))[:args.passages]
    before = common.machine()
    load_before = before["loadavg_1_5_15"]
    chars = sum(map(len, texts))
    print(f"{len(texts)} texts ({'passages and sentence units' if args.sentences else 'passages'}), {chars:,} chars, "
          f"{os.cpu_count()} cores, load {os.getloadavg()[0]:.2f}", file=sys.stderr)

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
    result = {"texts": len(texts), "sentences_included": args.sentences, "corpus": args.corpus, "chars": chars,
              "actors": args.actors, "model_load_s": round(load_s, 1), "single_s": round(single_s, 1),
              "ray_s": round(ray_s, 1), "min_cosine": float(cos.min()), "mean_cosine": float(cos.mean()),
              "ray_first": args.ray_first, "load_before": load_before, "load_after_single": single_load,
              "load_after_ray": ray_load, "machine_before": before, "machine_after": common.machine()}
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=1), encoding="utf-8")
    print("| run | seconds | texts/s | chars/s |\n|---|---|---|---|")
    for name, extra, s in rows:
        print(f"| {name} | {s:.1f}{f' (+{extra:.1f} load)' if extra else ''} | {len(texts) / s:.1f} | {chars / s:,.0f} |")
    print(f"\nsame vectors? cosine min {cos.min():.4f}, mean {cos.mean():.5f}; 1-min load average after the single "
          f"process {single_load:.2f}, after Ray {ray_load:.2f}; before {load_before}, after {common.load_line()}; "
          f"commit {before.get('git')}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
