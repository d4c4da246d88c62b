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
from contextlib import ExitStack
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _common as common  # noqa: E402

STAGES = ["query embedding", "dense search", "query tokenize (jieba+OpenCC)", "BM25 search",
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


def breakdown(engine: Any, questions: list[str]) -> dict[str, Any]:
    """Per-question stage times of Engine.ask through the real code path (wrapped, then unwrapped)."""
    import rag.features as ans_mod  # sentence tokenising happens in the scorer's features
    import rag.retrieval as ret_mod

    timer = StageTimer()
    emb = engine.embedder
    snap = engine.snapshot
    saved = (emb.encode_queries, emb.encode_documents, snap.dense, snap.keyword_search, ret_mod.question_tokens,
             ret_mod.rrf, ret_mod.near_duplicate, ans_mod.tokenize, engine.compose, ret_mod.passage_features)
    emb.encode_queries = timer.wrap("query embedding", saved[0])
    emb.encode_documents = timer.wrap("answer: sentence embedding", saved[1])
    snap.dense = timer.wrap("dense search", saved[2])
    snap.keyword_search = timer.wrap("BM25 search", saved[3])
    ret_mod.question_tokens = timer.wrap("query tokenize (jieba+OpenCC)", saved[4])
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
        (emb.encode_queries, emb.encode_documents, snap.dense, snap.keyword_search, ret_mod.question_tokens,
         ret_mod.rrf, ret_mod.near_duplicate, ans_mod.tokenize, engine.compose, ret_mod.passage_features) = saved
        del emb.encode_queries, emb.encode_documents, snap.dense, snap.keyword_search, engine.compose  # the class's
    out: dict[str, Any] = {}
    for name in STAGES + ["total"]:
        xs = [d.get(name, 0.0) * 1000 for d in per_q]
        out[name] = {"median_ms": round(statistics.median(xs), 2), "mean_ms": round(statistics.fmean(xs), 2)}
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="one round instead of five")
    ap.add_argument("--rounds", type=int, default=None)
    ap.add_argument("--backends", default="onnx,torch",
                    help="encoder backends to compare, rounds interleaved (default onnx,torch)")
    args = ap.parse_args(argv)
    rounds = args.rounds or (1 if args.quick else 5)
    backends = [b.strip() for b in args.backends.split(",") if b.strip()]

    import httpx

    from rag.embedding import load_embedder
    from rag.engine import Engine
    from rag.settings import Settings

    qs = common.QUESTIONS
    english = {q for q in qs if q.isascii()}
    before = common.machine()
    runs: dict[str, dict[str, Any]] = {}
    with tempfile.TemporaryDirectory(prefix="bench-latency-") as tmp, ExitStack() as stack:
        for b in backends:
            index_dir = Path(tmp) / b / "index"
            settings = Settings.from_env(env_file=None, index_dir=index_dir, encoder_backend=b)
            embedder = load_embedder(settings, progress=False)
            common.build_seeds_index(index_dir, embedder, encoder_backend=b)
            engine = Engine.open(settings, embedder)
            url = stack.enter_context(common.rag_serve(index_dir, env={"RAG_ENCODER_BACKEND": b}))
            client = stack.enter_context(httpx.Client(base_url=url, timeout=60))
            runs[b] = {"engine": engine, "client": client, "inproc": [], "http": [], "english": [], "health": [],
                       "answerable": {q: engine.ask(q).answerable for q in qs},  # warm-up, and which answer
                       "by_kind": {"answerable": [], "not answerable": []}, "sizes": []}
            for q in qs:  # warm-up over HTTP
                client.post("/api/ask", json={"question": q}).raise_for_status()
        for _ in range(rounds):
            for r in runs.values():  # interleaved: every backend sees the same load
                for q in qs:
                    t0 = time.perf_counter()
                    r["engine"].ask(q)
                    dt = time.perf_counter() - t0
                    r["inproc"].append(dt)
                    r["by_kind"]["answerable" if r["answerable"][q] else "not answerable"].append(dt)
                for q in qs:
                    t0 = time.perf_counter()
                    resp = r["client"].post("/api/ask", json={"question": q})
                    dt = time.perf_counter() - t0
                    resp.raise_for_status()
                    r["http"].append(dt)
                    if q in english:
                        r["english"].append(dt)
                    r["sizes"].append(len(resp.content))
                for _ in range(10):
                    t0 = time.perf_counter()
                    r["client"].get("/healthz").raise_for_status()
                    r["health"].append(time.perf_counter() - t0)
        for r in runs.values():
            r["breakdown"] = breakdown(r["engine"], qs)
            r["passages"] = len(r["engine"].snapshot)

    rows, bd_tables, res = [], [], {}
    for b, r in runs.items():
        s_in, s_http, s_h = common.summary_ms(r["inproc"]), common.summary_ms(r["http"]), common.summary_ms(r["health"])
        s_en = common.summary_ms(r["english"])
        s_a, s_n = (common.summary_ms(r["by_kind"][k]) for k in ("answerable", "not answerable"))
        rows += [[b, "Engine.ask in process", s_in["n"], s_in["p50"], s_in["p95"], s_in["p99"], s_in["mean"]],
                 [b, "  answerable questions", s_a["n"], s_a["p50"], s_a["p95"], s_a["p99"], s_a["mean"]],
                 [b, "  not answerable", s_n["n"], s_n["p50"], s_n["p95"], s_n["p99"], s_n["mean"]],
                 [b, "**POST /api/ask over HTTP**", s_http["n"], s_http["p50"], s_http["p95"], s_http["p99"],
                  s_http["mean"]],
                 [b, "  English questions over HTTP", s_en["n"], s_en["p50"], s_en["p95"], s_en["p99"], s_en["mean"]],
                 [b, "GET /healthz over HTTP (floor)", s_h["n"], s_h["p50"], s_h["p95"], s_h["p99"], s_h["mean"]]]
        bd = r["breakdown"]
        bd_rows = [[name, bd[name]["median_ms"], bd[name]["mean_ms"],
                    f"{100 * bd[name]['mean_ms'] / bd['total']['mean_ms']:.0f}%"] for name in STAGES]
        bd_rows.append(["**one ask, in process**", bd["total"]["median_ms"], bd["total"]["mean_ms"], "100%"])
        bd_rows.append(["HTTP overhead (p50 /api/ask − p50 in process)", round(s_http["p50"] - s_in["p50"], 2), "", ""])
        bd_tables.append((b, common.md_table(["stage", "median ms", "mean ms", "share of mean"], bd_rows)))
        res[b] = {"passages": r["passages"], "in_process": s_in, "http": s_http, "english_http": s_en, "healthz": s_h,
                  "answerable": s_a, "not_answerable": s_n, "breakdown": bd,
                  "response_bytes_median": statistics.median(r["sizes"])}
    lat_table = common.md_table(["backend", "path", "n", "p50 ms", "p95 ms", "p99 ms", "mean ms"], rows)
    print(f"\nAsk latency over seeds/, {len(qs)} questions x {rounds} rounds after a warm-up pass, backends "
          f"{', '.join(backends)} interleaved; {common.load_line()} (before: {before['loadavg_1_5_15']})\n")
    print(lat_table)
    others = [b for b in backends if b != "torch"] if "torch" in res else []
    for b in others:
        ratio = res["torch"]["http"]["p50"] / res[b]["http"]["p50"]
        print(f"\n{b} vs torch, POST /api/ask p50: {ratio:.2f}x faster")
        res[f"{b}_speedup_http_p50"] = round(ratio, 2)
    for b, t in bd_tables:
        print(f"\nWhere the time of one ask goes, {b} (each of the 40 questions once, wrapped stages)\n")
        print(t)
    res.update(questions=len(qs), rounds=rounds, machine_before=before, machine_after=common.machine(),
               tables=[lat_table] + [t for _, t in bd_tables])
    path = common.write_artifact("latency-quick" if args.quick else "latency", res)
    print(f"wrote {path.relative_to(common.ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
