"""The question sets the answer scorer is fitted and tested on, each with the index it runs against.

Sets (all public, see ../shared/eval/*/README and rag/evaluation/sets/):
- cmrc: CMRC 2018 dev questions, on a seeded subset of its passages, plus the reworded CMRC questions;
- drcd: DRCD dev (simplified corpus), with the simplified and the traditional questions, plus the
  reworded DRCD questions;
- seeds: the natural questions over seeds/ (paraphrased, traditional, English, multi-part, near-miss).

Unanswerable examples come from leaving the gold passages of a seeded share of the questions out of the
index (`holdout`), and from the seeds' near-miss questions.
"""

from __future__ import annotations

import hashlib
import json
import random
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rag.embedding import Embedder
from rag.evaluation.dataset import Passage, load_corpus
from rag.evaluation.runner import cached_snapshot
from rag.settings import Settings
from rag.store import IndexView
from rag.types import Article

SHARED = Path(__file__).resolve().parents[2] / ".." / "shared" / "eval"
SETS = Path(__file__).resolve().parent / "sets"
SUBSET_QUESTIONS = 300  # passages of this many seeded dev questions form a fitting corpus (~270 passages)


@dataclass
class Item:
    """One question with what counts as a correct answer."""

    id: str
    question: str
    gold: tuple[str, ...]  # passage/article ids: any one counts
    facts: tuple[tuple[str, ...], ...]  # every group must occur in the answer (any string of a group)
    kind: str  # original | reworded | paraphrase | traditional | english | multipart | near_miss | ...
    lang: str = "zh"  # zh | zh-hant | en
    answerable: bool = True
    outlets: tuple[str, ...] = ()
    spans: tuple[tuple[int, int], ...] = ()  # answer offsets in the gold passage's text, where known


@dataclass
class QuestionSet:
    name: str
    passages: list[Passage]
    items: list[Item]
    articles: list[Article] | None = None  # real articles (outlet, date) when the corpus is a news folder


def _jsonl(path: Path) -> list[dict[str, Any]]:
    return [json.loads(x) for x in path.read_text(encoding="utf-8").split("\n") if x.strip()]


def _lang(q: str) -> str:
    from rag.answer import is_english
    from rag.keywords import normalize

    if is_english(q):
        return "en"
    return "zh-hant" if normalize(q) != q.replace(" ", "") and normalize(q) != q else "zh"


def _subset(questions: list[dict[str, Any]], seed: int) -> set[str]:
    picked = random.Random(seed).sample(questions, min(len(questions), 400))[:SUBSET_QUESTIONS]
    return {str(q["gold_passage_id"]) for q in picked}


def wiki_set(name: str) -> QuestionSet:
    """CMRC dev or DRCD dev on a seeded passage subset, with the reworded questions of that set."""
    if name == "cmrc":
        corpus, qfiles, seed = SHARED / "cmrc2018" / "corpus.jsonl", [SHARED / "cmrc2018" / "questions.jsonl"], 2018
        reworded = SETS / "reworded_cmrc.jsonl"
    else:
        corpus = SHARED / "drcd" / "dev_corpus_zhs.jsonl"
        qfiles, seed = [SHARED / "drcd" / "dev_questions_zhs.jsonl", SHARED / "drcd" / "dev_questions.jsonl"], 3524
        reworded = SETS / "reworded_drcd.jsonl"
    rows = _jsonl(qfiles[0])
    keep = _subset(rows, seed)
    simplified_answers = {str(r["id"]): r.get("answers") or [] for r in rows}
    items: list[Item] = []
    for i, qf in enumerate(qfiles):
        for r in _jsonl(qf):
            if str(r["gold_passage_id"]) in keep and str(r.get("question", "")).strip():
                answers = tuple(simplified_answers.get(str(r["id"])) or r.get("answers") or ())
                items.append(Item(id=f"{r['id']}{'-t' if i else ''}", question=r["question"],
                                  gold=(str(r["gold_passage_id"]),), facts=(answers,), kind="original",
                                  lang="zh-hant" if i else "zh"))
    if reworded.is_file():
        for r in _jsonl(reworded):
            keep.add(str(r["gold_passage_id"]))
            items.append(Item(id=r["id"], question=r["question"], gold=(str(r["gold_passage_id"]),),
                              facts=(tuple(r["answers"]),), kind="reworded", lang=r.get("lang", "zh")))
    passages = [p for p in load_corpus(corpus) if p.id in keep]
    starts = {str(r["id"]): r.get("answer_starts") or [] for r in rows}
    texts = {p.id: p.text for p in passages}
    for it in items:  # where each answer stands in its passage: an answer may span two sentences
        text = texts.get(it.gold[0], "")
        known = starts.get(it.id.removesuffix("-t").removeprefix(f"rw-{'cmrc' if name == 'cmrc' else 'drcd'}-"), [])
        spans = []
        for k, a in enumerate(it.facts[0]):
            st = known[k] if k < len(known) and isinstance(known[k], int) and known[k] >= 0 else text.find(a)
            if st >= 0 and text[st:st + len(a)] == a:
                spans.append((st, st + len(a)))
        it.spans = tuple(spans)
    return QuestionSet(name, passages, items)


def seeds_set(root: Path | None = None) -> QuestionSet:
    """The natural questions over seeds/, with the seed articles as the corpus."""
    from rag.sources import load_paths

    root = root or Path(__file__).resolve().parents[2] / "seeds"
    arts, _ = load_paths([root])
    passages = [Passage(id=a.id, title=a.title, text=a.text) for a in arts]
    items = [seed_item(r) for f in sorted(SETS.glob("seeds_natural*.jsonl")) for r in _jsonl(f)]
    return QuestionSet("seeds", passages, items, arts)


def seed_item(r: dict[str, Any]) -> Item:
    return Item(id=r["id"], question=r["question"], gold=tuple(r.get("gold_doc_ids") or ()),
                facts=tuple(tuple(g) for g in r.get("facts") or ()), kind=r.get("kind", "natural"),
                lang=_lang(r["question"]), answerable=bool(r.get("answerable", True)),
                outlets=tuple(r.get("outlets") or ()))


def snapshots(qs: QuestionSet, settings: Settings, embedder: Embedder, holdout: float, seed: int = 13,
              articles: list[Article] | None = None, progress: bool = True) -> tuple[IndexView, set[str]]:
    """The index of a set with a seeded `holdout` share of its gold passages left out.

    Returns the held-out snapshot and the ids left out."""
    blob = json.dumps([[p.id, p.title, p.text] for p in qs.passages], ensure_ascii=False).encode()
    digest = hashlib.sha256(blob).hexdigest()
    if articles is not None:  # seeds: real articles, with outlet and date
        digest = hashlib.sha256(blob + b"articles").hexdigest()
    full, _ = cached_snapshot(qs.passages, digest, settings, embedder, progress=progress, articles=articles)
    golds = sorted({g for it in qs.items if it.answerable for g in it.gold})
    n = round(holdout * len(golds))
    dropped = set(random.Random(seed).sample(golds, n)) if n else set()
    if not dropped:
        return full, dropped
    held, _ = cached_snapshot(qs.passages, digest, settings, embedder, dropped, previous=full,
                              progress=progress, articles=articles)
    return held, dropped
