"""Load test: a bounded asyncio httpx client driving POST /api/ask on a real server on 127.0.0.1.

    .venv/bin/python benchmarks/load.py --start [--clients 32] [--duration 60] [--quick]
    .venv/bin/python benchmarks/load.py --url http://127.0.0.1:8000 [--clients 32] [--duration 60]

`--start` builds an index over seeds/ in a temporary folder (`rag build`) and starts `rag serve` on a free
loopback port with the current RAG_* environment (defaults: RAG_MAX_CONCURRENCY=8, RAG_MAX_QUEUE=64).
Each of the N clients sends one question at a time, cycling through the 40 fixed questions, until the
duration is over (and never more than --max-requests in all). Every non-200 answer and every exception
counts as an error; 503s are also counted on their own. Only loopback URLs are accepted.
Prints a markdown table and writes artifacts/bench/load.json (--quick: 10 s, load-quick.json).
"""

from __future__ import annotations

import argparse
import asyncio
import subprocess
import sys
import tempfile
import time
from collections import Counter
from contextlib import nullcontext
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _common as common  # noqa: E402


async def drive(url: str, clients: int, duration: float, max_requests: int, timeout: float) -> dict[str, Any]:
    import httpx

    qs = common.QUESTIONS
    lat: list[float] = []
    statuses: Counter[int] = Counter()
    exceptions: Counter[str] = Counter()
    sent = 0
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(base_url=url, timeout=timeout, limits=limits) as client:
        t_start = time.perf_counter()
        deadline = t_start + duration

        async def worker(i: int) -> None:
            nonlocal sent
            j = i
            while time.perf_counter() < deadline and sent < max_requests:
                sent += 1
                q = qs[j % len(qs)]
                j += clients
                t0 = time.perf_counter()
                try:
                    r = await client.post("/api/ask", json={"question": q})
                    await r.aread()
                    statuses[r.status_code] += 1
                    if r.status_code == 200:
                        lat.append(time.perf_counter() - t0)
                except Exception as exc:  # counted, never fatal: the run goes on
                    exceptions[type(exc).__name__] += 1

        await asyncio.gather(*(worker(i) for i in range(clients)))
        wall = time.perf_counter() - t_start
    ok = statuses.get(200, 0)
    errors = sum(n for s, n in statuses.items() if s != 200) + sum(exceptions.values())
    return {"clients": clients, "duration_s": duration, "wall_s": round(wall, 2), "requests": sent, "ok": ok,
            "errors": errors, "status_503": statuses.get(503, 0), "statuses": dict(statuses),
            "exceptions": dict(exceptions), "requests_per_s": round(ok / wall, 2), "latency_ms": common.summary_ms(lat)}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    where = ap.add_mutually_exclusive_group(required=True)
    where.add_argument("--start", action="store_true", help="build a seeds index in a temp dir and start rag serve")
    where.add_argument("--url", help="a running server on 127.0.0.1 / localhost / [::1]")
    ap.add_argument("--clients", type=int, default=32)
    ap.add_argument("--duration", type=float, default=None, help="seconds (default 60; --quick 10)")
    ap.add_argument("--max-requests", type=int, default=20000, help="hard cap on requests sent (default 20000)")
    ap.add_argument("--timeout", type=float, default=120.0, help="per-request timeout in seconds (default 120)")
    ap.add_argument("--quick", action="store_true")
    args = ap.parse_args(argv)
    duration = args.duration or (10.0 if args.quick else 60.0)
    if args.url and urlparse(args.url).hostname not in ("127.0.0.1", "localhost", "::1"):
        ap.error("--url must point at this machine's loopback (127.0.0.1, localhost or [::1])")
    if not 1 <= args.clients <= 256 or not 0 < duration <= 600:
        ap.error("--clients must be 1..256 and --duration 0..600 s")

    before = common.machine()
    with tempfile.TemporaryDirectory(prefix="bench-load-") as tmp:
        ctx: Any = nullcontext(args.url)
        if args.start:
            index_dir = Path(tmp) / "index"
            subprocess.run([str(common.PY), "-m", "rag.cli", "build", str(common.SEEDS), "--index", str(index_dir), "--quiet"],
                           cwd=str(common.ROOT), check=True, stdout=subprocess.DEVNULL)
            ctx = common.rag_serve(index_dir)
        with ctx as url:
            import httpx

            ready = httpx.get(url + "/readyz", timeout=10).json()
            res = asyncio.run(drive(url, args.clients, duration, args.max_requests, args.timeout))
    res.update(url=args.url or "rag serve --start (seeds)", server=ready, machine_before=before,
               machine_after=common.machine())
    lat = res["latency_ms"]
    table = common.md_table(
        ["clients", "seconds", "requests", "ok", "errors", "503s", "req/s", "p50 ms", "p95 ms", "p99 ms"],
        [[res["clients"], res["wall_s"], res["requests"], res["ok"], res["errors"], res["status_503"],
          res["requests_per_s"], lat["p50"], lat["p95"], lat["p99"]]])
    print(f"\nLoad on POST /api/ask ({ready.get('passages')} passages), {common.load_line()} "
          f"(before: {before['loadavg_1_5_15']})\n")
    print(table)
    if res["errors"]:
        print(f"\nstatuses {res['statuses']}, exceptions {res['exceptions']}")
    path = common.write_artifact("load-quick" if args.quick else "load", dict(res, table=table))
    print(f"wrote {path.relative_to(common.ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
