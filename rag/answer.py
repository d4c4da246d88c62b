"""Compose an extractive answer: the sentences of the retrieved passages that best answer the question."""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass

from rag.chunking import sentence_spans
from rag.embedding import Embedder
from rag.keywords import content_terms, tokenize
from rag.retrieval import Candidates
from rag.settings import Settings
from rag.store import Snapshot
from rag.types import Answer, Citation, Hit

_LATIN = re.compile(r"[A-Za-z]")
_CJK = re.compile(r"[\u3400-\u9fff]")
_WHEN = re.compile(r"哪一?年|几年|何时|什么时候|哪天|哪一天|几月|日期|时间|when|what year|what date", re.I)
_COUNT = re.compile(r"多少|几[个名人次位岁天年万千百]|how many|how much|number of", re.I)
_NUMERIC = re.compile(r"\d|[一二三四五六七八九十百千万亿两]+[个名人次位岁天年万千百%]")


def is_english(text: str) -> bool:
    """True when the question is written mostly in Latin script (answer notices follow its language)."""
    return len(_LATIN.findall(text)) > 2 * len(_CJK.findall(text))


NOT_FOUND_ZH = "抱歉，已索引的文章中没有找到能回答这个问题的内容。"
NOT_FOUND_EN = "Sorry, the indexed articles do not contain an answer to this question."


@dataclass
class Sentence:
    hit: Hit
    start: int  # absolute offsets in the article text
    end: int
    text: str
    lexical: float = 0.0
    dense: float = 0.0
    score: float = 0.0


@dataclass
class Judgement:
    """Why the answerer thinks the corpus does or does not answer a question."""

    answerable: bool
    coverage: float  # idf-weighted share of the question's terms found in the top passages
    dense_top: float  # cosine of the best passage


