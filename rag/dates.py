"""Dates named in news text, resolved against the article's publication date.

`mentions(text, published)` finds the dates a sentence names and resolves each to an ISO day ("2022-01-07"),
month ("2022-01") or year ("2014"). `inferred` is true when the publication date supplied part of it (the
year, the month, the week or the day itself). For an article published on Saturday 2022-01-08:

- "2022年1月5日", "2022-01-05", "January 5, 2022": written in full, not inferred.
- "1月5日", "January 5": the year that puts the day nearest to publication (2022-01-05).
- "7日": the 7th nearest to publication, this month or a neighbouring one (2022-01-07; "30日" is 2021-12-30).
- weeks start on Monday: "本周三" 2022-01-05, "上周日" 2022-01-02, "下周一" 2022-01-10.
- a bare weekday ("周四", "星期四", "on Thursday") is the most recent such day on or before publication
  (2022-01-06); "last Thursday" the most recent before it, "next Thursday" the first after it.
- "今天/昨天/前天/明天", "today/yesterday/tomorrow": counted from the publication day.
- "元旦", "新年", "New Year's Day": the 1 January nearest to publication ("自新年起爆发" in an article of 2022-01-11 is
  2022-01-01); not "农历新年" or "新年贺词" (the lunar new year, a speech).
- "2014年", "2022年1月", "January 2022": a year or a month, as written; "去年8月" is last year's August.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta

CN_DIGIT = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
NUM = r"(\d{1,2}|[一二三四五六七八九十]{1,3})"  # a month or day number, Arabic or Chinese
MONTHS_EN = ("january", "february", "march", "april", "may", "june", "july", "august", "september", "october",
             "november", "december")
MONTH_EN = r"(Jan(?:uary)?|Feb(?:ruary)?|Mar(?:ch)?|Apr(?:il)?|May|June?|July?|Aug(?:ust)?|Sept?(?:ember)?|" \
           r"Oct(?:ober)?|Nov(?:ember)?|Dec(?:ember)?)\.?"
WEEKDAYS_EN = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
WEEKDAY_ZH = {"一": 0, "二": 1, "三": 2, "四": 3, "五": 4, "六": 5, "日": 6, "天": 6}
_FULLWIDTH = str.maketrans("０１２３４５６７８９", "0123456789")  # same length: offsets stay valid


@dataclass(frozen=True)
class Mention:
    """A date named in a text: its span there and what it resolves to."""

    start: int
    end: int
    text: str
    value: str  # "2022-01-07", "2022-01" or "2022"
    inferred: bool  # the publication date supplied part of it

    @property
    def precision(self) -> int:
        return {4: 1, 7: 2}.get(len(self.value), 3)  # year, month, day


def cn_number(s: str) -> int | None:
    """12 from "12" or "十二"; None when it is not a number."""
    if s.isdigit():
        return int(s)
    if "十" in s:
        tens, _, ones = s.partition("十")
        if len(tens) > 1 or len(ones) > 1:
            return None
        return (CN_DIGIT.get(tens, 0) if tens else 1) * 10 + (CN_DIGIT.get(ones, 0) if ones else 0)
    return CN_DIGIT.get(s) if len(s) == 1 else None


def month_number(name: str) -> int:
    return next(i for i, m in enumerate(MONTHS_EN, 1) if m.startswith(name.lower().rstrip(".")[:3]))


def publication_day(published: str | None) -> date | None:
    """The day of an ISO 8601 publication timestamp."""
    try:
        return date.fromisoformat((published or "")[:10])
    except ValueError:
        return None


def _day(y: int, m: int, d: int) -> date | None:
    try:
        return date(y, m, d) if 1900 <= y <= 2100 else None
    except ValueError:
        return None


def nearest(candidates: list[date | None], pub: date) -> date | None:
    """The candidate nearest to `pub` (the earlier one on a tie)."""
    ok = [c for c in candidates if c is not None]
    return min(ok, key=lambda c: (abs((c - pub).days), c)) if ok else None


def month_day(m: int, d: int, pub: date) -> date | None:
    """A day named without its year: the year that puts it nearest to publication."""
    return nearest([_day(pub.year + dy, m, d) for dy in (-1, 0, 1)], pub)


def day_of_month(d: int, pub: date) -> date | None:
    """A day named by its number alone ("7日"): this month's or a neighbouring month's, nearest to publication."""
    months = [(pub.year + (pub.month + dm - 1) // 12, (pub.month + dm - 1) % 12 + 1) for dm in (-1, 0, 1)]
    return nearest([_day(y, m, d) for y, m in months], pub)


def weekday(wd: int, pub: date, week: str = "") -> date:
    """A weekday (0 = Monday) relative to publication: `week` "本/this" (publication's week, Monday first),
    "上/last-week" (the week before), "下/next-week" (the week after), "last" (the most recent one before),
    "next" (the first one after), or "" (the most recent one on or before publication)."""
    monday = pub - timedelta(days=pub.weekday())
    if week in ("本", "这", "这个", "this"):
        return monday + timedelta(days=wd)
    if week in ("上", "上个", "last-week"):
        return monday + timedelta(days=wd - 7)
    if week == "上上":
        return monday + timedelta(days=wd - 14)
    if week in ("下", "下个", "next-week"):
        return monday + timedelta(days=wd + 7)
    back = (pub.weekday() - wd) % 7
    if week == "last":
        return pub - timedelta(days=back or 7)
    if week == "next":
        return pub + timedelta(days=(wd - pub.weekday()) % 7 or 7)
    return pub - timedelta(days=back)


# -- the patterns, most specific first; a later pattern never matches inside an earlier one's span --------

Resolver = Callable[[re.Match[str], date | None], tuple[date | str | None, bool]]
_RELATIVE_DAYS = {"今天": 0, "今日": 0, "今晨": 0, "昨天": -1, "昨日": -1, "昨晚": -1, "前天": -2, "明天": 1,
                  "明日": 1, "后天": 2, "today": 0, "yesterday": -1, "tomorrow": 1}
_NOT_A_DAY_BEFORE = ("为期", "持续", "长达", "连续", "每", "第", "近", "约", "数", "几", "至今")


def _full(y: str, m: str, d: str) -> date | None:
    mm, dd = cn_number(m), cn_number(d)
    return _day(int(y), mm, dd) if mm and dd else None


def _year(y: str) -> str | None:
    return y if 1900 <= int(y) <= 2100 else None


def _month(y: str, m: int | None) -> str | None:
    return f"{y}-{m:02d}" if _year(y) and m and 1 <= m <= 12 else None


def _relative(m: re.Match[str], pub: date | None) -> tuple[date | None, bool]:
    if pub is None:
        return None, True
    before = m.string[max(0, m.start() - 2):m.start()]
    after = m.string[m.end():m.end() + 3]
    if after.startswith(("俄罗斯", "美国")) or before.endswith(("至", "到")):  # 今日俄罗斯 (RT), 时至今日
        return None, True
    return pub + timedelta(days=_RELATIVE_DAYS[m.group(1).lower()]), True


def _year_relative(m: re.Match[str], pub: date | None) -> tuple[date | str | None, bool]:
    """"去年8月" (last year's August), "今年1月5日": the year counted from publication."""
    if pub is None:
        return None, True
    y = pub.year + {"去年": -1, "今年": 0, "前年": -2, "明年": 1}[m.group(1)]
    mm, dd = cn_number(m.group(2)), cn_number(m.group(3)) if m.group(3) else None
    if dd is not None:
        return (_day(y, mm, dd) if mm else None), True
    return _month(str(y), mm), True


def _bare_day(m: re.Match[str], pub: date | None) -> tuple[date | None, bool]:
    before = m.string[max(0, m.start() - 2):m.start()]
    if pub is None or any(before.endswith(w) for w in _NOT_A_DAY_BEFORE) or m.string[m.end():m.end() + 1] == "内":
        return None, True
    return day_of_month(int(m.group(1)), pub), True


def _week_zh(m: re.Match[str], pub: date | None) -> tuple[date | None, bool]:
    if pub is None or m.string[max(0, m.start() - 1):m.start()] == "每":  # 每周一: every Monday
        return None, True
    return weekday(WEEKDAY_ZH[m.group(2)], pub, m.group(1) or ""), True


def _week_en(m: re.Match[str], pub: date | None) -> tuple[date | None, bool]:
    if pub is None:
        return None, True
    which = (m.group(1) or "").lower()
    return weekday(WEEKDAYS_EN.index(m.group(2).lower()), pub, which if which in ("last", "next", "this") else ""), True


def _new_year(m: re.Match[str], pub: date | None) -> tuple[date | None, bool]:
    before, after = m.string[max(0, m.start() - 2):m.start()], m.string[m.end():m.end() + 2]
    if pub is None or before.endswith(_NOT_NEW_YEAR_BEFORE) or after.startswith(_NOT_NEW_YEAR_AFTER):
        return None, True
    return nearest([_day(pub.year, 1, 1), _day(pub.year + 1, 1, 1)], pub), True


# the lunar new year ("农历新年"), or not a day: a speech, a greeting, a concert, a period ("新年贺词", "元旦前夕")
_NOT_NEW_YEAR_BEFORE = ("农历", "中国", "春节", "华人")
_NOT_NEW_YEAR_AFTER = ("贺", "献", "致", "快", "祝", "礼", "音", "晚", "愿", "好", "伊", "新", "后", "前", "期")


def _md_en(month: str, d: str, pub: date | None) -> tuple[date | None, bool]:
    return (month_day(month_number(month), int(d), pub) if pub else None), True


PATTERNS: list[tuple[re.Pattern[str], Resolver]] = [
    (re.compile(rf"(?<!\d)(\d{{4}})\s*年\s*{NUM}\s*月\s*{NUM}\s*[日号]"),
     lambda m, p: (_full(m[1], m[2], m[3]), False)),
    (re.compile(r"(?<!\d)(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})(?!\d)"), lambda m, p: (_full(m[1], m[2], m[3]), False)),
    (re.compile(rf"\b{MONTH_EN}\s+(\d{{1,2}})(?:st|nd|rd|th)?,?\s+(\d{{4}})\b", re.I),
     lambda m, p: (_day(int(m[3]), month_number(m[1]), int(m[2])), False)),
    (re.compile(rf"\b(\d{{1,2}})(?:st|nd|rd|th)?\s+(?:of\s+)?{MONTH_EN},?\s+(\d{{4}})\b", re.I),
     lambda m, p: (_day(int(m[3]), month_number(m[2]), int(m[1])), False)),
    (re.compile(rf"(?<!\d)(\d{{4}})\s*年\s*{NUM}\s*月"), lambda m, p: (_month(m[1], cn_number(m[2])), False)),
    (re.compile(rf"\b{MONTH_EN},?\s+(\d{{4}})\b", re.I), lambda m, p: (_month(m[2], month_number(m[1])), False)),
    (re.compile(rf"(去年|今年|前年|明年)\s*{NUM}\s*月(?:\s*{NUM}\s*[日号])?"), _year_relative),
    (re.compile(rf"{NUM}\s*月\s*{NUM}\s*[日号]"),
     lambda m, p: (month_day(cn_number(m[1]) or 0, cn_number(m[2]) or 0, p) if p else None, True)),
    (re.compile(rf"\b{MONTH_EN}\s+(\d{{1,2}})(?:st|nd|rd|th)?\b", re.I), lambda m, p: _md_en(m[1], m[2], p)),
    (re.compile(rf"\b(\d{{1,2}})(?:st|nd|rd|th)?\s+(?:of\s+)?{MONTH_EN}(?!\w)", re.I),
     lambda m, p: _md_en(m[2], m[1], p)),
    (re.compile(r"(?<!\d)(\d{4})\s*年(?![代级龄])"), lambda m, p: (_year(m[1]), False)),
    (re.compile(r"\b(?:in|since|during|by)\s+(\d{4})\b", re.I), lambda m, p: (_year(m[1]), False)),
    (re.compile(r"(上上|上个|下个|这个|上|下|本|这)?(?:周|星期|礼拜)([一二三四五六日天])"), _week_zh),
    (re.compile(rf"\b(?:(last|next|this|on)\s+)?({'|'.join(WEEKDAYS_EN)})\b(?!s)", re.I), _week_en),
    (re.compile(r"(今天|今日|今晨|昨天|昨日|昨晚|前天|明天|明日|后天)"), _relative),
    (re.compile(r"\b(today|yesterday|tomorrow)\b", re.I), _relative),
    (re.compile(r"元旦|新年|\bNew Year'?s? Day\b", re.I), _new_year),
    (re.compile(r"(?<![\d年月日号/.\-])(\d{1,2})\s*日"), _bare_day),
]


def mentions(text: str, published: str | date | None) -> list[Mention]:
    """The dates `text` names, in text order, resolved against the publication date (see the module doc)."""
    pub = published if isinstance(published, date) else publication_day(published)
    t = text.translate(_FULLWIDTH)
    taken: list[tuple[int, int]] = []
    out: list[Mention] = []
    for pattern, resolve in PATTERNS:
        for m in pattern.finditer(t):
            if any(m.start() < e and s < m.end() for s, e in taken):
                continue
            value, inferred = resolve(m, pub)
            if value is None:
                continue
            taken.append((m.start(), m.end()))
            out.append(Mention(m.start(), m.end(), text[m.start():m.end()],
                               value.isoformat() if isinstance(value, date) else value, inferred))
    return sorted(out, key=lambda x: x.start)


def event_date(found: list[Mention]) -> Mention | None:
    """The date a sentence's event took place: the earliest of its most precise mentions ("外交部8日表示，
    一名以色列人7日晚间……遇害" happened on the 7th)."""
    if not found:
        return None
    best = max(x.precision for x in found)
    return min((x for x in found if x.precision == best), key=lambda x: (x.value, x.start))
