"""The world's countries and towns by name: their Chinese names, and the country an English word for it or its people
names.

rag/models/countries.tsv (made by `python -m rag.evaluation.countries` from ISO 3166-1 and its Chinese
translations) gives each country's English names and its Chinese names in simplified script. jieba tags many
country names as people's names (哈萨克斯坦 nrt, 乌克兰 nr), so rag.questions reads them as places from here; a count
of a named people's things ("How many Chinese shops …") finds the names a Chinese sentence gives them by.
rag/models/cities.tsv (`python -m rag.evaluation.cities`, from GeoNames) does the same for towns (莫斯科 nr).
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

from rag.keywords import normalize

COUNTRIES_PATH = Path(__file__).resolve().parent / "models" / "countries.tsv"
CITIES_PATH = Path(__file__).resolve().parent / "models" / "cities.tsv"


@lru_cache(maxsize=1)
def countries() -> frozenset[str]:
    """The Chinese names of the world's countries, in simplified script."""
    return frozenset(n for _, zh in _country_table() for n in zh)


@lru_cache(maxsize=1)
def cities() -> frozenset[str]:
    """The Chinese names of the world's towns of 15,000 people or more, in simplified script; none without the
    table."""
    if not CITIES_PATH.is_file():
        return frozenset()
    return frozenset(_town_table())


@lru_cache(maxsize=1)
def _town_table() -> dict[str, str]:
    """Each town name of rag/models/cities.tsv and its country ("" when towns of the name lie in several)."""
    if not CITIES_PATH.is_file():
        return {}
    rows = (line.split("\t") for line in CITIES_PATH.read_text(encoding="utf-8").splitlines()
            if line and not line.startswith("#"))
    return {r[0]: (r[1] if len(r) > 1 else "") for r in rows}


@lru_cache(maxsize=1)
def _country_table() -> tuple[tuple[tuple[str, ...], tuple[str, ...]], ...]:
    """(lower-case English names, Chinese names) of each country in rag/models/countries.tsv; none without it."""
    if not COUNTRIES_PATH.is_file():
        return ()
    rows = []
    for line in COUNTRIES_PATH.read_text(encoding="utf-8").splitlines():
        if line and not line.startswith("#"):
            en, zh = line.split("\t")[:2]
            rows.append((tuple(n.lower() for n in en.split("|")), tuple(zh.split())))
    return tuple(rows)


# the peoples' words no stem rule reads, or reads as two countries ("Turkish": Turkey, Turkmenistan)
_IRREGULAR_DEMONYMS = {"turkish": "土耳其", "turk": "土耳其", "turks": "土耳其", "american": "美国", "americans": "美国",
                       "british": "英国", "briton": "英国", "britons": "英国", "french": "法国", "dutch": "荷兰",
                       "swiss": "瑞士"}
_DEMONYM_ENDS = ("s", "ese", "ian", "an", "i", "n", "ish")
_NAMES_STEM = re.compile(r"^(?:[a-z]{0,2}|i?stan)$")  # China - Chin, Israel, Kazakhstan - Kazakh; not Turkmenistan - Turk
# a state's own name, one word or one word and what kind of state it is ("Russian Federation"), not a territory
# named after another country ("American Samoa", "United States Minor Outlying Islands")
_STATE_NAME = re.compile(r"^[a-z'-]+(?: (?:federation|republic|kingdom|confederation|state|emirates))?$")


def country_of_demonym(word: str) -> tuple[str, ...]:
    """The Chinese names of the country an English people's or country's word names ("Chinese" -> 中国, "Israelis"
    -> 以色列, "Kazakh" -> 哈萨克): the one country whose English name (one word, or one word and its kind of
    state) is the word, or the word less a demonym ending (four letters at least), and at most two letters or
    "stan" more; none when no single country is ("American", "Turkish", "British")."""
    w = word.lower()
    if w in _IRREGULAR_DEMONYMS:
        return country_names(_IRREGULAR_DEMONYMS[w])
    stems = [w] + [w[:-len(end)] for end in _DEMONYM_ENDS if w.endswith(end)]
    stems += [s[:-len(end)] for s in stems[1:] for end in _DEMONYM_ENDS if s.endswith(end)]  # "Israelis"
    for stem in stems:
        if len(stem) < 4:
            continue
        found = {zh for names, zh in _country_table()
                 if any(_STATE_NAME.match(n) and _NAMES_STEM.match(n.split()[0][len(stem):]) and n.startswith(stem)
                        for n in names)}
        if len(found) == 1:
            return found.pop()
    return ()


def country_names(name: str) -> tuple[str, ...]:
    """All the Chinese names of the country one of whose Chinese names is `name` (哈萨克斯坦 -> 哈萨克斯坦, 哈萨克 …)."""
    return next((zh for _, zh in _country_table() if name in zh), (name,))


@lru_cache(maxsize=256)
def name_pattern(country: str) -> str:
    """A regex alternation of all the Chinese names of a country, the longest first (哈萨克斯坦 before 哈萨克), so that
    a match is the whole name as written."""
    return "|".join(map(re.escape, sorted(country_names(country), key=len, reverse=True)))


