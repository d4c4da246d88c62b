"""Outlets that disagree: the figures a sentence gives for what the question counts, whether two sentences
give different ones, which other outlets' sentences give a different figure for an answer's, and how an answer
names each outlet and date."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

import numpy as np

from rag.dates import mentions
from rag.features import Query, Sentence, sentence_tokens
from rag.figures import asks_for_day
from rag.keywords import normalize
from rag.questions import answer_type, is_verb, split_parts
from rag.store import IndexView
from rag.types import Hit

DIFFER_ZH = "各来源说法不一："
DIFFER_EN = "The sources differ:"
FIGURE = re.compile(r"(\d+(?:[.,]\d+)*|[一二三四五六七八九十两百千万亿]{2,})\s*(?:多|余|万|千|百|亿)*\s*"
                     r"([\u4e00-\u9fff%％])")
DISAGREEMENT_PASSAGES = 5  # passages searched for another outlet's figure
DISAGREEMENT_SENTENCES = 3  # an outlet's best sentences (by the sentence model) that may give its figure
_CLAUSE = re.compile(r"[^，,；;。！？!?]+[，,；;。！？!?]*")
_DATE_PARTS = frozenset("年月日号时点分秒")  # what a figure counts when it is part of a date or a time of day


def figures(text: str, q: Query, published: str | None = None) -> dict[str, frozenset[str]]:
    """The figures of a sentence by what they count (the character after the number: 人, 名, 公, 年, %),
    leaving out numbers the question itself contains. For a question that asks on which day, the days the
    sentence names instead, resolved against its article's publication date (`published`): "上周日" in an article
    of 2022-01-08 and "新年" in one of 2022-01-11 are different days (rag.dates)."""
    if asks_for_day(getattr(q, "unit", None)):  # rag.duplicates compares with a stand-in query
        named = {m.value for m in mentions(q.text, published)}
        days = {m.value for m in mentions(text, published) if len(m.value) == 10 and m.value not in named}
        return {"day": frozenset(days)} if days else {}
    asked = {m.group(1) for m in FIGURE.finditer(q.text)}
    out: dict[str, set[str]] = {}
    for m in FIGURE.finditer(text):
        if m.group(1) not in asked:
            out.setdefault(m.group(2), set()).add(m.group(1).replace(",", ""))
    return {k: frozenset(v) for k, v in out.items()}


def figure_clauses(text: str, q: Query, published: str | None = None,
                   every: bool = False) -> list[tuple[str, dict[str, frozenset[str]]]]:
    """The clauses of a sentence (between commas and semicolons) that give figures (`figures`), each with them:
    "造成了至少164人丧生，近10000人被捕。" gives a death toll and an arrest count, one per clause. `every`: the
    clauses without a figure too, with none ("另有数百人受伤" counts in round numbers only)."""
    out = []
    for m in _CLAUSE.finditer(text):
        found = figures(m.group(0), q, published)
        if found or every:
            out.append((m.group(0), found))
    return out


def differ(a: dict[str, frozenset[str]], b: dict[str, frozenset[str]]) -> bool:
    """Both count the same thing and share no figure for it."""
    return any(not (a[u] & b[u]) for u in set(a) & set(b))


def outlet_label(source: str | None, published: str | None, english: bool) -> str:
    """`RFA 自由亚洲电台（2022-01-11）：` — who said it and when, before the quoted sentence."""
    who = source or ("unknown outlet" if english else "未注明来源")
    day = (published or "")[:10]
    if english:
        return f"{who} ({day}): " if day else f"{who}: "
    return f"{who}（{day}）：" if day else f"{who}："


def other_outlets(snap: IndexView, q: Query, hits: Sequence[Hit], chosen: list[Sentence],
                  scored: Callable[[Sequence[int]], list[Sentence]],
                  passes: Callable[[list[Sentence], Sequence[int]], bool],
                  encode: Callable[[list[str]], np.ndarray]) -> list[Sentence]:
    """Another outlet's passing sentence that gives a different figure for the asked number or date.

    `scored(only)` scores the candidate sentences of the passages `only` (indices into `hits`, the question's
    ranked passages), best first;
    `passes(sents, only)` is the question gate over them; `encode` embeds clauses as passages.

    A sentence may give several counts of one kind ("造成了至少164人丧生，近10000人被捕"): only the clause that
    answers counts (`answer_clauses`), and of an outlet's best few sentences, the one whose clause answers
    best, so that a death toll is not set against an arrest count."""
    if q.atype not in ("number", "time") or q.multipart and len({answer_type(p) for p in split_parts(q.text)}) > 1:
        # parts that ask different things have no one figure to compare: "声明是哪天发出来的？他们还把矛头对准了
        # 什么？" set the prosecutor's "周四" against another outlet's "政府在本周三宣布辞职"; two parts asking each
        # outlet's toll ("半岛网报道的官方数字是多少？自由亚洲电台说至少有多少人遇难？") have one
        return []
    best = chosen[0]
    outlet = snap.articles[best.hit.chunk.doc_id].source
    by_clause = not asks_for_day(q.unit)  # a day is read from the whole sentence (rag.disagreements.figures)
    asked = answer_clauses(snap, q, [best], encode)[0][1] if by_clause else sentence_figures(snap, q, best)
    if not asked:
        return []
    # a day is read from the whole sentence, so it may date something else (a spokesman's "11日表示" against
    # "政府在本周三宣布辞职"): the other outlet's sentence must say what happened, in the question's rarest verb
    # that the first outlet's sentence uses ("辞职", not "宣布"). Counts are compared clause by clause, on what
    # they count.
    event = None if by_clause else rarest_verb(q, sentence_tokens(best.text))
    by_outlet: dict[str | None, list[int]] = {}
    for i, h in enumerate(hits[:DISAGREEMENT_PASSAGES]):
        by_outlet.setdefault(snap.articles[h.chunk.doc_id].source, []).append(i)
    out: list[Sentence] = []
    for src, only in by_outlet.items():
        # each other outlet's passages on their own, as if they were all the corpus had: does the gate pass
        # them, and does the sentence that gives their figure give a different one?
        if src == outlet:
            continue
        sents = scored(only)
        top = [s for s in sents[:DISAGREEMENT_SENTENCES if by_clause else 1] if s.type_match]
        # its best sentence's article (the story the sentence model trusts), and there the sentence whose
        # clause gives the asked count: not another story's count of the same kind
        top = [s for s in top if s.hit.chunk.doc_id == top[0].hit.chunk.doc_id]
        pick: Sentence | None = None
        theirs: dict[str, frozenset[str]] = {}
        if by_clause:
            clauses = [(cos, f, s) for (cos, f), s in zip(answer_clauses(snap, q, top, encode), top) if cos > -1.0]
            if clauses:
                _, theirs, pick = max(clauses, key=lambda x: x[0])
        elif top:
            pick, theirs = top[0], sentence_figures(snap, q, top[0])
        if pick is not None and event is not None and event not in sentence_tokens(pick.text):
            continue
        if pick is not None and differ(asked, theirs) and passes(sents, only):
            out.append(pick)
    return out


def rarest_verb(q: Query, among: frozenset[str] | None = None) -> str | None:
    """The question's verb of the highest idf (what it asks happened: "受伤", not "骚乱"), of those in `among` when
    given; None when it has none."""
    return max((t for t in q.focus if is_verb(t) and (among is None or t in among)), key=lambda t: q.focus[t],
               default=None)


def sentence_figures(snap: IndexView, q: Query, s: Sentence) -> dict[str, frozenset[str]]:
    """The figures a sentence gives for what the question counts (dates read against its article's)."""
    return figures(s.text, q, snap.articles[s.hit.chunk.doc_id].published)


def answer_clauses(snap: IndexView, q: Query, sents: Sequence[Sentence], encode: Callable[[list[str]], np.ndarray]
                   ) -> list[tuple[float, dict[str, frozenset[str]]]]:
    """For each sentence, the clause that gives the asked count, as (its cosine to the question, its
    figures); (-1, {}) when it gives none. A clause must count what the question counts (people, money …:
    rag.figures.expected_unit); of several, the one whose vector is nearest the question's answers ("遇难人数"
    picks "造成了至少164人丧生" over "近10000人被捕"). A clause that counts it in round numbers only answers with
    no figure to compare ("受伤人数" picks "另有数百人受伤", not the death toll before it). The clauses are
    encoded together, once, and only when there is a choice to make."""
    per = []
    for s in sents:
        found = []
        for c, f in figure_clauses(s.text, q, snap.articles[s.hit.chunk.doc_id].published, every=True):
            if q.unit is None and q.atype == "number":  # "how much", of no kind it names: not a date's parts
                f = {k: v for k, v in f.items() if k not in _DATE_PARTS}
            if q.unit.search(normalize(c)) if q.unit is not None else f:
                found.append((c, f))
        per.append(found)
    texts = sorted({c for found in per for c, _ in found})
    cos: dict[str, float] = {}
    if len(texts) > 1:
        cos = dict(zip(texts, (encode(texts) @ q.vector).tolist()))
    # a clause that says what the question asks happened, in its rarest verb ("受伤" of "一月骚乱中有多少人受伤",
    # not "骚乱"), goes before the cosine, which on clauses this short may prefer the death toll beside it
    # (0.888 against 0.878)
    verb = rarest_verb(q)
    out: list[tuple[float, dict[str, frozenset[str]]]] = []
    for found in per:
        if not found:
            out.append((-1.0, {}))
            continue
        c, f = max(found, key=lambda cf: (verb in sentence_tokens(cf[0]), cos.get(cf[0], 0.0)))
        out.append((cos.get(c, 0.0), f))
    return out
