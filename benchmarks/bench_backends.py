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

With `--scale N` (e.g. 100000) it measures something else: bench_scale.py's synthetic index of N passages
(copies of the CMRC dev index with noisy real e5 vectors; nothing embedded but the upserts), written once as a
FAISS segment and once into Milvus Lite (the same rows the backend writes for a prepared segment), then per
backend: dense recall@10 against an exact scan of the same vectors (200 real CMRC question vectors), a
one-article upsert with the real model (median of 5), and POST /api/ask p50/p95 over the 40 questions of
bench_scale.py through a real `rag serve` subprocess each (RAG_STORE_URI for Milvus), the asks interleaved.
JSON to artifacts/bench/backends-scale-N.json.

    .venv/bin/python benchmarks/bench_backends.py --scale 100000 [--keep DIR]
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _common as common  # noqa: E402

ROOT = common.ROOT
SHARED = common.CMRC


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
    ap.add_argument("--scale", type=int, default=None, help="the synthetic index of this many passages instead")
    ap.add_argument("--keep", type=Path, default=None, help="with --scale: keep both indexes in DIR (reused next time)")
    args = ap.parse_args()
    if args.scale:
        print_scale(scale(args.scale, args.keep))
        return 0

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


# -- --scale N: the 100k-passage synthetic index of bench_scale.py, on both backends -----------------------------


def _milvus_from(data: Any, settings: Any, dim: int, name: str) -> float:
    """Write bench_scale's synthetic segment data into Milvus as the backend writes a prepared segment (same
    rows, same term statistics; nothing embedded); seconds taken."""
    from rag.store.milvus.db import Db
    from rag.store.milvus.writing import _commit, expected_config

    t0 = time.perf_counter()
    db = Db(str(settings.store_uri), settings.index_dir)
    db.create(dim)
    _commit(db, data, [], present=())
    db.set_meta("config", expected_config(settings, name, dim))
    db.flush()
    return time.perf_counter() - t0


def _dense_recall(view: Any, qvecs: Any, truth: list[list[str]], nb_ids: dict[str, str]) -> dict[str, Any]:
    """recall@10 of view.dense against the exact top 10 (by passage id), the same counting a copy of the right
    base passage as found, and timings."""
    import numpy as np

    rec, base_rec, ts = [], [], []
    for q, want in zip(qvecs, truth):
        t = time.perf_counter()
        found = [view.chunk_at(r).id for r, _ in view.dense(q, 10)]
        ts.append(time.perf_counter() - t)
        rec.append(len(set(found) & set(want)) / 10)
        base_want = {nb_ids[i] for i in want}
        base_rec.append(len({nb_ids.get(i, i) for i in found} & base_want) / len(base_want))
    return {"recall@10": round(float(np.mean(rec)), 4), "base_passage_recall@10": round(float(np.mean(base_rec)), 4),
            "ms": common.summary_ms(ts)}


def _upserts(view: Any, settings: Any, embedder: Any) -> dict[str, Any]:
    """One-article upserts through Engine.upsert with the real model, median of 5 (as bench_scale.py)."""
    import statistics

    from rag.engine import Engine

    engine = Engine(settings, embedder, view)
    engine.background_merges = False
    timed = common.timed_upserts(engine, 5)
    total, model = [t for t, _ in timed], [rep.embed_seconds for _, rep in timed]
    for i in range(5):  # back to n passages, for the asks and for a rerun on a kept index
        engine.delete(f"fresh-{i}")
    return {"s_median": round(statistics.median(total), 3), "s_max": round(max(total), 3),
            "model_s_median": round(statistics.median(model), 3),
            "outside_model_s_median": round(statistics.median(t - m for t, m in zip(total, model)), 3)}


