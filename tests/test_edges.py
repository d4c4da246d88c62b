"""The HTTP edge (issue 16, item 4 and 8): one mapping of errors to statuses, each pinned through a real server;
a truthful OpenAPI document; Prometheus metrics."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from servers import serve_in_thread

from rag.api import create_app
from rag.engine import Engine, build
from rag.errors import IndexNotFound, ModelError
from rag.settings import Settings

ROOT = Path(__file__).resolve().parents[1]
KEY = "edge-key"
AUTH = {"authorization": f"Bearer {KEY}"}


@pytest.fixture
def engine(settings: Settings, fake_embedder) -> Engine:  # type: ignore[no-untyped-def]
    build(settings, [ROOT / "seeds"], embedder=fake_embedder)
    return Engine.open(settings.replace(api_key=KEY), embedder=fake_embedder)


def _code(r: httpx.Response) -> str:
    return str(r.json()["error"]["code"])


def test_each_error_has_its_status_and_a_json_body(engine: Engine) -> None:
    app = create_app(engine.settings.replace(max_body_bytes=50_000), engine)
    with serve_in_thread(app) as url:
        r = httpx.post(url + "/api/ask", json={"question": "   "})
        assert r.status_code == 422 and "question is empty" in r.text  # blank: the schema's pattern says so
        r = httpx.post(url + "/api/ask", json={"question": "问" * 5000})
        assert r.status_code == 400 and _code(r) == "bad_request" and "RAG_MAX_QUESTION_CHARS" in r.text
        r = httpx.post(url + "/api/documents", json={"documents": [{"id": "a", "title": "t", "text": "x"}]})
        assert r.status_code == 401 and r.headers["www-authenticate"] == "Bearer"
        r = httpx.get(url + "/api/documents/no-such-article")
        assert r.status_code == 404 and _code(r) == "not_found"
        r = httpx.get(url + "/api/citations/no-such-article%231")
        assert r.status_code == 404 and _code(r) == "not_found"
        r = httpx.delete(url + "/api/ask")
        assert r.status_code == 405 and "POST" in r.headers["allow"]
        r = httpx.post(url + "/api/ask", json={"question": "哈" * 60_000})
        assert r.status_code == 413 and _code(r) == "too_large"
        r = httpx.post(url + "/api/documents", headers={**AUTH, "content-type": "text/plain"}, content=b"hello")
        assert r.status_code == 415
        r = httpx.post(url + "/api/ask", json={"question": "托卡耶夫是谁？", "top_k": 0})
        assert r.status_code == 422 and _code(r) == "invalid_request" and "top_k" in r.text
    app = create_app(engine.settings.replace(api_key=None), engine)
    with serve_in_thread(app) as url:
        r = httpx.delete(url + "/api/documents/000_569cd607f5d77cb9", headers=AUTH)
        assert r.status_code == 403 and "RAG_API_KEY" in r.text


@pytest.mark.parametrize("error", [IndexNotFound("no index in index/: run `rag build seeds/`"),
                                   ModelError("cannot load the model")])
def test_an_unready_index_or_model_is_a_503_with_retry_after_on_every_path(
        engine: Engine, monkeypatch: pytest.MonkeyPatch, error: Exception) -> None:
    app = create_app(engine.settings, engine)
    with serve_in_thread(app) as url:
        def unavailable(*args: object, **kwargs: object) -> None:
            raise error

        monkeypatch.setattr(engine, "retrieve", unavailable)
        monkeypatch.setattr(engine, "search", unavailable)
        for method, path, body in (("POST", "/api/ask", {"question": "托卡耶夫是谁？"}),
                                   ("POST", "/api/chat", {"messages": [{"role": "user", "content": "托卡耶夫是谁？"}]}),
                                   ("POST", "/v1/chat/completions", {"model": "rag-news", "messages": [
                                       {"role": "user", "content": "托卡耶夫是谁？"}]}),
                                   ("GET", "/api/search?q=托卡耶夫", None)):
            r = httpx.request(method, url + path, json=body)
            assert r.status_code == 503, (path, r.status_code, r.text)
            assert r.headers["retry-after"].isdigit() and str(error) in r.json()["error"]["message"]


def test_the_openapi_document_declares_the_errors_and_resolves(engine: Engine) -> None:
    app = create_app(engine.settings, engine)
    with serve_in_thread(app) as url:
        doc = httpx.get(url + "/openapi.json").json()
    assert "#/$defs/" not in str(doc)
    ask = doc["paths"]["/api/ask"]["post"]["responses"]
    assert {"400", "413", "422", "503"} <= set(ask)
    assert ask["422"]["content"]["application/json"]["schema"]["$ref"].endswith("/ErrorOut")
    assert {"401", "403", "404"} <= set(doc["paths"]["/api/documents"]["post"]["responses"])
    assert "404" in doc["paths"]["/api/documents/{doc_id}"]["get"]["responses"]
    assert doc["components"]["schemas"]["AskIn"]["properties"]["question"]["minLength"] == 1


def test_metrics_count_requests_outcomes_and_the_index(engine: Engine) -> None:
    from prometheus_client import REGISTRY

    def outcomes() -> float:
        return sum(REGISTRY.get_sample_value("rag_ask_outcomes_total", {"outcome": o}) or 0.0
                   for o in ("answered", "refused", "degraded"))

    app = create_app(engine.settings, engine)
    with serve_in_thread(app) as url:
        before = outcomes()
        httpx.post(url + "/api/ask", json={"question": "哈萨克斯坦与俄罗斯的边界有多长？"})
        httpx.post(url + "/api/chat", json={"messages": [{"role": "user", "content": "2018年世界杯冠军是哪个国家？"}]})
        httpx.get(url + "/api/documents/no-such-article")
        r = httpx.post(url + "/api/documents", headers=AUTH, json={"documents": [
            {"id": "metrics-doc", "title": "t", "text": "阿斯塔纳今年冬天很冷。"}]})
        assert r.status_code == 200
        text = httpx.get(url + "/metrics").text
    assert outcomes() - before == 2  # one outcome per answer, whichever path asked
    assert 'rag_http_requests_total{method="POST",route="/api/ask",status="200"}' in text
    assert 'route="/api/documents/{doc_id}",status="404"' in text
    assert "rag_ask_outcomes_total{outcome=" in text
    assert f"rag_index_articles {float(len(engine.snapshot.articles))}" in text
    assert 'rag_index_write_seconds_count{kind="upsert"}' in text


def test_rag_config_prints_each_setting_with_where_it_came_from(tmp_path: Path) -> None:
    import json
    import subprocess
    import sys

    (tmp_path / ".env").write_text("RAG_TOP_K=9\nRAG_API_KEY=secret-value\n", encoding="utf-8")
    env = {k: v for k, v in __import__("os").environ.items() if not k.startswith("RAG_")}
    out = subprocess.run([sys.executable, "-m", "rag.cli", "config", "--json"], cwd=tmp_path, capture_output=True,
                         text=True, env={**env, "RAG_RRF_K": "30", "PYTHONPATH": str(ROOT)}, check=True).stdout
    rows = json.loads(out)
    assert {k: rows["rrf_k"][k] for k in ("value", "from", "env")} == {"value": "30", "from": "env", "env": "RAG_RRF_K"}
    assert all(row["description"] for row in rows.values())  # every setting says what it is for
    assert rows["top_k"]["value"] == "9" and rows["top_k"]["from"] == ".env"
    assert rows["chunk_size"]["from"] == "default"
    assert rows["api_key"]["value"] == "(set)" and "secret-value" not in out


def test_streams_ping_while_an_answer_is_slow_and_stop_when_the_client_leaves(
        engine: Engine, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    """Issue 16, item 3: one SSE encoder for both chat endpoints, keep-alive pings, and a client disconnect
    stops the answer and is logged."""
    import logging
    import time

    import rag.api.streaming as streaming

    monkeypatch.setattr(streaming, "PING_S", 0.2)
    slow_retrieve = engine.retrieve

    def slow(*args: object, **kwargs: object):  # type: ignore[no-untyped-def]
        time.sleep(1.0)
        return slow_retrieve(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(engine, "retrieve", slow)
    app = create_app(engine.settings, engine)
    question = {"role": "user", "content": "哈萨克斯坦与俄罗斯的边界有多长？"}
    with serve_in_thread(app) as url, caplog.at_level(logging.INFO):
        for path, body in (("/api/chat", {"messages": [question], "stream": True}),
                           ("/v1/chat/completions", {"model": "rag-news", "messages": [question], "stream": True})):
            text = httpx.post(url + path, json=body, timeout=30).text
            assert ": ping" in text, path  # pings came while retrieval was slow
            assert text.rstrip().endswith(("data: [DONE]", "}")), text[-200:]
        with httpx.stream("POST", url + "/api/chat", json={"messages": [question], "stream": True}, timeout=30) as r:
            for line in r.iter_lines():
                if line.startswith(": ping"):
                    break  # leave mid-stream
        time.sleep(1.5)
    assert "client disconnected mid-stream; stopped answering" in [rec.getMessage() for rec in caplog.records]


def test_facets_and_filters_on_every_question_path(engine: Engine) -> None:
    """Issue 14, item 3 (API part): GET /api/facets for the filter controls; the same `filters` object on
    /api/ask, /api/chat and /v1/chat/completions, and each answer says which filters it used."""
    app = create_app(engine.settings, engine)
    flt = {"source": "RFA", "date_from": "2022-01-01", "date_to": "2022-12-31"}
    q = "哈萨克斯坦骚乱中有多少人被捕？"
    with serve_in_thread(app) as url:
        f = httpx.get(url + "/api/facets").json()
        assert f["articles"] == 5 and sum(o["articles"] for o in f["outlets"]) == 5
        assert f["dates"]["from"] <= f["dates"]["to"] and sum(m["articles"] for m in f["dates"]["by_month"]) + \
            f["dates"]["undated"] == 5
        assert any("RFA" in (o["source"] or "") for o in f["outlets"])
        answers = [httpx.post(url + "/api/ask", json={"question": q, "filters": flt}).json(),
                   httpx.post(url + "/api/chat", json={"messages": [{"role": "user", "content": q}],
                                                       "filters": flt}).json()]
        oa = httpx.post(url + "/v1/chat/completions", json={"model": "rag-news", "filters": flt,
                                                            "messages": [{"role": "user", "content": q}]}).json()
        unfiltered = httpx.post(url + "/api/ask", json={"question": q}).json()
        rfa = {d["id"] for d in httpx.get(url + "/api/documents").json()["documents"] if "RFA" in (d["source"] or "")}
    for a in answers + [oa]:
        assert a["filters"] == flt, a
        assert all("RFA" in (c["source"] or "") for c in a["citations"])
    assert answers[0]["passages"] and {p["doc_id"] for p in answers[0]["passages"]} <= rfa
    assert "filters" not in unfiltered
