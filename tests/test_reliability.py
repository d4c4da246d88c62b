"""Reliability and security: limits, backpressure, concurrent writes, kill -9 mid-upload, fuzzing."""

from __future__ import annotations

import concurrent.futures as cf
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from servers import free_port, serve_in_thread

from rag.api import create_app
from rag.engine import Engine, build
from rag.settings import Settings

ROOT = Path(__file__).resolve().parents[1]
SEEDS = ROOT / "seeds"
KEY = "reliability-key"


class SlowEmbedder:
    """The fake embedder with a delay per call, to hold requests in flight."""

    def __init__(self, inner, delay: float):  # type: ignore[no-untyped-def]
        self.inner, self.delay = inner, delay
        self.name, self.dim = inner.name, inner.dim

    def encode_queries(self, texts):  # type: ignore[no-untyped-def]
        time.sleep(self.delay)
        return self.inner.encode_queries(texts)

    def encode_documents(self, texts, progress=False):  # type: ignore[no-untyped-def]
        return self.inner.encode_documents(texts)


@pytest.fixture
def engine(settings: Settings, fake_embedder) -> Engine:  # type: ignore[no-untyped-def]
    build(settings, [SEEDS], embedder=fake_embedder)
    return Engine.open(settings.replace(api_key=KEY), embedder=fake_embedder)


def test_request_body_over_the_limit_is_413(engine: Engine) -> None:
    app = create_app(engine.settings.replace(max_body_bytes=2000), engine)
    with serve_in_thread(app) as url:
        r = httpx.post(url + "/api/ask", json={"question": "哈" * 3000})
        assert r.status_code == 413 and "RAG_MAX_BODY_BYTES" in r.json()["error"]["message"]
        # chunked upload without a content-length is cut off too
        r = httpx.post(url + "/api/documents", content=iter([b"x" * 1500, b"y" * 1500]),
                       headers={"authorization": f"Bearer {KEY}", "content-type": "application/json"})
        assert r.status_code == 413


def test_overload_gets_a_quick_503_not_an_unbounded_queue(settings: Settings, fake_embedder) -> None:  # type: ignore[no-untyped-def]
    build(settings, [SEEDS], embedder=fake_embedder)
    slow = SlowEmbedder(fake_embedder, 0.5)
    eng = Engine.open(settings, embedder=slow)
    app = create_app(settings.replace(max_concurrency=2, max_queue=2), eng)
    with serve_in_thread(app) as url:
        def ask(_: int) -> tuple[int, float]:
            t = time.perf_counter()
            r = httpx.post(url + "/api/ask", json={"question": "哈萨克斯坦"}, timeout=30)
            return r.status_code, time.perf_counter() - t
        with cf.ThreadPoolExecutor(12) as pool:
            results = list(pool.map(ask, range(12)))
    codes = [c for c, _ in results]
    assert set(codes) <= {200, 503} and codes.count(200) >= 4 and codes.count(503) >= 1
    # refused at once: a refusal returns sooner than the slowest served request, which waited its turn
    assert min(t for c, t in results if c == 503) < max(t for c, t in results if c == 200)