@lru_cache(maxsize=1)
def _any_country() -> tuple[re.Pattern[str], dict[str, str]]:
    """A pattern for every Chinese country name of two characters or more (the longest first: 哈萨克斯坦 before
    哈萨克), and each name's country (its first name)."""
    canon = {n: zh[0] for _, zh in _country_table() for n in zh if len(n) >= 2}
    names = sorted(canon, key=len, reverse=True)
    return re.compile("|".join(map(re.escape, names)) if names else r"(?!)"), canon


@lru_cache(maxsize=1)
def any_country_name() -> str:
    """A regex alternation of every Chinese country name, the longest first (哈萨克斯坦 before 哈萨克)."""
    return "|".join(sorted(map(re.escape, countries()), key=len, reverse=True))


# a visit's destination: "访问莫斯科", "抵达北京"
_VISIT = re.compile(r"(?:访问|出访|到访|前往|抵达|飞往|飞抵)\s*")


def countries_in(text: str, visits: bool = False) -> frozenset[str]:
    """The countries a simplified Chinese text names, each by its first name ("哈萨克与俄罗斯" -> 哈萨克斯坦, 俄罗斯);
    with `visits`, also the country of a town a visit goes to ("访问莫斯科" -> 俄罗斯). A town named elsewhere is
    left alone: "在莫斯科的支持下" is Russia's backing of a war in Ukraine, and over CMRC and DRCD answer sentences
    any town name of three characters or more made the rule in rag.gate break 10 of 190 instead of 3."""
    pat, canon = _any_country()
    found = {canon[m.group(0)] for m in pat.finditer(text)}
    if visits:
        table = _town_table()
        for m in _VISIT.finditer(text):  # the longest town name there ("莫斯科", not "莫斯" in Norway)
            town = next((t for n in range(8, 1, -1) if (t := text[m.end():m.end() + n]) in table), None)
            if town and table[town]:
                found.add(table[town])
    return frozenset(found)


def towns_in(text: str) -> dict[str, str]:
    """The towns of three characters or more a simplified Chinese text names (the longest name at each place), or of
    two followed by 市 ("阿拉木图" -> 哈萨克斯坦, "莫斯科" -> 俄罗斯), each with its country ("" when towns of the name
    lie in several countries)."""
    table = _town_table()
    pat, _ = _any_country()
    found: dict[str, str] = {}
    i = 0
    while i < len(text):
        if country := pat.match(text, i):  # a country's name is no town's ("哈萨克", a town in Azerbaijan)
            i = country.end()
            continue
        town = next((t for n in range(8, 1, -1) if (t := text[i:i + n]) in table
                     and (n >= 3 or text.startswith("市", i + n))), None)
        if town:
            found[town] = table[town]
            i += len(town)
        else:
            i += 1
    return found


def located_in(question: str, named: frozenset[str]) -> frozenset[str]:
    """The countries among `named` a Chinese question places its town in: a visit's or a stay's ("出访哈萨克斯坦", "在
    哈萨克斯坦"), or the one "which town" follows ("哈萨克斯坦哪座城市"); not a speaker's ("俄国国防部说…哪个机场")."""
    text = normalize(question)
    return frozenset(c for c in named if re.search(r"(?:在|到|赴|于|访问|出访|到访|前往|飞往|抵达)(?:" + name_pattern(c) + r")|"
                                                 r"(?:" + name_pattern(c) + r")的?(?:哪|什么)", text))


_TOWN_SAID = re.compile(r"([\u4e00-\u9fff]{2,5}?)市(?!场|民|长|政|委|区|中心)")
_NOT_TOWN = ("城", "都", "大城", "全", "该", "本", "各", "这座", "那座", "哪座", "哪个", "一座")


def towns_asked(question: str) -> tuple[str, ...]:
    """The towns a Chinese question points an event at (by the table, or as "X市"): "克兹拉尔达市的那场枪战造成了多少人
    死亡？" -> (克兹拉尔达,). A figure asked of a town is not given by a sentence that never names it: "全国…至少164人
    丧生" is the country's. A town that is the question's topic ("卡塞雷斯的人口有多少？") is not read: it is often the
    article's, left implicit in its sentences."""
    q = normalize(question)
    said = [m.group(1) for m in _TOWN_SAID.finditer(q) if not m.group(1).endswith(_NOT_TOWN)]
    return tuple(t for t in dict.fromkeys([*towns_in(q), *said])
                 if re.search(re.escape(t) + r"市?(?:的|发生的)?[那这][场次起]", q))


_CAPITALISED = re.compile(r"\b[A-Z][a-z]{3,}\b")


def countries_asked(question: str, english: bool) -> frozenset[str]:
    """The countries a question names: by their Chinese names (`question` normalized), or in English by a
    country's or its people's word ("Kazakhstan's border with China" -> 哈萨克斯坦, 中国); an English name the ISO
    table lacks comes with the glossary's Chinese words of the question (rag.features.Query: "Turkey" -> 土耳其, ISO
    now says Türkiye)."""
    if not english:
        return countries_in(question)
    _, canon = _any_country()
    return frozenset(canon.get(zh[0], zh[0]) for w in _CAPITALISED.findall(question) if (zh := country_of_demonym(w)))
