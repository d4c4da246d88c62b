"""Hostile-input probe (issue 11): the attacks of the issue against a real `rag serve`, while honest clients ask.

    .venv/bin/python benchmarks/hostile.py [--clients 4] [--rounds 3]

Builds a seeds index in a temporary folder and starts `rag serve` (with an API key). Then, while `--clients`
honest clients ask the 40 fixed questions, it runs `--rounds` rounds of:
- chat bodies near 10 MB, with the question-length limit bypassed through history (no key);
- 72 connections that send half a body and wait, and 20 that send half their headers (no key);
- an over-long article, an over-full .jsonl upload, JSON nested 1,000 deep, bad dates and URLs (key);
- uploads dropped midway (key).
It reports what each attack got back, the honest asks' errors and latency, and the server's RSS: idle, and
its peak during the attacks (target: within 1.5x of idle). Writes artifacts/bench/hostile.json.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _common as common  # noqa: E402

KEY = "hostile-bench-key"


async def raw(url: str, head: bytes, body: bytes = b"", hold: float = 0.0) -> bytes:
    """Send bytes on a raw connection, wait `hold` s without finishing, and read what comes back."""
    host, port = url.removeprefix("http://").split(":")
    reader, writer = await asyncio.open_connection(host, int(port))
    try:
        writer.write(head + body)
        await writer.drain()
        if hold:
            await asyncio.sleep(hold)
        try:
            return await asyncio.wait_for(reader.read(4096), timeout=30)
        except (TimeoutError, ConnectionError):
            return b""
    finally:
        writer.close()


def status_of(reply: bytes) -> str:
    return reply.split(b" ", 2)[1].decode() if reply.startswith(b"HTTP/") else "closed"


async def attacks(url: str, results: Counter[str]) -> None:
    import httpx

    async with httpx.AsyncClient(base_url=url, timeout=120) as c:
        auth = {"authorization": f"Bearer {KEY}"}
        # 1. the question limit through chat history, with bodies near 10 MB and at the per-message limit
        huge = json.dumps({"messages": [{"role": "user", "content": "哈萨克斯坦总统纳扎尔巴耶夫" * 253846},
                                        {"role": "user", "content": "他是谁？"}]}, ensure_ascii=False).encode()
        for path in ("/v1/chat/completions", "/api/chat"):
            try:  # the server answers 413 from the content-length and closes: the client may see the close first
                r = await c.post(path, content=huge, headers={"content-type": "application/json"})
                results[f"chat 9.9 MB history {path}: {r.status_code}"] += 1
            except httpx.TransportError:
                results[f"chat 9.9 MB history {path}: 413 and closed before the body was sent"] += 1
        turns = [{"role": "user", "content": "纳扎尔巴耶夫" * 333} for _ in range(30)] + [{"role": "user", "content": "他是谁？"}]
        r = await c.post("/api/chat", json={"messages": turns})
        results[f"chat 30 turns at the message limit: {r.status_code}"] += 1
        # 2. slow bodies and slow headers hold connections, never capacity
        body_head = (b"POST /api/ask HTTP/1.1\r\nHost: x\r\ncontent-type: application/json\r\n"
                     b"content-length: 400\r\n\r\n")
        slow = [raw(url, body_head, b'{"question": "', hold=1.0) for _ in range(72)]
        slow += [raw(url, b"POST /api/ask HTTP/1.1\r\nHost: x\r\n") for _ in range(20)]
        for reply in await asyncio.gather(*slow):
            results[f"slow client: {status_of(reply)}"] += 1
        # 3. malformed and oversized uploads
        long_doc = {"id": "too-long", "title": "长文", "text": "哈萨克斯坦。" * 40_000}
        r = await c.post("/api/documents", headers=auth, json={"documents": [long_doc]})
        results[f"240,000-char article: {r.status_code}"] += 1
        lines = "".join(json.dumps({"id": f"j{i}", "title": "t", "text": "正文。"}) + "\n" for i in range(1500))
        r = await c.post("/api/documents", headers=auth, files={"files": ("many.jsonl", lines.encode())})
        results[f"1,500-line .jsonl file: {r.status_code}"] += 1
        deep = b'{"documents": ' + b"[" * 1000 + b"]" * 1000 + b"}"
        r = await c.post("/api/documents", headers={**auth, "content-type": "application/json"}, content=deep)
        results[f"JSON nested 1,000 deep: {r.status_code}"] += 1
        for field, value in (("published", "9" * 20), ("url", "http://[::1")):
            r = await c.post("/api/documents", headers=auth, json={"documents": [
                {"id": "bad", "title": "t", "text": "正文。", field: value}]})
            results[f"bad {field}: {r.status_code}"] += 1
        # 4. uploads dropped midway
        head = (b"POST /api/documents HTTP/1.1\r\nHost: x\r\nauthorization: Bearer " + KEY.encode() +
                b"\r\ncontent-type: application/json\r\ncontent-length: 100000\r\n\r\n")
        host, port = url.removeprefix("http://").split(":")
        for _ in range(10):
            _, writer = await asyncio.open_connection(host, int(port))
            writer.write(head + b'{"documents": [' + b" " * 5000)
            await writer.drain()
            writer.close()
            results["dropped upload"] += 1


async def honest(url: str, clients: int, stop: asyncio.Event) -> dict[str, Any]:
    import httpx

    lat: list[float] = []
    statuses: Counter[int] = Counter()
    async with httpx.AsyncClient(base_url=url, timeout=120) as c:
        async def worker(i: int) -> None:
            j = i
            while not stop.is_set():
                t0 = time.perf_counter()
                try:
                    r = await c.post("/api/ask", json={"question": common.QUESTIONS[j % len(common.QUESTIONS)]})
                    statuses[r.status_code] += 1
                    if r.status_code == 200:
                        lat.append(time.perf_counter() - t0)
                except httpx.HTTPError as exc:
                    statuses[-1] += 1
                    print("honest ask failed:", type(exc).__name__, file=sys.stderr)
                j += clients

        await asyncio.gather(*(worker(i) for i in range(clients)))
    return {"asks": sum(statuses.values()), "statuses": {str(k): v for k, v in statuses.items()},
            "errors": sum(v for k, v in statuses.items() if k != 200), "latency_ms": common.summary_ms(lat)}


async def run(url: str, pid: int, clients: int, rounds: int) -> dict[str, Any]:
    import httpx

    async with httpx.AsyncClient(base_url=url, timeout=60) as c:  # warm: every code path once
        for q in common.QUESTIONS[:10]:
            await c.post("/api/ask", json={"question": q})
    await asyncio.sleep(1)
    idle = common.rss_mb(pid)
    stop = asyncio.Event()
    peak = [idle]

    async def sampler() -> None:
        while not stop.is_set():
            peak[0] = max(peak[0], common.rss_mb(pid))
            await asyncio.sleep(0.1)

    results: Counter[str] = Counter()
    samp = asyncio.create_task(sampler())
    asks = asyncio.create_task(honest(url, clients, stop))
    t0 = time.perf_counter()
    for _ in range(rounds):
        await attacks(url, results)
    took = time.perf_counter() - t0
    stop.set()
    await samp
    return {"attacks": dict(sorted(results.items())), "honest": await asks, "seconds": round(took, 1),
            "rss_idle_mb": round(idle, 1), "rss_peak_mb": round(peak[0], 1),
            "rss_ratio": round(peak[0] / idle, 2), "rss_after_mb": round(common.rss_mb(pid), 1)}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--clients", type=int, default=4)
    ap.add_argument("--rounds", type=int, default=3)
    args = ap.parse_args(argv)
    before = common.machine()
    info: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="bench-hostile-") as tmp:
        index_dir = Path(tmp) / "index"
        common.build_seeds_index(index_dir)
        env = {"RAG_API_KEY": KEY, "RAG_BODY_TIMEOUT": os.environ.get("RAG_BODY_TIMEOUT", "10")}
        with common.rag_serve(index_dir, env=env, info=info) as url:
            res = asyncio.run(run(url, info["pid"], args.clients, args.rounds))
    res.update(machine_before=before, machine_after=common.machine())
    h = res["honest"]
    print(f"\nHostile probe, {args.rounds} rounds in {res['seconds']} s, {common.load_line()}\n")
    print(common.md_table(["attack: reply", "times"], [[k, v] for k, v in res["attacks"].items()]))
    print(f"\nhonest asks ({args.clients} clients): {h['asks']} asks, {h['errors']} errors, p50 "
          f"{h['latency_ms']['p50']} ms, p95 {h['latency_ms']['p95']} ms")
    print(f"server RSS: idle {res['rss_idle_mb']} MiB, peak {res['rss_peak_mb']} MiB ({res['rss_ratio']}x), "
          f"after {res['rss_after_mb']} MiB")
    path = common.write_artifact("hostile", res)
    print(f"wrote {path.relative_to(common.ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
