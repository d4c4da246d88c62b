"""Shared helpers of the benchmark scripts: timing statistics, memory, the machine's load, the fixed
question list, a `rag serve` subprocess, artifacts. Not a test: nothing here asserts a timing."""

from __future__ import annotations

import json
import os
import platform
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
ARTIFACTS = ROOT / "artifacts" / "bench"
CMRC = ROOT.parent / "shared" / "eval" / "cmrc2018"
SEEDS = ROOT / "seeds"
PY = ROOT / ".venv" / "bin" / "python"

# 40 questions over seeds/: 20 simplified Chinese, 6 traditional, 6 English, 8 the seeds cannot answer.
QUESTIONS: list[str] = [
    "哈萨克斯坦与俄罗斯的边界有多长？", "哈萨克斯坦科斯塔奈地区有多少居民？",
    "托卡耶夫称如果在世界范围内实施自决权，将有多少个国家？", "纳扎尔巴耶夫哪一年下台？",
    "集安组织在哈萨克斯坦的维和人员有多少？", "王毅同哪位俄罗斯外长通电话？",
    "习近平在哪个国家首次提出一带一路倡议？", "美国国务院发言人普莱斯希望集安组织怎么做？",
    "哈萨克斯坦同意与哪个北约成员国共享军事情报？", "哈萨克斯坦取消了哪一天的胜利日阅兵？",
    "骚乱中被捕的人数上升至多少？", "被革职的国家安全局局长是谁？",
    "俄罗斯试图招募哪国公民去乌克兰打仗？", "科斯塔奈地区有多少居民是俄罗斯裔？",
    "托卡耶夫在哪个论坛上与普京同台？", "哈萨克斯坦骚乱造成多少人丧生？",
    "托卡耶夫把骚乱定性为什么？", "谁撰写了《外交政策》上的那篇文章？",
    "恐怖分子分几个阶段对阿拉木图发动袭击？", "以色列外交部说了什么？",
    "哈薩克斯坦與俄羅斯的邊界有多長？", "吉爾吉斯斯坦向哈薩克斯坦派遣了多少名士兵？",
    "中國外交部長王毅說了什麼？", "納扎爾巴耶夫哪一年下台？",
    "哈薩克斯坦取消了哪一天的勝利日閱兵？", "被革職的國家安全局局長是誰？",
    "Who is the president of Kazakhstan?",
    "Which NATO member will Kazakhstan share military intelligence with?",
    "How long is the border between Kazakhstan and Russia?",
    "How many people were arrested during the unrest in Kazakhstan?",
    "What did Tokayev call the unrest?", "Who was the head of the national security committee that was arrested?",
    "蒙古国的首都是哪里？", "What is the recipe for beef stroganoff?", "苹果公司的CEO是谁？",
    "2018年世界杯冠军是哪个国家？", "日本的首相是谁？", "如何烤制法式面包？",
    "Who won the 2022 Nobel Prize in Literature?", "台北101有多高？",
]


def pct(values: Sequence[float], q: float) -> float:
    """The q-th percentile (0..100) by linear interpolation, as numpy's default."""
    xs = sorted(values)
    if not xs:
        return float("nan")
    pos = (len(xs) - 1) * q / 100
    lo = int(pos)
    hi = min(lo + 1, len(xs) - 1)
    return xs[lo] + (xs[hi] - xs[lo]) * (pos - lo)


def summary_ms(seconds: Sequence[float]) -> dict[str, float]:
    """n, p50/p95/p99, mean and max in milliseconds of a list of durations in seconds."""
    ms = [s * 1000 for s in seconds]
    return {"n": len(ms), "p50": round(pct(ms, 50), 2), "p95": round(pct(ms, 95), 2),
            "p99": round(pct(ms, 99), 2), "mean": round(statistics.fmean(ms), 2) if ms else float("nan"),
            "max": round(max(ms), 2) if ms else float("nan")}


def _status_kb(key: str, pid: int | str = "self") -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(key + ":"):
            return int(line.split()[1])
    return 0


def rss_mb(pid: int | str = "self") -> float:
    """Resident memory of this process (or of `pid`) now (MiB)."""
    return _status_kb("VmRSS", pid) / 1024


def peak_rss_mb(pid: int | str = "self") -> float:
    """Peak resident memory since start or the last reset_peak_rss() (MiB)."""
    return _status_kb("VmHWM", pid) / 1024


