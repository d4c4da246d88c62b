"""Generative answers through an OpenAI-compatible LLM: a scripted fake LLM server on 127.0.0.1 and a
real `rag serve` pointed at it, end to end through /api/chat (SSE and JSON) and /v1/chat/completions."""

from __future__ import annotations

import asyncio
import json
import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fake_llm import NOT_FOUND, UNSUPPORTED, FakeLLM
from servers import free_port, parse_sse, rag_serve

from rag.errors import ConfigError, LLMError
from rag.llm.client import LLMClient
from rag.llm.markers import MarkerRewriter
from rag.llm.prompt import PROMPTS_DIR, PromptTemplate, prompt_paths
from rag.llm.verify import split_claims
from rag.settings import Settings

ROOT = Path(__file__).resolve().parents[1]
Q = "哈萨克斯坦与俄罗斯的边界有多长？"
UNANSWERABLE = "蒙古国的首都是哪里？"
MODEL = "fake-model"
LLM_KEY = "sk-fake-llm-1234"
RESET_SEPARATOR = "\n\n[LLM unavailable — extractive answer:]\n"
TRANSPORTS = ["chat-stream", "chat-json", "v1-json", "v1-stream"]
_MARK = re.compile(r"\[(\d+)\]")
pytestmark = pytest.mark.slow  # the end-to-end tests below use the real model


# -- fast unit tests: no model, no server -------------------------------------------------------

def _rewrite(chunks: list[str], n: int = 5) -> MarkerRewriter:
    r = MarkerRewriter(n)
    pieces = [p for c in chunks for p in r.feed(c)] + r.finish()
    assert "".join(p.text for p in pieces) == r.text
    return r


def test_markers_are_renumbered_and_invalid_ones_removed_across_chunk_boundaries() -> None:
    text = "  \n边界长7500公里。[3]俄罗斯是邻国[1, 3]。虚构[9]的句子【2】。[x] [12 末尾  \n"
    whole = _rewrite([text])
    assert whole.text == "边界长7500公里。[1]俄罗斯是邻国[2][1]。虚构的句子[3]。[x] [12 末尾"
    assert whole.passage_of == {1: 3, 2: 1, 3: 2} and whole.removed == [9]
    for size in (1, 2, 3, 7):
        r = _rewrite([text[i:i + size] for i in range(0, len(text), size)])
        assert (r.text, r.passage_of, r.removed) == (whole.text, whole.passage_of, whole.removed)
    assert _rewrite(["<thi", "nk>思考 [1]</th", "ink>\n答案[2]。"]).text == "答案[1]。"


def test_claims_attach_markers_to_the_text_before_them() -> None:
    claims = split_claims("甲说了一句话[1]，乙说了另一句话[2]。没有出处的一句。最后一句。[1]")
    assert [(c.text, c.citations) for c in claims] == [
        ("甲说了一句话", [1]), ("乙说了另一句话", [2]), ("没有出处的一句。", []), ("最后一句。", [1])]


def test_prompt_files_are_validated_and_overridable(tmp_path: Path) -> None:
    assert prompt_paths(None) == (PROMPTS_DIR / "answer.txt", PROMPTS_DIR / "condense.txt")
    custom = tmp_path / "mine.txt"
    custom.write_text("# comment\n=== system\nBe brief.\n=== user\n{passages}\nQ: {question}\n", encoding="utf-8")
    t = PromptTemplate.load(custom, ("passages", "question"))
    assert t.messages(passages="[1] a {x}", question="q?") == [
        {"role": "system", "content": "Be brief."}, {"role": "user", "content": "[1] a {x}\nQ: q?"}]
    assert prompt_paths(custom)[1] == PROMPTS_DIR / "condense.txt"
    (tmp_path / "condense.txt").write_text("=== user\n{history} {question}", encoding="utf-8")
    assert prompt_paths(custom)[1] == tmp_path / "condense.txt"
    custom.write_text("=== user\nno placeholders", encoding="utf-8")
    with pytest.raises(ConfigError, match="placeholder"):
        PromptTemplate.load(custom, ("passages", "question"))


def _client(handler: Any) -> LLMClient:
    s = Settings(llm_base_url="http://llm.test/v1", llm_model=MODEL, llm_timeout=2, llm_retries=1)
    return LLMClient(s, transport=httpx.MockTransport(handler))


