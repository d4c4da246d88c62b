"""Both storage backends through the same tests (issue 15), so that they cannot drift apart: the embedded FAISS
segment store ("segments") and Milvus ("milvus": Milvus Lite, in this process, on a .db path, speaking the
pymilvus API a Milvus server speaks). Build, upsert, delete, search, filters, restart, and the answer
contract over HTTP with the real model; plus the Milvus store's recovery from a write that died half-way."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from fakes import HashEmbedder
from servers import serve_in_thread
from test_seed_questions import ANSWERABLE, UNANSWERABLE

from rag.api.app import create_app
from rag.collections import Library
from rag.engine import Engine, build
from rag.errors import IndexMismatch, IndexNotFound, NotFound
from rag.retrieval import Filters, Retriever
from rag.settings import Settings
from rag.types import Article

ROOT = Path(__file__).resolve().parents[1]
SEEDS = ROOT / "seeds"
BACKENDS = ["segments", "milvus"]
KEY = "backends-test-key"
RFI, ALJ1, RFA = "000_569cd607f5d77cb9", "001_e32b6f08af1d666b", "002_b1eebe35896f2b82"
NEW = Article(id='n1 "引号"', title="阿拉木图地铁新线开通", source="新华社", published="2024-03-05T08:00:00+00:00",
              text="阿拉木图地铁二号线于三月五日开通运营，全长八点六公里，设有五座车站。市长表示，新线每天可运送乘客四万人次。")


def _settings(root: Path, backend: str, **kw: object) -> Settings:
    s = Settings.from_env(environ={}, env_file=None, index_dir=root / "index",
                          cache_dir=Path(os.environ.get("RAG_CACHE_DIR", Settings().cache_dir)), **kw)
    return s.replace(store_uri=str(root / "milvus.db")) if backend == "milvus" else s


def _close(s: Settings) -> None:
    """Stop this process's Milvus Lite on the settings' .db (the next open reads it from disk)."""
    if s.store_uri:
        from rag.store.milvus.db import release

        release(s.store_uri)


@pytest.fixture(params=BACKENDS)
def backend_settings(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Settings]:
    s = _settings(tmp_path, request.param)
    yield s
    _close(s)


@pytest.fixture
def engine(backend_settings: Settings, fake_embedder: HashEmbedder) -> Engine:
    build(backend_settings, [SEEDS], embedder=fake_embedder)
    return Engine.open(backend_settings, embedder=fake_embedder)


def _top(eng: Engine, q: str, k: int = 5, filters: Filters | None = None) -> list[str]:
    return [str(h["chunk_id"]) for h in eng.search(q, k=k, filters=filters)]


def _consistent(eng: Engine) -> None:
    """Every passage is its article's text at its offsets, and ids, rows and chunks agree."""
    snap = eng.snapshot
    n = 0
    for doc_id in snap.articles:
        art = snap.article(doc_id)
        rows = snap.article_rows(doc_id)
        for i, row in enumerate(rows):
            c = snap.chunk_at(row)
            assert (c.doc_id, c.ordinal, c.id) == (doc_id, i, f"{doc_id}#{i}") and snap.row_of(c.id) == row
            assert art.text[c.start:c.end] == c.text
        starts, ends, vecs = snap.sentences.within(doc_id, 0, len(art.text))
        assert len(starts) == len(ends) == len(vecs) > 0 and vecs.shape[1] == snap.config["dim"]
        n += len(rows)
    assert n == len(snap) == sum(1 for _ in snap.iter_chunks())
    assert snap.vectors(snap.article_rows(RFI)).shape == (len(snap.article_rows(RFI)), snap.config["dim"])


def test_build_reads_back_every_article_and_passage(engine: Engine) -> None:
    snap = engine.snapshot
    assert set(snap.articles) == {p.stem for p in SEEDS.glob("*.txt")} and len(snap.hashes) == 5
    assert snap.article(RFI).source == "RFI 法广" and snap.article(RFI).published == "2023-06-30T10:45:01+00:00"
    assert sorted(s or "" for s, _ in snap.outlets_and_dates()) == sorted(a.source or "" for a in snap.articles.values())
    _consistent(engine)
    again, _ = build(engine.settings, [SEEDS], embedder=engine.embedder)
    assert again.embedded == 0 and again.unchanged == 5


