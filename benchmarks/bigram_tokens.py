"""Experiment: add character bigrams of jieba's out-of-vocabulary tokens to the BM25 tokens.

jieba glues unknown names to the next character ("潘淑是", "白岳峰现"), so the keyword retriever
misses them. This reuses the cached eval index's vectors, rebuilds only the keyword index with the
patched tokenizer, and reports retrieval in hybrid and keyword-only mode (cached query vectors).

    .venv/bin/python benchmarks/bigram_tokens.py [--questions PATH --corpus PATH]
"""

from __future__ import annotations

import argparse
import re
from pathlib import Path

import rag.answer
import rag.keywords
import rag.retrieval
import rag.store
from rag.embedding import load_embedder
from rag.evaluation.cli import _default
from rag.evaluation.dataset import load_corpus, load_questions
from rag.evaluation.runner import QueryCache, QuestionRunner, build_report, cached_snapshot, corpus_digest
from rag.keywords import KeywordIndex
from rag.settings import Settings
from rag.store import Snapshot

_CJK_ONLY = re.compile(r"^[\u3400-\u9fff]+$")
_base = rag.keywords.tokenize


def bigram_tokenize(text: str) -> list[str]:
    """jieba tokens plus the character bigrams of CJK tokens jieba does not know."""
    freq = rag.keywords._jieba().dt.FREQ  # type: ignore[attr-defined]
    out = _base(text)
    extra = []
    for t in out:
        if len(t) >= 3 and _CJK_ONLY.match(t) and not freq.get(t):
            extra.extend(t[i:i + 2] for i in range(len(t) - 1))
    return out + [e for e in extra if e not in rag.keywords.STOPWORDS]


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--corpus", default=_default("corpus.jsonl"))
    p.add_argument("--questions", default=_default("questions.jsonl"))
    args = p.parse_args()
    settings = Settings.from_env()
    emb = load_embedder(settings, progress=False)
    passages = load_corpus(Path(args.corpus))
    questions = load_questions(Path(args.questions))
    snap, _ = cached_snapshot(passages, corpus_digest(Path(args.corpus)), settings, emb, progress=False)
    qemb = QueryCache(emb, [q.question for q in questions], settings.cache_dir / "eval", progress=False)
    for variant in ("jieba", "jieba+oov-bigrams"):
        tok = _base if variant == "jieba" else bigram_tokenize
        for mod in (rag.keywords, rag.retrieval, rag.answer, rag.store):
            mod.tokenize = tok  # type: ignore[attr-defined]
        vocab: dict[str, int] = {}
        rows = KeywordIndex.count_rows((tok(f"{snap.articles[c.doc_id].title}\n{c.text}") for c in snap.chunks), vocab)
        kw = KeywordIndex.from_rows([rows], vocab)
        s2 = Snapshot(snap.config, list(snap.articles.values()), snap.chunks, snap.faiss, kw, snap.hashes)
        for mode in ("hybrid", "keyword"):
            recs = QuestionRunner(settings, qemb, s2, mode, retrieval_only=True).run(  # type: ignore[arg-type]
                questions, set(s2.articles), progress=False)
            o = build_report(recs, [1, 5], False, {"ks": [1, 5]})["overall"]
            print(f"{variant:<18} {mode:<8} R@1 {o['recall@1']:.4f} R@5 {o['recall@5']:.4f} MRR@10 {o['mrr@10']:.4f}")


if __name__ == "__main__":
    main()