def test_client_rejects_a_stream_that_ends_without_finishing() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        assert request.url.path == "/v1/chat/completions"
        body = 'data: {"choices": [{"delta": {"content": "半句"}}]}\n\n'
        return httpx.Response(200, text=body, headers={"content-type": "text/event-stream"})

    async def run() -> list[str]:
        client, got = _client(handler), []
        try:
            async for piece in client.stream([{"role": "user", "content": "q"}]):
                got.append(piece)
        finally:
            await client.aclose()
        return got

    with pytest.raises(LLMError, match="stopped"):
        asyncio.run(run())


def test_client_accepts_a_json_reply_to_a_stream_request() -> None:
    reply = {"choices": [{"message": {"role": "assistant", "content": "整句回答[1]"}}]}

    async def run() -> list[str]:
        client = _client(lambda request: httpx.Response(200, json=reply))
        try:
            return [p async for p in client.stream([{"role": "user", "content": "q"}])]
        finally:
            await client.aclose()

    assert asyncio.run(run()) == ["整句回答[1]"]


# -- end to end: a real server pointed at the fake LLM ------------------------------------------


@pytest.fixture(scope="module")
def fake() -> Iterator[FakeLLM]:
    f = FakeLLM(sleep=3.0).start()
    yield f
    f.stop()


@pytest.fixture(autouse=True)
def _script(request: pytest.FixtureRequest) -> None:
    if "fake" in request.fixturenames:
        f = request.getfixturevalue("fake")
        f.mode, f.condense_mode = "good", "ok"


