"""How the engine reads a news question before and after retrieval (rag.engine calls `retrieve` and `compose`).

- A period the question names ("2022年1月", "last June"; rag.periods) narrows the publication dates searched,
  and an outlet it names ("半岛网报道的…", "According to RFA") the outlets, when the request set no date or outlet
  filter. If nothing from them answers, the whole archive is searched instead; a period often dates the event
  rather than the reports, so the whole archive also answers when the question model trusts its answer more.
  Either way the answer says so, and what was applied is echoed as `filters`.
- A timeline question (rag.timeline) searches its topic over more passages and is answered by a dated list.
- A question about the latest news ("最新", "latest") ranks, among the passages that answer, the newest
  articles first, and the answer says how recent its newest source is ("最新报道：2023-06-30").
"""

from __future__ import annotations

import re
import weakref
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, Protocol

from rag import glossary, periods, timeline
from rag.answer import ExtractiveAnswerer
from rag.answerer import Judgement
from rag.dates import publication_day
from rag.embedding import Embedder
from rag.features import Sentence
from rag.keywords import to_simplified
from rag.periods import Period
from rag.questions import is_english, split_parts
from rag.retrieval import Candidates, Filters, Retrieval, Retriever
from rag.settings import Settings
from rag.store import IndexView
from rag.types import Answer

LATEST_DEPTH = 10  # passages a "latest" question reranks by date before keeping top_k
# Passages whose reranker logit is within this of the best one count as answering a "latest" question
# (among them, the newest article comes first).
LATEST_MARGIN = 2.0


class EngineLike(Protocol):
    settings: Settings
    embedder: Embedder
    extractive: ExtractiveAnswerer


@dataclass
class NewsRetrieval(Retrieval):
    """A retrieval with what the question asked for beyond its words."""

    period: Period | None = None  # the period the question named
    period_used: bool = False  # False: nothing in the period answered; the whole archive was searched
    period_weaker: bool = False  # the period's articles answered, with less confidence than the whole archive
    outlet: str | None = None  # the outlet the question named ("半岛网报道的死亡人数是多少？")
    outlet_used: bool = False  # False: nothing of that outlet answered; every outlet was searched
    timeline: bool = False
    latest: bool = False


def article_days(snap: IndexView) -> list[date]:
    """The publication days of the live articles, sorted (metadata only, no article text)."""
    return sorted(d for d in (publication_day(p) for _, p in snap.outlets_and_dates()) if d is not None)


def newest_day(snap: IndexView) -> date:
    """The archive's "now": the newest article's publication day (today, for an index without dates)."""
    days = article_days(snap)
    return days[-1] if days else date.today()


_OUTLETS: weakref.WeakKeyDictionary[Any, dict[str, re.Pattern[str]]] = weakref.WeakKeyDictionary()


def _outlet_names(snap: IndexView) -> dict[str, re.Pattern[str]]:
    """Each outlet of the archive and a pattern for how a question names it: any word of its name ("RFA 自由亚洲电台":
    RFA, 自由亚洲电台). Read once per snapshot (a scan of the articles' metadata)."""
    if snap in _OUTLETS:
        return _OUTLETS[snap]
    names: dict[str, re.Pattern[str]] = {}
    for source in sorted({o.source for o in snap.outlets_and_dates() if o.source}):
        words = [w for w in source.split() if len(w) >= 2 and _names_outlet(w)]
        alts = [_latin_alias(w) if w.isascii() else _medium_alias(to_simplified(w)) for w in words]
        if alts:
            names[source] = re.compile("|".join(alts))  # an acronym as the outlet writes it: "RFA", not "rfa"
    _OUTLETS[snap] = names
    return names


def _latin_alias(word: str) -> str:
    """A pattern for a Latin word of an outlet's name as questions write it: an acronym also spelt out, word by
    word ("RFA": "Radio Free Asia", "RFI": "Radio France Internationale"); a name also split ("Aljazeera": "Al
    Jazeera")."""
    if word.isupper() and 2 <= len(word) <= 5:
        spelt = r"\s+".join(c + r"[a-z]+" for c in word)
        return rf"\b(?:{re.escape(word)}|{spelt})\b"
    return r"\b(?i:" + r"[ -]?".join(re.escape(c) for c in word) + r")\b"


# how a Chinese outlet's name ends in the medium it is ("半岛网", "自由亚洲电台"); readers swap one for another
# ("半岛台早期报道…", "半岛电视台")
_MEDIUM = re.compile(r"(?:电视台|电视网|电台|网|台)$")


