"""Hostile and careless clients (issue 11), each through HTTP against a real uvicorn server: slow headers and
bodies, uploads beside questions, oversized articles and uploads, server errors, dropped uploads, search
during deletes, and the API docs offline."""

from __future__ import annotations

import concurrent.futures as cf
import json
import logging
import socket
import threading
import time
from pathlib import Path

import httpx
import numpy as np
import pytest
from servers import serve_in_thread

from rag.api import create_app
from rag.engine import Engine, build
from rag.modelgate import BUSY_SLICE, ModelGate, encode_in_slices
from rag.settings import Settings

ROOT = Path(__file__).resolve().parents[1]
SEEDS = ROOT / "seeds"
KEY = "hostile-key"
AUTH = {"authorization": f"Bearer {KEY}"}


@pytest.fixture
def engine(settings: Settings, fake_embedder) -> Engine:  # type: ignore[no-untyped-def]
    build(settings, [SEEDS], embedder=fake_embedder)
    return Engine.open(settings.replace(api_key=KEY), embedder=fake_embedder)


def _connect(url: str) -> socket.socket:
    host, port = url.removeprefix("http://").split(":")
    sock = socket.create_connection((host, int(port)), timeout=10)
    return sock


def _read_all(sock: socket.socket) -> bytes:
    out = b""
    while True:
        try:
            chunk = sock.recv(65536)
        except (ConnectionResetError, TimeoutError):
            break
        if not chunk:
            break
        out += chunk
    return out


def test_slow_bodies_time_out_and_never_take_the_capacity_questions_need(engine: Engine) -> None:
    """Eight clients that send half a body and wait used to make every /api/ask answer 503."""
    s = engine.settings.replace(max_concurrency=2, max_queue=6, body_timeout=2.0)
    app = create_app(s, engine)
    with serve_in_thread(app) as url:
        socks = []
        for _ in range(12):
            sock = _connect(url)
            sock.sendall(b"POST /api/ask HTTP/1.1\r\nHost: x\r\ncontent-type: application/json\r\n"
                         b"content-length: 200\r\n\r\n{\"question\": \"")
            socks.append(sock)
        time.sleep(0.3)
        for _ in range(3):  # questions are answered while the slow bodies hang
            r = httpx.post(url + "/api/ask", json={"question": "托卡耶夫是谁？"}, timeout=10)
            assert r.status_code == 200, r.text
        t0 = time.perf_counter()
        replies = [_read_all(sock) for sock in socks]
        waited = time.perf_counter() - t0
        for reply in replies:
            assert reply.startswith(b"HTTP/1.1 408"), reply[:200]
            assert b"RAG_BODY_TIMEOUT" in reply
        assert waited < 10
        for sock in socks:
            sock.close()
        # a body that arrives in pieces at a reasonable pace is not cut off
        def paced() -> object:
            for piece in (b'{"question": ', b'"\xe6\x89\x98\xe5\x8d\xa1\xe8\x80\xb6\xe5\xa4\xab', b'\xe6\x98\xaf\xe8\xb0\x81"}'):
                time.sleep(0.5)
                yield piece
        r = httpx.post(url + "/api/ask", content=paced(), headers={"content-type": "application/json"}, timeout=10)
        assert r.status_code == 200, r.text


def test_slow_headers_are_cut_off(engine: Engine) -> None:
    app = create_app(engine.settings.replace(header_timeout=1.0), engine)
    with serve_in_thread(app) as url:
        sock = _connect(url)
        sock.sendall(b"POST /api/ask HTTP/1.1\r\nHost: x\r\n")  # and never the rest
        t0 = time.perf_counter()
        assert _read_all(sock) == b""  # the server closed the connection
        assert 0.5 < time.perf_counter() - t0 < 8
        sock.close()
        # an idle keep-alive connection still serves its next request
        with httpx.Client(base_url=url) as c:
            assert c.get("/healthz").status_code == 200
            assert c.get("/healthz").status_code == 200


