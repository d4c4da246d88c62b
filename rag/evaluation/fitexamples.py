"""The fit's examples: every question of the fit sets, retrieved as the service retrieves it, with its passage
features and labels, and its candidate sentences as the answerer sees them (rag.evaluation.fit fits the answer
scorer on them).

Data (see rag.evaluation.fitdata): CMRC dev and DRCD dev on seeded passage subsets, with HOLDOUT of the
questions' gold passages left out of the index (unanswerable examples), their reworded questions, and the
natural seed questions (a seeded half fits, the other half tests), and one in OFF_TOPIC_EVERY of the CMRC and DRCD
questions asked over seeds/ (off topic there: unanswerable, halved the same way). Reworded questions weigh NATURAL_WEIGHT
times an original one and natural seed questions SEEDS_WEIGHT, so that word overlap does not dominate.
"""

from __future__ import annotations

import hashlib
import sys
import time
from dataclasses import dataclass
from typing import Any

import numpy as np

from rag.evaluation import fitdata as fd
from rag.evaluation.metrics import contains_answer
from rag.features import Query, candidate_sentences, passage_features, sentence_features
from rag.keywords import to_simplified
from rag.retrieval import Retriever
from rag.scorer import ScorerModel
from rag.settings import Settings
from rag.store import IndexView
from rag.types import Hit

HOLDOUT = 0.15  # share of gold passages left out of the index (their questions become unanswerable)
# Example weights, relative to a CMRC/DRCD original: a reworded (or off-topic) question NATURAL_WEIGHT, a natural
# news question over seeds/ (the service's own kind) SEEDS_WEIGHT. Swept 2/4/8 x 5/10/20 with a refit each
# (`fit --natural-weight W --seeds-weight W`, 2026-12-06, docs/benchmarks.md "Fit weights swept"): 4 and 10 gave
# the best seeds natural answer hit (89.7, tied by 8/5 and 8/20, which refuse fewer near misses; 86.5-89.0 for the
# rest); no pair moved seeds unseen above 83.8
NATURAL_WEIGHT = 4.0
SEEDS_WEIGHT = 10.0
POOL = 20  # = settings.rerank_depth
OFF_TOPIC_EVERY = 8  # one CMRC/DRCD question in this many (by id hash) is also asked over seeds/: off topic there


@dataclass
class Example:
    item: fd.Item
    set_name: str
    split: str  # fit | test (seeds only; wiki sets are split by dataset)
    snap: IndexView
    pool: list[Hit]
    query: Query
    p_rows: np.ndarray
    p_labels: np.ndarray
    weight: float


def has_fact(text: str, item: fd.Item) -> bool:
    return any(contains_answer(text, list(g)) for g in item.facts if g)


def answers(s: Any, item: fd.Item) -> bool:
    """The sentence holds the answer, or part of an answer that spans sentences (by its offsets)."""
    if has_fact(s.text, item):
        return True
    return any(a < s.end and s.start < b for a, b in item.spans) and s.hit.chunk.doc_id == item.gold[0]


def split_of(item_id: str) -> str:
    return "test" if int(hashlib.sha256(item_id.encode()).hexdigest(), 16) % 2 else "fit"