def test_search_and_filters(engine: Engine) -> None:
    assert _top(engine, "纳扎尔巴耶夫 下台", 3)[0].startswith(ALJ1)
    by_outlet = engine.search("哈萨克斯坦 骚乱", k=10, filters=Filters(source="aljazeera"))
    assert by_outlet and all(h["source"] == "Aljazeera 半岛网" for h in by_outlet)
    in_2023 = engine.search("哈萨克斯坦 骚乱", k=10, filters=Filters(date_from="2023-01-01", date_to="2023-12-31"))
    assert in_2023 and {h["doc_id"] for h in in_2023} == {RFI}
    jan = engine.search("哈萨克斯坦", k=20, filters=Filters(source="RFA", date_to="2022-01-31"))
    assert jan and {h["doc_id"] for h in jan} == {RFA}
    assert engine.search("哈萨克斯坦", k=5, filters=Filters(source="没有这家媒体")) == []
    # any predicate, not only Filters, through the interface's other path
    snap = engine.snapshot
    allowed = snap.allowed(lambda source, published: (published or "") < "2022-02")
    assert {snap.chunk_at(r).doc_id for r, _ in snap.dense(engine.embedder.encode_queries(["哈萨克斯坦"])[0], 50, allowed)} \
        == {RFA, "004_43fb4c2225c36c2c"}


def test_upsert_replace_and_delete(engine: Engine) -> None:
    report = engine.upsert([NEW])
    assert report.added == [NEW.id] and report.embedded == len(engine.snapshot.article_rows(NEW.id)) > 0
    assert _top(engine, "阿拉木图 地铁 二号线", 1)[0] == f"{NEW.id}#0"
    assert engine.snapshot.knows("阿拉木图") and engine.upsert([NEW]).embedded == 0
    changed = Article(**{**NEW.__dict__, "text": NEW.text.replace("四万", "六万") + "地铁票价为每次八十坚戈。"})
    assert engine.upsert([changed]).updated == [NEW.id]
    assert engine.snapshot.article(NEW.id).text == changed.text
    assert any("坚戈" in c.text for c in map(engine.snapshot.chunk_at, engine.snapshot.article_rows(NEW.id)))
    assert all("四万" not in c.text for c in engine.snapshot.iter_chunks())
    _consistent(engine)
    engine.delete(NEW.id)
    with pytest.raises(NotFound):
        engine.snapshot.article(NEW.id)
    assert NEW.id not in engine.snapshot.articles and not engine.snapshot.knows("坚戈")
    assert all(not h.startswith(NEW.id) for h in _top(engine, "阿拉木图 地铁 二号线", 10))
    with pytest.raises(NotFound):
        engine.delete(NEW.id)
    _consistent(engine)


def test_a_long_article_reads_back_whole(engine: Engine) -> None:
    """More passages and sentence units than one key lookup fetches (Milvus reads an article's rows by key, 64 at a
    time), and a text longer than one 16,000-character slice."""
    text = "".join(f"第{i}段：阿拉木图地铁的第{i}座车站今天开放，乘客可以换乘公交车。" for i in range(800))
    engine.upsert([Article(id="long", title="长文", text=text)])
    snap = engine.snapshot
    assert len(snap.article_rows("long")) > 64 and len(snap.sentences.within("long", 0, len(text))[0]) > 64
    assert snap.article("long").text == text and snap.chunk_at(snap.article_rows("long")[-1]).end == len(text)
    _consistent(engine)


def test_restart_gives_the_same_results(backend_settings: Settings, fake_embedder: HashEmbedder) -> None:
    build(backend_settings, [SEEDS], embedder=fake_embedder)
    eng = Engine.open(backend_settings, embedder=fake_embedder)
    eng.upsert([NEW])
    eng.delete(RFI)
    questions = ["哈萨克斯坦与俄罗斯的边界有多长？", "阿拉木图地铁", "集安组织 维和人员", "普京"]
    before = [_top(eng, q) for q in questions] + [_top(eng, "哈萨克斯坦", filters=Filters(source="aljazeera"))]
    idf = eng.snapshot.idf(["哈萨克斯坦", "地铁", "招兵买马"])
    _close(backend_settings)
    again = Engine.open(backend_settings, embedder=fake_embedder)
    assert [_top(again, q) for q in questions] + [_top(again, "哈萨克斯坦", filters=Filters(source="aljazeera"))] == before
    assert again.snapshot.idf(["哈萨克斯坦", "地铁", "招兵买马"]) == idf and RFI not in again.snapshot.articles
    assert again.snapshot.generation == eng.snapshot.generation


