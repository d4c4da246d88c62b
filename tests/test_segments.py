"""Segments: BM25 with corpus-wide statistics, deletes across segments, merges, and writers in two processes."""

from __future__ import annotations

import math
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from rag import store
from rag.chunking import chunk_article
from rag.engine import Engine, build
from rag.keywords import tokenize
from rag.settings import Settings
from rag.store.merge import FANOUT
from rag.store.postings import Postings, Stats, bm25_segment, count_rows, length_norm
from rag.types import Article

ROOT = Path(__file__).resolve().parents[1]
SEEDS = ROOT / "seeds"


def test_bm25_scores_match_the_formula_on_a_tiny_corpus(tmp_path: Path) -> None:
    docs = [["哈萨克斯坦", "总统", "总统"], ["俄罗斯", "总统"], ["哈萨克斯坦", "边界", "俄罗斯", "边界"]]
    vocab: dict[str, int] = {}
    Postings.write(tmp_path, count_rows(docs, vocab), sorted(vocab, key=vocab.__getitem__))
    p = Postings(tmp_path)
    k1, b, n = 1.2, 0.75, len(docs)
    avgdl = sum(map(len, docs)) / n
    stats = Stats(n, avgdl, {})

    def expected(query: list[str], d: list[str]) -> float:
        s = 0.0
        for t in query:
            df = sum(t in x for x in docs)
            tf = d.count(t)
            idf = math.log1p((n - df + 0.5) / (df + 0.5))
            s += idf * tf * (k1 + 1) / (tf + k1 * (1 - b + b * len(d) / avgdl)) if tf else 0.0
        return s

    def search(query: list[str], live: np.ndarray | None = None) -> dict[int, float]:
        term_idf = [(t, stats.idf(sum(t in x for x in docs))) for t in query]
        rows, scores = bm25_segment(p, term_idf, length_norm(p, avgdl), live, k=3)
        return dict(zip(rows.tolist(), scores.tolist()))

    got = search(["总统", "边界"])
    for row, d in enumerate(docs):
        assert got.get(row, 0.0) == pytest.approx(expected(["总统", "边界"], d), rel=1e-5)
    assert list(search(["边界"])) == [2]  # only rows with the term score
    assert search(["不存在"]) == {}
    assert list(search(["总统"], np.array([False, True, True]))) == [1]


def _articles(n: int, tag: str = "") -> list[Article]:
    towns = ["阿斯塔纳", "阿拉木图", "奇姆肯特", "卡拉干达", "阿克套", "科斯塔奈", "巴甫洛达尔", "塔拉兹"]
    return [Article(id=f"a{i}", title=f"{towns[i % 8]}新闻{tag}",
                    text=f"{towns[i % 8]}今年第{i}次举行集会。当地居民{i * 7}人参加{tag}。" * (1 + i % 3),
                    source=["RFA", "BBC"][i % 2], published=f"2022-01-{1 + i % 28:02d}") for i in range(n)]


def _results(eng: Engine, queries: list[str]) -> list[list[tuple[str, float]]]:
    out = []
    for q in queries:
        snap = eng.snapshot
        kw = snap.keyword_search(tokenize(q), 10)
        dn = snap.dense(eng.embedder.encode_queries([q])[0], 10)
        out.append([(snap.chunk_at(r).id, round(s, 5)) for r, s in kw + dn])
    return out


QUERIES = ["阿斯塔纳集会", "居民参加", "科斯塔奈", "塔拉兹新闻", "第7次"]


def test_writes_append_segments_and_equal_one_index_built_at_once(settings: Settings, fake_embedder) -> None:  # type: ignore[no-untyped-def]
    arts = _articles(24)
    eng = Engine(settings.replace(index_dir=settings.index_dir / "incremental"), fake_embedder)
    eng.background_merges = False
    for i in range(0, 24, 4):
        report = eng.upsert(arts[i:i + 4])
        assert report.embedded == sum(len(chunk_article(a, settings.chunk_size, settings.chunk_overlap))
                                      for a in arts[i:i + 4])  # only the new articles' passages
        assert report.added == [a.id for a in arts[i:i + 4]]
    changed = Article(id="a3", title="阿克套新闻", text="阿克套今年取消了集会。", source="RFA", published="2022-01-04")
    eng.upsert([changed])
    eng.delete("a5")
    assert len(eng.snapshot.segments) >= 2 and eng.snapshot.article("a3").text == changed.text
    assert "a5" not in eng.snapshot.articles and len(eng.snapshot.articles) == 23
    whole = [a if a.id != "a3" else changed for a in arts if a.id != "a5"]
    ref = Engine(settings.replace(index_dir=settings.index_dir / "whole"), fake_embedder)
    ref.upsert(whole)
    assert len(ref.snapshot.segments) == 1
    # same live passages, same corpus statistics: the same scores (ties ordered by storage order)
    for got, want in zip(_results(eng, QUERIES), _results(ref, QUERIES)):
        assert sorted(got) == sorted(want)
    assert all(c.doc_id != "a5" for c in eng.snapshot.iter_chunks())