def scale(n: int, keep: Path | None) -> dict[str, Any]:
    """FAISS segments vs Milvus Lite on bench_scale.py's synthetic index of n passages: /api/ask p50/p95 over HTTP
    (a real `rag serve` per backend, asks interleaved), one-article upsert, dense recall@10 against exact."""
    import gc

    import bench_scale
    import httpx
    import numpy as np

    from rag import store
    from rag.embedding import load_embedder
    from rag.settings import Settings
    from rag.store.milvus import MilvusBackend
    from rag.store.milvus.db import release

    settings = Settings.from_env(env_file=None).replace(store_uri=None)
    before = common.machine()
    embedder = load_embedder(settings, progress=False)
    base = bench_scale.base_index(settings, embedder)
    qs, qv = bench_scale.query_vectors(settings, embedder)
    pick = np.linspace(0, len(qs) - 1, 200).astype(int)
    ask_qs = [qs[i] for i in np.linspace(0, len(qs) - 1, 40).astype(int)]
    root = keep or Path(tempfile.mkdtemp(prefix="bench-backends-scale-", dir=common.ROOT / "artifacts"))
    root.mkdir(parents=True, exist_ok=True)
    res: dict[str, Any] = {"passages": n, "machine_before": before}

    t0 = time.perf_counter()
    data = bench_scale.synthesize(base, n)
    res["synthesize_s"] = round(time.perf_counter() - t0, 1)
    ids = [c.id for chunks in data.chunks for c in chunks]
    nb = base.segments[0].rows  # copy r of base row b is row r * nb + b (bench_scale.synthesize)
    nb_ids = {i: ids[k % nb] for k, i in enumerate(ids)}
    vecs = np.asarray(data.vectors, np.float32)
    qvecs = qv[pick]
    truth = [[ids[j] for j in np.argsort(-(vecs @ q))[:10]] for q in qvecs]
    del vecs

    faiss_dir = root / f"segments-{n}"
    ms = settings.replace(index_dir=root / f"milvus-{n}", store_uri=str(root / f"milvus-{n}.db"))
    seg_settings = settings.replace(index_dir=faiss_dir)
    if not faiss_dir.is_dir():
        res["segments_write"] = bench_scale.write_index(data, faiss_dir, settings, base.config)
    print(f"segment index: {res.get('segments_write', 'kept')}", file=sys.stderr)
    if not MilvusBackend(ms).db.exists():
        res["milvus_write_s"] = round(_milvus_from(data, ms, embedder.dim, embedder.name), 1)
        print(f"Milvus Lite index written in {res['milvus_write_s']} s", file=sys.stderr)
    del data
    gc.collect()

    views: dict[str, Any] = {"segments": store.load(faiss_dir, seg_settings, embedder.name, embedder.dim),
             "milvus": MilvusBackend(ms).load(embedder.name, embedder.dim)}
    assert len(views["segments"]) == len(views["milvus"]) == n, {k: len(v) for k, v in views.items()}
    res["dense"] = {k: _dense_recall(v, qvecs, truth, nb_ids) for k, v in views.items()}
    print(f"dense: {res['dense']}", file=sys.stderr)
    res["upsert"] = {k: _upserts(v, seg_settings if k == "segments" else ms, embedder) for k, v in views.items()}
    print(f"upsert: {res['upsert']}", file=sys.stderr)
    del views
    gc.collect()
    release(str(ms.store_uri))  # Milvus Lite serves one process per .db: the server's from here on

    info: dict[str, dict[str, Any]] = {"segments": {}, "milvus": {}}
    times: dict[str, list[float]] = {"segments": [], "milvus": []}
    with common.rag_serve(faiss_dir, timeout=900, info=info["segments"]) as seg_url, \
            common.rag_serve(ms.index_dir, env={"RAG_STORE_URI": str(ms.store_uri)}, timeout=900,
                             info=info["milvus"]) as mil_url, \
            httpx.Client(timeout=300) as client:
        urls = {"segments": seg_url, "milvus": mil_url}
        answers: dict[str, list[Any]] = {"segments": [], "milvus": []}
        for q in ask_qs[:5]:  # warm-up
            for url in urls.values():
                client.post(url + "/api/ask", json={"question": q}).raise_for_status()
        for i, q in enumerate(ask_qs):  # interleaved, alternating which goes first
            for name in (("segments", "milvus") if i % 2 == 0 else ("milvus", "segments")):
                t = time.perf_counter()
                r = client.post(urls[name] + "/api/ask", json={"question": q})
                times[name].append(time.perf_counter() - t)
                r.raise_for_status()
                answers[name].append(r.json().get("answer"))
        rss = {k: round(common.rss_mb(v["pid"]), 1) for k, v in info.items()}
    res["ask_http_ms"] = {k: common.summary_ms(v) for k, v in times.items()}
    res["asks"] = len(ask_qs)
    res["same_answers"] = sum(a == b for a, b in zip(answers["segments"], answers["milvus"]))
    res["server"] = {k: {"ready_s": v["ready_s"], "rss_mb": rss[k]} for k, v in info.items()}
    res["machine_after"] = common.machine()
    common.write_artifact(f"backends-scale-{n}", res)
    if keep is None:
        shutil.rmtree(root, ignore_errors=True)
    return res


def print_scale(res: dict[str, Any]) -> None:
    rows = []
    for k, label in (("segments", "embedded FAISS segments"), ("milvus", "Milvus Lite")):
        d, u, a, s = res["dense"][k], res["upsert"][k], res["ask_http_ms"][k], res["server"][k]
        rows.append([label, a["p50"], a["p95"], u["s_median"], u["outside_model_s_median"], d["recall@10"],
                     d["base_passage_recall@10"], d["ms"]["p50"], s["ready_s"], s["rss_mb"]])
    print(f"\n{res['passages']:,} synthetic passages (bench_scale.py's), {res['same_answers']} of "
          f"{res['asks']} asks answered alike; load before {res['machine_before']['loadavg_1_5_15']}, "
          f"after {res['machine_after']['loadavg_1_5_15']}; commit {res['machine_before'].get('git')}\n")
    print(common.md_table(["backend", "/api/ask p50 ms", "p95 ms", "upsert 1 article s", "of which outside the model s",
                           "dense recall@10 vs exact", "same, a copy of the base passage counting", "dense p50 ms",
                           "start to /readyz s", "server RSS MiB"], rows))


if __name__ == "__main__":
    raise SystemExit(main())
