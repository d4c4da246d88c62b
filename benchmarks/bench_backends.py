"""The two store backends on CMRC trial (issue 15): keyword recall of our jieba BM25 vs Milvus's jieba BM25, and
the service's whole path (R@1, answer hit) on the embedded FAISS segments and on Milvus (Milvus Lite here).

Both indexes hold the same vectors: the Milvus one takes them from the segment index that `rag eval` caches
(nothing is embedded twice), and question vectors are encoded once and cached, so the two backends differ
only in the store. Keyword recall is measured three ways, on the raw BM25 ranking (no fusion, no rerank):
  ours            rag.store BM25 over rag.keywords tokens (jieba search mode, OOV bigrams, stop words dropped)
  milvus          Milvus BM25 (jieba analyzer over the normalised passage), queried with our tokens joined by
                  spaces: what the Milvus backend does
  milvus-raw      Milvus BM25 queried with the normalised question itself, cut by Milvus's own analyzer

    .venv/bin/python benchmarks/bench_backends.py [--limit N] [--no-answers] [--out artifacts/bench/backends.json]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
SHARED = ROOT / ".." / "shared" / "eval" / "cmrc2018"


def _recall(ranked: list[list[str]], golds: list[tuple[str, ...]], ks: tuple[int, ...] = (1, 5, 10)) -> dict[str, float]:
    from rag.evaluation.metrics import rank_of

    ranks = [min([r for g in gs if (r := rank_of(g, ids)) is not None], default=None) for ids, gs in zip(ranked, golds)]
    out = {f"R@{k}": sum(1 for r in ranks if r is not None and r <= k) / len(ranks) for k in ks}
    out["MRR@10"] = sum(1 / r for r in ranks if r is not None and r <= 10) / len(ranks)
    return out


def _docs(view: Any, rows: list[tuple[int, float]]) -> list[str]:
    return list(dict.fromkeys(view.chunk_at(r).doc_id for r, _ in rows))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--corpus", default=str(SHARED / "trial_corpus.jsonl"))
    ap.add_argument("--questions", default=str(SHARED / "trial_questions.jsonl"))
    ap.add_argument("--limit", type=int, default=None)
    ap.add_argument("--no-answers", action="store_true", help="keyword recall only")
    ap.add_argument("--out", default="artifacts/bench/backends.json")
    args = ap.parse_args()

    from rag.embedding import load_embedder
    from rag.evaluation.dataset import load_corpus, load_questions
    from rag.evaluation.metrics import summarize
    from rag.evaluation.runner import QueryCache, QuestionRunner, cached_snapshot, corpus_digest
    from rag.keywords import normalize, tokenize
    from rag.settings import Settings
    from rag.store.milvus import MilvusBackend
    from rag.store.milvus.db import release

    settings = Settings.from_env().replace(store_uri=None)
    passages = load_corpus(Path(args.corpus))
    questions = load_questions(Path(args.questions), args.limit)
    embedder = load_embedder(settings)
    segments, _ = cached_snapshot(passages, corpus_digest(Path(args.corpus)), settings, embedder)
    tmp = Path(tempfile.mkdtemp(prefix="bench-backends-"))
    ms = settings.replace(index_dir=tmp / "trial", store_uri=str(tmp / "trial.db"))
    t0 = time.perf_counter()
    milvus, report = MilvusBackend(ms).write(embedder, replace=[p.article() for p in passages], reuse=segments)
    build_s = time.perf_counter() - t0
    assert report.embedded == 0, "the Milvus index should reuse the segment index's vectors"
    print(f"Milvus Lite index: {len(milvus)} passages ({len(segments)} in the segment index), "
          f"built in {build_s:.1f} s without embedding", file=sys.stderr)

    golds = [q.golds for q in questions]
    kw: dict[str, list[list[str]]] = {"ours": [], "milvus": [], "milvus-raw": []}
    lat: dict[str, list[float]] = {k: [] for k in kw}
    for q in questions:
        toks = tokenize(q.question)
        for name, view in (("ours", segments), ("milvus", milvus)):
            t = time.perf_counter()
            kw[name].append(_docs(view, view.keyword_search(toks, 10)))
            lat[name].append(time.perf_counter() - t)
        t = time.perf_counter()
        found = milvus.db.client.search(milvus.db.names["passages"], data=[normalize(q.question)], anns_field="sparse",
                                        limit=10, search_params={"metric_type": "BM25"}, output_fields=["doc_id"])
        kw["milvus-raw"].append(list(dict.fromkeys(h["entity"]["doc_id"] for h in found[0])))
        lat["milvus-raw"].append(time.perf_counter() - t)
    result: dict[str, Any] = {"questions": len(questions), "passages": len(segments), "milvus_build_s": round(build_s, 1),
                              "keyword": {k: dict(_recall(v, golds), p50_ms=1000 * sorted(lat[k])[len(lat[k]) // 2])
                                          for k, v in kw.items()}}
    same_top = sum(a[:1] == b[:1] for a, b in zip(kw["ours"], kw["milvus"])) / len(questions)
    overlap = sum(len(set(a) & set(b)) / max(1, len(set(a) | set(b))) for a, b in zip(kw["ours"], kw["milvus"])) / len(questions)
    result["keyword_agreement"] = {"same_top1": same_top, "jaccard_top10": overlap}

    if not args.no_answers:
        cached = QueryCache(embedder, [q.question for q in questions], settings.cache_dir / "eval")
        result["hybrid"] = {}
        for name, view in (("segments", segments), ("milvus", milvus)):
            records = QuestionRunner(settings, cached, view, "hybrid").run(questions, set(view.articles))
            s = summarize(records, [1, 5, 10])
            result["hybrid"][name] = {k: s.get(k) for k in ("recall@1", "recall@5", "recall@10", "answer_hit",
                                                            "latency_ms_p50", "latency_ms_p95")}
    release(str(ms.store_uri))
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=1), encoding="utf-8")
    print("| keyword ranking | R@1 | R@5 | R@10 | MRR@10 | p50 ms |\n|---|---|---|---|---|---|")
    for k, v in result["keyword"].items():
        print(f"| {k} | {100 * v['R@1']:.1f} | {100 * v['R@5']:.1f} | {100 * v['R@10']:.1f} | {100 * v['MRR@10']:.1f} "
              f"| {v['p50_ms']:.1f} |")
    print(f"\nours vs milvus: same top article {100 * same_top:.1f}%, top-10 Jaccard {100 * overlap:.1f}%")
    if "hybrid" in result:
        print("\n| backend (hybrid, the API's path) | R@1 | R@5 | answer hit | p50 ms | p95 ms |\n|---|---|---|---|---|---|")
        for k, v in result["hybrid"].items():
            print(f"| {k} | {100 * v['recall@1']:.2f} | {100 * v['recall@5']:.2f} | {100 * v['answer_hit']:.2f} "
                  f"| {v['latency_ms_p50']:.0f} | {v['latency_ms_p95']:.0f} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