def test_concurrent_asks_uploads_and_deletes_leave_a_consistent_index(engine: Engine) -> None:
    app = create_app(engine.settings, engine)
    auth = {"Authorization": f"Bearer {KEY}"}
    errors: list[str] = []
    with serve_in_thread(app) as url:
        def writer(i: int) -> None:
            with httpx.Client(base_url=url, timeout=60) as c:
                doc = {"id": f"c{i}", "title": f"并发测试{i}", "text": f"第{i}篇并发测试文章。阿斯塔纳今天下雪。" * 5}
                r = c.post("/api/documents", json={"documents": [doc]}, headers=auth)
                if r.status_code != 200:
                    errors.append(r.text)
                if i % 2 == 0:
                    r = c.delete(f"/api/documents/c{i}", headers=auth)
                    if r.status_code != 200:
                        errors.append(r.text)

        def reader(i: int) -> None:
            with httpx.Client(base_url=url, timeout=60) as c:
                for q in ("阿斯塔纳今天下雪", "哈萨克斯坦与俄罗斯的边界"):
                    r = c.post("/api/ask", json={"question": q})
                    if r.status_code != 200:
                        errors.append(r.text)
                        continue
                    for p in r.json()["passages"]:
                        d = c.get(f"/api/documents/{p['doc_id']}")
                        # a passage of a document deleted meanwhile may 404, but never a half-applied state
                        if d.status_code == 200 and d.json()["text"][p["start"]:p["end"]] != p["text"]:
                            errors.append(f"offsets of {p['chunk_id']} do not match")

        with cf.ThreadPoolExecutor(8) as pool:
            futs = [pool.submit(writer, i) for i in range(8)] + [pool.submit(reader, i) for i in range(8)]
            for f in futs:
                f.result()
        docs = {d["id"] for d in httpx.get(url + "/api/documents").json()["documents"]}
    assert errors == []
    assert {f"c{i}" for i in range(8) if i % 2} <= docs and not ({f"c{i}" for i in range(8) if not i % 2} & docs)
    # what is on disk is what was served
    on_disk = Engine.open(engine.settings, embedder=engine.embedder).snapshot
    assert set(on_disk.articles) == docs
    assert len(on_disk) == sum(len(on_disk.article_rows(a)) for a in on_disk.articles)
    assert all(on_disk.articles[c.doc_id].text[c.start:c.end] == c.text for c in on_disk.iter_chunks())


SERVE_SLOW = """
import sys, time
sys.path.insert(0, {tests!r})
from pathlib import Path
from fakes import HashEmbedder
from rag.api.server import serve
from rag.engine import Engine
from rag.settings import Settings

class Slow(HashEmbedder):
    def encode_documents(self, texts, progress=False):
        time.sleep(0.1 * len(texts))
        return super().encode_documents(texts)

s = Settings.from_env(environ={{}}, env_file=None, index_dir=Path({index!r}), api_key={key!r}, port={port})
serve(s, Engine.open(s, embedder=Slow()))
"""


