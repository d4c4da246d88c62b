"""Periods a question names, as the range of publication dates to search, and questions about the latest news.

- "2022年1月", "January 2022", "in January 2022" -> 2022-01-01 to 2022-01-31; "2022年", "in 2022" -> that year.
- "1月5日至10日", "January 5-10, 2022" -> those days. A range without a year takes the most recent year in
  which the index holds articles from those days (the answer says the year was inferred).
- "上个月", "本月", "去年", "今年", "上周", "本周", "最近一周", "last month", "last year", "last week",
  "last June": an archive has no "now", so these count from the newest article in the index, and the
  answer says so.
- A single day ("2022年1月5日") is the date of an event, not a period: it does not narrow the search.
"""

from __future__ import annotations

import bisect
import calendar
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from rag.dates import MONTH_EN, MONTHS_EN, NUM, cn_number, month_number
from rag.keywords import to_simplified
from rag.retrieval import Filters

LATEST = re.compile(r"最新|最近的?(?:消息|报道|新闻|进展|动态|情况)|近况|\blatest\b|\bmost recent\b|\bnewest\b", re.I)
_FULLWIDTH = str.maketrans("０１２３４５６７８９", "0123456789")


def is_latest(question: str) -> bool:
    """Does the question ask for the latest news ("最新", "latest", "most recent")?"""
    return bool(LATEST.search(to_simplified(question)))


@dataclass(frozen=True)
class Period:
    """A range of publication days (inclusive) that a question named."""

    start: date
    end: date
    label: str  # the question's words for it
    relative_to: date | None = None  # the newest article's day, when the question counted from "now"
    year_inferred: bool = False  # a range named without its year

    def filters(self) -> Filters:
        return Filters(date_from=self.start.isoformat(), date_to=self.end.isoformat())

    def to_dict(self) -> dict[str, Any]:
        """The filters echo of an answer whose question named this period."""
        return {"source": None, "date_from": self.start.isoformat(), "date_to": self.end.isoformat(),
                "period": self.label, "relative_to": self.relative_to.isoformat() if self.relative_to else None}

    def describe(self, english: bool) -> str:
        s, e = self.start, self.end
        whole_month = s.day == 1 and e == month_end(s.year, s.month)
        if whole_month and (s.year, s.month) == (e.year, e.month):
            return f"{MONTHS_EN[s.month - 1].title()} {s.year}" if english else f"{s.year}年{s.month}月"
        if (s.month, s.day, e.month, e.day) == (1, 1, 12, 31) and s.year == e.year:
            return str(s.year) if english else f"{s.year}年"
        if english:
            return f"{s.isoformat()} to {e.isoformat()}"
        tail = f"{e.day}日" if (s.year, s.month) == (e.year, e.month) else \
            f"{e.month}月{e.day}日" if s.year == e.year else f"{e.year}年{e.month}月{e.day}日"
        return f"{s.year}年{s.month}月{s.day}日至{tail}"

    def note(self, english: bool, used: bool = True, weaker: bool = False) -> str:
        """What the answer says about the period: that it narrowed the search (and how it was worked out), or
        that nothing in it answered, or (`weaker`) that its articles answered with less confidence than the whole
        archive, so the whole archive was searched."""
        what = self.describe(english)
        if not used:
            guess = ""
            if self.relative_to:
                day = self.relative_to.isoformat()
                guess = (f"“{self.label}” counted from the newest article, {day}, is {what}; " if english
                         else f"“{self.label}”按最新报道的日期 {day} 推算为{what}；")
            if english:
                body = guess + (f"the articles from {what} answered with less confidence than the whole archive"
                                if weaker else f"no answer in the articles from {what}")
                return f"({body[0].upper()}{body[1:]}; searched all articles instead.)"
            return (f"（{guess}{what}的报道中的答案不如全部报道的可信，已改为检索全部报道）" if weaker
                    else f"（{guess}{what}的报道中没有找到答案，已改为检索全部报道）")
        how = []
        if self.relative_to:
            day = self.relative_to.isoformat()
            how.append(f"“{self.label}” counted from the newest article, {day}" if english
                       else f"“{self.label}”按最新报道的日期 {day} 推算")
        if self.year_inferred:
            how.append("the year inferred from the indexed articles" if english else "年份按收录的报道推断")
        if english:
            return f"(Only articles from {what}" + "".join(f"; {h}" for h in how) + ".)"
        return f"（只看{what}的报道" + "".join(f"；{h}" for h in how) + "）"


