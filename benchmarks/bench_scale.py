"""Scale of the segment store: one-article upsert, start-up, memory, disk, BM25, ANN recall and /api/ask over
HTTP at 10k, 100k and 1M passages.

    .venv/bin/python benchmarks/bench_scale.py [--sizes 10000,100000,1000000] [--no-http] [--quick]

Synthetic, and how: the base is the index of the 848 CMRC 2018 dev passages as the service builds it (real
e5 vectors, real jieba term counts, real sentence units and vectors; read from the `rag eval` cache or built
once). Copy 0 is that index; copy r >= 1 of every article gets the id `<id>~<r>`, two characters of its text
replaced by other characters of the same article (same length, so spans stay valid), and:
  * passage vectors: the base vector + Gaussian noise N(0, sigma^2 I), sigma = 0.025 per dimension (cosine
    ~0.90 to the original), renormalised;
  * sentence vectors: the base article's, unchanged (they are read only for the top passages' features);
  * keyword rows: the base passage's term counts with one occurrence removed at random and one copy-specific
    term `copy<r>` added (jieba over a million texts would take most of an hour here).
Copies are cut to exactly N passages and written as ONE segment with rag.store.segment.write (an IVF-SQ8 index
is built when N > exact_threshold) and committed through the manifest: the shape of a compacted index.
Nothing is embedded except the measured upserts. Queries: real e5 vectors of CMRC questions (200 spread
over the set for recall and BM25, 40 for ask latency).

Measured per size, in one run: writing the segment; disk; BM25 p50/p95 (in process); ANN recall@10 against
an exact scan of the same vectors, and p50, for a sweep of IVF probes (and ANN recall on real vectors, HNSW and IVF); a one-article upsert through
Engine.upsert with the real model (time and bytes written; median of 5); then a real `rag serve`
subprocess: start to /readyz, RSS (and RSS minus the same server over the seeds index, i.e. the index's own
share), POST /api/ask p50/p95 over the 40 questions. Writes artifacts/bench/scale.json.
"""

from __future__ import annotations

import argparse
import gc
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _common as common  # noqa: E402

SIGMA = 0.025
SEED = 20181


def base_index(settings: Any, embedder: Any) -> Any:
    from rag.evaluation.dataset import load_corpus
    from rag.evaluation.runner import cached_snapshot, corpus_digest

    corpus = common.CMRC / "corpus.jsonl"
    snap, _ = cached_snapshot(load_corpus(corpus), corpus_digest(corpus), settings, embedder, progress=True)
    return snap


def query_vectors(settings: Any, embedder: Any) -> tuple[list[str], np.ndarray]:
    from rag.evaluation.runner import QueryCache

    qs = [q["question"] for q in common.cmrc_questions()]
    cache = QueryCache(embedder, qs, settings.cache_dir / "eval", progress=True)
    return qs, np.vstack([cache._vecs[q.strip()] for q in qs]).astype(np.float32)


