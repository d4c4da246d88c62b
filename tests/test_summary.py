"""Summaries (rag.summary): centrality over stored sentence vectors on articles of known structure, the
request detection, and the API (GET /api/documents/{id}/summary, and chat "总结一下…") over a real server."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import httpx
import numpy as np
import pytest
from servers import parse_sse, serve_in_thread

from rag.errors import NotFound
from rag.settings import Settings
from rag.store import write
from rag.summary import (
    Unit,
    article_units,
    centrality,
    is_summary_request,
    pick,
    summarize_document,
    summary_length,
    summary_query,
)
from rag.types import Article, Chunk

RFA = "002_b1eebe35896f2b82"
_MARKERS = re.compile(r"\[(\d+)\]")

# An article of known structure: six sentences on its theme (the unrest in Kazakhstan), a sub-heading, an
# off-topic aside, a photo credit and a very short unit.
THEME = [
    "哈萨克斯坦一月爆发骚乱，燃料价格上涨引发哈萨克斯坦全国抗议。",
    "骚乱期间，哈萨克斯坦政府宣布紧急状态，抗议者与安全部队在阿拉木图发生冲突。",
    "托卡耶夫总统称哈萨克斯坦骚乱是一场未遂政变，并请求集安组织派兵平息骚乱。",
    "集安组织维和部队抵达哈萨克斯坦后，骚乱逐渐平息，数千名抗议者被捕。",
    "哈萨克斯坦骚乱造成两百多人死亡，哈萨克斯坦政府随后宣布全国哀悼日。",
    "分析人士认为，这次骚乱暴露了哈萨克斯坦政治精英之间的权力斗争。",
]
ASIDE = "笔者的邻居上周末在家里烤了一个巧克力蛋糕，味道很甜，孩子们都很喜欢吃。"
SUBHEAD, CREDIT, SHORT = "局势回顾", "（图片来源：路透社资料图片）", "他说。"
TEXT = "\n".join([THEME[0], THEME[1], SUBHEAD, THEME[2], THEME[3], ASIDE, THEME[4], CREDIT, SHORT, THEME[5]])
ARTICLE = Article(id="kz-unrest", title="哈萨克斯坦骚乱后的局势", text=TEXT, source="测试通讯社",
                  published="2022-01-12")


def _units(vectors: np.ndarray) -> list[Unit]:
    chunk = Chunk("a#0", "a", 0, 0, 1, "x")
    return [Unit("a", i, i + 1, f"第{i}句不同的内容", chunk, v) for i, v in enumerate(vectors)]


def test_centrality_puts_the_theme_above_an_aside() -> None:
    rng = np.random.default_rng(7)
    theme = rng.normal(size=32)
    vecs = [theme + 0.6 * rng.normal(size=32) for _ in range(5)] + [rng.normal(size=32)]  # the last: the aside
    vecs = np.array([v / np.linalg.norm(v) for v in vecs])
    c = centrality(vecs)
    assert c.sum() == pytest.approx(1.0) and int(np.argmin(c)) == 5
    # a teleport towards the aside (a topic it matches) lifts it
    assert centrality(vecs, np.array([0.01] * 5 + [1.0]))[5] > c[5]


def test_pick_skips_a_near_copy_and_keeps_the_given_order() -> None:
    a, b, c = np.eye(3)
    units = _units(np.array([a, b, a, c]))
    for u, s in zip(units, (0.25, 0.3, 0.2, 0.1)):
        u.score = s
    chosen = pick(units, 3)
    assert [u.start for u in chosen] == [0, 1, 3]  # the copy of unit 0 (unit 2) is never picked beside it


@pytest.mark.parametrize(("n", "k"), [(2, 2), (5, 3), (11, 3), (12, 4), (23, 4), (24, 5), (80, 5)])
def test_summary_length(n: int, k: int) -> None:
    assert summary_length(n) == k


@pytest.mark.parametrize("q", ["总结一下哈萨克斯坦骚乱", "请概括一下这篇文章", "概括哈萨克斯坦骚乱", "哈萨克斯坦骚乱的摘要",
                               "總結一下哈薩克斯坦騷亂", "摘要：哈萨克斯坦骚乱", "能帮我总结一下骚乱的原因吗？",
                               "Summarize the unrest in Kazakhstan", "sum up the Kazakhstan protests"])
def test_summary_requests(q: str) -> None:
    assert is_summary_request(q)


@pytest.mark.parametrize("q", ["纳扎尔巴耶夫哪一年下台？", "总结报告是哪天发布的？", "哈萨克斯坦骚乱的原因是什么？",
                               "What is the summary judgment?", "Who is the president of Kazakhstan?"])
def test_questions_are_not_summary_requests(q: str) -> None:
    assert not is_summary_request(q)


def test_summary_query_keeps_the_topic() -> None:
    assert summary_query("总结一下哈萨克斯坦骚乱") == "哈萨克斯坦骚乱"
    assert summary_query("请帮我概括一下关于哈萨克斯坦骚乱的情况吧") == "哈萨克斯坦骚乱的情况"
    assert summary_query("Summarize the unrest in Kazakhstan") == "unrest in Kazakhstan"
    assert summary_query("总结一下这篇文章", ["纳扎尔巴耶夫是谁？"]) == "纳扎尔巴耶夫是谁？ 这篇文章"


def _check_summary(d: dict[str, Any], texts: dict[str, str]) -> None:
    """The answer contract: 3-5 cited sentences, each quote exactly its span, markers matching citations."""
    cits = d["citations"]
    assert d["answerable"] and 3 <= len(cits) <= 5
    assert [int(n) for n in _MARKERS.findall(d["answer"])] == [c["n"] for c in cits] == list(range(1, len(cits) + 1))
    for c in cits:
        assert texts[c["doc_id"]][c["start"]:c["end"]] == c["quote"] and len(c["quote"]) >= 10
        assert c["chunk_id"].startswith(c["doc_id"] + "#") and c["title"] and "published" in c


def _document_summary(snap: Any, doc_id: str) -> dict[str, Any]:
    return summarize_document(snap, doc_id).to_dict()


def test_document_summary_on_known_structure(settings: Settings, fake_embedder) -> None:  # type: ignore[no-untyped-def]
    snap, _ = write(settings.index_dir, settings, fake_embedder, replace=[ARTICLE])
    d = _document_summary(snap, ARTICLE.id)
    _check_summary(d, {ARTICLE.id: TEXT})
    quotes = [c["quote"] for c in d["citations"]]
    assert len(quotes) == 3 and set(quotes) <= set(THEME)  # 6 eligible units: 3; no aside, sub-heading, credit
    assert [c["start"] for c in d["citations"]] == sorted(c["start"] for c in d["citations"])  # article order
    assert d["passages"] and all(p["doc_id"] == ARTICLE.id for p in d["passages"])
    with pytest.raises(NotFound):
        summarize_document(snap, "no-such-article")


def test_a_pdf_summary_cites_pages(settings: Settings, fake_embedder) -> None:  # type: ignore[no-untyped-def]
    page2 = TEXT.index(THEME[3])
    pdf = Article(id="kz.pdf", title=ARTICLE.title, text=TEXT, pages=(0, page2))
    snap, _ = write(settings.index_dir, settings, fake_embedder, replace=[pdf])
    cits = _document_summary(snap, pdf.id)["citations"]
    assert [c["page"] for c in cits] == [1 if c["start"] < page2 else 2 for c in cits] and {1, 2} <= {c["page"] for c in cits}


@pytest.mark.slow
def test_real_vectors_rank_the_theme_above_the_aside(settings: Settings, real_embedder) -> None:  # type: ignore[no-untyped-def]
    s = settings.replace(index_dir=settings.index_dir.parent / "real-small")
    snap, _ = write(s.index_dir, s, real_embedder, replace=[ARTICLE])
    units = article_units(snap, ARTICLE.id)
    assert [u.text for u in units] == [THEME[0], THEME[1], THEME[2], THEME[3], ASIDE, THEME[4], THEME[5]]
    c = centrality(np.vstack([u.vector for u in units]))
    assert int(np.argmin(c)) == 4  # the aside is the least central unit
    assert ASIDE not in [x["quote"] for x in _document_summary(snap, ARTICLE.id)["citations"]]


# -- the API over a real server and the real model -----------------------------------------------


@pytest.fixture(scope="module")
def client(real_settings: Settings, real_engine) -> Iterator[httpx.Client]:  # type: ignore[no-untyped-def]
    from rag.api.app import create_app

    with serve_in_thread(create_app(real_settings, real_engine)) as url, \
            httpx.Client(base_url=url, timeout=120) as c:
        yield c


def _texts(client: httpx.Client, d: dict[str, Any]) -> dict[str, str]:
    return {i: client.get(f"/api/documents/{i}").json()["text"] for i in {c["doc_id"] for c in d["citations"]}}


def _chat(client: httpx.Client, question: str) -> dict[str, Any]:
    r = client.post("/api/chat", json={"messages": [{"role": "user", "content": question}]})
    assert r.status_code == 200, r.text
    return r.json()  # type: ignore[no-any-return]


@pytest.mark.slow
def test_document_summary_endpoint(client: httpx.Client) -> None:
    r = client.get(f"/api/documents/{RFA}/summary")
    assert r.status_code == 200
    d = r.json()
    _check_summary(d, _texts(client, d))
    assert {c["doc_id"] for c in d["citations"]} == {RFA}
    assert [c["start"] for c in d["citations"]] == sorted(c["start"] for c in d["citations"])
    # the same summary in chat, asked by the article's title
    assert _chat(client, d["question"])["citations"] == d["citations"]


@pytest.mark.slow
def test_document_summary_of_an_unknown_id_is_404(client: httpx.Client) -> None:
    r = client.get("/api/documents/no-such-article/summary")
    assert r.status_code == 404 and r.json()["error"]["code"] == "not_found"


@pytest.mark.slow
def test_a_topic_summary_in_chat_cites_several_articles(client: httpx.Client) -> None:
    d = _chat(client, "总结一下哈萨克斯坦骚乱")
    _check_summary(d, _texts(client, d))
    assert len({c["doc_id"] for c in d["citations"]}) >= 2
    assert d["search_query"] == "哈萨克斯坦骚乱"
    quotes = [c["quote"] for c in d["citations"]]
    assert len(set(quotes)) == len(quotes)


@pytest.mark.slow
def test_a_topic_summary_streams_like_any_answer(client: httpx.Client) -> None:
    body = {"stream": True, "messages": [{"role": "user", "content": "Summarize the unrest in Kazakhstan"}]}
    with client.stream("POST", "/api/chat", json=body) as r:
        events = parse_sse("".join(r.iter_text()))
    done = events[-1][1]
    assert events[-1][0] == "done" and done["answerable"] and len(done["citations"]) >= 3
    assert "".join(e["text"] for n, e in events if n == "delta") == done["answer"]
    assert [e["n"] for n, e in events if n == "citation"] == [c["n"] for c in done["citations"]]


@pytest.mark.slow
def test_a_summary_of_an_uncovered_topic_is_refused(client: httpx.Client) -> None:
    d = _chat(client, "总结一下苹果公司的财报")
    assert d["answerable"] is False and not d["citations"] and d["nearest"]
