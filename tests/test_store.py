"""The index on disk: incremental rebuilds, mismatch errors, and atomic writes that survive kill -9."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from rag import store
from rag.engine import Engine, build
from rag.errors import IndexMismatch, IndexNotFound
from rag.settings import Settings

ROOT = Path(__file__).resolve().parents[1]
SEEDS = ROOT / "seeds"


def _copy_seeds(dst: Path) -> Path:
    dst.mkdir()
    for f in SEEDS.iterdir():
        (dst / f.name).write_bytes(f.read_bytes())
    return dst


def test_build_writes_manifest_faiss_keywords_and_loads(settings: Settings, fake_embedder) -> None:
    report, problems = build(settings, [SEEDS], embedder=fake_embedder)
    assert problems == [] and len(report.added) == 5 and report.embedded == report.chunks > 5
    manifest = json.loads((settings.index_dir / store.current_generation(settings.index_dir)).read_text())  # type: ignore[operator]
    config, (seg,) = manifest["config"], manifest["segments"]
    assert config["model"] == fake_embedder.name and config["dim"] == fake_embedder.dim
    assert config["chunk_size"] == settings.chunk_size and config["chunk_overlap"] == settings.chunk_overlap
    assert {p.name for p in (settings.index_dir / seg["name"]).iterdir()} >= {
        "segment.json", "meta.sqlite", "spans.npy", "vectors.npy", "terms.json", "term_rows.npy", "sent_vectors.npy"}
    eng = Engine.open(settings, embedder=fake_embedder)
    assert set(eng.snapshot.articles) == {p.stem for p in SEEDS.glob("*.txt")} and seg["docs"] == 5
    assert len(eng.snapshot) == report.chunks == seg["rows"]
    for c in eng.snapshot.iter_chunks():
        assert eng.snapshot.articles[c.doc_id].text[c.start:c.end] == c.text


def test_rebuild_embeds_only_new_or_changed_articles_and_drops_removed(settings: Settings, fake_embedder,
                                                                       tmp_path: Path) -> None:
    src = _copy_seeds(tmp_path / "src")
    build(settings, [src], embedder=fake_embedder)
    first = fake_embedder.documents_encoded

    again, _ = build(settings, [src], embedder=fake_embedder)
    assert again.embedded == 0 and again.unchanged == 5 and fake_embedder.documents_encoded == first

    changed = src / "000_569cd607f5d77cb9.txt"
    changed.write_text(changed.read_text(encoding="utf-8").replace("敏感问题", "非常敏感的问题"), encoding="utf-8")
    (src / "004_43fb4c2225c36c2c.txt").unlink()
    (src / "new.md").write_text("# 新文章\n\n阿斯塔纳是哈萨克斯坦的首都。", encoding="utf-8")
    report, _ = build(settings, [src], embedder=fake_embedder)
    assert report.updated == ["000_569cd607f5d77cb9"] and report.added == ["new"]
    assert report.removed == ["004_43fb4c2225c36c2c"] and report.unchanged == 3
    eng = Engine.open(settings, embedder=fake_embedder)
    n_changed = len(eng.snapshot.article_rows("000_569cd607f5d77cb9")) + len(eng.snapshot.article_rows("new"))
    assert report.embedded == n_changed
    assert "004_43fb4c2225c36c2c" not in eng.snapshot.articles
    assert any("非常敏感的问题" in c.text for c in eng.snapshot.iter_chunks())
    # reused vectors still find their own passages
    hits = eng.search("哈萨克斯坦与俄罗斯有着世界上最长的不间断陆地边界", k=1)
    assert hits[0]["doc_id"] == "000_569cd607f5d77cb9"


def test_missing_index_error_says_how_to_build(settings: Settings, fake_embedder) -> None:
    with pytest.raises(IndexNotFound, match="rag build"):
        Engine.open(settings, embedder=fake_embedder)


def test_loading_with_another_model_or_chunking_fails_clearly(settings: Settings, fake_embedder) -> None:
    from fakes import HashEmbedder

    build(settings, [SEEDS], embedder=fake_embedder)
    with pytest.raises(IndexMismatch) as err:
        Engine.open(settings, embedder=HashEmbedder(dim=64, name="other-model"))
    msg = str(err.value)
    assert "other-model" in msg and "fake-hash-bigrams" in msg and "rag build" in msg
    with pytest.raises(IndexMismatch, match="chunk_size"):
        Engine.open(settings.replace(chunk_size=400), embedder=fake_embedder)
    # rebuilding with the new settings fixes it
    build(settings.replace(chunk_size=400), [SEEDS], embedder=fake_embedder)
    assert len(Engine.open(settings.replace(chunk_size=400), embedder=fake_embedder).snapshot) > 0


SLOW_BUILD = """
import sys, time
sys.path.insert(0, {tests!r})
from pathlib import Path
from fakes import HashEmbedder
from rag.engine import build
from rag.settings import Settings

