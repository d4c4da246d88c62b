"""The HTTP API over a real uvicorn server on 127.0.0.1, with the real model."""

from __future__ import annotations

import json

import httpx
import pytest
from servers import parse_sse

pytestmark = pytest.mark.slow
RFA = "002_b1eebe35896f2b82"


@pytest.fixture(scope="module")
def client(server_url: str):  # type: ignore[no-untyped-def]
    with httpx.Client(base_url=server_url, timeout=60) as c:
        yield c


_sse = parse_sse


def test_health_and_readiness(client: httpx.Client) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}
    ready = client.get("/readyz").json()
    assert ready["status"] == "ready" and ready["articles"] == 5 and ready["passages"] > 20


def test_ask_returns_the_answer_contract(client: httpx.Client) -> None:
    r = client.post("/api/ask", json={"question": "集安组织在哈萨克斯坦的维和人员有多少？", "top_k": 4})
    assert r.status_code == 200
    d = r.json()
    assert set(d) >= {"question", "answer", "answerable", "citations", "passages"}
    assert d["answerable"] and "二千三百" in d["answer"] and len(d["passages"]) == 4
    c = d["citations"][0]
    assert set(c) >= {"n", "chunk_id", "doc_id", "title", "url", "source", "published", "quote", "start", "end",
                      "score"}
    doc = client.get(f"/api/documents/{c['doc_id']}").json()
    assert doc["text"][c["start"]:c["end"]] == c["quote"]
    assert r.headers["content-security-policy"].startswith("default-src 'self'")


def test_ask_filters_by_source_and_date(client: httpx.Client) -> None:
    d = client.post("/api/ask", json={"question": "哈萨克斯坦骚乱", "filters": {"source": "Aljazeera"}}).json()
    assert d["passages"] and all(p["source"] == "Aljazeera 半岛网" for p in d["passages"])
    d = client.post("/api/ask", json={"question": "哈萨克斯坦骚乱",
                                      "filters": {"date_from": "2023-01-01", "date_to": "2023-12-31"}}).json()
    assert d["passages"] and {p["doc_id"] for p in d["passages"]} == {"000_569cd607f5d77cb9"}


def test_chat_stream_events_arrive_in_order(client: httpx.Client) -> None:
    body = {"messages": [{"role": "user", "content": "纳扎尔巴耶夫是谁？"},
                         {"role": "assistant", "content": "哈萨克斯坦第一任总统。"},
                         {"role": "user", "content": "他是哪一年下台的？"}], "stream": True}
    with client.stream("POST", "/api/chat", json=body) as r:
        assert r.status_code == 200 and r.headers["content-type"].startswith("text/event-stream")
        text = "".join(r.iter_text())
    events = _sse(text)
    names = [n for n, _ in events]
    assert names[0] == "retrieval" and names[-1] == "done"
    assert "delta" in names and "citation" in names
    done = events[-1][1]
    assert "2019" in done["answer"]
    assert "".join(d["text"] for n, d in events if n == "delta") == done["answer"]
    # each citation event comes right after the delta carrying its marker, before later text
    for i, (n, d) in enumerate(events):
        if n == "citation":
            assert events[i - 1] == ("delta", {"text": f"[{d['n']}]"})


def test_chat_without_stream_returns_json(client: httpx.Client) -> None:
    d = client.post("/api/chat", json={"messages": [{"role": "user", "content": "蒙古国的首都是哪里？"}]}).json()
    assert d["answerable"] is False and d["nearest"]


def test_search_and_documents_and_citation_lookup(client: httpx.Client) -> None:
    s = client.get("/api/search", params={"q": "哈萨克斯坦 边界", "k": 3}).json()
    assert len(s["results"]) == 3 and s["results"][0]["title"]
    scores = [x["score"] for x in s["results"]]
    assert scores == sorted(scores, reverse=True)
    docs = client.get("/api/documents").json()["documents"]
    assert len(docs) == 5 and all(d["n_passages"] > 0 for d in docs)
    cite = client.get(f"/api/citations/{RFA}%231").json()
    assert cite["chunk_id"] == f"{RFA}#1" and cite["article"]["title"].startswith("中国强调")
    assert cite["context"]["before"][0]["chunk_id"] == f"{RFA}#0"
    assert cite["context"]["after"][0]["chunk_id"] == f"{RFA}#2"
    assert cite["url"].startswith("https://www.rfa.org/")


@pytest.mark.parametrize("method,path,body,status", [
    ("POST", "/api/ask", {"question": "   "}, 422),  # blank: refused by the schema (pattern \\S)
    ("POST", "/api/ask", {"question": "问" * 5000}, 400),
    ("POST", "/api/ask", {"question": "哈萨克斯坦", "top_k": 0}, 422),
    ("POST", "/api/ask", {"question": "哈萨克斯坦", "top_k": 500}, 422),
    ("POST", "/api/ask", {"question": 42}, 422),
    ("POST", "/api/ask", {}, 422),
    ("POST", "/api/chat", {"messages": []}, 422),
    ("POST", "/api/chat", {"messages": [{"role": "robot", "content": "hi"}]}, 422),
    ("POST", "/api/chat", {"messages": [{"role": "assistant", "content": "hi"}]}, 422),
    ("GET", "/api/documents/nope", None, 404),
    ("GET", "/api/citations/nope%231", None, 404),
    ("GET", "/api/citations/..%2F..%2Fetc%2Fpasswd", None, 404),
    ("GET", "/api/documents/..%2F..%2Fmanifest.json", None, 404),
    ("GET", "/api/search", None, 422),
])
def test_bad_input_gets_a_clear_4xx(client: httpx.Client, method: str, path: str, body: object, status: int) -> None:
    r = client.request(method, path, json=body) if body is not None else client.request(method, path)
    assert r.status_code == status, r.text
    err = r.json()["error"]
    assert err["message"] and err["code"]


