"""Load test: a bounded asyncio httpx client driving POST /api/ask on a real server on 127.0.0.1.

    .venv/bin/python benchmarks/load.py --start [--clients 32] [--duration 60] [--quick]
    .venv/bin/python benchmarks/load.py --url http://127.0.0.1:8000 [--clients 32] [--duration 60]

`--start` builds an index over seeds/ in a temporary folder (`rag build`) and starts `rag serve` on a free
loopback port with the current RAG_* environment (defaults: RAG_MAX_CONCURRENCY=8, RAG_MAX_QUEUE=64).
Each of the N clients sends one question at a time, cycling through the 40 fixed questions, until the
duration is over (and never more than --max-requests in all). Every non-200 answer and every exception
counts as an error; 503s are also counted on their own. Only loopback URLs are accepted.
Prints a markdown table and writes artifacts/bench/load.json (--quick: 10 s, load-quick.json).

`--upload` (issue 11) runs the same load twice on one server: first alone, then while 50,000-character
articles are uploaded one after another (POST /api/documents with RAG_API_KEY, which --start sets), and
reports both p95s and their ratio, the uploads' times, and the server's RSS (idle, peak per phase).
"""

from __future__ import annotations

import argparse
import asyncio
import os
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


def article_text(chars: int, seed: int) -> str:
    """About `chars` characters of real Chinese prose: CMRC passages (or the seeds), varied per upload."""
    try:
        texts = [p["text"] for p in common.cmrc_passages(400)]
    except OSError:
        texts = [p.read_text(encoding="utf-8") for p in sorted(common.SEEDS.glob("*.md"))]
    out, i = [], seed * 37
    while sum(map(len, out)) < chars:
        out.append(texts[i % len(texts)])
        i += 1
    return "\n\n".join(out)[:chars]


async def upload_loop(url: str, key: str, stop: asyncio.Event, chars: int) -> list[dict[str, Any]]:
    """Upload fresh `chars`-character articles one after another until stopped; each upload's time."""
    import httpx

    done: list[dict[str, Any]] = []
    n = 0
    async with httpx.AsyncClient(base_url=url, timeout=600, headers={"authorization": f"Bearer {key}"}) as client:
        while not stop.is_set():
            n += 1
            doc = {"id": f"load-upload-{n}", "title": f"负载测试长文 {n}", "text": article_text(chars, n)}
            t0 = time.perf_counter()
            r = await client.post("/api/documents", json={"documents": [doc]})
            done.append({"status": r.status_code, "seconds": round(time.perf_counter() - t0, 2),
                         "finished_in_phase": not stop.is_set()})
    return done


async def sample_rss(pid: int, stop: asyncio.Event, peak: list[float]) -> None:
    while not stop.is_set():
        try:
            peak[0] = max(peak[0], common.rss_mb(pid))
        except OSError:
            return
        await asyncio.sleep(0.25)


async def phases(url: str, args: argparse.Namespace, duration: float, pid: int | None, key: str) -> dict[str, Any]:
    """The load alone, then the same load while articles are uploaded; RSS sampled throughout."""
    out: dict[str, Any] = {"rss_idle_mb": round(common.rss_mb(pid), 1) if pid else None}
    for name in ("alone", "upload"):
        stop, peak = asyncio.Event(), [0.0]
        sampler = asyncio.create_task(sample_rss(pid, stop, peak)) if pid else None
        uploads = asyncio.create_task(upload_loop(url, key, stop, args.upload_chars)) if name == "upload" else None
        res = await drive(url, args.clients, duration, args.max_requests, args.timeout)
        stop.set()
        if uploads is not None:
            res["uploads"] = await uploads
        if sampler is not None:
            await sampler
            res["rss_peak_mb"] = round(peak[0], 1)
        out[name] = res
    a, u = out["alone"]["latency_ms"]["p95"], out["upload"]["latency_ms"]["p95"]
    out["p95_ratio"] = round(u / a, 2) if a else None
    return out


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
    ap.add_argument("--upload", action="store_true", help="also run the load while long articles are uploaded")
    ap.add_argument("--upload-chars", type=int, default=50_000, help="characters per uploaded article (50000)")
    args = ap.parse_args(argv)
    duration = args.duration or (10.0 if args.quick else 60.0)
    if args.url and urlparse(args.url).hostname not in ("127.0.0.1", "localhost", "::1"):
        ap.error("--url must point at this machine's loopback (127.0.0.1, localhost or [::1])")
    if not 1 <= args.clients <= 256 or not 0 < duration <= 600:
        ap.error("--clients must be 1..256 and --duration 0..600 s")

    before = common.machine()
    key = os.environ.get("RAG_API_KEY") or "load-test-key"
    info: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="bench-load-") as tmp:
        ctx: Any = nullcontext(args.url)
        if args.start:
            index_dir = Path(tmp) / "index"
            subprocess.run([str(common.PY), "-m", "rag.cli", "build", str(common.SEEDS), "--index", str(index_dir), "--quiet"],
                           cwd=str(common.ROOT), check=True, stdout=subprocess.DEVNULL)
            ctx = common.rag_serve(index_dir, env={"RAG_API_KEY": key}, info=info)
        with ctx as url:
            import httpx

            ready = httpx.get(url + "/readyz", timeout=10).json()
            if args.upload:
                res = asyncio.run(phases(url, args, duration, info.get("pid"), key))
            else:
                res = asyncio.run(drive(url, args.clients, duration, args.max_requests, args.timeout))
    res.update(url=args.url or "rag serve --start (seeds)", server=ready, machine_before=before,
               machine_after=common.machine())
    if args.upload:
        return report_upload(res, args, ready, before)
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


def report_upload(res: dict[str, Any], args: argparse.Namespace, ready: dict[str, Any],
                  before: dict[str, Any]) -> int:
    rows = []
    for name in ("alone", "upload"):
        r = res[name]
        lat = r["latency_ms"]
        rows.append([name, r["clients"], r["wall_s"], r["ok"], r["errors"], r["requests_per_s"], lat["p50"],
                     lat["p95"], lat["p99"], r.get("rss_peak_mb", "")])
    table = common.md_table(["phase", "clients", "seconds", "ok", "errors", "req/s", "p50 ms", "p95 ms", "p99 ms",
                             "peak RSS MiB"], rows)
    ups = res["upload"].get("uploads", [])
    print(f"\nLoad on POST /api/ask ({ready.get('passages')} passages) alone, then while "
          f"{args.upload_chars}-character articles are uploaded; {common.load_line()} "
          f"(before: {before['loadavg_1_5_15']})\n")
    print(table)
    print(f"\nask p95 with uploads / without: {res['p95_ratio']}x; idle RSS {res['rss_idle_mb']} MiB; "
          f"uploads: {[(u['status'], u['seconds'], 'done' if u['finished_in_phase'] else 'ran past the phase') for u in ups]}")
    path = common.write_artifact("load-upload-quick" if args.quick else "load-upload", dict(res, table=table))
    print(f"wrote {path.relative_to(common.ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
