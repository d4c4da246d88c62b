"""Experiment: the answerability signals (coverage, best dense cosine) on held-out vs in-index questions.

Loads the cached held-out eval index (same --holdout-gold/--seed/--limit as `rag eval`), computes the
answerer's Judgement for each question without composing answers, and scans threshold pairs.

    .venv/bin/python benchmarks/answerability_scan.py --limit 300 --holdout-gold 0.1
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from rag.answer import ExtractiveAnswerer
from rag.embedding import load_embedder
from rag.evaluation.cli import _default
from rag.evaluation.dataset import load_corpus, load_questions
from rag.evaluation.runner import ASK_K, QueryCache, cached_snapshot, corpus_digest, holdout
from rag.retrieval import Retriever
from rag.settings import Settings


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--corpus", default=_default("corpus.jsonl"))
    p.add_argument("--questions", default=_default("questions.jsonl"))
    p.add_argument("--limit", type=int, default=None)
    p.add_argument("--holdout-gold", type=float, default=0.1)
    p.add_argument("--seed", type=int, default=13)
    args = p.parse_args()
    settings = Settings.from_env()
    emb = load_embedder(settings, progress=False)
    passages, questions = load_corpus(Path(args.corpus)), load_questions(Path(args.questions), args.limit)
    digest = corpus_digest(Path(args.corpus))
    full, _ = cached_snapshot(passages, digest, settings, emb, progress=False)
    dropped = holdout(questions, args.holdout_gold, args.seed)
    snap, _ = cached_snapshot(passages, digest, settings, emb, dropped, previous=full, progress=False)
    qemb = QueryCache(emb, [q.question for q in questions], settings.cache_dir / "eval", progress=False)
    answerer = ExtractiveAnswerer(settings, qemb)  # type: ignore[arg-type]
    rows = []
    for q in questions:
        cands = Retriever(snap, qemb, settings).candidates(q.question, ASK_K)  # type: ignore[arg-type]
        j = answerer.judge(snap, q.question, cands)
        rows.append((q.gold_passage_id in dropped, j.coverage, j.dense_top, j.answerable))
    held = np.array([r[0] for r in rows])
    cov = np.array([r[1] for r in rows])
    dense = np.array([r[2] for r in rows])
    print(f"held out {held.sum()} / {len(rows)}; current rule abstains on "
          f"{np.mean([not r[3] for r, h in zip(rows, held) if h]):.3f} of held-out, "
          f"{np.mean([not r[3] for r, h in zip(rows, held) if not h]):.3f} of the rest")
    for name, v in (("coverage", cov), ("dense_top", dense)):
        print(f"{name:<10} held-out p10/p50/p90 {np.percentile(v[held], [10, 50, 90]).round(3)}  "
              f"in-index p5/p10/p50 {np.percentile(v[~held], [5, 10, 50]).round(3)}")
    best = []
    for c in np.arange(0.3, 1.01, 0.05):
        for d in np.arange(0.78, 0.92, 0.01):
            for conf in (0.86, 0.88, 0.90, 1.1):
                ok = ((cov >= c) & (dense >= d)) | (dense >= conf)
                recall, fa = float(np.mean(~ok[held])), float(np.mean(~ok[~held]))
                best.append((fa <= 0.05, recall, -fa, round(c, 2), round(d, 2), conf))
    best.sort(reverse=True)
    print("best (min_coverage, min_dense, confident_dense) with false abstentions <= 5%:")
    for _ok, recall, nfa, c, d, conf in best[:8]:
        print(f"  coverage>={c} dense>={d} or dense>={conf}: abstention recall {recall:.3f}, false {-nfa:.3f}")


if __name__ == "__main__":
    main()
