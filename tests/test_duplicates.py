"""Duplicate stories (issue 14, item 2): re-posts and syndicated copies collapse into one result with
`also_reported_by`; another outlet's report with different facts never does; detection is MinHash LSH."""

from __future__ import annotations

import os
import random
import shutil
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import httpx
import pytest
from servers import serve_in_thread

from rag.api.app import create_app
from rag.duplicates import DUPLICATE_THRESHOLD, article_figures, duplicates, facts_differ, groups, minhash
from rag.engine import Engine
from rag.retrieval import Retriever
from rag.settings import Settings
from rag.sources import load_paths
from rag.types import Article

SEEDS = Path(__file__).resolve().parents[1] / "seeds"
RFA = "002_b1eebe35896f2b82"  # RFA 2022-01-11, the Kazakhstan unrest
AJ = "004_43fb4c2225c36c2c"  # Al Jazeera 2022-01-08, the same unrest, other casualty figures


@pytest.fixture(scope="module")
def seeds() -> dict[str, Article]:
    arts, problems = load_paths([SEEDS])
    assert not problems
    return {a.id: a for a in arts}


def repost(a: Article, rnd: random.Random, doc_id: str | None = None, source: str = "转载网") -> Article:
    """A re-published copy: new headline and outlet, 1.5% of its Chinese characters changed (never a digit)."""
    t = list(a.text)
    for _ in range(max(3, len(t) * 3 // 200)):
        i = rnd.randrange(len(t))
        while not "\u4e00" <= t[i] <= "\u9fff":
            i = rnd.randrange(len(t))
        t[i] = "的"
    return replace(a, id=doc_id or a.id + "-repost", title="转载：" + a.title, source=source, url=None,
                   text="".join(t))


def syndicated(a: Article) -> Article:
    """A wire copy with its last paragraph cut."""
    return replace(a, id=a.id + "-wire", source="Wire", url=None, text="\n".join(a.text.split("\n")[:-1]))


def test_threshold_measurement(seeds: dict[str, Article]) -> None:
    """The measurement behind DUPLICATE_THRESHOLD: copies score far above it, different reports far below."""
    rnd = random.Random(0)
    for a in seeds.values():
        for copy in (repost(a, rnd), syndicated(a)):
            assert minhash(a.text).jaccard(minhash(copy.text)) >= 0.8 > DUPLICATE_THRESHOLD
            assert duplicates(a, copy)
    ids = sorted(seeds)
    for i, x in enumerate(ids):
        for y in ids[i + 1:]:
            assert minhash(seeds[x].text).jaccard(minhash(seeds[y].text)) <= 0.1 < DUPLICATE_THRESHOLD
            assert not duplicates(seeds[x], seeds[y])


def test_rfa_and_al_jazeera_on_the_unrest_do_not_collapse(seeds: dict[str, Article]) -> None:
    rfa, aj = seeds[RFA], seeds[AJ]
    assert facts_differ(article_figures(rfa), article_figures(aj))  # different casualty figures
    assert not duplicates(rfa, aj)
    assert groups([rfa, aj])[0] == {}


def test_a_changed_figure_is_never_collapsed_however_similar(seeds: dict[str, Article]) -> None:
    aj = seeds[AJ]
    assert "4266" in aj.text
    changed = replace(aj, id="aj-changed", source="另一家", text=aj.text.replace("4266", "5000"))
    assert minhash(aj.text).jaccard(minhash(changed.text)) > 0.9
    assert not duplicates(aj, changed)
    assert duplicates(aj, repost(aj, random.Random(1)))


def test_lsh_finds_planted_duplicates_without_comparing_all_pairs() -> None:
    rnd = random.Random(7)
    alphabet = [chr(c) for c in range(0x4E00, 0x4E00 + 3000)]
    base = [Article(id=f"a{i}", title=f"标题{i}", text="".join(rnd.choices(alphabet, k=400)), source="社")
            for i in range(2000)]
    planted = {f"a{i}": repost(base[i], rnd, doc_id=f"a{i}-copy") for i in range(0, 2000, 100)}
    found, candidates = groups(base + list(planted.values()))
    assert found == {orig: [copy.id] for orig, copy in planted.items()}
    n = len(base) + len(planted)
    assert candidates < 2 * len(planted) < n * (n - 1) // 2  # LSH: about one candidate per planted pair


def _engine(settings: Settings, fake_embedder, seeds: dict[str, Article]) -> Engine:  # type: ignore[no-untyped-def]
    eng = Engine(settings, fake_embedder)
    aj = seeds[AJ]
    eng.upsert([*seeds.values(), repost(aj, random.Random(2), doc_id="aj-repost", source="BBC"),
                syndicated(aj)])
    return eng


def test_engine_search_collapses_copies_and_names_them(settings: Settings, fake_embedder,  # type: ignore[no-untyped-def]
                                                        seeds: dict[str, Article]) -> None:
    eng = _engine(settings, fake_embedder, seeds)
    first = eng.search("托卡耶夫 哀悼 集安组织峰会", k=10)
    res = eng.search("托卡耶夫 哀悼 集安组织峰会", k=10)  # the signatures now come from the cache
    assert res == first
    docs = [r["doc_id"] for r in res]
    copies = {AJ, "aj-repost", AJ + "-wire"}
    kept = [d for d in docs if d in copies]
    assert kept and len(set(kept)) == 1  # one article of the three stands for all
    also = next(r["also_reported_by"] for r in res if r["doc_id"] == kept[0])
    assert {d["doc_id"] for d in also} == copies - {kept[0]}
    assert all(set(d) == {"doc_id", "title", "source", "published", "url"} for d in also)
    # the copies met after the pool is full are still named (they rank beside the original)
    top, _ = Retriever(eng.snapshot, fake_embedder, settings).pool("托卡耶夫宣布全国哀悼日 集安组织峰会", 1)
    assert top[0].chunk.doc_id in copies and len(top[0].also_reported_by) == 2
    for r in res:  # the RFA report, different figures, is never among anyone's duplicates
        assert RFA not in {d["doc_id"] for d in r.get("also_reported_by", [])}
        if r["doc_id"] not in copies:
            assert "also_reported_by" not in r


@pytest.fixture(scope="module")
def dup_server(real_settings: Settings, real_engine, real_embedder, seeds: dict[str, Article],  # type: ignore[no-untyped-def]
               tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A real server over the seeds plus a re-post of the Al Jazeera unrest article by "BBC"."""
    index_dir = tmp_path_factory.mktemp("dup") / "index"
    shutil.copytree(real_settings.index_dir, index_dir)  # the seeds, built once by `real_engine`
    s = real_settings.replace(index_dir=index_dir)
    eng = Engine.open(s, embedder=real_embedder)
    eng.upsert([repost(seeds[AJ], random.Random(3), doc_id="aj-repost", source="BBC")])
    with serve_in_thread(create_app(s, eng)) as url:
        yield url


def test_api_search_and_answer_citations_name_the_copies(dup_server: str) -> None:
    url = dup_server
    res = httpx.get(url + "/api/search", params={"q": "托卡耶夫宣布全国哀悼日", "k": 5}, timeout=60).json()["results"]
    assert len({r["doc_id"] for r in res} & {AJ, "aj-repost"}) == 1
    top = next(r for r in res if r["doc_id"] in {AJ, "aj-repost"})
    other = ({AJ, "aj-repost"} - {top["doc_id"]}).pop()
    assert [d["doc_id"] for d in top["also_reported_by"]] == [other]

    ans = httpx.post(url + "/api/ask", json={"question": "哈萨克斯坦动乱中托卡耶夫宣布哪一天为全国哀悼日？"},
                     timeout=120).json()
    assert ans["answerable"]
    assert len({p["doc_id"] for p in ans["passages"]} & {AJ, "aj-repost"}) == 1
    cited = [c for c in ans["citations"] if c["doc_id"] in {AJ, "aj-repost"}]
    assert cited and all(c["also_reported_by"][0]["source"] in {"BBC", "Aljazeera 半岛网"} for c in cited)
    for c in ans["citations"]:
        if c["doc_id"] not in {AJ, "aj-repost"}:
            assert "also_reported_by" not in c


@pytest.mark.browser
def test_the_web_chat_shows_also_reported_by(dup_server: str) -> None:
    if os.environ.get("RAG_SKIP_BROWSER_TESTS") == "1":
        pytest.skip("RAG_SKIP_BROWSER_TESTS=1")
    from playwright.sync_api import sync_playwright
    from test_browser import ARGS, CHROMIUM, Tab, ask, expect, shot

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        tab = Tab(browser, dup_server.rstrip("/"), 1280, 1000)
        try:
            page = tab.open()
            answer = ask(page, "哈萨克斯坦动乱中托卡耶夫宣布哪一天为全国哀悼日？")
            cited = [c for c in answer["citations"] if c.get("also_reported_by")]
            assert cited, answer
            msg = page.locator("#messages li.msg.assistant").last
            for c in answer["citations"]:
                also = msg.locator(f'.source-item[data-n="{c["n"]}"] .src-also')
                if c.get("also_reported_by"):
                    names = ", ".join(dict.fromkeys(d["source"] for d in c["also_reported_by"]))
                    expect(also).to_have_text(f"也见于 · Also reported by: {names}")
                else:
                    expect(also).to_have_count(0)
            shot(page, "also-reported-by.png")
            assert not tab.errors, tab.errors
        finally:
            tab.close()
            browser.close()