def month_end(y: int, m: int) -> date:
    """The last day of a month."""
    return date(y, m, calendar.monthrange(y, m)[1])


def _month(y: int, m: int) -> tuple[date, date]:
    return date(y, m, 1), month_end(y, m)


def _shift_month(d: date, months: int) -> tuple[int, int]:
    i = d.year * 12 + d.month - 1 + months
    return i // 12, i % 12 + 1


def _relative(key: str, anchor: date) -> tuple[date, date]:
    """The period a relative phrase names, counted from `anchor`."""
    monday = anchor - timedelta(days=anchor.weekday())
    if key in MONTHS_EN:  # "last June": the most recent June before the anchor's month
        m = MONTHS_EN.index(key) + 1
        return _month(anchor.year if m < anchor.month else anchor.year - 1, m)
    spans: dict[str, Callable[[], tuple[date, date]]] = {
        "last-month": lambda: _month(*_shift_month(anchor, -1)),
        "this-month": lambda: _month(anchor.year, anchor.month),
        "last-year": lambda: (date(anchor.year - 1, 1, 1), date(anchor.year - 1, 12, 31)),
        "year-before": lambda: (date(anchor.year - 2, 1, 1), date(anchor.year - 2, 12, 31)),
        "this-year": lambda: (date(anchor.year, 1, 1), date(anchor.year, 12, 31)),
        "last-week": lambda: (monday - timedelta(days=7), monday - timedelta(days=1)),
        "this-week": lambda: (monday, monday + timedelta(days=6)),
        "past-week": lambda: (anchor - timedelta(days=6), anchor),
        "past-month": lambda: (anchor - timedelta(days=29), anchor),
    }
    return spans[key]()


_WEEKDAY_NEXT = r"(?![一二三四五六日天])"
RELATIVE: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"上个?月"), "last-month"), (re.compile(r"(?:本|这个?)月"), "this-month"),
    (re.compile(r"去年"), "last-year"), (re.compile(r"前年"), "year-before"), (re.compile(r"今年"), "this-year"),
    (re.compile(r"(?:最近|过去|近)(?:一|1)?(?:周|个?星期)"), "past-week"),
    (re.compile(r"(?:最近|过去|近)(?:一|1)个月"), "past-month"),
    (re.compile(rf"上个?(?:周|星期|礼拜){_WEEKDAY_NEXT}"), "last-week"),
    (re.compile(rf"(?:本|这个?)(?:周|星期){_WEEKDAY_NEXT}"), "this-week"),
    (re.compile(r"\blast month\b", re.I), "last-month"), (re.compile(r"\bthis month\b", re.I), "this-month"),
    (re.compile(r"\blast year\b", re.I), "last-year"), (re.compile(r"\bthis year\b", re.I), "this-year"),
    (re.compile(r"\blast week\b", re.I), "last-week"), (re.compile(r"\bthis week\b", re.I), "this-week"),
    (re.compile(r"\b(?:past|last) (?:7|seven) days\b|\bpast week\b", re.I), "past-week"),
    (re.compile(r"\b(?:past|last) (?:30|thirty) days\b|\bpast month\b", re.I), "past-month"),
    (re.compile(rf"\blast ({'|'.join(MONTHS_EN)})\b", re.I), ""),
]
RANGE_ZH = re.compile(rf"(?:(\d{{4}})\s*年\s*)?{NUM}\s*月\s*{NUM}\s*[日号]?\s*(?:至|到|-|–|—|~|～)\s*"
                      rf"(?:(?:(\d{{4}})\s*年\s*)?{NUM}\s*月\s*)?{NUM}\s*[日号]")
RANGE_EN = re.compile(rf"\b{MONTH_EN}\s+(\d{{1,2}})(?:st|nd|rd|th)?\s*(?:-|–|—|to|through|until|and)\s*"
                      rf"(?:{MONTH_EN}\s+)?(\d{{1,2}})(?:st|nd|rd|th)?\b(?:,?\s*(\d{{4}}))?", re.I)