def _medium_alias(word: str) -> str:
    """A pattern for a Chinese outlet's name as readers write it: with any medium after its stem ("半岛网" ->
    半岛网, 半岛台, 半岛电视台), when the stem keeps two characters or more."""
    stem = _MEDIUM.sub("", word)
    if stem == word or len(stem) < 2:
        return re.escape(word)
    return re.escape(stem) + "(?:电视台|电视网|电台|网|台)"


def _names_outlet(word: str) -> bool:
    """Can this word of an outlet's name stand for the outlet in a question? An acronym (RFA, RFI) or a word that is
    not common English (Aljazeera) can; "China" of "China Daily" or "News" cannot (the glossary's common English
    words); Chinese words can (半岛网, 自由亚洲电台, 法广)."""
    if not word.isascii():
        return True
    common = word.lower() in glossary.load() or word.lower() in glossary.FUNCTION_WORDS
    return (word.isupper() and word.isalpha()) or (len(word) >= 4 and not common)


def named_outlet(snap: IndexView, question: str) -> tuple[str, str] | None:
    """The one outlet the question names, and the words that name it; None for none or several, and for a
    multi-part question that names it in only some of its parts ("扎图林暗示俄罗斯可能打哈萨克哪一块？法广报道说那边
    科斯塔奈俄裔占比多少？": the first part is asked of every outlet)."""
    q = to_simplified(question)
    found = [(source, m.group(0)) for source, pat in _outlet_names(snap).items() if (m := pat.search(q))]
    if len(found) != 1:
        return None
    parts = split_parts(question)
    if len(parts) > 1 and not all(_outlet_names(snap)[found[0][0]].search(to_simplified(p)) for p in parts):
        return None
    return found[0]


def prefer_recent(snap: IndexView, cands: Candidates, k: int) -> Candidates:
    """The candidates with those that answer (logit within LATEST_MARGIN of the best) newest first; top k."""
    if not cands.hits:
        return cands
    best = max(cands.passage_logits)
    answering = [i for i, lg in enumerate(cands.passage_logits) if lg >= best - LATEST_MARGIN]
    rest = [i for i in range(len(cands.hits)) if i not in set(answering)]

    def published(i: int) -> str:
        art = snap.articles.get(cands.hits[i].chunk.doc_id)
        return (art.published or "") if art is not None else ""

    answering.sort(key=published, reverse=True)  # stable: same-day passages keep the reranker's order
    order = (answering + rest)[:k]
    rows = cands.passage_rows[order] if cands.passage_rows is not None else None
    return Candidates(hits=[cands.hits[i] for i in order], query_vector=cands.query_vector,
                      query_tokens=cands.query_tokens, query=cands.query,
                      passage_logits=[cands.passage_logits[i] for i in order], passage_rows=rows)


def retrieve(engine: EngineLike, snap: IndexView, question: str, query: str, k: int,
             filters: Filters | None) -> NewsRetrieval:
    """Retrieve for `question` (searched as `query`), narrowed to the period it names, deeper for a timeline,
    newest first for "latest"."""
    is_tl, latest = timeline.is_timeline(question), periods.is_latest(question)
    requested = filters is not None and filters.active()
    period = None if requested else periods.find(question, lambda: newest_day(snap), lambda: article_days(snap))
    outlet = None if requested else named_outlet(snap, question)
    # a timeline searches its topic: without the timeline words, and without the period it is narrowed to
    search = timeline.topic(query.replace(period.label, " ") if period else query) if is_tl else query
    if outlet is not None:  # the outlet's name is a filter, not a search term ("自由亚洲电台记者…" is a byline)
        search = to_simplified(search).replace(outlet[1], " ").strip() or search
    depth = max(k, timeline.DEPTH) if is_tl else max(k, LATEST_DEPTH) if latest else k
    retriever = Retriever(snap, engine.embedder, engine.settings)
    by_period = period.filters() if period else Filters()
    narrowed = Filters(source=outlet[0] if outlet else None, date_from=by_period.date_from, date_to=by_period.date_to)
    cands = retriever.candidates(search, depth, narrowed if narrowed.active() else filters)
    period_used, outlet_used = period is not None, outlet is not None
    weaker = False  # the period's articles answered, with less confidence than the whole archive
    if narrowed.active():
        verdict = engine.extractive.judge(snap, question, cands)
        # a period often dates the event, not the reports ("2022年1月哈萨克动乱时，托卡耶夫请求哪个军事联盟派部队？"
        # is answered by a June analysis), and "今年" counted from the newest article is a guess at the asker's now:
        # the whole archive is searched too, and answers when the question model trusts it more
        dated = period is not None and outlet is None and not is_tl  # a timeline keeps to its period
        wide = retriever.candidates(search, depth, filters) if not verdict.answerable or dated else None
        if wide is not None and not verdict.answerable:
            # nothing from what the question named answers: every article is searched, and the answer says so
            cands, period_used, outlet_used = wide, False, False
        elif wide is not None:
            wide_verdict = engine.extractive.judge(snap, question, wide)
            if _answers_outside(snap, period, verdict, wide_verdict):
                cands, period_used, weaker = wide, False, True
            elif _refused_outside(snap, period, verdict, wide_verdict):
                # the archive tells the event best outside the period, and that account does not answer
                # ("2022年1月…推倒雕像是在哪座城市": June's report says only "多座城市"; January's photo caption
                # names a city but not the statue's): the question is refused over the whole archive
                cands, period_used = wide, False
    if latest:
        cands = prefer_recent(snap, cands, k)
    return NewsRetrieval(snap, question, search, cands, period=period, period_used=period_used, period_weaker=weaker,
                         timeline=is_tl, latest=latest, outlet=outlet[0] if outlet else None, outlet_used=outlet_used)