class ExtractiveAnswerer:
    """Picks one to three sentences and cites the passage each came from."""

    def __init__(self, settings: Settings, embedder: Embedder):
        self.settings = settings
        self.embedder = embedder

    # -- answerability ------------------------------------------------------------------------

    def judge(self, snap: Snapshot, question: str, cands: Candidates) -> Judgement:
        """Does any top passage answer the question? Lexical evidence first, dense as the cross-lingual net.

        e5 cosines are compressed (unrelated pairs still score ~0.7), so a dense threshold alone cannot
        tell; within one language, the share of the question's distinctive terms that a single passage
        contains is the sharper signal. Questions in another script than the passages have no shared
        terms, so they fall back to a dense threshold calibrated for cross-lingual pairs.
        """
        hits = cands.hits
        if not hits:
            return Judgement(False, 0.0, 0.0)
        dense_top = max((h.dense_score or 0.0) for h in hits)
        idf = snap.keywords.idf(content_terms(cands.query_tokens, snap.keywords.vocab))
        total = sum(idf.values())
        coverage = 0.0
        if total > 0:
            for h in hits[:3]:
                toks = set(tokenize(f"{snap.articles[h.chunk.doc_id].title}\n{h.chunk.text}"))
                coverage = max(coverage, sum(w for t, w in idf.items() if t in toks) / total)
        s = self.settings
        if is_english(question) and not is_english(hits[0].chunk.text):
            answerable = dense_top >= s.min_dense_crosslingual
        else:
            # both retrievers putting the same passage first is strong evidence on its own (CMRC holdout:
            # 74% of answerable questions, 12% of those whose passage was removed)
            agree = hits[0].dense_rank == 1 and hits[0].keyword_rank == 1
            answerable = ((coverage >= s.min_coverage and dense_top >= s.min_dense)
                          or (agree and coverage >= s.agreed_min_coverage) or dense_top >= s.confident_dense)
        return Judgement(answerable, coverage, dense_top)

    # -- sentence selection -------------------------------------------------------------------

    def _sentences(self, snap: Snapshot, hits: Sequence[Hit]) -> list[Sentence]:
        out: list[Sentence] = []
        seen: set[tuple[str, int, int]] = set()
        for h in hits:
            text = snap.articles[h.chunk.doc_id].text
            for s, e in sentence_spans(text, h.chunk.start, h.chunk.end):
                key = (h.chunk.doc_id, s, e)
                # sub-headings ("国际呼吁") are context, not answers: skip short unpunctuated lines
                if key not in seen and e - s >= 4 and (e - s >= 16 or text[e - 1] in "。！？；…”」）)"):
                    seen.add(key)
                    out.append(Sentence(hit=h, start=s, end=e, text=text[s:e]))
        return out

    def _score(self, snap: Snapshot, question: str, cands: Candidates, sents: list[Sentence]) -> None:
        # The question's entity usually occurs in every candidate sentence, so it cannot pick one:
        # weight each term by its corpus idf times how rare it is among the candidate sentences.
        idf = snap.keywords.idf(content_terms(cands.query_tokens, snap.keywords.vocab))
        toks = [set(tokenize(s.text)) for s in sents]
        n = len(sents) or 1
        weight = {}
        for t, w in idf.items():
            df = sum(1 for ts in toks if t in ts)
            weight[t] = w * math.log(1 + n / (1 + df))
        total = sum(weight.values()) or 1.0
        for s, ts in zip(sents, toks):
            s.lexical = sum(w for t, w in weight.items() if t in ts) / total
        mode = self.settings.sentence_dense
        cross = is_english(question) and bool(sents) and not is_english(sents[0].text)
        dense_w = 0.0
        if sents and (mode == "always" or (mode == "auto" and cross)):
            # Encoding every candidate sentence costs more than the rest of the request together, so by
            # default only cross-lingual questions, which share no words with the passages, pay for it.
            vecs = self.embedder.encode_documents([s.text for s in sents])
            for s, d in zip(sents, vecs @ cands.query_vector):
                s.dense = float(d)
            dense_w = 2.0
        wants_number = bool(_WHEN.search(question) or _COUNT.search(question))
        best_hit = sents[0].hit.score if sents else 1.0
        for s in sents:
            prior = s.hit.score / best_hit  # passage rank matters: the top passage is usually right
            bonus = 0.05 if wants_number and _NUMERIC.search(s.text) else 0.0
            s.score = 0.45 * s.lexical + dense_w * s.dense + 0.15 * prior + bonus

    def answer(self, snap: Snapshot, question: str, cands: Candidates) -> Answer:
        s = self.settings
        passages = [h.to_dict(snap.articles.get(h.chunk.doc_id)) for h in cands.hits]
        verdict = self.judge(snap, question, cands)
        if not verdict.answerable:
            return self.not_answerable(snap, question, cands, passages)
        sents = self._sentences(snap, cands.hits[:3])
        self._score(snap, question, cands, sents)
        ranked = sorted(sents, key=lambda x: -x.score)
        chosen: list[Sentence] = []
        used = 0
        for cand in ranked:
            if len(chosen) >= s.max_answer_sentences:
                break
            if chosen and (cand.score < ranked[0].score * s.answer_score_ratio or used + len(cand.text) > s.max_answer_chars):
                continue
            if not chosen and len(cand.text) > s.max_answer_chars:
                # keep a long best sentence whole rather than quoting a fragment
                chosen.append(cand)
                break
            chosen.append(cand)
            used += len(cand.text)
        # read in document order within an article, best article first
        first_pick: dict[str, int] = {}
        for i, c in enumerate(chosen):
            first_pick.setdefault(c.hit.chunk.doc_id, i)
        chosen.sort(key=lambda c: (first_pick[c.hit.chunk.doc_id], c.start))
        citations: list[Citation] = []
        by_chunk: dict[str, int] = {}
        parts: list[str] = []
        for c in chosen:
            ch = c.hit.chunk
            if ch.id not in by_chunk:
                art = snap.articles[ch.doc_id]
                by_chunk[ch.id] = len(citations) + 1
                citations.append(Citation(n=by_chunk[ch.id], chunk_id=ch.id, doc_id=ch.doc_id, title=art.title,
                                          url=art.url, source=art.source, published=art.published,
                                          quote=ch.text, start=ch.start, end=ch.end, score=round(c.hit.score, 6)))
            parts.append(f"{c.text}[{by_chunk[ch.id]}]")
        sep = " " if is_english(" ".join(p for p in parts)) else ""
        return Answer(question=question, answer=sep.join(parts), answerable=True, citations=citations,
                      passages=passages)

    def not_answerable(self, snap: Snapshot, question: str, cands: Candidates,
                       passages: list[dict[str, object]]) -> Answer:
        nearest: list[dict[str, object]] = []
        for h in cands.hits:
            if any(n["doc_id"] == h.chunk.doc_id for n in nearest):
                continue
            art = snap.articles[h.chunk.doc_id]
            nearest.append({"doc_id": art.id, "title": art.title, "url": art.url, "source": art.source,
                            "published": art.published, "score": round(h.score, 6)})
            if len(nearest) >= 3:
                break
        msg = NOT_FOUND_EN if is_english(question) else NOT_FOUND_ZH
        return Answer(question=question, answer=msg, answerable=False, passages=passages, nearest=nearest)