def collect(settings: Settings, progress: bool = True, natural_weight: float = NATURAL_WEIGHT,
            seeds_weight: float = SEEDS_WEIGHT) -> list[Example]:
    from rag.embedding import load_embedder
    from rag.evaluation.runner import QueryCache

    emb = load_embedder(settings, progress=progress)
    sets = [fd.wiki_set("cmrc"), fd.wiki_set("drcd"), fd.seeds_set()]
    sets.append(off_topic(sets[:2], sets[2]))
    examples: list[Example] = []
    snaps: dict[str, IndexView] = {}
    for qs in sets:
        arts = qs.articles
        dropped: set[str] = set()
        if qs.name == "offtopic":  # asked over the seeds' index
            snap = snaps["seeds"]
        else:
            snap, dropped = fd.snapshots(qs, settings, emb, 0.0 if arts else HOLDOUT, articles=arts, progress=progress)
        snaps[qs.name] = snap
        cached = QueryCache(emb, [to_simplified(it.question) for it in qs.items], settings.cache_dir / "eval", progress)
        retr = Retriever(snap, cached, settings, model=None)
        t0 = time.perf_counter()
        for it in qs.items:
            pool, q = retr.pool(it.question, POOL)
            rows = passage_features(snap, q, pool)
            present = [g for g in it.gold if g in snap.articles]
            labels = np.array([float(bool(present) and h.chunk.doc_id in it.gold and has_fact(h.chunk.text, it))
                               for h in pool])
            if not present:
                it.answerable = False
            examples.append(Example(it, qs.name, split_of(it.id) if qs.name in ("seeds", "offtopic") else "fit", snap,
                                    pool, q, rows, labels, weight_of(it.kind, qs.name, natural_weight, seeds_weight)))
        print(f"{qs.name}: {len(qs.items)} questions, {len(qs.passages)} passages, {len(dropped)} held out "
              f"({time.perf_counter() - t0:.0f}s)", file=sys.stderr)
    return examples


def weight_of(kind: str, set_name: str, natural: float = NATURAL_WEIGHT, seeds: float = SEEDS_WEIGHT) -> float:
    """An example's weight in the fit: a CMRC/DRCD original 1, a natural seed question `seeds`, any other
    (reworded, off topic) `natural`."""
    return 1.0 if kind == "original" else seeds if set_name == "seeds" else natural


def off_topic(wiki: list[fd.QuestionSet], seeds: fd.QuestionSet) -> fd.QuestionSet:
    """Unanswerable examples of another kind than the held-out gold passages and near misses: encyclopedia
    questions asked over the news seeds ("苹果公司的CEO是谁？" over articles on Kazakhstan), which share no
    subject with the corpus but still find its nearest sentences at e5 cosines of 0.8 and more."""
    items = [fd.Item(id=f"off-{it.id}", question=it.question, gold=(), facts=(), kind="off_topic", lang=it.lang,
                     answerable=False)
             for qs in wiki for it in qs.items
             if int(hashlib.sha256(it.id.encode()).hexdigest(), 16) % OFF_TOPIC_EVERY == 0]
    return fd.QuestionSet("offtopic", seeds.passages, items, seeds.articles)


def sentences_of(ex: Example, model: ScorerModel) -> tuple[list[Any], np.ndarray, np.ndarray, list[float], np.ndarray]:
    """Candidate sentences as the answerer sees them: passages reranked by the passage model, top 3.
    Returns (sentences, their features, labels, reranked passage logits, reranked passage rows)."""
    assert model.passage is not None
    logits = model.passage.logit(ex.p_rows) if len(ex.pool) else np.zeros(0)
    order = sorted(range(len(ex.pool)), key=lambda i: (-logits[i], i))
    hits = [ex.pool[i] for i in order]
    pl = [float(logits[i]) for i in order]
    prow = ex.p_rows[order] if len(order) else ex.p_rows
    sents = candidate_sentences(ex.snap, ex.query, hits, pl, 3, prow)
    rows = sentence_features(ex.snap, ex.query, sents)
    labels = np.array([float(ex.item.answerable and s.hit.chunk.doc_id in ex.item.gold and answers(s, ex.item))
                       for s in sents])
    return sents, rows, labels, pl, prow


def without_answer(ex: Example, sents: list[Any], labels: np.ndarray, model: ScorerModel) -> list[Any]:
    """Question features as if the answer sentences were not in the corpus: an on-topic question whose
    fact is missing (a near miss), made from an answerable one."""
    assert model.sentence is not None
    rest = [s for s, y in zip(sents, labels) if y == 0]
    rows = sentence_features(ex.snap, ex.query, rest)
    for s, lg in zip(rest, model.sentence.logit(rows)):
        s.logit = float(lg)
    return rest