class Slow(HashEmbedder):
    def encode_documents(self, texts, progress=False):
        time.sleep(0.08 * len(texts))
        return super().encode_documents(texts)

import rag.store.segment as seg
real_write = seg.write
def slow_write(data, directory, threshold):  # widen the window in which files are half written
    real_write(data, directory, threshold)
    for f in sorted(directory.iterdir()):
        print("writing", f.name, flush=True)
        f.write_bytes(f.read_bytes()[: f.stat().st_size // 2])
        time.sleep(0.1)
    real_write(data, directory, threshold)
seg.write = slow_write
s = Settings.from_env(environ={{}}, env_file=None, index_dir=Path({index!r}))
print("started", flush=True)
build(s, [Path({src!r})], embedder=Slow())
print("finished", flush=True)
"""


@pytest.mark.parametrize("delay", [0.5, 1.7, 2.0, 2.3, 2.6, 3.5])
def test_build_killed_at_any_moment_leaves_the_previous_index_loadable(settings: Settings, fake_embedder,
                                                                       tmp_path: Path, delay: float) -> None:
    build(settings, [SEEDS], embedder=fake_embedder)
    before = Engine.open(settings, embedder=fake_embedder).snapshot
    src = _copy_seeds(tmp_path / "src")
    (src / "extra.md").write_text("# 额外\n\n" + "这是新增加的一篇很长的文章。" * 80, encoding="utf-8")
    code = SLOW_BUILD.format(tests=str(ROOT / "tests"), index=str(settings.index_dir), src=str(src))
    proc = subprocess.Popen([sys.executable, "-c", code], cwd=ROOT, stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None and proc.stdout.readline().strip() == "started"
    time.sleep(delay)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    # whatever moment it died, the live index is complete: the old one, or (if the switch happened) the new one
    snap = Engine.open(settings, embedder=fake_embedder).snapshot
    assert set(snap.articles) in (set(before.articles), set(before.articles) | {"extra"})
    assert len(snap) == sum(len(snap.article_rows(a)) for a in snap.articles)
    for c in snap.iter_chunks():
        assert snap.articles[c.doc_id].text[c.start:c.end] == c.text
    # and the next build completes and cleans up what the killed one left behind
    build(settings, [src], embedder=fake_embedder)
    snap = Engine.open(settings, embedder=fake_embedder).snapshot
    assert "extra" in snap.articles
    assert not [p for p in settings.index_dir.iterdir() if p.name.startswith((".tmp-", ".CURRENT."))]
    live = {s.name for s in store.read_manifest(settings.index_dir).segments}
    assert {p.name for p in settings.index_dir.iterdir() if p.name.startswith("seg-")} == live


def test_a_keyword_tokenizer_change_rebuilds_keywords_without_re_embedding(settings: Settings, fake_embedder,
                                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    build(settings, [SEEDS], embedder=fake_embedder)
    monkeypatch.setattr("rag.store.building.TOKENIZER_VERSION", "tokenizer-of-the-future/9")
    with pytest.raises(IndexMismatch, match="tokenizer"):
        Engine.open(settings, embedder=fake_embedder)
    report, _ = build(settings, [SEEDS], embedder=fake_embedder)
    assert report.embedded == 0 and report.unchanged == 5
    eng = Engine.open(settings, embedder=fake_embedder)
    assert eng.snapshot.config["tokenizer"] == "tokenizer-of-the-future/9"
    from rag.keywords import tokenize

    (row, _), = eng.snapshot.keyword_search(tokenize("科斯塔奈地区的检察官"), 1)
    assert eng.snapshot.chunk_at(row).doc_id == "000_569cd607f5d77cb9"


def test_oov_names_match_through_character_bigrams() -> None:
    from rag.keywords import tokenize

    # jieba glues the unknown name to the next character; the bigrams still let "潘淑" match
    assert "潘淑" in tokenize("潘淑是一位作家") and "潘淑" in tokenize("关于潘淑的报道")


def test_a_server_write_lands_on_top_of_a_build_that_ran_since_it_loaded(settings: Settings, fake_embedder,
                                                                        tmp_path: Path) -> None:
    """The lost update of issue 13: the server used to rebuild from its in-memory snapshot, silently undoing
    a `rag build` that had run in between."""
    from rag.types import Article

    build(settings, [SEEDS], embedder=fake_embedder)
    server = Engine.open(settings, embedder=fake_embedder)  # loaded before the other writer runs
    extra = tmp_path / "more"
    extra.mkdir()
    (extra / "new.md").write_text("---\ntitle: '新文章'\n---\n\n阿斯塔纳今年冬天很冷。\n", encoding="utf-8")
    build(settings, [SEEDS, extra], embedder=fake_embedder)  # another process: `rag build seeds/ more/`
    server.upsert([Article(id="from-server", title="服务器写入", text="阿拉木图的春天来得很早。")])
    on_disk = Engine.open(settings, embedder=fake_embedder).snapshot.articles
    assert "new" in on_disk and "from-server" in on_disk and len(on_disk) == 7
    server.delete("new")  # and the server now sees the build's article
    assert "new" not in Engine.open(settings, embedder=fake_embedder).snapshot.articles


def test_line_separators_inside_article_text_survive_a_reload(settings: Settings, fake_embedder) -> None:
    """U+2028, U+2029 and U+0085 are not escaped by JSON; reading the index with splitlines() used to cut
    a stored article in two and leave an index that would not load (found by schemathesis)."""
    from rag.sources import parse_jsonl
    from rag.types import Article

    text = "阿斯塔纳\u2028今年冬天\u2029很冷\x85。气温零下四十二度。"
    build(settings, [SEEDS], embedder=fake_embedder)
    Engine.open(settings, embedder=fake_embedder).upsert([Article(id="seps", title="分\u2028隔", text=text)])
    reloaded = Engine.open(settings, embedder=fake_embedder).snapshot.article("seps")
    assert reloaded.text == text and reloaded.title == "分\u2028隔"
    arts, problems = parse_jsonl(json.dumps({"id": "j", "title": "t", "text": text}, ensure_ascii=False) + "\n", "u.jsonl")
    assert problems == [] and len(arts) == 1 and arts[0].text.endswith("气温零下四十二度。")  # one record, not two


def test_an_article_hash_ignores_fields_added_later_while_they_are_unset() -> None:
    """Adding an optional Article field must not change the hash of every stored article (that would re-embed
    the whole index on the next build); setting it does change the hash."""
    import hashlib
    import json
    from dataclasses import replace

    from rag.types import Article

    a = Article(id="x", title="标题", text="正文。", url=None, source="RFA", published="2022-01-08")

    first = {"id": "x", "title": "标题", "text": "正文。", "url": None, "source": "RFA", "published": "2022-01-08",
             "author": None}
    assert store.article_hash(a) == hashlib.sha256(json.dumps(first, sort_keys=True, ensure_ascii=False)
                                                   .encode()).hexdigest()[:16]  # the hash stored before `pages`
    assert store.article_hash(replace(a, pages=(0, 3))) != store.article_hash(a)


def test_index_arrays_load_the_same_from_many_threads_at_once(tmp_path: Path) -> None:
    """rag.store.arrays.load_array, which every .npy read of the index goes through, returns the saved array
    (memory-mapped read-only, or in memory) from 16 threads opening it at once: the reads are serialised (numpy
    parses each header with ast.literal_eval, which CPython 3.11.7 cannot do in two threads at once)."""
    from concurrent.futures import ThreadPoolExecutor

    from rag.store.arrays import load_array

    saved = np.arange(24, dtype=np.int32).reshape(6, 4)
    np.save(tmp_path / "a.npy", saved)
    with ThreadPoolExecutor(16) as pool:
        got = list(pool.map(lambda i: load_array(tmp_path / "a.npy", mmap=bool(i % 2)), range(200)))
    assert all(np.array_equal(g, saved) for g in got)
    assert not got[1].flags.writeable and got[0].flags.writeable