def test_deletes_are_honoured_in_every_segment_and_compact_keeps_results(settings: Settings, fake_embedder) -> None:  # type: ignore[no-untyped-def]
    eng = Engine(settings, fake_embedder)
    eng.background_merges = False
    arts = _articles(12)
    for a in arts:
        eng.upsert([a])
    for doc in ("a0", "a6", "a11"):  # first, middle and last segment
        eng.delete(doc)
    snap = eng.snapshot
    assert len(snap.segments) > 1
    found = {snap.chunk_at(r).doc_id for q in QUERIES
             for r, _ in snap.keyword_search(tokenize(q), 50)}
    found |= {snap.chunk_at(r).doc_id for r, _ in snap.dense(fake_embedder.encode_queries(["集会"])[0], 50)}
    assert not found & {"a0", "a6", "a11"} and len(found) > 3
    before = _results(eng, QUERIES)
    segs_before = len(snap.segments)
    assert eng.compact() is not None
    assert len(eng.snapshot.segments) == 1 < segs_before
    assert _results(eng, QUERIES) == before  # identical ids, scores and order
    assert _results(Engine.open(settings, embedder=fake_embedder), QUERIES) == before
    assert not any(d.get("deleted") for d in [store.read_manifest(settings.index_dir).segments[0].__dict__])
    assert len([p for p in settings.index_dir.iterdir() if p.name.startswith("seg-")]) == 1


def test_small_writes_trigger_merges_that_bound_the_segment_count(settings: Settings, fake_embedder) -> None:  # type: ignore[no-untyped-def]
    eng = Engine(settings, fake_embedder)
    eng.background_merges = False
    for a in _articles(40):
        eng.upsert([a])
    n = len(eng.snapshot.segments)
    assert n < FANOUT + 2 and len(eng.snapshot.articles) == 40
    assert len([p for p in settings.index_dir.iterdir() if p.name.startswith("seg-")]) == n


def test_a_one_article_write_writes_only_that_article(settings: Settings, fake_embedder) -> None:  # type: ignore[no-untyped-def]
    eng = Engine(settings, fake_embedder)
    eng.background_merges = False
    eng.upsert(_articles(60))
    big = sum(f.stat().st_size for f in settings.index_dir.rglob("*") if f.is_file())
    report = eng.upsert([Article(id="one", title="一篇", text="阿斯塔纳今年冬天很冷。")])
    assert report.embedded == 1 and 0 < report.bytes_written < big / 4


WRITER = """
import sys
sys.path.insert(0, {tests!r})
from pathlib import Path
from fakes import HashEmbedder
from rag.engine import Engine
from rag.settings import Settings
from rag.types import Article
s = Settings.from_env(environ={{}}, env_file=None, index_dir=Path({index!r}))
eng = Engine(s, HashEmbedder())
for i in range({n}):
    eng.upsert([Article(id="{tag}%d" % i, title="{tag}", text="{tag}第%d篇报道，阿斯塔纳。" % i)])
print("done", flush=True)
"""


def test_two_writer_processes_lose_nothing(settings: Settings, fake_embedder) -> None:  # type: ignore[no-untyped-def]
    build(settings, [SEEDS], embedder=fake_embedder)
    procs = [subprocess.Popen([sys.executable, "-c", WRITER.format(tests=str(ROOT / "tests"), index=str(settings.index_dir),
                                                                   n=15, tag=tag)], cwd=ROOT, stdout=subprocess.PIPE, text=True)
             for tag in ("p", "q")]
    for p in procs:
        out, _ = p.communicate(timeout=300)
        assert p.returncode == 0 and "done" in out
    ids = set(Engine.open(settings, embedder=fake_embedder).snapshot.articles)
    assert {f"p{i}" for i in range(15)} | {f"q{i}" for i in range(15)} <= ids and len(ids) == 35