def test_missing_and_mismatched_indexes_are_refused(backend_settings: Settings, fake_embedder: HashEmbedder) -> None:
    with pytest.raises(IndexNotFound, match="rag build"):
        Engine.open(backend_settings, embedder=fake_embedder)
    build(backend_settings, [SEEDS], embedder=fake_embedder)
    with pytest.raises(IndexMismatch, match="dim"):
        Engine.open(backend_settings, embedder=HashEmbedder(dim=64))
    # a build with the other model rebuilds it
    report, _ = build(backend_settings, [SEEDS], embedder=HashEmbedder(dim=64))
    assert len(report.added) == 0 and report.embedded == report.chunks
    assert Engine.open(backend_settings, embedder=HashEmbedder(dim=64)).snapshot.config["dim"] == 64


def test_term_statistics_match_between_backends(tmp_path: Path, fake_embedder: HashEmbedder) -> None:
    engines = {}
    for b in BACKENDS:
        s = _settings(tmp_path / b, b)
        build(s, [SEEDS], embedder=fake_embedder)
        engines[b] = Engine.open(s, embedder=fake_embedder)
        engines[b].upsert([NEW])
        engines[b].delete(RFA)
    seg, mil = engines["segments"].snapshot, engines["milvus"].snapshot
    tokens = ["哈萨克斯坦", "俄罗斯", "地铁", "集安组织", "托卡耶夫", "不存在的词", "边界"]
    assert len(seg) == len(mil) and seg.idf(tokens) == pytest.approx(mil.idf(tokens))
    weights = {"哈萨克斯坦": 1.0, "俄罗斯": 2.0, "地铁": 4.0, "边界": 8.0}
    ids = [c.id for c in seg.iter_chunks()]
    assert seg.coverage([seg.row_of(i) for i in ids], weights) == mil.coverage([mil.row_of(i) for i in ids], weights)
    _close(engines["milvus"].settings)


def test_collections_are_indexes_of_their_own(engine: Engine) -> None:
    """rag.collections on both backends: with Milvus each collection has Milvus collections of its own (also one named
    like the index directory, which once shared the default index's), listed, reopened and dropped."""
    s, emb = engine.settings, engine.embedder
    lib = Library(s, emb, default=engine)
    for name in ("index", "sport-news"):  # "index": the default index directory's own name
        lib.create(name)
    assert lib.names() == ["default", "index", "sport-news"] and lib.exists("sport-news") and not lib.exists("other")
    lib.get("sport-news").upsert([NEW])
    assert _top(lib.get("sport-news"), "阿拉木图 地铁 二号线", 1) == [f"{NEW.id}#0"]
    assert len(engine.snapshot.articles) == 5 and NEW.id not in engine.snapshot.articles
    assert len(lib.get("index").snapshot) == 0
    _close(s)
    again = Library(s, emb, default=Engine.open(s, embedder=emb))  # a restart
    assert again.names() == ["default", "index", "sport-news"]
    assert list(again.get("sport-news").snapshot.articles) == [NEW.id]
    again.delete("sport-news")
    assert again.names() == ["default", "index"] and not again.exists("sport-news")
    with pytest.raises(NotFound):
        again.get("sport-news")
    assert len(again.get("default").snapshot.articles) == 5
    if s.store_uri:
        from rag.store.milvus.db import connect

        left = connect(s.store_uri).list_collections()
        assert len(left) == 10 and not [n for n in left if "sport" in n]  # the default's 5 and index's 5


