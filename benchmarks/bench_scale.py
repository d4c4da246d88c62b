"""Scale: search and ask latency, build time and memory at 100k and 1M passages of synthetic corpus.

    .venv/bin/python benchmarks/bench_scale.py [--quick] [--sizes 100000,1000000] [--no-http]

Synthetic, and how: the base is the index of the 848 CMRC 2018 dev passages as the service builds it
(2,450 chunks; real e5 vectors, read from the `rag eval` cache or built once). Copy 0 is that index; copy
r >= 1 of every article gets the id `<id>~<r>`, two characters of its text replaced by other characters
of the same article (same length, so chunk offsets stay valid), and:
  * vectors: the base chunk's real vector + Gaussian noise N(0, sigma^2 I), sigma = 0.025 per dimension
    (noise norm ~0.49, so a copy has cosine ~0.90 to its original), renormalised to unit length;
  * keyword rows: the base chunk's jieba term counts with one token occurrence removed at random and
    one copy-specific term `copy<r>` added (jieba over a million texts would take most of an hour here).
Nothing is embedded. Copies are truncated to exactly N chunks. The FAISS index comes from
rag.store._make_faiss (exact IndexFlatIP up to settings.exact_threshold = 200k, HNSW above); the
snapshot is saved with rag.store.save and served by a real `rag serve` subprocess that loads it.
Queries: real e5 vectors of CMRC questions (200 spread over the set for recall, 40 for ask latency).
Measured: build steps, RSS delta and on-disk bytes per 100k passages, exact vs HNSW search latency and
HNSW recall@10 against exact search on the same vectors (efSearch sweep), BM25 latency, Engine.ask
p50/p95/p99 in process and POST /api/ask over HTTP. Writes artifacts/bench/scale.json.
--quick: 20,000 passages only.
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
    snap, info = cached_snapshot(load_corpus(corpus), corpus_digest(corpus), settings, embedder, progress=True)
    return snap


def query_vectors(settings: Any, embedder: Any) -> tuple[list[str], np.ndarray]:
    """All CMRC questions' query vectors (the `rag eval --cache-queries` cache, or encoded once)."""
    from rag.evaluation.runner import QueryCache

    qs = [q["question"] for q in common.cmrc_questions()]
    cache = QueryCache(embedder, qs, settings.cache_dir / "eval", progress=True)
    return qs, np.vstack([cache._vecs[q.strip()] for q in qs]).astype(np.float32)