def _outside(snap: IndexView, period: Period, sentence: Sentence) -> bool:
    """The sentence's article was published outside the period (or on no known day)."""
    day = publication_day(snap.article(sentence.hit.chunk.doc_id).published)
    return day is None or not period.start <= day <= period.end


def _refused_outside(snap: IndexView, period: Period | None, narrow: Judgement, wide: Judgement) -> bool:
    """The period's articles answered, but the whole archive refuses, and its best sentence, better than any of
    the period's, comes from outside the period: the period dated the event, and the event's own account lacks
    what is asked."""
    if period is None or not narrow.answerable or wide.answerable or not wide.sentences or not narrow.sentences:
        return False
    best = max(wide.sentences, key=lambda s: s.logit)
    return best.logit > max(s.logit for s in narrow.sentences) and _outside(snap, period, best)


def _answers_outside(snap: IndexView, period: Period | None, narrow: Judgement, wide: Judgement) -> bool:
    """The whole archive answers with more confidence than the period's articles, from an article outside the
    period: its best sentence is new, not the period's own found again among more passages."""
    if period is None or not wide.answerable or wide.confidence <= narrow.confidence or not wide.sentences:
        return False
    return _outside(snap, period, max(wide.sentences, key=lambda s: s.logit))


def compose(engine: EngineLike, r: Retrieval) -> Answer | None:
    """The timeline answer of a timeline question (None: answer it the ordinary way)."""
    if not isinstance(r, NewsRetrieval) or not r.timeline:
        return None
    within = (r.period.start, r.period.end) if r.period is not None and r.period_used else None
    return timeline.compose(engine.extractive, r.snapshot, r.question, r.candidates, within)


def newest_source(published: Sequence[str | None]) -> str | None:
    days = [p[:10] for p in published if p]
    return max(days) if days else None


def annotate(ans: Answer, r: Retrieval) -> Answer:
    """Add what the answer must say about the question's period and, for "latest", how recent its sources are."""
    if not isinstance(r, NewsRetrieval):
        return ans
    english = is_english(r.question)
    notes = []
    if r.latest and ans.answerable:
        newest = newest_source([c.published for c in ans.citations])
        if newest:
            notes.append(f"(Most recent report: {newest}.)" if english else f"（最新报道：{newest}）")
    if r.period is not None and ans.answerable:  # a refusal searched everything already and says so as it is
        notes.append(r.period.note(english, r.period_used, r.period_weaker))
        if r.period_used:
            ans.filters = r.period.to_dict()
    if r.outlet is not None and ans.answerable:
        if r.outlet_used:
            notes.append(f"(Only articles from {r.outlet}.)" if english else f"（只看{r.outlet}的报道）")
            ans.filters = {**(ans.filters or {"source": None, "date_from": None, "date_to": None}), "source": r.outlet}
        else:
            notes.append(f"(No answer in the articles from {r.outlet}; searched all outlets instead.)" if english
                         else f"（{r.outlet}的报道中没有找到答案，已改为检索全部来源）")
    if notes:
        ans.answer = "\n".join([ans.answer, *notes])
    return ans
