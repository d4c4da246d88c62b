"""`rag eval`: hand-computed metric cases and an end-to-end run on a tiny synthetic corpus."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
from fakes import HashEmbedder, hand_model  # noqa: E402

from rag.evaluation import metrics  # noqa: E402
from rag.evaluation.dataset import Passage, load_corpus, load_questions, question_type  # noqa: E402
from rag.evaluation.runner import QuestionRunner, build_report, cached_snapshot, corpus_digest, holdout  # noqa: E402
from rag.settings import Settings  # noqa: E402

# -- metrics ----------------------------------------------------------------------------------


def test_rank_deduplicates_chunks_to_passages() -> None:
    ranked = ["A", "A", "B", "A", "C", "D"]
    assert metrics.dedup(ranked) == ["A", "B", "C", "D"]
    assert metrics.rank_of("C", ranked) == 3  # the chunk is 5th, the passage 3rd
    assert metrics.rank_of("Z", ranked) is None


def test_recall_and_mrr_hand_computed() -> None:
    ranks = [1, 2, 4, None, 11]
    assert metrics.recall_at(ranks, 1) == pytest.approx(1 / 5)
    assert metrics.recall_at(ranks, 3) == pytest.approx(2 / 5)
    assert metrics.recall_at(ranks, 5) == pytest.approx(3 / 5)
    assert metrics.recall_at(ranks, 10) == pytest.approx(3 / 5)
    assert metrics.mrr_at(ranks, 10) == pytest.approx((1 + 1 / 2 + 1 / 4) / 5)
    assert metrics.recall_at([], 5) == 0.0 and metrics.mrr_at([]) == 0.0


def test_answer_hit_strips_markers_and_limits_length() -> None:
    assert metrics.answer_hit("他生于1949年[1]。", ["1949年"]) == (True, False)
    # a marker inside the gold span would otherwise break the match
    assert metrics.answer_hit("光荣和[1]ω-force合作开发。", ["光荣和ω-force"]) == (True, False)
    # full-width and case variants still match
    assert metrics.answer_hit("由ＡＢＣ公司开发。", ["abc公司"])[0]
    four = "第一句。第二句。第三句。答案在第四句。"
    assert metrics.answer_hit(four, ["第四句"]) == (False, True)
    long = "甲" * 260 + "答案"
    assert metrics.answer_hit(long, ["答案"]) == (False, True)
    assert metrics.limit_answer("一。二。三。", 3, 250) == ("一。二。三。", False)


def test_abstention_precision_recall_false_rate() -> None:
    abstained = [True, True, False, True, False, False]
    unanswerable = [True, True, True, False, False, False]
    ab = metrics.abstention(abstained, unanswerable)
    assert ab["precision"] == pytest.approx(2 / 3)
    assert ab["recall"] == pytest.approx(2 / 3)
    assert ab["false_abstention_rate"] == pytest.approx(1 / 3)
    assert metrics.abstention([False], [False])["recall"] is None


def test_percentile() -> None:
    assert metrics.percentile([1.0, 2.0, 3.0, 4.0], 50) == pytest.approx(2.5)
    assert metrics.percentile([5.0], 95) == 5.0
    assert metrics.percentile([], 50) == 0.0


@pytest.mark.parametrize("q,t", [
    ("男女主角亦有专属声优这一模式是由谁改编的？", "who"), ("哪位导演拍摄了这部电影？", "who"),
    ("该游戏于哪一年发行？", "when"), ("他什么时候去世？", "when"),
    ("该公司总部位于哪个城市？", "where"), ("他出生在哪里？", "where"),
    ("这座桥有多少米长？", "how many"), ("全书共有几个章节？", "how many"),
    ("为什么他被称为诗仙？", "why"), ("战国史模式主打哪两个模式？", "what"),
])
def test_question_types(q: str, t: str) -> None:
    assert question_type(q) == t


# -- end to end -------------------------------------------------------------------------------

PASSAGES = [
    ("P1", "长江", "长江是中国第一长河，全长约六千三百公里。长江流域气候温暖湿润，物产丰富。"),
    ("P2", "黄山", "黄山位于安徽省南部，以奇松怪石云海温泉闻名。每年吸引大量游客前来观光。"),
    ("P3", "熊猫", "大熊猫主要生活在四川的竹林中，以竹子为主要食物。它们是中国的国宝动物。"),
    ("P4", "茶叶", "龙井茶产于浙江杭州西湖一带，属于绿茶。其色绿香郁味甘形美而著称。"),
    ("P5", "长城", "万里长城始建于春秋战国时期，秦朝统一后连接成为万里长城。它是世界文化遗产。"),
    ("P6", "瓷器", "景德镇被誉为千年瓷都，制瓷历史悠久。青花瓷是景德镇最著名的瓷器品种。"),
]


@pytest.fixture
def data(tmp_path: Path) -> tuple[Path, Path]:
    corpus = tmp_path / "corpus.jsonl"
    corpus.write_text("".join(json.dumps({"id": i, "title": t, "text": x}, ensure_ascii=False) + "\n"
                              for i, t, x in PASSAGES), encoding="utf-8")
    rows = []
    for i, _, text in PASSAGES:
        first = text.split("。")[0]
        rows.append({"id": f"{i}_Q", "question": first + "？", "gold_passage_id": i,
                     "answers": [first[-4:]], "answer_starts": [text.index(first[-4:])]})
    questions = tmp_path / "questions.jsonl"
    questions.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    return corpus, questions


def _settings(tmp_path: Path, **kw: object) -> Settings:
    return Settings.from_env(environ={}, env_file=None, cache_dir=tmp_path / "cache", **kw)


def test_runner_end_to_end_copied_questions_are_found(tmp_path: Path, data: tuple[Path, Path]) -> None:
    corpus, qpath = data
    model = tmp_path / "scorer.json"
    hand_model().save(model)  # the packaged scorer is fitted on the real model's cosines, not the fake's
    settings = _settings(tmp_path, scorer_file=model)
    emb = HashEmbedder()
    passages, questions = load_corpus(corpus), load_questions(qpath)
    snap, info = cached_snapshot(passages, corpus_digest(corpus), settings, emb, progress=False)
    assert info.built and info.passages == len(PASSAGES)
    encoded = emb.documents_encoded
    _, again = cached_snapshot(passages, corpus_digest(corpus), settings, emb, progress=False)
    assert not again.built and again.key == info.key and emb.documents_encoded == encoded  # cache hit

    records = QuestionRunner(settings, emb, snap).run(questions, set(snap.articles), progress=False)
    report = build_report(records, [1, 3, 5, 10], True, {"ks": [1, 3, 5, 10]})
    overall = report["overall"]
    assert overall["n"] == len(PASSAGES)
    assert overall["recall@1"] == 1.0 and overall["mrr@10"] == 1.0
    assert overall["citation_hit"] == 1.0 and overall["answer_hit"] == 1.0
    assert {"latency_ms_p50", "latency_ms_p95", "abstained", "truncated"} <= set(overall)
    assert sum(g["n"] for g in report["by_type"].values()) == len(PASSAGES)
    assert "abstention" not in report

    for mode in ("dense", "keyword"):
        recs = QuestionRunner(settings, emb, snap, mode=mode, retrieval_only=True).run(
            questions, set(snap.articles), progress=False)
        assert build_report(recs, [1], False, {"ks": [1]})["overall"]["recall@1"] == 1.0


def test_holdout_is_deterministic_and_measured(tmp_path: Path, data: tuple[Path, Path]) -> None:
    corpus, qpath = data
    settings = _settings(tmp_path)
    emb = HashEmbedder()
    passages, questions = load_corpus(corpus), load_questions(qpath)
    dropped = holdout(questions, 0.34, seed=3)
    assert dropped == holdout(questions, 0.34, seed=3) and len(dropped) == 2
    full, _ = cached_snapshot(passages, corpus_digest(corpus), settings, emb, progress=False)
    encoded = emb.documents_encoded
    snap, info = cached_snapshot(passages, corpus_digest(corpus), settings, emb, dropped, previous=full,
                                 progress=False)
    assert info.built and info.passages == len(PASSAGES) - 2
    assert emb.documents_encoded == encoded  # held-out index reuses the full index's vectors
    records = QuestionRunner(settings, emb, snap).run(questions, set(snap.articles), progress=False)
    report = build_report(records, [1, 5], True, {"ks": [1, 5]})
    assert report["abstention"]["unanswerable"] == 2
    assert report["overall"]["n"] == len(PASSAGES) - 2


def test_cli_writes_reports_and_gates_on_recall(tmp_path: Path, data: tuple[Path, Path],
                                                monkeypatch: pytest.MonkeyPatch,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    from rag import embedding
    from rag.evaluation.cli import add_arguments, run_eval

    corpus, qpath = data
    monkeypatch.setenv("RAG_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setattr(embedding, "load_embedder", lambda settings, progress=True: HashEmbedder())
    parser = argparse.ArgumentParser()
    add_arguments(parser)
    out = tmp_path / "out" / "report.json"
    base = ["--corpus", str(corpus), "--questions", str(qpath), "--out", str(out), "--quiet"]
    assert run_eval(parser.parse_args(base + ["--retrieval-only", "--min-recall5", "0.9"])) == 0
    report = json.loads(out.read_text(encoding="utf-8"))
    assert report["overall"]["recall@5"] == 1.0 and report["config"]["retrieval_only"]
    assert out.with_suffix(".md").read_text(encoding="utf-8").startswith("| type | n | R@1")
    assert "| **all** | 6 |" in capsys.readouterr().out
    assert run_eval(parser.parse_args(base + ["--limit", "2", "--min-recall5", "1.01"])) == 1
    assert json.loads(out.read_text(encoding="utf-8"))["overall"]["n"] == 2


CMRC = Path(__file__).resolve().parents[2] / "shared" / "eval" / "cmrc2018"


@pytest.mark.slow
@pytest.mark.skipif(not (CMRC / "trial_corpus.jsonl").exists(), reason="needs ../shared/eval/cmrc2018 beside the repo")
def test_cmrc_smoke_recall_and_answers(tmp_path: Path) -> None:
    """CI smoke run of `rag eval` with the real model: 100 CMRC trial questions over the trial corpus
    (the full trial set measures R@5 1.00 and answer hit 0.69, docs/benchmarks.md)."""
    import subprocess
    import sys

    out = tmp_path / "smoke.json"
    proc = subprocess.run([sys.executable, "-m", "rag.cli", "eval", "--limit", "100", "--quiet",
                           "--corpus", str(CMRC / "trial_corpus.jsonl"), "--questions", str(CMRC / "trial_questions.jsonl"),
                           "--min-recall5", "0.95", "--out", str(out)],
                          cwd=Path(__file__).resolve().parents[1], capture_output=True, text=True, timeout=1500)
    print(proc.stdout[-3000:])
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    overall = json.loads(out.read_text())["overall"]
    assert overall["recall@5"] >= 0.95
    assert overall["answer_hit"] >= 0.55 and overall["citation_hit"] >= 0.85


@pytest.mark.slow
def test_natural_seed_questions_through_rag_eval(tmp_path: Path) -> None:
    """The hand-written natural questions over seeds/ (paraphrased, traditional, English, multi-part, across
    outlets, near misses), with several gold articles per question and fact groups."""
    import subprocess
    import sys

    root = Path(__file__).resolve().parents[1]
    out = tmp_path / "natural.json"
    proc = subprocess.run([sys.executable, "-m", "rag.cli", "eval", "--quiet", "--corpus", str(root / "seeds"),
                           "--questions", str(root / "rag" / "evaluation" / "sets" / "seeds_natural.jsonl"),
                           "--out", str(out)], cwd=root, capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    report = json.loads(out.read_text())
    assert report["config"]["questions_run"] >= 150
    assert report["overall"]["recall@5"] >= 0.95 and report["overall"]["answer_hit"] >= 0.6
    assert {"paraphrase", "traditional", "english", "multipart", "near_miss"} <= set(report["by_type"])
    assert report["abstention"]["unanswerable"] == 30


class _BatchSensitive(HashEmbedder):
    """Like the int8 encoder, which quantizes a batch's activations together: a query's vector depends on the
    other texts in its batch."""

    def encode_queries(self, texts):  # type: ignore[no-untyped-def]
        out = super().encode_queries(texts)
        return out + 0.01 * len(texts)


def test_cached_query_vectors_are_the_ones_the_api_computes(tmp_path: Path) -> None:
    """`rag eval --cache-queries` (and the fit) must score the vectors the API would: each question encoded alone."""
    from rag.evaluation.runner import QueryCache

    emb = _BatchSensitive()
    questions = ["阿拉木图有多少人口？", "托卡耶夫是哪一年上任的？", "Who is Tokayev?"]
    cache = QueryCache(emb, questions, tmp_path, progress=False)
    for q in questions:
        assert cache.encode_queries([q]) == pytest.approx(emb.encode_queries([q]))
    again = QueryCache(emb, questions, tmp_path, progress=False)  # read back from disk
    assert again.encode_queries(questions) == pytest.approx(cache.encode_queries(questions))


def test_off_topic_fit_examples_are_other_sets_questions_asked_over_the_seeds() -> None:
    """The fit's off-topic examples: a fixed share of the CMRC/DRCD questions, unanswerable, over the seeds."""
    from rag.evaluation import fitdata as fd
    from rag.evaluation.fitexamples import OFF_TOPIC_EVERY, off_topic

    wiki = [fd.QuestionSet("cmrc", [], [fd.Item(id=f"c{i}", question=f"问题{i}是什么？", gold=(f"p{i}",),
                                                facts=(("答",),), kind="original") for i in range(400)])]
    seeds = fd.QuestionSet("seeds", [Passage(id="s", title="t", text="正文。")], [])
    got = off_topic(wiki, seeds)
    assert got.name == "offtopic" and got.passages == seeds.passages
    assert 400 / OFF_TOPIC_EVERY / 2 < len(got.items) < 400 / OFF_TOPIC_EVERY * 2
    assert all(not it.answerable and it.gold == () and it.kind == "off_topic" for it in got.items)
    assert [it.id for it in off_topic(wiki, seeds).items] == [it.id for it in got.items]  # the same every fit
    assert {it.question for it in got.items} <= {it.question for it in wiki[0].items}