def test_an_unexpected_error_is_one_logged_500_with_the_usual_headers(engine: Engine, caplog: pytest.LogCaptureFixture,
                                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr(engine, "retrieve", broken)  # inside the answer stream
    monkeypatch.setattr(engine, "search", broken)  # a plain route: the middleware answers
    app = create_app(engine.settings, engine)
    for method, path, kwargs in (("POST", "/api/ask", {"json": {"question": "托卡耶夫是谁？"}}),
                                 ("GET", "/api/search", {"params": {"q": "托卡耶夫"}})):
        caplog.clear()
        with serve_in_thread(app) as url, caplog.at_level(logging.INFO):
            r = httpx.request(method, url + path, **kwargs)  # type: ignore[arg-type]
            assert r.status_code == 500 and r.json()["error"]["code"] == "internal", (path, r.text)
            rid = r.headers["x-request-id"]
            assert rid in r.json()["error"]["message"]
            assert r.headers["x-content-type-options"] == "nosniff" and "default-src" in r.headers["content-security-policy"]
            time.sleep(0.2)
        errors = [rec for rec in caplog.records if rec.levelno >= logging.ERROR]
        assert len(errors) == 1 and getattr(errors[0], "request_id", None) == rid, [e.getMessage() for e in errors]
        access = [rec for rec in caplog.records if rec.getMessage() == "request" and getattr(rec, "request_id", None) == rid]
        assert [getattr(a, "status", None) for a in access] == [500]


def test_a_client_that_drops_mid_upload_is_logged_as_a_disconnect(engine: Engine,
                                                                   caplog: pytest.LogCaptureFixture) -> None:
    app = create_app(engine.settings, engine)
    with serve_in_thread(app) as url, caplog.at_level(logging.INFO):
        sock = _connect(url)
        sock.sendall(b"POST /api/documents HTTP/1.1\r\nHost: x\r\nauthorization: Bearer " + KEY.encode() +
                     b"\r\ncontent-type: application/json\r\ncontent-length: 5000\r\n\r\n" + b'{"documents": [' + b" " * 100)
        time.sleep(0.3)
        sock.close()
        time.sleep(0.5)
        assert httpx.get(url + "/api/documents").status_code == 200
    messages = [rec.getMessage() for rec in caplog.records]
    assert "client disconnected" in messages
    assert not [rec for rec in caplog.records if rec.levelno >= logging.ERROR]


def test_oversized_articles_and_uploads_get_a_413_that_names_the_limit(engine: Engine) -> None:
    app = create_app(engine.settings.replace(max_article_chars=5000), engine)
    with serve_in_thread(app) as url:
        r = httpx.post(url + "/api/documents", headers=AUTH, json={"documents": [
            {"id": "long1", "title": "长文", "text": "哈萨克斯坦。" * 1000}]})
        assert r.status_code == 413 and "RAG_MAX_ARTICLE_CHARS" in r.text and "5000" in r.text
        files = {"files": ("long.md", ("# 长文\n\n" + "哈萨克斯坦。" * 1000).encode())}
        r = httpx.post(url + "/api/documents", headers=AUTH, files=files)
        assert r.status_code == 413 and "RAG_MAX_ARTICLE_CHARS" in r.text
        # a .jsonl sent as a multipart file cannot get past the per-request document cap
        lines = "".join(json.dumps({"id": f"j{i}", "title": "t", "text": "正文。"}) + "\n" for i in range(1001))
        r = httpx.post(url + "/api/documents", headers=AUTH, files={"files": ("many.jsonl", lines.encode())})
        assert r.status_code == 413 and "1001" in r.text and "1000" in r.text
        assert "j0" not in httpx.get(url + "/api/documents").text  # nothing of it was indexed


def test_search_hits_keep_their_article_during_concurrent_deletes(engine: Engine) -> None:
    app = create_app(engine.settings, engine)
    doc = {"title": "阿斯塔纳气象台报告", "text": "阿斯塔纳气象台说，阿斯塔纳今年冬天的最低气温是零下四十二度。"}
    stop = threading.Event()
    with serve_in_thread(app) as url:
        def churn() -> None:
            i = 0
            while not stop.is_set():
                httpx.post(url + "/api/documents", headers=AUTH, json={"documents": [{"id": f"w{i}", **doc}]}, timeout=30)
                httpx.delete(url + f"/api/documents/w{i}", headers=AUTH, timeout=30)
                i += 1

        writer = threading.Thread(target=churn)
        writer.start()
        try:
            missing = []
            for _ in range(60):
                r = httpx.get(url + "/api/search", params={"q": "阿斯塔纳最低气温", "k": 10}, timeout=30)
                assert r.status_code == 200
                missing += [h["chunk_id"] for h in r.json()["results"] if "title" not in h]
        finally:
            stop.set()
            writer.join(30)
    assert missing == []


def test_the_api_docs_page_works_offline_under_the_csp(engine: Engine) -> None:
    app = create_app(engine.settings, engine)
    with serve_in_thread(app) as url:
        r = httpx.get(url + "/docs")
        assert r.status_code == 200 and "http" not in r.text.replace("http-equiv", "")  # nothing from a CDN
        assert "<script>" not in r.text  # no inline script: the CSP allows only same-origin files
        for asset in ("/docs/assets/swagger-ui-bundle.js", "/docs/assets/swagger-ui.css", "/docs/init.js"):
            assert httpx.get(url + asset).status_code == 200, asset
        assert httpx.get(url + "/redoc").status_code == 404  # one docs page, the one that works


def test_questions_do_not_wait_behind_an_upload() -> None:
    """The model gate: index slices yield to questions; a question waits for one small slice at most."""
    gate = ModelGate(max_wait=5.0)
    calls: list[int] = []

    def slow_forward(batch: list[str]) -> np.ndarray:
        calls.append(len(batch))
        time.sleep(0.05)
        return np.ones((len(batch), 4), dtype=np.float32)

    with gate.question():
        pass  # a question was just asked: the upload goes in small slices
    with cf.ThreadPoolExecutor(2) as pool:
        upload = pool.submit(encode_in_slices, gate, [f"段落{i}" for i in range(60)], 4, slow_forward)
        time.sleep(0.1)
        waits = []
        for _ in range(5):
            t0 = time.perf_counter()
            with gate.question():
                waits.append(time.perf_counter() - t0)
            time.sleep(0.02)
        assert not upload.done()  # the questions were served while the upload was still running
        vecs = upload.result(30)
    assert vecs.shape == (60, 4) and max(calls) == BUSY_SLICE
    assert max(waits) < 0.05 * 5  # a slice, not the 1.5 s upload


def test_an_upload_is_not_starved_by_a_stream_of_questions() -> None:
    gate = ModelGate(max_wait=0.2)
    stop = threading.Event()

    def asker() -> None:
        while not stop.is_set():
            with gate.question():
                time.sleep(0.01)

    threads = [threading.Thread(target=asker) for _ in range(4)]
    for t in threads:
        t.start()
    try:
        t0 = time.perf_counter()
        encode_in_slices(gate, ["文"] * 10, 2, lambda b: np.zeros((len(b), 2), dtype=np.float32))
        took = time.perf_counter() - t0
    finally:
        stop.set()
        for t in threads:
            t.join()
    assert took < 10  # five slices, each waiting at most max_wait behind the questions


class GatedSlowEmbedder:
    """The fake embedder behind the real model gate, with 50 ms per forward pass: an upload of a long
    article takes seconds, as with the real model."""

    def __init__(self, inner):  # type: ignore[no-untyped-def]
        self.inner, self.name, self.dim = inner, inner.name, inner.dim
        self.gate = ModelGate()

    def encode_queries(self, texts):  # type: ignore[no-untyped-def]
        with self.gate.question():
            time.sleep(0.05)
            return self.inner.encode_queries(texts)

    def encode_documents(self, texts, progress=False):  # type: ignore[no-untyped-def]
        def forward(batch: list[str]) -> np.ndarray:
            time.sleep(0.05)
            return self.inner.encode_documents(batch)

        return encode_in_slices(self.gate, texts, self.dim, forward)


def test_questions_are_answered_while_a_long_article_uploads(settings: Settings, fake_embedder) -> None:  # type: ignore[no-untyped-def]
    """Issue 11, item 4, through HTTP: a 20,000-character upload no longer stalls every question."""
    build(settings, [SEEDS], embedder=fake_embedder)
    eng = Engine.open(settings.replace(api_key=KEY), embedder=GatedSlowEmbedder(fake_embedder))
    app = create_app(eng.settings, eng)
    text = "。".join(f"第{i}段：哈萨克斯坦阿斯塔纳的记者报道了当地第{i}天的天气和交通情况" for i in range(600))
    with serve_in_thread(app) as url:
        httpx.post(url + "/api/ask", json={"question": "托卡耶夫是谁？"}, timeout=30)  # a question was just asked
        with cf.ThreadPoolExecutor(1) as pool:
            upload = pool.submit(httpx.post, url + "/api/documents", headers=AUTH, timeout=300,
                                 json={"documents": [{"id": "long-upload", "title": "长文", "text": text}]})
            time.sleep(0.5)
            answered_during_upload = 0
            for _ in range(5):
                r = httpx.post(url + "/api/ask", json={"question": "托卡耶夫是谁？"}, timeout=30)
                assert r.status_code == 200
                answered_during_upload += not upload.done()
            result = upload.result(300)
    assert result.status_code == 200, result.text
    assert answered_during_upload == 5