MONTH_ZH = re.compile(rf"(?<!\d)(\d{{4}})\s*年\s*{NUM}\s*月(?!\s*{NUM}\s*[日号])(?:份)?")
MONTH_YEAR_EN = re.compile(rf"\b{MONTH_EN},?\s+(?:of\s+)?(\d{{4}})\b", re.I)
YEAR_ZH = re.compile(rf"(?<!\d)(\d{{4}})\s*年(?!\s*{NUM}\s*月)(?![代级龄])(?:度)?")
YEAR_EN = re.compile(r"\b(?:in|during|throughout)\s+(\d{4})\b", re.I)


def _range(y: int, m1: int, d1: int, m2: int, d2: int) -> tuple[date, date] | None:
    try:
        start = date(y, m1, d1)
        end = date(y, m2, d2)
        return (start, end) if end >= start else (start, date(y + 1, m2, d2))
    except ValueError:
        return None


def _guess_year(m1: int, d1: int, m2: int, d2: int, anchor: date, days: Sequence[date]) -> tuple[date, date] | None:
    """A yearless range: the most recent year, up to the anchor's, whose range holds articles; else the most
    recent one that starts on or before the anchor."""
    years = range(anchor.year, (days[0].year - 1) if days else anchor.year - 1, -1)
    for y in years:
        span = _range(y, m1, d1, m2, d2)
        if span and bisect.bisect_right(days, span[1]) > bisect.bisect_left(days, span[0]):
            return span
    span = _range(anchor.year, m1, d1, m2, d2)
    return span if span is None or span[0] <= anchor else _range(anchor.year - 1, m1, d1, m2, d2)


def find(question: str, anchor: Callable[[], date], article_days: Callable[[], Sequence[date]] = lambda: []
         ) -> Period | None:
    """The period `question` names (see the module doc), or None. `anchor()` is the archive's "now" (the newest
    article's day) and `article_days()` the sorted publication days; both are called only when needed."""
    q = to_simplified(question).translate(_FULLWIDTH)
    for m in RANGE_ZH.finditer(q):
        y1, m1, d1, y2, m2, d2 = m.groups()
        mm1, dd1, dd2 = cn_number(m1), cn_number(d1), cn_number(d2)
        mm2 = cn_number(m2) if m2 else mm1
        if not (mm1 and dd1 and mm2 and dd2):
            continue
        year = y1 or y2
        span = _range(int(year), mm1, dd1, mm2, dd2) if year else _guess_year(mm1, dd1, mm2, dd2, anchor(),
                                                                                article_days())
        if span:
            return Period(span[0], span[1], m.group(0), year_inferred=not year)
    for m in RANGE_EN.finditer(q):
        mon1, d1, mon2, d2, y = m.groups()
        mm1, mm2 = month_number(mon1), month_number(mon2 or mon1)
        span = _range(int(y), mm1, int(d1), mm2, int(d2)) if y else _guess_year(mm1, int(d1), mm2, int(d2),
                                                                                 anchor(), article_days())
        if span:
            return Period(span[0], span[1], m.group(0), year_inferred=not y)
    for m in MONTH_ZH.finditer(q):
        mm = cn_number(m.group(2))
        if mm and 1 <= mm <= 12 and 1900 <= int(m.group(1)) <= 2100:
            return Period(*_month(int(m.group(1)), mm), m.group(0))
    for m in MONTH_YEAR_EN.finditer(q):
        if 1900 <= int(m.group(2)) <= 2100:
            return Period(*_month(int(m.group(2)), month_number(m.group(1))), m.group(0))
    for pattern in (YEAR_ZH, YEAR_EN):
        for m in pattern.finditer(q):
            y = int(m.group(1))
            if 1900 <= y <= 2100:
                return Period(date(y, 1, 1), date(y, 12, 31), m.group(0).strip())
    for pattern, key in RELATIVE:
        rel = pattern.search(q)
        if rel:
            now = anchor()
            start, end = _relative(key or rel.group(1).lower(), now)
            return Period(start, end, rel.group(0), relative_to=now)
    return None