def synthesize(base: Any, n: int) -> Any:
    """SegmentData of exactly n passages built from copies of `base` (see the module doc)."""
    from rag.store.postings import TermRows, concat_rows
    from rag.store.segment import SegmentData
    from rag.types import Article, Chunk

    rng = np.random.default_rng(SEED)
    (seg,) = base.segments
    meta, post = seg.meta, seg.postings
    base_arts = list(meta.articles())
    base_vecs = np.asarray(seg.vectors.matrix, np.float32)
    base_sents = [seg.sentences(i) for i in range(len(base_arts))]
    terms = list(post.terms)
    articles, hashes, chunks, sents, vec_parts, term_parts = [], [], [], [], [], []
    rows = 0
    r = 0
    while rows < n:
        for i, a in enumerate(base_arts):
            k = int(meta.nrows[i])
            if rows >= n:
                break
            k = min(k, n - rows)
            r0 = int(meta.row0[i])
            if r:
                t = list(a.text)
                for p, s in zip(rng.integers(0, len(t), size=2), rng.integers(0, len(t), size=2)):
                    t[p] = a.text[s]
                a = Article(id=f"{a.id}~{r}", title=a.title, text="".join(t))
            spans = np.asarray(meta.spans[r0:r0 + k])
            articles.append(a)
            hashes.append(f"synthetic{r}-{i}")
            chunks.append([Chunk(id=f"{a.id}#{j}", doc_id=a.id, ordinal=j, start=int(st), end=int(en),
                                 text=a.text[int(st):int(en)]) for j, (_, st, en) in enumerate(spans)])
            sents.append(base_sents[i])
            v = base_vecs[r0:r0 + k]
            if r:
                v = v + rng.normal(0.0, SIGMA, size=v.shape).astype(np.float32)
                v /= np.linalg.norm(v, axis=1, keepdims=True)
            vec_parts.append(v)
            lo, hi = int(post.by_row.indptr[r0]), int(post.by_row.indptr[r0 + k])
            ptr = np.asarray(post.by_row.indptr[r0:r0 + k + 1], np.int64) - lo
            tt = np.asarray(post.by_row.terms[lo:hi]).copy()
            cc = np.asarray(post.by_row.counts[lo:hi]).copy()
            if r:  # one occurrence fewer, one copy term more, per passage
                nnz = np.diff(ptr)
                pick = ptr[:-1] + (rng.random(k) * np.maximum(nnz, 1)).astype(np.int64)
                cc[pick[nnz > 0]] -= 1
                if f"copy{r}" not in terms:
                    terms.append(f"copy{r}")
                keep = cc > 0
                per_row = np.add.reduceat(keep.astype(np.int64), ptr[:-1]) if len(keep) else np.zeros(k, np.int64)
                per_row = np.where(nnz > 0, per_row, 0)
                tt, cc = tt[keep], cc[keep]
                new_ptr = np.concatenate([[0], np.cumsum(per_row + 1)])
                t2 = np.empty(new_ptr[-1], np.int32)
                c2 = np.empty(new_ptr[-1], np.float32)
                ins = new_ptr[1:] - 1  # the copy term goes last in each row
                mask = np.ones(new_ptr[-1], bool)
                mask[ins] = False
                t2[mask], c2[mask] = tt, cc
                t2[ins], c2[ins] = len(terms) - 1, 1.0
                ptr, tt, cc = new_ptr, t2, c2
            term_parts.append(TermRows(ptr, tt, cc))
            rows += k
        r += 1
    return SegmentData(articles, hashes, chunks, np.vstack(vec_parts), concat_rows(term_parts), terms, sents)


def write_index(data: Any, index_dir: Path, settings: Any, config: dict[str, Any]) -> dict[str, float]:
    from rag.store import manifest as mf
    from rag.store import segment

    index_dir.mkdir(parents=True)
    tmp = index_dir / ".tmp-bench"
    tmp.mkdir()
    t0 = time.perf_counter()
    segment.write(data, tmp, settings.exact_threshold)
    write_s = time.perf_counter() - t0
    name = segment.place(tmp, index_dir)
    with mf.write_lock(index_dir):
        mf.commit(index_dir, mf.Manifest(config=config, segments=[mf.SegmentRef(name, data.rows, len(data.articles))]))
    return {"segment_write_s": round(write_s, 1),
            "ann_built": (index_dir / name / "ann.faiss").is_file()}