def mem_available_mb() -> float:
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemAvailable:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def reset_peak_rss() -> bool:
    """Reset the kernel's peak-RSS mark (Linux: write 5 to clear_refs); False if not allowed."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
        return True
    except OSError:
        return False


def machine() -> dict[str, Any]:
    """What the figures depend on: cores, load averages now, torch threads, versions."""
    load = os.getloadavg()
    info: dict[str, Any] = {"cpus": os.cpu_count(), "loadavg_1_5_15": [round(x, 2) for x in load],
                            "python": platform.python_version(),
                            "time": time.strftime("%Y-%m-%dT%H:%M:%S%z")}
    try:
        info["git"] = subprocess.run(["git", "describe", "--always", "--dirty"], cwd=ROOT, capture_output=True,
                                     text=True, timeout=10).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        pass
    try:
        import torch

        info["torch"] = torch.__version__
        info["torch_threads"] = torch.get_num_threads()
    except ImportError:
        pass
    try:
        import faiss

        info["faiss"] = faiss.__version__
        info["faiss_threads"] = faiss.omp_get_max_threads()
    except (ImportError, AttributeError):
        pass
    return info


def load_line() -> str:
    la = os.getloadavg()
    return f"load average {la[0]:.2f} / {la[1]:.2f} / {la[2]:.2f} on {os.cpu_count()} cores"


def md_table(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    def cell(v: Any) -> str:
        if isinstance(v, float):
            return f"{v:,.1f}" if abs(v) >= 100 else f"{v:.2f}" if abs(v) >= 1 else f"{v:.3f}"
        return str(v)

    out = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    out += ["| " + " | ".join(cell(v) for v in r) + " |" for r in rows]
    return "\n".join(out)


def write_artifact(name: str, data: dict[str, Any]) -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.json"
    path.write_text(json.dumps(data, ensure_ascii=False, indent=1, default=str), encoding="utf-8")
    return path


def cmrc_passages(limit: int | None = None) -> list[dict[str, str]]:
    rows = [json.loads(line) for line in (CMRC / "corpus.jsonl").read_text(encoding="utf-8").splitlines() if line]
    return rows[:limit] if limit else rows


def cmrc_questions(limit: int | None = None) -> list[dict[str, Any]]:
    rows = [json.loads(line) for line in (CMRC / "questions.jsonl").read_text(encoding="utf-8").splitlines()
            if line]
    return rows[:limit] if limit else rows


def timed_upserts(engine: Any, n: int = 5) -> list[tuple[float, Any]]:
    """Upsert `n` fresh one-article batches (ids fresh-0 ...) one at a time with the engine's real model:
    (seconds, the write's report) each."""
    from rag.types import Article

    out = []
    for i in range(n):
        art = Article(id=f"fresh-{i}", title=f"新闻{i}", text=f"阿斯塔纳第{i}次发布消息。" + "当地居民表示欢迎。" * 20)
        t0 = time.perf_counter()
        rep = engine.upsert([art])
        out.append((time.perf_counter() - t0, rep))
    return out


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def build_seeds_index(index_dir: Path, embedder: Any = None, **settings_overrides: Any) -> None:
    """`rag build seeds/` into index_dir (in process; reuses an already loaded embedder)."""
    from rag import engine as eng
    from rag.settings import Settings

    settings = Settings.from_env(env_file=None, index_dir=index_dir, **settings_overrides)
    eng.build(settings, [SEEDS], embedder=embedder)


@contextmanager
def rag_serve(index_dir: Path, env: dict[str, str] | None = None, timeout: float = 180,
              info: dict[str, Any] | None = None) -> Iterator[str]:
    """A real `rag serve` subprocess on 127.0.0.1 over index_dir; yields its base URL, stops it after.

    `info`, if given, receives the server's pid and how long it took to become ready."""
    import httpx

    port = free_port()
    log = tempfile.NamedTemporaryFile(prefix="rag-serve-", suffix=".log", delete=False)
    full_env = dict(os.environ, RAG_INDEX_DIR=str(index_dir), RAG_PORT=str(port), RAG_HOST="127.0.0.1",
                    RAG_LOG_LEVEL="warning", **(env or {}))
    proc = subprocess.Popen([str(PY), "-m", "rag.cli", "serve", "--index", str(index_dir), "--port", str(port)],
                            cwd=str(ROOT), env=full_env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    t_start = time.perf_counter()
    try:
        deadline = time.time() + timeout
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"rag serve exited with {proc.returncode}; log in {log.name}")
            try:
                if httpx.get(url + "/readyz", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.time() > deadline:
                raise RuntimeError(f"rag serve did not become ready in {timeout} s; log in {log.name}")
            time.sleep(0.2)
        if info is not None:
            info.update(pid=proc.pid, ready_s=round(time.perf_counter() - t_start, 2), log=log.name)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)
        log.close()