def synthesize(base: Any, n: int, settings: Any, embedder: Any) -> tuple[Any, dict[str, float], np.ndarray]:
    """A Snapshot of exactly n chunks built from copies of `base` (see the module doc)."""
    import scipy.sparse as sp

    from rag import store
    from rag.keywords import KeywordIndex
    from rag.store import Snapshot
    from rag.types import Article, Chunk

    rng = np.random.default_rng(SEED)
    times: dict[str, float] = {}
    nb = len(base.chunks)
    copies = -(-n // nb)
    base_vecs = base.faiss.reconstruct_n(0, nb).astype(np.float32)
    base_arts = list(base.articles.values())

    t0 = time.perf_counter()
    vecs = np.empty((n, base_vecs.shape[1]), np.float32)
    for r in range(copies):
        lo, hi = r * nb, min(n, (r + 1) * nb)
        block = base_vecs[: hi - lo]
        if r:
            block = block + rng.normal(0.0, SIGMA, size=block.shape).astype(np.float32)
            block /= np.linalg.norm(block, axis=1, keepdims=True)
        vecs[lo:hi] = block
    times["synthesise vectors (instead of embedding)"] = time.perf_counter() - t0

    t0 = time.perf_counter()
    articles: list[Article] = []
    chunks: list[Chunk] = []
    for r in range(copies):
        lo = r * nb
        if lo >= n:
            break
        texts: dict[str, str] = {}
        for a in base_arts:
            if r:
                t = list(a.text)
                pos = rng.integers(0, len(t), size=2)
                src = rng.integers(0, len(t), size=2)
                for p, s in zip(pos, src):
                    t[p] = a.text[s]
                a = Article(id=f"{a.id}~{r}", title=a.title, text="".join(t))
            texts[a.id] = a.text
            articles.append(a)
        for c in base.chunks[: n - lo]:
            did = c.doc_id if r == 0 else f"{c.doc_id}~{r}"
            chunks.append(Chunk(id=f"{did}#{c.ordinal}", doc_id=did, ordinal=c.ordinal, start=c.start, end=c.end,
                                text=texts[did][c.start:c.end]))
    used = {c.doc_id for c in chunks[-nb:]}
    articles = [a for a in articles if "~" not in a.id or int(a.id.rsplit("~", 1)[1]) < copies - 1 or a.id in used]
    times["articles + chunks (Python objects)"] = time.perf_counter() - t0

    t0 = time.perf_counter()
    vocab = dict(base.keywords.vocab)
    width = len(vocab) + copies
    bc = base.keywords.counts.tocsr()
    parts = []
    for r in range(copies):
        lo = r * nb
        if lo >= n:
            break
        m = bc[: n - lo].copy()
        if r:
            m.data = m.data.copy()
            nnz = np.diff(m.indptr)
            pick = m.indptr[:-1] + (rng.random(m.shape[0]) * np.maximum(nnz, 1)).astype(np.int64)
            ok = nnz > 0
            m.data[pick[ok]] -= 1
            m.eliminate_zeros()
            vocab[f"copy{r}"] = len(vocab)
            extra = sp.csr_matrix((np.ones(m.shape[0], np.float32),
                                   (np.arange(m.shape[0]), np.full(m.shape[0], vocab[f"copy{r}"]))),
                                  shape=(m.shape[0], width))
            m = sp.csr_matrix((m.data, m.indices, m.indptr), shape=(m.shape[0], width)) + extra
        else:
            m = sp.csr_matrix((m.data, m.indices, m.indptr), shape=(m.shape[0], width))
        parts.append(m.astype(np.float32))
    counts = sp.vstack(parts, format="csr")
    counts.indices = counts.indices.astype(np.int64)
    counts.indptr = counts.indptr.astype(np.int64)
    del parts
    times["keyword term counts"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    keywords = KeywordIndex(counts, vocab)
    times["BM25 weights (KeywordIndex)"] = time.perf_counter() - t0

    t0 = time.perf_counter()
    index = store._make_faiss(vecs, embedder.dim, settings.exact_threshold)
    times[f"FAISS {type(index).__name__} add"] = time.perf_counter() - t0

    t0 = time.perf_counter()
    hashes = {a.id: store.article_hash(a) for a in articles}
    config = store.index_config(settings, embedder.name, embedder.dim)
    snap = Snapshot(config, articles, chunks, index, keywords, hashes)
    times["article hashes + Snapshot"] = time.perf_counter() - t0
    return snap, times, vecs


def timed_search(index: Any, q: np.ndarray, k: int = 10) -> tuple[np.ndarray, list[float]]:
    out, ts = [], []
    for v in q:
        t0 = time.perf_counter()
        _, ids = index.search(v.reshape(1, -1), k)
        ts.append(time.perf_counter() - t0)
        out.append(ids[0])
    return np.vstack(out), ts


def recall_at(found: np.ndarray, truth: np.ndarray) -> float:
    return float(np.mean([len(set(f) & set(t)) / len(t) for f, t in zip(found, truth)]))


def measure(n: int, base: Any, settings: Any, embedder: Any, qvecs: np.ndarray, ask_qs: list[str],
            http: bool, rounds: int, no_hnsw: bool = False) -> dict[str, Any]:
    import faiss
    import httpx

    from rag import store
    from rag.engine import Engine
    from rag.keywords import tokenize

    print(f"--- {n:,} passages", file=sys.stderr)
    gc.collect()
    rss0 = common.rss_mb()
    common.reset_peak_rss()
    t0 = time.perf_counter()
    snap, times, vecs = synthesize(base, n, settings, embedder)
    build_s = time.perf_counter() - t0
    rss_vecs = vecs.nbytes / 2**20
    res: dict[str, Any] = {"passages": n, "articles": len(snap.articles), "build_steps_s": {
        k: round(v, 2) for k, v in times.items()}, "build_s_without_embedding": round(build_s, 1),
        "faiss_type": type(snap.faiss).__name__}
    print(f"built in {build_s:.0f} s: {res['build_steps_s']}", file=sys.stderr)

    # dense search: exact vs the index the store chose (and HNSW at sizes where the store stays exact)
    q = qvecs
    if isinstance(snap.faiss, faiss.IndexFlatIP):
        flat = snap.faiss  # the service's own exact index: no second copy
    else:
        flat = faiss.IndexFlatIP(vecs.shape[1])
        flat.add(vecs)
    truth = None
    if not no_hnsw:
        t0 = time.perf_counter()
        _, truth = flat.search(q, 10)
        res["exact_batch_search_s"] = round(time.perf_counter() - t0, 2)
    _, exact_ts = timed_search(flat, q[:40])
    res["exact_search_ms"] = common.summary_ms(exact_ts)
    hnsw = snap.faiss if isinstance(snap.faiss, faiss.IndexHNSWFlat) else None
    if no_hnsw:
        res["hnsw_skipped"] = "--no-hnsw: HNSW not built (its build time here is ~186 s per 100k under load)"
    elif hnsw is None:
        t0 = time.perf_counter()
        hnsw = store._make_faiss(vecs, vecs.shape[1], 0)  # threshold 0: force HNSW on the same vectors
        res["hnsw_build_s_for_comparison"] = round(time.perf_counter() - t0, 1)
    sweep = {}
    for ef in () if no_hnsw else (32, 64, 128, 256):
        hnsw.hnsw.efSearch = ef
        found, ts = timed_search(hnsw, q)
        sweep[ef] = {"recall@10": round(recall_at(found, truth), 4), **common.summary_ms(ts)}
        print(f"HNSW efSearch {ef}: {sweep[ef]}", file=sys.stderr)
    res["hnsw_efsearch_sweep"] = sweep
    if hnsw is not None:
        hnsw.hnsw.efSearch = 128  # the store's setting
        if hnsw is not snap.faiss:
            del hnsw
    del flat, vecs
    gc.collect()

    # BM25 alone, on the 40 ask questions' tokens
    toks = [tokenize(x) for x in ask_qs]
    bm = []
    for t in toks:
        t0 = time.perf_counter()
        snap.keywords.search(t, settings.candidates)
        bm.append(time.perf_counter() - t0)
    res["bm25_search_ms"] = common.summary_ms(bm)

    rss_snap = common.rss_mb()
    res["rss_mb"] = {"before": round(rss0, 1), "with_snapshot": round(rss_snap, 1),
                     "delta": round(rss_snap - rss0, 1), "peak_during_build": round(common.peak_rss_mb(), 1),
                     "vectors_array_freed": round(rss_vecs, 1)}
    res["rss_mb_per_100k"] = round((rss_snap - rss0) / (n / 100_000), 1)

    engine = Engine(settings, embedder, snap)
    with tempfile.TemporaryDirectory(prefix="bench-scale-") as tmp:
        index_dir = Path(tmp) / "index"
        t0 = time.perf_counter()
        gen = store.save(snap, index_dir)
        res["save_s"] = round(time.perf_counter() - t0, 1)
        files = {f.name: f.stat().st_size for f in gen.iterdir()}
        res["disk_bytes"] = files
        res["disk_mb_total"] = round(sum(files.values()) / 1e6, 1)
        res["disk_mb_per_100k"] = round(sum(files.values()) / 1e6 / (n / 100_000), 1)
        print(f"saved in {res['save_s']} s, {res['disk_mb_total']} MB", file=sys.stderr)

        for x in ask_qs[:5]:  # warm-up
            engine.ask(x)
        inproc: list[float] = []
        http_ts: list[float] = []
        n_hits: list[int] = []
        server: dict[str, Any] = {}
        avail = common.mem_available_mb()
        need = 1.3 * (rss_snap - rss0) + 1500
        if http and avail < need:
            print(f"only {avail:.0f} MiB available, the server needs ~{need:.0f}: in-process only",
                  file=sys.stderr)
            res["http_skipped"] = f"MemAvailable {avail:.0f} MiB < ~{need:.0f} MiB needed by a second copy"
            http = False
        if http:
            with common.rag_serve(index_dir, timeout=900, info=server) as url, \
                    httpx.Client(base_url=url, timeout=120) as client:
                res["server"] = {"ready_s": server["ready_s"], "rss_mb": round(common.rss_mb(server["pid"]), 1)}
                print(f"rag serve ready in {server['ready_s']} s", file=sys.stderr)
                for x in ask_qs[:5]:
                    client.post("/api/ask", json={"question": x}).raise_for_status()
                for _ in range(rounds):
                    for x in ask_qs:
                        t0 = time.perf_counter()
                        a = engine.ask(x)
                        inproc.append(time.perf_counter() - t0)
                        n_hits.append(len(a.passages))
                    for x in ask_qs:
                        t0 = time.perf_counter()
                        client.post("/api/ask", json={"question": x}).raise_for_status()
                        http_ts.append(time.perf_counter() - t0)
                res["server"]["rss_mb_after"] = round(common.rss_mb(server["pid"]), 1)
        else:
            for _ in range(rounds):
                for x in ask_qs:
                    t0 = time.perf_counter()
                    a = engine.ask(x)
                    inproc.append(time.perf_counter() - t0)
                    n_hits.append(len(a.passages))
    res["ask_in_process_ms"] = common.summary_ms(inproc)
    res["ask_http_ms"] = common.summary_ms(http_ts) if http_ts else None
    res["passages_per_answer_mean"] = round(statistics.fmean(n_hits), 2)
    res["load_after"] = common.machine()["loadavg_1_5_15"]
    del engine, snap
    gc.collect()
    return res


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="20,000 passages only")
    ap.add_argument("--sizes", default=None, help="comma-separated passage counts (default 100000,1000000)")
    ap.add_argument("--no-http", action="store_true", help="in-process only (no rag serve subprocess)")
    ap.add_argument("--no-hnsw", action="store_true",
                    help="keep the exact index at every size and skip HNSW (its 1M build takes ~30 min on a busy "
                         "2-core machine); ask latency then uses exact search and 10 questions")
    ap.add_argument("--rounds", type=int, default=1, help="ask rounds over the 40 questions (default 1)")
    args = ap.parse_args(argv)
    sizes = [int(s) for s in (args.sizes or ("20000" if args.quick else "100000,1000000")).split(",")]

    from rag.embedding import load_embedder
    from rag.settings import Settings

    settings = Settings.from_env(env_file=None)
    if args.no_hnsw:
        settings = settings.replace(exact_threshold=10**12)
    before = common.machine()
    embedder = load_embedder(settings, progress=False)
    base = base_index(settings, embedder)
    qs, qv = query_vectors(settings, embedder)
    pick = np.linspace(0, len(qs) - 1, 200).astype(int)
    ask_idx = np.linspace(0, len(qs) - 1, 40).astype(int)
    ask_qs = [qs[i] for i in ask_idx]
    results = []
    name = "scale-quick" if args.quick else "scale-exact" if args.no_hnsw else "scale"
    for n in sizes:
        results.append(measure(n, base, settings, embedder, qv[pick], ask_qs[:10] if args.no_hnsw else ask_qs,
                               not args.no_http, args.rounds, args.no_hnsw))
        common.write_artifact(name,
                         {"sizes": sizes, "results": results, "sigma": SIGMA, "base_chunks": len(base.chunks),
                          "machine_before": before, "partial": True})

    def ms(d: dict[str, Any] | None, k: str) -> Any:
        return "–" if not d else d[k]

    rows = []
    for r in results:
        sw = r["hnsw_efsearch_sweep"].get(128)
        rows.append([f"{r['passages']:,}", r["faiss_type"], r["build_s_without_embedding"], r["rss_mb_per_100k"],
                     r["disk_mb_per_100k"], r["exact_search_ms"]["p50"], sw["p50"] if sw else "not built",
                     f"{sw['recall@10']:.4f}" if sw else "–",
                     r["bm25_search_ms"]["p50"], r["ask_in_process_ms"]["p50"], r["ask_in_process_ms"]["p95"],
                     r["ask_in_process_ms"]["p99"], ms(r["ask_http_ms"], "p50"), ms(r["ask_http_ms"], "p95"),
                     ms(r["ask_http_ms"], "p99")])
    table = common.md_table(["passages", "service index", "build s (no embedding)", "RSS MiB /100k", "disk MB /100k",
                        "exact search p50 ms", "HNSW ef128 p50 ms", "HNSW recall@10", "BM25 p50 ms",
                        "ask p50 ms", "ask p95", "ask p99", "HTTP ask p50 ms", "HTTP p95", "HTTP p99"], rows)
    sweep_rows = [[f"{r['passages']:,}", ef, f"{s['recall@10']:.4f}", s["p50"], s["p95"]]
                  for r in results for ef, s in r["hnsw_efsearch_sweep"].items()]
    sweep_table = common.md_table(["passages", "efSearch", "recall@10 vs exact", "p50 ms", "p95 ms"], sweep_rows)
    step_rows = [[f"{r['passages']:,}", k, v] for r in results for k, v in r["build_steps_s"].items()]
    step_rows += [[f"{r['passages']:,}", "rag.store.save", r["save_s"]] for r in results]
    step_rows += [[f"{r['passages']:,}", "rag serve: start to ready (load)", r["server"]["ready_s"]]
                  for r in results if r.get("server")]
    step_table = common.md_table(["passages", "build step", "seconds"], step_rows)
    print(f"\nScale (synthetic: CMRC chunks x copies, noisy real vectors, perturbed term counts; nothing "
          f"embedded), {common.load_line()} (before: {before['loadavg_1_5_15']})\n")
    print(table)
    print()
    print(sweep_table)
    print()
    print(step_table)
    path = common.write_artifact(name,
                            {"sizes": sizes, "results": results, "sigma": SIGMA, "base_chunks": len(base.chunks),
                             "machine_before": before, "machine_after": common.machine(),
                             "tables": [table, sweep_table, step_table]})
    print(f"wrote {path.relative_to(common.ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