def real_ann_recall(base: Any, qvecs: np.ndarray) -> dict[str, Any]:
    """ANN recall@10 against exact search on real vectors: the synthetic copies cluster by construction
    (every query's neighbours are noisy copies of one passage), unlike real vectors: it flatters IVF and
    breaks HNSW's graph. Here: the base index's real passage and sentence vectors (e5, not synthetic), the
    store's IVF-SQ8 with re-scoring and, for the record, HNSW and IVF-Flat, with real CMRC question vectors."""
    import faiss

    from rag.store.vectors import Vectors, build_ann

    (seg,) = base.segments
    real = np.vstack([np.asarray(seg.vectors.matrix), np.asarray(seg.sent_vectors)]).astype(np.float32)
    truth = [set(np.argsort(-(real @ q))[:10].tolist()) for q in qvecs]
    out: dict[str, Any] = {"vectors": len(real)}
    with tempfile.TemporaryDirectory() as tmp:
        np.save(Path(tmp) / "vectors.npy", real)
        build_ann(real, Path(tmp) / "ann.faiss")
        v = Vectors(Path(tmp))
        for div in (16, 8, 4):
            v.nprobe = max(1, v.ann.nlist // div)
            rec = [len({int(r) for r in v.search(q, 10, None)[0]} & t) / 10 for q, t in zip(qvecs, truth)]
            out[f"IVF-SQ8 nlist {v.ann.nlist}, 1/{div} probed, re-scored (the store's)"] = round(float(np.mean(rec)), 4)
    hnsw = faiss.IndexHNSWFlat(real.shape[1], 32, faiss.METRIC_INNER_PRODUCT)
    hnsw.hnsw.efConstruction = 80
    hnsw.add(real)
    for ef in (64, 128):
        hnsw.hnsw.efSearch = ef
        _, found = hnsw.search(qvecs, 10)
        out[f"HNSW M=32 efSearch {ef}"] = round(float(np.mean(
            [len(set(f.tolist()) & t) / 10 for f, t in zip(found, truth)])), 4)
    nlist = int(4 * np.sqrt(len(real)))
    ivf = faiss.IndexIVFFlat(faiss.IndexFlatIP(real.shape[1]), real.shape[1], nlist, faiss.METRIC_INNER_PRODUCT)
    ivf.train(real)
    ivf.add(real)
    for share in (16, 8, 4):
        ivf.nprobe = max(1, nlist // share)
        _, found = ivf.search(qvecs, 10)
        out[f"IVF-Flat nlist {nlist}, 1/{share} probed"] = round(float(np.mean(
            [len(set(f.tolist()) & t) / 10 for f, t in zip(found, truth)])), 4)
    print(f"ANN on real vectors: {out}", file=sys.stderr)
    return out


def disk_mb(index_dir: Path) -> float:
    return round(sum(f.stat().st_size for f in index_dir.rglob("*") if f.is_file()) / 1e6, 1)


def measure(n: int, base: Any, settings: Any, embedder: Any, qvecs: np.ndarray, bm_qs: list[str],
            ask_qs: list[str], http: bool, baseline_rss: float | None, keep: Path | None = None) -> dict[str, Any]:
    import httpx

    from rag import store
    from rag.engine import Engine
    from rag.keywords import tokenize

    print(f"--- {n:,} passages", file=sys.stderr)
    res: dict[str, Any] = {"passages": n}
    with tempfile.TemporaryDirectory(prefix="bench-scale-", dir=common.ROOT / "artifacts") as tmp:
        index_dir = (keep / f"index-{n}") if keep else Path(tmp) / "index"
        kept = keep is not None and index_dir.is_dir()
        if kept:  # the same synthetic index, written by an earlier run with --keep
            from rag import store
            with store.write_lock(index_dir):  # drop the upserts of that run
                m = store.read_manifest(index_dir)
                m.segments = m.segments[:1]
                store.manifest.commit(index_dir, m)
                store.manifest.collect_garbage(index_dir, set())
            vecs = np.load(index_dir / m.segments[0].name / "vectors.npy")
            res["reused_index"] = str(index_dir)
        else:
            t0 = time.perf_counter()
            data = synthesize(base, n)
            res["synthesize_s"] = round(time.perf_counter() - t0, 1)
            res.update(write_index(data, index_dir, settings, base.config))
            vecs = data.vectors
            del data
            gc.collect()
        res["disk_mb"] = disk_mb(index_dir)
        print(f"written: {res}", file=sys.stderr)

        s = settings.replace(index_dir=index_dir)
        t0 = time.perf_counter()
        snap = store.load(index_dir, s, embedder.name, embedder.dim)
        res["open_in_process_s"] = round(time.perf_counter() - t0, 2)

        # BM25, with the service's candidate depth
        toks = [tokenize(q) for q in bm_qs]
        snap.keyword_search(toks[0], settings.candidates)
        bm = []
        for t in toks:
            t0 = time.perf_counter()
            snap.keyword_search(t, settings.candidates)
            bm.append(time.perf_counter() - t0)
        res["bm25_ms"] = common.summary_ms(bm)

        # dense: the store's search against an exact scan of the same vectors
        exact = [np.argsort(-(vecs @ q))[:10] for q in qvecs]
        truth = [set(e.tolist()) for e in exact]
        tenth = [float(vecs[e[-1]] @ q) for e, q in zip(exact, qvecs)]
        nb = base.segments[0].rows  # copy r of base row b is row r * nb + b
        seg = snap.segments[0]
        sweep = {}
        ann = seg.vectors.ann
        probes = [None] if ann is None else [ann.nlist // d for d in (16, 8, 4)]
        default_probe = seg.vectors.nprobe if ann is not None else None
        for p in probes:
            if p is not None:
                seg.vectors.nprobe = p
            ts, rec, base_rec, gap = [], [], [], []
            for q, tr, t10 in zip(qvecs, truth, tenth):
                t0 = time.perf_counter()
                found = snap.dense(q, 10)
                ts.append(time.perf_counter() - t0)
                rec.append(len({r for r, _ in found} & tr) / 10)
                want = {r % nb for r in tr}
                base_rec.append(len({r % nb for r, _ in found} & want) / len(want))
                gap.append(t10 - (found[-1][1] if found else 0.0))
            sweep[str(p or "exact")] = {"recall@10": round(float(np.mean(rec)), 4),
                                        "base_passage_recall": round(float(np.mean(base_rec)), 4),
                                        "tenth_score_gap": round(float(np.mean(gap)), 5), **common.summary_ms(ts)}
            print(f"dense nprobe={p}: {sweep[str(p or 'exact')]}", file=sys.stderr)
        if default_probe is not None:
            seg.vectors.nprobe = default_probe
        res["dense"] = {"index": "IVF-SQ8 + exact re-score" if ann is not None else "exact", "sweep": sweep,
                        "nprobe": default_probe, "nlist": ann.nlist if ann is not None else None}
        del vecs
        gc.collect()

        # one-article upserts with the real model, on top of the big segment
        engine = Engine(s, embedder, snap)
        engine.background_merges = False
        timed = common.timed_upserts(engine, 5)
        ups = [t for t, _ in timed]
        written = [rep.bytes_written for _, rep in timed]
        model = [rep.embed_seconds for _, rep in timed]
        res["upsert_one_article"] = {"ms": common.summary_ms(ups), "bytes_written_median": int(statistics.median(written)),
                                     "model_ms_median": round(1000 * statistics.median(model), 1),
                                     "store_ms_median": round(1000 * statistics.median(u - m for u, m in zip(ups, model)), 1)}
        print(f"upsert: {res['upsert_one_article']}", file=sys.stderr)
        del engine, snap
        gc.collect()

        if http:
            server: dict[str, Any] = {}
            with common.rag_serve(index_dir, timeout=900, info=server) as url, \
                    httpx.Client(base_url=url, timeout=120) as client:
                rss_ready = common.rss_mb(server["pid"])
                for q in ask_qs[:5]:
                    client.post("/api/ask", json={"question": q}).raise_for_status()
                ts = []
                for q in ask_qs:
                    t0 = time.perf_counter()
                    client.post("/api/ask", json={"question": q}).raise_for_status()
                    ts.append(time.perf_counter() - t0)
                rss_after = common.rss_mb(server["pid"])
            res["server"] = {"ready_s": server["ready_s"], "rss_ready_mb": round(rss_ready, 1),
                             "rss_after_asks_mb": round(rss_after, 1),
                             "index_rss_mb": round(rss_after - baseline_rss, 1) if baseline_rss else None}
            res["ask_http_ms"] = common.summary_ms(ts)
            print(f"server: {res['server']} ask {res['ask_http_ms']}", file=sys.stderr)
    res["load_after"] = common.machine()["loadavg_1_5_15"]
    return res


def seeds_baseline(embedder: Any, ask_qs: list[str]) -> float:
    """RSS of `rag serve` over the seeds index after the same asks: the model and the code without an index."""
    import httpx

    with tempfile.TemporaryDirectory(prefix="bench-scale-seeds-") as tmp:
        common.build_seeds_index(Path(tmp) / "index", embedder)
        info: dict[str, Any] = {}
        with common.rag_serve(Path(tmp) / "index", timeout=300, info=info) as url, httpx.Client(base_url=url, timeout=120) as c:
            for q in ask_qs:
                c.post("/api/ask", json={"question": q}).raise_for_status()
            return common.rss_mb(info["pid"])


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="10,000 passages only")
    ap.add_argument("--sizes", default=None, help="comma-separated passage counts (default 10000,100000,1000000)")
    ap.add_argument("--no-http", action="store_true", help="in-process only (no rag serve subprocess)")
    ap.add_argument("--keep", type=Path, default=None,
                    help="keep each synthetic index in DIR/index-<n> (and reuse it on the next run)")
    args = ap.parse_args(argv)
    sizes = [int(s) for s in (args.sizes or ("10000" if args.quick else "10000,100000,1000000")).split(",")]

    from rag.embedding import load_embedder
    from rag.settings import Settings

    settings = Settings.from_env(env_file=None)
    before = common.machine()
    embedder = load_embedder(settings, progress=False)
    base = base_index(settings, embedder)
    qs, qv = query_vectors(settings, embedder)
    pick = np.linspace(0, len(qs) - 1, 200).astype(int)
    ask_qs = [qs[i] for i in np.linspace(0, len(qs) - 1, 40).astype(int)]
    real_ann = real_ann_recall(base, qv[pick])
    baseline = None if args.no_http else seeds_baseline(embedder, ask_qs)
    results = []
    for n in sizes:
        results.append(measure(n, base, settings, embedder, qv[pick], [qs[i] for i in pick], ask_qs,
                               not args.no_http, baseline, args.keep))
        common.write_artifact("scale", {"sizes": sizes, "results": results, "seeds_server_rss_mb": baseline, "ann_real_vectors": real_ann,
                                        "machine_before": before, "partial": True})

    def get(r: dict[str, Any], *path: str) -> Any:
        for p in path:
            if not isinstance(r, dict) or p not in r:
                return "–"
            r = r[p]
        return r

    rows = []
    for r in results:
        d = r["dense"]
        chosen = d["sweep"][str(d["nprobe"] or "exact")]
        rows.append([f"{r['passages']:,}", get(r, "segment_write_s"), r["disk_mb"], get(r, "server", "ready_s"),
                     get(r, "server", "rss_after_asks_mb"), get(r, "server", "index_rss_mb"),
                     r["bm25_ms"]["p50"], r["bm25_ms"]["p95"], d["index"], chosen["recall@10"], chosen["p50"],
                     r["upsert_one_article"]["ms"]["p50"], get(r, "upsert_one_article", "store_ms_median"),
                     r["upsert_one_article"]["bytes_written_median"],
                     get(r, "ask_http_ms", "p50"), get(r, "ask_http_ms", "p95")])
    table = common.md_table(["passages", "segment write s", "disk MB", "start to /readyz s", "server RSS MiB",
                             "index RSS MiB", "BM25 p50 ms", "BM25 p95 ms", "dense", "recall@10", "dense p50 ms",
                             "upsert 1 article ms", "of which outside the model ms", "upsert bytes", "ask p50 ms", "ask p95 ms"], rows)
    sweep = common.md_table(["passages", "nprobe", "recall@10", "recall of the base passages",
                             "10th cosine: exact minus found", "p50 ms", "p95 ms"],
                            [[f"{r['passages']:,}", p, s["recall@10"], s["base_passage_recall"], s["tenth_score_gap"],
                              s["p50"], s["p95"]]
                             for r in results for p, s in r["dense"]["sweep"].items()])
    print(f"\nScale (synthetic copies of the CMRC dev index, one segment; nothing embedded but the upserts), "
          f"{common.load_line()} (before: {before['loadavg_1_5_15']}); seeds server RSS {baseline} MiB\n")
    print(table)
    print()
    print(sweep)
    print()
    print(common.md_table(["index (real e5 vectors)", "recall@10 vs exact"],
                          [[k, v] for k, v in real_ann.items() if k != "vectors"]))
    path = common.write_artifact("scale", {"sizes": sizes, "results": results, "seeds_server_rss_mb": baseline, "ann_real_vectors": real_ann,
                                           "machine_before": before, "machine_after": common.machine(),
                                           "tables": [table, sweep]})
    print(f"wrote {path.relative_to(common.ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
