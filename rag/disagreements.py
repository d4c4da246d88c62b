"""Outlets that disagree: the figures a sentence gives for what the question counts, whether two sentences
give different ones, and how an answer names each outlet and date."""

from __future__ import annotations

import re

from rag.dates import mentions
from rag.features import Query
from rag.figures import asks_for_day

DIFFER_ZH = "各来源说法不一："
DIFFER_EN = "The sources differ:"
FIGURE = re.compile(r"(\d+(?:[.,]\d+)*|[一二三四五六七八九十两百千万亿]{2,})\s*(?:多|余|万|千|百|亿)*\s*"
                     r"([\u4e00-\u9fff%％])")
DISAGREEMENT_PASSAGES = 5  # passages searched for another outlet's figure
DISAGREEMENT_SENTENCES = 3  # an outlet's best sentences (by the sentence model) that may give its figure
_CLAUSE = re.compile(r"[^，,；;。！？!?]+[，,；;。！？!?]*")


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