@pytest.fixture(scope="module")
def llm_server(real_engine, real_settings: Settings, fake: FakeLLM,  # type: ignore[no-untyped-def]
               tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """`rag serve` over a copy of the seed index, answering through the fake LLM (2 s timeout, 1 retry)."""
    index_dir = tmp_path_factory.mktemp("llm-served") / "index"
    shutil.copytree(real_settings.index_dir, index_dir)
    log_path = tmp_path_factory.mktemp("llm-logs") / "server.log"
    env = {"RAG_INDEX_DIR": str(index_dir), "RAG_CACHE_DIR": str(real_settings.cache_dir),
           "RAG_LLM_BASE_URL": fake.url, "RAG_LLM_MODEL": MODEL, "RAG_LLM_API_KEY": LLM_KEY,
           "RAG_LLM_TIMEOUT": "2", "RAG_LLM_RETRIES": "1"}
    with rag_serve(env, log_path) as url:
        yield url


@pytest.fixture(scope="module")
def client(llm_server: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=llm_server, timeout=60) as c:
        yield c


@pytest.fixture(scope="module")
def extractive(real_engine) -> str:  # type: ignore[no-untyped-def]
    return str(real_engine.ask(Q).answer)


_sse = parse_sse


def _check_stream(events: list[tuple[str, dict[str, Any]]]) -> None:
    """The event contract, with resets: what follows the last reset adds up to the done answer."""
    names = [n for n, _ in events]
    assert names[0] == "retrieval" and names[-1] == "done" and names.count("done") == 1
    last_reset = max((i for i, n in enumerate(names) if n == "reset"), default=0)
    tail = events[last_reset:]
    assert "".join(d["text"] for n, d in tail if n == "delta") == events[-1][1]["answer"]
    for i, (n, d) in enumerate(tail):
        if n == "citation":
            assert tail[i - 1] == ("delta", {"text": f"[{d['n']}]"})


def ask(client: httpx.Client, transport: str, question: str = Q, history: tuple[str, ...] = ()) -> dict[str, Any]:
    """The answer as a client of `transport` sees it: text, citations, degraded, and the raw reply."""
    msgs = [{"role": "user", "content": h} for h in history] + [{"role": "user", "content": question}]
    if transport.startswith("chat"):
        body = {"messages": msgs, "stream": transport == "chat-stream"}
        if transport == "chat-json":
            done = client.post("/api/chat", json=body).json()
            return {**done, "text": done["answer"], "events": []}
        with client.stream("POST", "/api/chat", json=body) as r:
            assert r.status_code == 200
            events = _sse("".join(r.iter_text()))
        _check_stream(events)
        return {**events[-1][1], "text": events[-1][1]["answer"], "events": events}
    body = {"model": "rag-news", "messages": msgs, "stream": transport == "v1-stream"}
    if transport == "v1-json":
        r = client.post("/v1/chat/completions", json=body)
        assert r.status_code == 200, r.text
        d = r.json()
        return {"text": d["choices"][0]["message"]["content"], "citations": d["citations"],
                "answerable": d["answerable"], "degraded": d.get("degraded"), "raw": d}
    with client.stream("POST", "/v1/chat/completions", json=body) as r:
        assert r.status_code == 200
        lines = [ln[6:] for ln in r.iter_lines() if ln.startswith("data: ")]
    assert lines[-1] == "[DONE]"
    chunks = [json.loads(ln) for ln in lines[:-1]]
    last = chunks[-1]
    assert last["choices"][0]["finish_reason"] == "stop"
    text = "".join(c["choices"][0]["delta"].get("content") or "" for c in chunks)
    return {"text": text, "citations": last["citations"], "answerable": last["answerable"],
            "degraded": last.get("degraded"), "raw": chunks}


def _markers_consistent(text: str, citations: list[dict[str, Any]]) -> None:
    """Every [n] has a citation n, and markers are numbered 1..N in order of first appearance."""
    body = text.split("\n\n[1] ")[0]  # /v1 appends a source list
    seen = list(dict.fromkeys(int(n) for n in _MARK.findall(body)))
    assert seen == list(range(1, len(seen) + 1))
    assert sorted(c["n"] for c in citations) == seen


def test_readyz_reports_the_llm(client: httpx.Client) -> None:
    assert client.get("/readyz").json()["llm"] is True


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_good_answer_is_generated_streamed_and_verified(client: httpx.Client, fake: FakeLLM, transport: str) -> None:
    before = fake.calls("answer")
    a = ask(client, transport)
    assert fake.calls("answer") == before + 1 and not a.get("degraded")
    assert fake.requests[-1][2].get("authorization") == f"Bearer {LLM_KEY}"
    _markers_consistent(a["text"], a["citations"])
    assert len(a["citations"]) == 2 and all(c["supported"] is True for c in a["citations"])
    for c in a["citations"]:
        doc = client.get(f"/api/documents/{c['doc_id']}").json()
        assert doc["text"][c["start"]:c["end"]] == c["quote"]
    if transport.startswith("chat"):
        assert a["llm"] == MODEL and a["answerable"] is True
        # the fake cites prompt passage 2 first: it becomes [1]
        assert a["citations"][0]["chunk_id"] == a["passages"][1]["chunk_id"]
        assert a["citations"][1]["chunk_id"] == a["passages"][0]["chunk_id"]
        assert all(s["supported"] for s in a["verification"]["sentences"])
    if transport == "chat-stream":
        assert [n for n, _ in a["events"]].count("delta") > 5  # token deltas, as they arrived


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_invented_marker_is_removed(client: httpx.Client, fake: FakeLLM, transport: str) -> None:
    fake.mode = "invented"
    a = ask(client, transport)
    assert "[9]" not in a["text"] and not a.get("degraded")
    _markers_consistent(a["text"], a["citations"])
    if transport.startswith("chat"):
        assert a["verification"]["removed_markers"] == [9]


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_unsupported_claim_is_flagged(client: httpx.Client, fake: FakeLLM, transport: str) -> None:
    fake.mode = "unsupported"
    a = ask(client, transport)
    assert UNSUPPORTED in a["text"]
    _markers_consistent(a["text"], a["citations"])
    assert [c["supported"] for c in a["citations"]] == [True, False]
    if transport.startswith("chat"):
        flagged = [s for s in a["verification"]["sentences"] if s["supported"] is False]
        assert [s["citations"] for s in flagged] == [[2]] and "企鹅" in flagged[0]["text"]
        assert a["verification"]["unsupported"] == 1


FAILURES = {"slow": "did not respond within 2 s", "error500": "HTTP 500", "drop": "stopped before",
            "garbage": "malformed"}


@pytest.mark.parametrize("mode", list(FAILURES))
@pytest.mark.parametrize("transport", TRANSPORTS)
def test_llm_failure_falls_back_to_the_extractive_answer(client: httpx.Client, fake: FakeLLM, extractive: str,
                                                         mode: str, transport: str) -> None:
    fake.mode = mode
    before = fake.calls("answer")
    a = ask(client, transport)
    assert FAILURES[mode] in (a["degraded"] or "")
    assert a["answerable"] is True and a["citations"] and all("supported" not in c for c in a["citations"])
    if transport.startswith("chat"):
        assert a["text"] == extractive and "llm" not in a
    elif mode == "drop" and transport == "v1-stream":  # sent text stays; the fallback follows a separator
        assert RESET_SEPARATOR + extractive in a["text"]
    else:
        assert a["text"].startswith(extractive)
    if transport == "chat-stream":
        assert ("reset" in [n for n, _ in a["events"]]) == (mode == "drop")
    retried = mode in ("slow", "error500")  # before any text arrived: one bounded retry (RAG_LLM_RETRIES=1)
    assert fake.calls("answer") - before == (2 if retried else 1)


def test_llm_saying_the_passages_lack_the_answer_is_not_answerable(client: httpx.Client, fake: FakeLLM) -> None:
    fake.mode = "notfound"
    a = ask(client, "chat-json")
    assert a["answer"] == NOT_FOUND and a["answerable"] is False and not a["citations"] and a["nearest"]


@pytest.mark.parametrize("transport", ["chat-stream", "v1-json"])
def test_the_llm_sees_passages_the_gate_would_refuse_and_may_decline(client: httpx.Client, fake: FakeLLM,
                                                                     transport: str) -> None:
    """The extractive gate is a prior, not a veto: with candidates retrieved, the LLM is asked."""
    fake.mode = "notfound"
    before = fake.calls("answer")
    a = ask(client, transport, UNANSWERABLE)
    assert fake.calls("answer") == before + 1
    assert a["answerable"] is False and not a["citations"] and not a.get("degraded")


def test_gate_confidence_is_reported_with_the_llm_answer(client: httpx.Client) -> None:
    a = ask(client, "chat-json")
    assert a["answerable"] is True and 0.0 <= a["confidence"] <= 1.0


@pytest.mark.parametrize("transport", ["chat-json", "chat-stream"])
def test_an_unmarked_llm_answer_gets_its_citations_from_the_support_check(client: httpx.Client, fake: FakeLLM,
                                                                          transport: str) -> None:
    fake.mode = "unmarked"
    a = ask(client, transport)
    assert a["answerable"] is True and a["citations"] and not a.get("degraded")
    _markers_consistent(a["text"], a["citations"])
    assert all(c.get("supported") is not False for c in a["citations"])


@pytest.mark.parametrize("transport", ["chat-json", "chat-stream", "v1-json"])
def test_uncited_llm_text_never_goes_out_as_an_answer(client: httpx.Client, fake: FakeLLM, extractive: str,
                                                      transport: str) -> None:
    """`集安组织是哪一年成立的？` -> `2002年` with no marker: no passage supports it, so the extractive answer
    replaces it, with a notice."""
    fake.mode = "unmarked-invented"
    a = ask(client, transport)
    assert "2002" not in a["text"] and a["degraded"] and "citation" in a["degraded"]
    assert a["text"].split("\n\n[1] ")[0] == extractive
    if transport == "chat-stream":
        assert "reset" in [n for n, _ in a["events"]]


@pytest.mark.parametrize("transport", ["chat-json", "chat-stream"])
def test_follow_up_is_condensed_by_the_llm(client: httpx.Client, fake: FakeLLM, transport: str) -> None:
    before = fake.calls("condense")
    a = ask(client, transport, "他是哪一年下台的？", history=("纳扎尔巴耶夫是谁？",))
    assert fake.calls("condense") == before + 1
    condense_req = [b for k, b, _ in fake.requests if k == "condense"][-1]
    assert "纳扎尔巴耶夫是谁？" in json.dumps(condense_req["messages"], ensure_ascii=False)
    assert a["search_query"] == fake.condense_reply
    answer_req = [b for k, b, _ in fake.requests if k == "answer"][-1]
    assert fake.condense_reply in answer_req["messages"][-1]["content"]


def test_condensation_failure_falls_back_to_the_rule(client: httpx.Client, fake: FakeLLM) -> None:
    fake.condense_mode = "error500"
    a = ask(client, "chat-json", "他是哪一年下台的？", history=("纳扎尔巴耶夫是谁？",))
    assert a["search_query"] == "纳扎尔巴耶夫是谁？ 他是哪一年下台的？" and a["answer"]


def test_refused_connection_falls_back_in_process(real_engine, real_settings: Settings) -> None:  # type: ignore[no-untyped-def]
    from rag.llm import LLMAnswerer

    s = real_settings.replace(llm_base_url=f"http://127.0.0.1:{free_port()}/v1", llm_model=MODEL,
                              llm_timeout=2.0, llm_retries=1)

    async def run() -> list[tuple[str, dict[str, Any]]]:
        llm = LLMAnswerer(s)
        try:
            return [ev async for ev in llm.stream(real_engine, real_engine.retrieve(Q))]
        finally:
            await llm.aclose()

    events = asyncio.run(run())
    done = events[-1][1]
    assert events[-1][0] == "done" and "refused" in done["degraded"]
    assert done["answer"] == real_engine.ask(Q).answer and "reset" not in [n for n, _ in events]