MERGER = """
import sys, time
sys.path.insert(0, {tests!r})
from pathlib import Path
import rag.store.segment as seg
from rag.engine import Engine
from fakes import HashEmbedder
from rag.settings import Settings
real = seg.write
def slow(data, directory, threshold):  # widen the window in which the merged segment is half written
    real(data, directory, threshold)
    for f in sorted(directory.iterdir()):
        f.write_bytes(f.read_bytes()[: f.stat().st_size // 2]); time.sleep(0.1)
        print("half", f.name, flush=True)
    real(data, directory, threshold)
seg.write = slow
s = Settings.from_env(environ={{}}, env_file=None, index_dir=Path({index!r}))
eng = Engine.open(s, embedder=HashEmbedder())
print("started", flush=True)
eng.compact()
print("finished", flush=True)
"""


@pytest.mark.parametrize("delay", [0.2, 0.8, 1.6, 3.0])
def test_kill_9_during_a_merge_loses_nothing_acknowledged(settings: Settings, fake_embedder, delay: float) -> None:  # type: ignore[no-untyped-def]
    eng = Engine(settings, fake_embedder)
    eng.background_merges = False
    for a in _articles(6):
        eng.upsert([a])
    eng.delete("a2")
    want = set(eng.snapshot.articles)
    proc = subprocess.Popen([sys.executable, "-c", MERGER.format(tests=str(ROOT / "tests"), index=str(settings.index_dir))],
                            cwd=ROOT, stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None and proc.stdout.readline().strip() == "started"
    time.sleep(delay)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    snap = Engine.open(settings, embedder=fake_embedder).snapshot
    assert set(snap.articles) == want
    for c in snap.iter_chunks():
        assert snap.articles[c.doc_id].text[c.start:c.end] == c.text
    # the next writer clears what the killed merge left and carries on
    Engine.open(settings, embedder=fake_embedder).upsert([Article(id="after", title="之后", text="阿斯塔纳下雪了。")])
    assert not [p for p in settings.index_dir.iterdir() if p.name.startswith((".merging-", ".tmp-"))]
    assert set(Engine.open(settings, embedder=fake_embedder).snapshot.articles) == want | {"after"}


def test_readers_and_writers_keep_going_during_a_merge(settings: Settings, fake_embedder,  # type: ignore[no-untyped-def]
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    import threading

    import rag.store.segment as seg

    eng = Engine(settings, fake_embedder)
    eng.background_merges = False
    for a in _articles(6):
        eng.upsert([a])
    before = _results(eng, QUERIES)
    started, release = threading.Event(), threading.Event()
    real = seg.write

    def slow(data, directory, threshold):  # type: ignore[no-untyped-def]
        if directory.name.startswith(".merging-"):  # hold the merge, not the writes
            started.set()
            assert release.wait(30)
        real(data, directory, threshold)

    monkeypatch.setattr(seg, "write", slow)
    merging = threading.Thread(target=eng.compact)
    merging.start()
    assert started.wait(30)
    assert _results(eng, QUERIES) == before  # answers from the old segments while the merge runs
    eng.upsert([Article(id="during", title="合并时", text="阿斯塔纳在合并期间发布了新闻。")])  # not blocked either
    eng.delete("a1")  # its segment leaves the manifest: it held only a1
    eng.upsert([Article(id="a2", title="更新", text="阿拉木图的新闻在合并期间更新了。")])
    release.set()
    merging.join(30)
    snap = eng.snapshot
    assert len(snap.segments) == 3  # the merged one, then the two writes that landed during the merge
    assert "during" in snap.articles and "a1" not in snap.articles  # the late delete was carried over
    assert snap.article("a2").title == "更新" and len(snap.articles) == 6  # one live version of a2
    assert sum(c.doc_id == "a2" for c in snap.iter_chunks()) == len(snap.article_rows("a2"))
    assert set(Engine.open(settings, embedder=fake_embedder).snapshot.articles) == set(snap.articles)


@pytest.mark.parametrize("prune_min", [0, 50_000])
def test_pruned_bm25_returns_the_exhaustive_top_k(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                   prune_min: int) -> None:
    """MaxScore skips whole posting lists; on a Zipf-distributed random corpus its top k (ids and
    scores) must equal a brute-force BM25 over every passage (with pruning allowed on lists of any length,
    and with the service's threshold)."""
    import rag.store.postings as postings

    monkeypatch.setattr(postings, "PRUNE_MIN", prune_min)
    lookups = []
    real_searchsorted = np.searchsorted
    monkeypatch.setattr(postings.np, "searchsorted", lambda *a, **kw: lookups.append(1) or real_searchsorted(*a, **kw))
    rng = np.random.default_rng(7)
    vocab_words = [f"w{i}" for i in range(400)]
    weights = 1 / np.arange(1, 401)
    weights /= weights.sum()
    docs = [list(rng.choice(vocab_words, size=int(rng.integers(5, 40)), p=weights)) for _ in range(3000)]
    vocab: dict[str, int] = {}
    Postings.write(tmp_path, count_rows(docs, vocab), sorted(vocab, key=vocab.__getitem__))
    p = Postings(tmp_path)
    n, avgdl = len(docs), sum(map(len, docs)) / len(docs)
    stats = Stats(n, avgdl, {})
    df = {t: sum(t in set(d) for d in docs) for t in vocab}
    tf = np.zeros((n, len(vocab)))
    for r, d in enumerate(docs):
        for t in d:
            tf[r, vocab[t]] += 1
    dl = tf.sum(axis=1)
    live = rng.random(n) > 0.1
    for trial in range(40):
        query = list(dict.fromkeys(rng.choice(vocab_words[:200], size=int(rng.integers(1, 6)))))
        query = [t for t in query if t in vocab]
        term_idf = [(t, stats.idf(df[t])) for t in query]
        want = np.zeros(n)
        for t, idf in term_idf:
            f = tf[:, vocab[t]]
            want += idf * f * 2.2 / (f + 1.2 * (0.25 + 0.75 * dl / avgdl))
        mask = live if trial % 2 else None
        if mask is not None:
            want[~mask] = 0
        rows, scores = bm25_segment(p, term_idf, length_norm(p, avgdl), mask, k=10)
        order = np.lexsort((np.arange(n), -want))[:10]
        order = order[want[order] > 0]
        assert np.allclose(scores, want[rows], rtol=1e-5)  # exact scores
        assert np.allclose(np.sort(want[rows])[::-1], want[order], rtol=1e-5)  # and the best ones
    assert bool(lookups) == (prune_min == 0)  # the pruned path ran (only) where it was allowed


def test_a_segment_above_the_threshold_is_searched_through_its_ann_index(settings: Settings, fake_embedder) -> None:  # type: ignore[no-untyped-def]
    """IVF-SQ8 with exact re-scoring: the scores it returns are exact cosines, it finds what an exact scan
    finds on this small corpus, and tombstones and filters hold on it."""
    small = settings.replace(exact_threshold=100)
    eng = Engine(small, fake_embedder)
    eng.background_merges = False
    eng.upsert(_articles(240))
    (seg,) = eng.snapshot.segments
    assert seg.vectors.ann is not None and seg.rows > 100
    exact = Engine(settings.replace(index_dir=settings.index_dir.parent / "exact"), fake_embedder)
    exact.upsert(_articles(240))
    found = 0
    for q in QUERIES:
        qv = fake_embedder.encode_queries([q])[0]
        got, want = eng.snapshot.dense(qv, 10), exact.snapshot.dense(qv, 10)
        rows = [r for r, _ in got]
        assert np.allclose([s for _, s in got], eng.snapshot.vectors(rows) @ qv, atol=1e-6)  # exact cosines
        assert [s for _, s in got] == sorted((s for _, s in got), reverse=True)
        ids = {eng.snapshot.chunk_at(r).id for r in rows}
        found += len(ids & {exact.snapshot.chunk_at(r).id for r, _ in want})
    assert found / (10 * len(QUERIES)) >= 0.8  # approximate, but close on 240 passages in 61 lists
    eng.delete("a7")
    qv = fake_embedder.encode_queries(["第7次举行集会"])[0]
    assert all(eng.snapshot.chunk_at(r).doc_id != "a7" for r, _ in eng.snapshot.dense(qv, 50))
    rfa = eng.snapshot.allowed(lambda source, published: source == "RFA")
    assert all(eng.snapshot.articles[eng.snapshot.chunk_at(r).doc_id].source == "RFA"
               for r, _ in eng.snapshot.dense(qv, 30, rfa))