@pytest.mark.parametrize("delay", [0.3, 1.5, 3.0])
def test_kill_9_during_an_upload_loses_no_indexed_article(settings: Settings, fake_embedder, tmp_path: Path,
                                                          delay: float) -> None:
    build(settings, [SEEDS], embedder=fake_embedder)
    before = set(Engine.open(settings, embedder=fake_embedder).snapshot.articles)
    port = free_port()
    code = SERVE_SLOW.format(tests=str(ROOT / "tests"), index=str(settings.index_dir), key=KEY, port=port)
    proc = subprocess.Popen([sys.executable, "-c", code], cwd=ROOT, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    try:
        url = f"http://127.0.0.1:{port}"
        for _ in range(200):
            try:
                if httpx.get(url + "/readyz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.1)
        big = {"documents": [{"id": f"big{i}", "title": "大文章", "text": "这是一篇很长的文章。" * 120}
                             for i in range(3)]}

        def upload() -> None:
            try:
                httpx.post(url + "/api/documents", json=big, headers={"Authorization": f"Bearer {KEY}"}, timeout=30)
            except httpx.HTTPError:
                pass  # the server is killed under it

        with cf.ThreadPoolExecutor(1) as pool:
            pool.submit(upload)
            time.sleep(delay)
            os.kill(proc.pid, signal.SIGKILL)
    finally:
        proc.kill()
        proc.wait()
    snap = Engine.open(settings, embedder=fake_embedder).snapshot  # the next start loads a consistent index
    assert before <= set(snap.articles)
    assert set(snap.articles) in (before, before | {"big0", "big1", "big2"})
    assert len(snap) == sum(len(snap.article_rows(a)) for a in snap.articles)
    assert all(snap.articles[c.doc_id].text[c.start:c.end] == c.text for c in snap.iter_chunks())


def test_schemathesis_with_its_default_checks_finds_nothing(engine: Engine, tmp_path: Path) -> None:
    """schemathesis (an outside fuzzer) against /openapi.json with the API key, default checks, a fixed number
    of cases per operation and a fixed seed. One exception, scoped to one operation: arbitrary bytes in a
    multipart upload are rightly refused (422, the file named), so "schema-valid request rejected" is not
    checked for POST /api/documents; every other check still runs on it."""
    app = create_app(engine.settings, engine)
    exe = Path(sys.executable).with_name("schemathesis")
    with serve_in_thread(app) as url:
        base = [str(exe), "run", url + "/openapi.json", "-H", f"Authorization: Bearer {KEY}", "--max-examples", "20",
                "--seed", "1", "--no-color"]
        for extra in (["--exclude-name", "POST /api/documents"],
                      # stateful sequences need the other operations, which the first run has: this one would
                      # stop at "missing OpenAPI links" (the API declares links, e.g. from a created feed)
                      ["--include-name", "POST /api/documents", "--exclude-checks", "positive_data_acceptance",
                       "--phases", "examples,coverage,fuzzing"]):
            run = subprocess.run(base + extra, capture_output=True, text=True, timeout=600, cwd=tmp_path)
            assert run.returncode == 0, run.stdout[-4000:]
            assert "generated" in run.stdout


def test_the_question_limit_cannot_be_bypassed_through_chat_history(engine: Engine) -> None:
    """A huge earlier message with a short follow-up used to become the search query (issue 11)."""
    s = engine.settings
    app = create_app(s, engine)
    long_turn = "哈萨克斯坦总统纳扎尔巴耶夫" * 200  # 2,600 characters, over RAG_MAX_QUESTION_CHARS
    with serve_in_thread(app) as url:
        for path, body in (("/api/chat", {"messages": [{"role": "user", "content": long_turn},
                                                       {"role": "user", "content": "他是谁？"}]}),
                           ("/v1/chat/completions", {"model": "rag-news", "messages": [
                               {"role": "user", "content": long_turn}, {"role": "user", "content": "他是谁？"}]})):
            r = httpx.post(url + path, json=body, timeout=30)
            assert r.status_code == 400, (path, r.status_code, r.text[:300])
            assert "RAG_MAX_QUESTION_CHARS" in r.text
        # many turns, each within the limit, but too much in all
        turns = [{"role": "user", "content": "纳扎尔巴耶夫" * 300} for _ in range(6)] + [{"role": "user", "content": "他是谁？"}]
        r = httpx.post(url + "/api/chat", json={"messages": turns}, timeout=30)
        assert r.status_code == 400 and "RAG_MAX_HISTORY_CHARS" in r.text
        # a chat body is capped well below the upload limit, before it is parsed
        big = {"messages": [{"role": "assistant", "content": "x" * 20_000} for _ in range(60)]
               + [{"role": "user", "content": "他是谁？"}]}
        r = httpx.post(url + "/api/chat", json=big, timeout=30)
        assert r.status_code == 413 and "RAG_MAX_CHAT_BODY_BYTES" in r.text
        # a normal follow-up still works
        r = httpx.post(url + "/api/chat", json={"messages": [{"role": "user", "content": "纳扎尔巴耶夫是谁？"},
                                                             {"role": "user", "content": "他是哪一年下台的？"}]}, timeout=30)
        assert r.status_code == 200 and r.json()["search_query"] == "纳扎尔巴耶夫是谁？ 他是哪一年下台的？"


def test_the_query_built_from_history_is_capped() -> None:
    from rag.conversation import standalone_question

    q = standalone_question("他是谁？", ["纳扎尔巴耶夫" * 400], max_chars=100)
    assert len(q) <= 100 and q.endswith("他是谁？") and "纳扎尔巴耶夫" in q


def test_small_input_mistakes_get_clear_client_errors(engine: Engine) -> None:
    """Issue 11, item 6 (part): impossible filter dates, n > 1 on the OpenAI endpoint, a lone surrogate."""
    app = create_app(engine.settings, engine)
    with serve_in_thread(app) as url:
        r = httpx.post(url + "/api/ask", json={"question": "托卡耶夫是谁？", "filters": {"date_from": "2022-13-45"}})
        assert r.status_code == 422 and "calendar date" in r.text
        r = httpx.post(url + "/v1/chat/completions", json={"model": "rag-news", "n": 3,
                                                          "messages": [{"role": "user", "content": "托卡耶夫是谁？"}]})
        assert r.status_code == 422 and "n" in r.text
        r = httpx.post(url + "/api/ask", content=b'{"question": "\\ud800 who?"}', headers={"content-type": "application/json"})
        assert r.status_code == 422 and "surrogate" in r.text
        r = httpx.post(url + "/api/ask", json={"question": "托卡耶夫是谁？", "filters": {"date_from": "2022-01-01"}})
        assert r.status_code == 200


def test_malformed_uploads_get_4xx_and_bad_files_a_problem_report(engine: Engine, tmp_path: Path) -> None:
    """Issue 11, item 3: an impossible date, a malformed URL, JSON nested 1,000 deep; each is the client's
    mistake, answered with a 4xx naming it, and a folder build reports the bad file and builds the rest."""
    from rag.sources import load_paths

    app = create_app(engine.settings, engine)
    auth = {"authorization": f"Bearer {KEY}"}
    doc = {"id": "bad1", "title": "t", "text": "哈萨克斯坦的一篇文章。"}
    with serve_in_thread(app) as url:
        r = httpx.post(url + "/api/documents", headers=auth, json={"documents": [{**doc, "published": "9" * 20}]})
        assert r.status_code == 422 and "not a date" in r.text
        r = httpx.post(url + "/api/documents", headers=auth, json={"documents": [{**doc, "url": "http://[::1"}]})
        assert r.status_code == 422 and "not a valid URL" in r.text
        deep = b'{"documents": ' + b"[" * 1000 + b"]" * 1000 + b"}"
        r = httpx.post(url + "/api/documents", headers={**auth, "content-type": "application/json"}, content=deep)
        assert r.status_code == 400 and "nested too deeply" in r.text
        files = {"files": ("bad.jsonl", ('{"id": "x1", "title": "t", "text": "正文。", "url": "http://[::1"}\n'
                                         '{"id": "x2", "title": "t", "text": "正文。", "published": "' + "9" * 20 + '"}\n')
                           .encode())}
        r = httpx.post(url + "/api/documents", headers=auth, files=files)
        assert r.status_code == 422 and "bad.jsonl:1" in r.text and "bad.jsonl:2" in r.text
        assert httpx.get(url + "/healthz").status_code == 200
    folder = tmp_path / "news"
    folder.mkdir()
    (folder / "good.md").write_text("---\ntitle: '好的'\ndate: 2022-01-08\n---\n\n哈萨克斯坦发生骚乱。\n", encoding="utf-8")
    (folder / "bad.md").write_text("---\ntitle: '坏的'\nurl: 'http://[::1'\n---\n\n正文。\n", encoding="utf-8")
    arts, problems = load_paths([folder])
    assert [a.id for a in arts] == ["good"] and len(problems) == 1 and "bad.md" in problems[0].path


def test_dot_ids_are_refused_and_bidi_overrides_are_stripped_from_titles(engine: Engine) -> None:
    """Issue 11, item 6 (part): ids "." and ".." cannot be opened in the web page; a right-to-left override
    in a title could spoof the text around it."""
    app = create_app(engine.settings, engine)
    auth = {"authorization": f"Bearer {KEY}"}
    with serve_in_thread(app) as url:
        for bad in (".", ".."):
            r = httpx.post(url + "/api/documents", headers=auth,
                           json={"documents": [{"id": bad, "title": "t", "text": "正文。"}]})
            assert r.status_code == 422, (bad, r.text)
        r = httpx.post(url + "/api/documents", headers=auth, json={"documents": [
            {"id": "bidi", "title": "哈萨克斯坦\u202egnp.exe", "text": "哈萨克斯坦的一篇文章。", "source": "RFA\u202e"}]})
        assert r.status_code == 200, r.text
        d = httpx.get(url + "/api/documents/bidi").json()
        title = d.get("title") or d["article"]["title"]
        assert "\u202e" not in title and title == "哈萨克斯坦gnp.exe"