@pytest.mark.parametrize("name", ["seeds_natural.jsonl", "seeds_unseen.jsonl", "seeds_fresh.jsonl"])
def test_question_sets_give_facts_that_stand_in_their_gold_articles(name: str) -> None:
    """Each fact group of an answerable question has a member in one of its gold articles (the corpus is simplified
    Chinese, so the facts are too), and a near miss has no facts; seeds_unseen.jsonl and seeds_fresh.jsonl are kept
    out of the fit."""
    from rag.evaluation.fitdata import SETS
    from rag.sources import load_paths

    root = Path(__file__).resolve().parents[1]
    arts, _ = load_paths([root / "seeds"])
    text = {a.id: f"{a.title}\n{a.text}" for a in arts}
    rows = [json.loads(line) for line in (root / "rag" / "evaluation" / "sets" / name).read_text().splitlines()]
    assert len({r["id"] for r in rows}) == len(rows)
    for r in rows:
        if not r["answerable"]:
            assert not r["facts"], r["id"]
            continue
        for group in r["facts"]:
            assert any(f in text[d] for f in group for d in r["gold_doc_ids"]), (r["id"], group)
    fitted = {p.name for p in SETS.glob("seeds_natural*.jsonl")}
    assert not {"seeds_unseen.jsonl", "seeds_fresh.jsonl"} & fitted


def test_fit_weighs_seed_and_reworded_questions_above_wiki_originals() -> None:
    from rag.evaluation.fitexamples import NATURAL_WEIGHT, SEEDS_WEIGHT, weight_of

    assert weight_of("original", "cmrc") == 1.0
    assert weight_of("reworded", "drcd") == NATURAL_WEIGHT
    assert weight_of("paraphrase", "seeds") == SEEDS_WEIGHT
    assert weight_of("off_topic", "offtopic", natural=2.0, seeds=20.0) == 2.0  # off-topic weighs as reworded
    assert weight_of("english", "seeds", natural=2.0, seeds=20.0) == 20.0
