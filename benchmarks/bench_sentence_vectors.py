"""Answer-step quality of sentence vectors pooled from the passage pass against separate sentence passes, without
refitting the answer scorer: how often the gold answer sentence ranks first, and in the top 3, by cosine with
the question among the candidate sentences of the gold passage.

    .venv/bin/python benchmarks/bench_sentence_vectors.py [--cmrc 500] [--backend onnx]

Sets: rag/evaluation/sets/seeds_natural.jsonl over seeds/ (answerable items; a gold sentence holds every fact
group) and the first N CMRC 2018 dev questions over their articles (a gold sentence holds an answer). The gold
passage is the first passage of a gold article that has a gold sentence among its sentence units; its units
are the candidates, as the scorer reads them (`snap.sentences.within(doc_id, start, end)`). Items without a
gold sentence (the answer spans two units) are counted and skipped. Both indexes are built in this run with
one loaded model (RAG_SENTENCE_VECTORS=separate, then pooled); the question vectors are the same for both.
Prints a markdown table and writes artifacts/bench/sentence-vectors.json.
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

MODES = ("separate", "pooled")
QUIET_S = 5.5  # rag.modelgate.QUIET_S and a margin


def items_for(questions: Sequence[Any], articles: dict[str, Any], chunks: dict[str, list[Any]]
              ) -> tuple[list[dict[str, Any]], int]:
    """Per question with a gold sentence: its gold passage (doc id, start, end) and gold units (start, end);
    and how many questions had none."""
    from rag.chunking import sentence_units

    out, skipped = [], 0
    for q in questions:
        found = None
        for doc_id in q.golds:
            a = articles.get(doc_id)
            if a is None:
                continue
            units = sentence_units(a.text)
            for c in chunks[doc_id]:
                inside = [(s, e) for s, e in units if s >= c.start and e <= c.end]
                gold = [(s, e) for s, e in inside if q.hit(a.text[s:e])]
                if gold:
                    found = {"id": q.id, "question": q.question, "doc_id": doc_id, "start": c.start, "end": c.end,
                             "gold": gold, "candidates": len(inside)}
                    break
            if found:
                break
        if found:
            out.append(found)
        else:
            skipped += 1
    return out, skipped


def rank_figures(items: Sequence[dict[str, Any]], snap: Any, qvecs: np.ndarray) -> dict[str, Any]:
    """Top-1 and top-3 rates of the gold sentence by cosine, and the chance rates for comparison."""
    top1 = top3 = 0
    chance1 = chance3 = 0.0
    for it, qv in zip(items, qvecs):
        starts, ends, vecs = snap.sentences.within(it["doc_id"], it["start"], it["end"])
        scores = vecs @ qv
        order = np.argsort(-scores, kind="stable")
        gold = {tuple(g) for g in it["gold"]}
        ranked = [(int(starts[i]), int(ends[i])) in gold for i in order]
        top1 += ranked[0]
        top3 += any(ranked[:3])
        n, g = len(ranked), len(gold)
        chance1 += g / n
        chance3 += 1 - float(np.prod([(n - g - k) / (n - k) for k in range(min(3, n))])) if n - g >= 3 else 1.0
    n = len(items)
    return {"n": n, "top1": round(100 * top1 / n, 2), "top3": round(100 * top3 / n, 2),
            "chance_top1": round(100 * chance1 / n, 2), "chance_top3": round(100 * chance3 / n, 2)}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--cmrc", type=int, default=500, help="first N CMRC dev questions (default 500)")
    ap.add_argument("--backend", default="onnx", help="encoder backend (onnx = int8, torch = fp32)")
    args = ap.parse_args(argv)

    from rag import store
    from rag.chunking import chunk_article
    from rag.embedding import load_embedder
    from rag.evaluation.dataset import load_questions
    from rag.settings import Settings
    from rag.sources import load_paths
    from rag.types import Article

    before = common.machine()
    settings = Settings.from_env(env_file=None, encoder_backend=args.backend)
    embedder = load_embedder(settings, progress=False)

    seeds, _ = load_paths([common.SEEDS])
    natural = [q for q in load_questions(common.ROOT / "rag/evaluation/sets/seeds_natural.jsonl") if q.golds]
    cmrc_qs = load_questions(common.CMRC / "questions.jsonl", args.cmrc)
    wanted = {q.gold_passage_id for q in cmrc_qs}
    cmrc_arts = [Article(id=r["id"], title=r["title"], text=r["text"]) for r in common.cmrc_passages()
                 if r["id"] in wanted]
    sets = {"seeds natural": (seeds, natural), f"CMRC dev (first {args.cmrc})": (cmrc_arts, cmrc_qs)}

    out: dict[str, Any] = {"machine_before": before, "backend": args.backend, "model": embedder.name, "sets": {}}
    rows = []
    for name, (arts, qs) in sets.items():
        by_id = {a.id: a for a in arts}
        chunks = {a.id: chunk_article(a, settings.chunk_size, settings.chunk_overlap) for a in arts}
        items, skipped = items_for(qs, by_id, chunks)
        res: dict[str, Any] = {"questions": len(qs), "with_gold_sentence": len(items), "skipped": skipped,
                               "mean_candidates": round(float(np.mean([it["candidates"] for it in items])), 2)}
        vectors = {}
        with tempfile.TemporaryDirectory(prefix="bench-sv-") as tmp:
            for mode in MODES:
                s = settings.replace(sentence_vectors=mode, index_dir=Path(tmp) / mode)
                t0 = time.perf_counter()
                snap, report = store.write(s.index_dir, s, embedder, replace=arts)
                if mode == MODES[0]:
                    # after the first build: a question makes the next ModelGate.QUIET_S seconds of a build use
                    # small slices, and int8 vectors depend on what a text is batched with
                    qvecs = embedder.encode_queries([it["question"] for it in items])
                    time.sleep(QUIET_S)
                res[mode] = dict(rank_figures(items, snap, qvecs), build_s=round(time.perf_counter() - t0, 1),
                                 pooled_sentences=report.pooled_sentences, own_pass=report.embedded_sentences)
                vectors[mode] = np.vstack([snap.sentences.rows(a.id).vectors for a in arts])
        cos = (vectors["separate"] * vectors["pooled"]).sum(1)
        res["cos_pooled_vs_separate"] = {"mean": round(float(cos.mean()), 4), "p5": round(float(np.percentile(cos, 5)), 4),
                                         "min": round(float(cos.min()), 4)}
        out["sets"][name] = res
        for mode in MODES:
            r = res[mode]
            rows.append([name, mode, r["n"], f"{r['top1']:.1f}", f"{r['top3']:.1f}",
                         f"{r['chance_top1']:.1f} / {r['chance_top3']:.1f}", res["mean_candidates"]])
        print(f"{name}: {len(items)} of {len(qs)} questions have a gold sentence ({skipped} skipped); "
              f"cosine pooled vs separate per unit: mean {cos.mean():.3f}, 5th pct {np.percentile(cos, 5):.3f}")
    table = common.md_table(["set", "sentence vectors", "items", "gold sentence top-1 %", "top-3 %",
                             "chance top-1 / top-3 %", "candidates per passage"], rows)
    out["machine_after"] = common.machine()
    out["table"] = table
    print(f"\n{embedder.name}, {common.load_line()} (before: {before['loadavg_1_5_15'][0]})\n")
    print(table)
    path = common.write_artifact("sentence-vectors", out)
    print(f"wrote {path.relative_to(common.ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
