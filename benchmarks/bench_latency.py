"""Ask latency at the seeds' scale: `Engine.ask` in process and `POST /api/ask` over HTTP against a real
`rag serve` on 127.0.0.1, plus where the time of one ask goes.

    .venv/bin/python benchmarks/bench_latency.py [--quick] [--rounds N]

Builds an index over seeds/ in a temporary folder, warms up with one pass over the 40 fixed questions
(benchmarks/_common.py: simplified, traditional, English, answerable and not), then runs N rounds
(default 5; --quick 1), each an in-process pass followed by an HTTP pass, so both see the same load.
The breakdown times the real code path with wrappers around its stages (query embedding, FAISS,
query tokenising, BM25, fusion, answer composition and the sentence embedding inside it).
Prints markdown tables and writes artifacts/bench/latency.json.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _common as common  # noqa: E402

STAGES = ["query embedding", "FAISS search", "query tokenize (jieba+OpenCC)", "BM25 search",
          "fusion (RRF + near-duplicate check)", "rerank (passage features + model)",
          "answer: sentence embedding", "answer: tokenize passages/sentences",
          "answer: rest (judge, selection, citations)", "other (Python glue)"]


class StageTimer:
    """Adds up time per stage name; wrap() returns a timed version of a callable."""

    def __init__(self) -> None:
        self.t: dict[str, float] = defaultdict(float)

    def wrap(self, name: str, fn: Callable[..., Any]) -> Callable[..., Any]:
        def timed(*a: Any, **kw: Any) -> Any:
            t0 = time.perf_counter()
            try:
                return fn(*a, **kw)
            finally:
                self.t[name] += time.perf_counter() - t0
        return timed


class _FaissProxy:
    def __init__(self, index: Any, timer: StageTimer):
        self._index, self.search = index, timer.wrap("FAISS search", index.search)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._index, name)


def breakdown(engine: Any, questions: list[str]) -> dict[str, Any]:
    """Per-question stage times of Engine.ask through the real code path (wrapped, then unwrapped)."""
    import rag.retrieval as ret_mod
    import rag.scorer as ans_mod  # sentence tokenising happens in the scorer's features

    timer = StageTimer()
    emb = engine.embedder
    snap = engine.snapshot
    saved = (emb.encode_queries, emb.encode_documents, snap.faiss, snap.keywords.search, ret_mod.tokenize,
             ret_mod.rrf, ret_mod.near_duplicate, ans_mod.tokenize, engine.compose, ret_mod.passage_features)
    emb.encode_queries = timer.wrap("query embedding", saved[0])
    emb.encode_documents = timer.wrap("answer: sentence embedding", saved[1])
    snap.faiss = _FaissProxy(saved[2], timer)
    snap.keywords.search = timer.wrap("BM25 search", saved[3])
    ret_mod.tokenize = timer.wrap("query tokenize (jieba+OpenCC)", saved[4])
    ret_mod.rrf = timer.wrap("fusion (RRF + near-duplicate check)", saved[5])
    ret_mod.near_duplicate = timer.wrap("fusion (RRF + near-duplicate check)", saved[6])
    ans_mod.tokenize = timer.wrap("answer: tokenize passages/sentences", saved[7])
    engine.compose = timer.wrap("answer total", saved[8])
    ret_mod.passage_features = timer.wrap("rerank (passage features + model)", saved[9])
    per_q: list[dict[str, float]] = []
    try:
        for q in questions:
            timer.t.clear()
            t0 = time.perf_counter()
            engine.ask(q)
            total = time.perf_counter() - t0
            d = dict(timer.t)
            answer_total = d.pop("answer total", 0.0)
            d["answer: rest (judge, selection, citations)"] = max(
                0.0, answer_total - d.get("answer: sentence embedding", 0.0)
                - d.get("answer: tokenize passages/sentences", 0.0))
            d["other (Python glue)"] = max(0.0, total - sum(d.values()))
            d["total"] = total
            per_q.append(d)
    finally:
        (emb.encode_queries, emb.encode_documents, snap.faiss, snap.keywords.search, ret_mod.tokenize,
         ret_mod.rrf, ret_mod.near_duplicate, ans_mod.tokenize, engine.compose, ret_mod.passage_features) = saved
        del emb.encode_queries, emb.encode_documents, snap.keywords.search, engine.compose  # back to the class's
    out: dict[str, Any] = {}
    for name in STAGES + ["total"]:
        xs = [d.get(name, 0.0) * 1000 for d in per_q]
        out[name] = {"median_ms": round(statistics.median(xs), 2), "mean_ms": round(statistics.fmean(xs), 2)}
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="one round instead of five")
    ap.add_argument("--rounds", type=int, default=None)
    args = ap.parse_args(argv)
    rounds = args.rounds or (1 if args.quick else 5)

    import httpx

    from rag.embedding import load_embedder
    from rag.engine import Engine
    from rag.settings import Settings

    qs = common.QUESTIONS
    before = common.machine()
    with tempfile.TemporaryDirectory(prefix="bench-latency-") as tmp:
        index_dir = Path(tmp) / "index"
        settings = Settings.from_env(env_file=None, index_dir=index_dir)
        embedder = load_embedder(settings, progress=False)
        common.build_seeds_index(index_dir, embedder)
        engine = Engine.open(settings, embedder)
        answerable = {q: engine.ask(q).answerable for q in qs}  # warm-up pass, and which ones answer
        inproc: list[float] = []
        http: list[float] = []
        health: list[float] = []
        by_kind: dict[str, list[float]] = {"answerable": [], "not answerable": []}
        sizes: list[int] = []
        with common.rag_serve(index_dir) as url, httpx.Client(base_url=url, timeout=60) as client:
            for q in qs:  # warm-up over HTTP
                client.post("/api/ask", json={"question": q}).raise_for_status()
            for _ in range(rounds):
                for q in qs:
                    t0 = time.perf_counter()
                    engine.ask(q)
                    dt = time.perf_counter() - t0
                    inproc.append(dt)
                    by_kind["answerable" if answerable[q] else "not answerable"].append(dt)
                for q in qs:
                    t0 = time.perf_counter()
                    r = client.post("/api/ask", json={"question": q})
                    http.append(time.perf_counter() - t0)
                    r.raise_for_status()
                    sizes.append(len(r.content))
                for _ in range(10):
                    t0 = time.perf_counter()
                    client.get("/healthz").raise_for_status()
                    health.append(time.perf_counter() - t0)
        bd = breakdown(engine, qs)
        n_passages = len(engine.snapshot)

    s_in, s_http, s_h = common.summary_ms(inproc), common.summary_ms(http), common.summary_ms(health)
    s_a, s_n = common.summary_ms(by_kind["answerable"]), common.summary_ms(by_kind["not answerable"])
    lat_table = common.md_table(
        ["path", "n", "p50 ms", "p95 ms", "p99 ms", "mean ms"],
        [["Engine.ask in process", s_in["n"], s_in["p50"], s_in["p95"], s_in["p99"], s_in["mean"]],
         ["  answerable questions", s_a["n"], s_a["p50"], s_a["p95"], s_a["p99"], s_a["mean"]],
         ["  not answerable", s_n["n"], s_n["p50"], s_n["p95"], s_n["p99"], s_n["mean"]],
         ["POST /api/ask over HTTP (rag serve)", s_http["n"], s_http["p50"], s_http["p95"], s_http["p99"],
          s_http["mean"]],
         ["GET /healthz over HTTP (floor)", s_h["n"], s_h["p50"], s_h["p95"], s_h["p99"], s_h["mean"]]])
    total_med = bd["total"]["median_ms"]
    bd_rows = [[name, bd[name]["median_ms"], bd[name]["mean_ms"],
                f"{100 * bd[name]['mean_ms'] / bd['total']['mean_ms']:.0f}%"] for name in STAGES]
    bd_rows.append(["**one ask, in process**", total_med, bd["total"]["mean_ms"], "100%"])
    bd_rows.append(["HTTP overhead (p50 /api/ask − p50 in process)", round(s_http["p50"] - s_in["p50"], 2), "", ""])
    bd_table = common.md_table(["stage", "median ms", "mean ms", "share of mean"], bd_rows)
    print(f"\nAsk latency over seeds/ ({n_passages} passages), {len(qs)} questions x {rounds} rounds after a warm-up "
          f"pass; {common.load_line()} (before: {before['loadavg_1_5_15']})\n")
    print(lat_table)
    print("\nWhere the time of one ask goes (each of the 40 questions once, wrapped stages)\n")
    print(bd_table)
    print(f"\nresponse size median {statistics.median(sizes):,.0f} bytes")
    res = {"passages": n_passages, "questions": len(qs), "rounds": rounds, "in_process": s_in, "http": s_http,
           "healthz": s_h, "answerable": s_a, "not_answerable": s_n, "breakdown": bd,
           "response_bytes_median": statistics.median(sizes), "machine_before": before,
           "machine_after": common.machine(), "tables": [lat_table, bd_table]}
    path = common.write_artifact("latency-quick" if args.quick else "latency", res)
    print(f"wrote {path.relative_to(common.ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