def test_rag_compact_on_milvus_asks_milvus(tmp_path: Path, fake_embedder: HashEmbedder, monkeypatch: pytest.MonkeyPatch,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    """`rag compact` with RAG_STORE_URI: nothing of ours to merge (no segment files); Milvus is asked to compact the
    index's collections, and the command says that Milvus Lite compacts by itself. No model is loaded."""
    from rag import cli

    s = _settings(tmp_path, "milvus")
    build(s, [SEEDS], embedder=fake_embedder)
    Engine.open(s, embedder=fake_embedder).delete(RFA)
    monkeypatch.setenv("RAG_STORE_URI", str(s.store_uri))
    assert cli.main(["compact", "--index", str(s.index_dir)]) == 0
    out = capsys.readouterr().out
    assert "rag_index_*" in out and "5 collections" in out and "Milvus Lite compacts" in out
    assert cli.main(["compact", "--index", str(s.index_dir), "--collection", "none"]) == 2  # no such index
    assert "no index in the Milvus store" in capsys.readouterr().err
    assert len(Engine.open(s, embedder=fake_embedder).snapshot.articles) == 4
    _close(s)


def test_milvus_searches_for_stale_rows_only_of_articles_it_held(tmp_path: Path, fake_embedder: HashEmbedder,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    """A delete by filter expression scans a collection in Milvus Lite: a first build and a new article need none
    (a first build of 100k passages spent most of its 28 minutes in them); a changed article's old rows still go."""
    from rag.store.milvus import writing

    scans: list[str] = []
    real = writing.Db.delete

    def delete(db: writing.Db, kind: str, expr: str | None = None, ids: object = None) -> None:
        if expr:
            scans.append(kind)
        real(db, kind, expr, ids)  # type: ignore[arg-type]

    monkeypatch.setattr(writing.Db, "delete", delete)
    s = _settings(tmp_path, "milvus")
    build(s, [SEEDS], embedder=fake_embedder)
    eng = Engine.open(s, embedder=fake_embedder)
    eng.upsert([NEW])
    assert scans == []
    eng.upsert([Article(**{**NEW.__dict__, "text": NEW.text.replace("四万", "六万")})])
    assert sorted(scans) == ["articles", "passages", "sentences"]
    assert all("四万" not in c.text for c in eng.snapshot.iter_chunks()) and eng.snapshot.knows("阿拉木图")
    _consistent(eng)
    _close(s)


@pytest.mark.parametrize("dies", ["before the switch", "after the switch"])
def test_milvus_finishes_a_write_that_died(tmp_path: Path, fake_embedder: HashEmbedder, monkeypatch: pytest.MonkeyPatch,
                                           dies: str) -> None:
    from rag.store.milvus import terms, writing

    s = _settings(tmp_path, "milvus")
    build(s, [SEEDS], embedder=fake_embedder)
    eng = Engine.open(s, embedder=fake_embedder)
    eng.upsert([NEW])
    old_text = NEW.text
    changed = Article(**{**NEW.__dict__, "text": "阿拉木图地铁三号线开工建设，预计二〇二八年通车。"})

    def killed(*_: object, **__: object) -> None:
        raise RuntimeError("killed")

    if dies == "before the switch":  # new rows written, head rows not yet
        real = writing.Db.upsert
        monkeypatch.setattr(writing.Db, "upsert", lambda db, kind, rows: killed() if kind == "articles" and rows
                            and rows[0]["part"] == 0 and rows[0]["doc_id"] == NEW.id else real(db, kind, rows))
    else:  # head rows switched, old rows not yet deleted, df not yet moved
        monkeypatch.setattr(writing, "_drop_stale", killed)
    with pytest.raises(RuntimeError, match="killed"):
        eng.upsert([changed, Article(id="n2", title="另一篇", text="第二篇文章的正文。")])
    monkeypatch.undo()
    _close(s)
    again = Engine.open(s, embedder=fake_embedder)  # recovers
    expect = old_text if dies == "before the switch" else changed.text
    assert again.snapshot.article(NEW.id).text == expect
    assert ("n2" in again.snapshot.articles) == (dies == "after the switch")
    _consistent(again)
    db = again.store.db  # type: ignore[attr-defined]
    assert db.meta("pending") is None
    df = terms.frequencies(db, ["地铁", "三号线", "二号线", "哈萨克斯坦"])
    terms.recount(db)
    assert terms.frequencies(db, ["地铁", "三号线", "二号线", "哈萨克斯坦"]) == df
    _close(s)


# -- with the real model ----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def milvus_real(real_engine, real_embedder, tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    """The seed index in Milvus Lite, its vectors taken from the embedded index (nothing embedded again)."""
    s = _settings(tmp_path_factory.mktemp("milvus-real"), "milvus").replace(api_key=KEY)
    eng = Engine(s, real_embedder)
    report = eng._apply(replace=list(real_engine.snapshot.articles.values()), reuse=real_engine.snapshot)
    assert report.embedded == 0 and len(report.added) == 5
    yield Engine.open(s, embedder=real_embedder)
    _close(s)


def _quoted(answer: str) -> list[str]:
    """The sentences an extractive answer quotes, each before its [n] marker."""
    return [t.strip() for t in re.findall(r"(.*?)\[\d+\]", answer, flags=re.S) if t.strip()]


def _share(eng: Engine, question: str, sentence: str) -> float:
    """The sentence scorer's share for `sentence` among the question's candidate sentences."""
    snap = eng.snapshot
    cands = Retriever(snap, eng.embedder, eng.settings).candidates(question, eng.settings.top_k)
    shares = [s.prob for s in eng.extractive.judge(snap, question, cands).sentences if s.text.strip() == sentence]
    assert shares, (question, sentence)
    return shares[0]


@pytest.mark.slow
def test_both_backends_answer_the_seed_questions_alike(real_engine, milvus_real) -> None:  # type: ignore[no-untyped-def]
    """Same question: the same answerable decision, the same answer, and the same top passage, or (where Milvus's
    jieba BM25 orders two overlapping passages of one article the other way: 2 of these 24 questions) the
    passage overlapping it. Dense search is identical: the same vectors, exact scores.

    The BM25 scores differ a little, so the passage logits the sentence scorer sees do too: a later sentence
    whose share sits on the extra-sentence threshold can be quoted by one backend and not the other
    ("中國外交部長王毅說了什麼？":汪文斌's sentence has share 0.141 with FAISS, 0.139 with Milvus, threshold 0.14).
    The best sentence must agree; a sentence only one of them quotes must lie within 0.01 of the threshold on both."""
    for q in [q for q, _, _ in ANSWERABLE] + UNANSWERABLE:
        a, b = real_engine.ask(q), milvus_real.ask(q)
        assert b.answerable == a.answerable, q
        sa, sb = _quoted(a.answer), _quoted(b.answer)
        assert sa[:1] == sb[:1], q
        for only in set(sa) ^ set(sb):
            for eng in (real_engine, milvus_real):
                share = _share(eng, q, only)
                assert abs(share - eng.extractive.model.sentence.threshold) < 0.01, (q, only, share)
        pa, pb = a.passages[0], b.passages[0]
        assert pa["doc_id"] == pb["doc_id"] and pa["start"] < pb["end"] and pb["start"] < pa["end"], q
        qv = real_engine.embedder.encode_queries([q])[0]
        dense_a, dense_b = real_engine.snapshot.dense(qv, 5), milvus_real.snapshot.dense(qv, 5)
        assert [real_engine.snapshot.chunk_at(r).id for r, _ in dense_a] == \
            [milvus_real.snapshot.chunk_at(r).id for r, _ in dense_b], q
        assert [s for _, s in dense_a] == pytest.approx([s for _, s in dense_b], abs=1e-5)


@pytest.mark.slow
@pytest.mark.parametrize("backend", BACKENDS)
def test_the_answer_contract_over_http(backend: str, real_settings: Settings, real_engine, real_embedder,  # type: ignore[no-untyped-def]
                                       milvus_real, tmp_path: Path) -> None:
    if backend == "milvus":
        s = milvus_real.settings
    else:
        import shutil

        shutil.copytree(real_settings.index_dir, tmp_path / "index")
        s = real_settings.replace(index_dir=tmp_path / "index", api_key=KEY)
    app = create_app(s, Engine.open(s, embedder=real_embedder))
    with serve_in_thread(app) as url, httpx.Client(base_url=url, timeout=120) as c:
        d = c.post("/api/ask", json={"question": "集安组织在哈萨克斯坦的维和人员有多少？"}).json()
        assert d["answerable"] and "二千三百" in d["answer"] and d["citations"]
        for cit in d["citations"]:
            assert c.get(f"/api/documents/{cit['doc_id']}").json()["text"][cit["start"]:cit["end"]] == cit["quote"]
            assert c.get(f"/api/citations/{cit['chunk_id'].replace('#', '%23')}").status_code == 200
        f = c.post("/api/ask", json={"question": "哈萨克斯坦骚乱", "filters": {"date_from": "2023-01-01"}}).json()
        assert f["filters"]["date_from"] == "2023-01-01" and {p["doc_id"] for p in f["passages"]} == {RFI}
        auth = {"Authorization": f"Bearer {KEY}"}
        r = c.post("/api/documents", json={"documents": [{"id": "n1", "title": NEW.title, "text": NEW.text,
                                                          "source": NEW.source, "published": NEW.published}]}, headers=auth)
        assert r.status_code == 200 and r.json()["added"] == ["n1"]
        d = c.post("/api/ask", json={"question": "阿拉木图地铁二号线每天可运送多少乘客？"}).json()
        assert d["answerable"] and "四万" in d["answer"] and {x["doc_id"] for x in d["citations"]} == {"n1"}
        assert c.delete("/api/documents/n1", headers=auth).status_code == 200
        d = c.post("/api/ask", json={"question": "阿拉木图地铁二号线每天可运送多少乘客？"}).json()
        assert all(p["doc_id"] != "n1" for p in d["passages"])
        assert c.get("/readyz").json()["articles"] == 5
