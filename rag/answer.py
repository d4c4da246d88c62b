"""Compose an extractive answer: the sentences of the retrieved passages that the learned scorer says answer
the question, each cited to its passage.

- The question gate (rag.scorer's question model) decides whether the corpus answers at all.
- Each sentence in an answer passes the sentence model on its own, best first: one sentence when one answers.
- A multi-part question gets the best sentence for each part.
- When passages from different outlets give different figures for the asked fact, the answer gives each
  with its outlet and date, and `disagreements` lists them.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Sequence
from dataclasses import replace
from typing import Any

import numpy as np

from rag.answerer import AnswerContext, Event, Judgement, answer_pieces
from rag.disagreements import DIFFER_EN, DIFFER_ZH, other_outlets, outlet_label
from rag.embedding import Embedder
from rag.errors import ModelError
from rag.features import (
    Query,
    Sentence,
    candidate_sentences,
    question_features,
    sentence_features,
)
from rag.figures import names_a_date
from rag.gate import evidenced, lacks_figure, missing_figure
from rag.keywords import to_simplified
from rag.neighbours import key as _key
from rag.neighbours import (
    with_asked,
    with_names,
    with_reasons,
    with_relative,
    with_speaker_going_on,
    with_statement_ends,
)
from rag.people import foreign_nationals
from rag.questions import asks_again, asks_why_hard, is_english, leans_on_earlier, split_parts
from rag.retrieval import Candidates, Retrieval
from rag.scorer import ScorerModel, load_model, shares
from rag.settings import Settings
from rag.store import IndexView
from rag.typematch import says_hard
from rag.types import Answer, Citation, page_of

__all__ = ["NOT_FOUND_EN", "NOT_FOUND_ZH", "ExtractiveAnswerer", "is_english", "quoted"]

NOT_FOUND_ZH = "抱歉，已索引的文章中没有找到能回答这个问题的内容。"
NOT_FOUND_EN = "Sorry, the indexed articles do not contain an answer to this question."


def _first(sents: list[Sentence], keep: list[Sentence]) -> list[Sentence]:
    """`keep`, with their shares among themselves, when any; else `sents`."""
    if not keep:
        return sents
    for s, sh in zip(keep, shares([s.logit for s in keep])):
        s.prob = float(sh)
    return keep


class ExtractiveAnswerer:
    """Picks the sentences that answer the question and cites the passage each came from."""

    name = "extractive"

    def __init__(self, settings: Settings, embedder: Embedder, model: ScorerModel | None = None):
        self.settings = settings
        self.embedder = embedder
        self.model = model or load_model(str(settings.scorer_file))
        if self.model is None or not (self.model.passage and self.model.sentence and self.model.question):
            raise ModelError(f"the answer scorer {settings.scorer_file} is missing or incomplete: restore it "
                             "from git or refit it with `.venv/bin/python -m rag.evaluation.fit`")

    # -- the Answerer interface ----------------------------------------------------------------

    async def stream(self, engine: AnswerContext, r: Retrieval) -> AsyncIterator[Event]:
        from starlette.concurrency import run_in_threadpool

        answer = await run_in_threadpool(engine.compose, r)
        for ev in answer_pieces(answer):
            yield ev
        yield "done", answer.to_dict()

    async def condense(self, question: str, history: Sequence[str]) -> str | None:
        return None  # the engine's rule (rag.conversation) condenses follow-ups

    async def aclose(self) -> None:
        return None

    # -- scoring ------------------------------------------------------------------------------

    def _scored(self, snap: IndexView, q: Query, cands: Candidates, n_passages: int = 3,
                only: Sequence[int] | None = None) -> list[Sentence]:
        """Candidate sentences of the top `n_passages` (or of the passages `only`), best first."""
        assert self.model is not None and self.model.sentence is not None
        idx = list(only) if only is not None else list(range(min(n_passages, len(cands.hits))))
        p_rows = cands.passage_rows[idx] if cands.passage_rows is not None else None
        sents = candidate_sentences(snap, q, [cands.hits[i] for i in idx], [cands.passage_logits[i] for i in idx],
                                    len(idx), p_rows)
        rows = sentence_features(snap, q, sents)
        logits = self.model.sentence.logit(rows)
        for s, lg, sh in zip(sents, logits, shares(logits)):
            s.logit = float(lg)
            s.prob = float(sh)
        return sorted(sents, key=lambda s: -s.logit)

    def _called(self, snap: IndexView, q: Query | None, cands: Candidates, sents: list[Sentence],
                only: Sequence[int] | None = None) -> list[Sentence]:
        """For a who-is question, the sentences that call that person something (a role next to the name), with
        their shares among themselves, best first; `sents` for any other question. A sentence that calls them
        nothing (another man's posts, "托卡耶夫之前担任过哪些职务？") cannot answer, however close its wording. When
        none of `sents` does, every passage is searched ("谁是乌姆洛夫？": "卡内基国际和平基金会学者蒂穆尔·乌姆洛夫"
        stands in the fourth). Likewise, for a question why something is hard, the sentences that say it is
        ("要获得这方面的信息是很复杂的，安全部门享有缄默特权"), when any does; and for a question whose answer must say
        something (an employer, a birth: rag.evidence.required_evidence) that the best sentence does not, the few
        just below it that do (rag.gate.evidenced). The gate has judged the question on all of them before: cut
        to one or two, its features would read as a question with a single candidate."""
        if q is not None and q.evidence is not None and sents and not q.evidence(sents[0].text):
            # what the question requires (an employer, a birth …) stands in a sentence just below the best
            return _first(sents, evidenced(q, sents))
        why_hard = q is not None and q.atype == "reason" and asks_why_hard(q.text)
        if q is None or not why_hard and q.atype != "definition":
            return sents

        def fits(s: Sentence) -> bool:
            return says_hard(s.text) if why_hard else s.type_match

        if not any(fits(s) for s in sents) and only is None:
            sents = self._scored(snap, q, cands, len(cands.hits))
        return _first(sents, [s for s in sents if fits(s)])

    def judge(self, snap: IndexView, question: str, cands: Candidates) -> Judgement:
        """Does the corpus answer the question? The question model over the best sentences and passages."""
        assert self.model is not None and self.model.question is not None
        if not cands.hits or cands.query is None:
            return Judgement(False, 0.0, [])
        sents = self._scored(snap, cands.query, cands)
        p, passes = self._gate(cands.query, sents, cands)
        q = cands.query
        if not passes and lacks_figure(q, sents) and not names_a_date(q.unit):
            # "How long will the CSTO troops stay in Kazakhstan, according to Putin?": the top three passages give
            # no duration; Putin's "一段“有限的”时间" stands in RFA's passage, fourth of five. A count, a sum or a
            # duration is rare enough in news that finding one further down means something; a day or a year,
            # which nearly every passage gives, does not ("date of birth" would be answered with a meeting's "10日")
            wider = self._scored(snap, q, cands, len(cands.hits))
            pw, passes_w = self._gate(q, wider, cands)
            if passes_w:
                return Judgement(True, pw, wider)
        pqs: list[Query] = []
        if sents and not passes:
            pqs = self._part_queries(snap, question)
            gated = self._gated_parts(snap, pqs, cands)
            if gated:
                return Judgement(True, max(g for g, _ in gated), sents, [s for _, s in gated], pqs)
        if passes and q.multipart:
            pqs = self._part_queries(snap, question)
            if self._parts_missing(snap, pqs, cands):
                return Judgement(False, p, sents, part_queries=pqs)
        return Judgement(bool(sents) and passes, p, sents, part_queries=pqs)

    def _part_queries(self, snap: IndexView, question: str) -> list[Query]:
        """A multi-part question's parts as queries, encoded together; [] for a question that asks one thing."""
        parts = split_parts(question)
        if len(parts) < 2:
            return []
        return [Query.make(snap, p, v)
                for p, v in zip(parts, self.embedder.encode_queries([to_simplified(p) for p in parts]))]

    def _parts_missing(self, snap: IndexView, pqs: Sequence[Query], cands: Candidates) -> bool:
        """Every part of a multi-part question (`pqs`) names what its answer must hold, and the best sentence for
        that part alone lacks it (rag.gate.missing_figure): "那个以色列人叫什么名字？在哪个城市出的事？" from a
        sentence on "该国一座城市" names no one and no town. The gate reads a question as a whole, where one part's
        figure may stand for another's; each part is read here on its own. A part that asks nothing checkable lets
        the question through."""
        whole = cands.query
        for k, pq in enumerate(pqs):
            if k and asks_again(pq.text, [p.text for p in pqs[:k]]):  # "那个组织叫什么？" after "哪个青年组织"
                continue
            if whole is not None and pq.atype in ("place", "time") and not pq.nationals:
                # "那个以色列人叫什么名字？在哪个城市出的事？": where it befell the Israeli the first part names, which
                # "在该国南部的克兹拉尔达市发生了枪击" does not tell
                pq = replace(pq, nationals=foreign_nationals(whole.text))
            sents = self._scored(snap, pq, cands)
            if not sents or not missing_figure(pq, sents, self._extra_share):
                return False
        return bool(pqs)

    def _gated_parts(self, snap: IndexView, pqs: Sequence[Query], cands: Candidates) -> list[tuple[float, Sentence]]:
        """For a multi-part question (`pqs`), the parts that pass the gate on their own: (probability, best
        sentence) each. Asked as a whole, the parts dilute each other ("烏姆洛夫在哪個機構任職？他的文章登在哪本美國
        雜誌上？" matches no one sentence well); a part that leans on an earlier one for its subject is not asked
        alone."""
        out: list[tuple[float, Sentence]] = []
        for k, pq in enumerate(pqs):
            if k and leans_on_earlier(pq.text):
                continue
            sents = self._scored(snap, pq, cands, len(cands.hits))
            if not sents:
                continue
            p, passes = self._gate(pq, sents, cands)
            if passes:
                out.append((p, sents[0]))
        return out

    def _gate(self, q: Query, sents: list[Sentence], cands: Candidates,
              only: Sequence[int] | None = None) -> tuple[float, bool]:
        """The question model's probability that `sents` (scored for `q`) answer it, and whether the gate passes
        them: the probability reaches the model's threshold and the best sentence holds the kind of figure the
        question asks for (rag.gate.missing_figure). `only`: the passages (indices into cands.hits) the
        sentences came from, when not all of them."""
        assert self.model is not None and self.model.question is not None
        rows = cands.passage_rows if cands.passage_rows is not None else np.zeros((0, 1))
        logits = cands.passage_logits
        if only is not None:
            rows, logits = rows[list(only)], [logits[i] for i in only]
        x = question_features(q, sents, logits, rows)
        p = float(self.model.question.prob(self.model.question.logit(x[None])[0]))
        return p, p >= self.model.question.threshold and not missing_figure(q, sents, self._extra_share)

    @property
    def _extra_share(self) -> float:
        """The share an extra sentence needs (the sentence model's threshold): the sentences an answer may quote."""
        assert self.model is not None and self.model.sentence is not None
        return self.model.sentence.threshold

    # -- selection ----------------------------------------------------------------------------

    def _parts(self, snap: IndexView, pqs: Sequence[Query], cands: Candidates,
               chosen: Sequence[Sentence]) -> list[Sentence]:
        """For a multi-part question (which the gate passed as a whole), the best sentence of each part
        (`pqs`, the parts as queries) whose share passes the extra-sentence threshold. A later part
        ("他是在什么场合说的？") leans on the first for its subject, so it is not gated on its own; when it names
        that subject only by a pronoun, it is answered from the article of the first part's best sentence, with
        a sentence not yet quoted."""
        assert self.model is not None and self.model.sentence is not None
        out: list[Sentence] = []
        story: str | None = None  # the article of the first part's best sentence
        for k, pq in enumerate(pqs):
            leans = bool(k) and story is not None and leans_on_earlier(pq.text)
            # "她是怎么反唇相讥的": something new about the same story, so from its article, and not a sentence
            # already quoted
            only = [i for i, h in enumerate(cands.hits) if h.chunk.doc_id == story] if leans else []
            sents = self._scored(snap, pq, cands, len(cands.hits), only or None)  # no passage of it: all
            sents = self._called(snap, pq, cands, sents, only or None)
            if k == 0 and sents:
                story = sents[0].hit.chunk.doc_id
            if leans:
                taken = {_key(c) for c in (*chosen, *out)}
                sents = [x for x in sents if _key(x) not in taken]
            if sents and sents[0].prob >= self.model.sentence.threshold:
                out.append(sents[0])
                if pq.atype == "person":  # "那位分析人士叫什么？": the name may stand in the sentence after
                    out.extend(with_names(snap, sents, [sents[0]], 2, self.settings.max_answer_chars)[1:])
        return out

    def _select(self, snap: IndexView, question: str, cands: Candidates, verdict: Judgement) -> list[Sentence]:
        assert self.model is not None and self.model.sentence is not None
        s = self.settings
        t = self.model.sentence.threshold
        ranked = self._called(snap, cands.query, cands, verdict.sentences)
        pqs = verdict.part_queries or self._part_queries(snap, question)  # encoded once, when the verdict did
        if verdict.parts:  # answered part by part: the parts' best sentences, nothing the whole question picked
            chosen = [verdict.parts[0]]
            for best in [*verdict.parts[1:], *self._parts(snap, pqs, cands, chosen)]:
                if all(_key(best) != _key(c) for c in chosen):
                    chosen.append(best)
            return chosen
        chosen = [ranked[0]]
        for best in self._parts(snap, pqs, cands, chosen):  # the best sentence of each answered part
            if all(_key(best) != _key(c) for c in chosen):
                chosen.append(best)
        used = sum(len(c.text) for c in chosen)
        for cand in ranked[1:]:
            if len(chosen) >= s.max_answer_sentences:
                break
            if cand.prob < t or used + len(cand.text) > s.max_answer_chars or any(_key(cand) == _key(c) for c in chosen):
                continue
            chosen.append(cand)
            used += len(cand.text)
        chosen = with_statement_ends(snap, ranked, chosen, s.max_answer_sentences, s.max_answer_chars)
        q = cands.query
        if q is not None and q.atype == "reason":
            chosen = with_reasons(snap, ranked, chosen, s.max_answer_sentences, s.max_answer_chars)
        if q is not None and q.atype == "person":
            chosen = with_names(snap, ranked, chosen, s.max_answer_sentences, s.max_answer_chars)
        if q is not None and q.atype in ("other", "reason") and not q.multipart:  # what someone said, or why
            chosen = with_speaker_going_on(snap, ranked, chosen, s.max_answer_sentences, s.max_answer_chars)
        if q is not None and not q.multipart:
            chosen = with_asked(ranked, chosen, q.asked, s.max_answer_sentences, s.max_answer_chars)
        if q is not None and q.relative:
            chosen = with_relative(ranked, chosen, q.relative, s.max_answer_sentences, s.max_answer_chars)
        return chosen

    def _disagreements(self, snap: IndexView, cands: Candidates, chosen: list[Sentence]) -> list[Sentence]:
        """Other outlets' passing sentences that give a different figure for the asked number or date
        (rag.disagreements.other_outlets), each outlet's passages scored and gated on their own."""
        q = cands.query
        if q is None:
            return []
        return other_outlets(snap, q, cands.hits, chosen,
                             scored=lambda only: self._scored(snap, q, cands, only=only),
                             passes=lambda sents, only: self._gate(q, sents, cands, only)[1],
                             encode=self.embedder.encode_documents)

    # -- the answer ---------------------------------------------------------------------------

    def answer(self, snap: IndexView, question: str, cands: Candidates) -> Answer:
        passages = [h.to_dict(snap.articles.get(h.chunk.doc_id)) for h in cands.hits]
        verdict = self.judge(snap, question, cands)
        if not verdict.answerable:
            ans = self.not_answerable(snap, question, cands, passages)
            ans.confidence = round(verdict.confidence, 4)
            return ans
        chosen = self._select(snap, question, cands, verdict)
        differ = self._disagreements(snap, cands, chosen)
        english = is_english(question)
        if differ:
            chosen = [chosen[0]] + differ
        else:  # read in document order within an article, best article first
            first_pick: dict[str, int] = {}
            for i, c in enumerate(chosen):
                first_pick.setdefault(c.hit.chunk.doc_id, i)
            chosen.sort(key=lambda c: (first_pick[c.hit.chunk.doc_id], c.start))
        citations: list[Citation] = []
        by_chunk: dict[str, int] = {}
        parts: list[str] = []
        disagreements: list[dict[str, Any]] = []
        for c in chosen:
            ch = c.hit.chunk
            art = snap.articles[ch.doc_id]
            if ch.id not in by_chunk:
                by_chunk[ch.id] = len(citations) + 1
                citations.append(Citation(n=by_chunk[ch.id], chunk_id=ch.id, doc_id=ch.doc_id, title=art.title,
                                          url=art.url, source=art.source, published=art.published,
                                          quote=ch.text, start=ch.start, end=ch.end, score=round(c.hit.score, 6),
                                          page=page_of(art, ch.start), also_reported_by=c.hit.also_reported_by))
            n = by_chunk[ch.id]
            if differ:
                label = outlet_label(art.source, art.published, english)
                parts.append(f"{label}{quoted(c.text)}[{n}]")
                disagreements.append({"source": art.source, "published": art.published, "doc_id": art.id,
                                      "n": n, "text": c.text, "start": c.start, "end": c.end})
            else:
                parts.append(f"{quoted(c.text)}[{n}]")
        if differ:
            text = (DIFFER_EN if english else DIFFER_ZH) + "\n" + "\n".join(parts)
        else:
            text = (" " if is_english(" ".join(parts)) else "").join(parts)
        return Answer(question=question, answer=text, answerable=True, citations=citations, passages=passages,
                      disagreements=disagreements, confidence=round(verdict.confidence, 4))

    def not_answerable(self, snap: IndexView, question: str, cands: Candidates,
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


_BRACKETED = re.compile(r"\[(\d+)\]")


def quoted(text: str) -> str:
    """Article text as it appears in an answer: a bracketed number in the article (a footnote, "[3]") is shown
    in full-width brackets, "［3］", so that it never reads as a citation marker. The citation's span still
    points at the exact article text."""
    return _BRACKETED.sub(r"［\1］", text)