def test_malformed_json_is_400(client: httpx.Client) -> None:
    r = client.post("/api/ask", content=b"{not json", headers={"content-type": "application/json"})
    assert r.status_code == 400 and "JSON" in r.json()["error"]["message"]


def test_writes_need_the_api_key(client: httpx.Client) -> None:
    doc = {"documents": [{"id": "k1", "title": "t", "text": "正文。"}]}
    assert client.post("/api/documents", json=doc).status_code == 401
    assert client.post("/api/documents", json=doc, headers={"Authorization": "Bearer wrong"}).status_code == 401
    assert client.delete(f"/api/documents/{RFA}").status_code == 401
    assert client.get(f"/api/documents/{RFA}").status_code == 200


def test_upload_ask_delete_round_trip(client: httpx.Client, server_api_key: str) -> None:
    auth = {"Authorization": f"Bearer {server_api_key}"}
    doc = {"id": "astana-test", "title": "阿斯塔纳更名", "source": "测试社", "published": "2024-03-01",
           "text": "2022年9月，哈萨克斯坦议会通过修宪，将首都努尔苏丹恢复原名阿斯塔纳。新名称即日起生效。"}
    r = client.post("/api/documents", json={"documents": [doc]}, headers=auth)
    assert r.status_code == 200, r.text
    assert r.json()["added"] == ["astana-test"]
    again = client.post("/api/documents", json={"documents": [doc]}, headers=auth).json()
    assert again["added"] == [] and again["unchanged"] == ["astana-test"]  # idempotent
    ans = client.post("/api/ask", json={"question": "哈萨克斯坦首都努尔苏丹恢复了什么名字？"}).json()
    assert ans["answerable"] and "阿斯塔纳" in ans["answer"]
    assert any(c["doc_id"] == "astana-test" for c in ans["citations"])
    assert client.delete("/api/documents/astana-test", headers=auth).json()["deleted"] == "astana-test"
    assert client.get("/api/documents/astana-test").status_code == 404
    ans = client.post("/api/ask", json={"question": "哈萨克斯坦首都努尔苏丹恢复了什么名字？"}).json()
    assert all(c["doc_id"] != "astana-test" for c in ans["citations"])


def test_multipart_upload_reports_the_bad_file(client: httpx.Client, server_api_key: str) -> None:
    auth = {"Authorization": f"Bearer {server_api_key}"}
    files = [("files", ("good-upload.md", "# 测试上传\n\n这是一篇上传的测试文章。".encode(), "text/markdown")),
             ("files", ("bad.txt", b"\xff\xfe\x00\x01binary", "text/plain")),
             ("files", ("slides.pptx", b"PK\x03\x04", "application/octet-stream"))]
    r = client.post("/api/documents", files=files, headers=auth)
    assert r.status_code == 200, r.text
    d = r.json()
    assert d["indexed"] == ["good-upload"]
    assert {p["file"] for p in d["problems"]} == {"bad.txt", "slides.pptx"}
    assert all(p["reason"] for p in d["problems"])
    r = client.post("/api/documents", files=[files[1]], headers=auth)
    assert r.status_code == 422 and "nothing was indexed" in r.json()["error"]["message"]
    client.delete("/api/documents/good-upload", headers=auth)


def test_openai_client_gets_a_cited_answer(server_url: str) -> None:
    openai = pytest.importorskip("openai")
    oc = openai.OpenAI(base_url=server_url + "/v1", api_key="unused")
    assert [m.id for m in oc.models.list().data] == ["rag-news"]
    resp = oc.chat.completions.create(model="rag-news", messages=[
        {"role": "user", "content": "哈萨克斯坦与俄罗斯的边界有多长？"}])
    content = resp.choices[0].message.content
    assert "7500" in content and "[1]" in content
    extra = resp.model_extra or {}
    assert extra["citations"][0]["doc_id"] == "000_569cd607f5d77cb9"
    stream = oc.chat.completions.create(model="rag-news", stream=True, messages=[
        {"role": "user", "content": "哈萨克斯坦与俄罗斯的边界有多长？"}])
    parts, citations = [], None
    for chunk in stream:
        if chunk.choices and chunk.choices[0].delta.content:
            parts.append(chunk.choices[0].delta.content)
        if (chunk.model_extra or {}).get("citations"):
            citations = chunk.model_extra["citations"]
    assert "7500" in "".join(parts) and citations and citations[0]["n"] == 1


def test_server_logs_are_json_and_never_contain_the_key(server: dict, client: httpx.Client,
                                                        server_api_key: str) -> None:
    client.post("/api/documents", json={"documents": []}, headers={"Authorization": f"Bearer {server_api_key}"})
    lines = [ln for ln in open(server["log"], encoding="utf-8").read().splitlines() if ln.startswith("{")]
    assert lines and all(json.loads(ln)["level"] for ln in lines)
    assert any(json.loads(ln).get("path") == "/api/ask" for ln in lines)
    assert server_api_key not in open(server["log"], encoding="utf-8").read()
