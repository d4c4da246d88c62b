"""Timelines: a question about how events unfolded ("经过", "时间线", "先后", "怎么发展", "what happened",
"timeline", "how did ... unfold") gets the dated events of the retrieved passages, in date order.

- The events are sentences of the retrieved passages, quoted as they stand (never rewritten), that name a date
  or, failing that, carry an event verb (then the article's publication day stands in, marked inferred).
- Each sentence is dated by rag.dates against its article's publication day: "7日" in an article of
  2022-01-08 is 2022-01-07, and a date worked out that way is `inferred`.
- Only sentences the answer scorer finds about as relevant to the question's topic as the best one are kept.
- Events reported by several articles (same date, near-duplicate text) appear once with all their citations.
- Every line carries its own markers; each citation is the exact sentence span (`text[start:end] == quote`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from rag.answer import ExtractiveAnswerer, quoted
from rag.dates import event_date, mentions, publication_day
from rag.features import candidate_sentences, sentence_features
from rag.keywords import to_simplified
from rag.periods import month_end
from rag.questions import is_english
from rag.retrieval import Candidates, near_duplicate
from rag.store import IndexView
from rag.types import Answer, Citation, Hit

CUES = re.compile(r"的经过|经过(?=[是如怎？?。，,]|$)|时间线|时间轴|时间顺序|先后(?![^？?]*(?:哪|谁|多少|几|什么))|始末|来龙去脉|大事记|"
                  r"(?:怎么|怎样|如何)(?:一步步)?(?:发展|演变|演进|展开)|发展过程|演变过程|发生了(?:什么|哪些)|"
                  # "what happened to Nazarbayev's nephew?" asks one fact, not for the story
                  r"\btimeline\b|\bchronolog\w*|\bwhat (?:has )?happened\b(?!\s+(?:to|at|with)\b)|"
                  r"\bsequence of events\b|\bin what order\b|"
                  r"\bhow did .{1,80}?\b(?:unfold|develop|evolve|play out|escalate)\b", re.I)
_HOW_DID = re.compile(r"\bhow did (.{1,80}?)\s+(?:unfold|develop|evolve|play out|escalate)\b", re.I)
_FILLER = re.compile(r"请问|请|按时间顺序|梳理一下|梳理|列出|说说|讲讲|介绍一下|介绍|是(?:怎样|怎么样|如何|什么)的?|怎样|怎么样|"
                     r"如何|\b(?:the|of|what is|give me|show me)\b|[？?。！!]", re.I)
EVENT_VERB = re.compile(r"宣布|爆发|发生|发动|逮捕|被捕|辞职|革职|免职|任命|抵达|撤离|撤出|签署|下令|通过|举行|"
                        r"召开|承认|否认|谴责|遇害|丧生|死亡|袭击|占领|入侵|进入|恢复|实施|取消|派出|派遣|开火|"
                        r"抗议|示威|判刑|上涨|宣誓|当选|会见|通电话|发表|提出")
MAX_EVENTS = 12
MAX_PER_DAY = 3  # events shown for one date, so that one busy day does not crowd out the rest of the story
MIN_DATED = 3  # with fewer dated events than this, undated event sentences fill in (dated by publication)
DEPTH = 20  # passages retrieved for a timeline (a normal answer reads RAG_TOP_K)
# An article is part of the story when the reranker's probabilities of its retrieved passages add up to at least
# this share of the top article's: on the seeds, "哈萨克斯坦骚乱的经过" gives the two unrest reports 1.67 and 1.02 and
# the three articles on the war in Ukraine 0.06 or less.
ARTICLE_SHARE = 0.25
# Within those articles, sentences whose scorer logit is within this of the best one (the seeds' unrest reports
# span 5 logits between the lede and the government's resignation).
RELEVANCE_MARGIN = 6.0
SAME_EVENT = 0.75  # share of character bigrams two same-day sentences must share to be one event


def is_timeline(question: str) -> bool:
    """Does the question ask how events unfolded?"""
    return bool(CUES.search(to_simplified(question)))


def topic(question: str) -> str:
    """The question without its timeline words: what the events are about ("哈萨克斯坦骚乱的经过是怎样的？" ->
    "哈萨克斯坦骚乱"), for retrieval."""
    q = _HOW_DID.sub(r"\1", to_simplified(question))
    t = _FILLER.sub(" ", CUES.sub(" ", q))
    t = re.sub(r"\s+", " ", t).strip(" ，,的")
    t = re.sub(r"^(?:in|on|at|about)\s+|\s+(?:in|on|at|about)$", "", t, flags=re.I)
    return t if len(t) >= 2 else question


@dataclass
class Dated:
    """A retrieved sentence and the date of the event it reports."""

    hit: Hit
    start: int
    end: int
    text: str
    date: str  # "2022-01-07", "2022-01" or "2014"
    inferred: bool
    relevance: float  # the answer scorer's sentence logit
    published: str | None = None
    undated: bool = False  # no date in the sentence: its article's publication day stands in
    in_story: bool = True  # its article is one of the story's (ARTICLE_SHARE); others only add citations


@dataclass
class Event:
    """One line of a timeline: a date and the sentences (from one or more articles) that report it."""

    date: str
    sentences: list[Dated] = field(default_factory=list)

    @property
    def inferred(self) -> bool:
        return all(s.inferred for s in self.sentences)


def dated_sentences(snap: IndexView, cands: Candidates, model: ExtractiveAnswerer) -> list[Dated]:
    """The sentences of the retrieved passages that name a date or an event, with their dates, their relevance and
    whether their article is part of the story (ARTICLE_SHARE); `undated` ones are dated by their article's
    publication day."""
    q = cands.query
    assert q is not None and model.model is not None and model.model.sentence is not None
    mass: dict[str, float] = {}
    for h in cands.hits:
        mass[h.chunk.doc_id] = mass.get(h.chunk.doc_id, 0.0) + h.score
    story = {d for d, m in mass.items() if m >= ARTICLE_SHARE * max(mass.values(), default=0.0)}
    sents = candidate_sentences(snap, q, cands.hits, cands.passage_logits, len(cands.hits), cands.passage_rows)
    logits = model.model.sentence.logit(sentence_features(snap, q, sents))
    out: list[Dated] = []
    for s, lg in zip(sents, logits):
        published = snap.articles[s.hit.chunk.doc_id].published
        m = event_date(mentions(s.text, published))
        if m is not None:
            d = Dated(s.hit, s.start, s.end, s.text, m.value, m.inferred, float(lg), published)
        elif EVENT_VERB.search(s.text) and (pub := publication_day(published)) is not None:
            d = Dated(s.hit, s.start, s.end, s.text, pub.isoformat(), True, float(lg), published, undated=True)
        else:
            continue
        d.in_story = s.hit.chunk.doc_id in story
        out.append(d)
    return out


def _same_event(d: Dated, events: list[Event]) -> Event | None:
    return next((e for e in events if e.date == d.date and
                 any(near_duplicate(d.text, s.text, SAME_EVENT) for s in e.sentences)), None)


def select(dated: list[Dated], limit: int = MAX_EVENTS) -> list[Event]:
    """The story's relevant sentences as events in date order, at most `limit` (the most relevant) and MAX_PER_DAY
    per date, undated sentences only when fewer than MIN_DATED events have a date of their own. A same-day
    near-duplicate from another article (any retrieved one: a syndicated copy may rank low) joins its event as one
    more citation."""
    story = [d for d in dated if d.in_story]
    if not story:
        return []
    best = max(d.relevance for d in story)
    ranked = sorted(dated, key=lambda d: -d.relevance)
    events: list[Event] = []
    for undated in (False, True):
        if undated and len(events) >= MIN_DATED:
            break
        for d in ranked:
            if d.undated is not undated or not d.in_story or d.relevance < best - RELEVANCE_MARGIN:
                continue
            if _same_event(d, events) is None and len(events) < limit and \
                    sum(e.date == d.date for e in events) < MAX_PER_DAY:
                events.append(Event(d.date, [d]))
    for d in ranked:  # the other articles that report an event
        same = _same_event(d, events)
        if same is not None and all(s.hit.chunk.doc_id != d.hit.chunk.doc_id for s in same.sentences):
            same.sentences.append(d)
    return sorted(events, key=lambda e: (e.date, e.sentences[0].published or "", e.sentences[0].start))


def in_period(day: str, start: date, end: date) -> bool:
    """Does an event's date ("2022-01-07", "2022-01" or "2014") fall in [start, end], in part at least?"""
    parts = [int(x) for x in day.split("-")]
    first = date(parts[0], parts[1] if len(parts) > 1 else 1, parts[2] if len(parts) > 2 else 1)
    last = first if len(parts) == 3 else month_end(first.year, first.month if len(parts) == 2 else 12)
    return first <= end and last >= start


def compose(answerer: ExtractiveAnswerer, snap: IndexView, question: str, cands: Candidates,
            period: tuple[date, date] | None = None) -> Answer | None:
    """The timeline answer, or None when the articles do not answer the question or hold fewer than two dated
    events (the ordinary answer is given then). `period`: the days the question named ("What happened in
    January 2022?"); the background an article of that month recalls (the CSTO's founding in 2002) is left out."""
    verdict = answerer.judge(snap, question, cands)
    if not verdict.answerable:
        return None
    dated = dated_sentences(snap, cands, answerer)
    if period is not None:
        dated = [d for d in dated if in_period(d.date, *period)]
    events = select(dated)
    if len(events) < 2:
        return None
    english = is_english(question)
    citations: list[Citation] = []
    lines: list[str] = []
    items: list[dict[str, Any]] = []
    for e in events:
        ns = []
        for s in e.sentences:
            art = snap.articles[s.hit.chunk.doc_id]
            ns.append(len(citations) + 1)
            citations.append(Citation(n=ns[-1], chunk_id=s.hit.chunk.id, doc_id=art.id, title=art.title, url=art.url,
                                      source=art.source, published=art.published, quote=s.text, start=s.start,
                                      end=s.end, score=round(s.hit.score, 6)))
        text = quoted(e.sentences[0].text)
        mark = (" (inferred)" if english else "（推断）") if e.inferred else ""
        lines.append(f"{e.date}{mark} {text}" + "".join(f"[{n}]" for n in ns))
        items.append({"date": e.date, "inferred": e.inferred, "text": text, "citations": ns})
    head = ("Timeline, in date order (an “inferred” date was worked out from the article's publication date):"
            if english else "事件经过，按日期排列（标“推断”的日期由报道的发布日期推算）：")
    passages = [h.to_dict(snap.articles.get(h.chunk.doc_id)) for h in cands.hits]
    return Answer(question=question, answer="\n".join([head, *lines]), answerable=True, citations=citations,
                  passages=passages, confidence=round(verdict.confidence, 4), timeline=items)
