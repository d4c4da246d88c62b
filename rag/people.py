"""The people a question asks about: whose things it counts, a foreign national it asks where or when something
befell, a relative it asks for; and the words a sentence may name them by.

"多少名以色列人受伤？" counts Israelis: a sentence that never names them counts someone else's ("数百人受伤"); "多少名
哈萨克军警" counts the security forces (警察, 军警, 安全部队 …). "在哈萨克斯坦遇害的以色列人在哪座城市…" asks of an
Israeli, whom a sentence on the setting alone does not name. "他爷爷是哪位苏联名人？" asks a grandfather (祖父, 爷爷,
外公). Of the countries a question names, "据法国历史学者讲" names the speaker's and "除了吉尔吉斯斯坦，" one set aside:
neither is the country whose figure it asks. rag.features.Query reads them once; rag.gate and rag.neighbours use
them.
"""

from __future__ import annotations

import re

from rag.countries import (
    any_country_name,
    countries,
    countries_asked,
    countries_in,
    country_names,
    country_of_demonym,
    name_pattern,
)
from rag.keywords import normalize
from rag.questions import ROLES, is_english, pos_tags

# "多少名以色列人受伤": a count of things a name qualifies; the figure must be theirs
_COUNT_WORD = re.compile(r"^(?:多少|几)(?:名|个|位|家|座|所|艘|架|辆|户|间|批)?$")
_COUNT_OF_EN = re.compile(r"\b(?i:how many) ([A-Z][a-z]{3,})\b")
_CLASSIFIER = re.compile(r"^(?:名|个|位|家|座|所|艘|架|辆|户|间|批)$")


# a kind of people counted ("多少警察", "多少名平民"), and the words the articles may say it by
# suspects and militants ("还有多少名恐怖分子嫌犯在逃？"), and protesters, by the words the articles may say them by
_MILITANTS = ("恐怖分子", "嫌犯", "嫌疑人", "犯罪嫌疑人", "武装分子", "匪徒", "暴徒", "极端分子")
_PROTESTERS = ("抗议者", "示威者", "抗议人士", "示威群众", "集会者")
_SECURITY = ("警察", "警员", "军警", "执法人员", "安全人员", "安全部队", "强力部门", "军人", "士兵", "官兵", "部队")
_PEOPLE_KINDS: dict[str, tuple[str, ...]] = {
    **dict.fromkeys(("警察", "警员", "军警", "军人", "士兵", "官兵", "安全人员", "执法人员"), _SECURITY),
    **{w: (w,) for w in ("平民", "儿童", "妇女", "学生", "记者", "游客", "外国人", "难民", "移民", "医生", "护士", "囚犯")},
    **dict.fromkeys(_MILITANTS, _MILITANTS), **dict.fromkeys(_PROTESTERS, _PROTESTERS),
}
# the kind before the count ("这次动乱中哈萨克军警方面有多少人殉职？", "警察当中有几人受伤"): the count is theirs
_KIND_BEFORE = re.compile(r"(" + "|".join(sorted(_PEOPLE_KINDS, key=len, reverse=True)) + r")(?:方面|当中|之中|中|里)?"
                          r"(?:一共|总共|共)?有?(?:多少|几)(?:名|个|位)?人")
# in English, a kind of people right after "how many" ("How many police officers and soldiers were killed …?")
# (not troops nor soldiers: a force is counted as "维和人员", "伞兵", "部队" alike)
_KINDS_EN = {"police": "警察", "policemen": "警察", "civilians": "平民", "children": "儿童", "journalists": "记者",
             "protesters": "抗议者", "demonstrators": "示威者", "militants": "武装分子", "terrorists": "恐怖分子"}
_COUNT_KIND_EN = re.compile(r"\bhow many (?:[\w-]+ )?(" + "|".join(_KINDS_EN) + r")\b", re.I)
_OWN = re.compile(r"([\u4e00-\u9fff]{2,8})(?:自己|自身|本身)[^，,；;？?]{0,8}(?:多少|几)")
# a part's share of a whole ("那2300名维和人员里，俄罗斯军人占了多少？"): the part is counted, and a sentence that
# gives only the whole does not answer
_SHARE = re.compile(r"([\u4e00-\u9fff]{2,10})占了?(?:其中)?(?:多少|几成|百分之几|多大比例|多大比重|多大份额|几个)")


def counted_names(question: str) -> tuple[str, ...]:
    """The place or people whose things a count question asks for, as the Chinese names a sentence may give
    them by: "一月骚乱中有多少名以色列人受伤？" -> (以色列,). The name comes right after the count word and before
    what is counted (jieba's ns/nr/nrt, or a country, with the country's other names: 哈萨克斯坦, 哈萨克 …), so
    "吉尔吉斯斯坦派遣了多少名士兵" names none: its name is the subject, and the article may leave it implicit. In
    English, a people's word right after "how many" ("How many Chinese shops …": country_of_demonym)."""
    if is_english(question):
        if kind_en := _COUNT_KIND_EN.search(question):
            return _PEOPLE_KINDS[_KINDS_EN[kind_en.group(1).lower()]]
        m = _COUNT_OF_EN.search(question)
        return country_of_demonym(m.group(1)) if m else ()
    q = normalize(question)
    if before := _KIND_BEFORE.search(q):
        return _PEOPLE_KINDS[before.group(1)]
    own = _OWN.search(q)  # "俄罗斯自己出了多少名军人？": Russia's own, not the force's total nor another's share
    if own and (named := countries_in(own.group(1))):
        return country_names(min(named))
    share = _SHARE.search(q)
    if share and (named := countries_in(share.group(1))):  # and its forces or side by their short name (俄军, 俄方)
        names = country_names(min(named))
        return (*names, names[0][0] + "军", names[0][0] + "方")
    if share and (kind := next((k for k in _PEOPLE_KINDS if k in share.group(1)), None)):
        return _PEOPLE_KINDS[kind]
    words = pos_tags(q)
    for i, (w, _) in enumerate(words):
        if not _COUNT_WORD.match(w):
            continue
        rest = words[i + 1:]
        if rest and _CLASSIFIER.match(rest[0][0]):
            rest = rest[1:]
        if rest and rest[0][0] in _PEOPLE_KINDS:  # "有多少警察和军人丧命？": the count is theirs, not everyone's
            return _PEOPLE_KINDS[rest[0][0]]
        if len(rest) < 2 or len(rest[0][0]) < 2 or not rest[1][1].startswith("n"):
            return ()
        name, flag = rest[0]
        if name in countries() and rest[1][0] in _PEOPLE_KINDS:  # "多少名哈萨克军警": the kind, the country's own
            return _PEOPLE_KINDS[rest[1][0]]
        if name in countries():
            return country_names(name)
        return (name,) if flag in ("ns", "nr", "nrt") else ()
    return ()


# a foreign national the question is about ("在哈萨克斯坦遇害的以色列人", "the Israeli citizen killed in Kazakhstan")
_NATIONAL = r"(?:人|公民|籍|男子|女子|男性|女性|游客|记者|商人|侨民)"
_NATIONAL_EN = re.compile(r"\b([A-Z][a-z]{3,})(?: (?:citizen|national|man|woman|tourist|journalist|businessman|"
                          r"victim))s?\b")


def foreign_nationals(question: str) -> tuple[str, ...]:
    """The Chinese names of the country whose national a question asks where or when something befell, when it
    names another country too (the setting): "那名在哈萨克斯坦遇害的以色列人是在哪座城市被枪杀的？" -> (以色列,). A
    sentence on the setting that never names that country ("在该国南部的克兹拉尔达市发生了枪击") tells of someone
    else; () when the question names one country only (its people are the setting's)."""
    if is_english(question):
        found = {c for m in _NATIONAL_EN.finditer(question) for c in country_of_demonym(m.group(1))[:1]}
        setting = {names[0] for w in re.findall(r"\b[A-Z][a-z]{3,}\b", question) if (names := country_of_demonym(w))}
        return country_names(min(found)) if len(found) == 1 and setting - found else ()
    q = normalize(question)
    named = countries_in(q)
    for m in re.finditer(r"(" + any_country_name() + r")" + _NATIONAL, q):
        own = countries_in(m.group(1))
        if own and named - own:
            return country_names(min(own))
    return ()


# a relative asked for ("他爷爷是哪位苏联名人？", "Who was Nikonov's grandfather?"), by the words a sentence may
# name them with
_KIN = (("祖父", "爷爷", "外公", "外祖父", "grandfather", "grandpa"), ("祖母", "奶奶", "外婆", "外祖母", "grandmother"),
        ("父亲", "爸爸", "生父", "father", "dad"), ("母亲", "妈妈", "生母", "mother", "mom"),
        ("妻子", "老婆", "太太", "夫人", "wife"), ("丈夫", "老公", "husband"), ("儿子", "son"), ("女儿", "daughter"),
        ("侄子", "外甥", "nephew"), ("孙子", "外孙", "grandson"), ("兄弟", "哥哥", "弟弟", "brother"),
        ("姐妹", "姐姐", "妹妹", "sister"))


def asked_relative(question: str) -> tuple[str, ...]:
    """The words for the relative a question asks for (爷爷 -> 祖父, 爷爷, 外公 …), () when it asks none."""
    english = is_english(question)
    q = question.lower() if english else normalize(question)
    for words in _KIN:
        if any((re.search(rf"\b{w}s?\b", q) if english else w in q) for w in words if w.isascii() == english):
            return tuple(w for w in words if not w.isascii())
    return ()


def figure_countries(question: str, asked: frozenset[str]) -> frozenset[str]:
    """The countries among `asked` whose figure the question asks: not those it names only for the person it cites
    (`speakers`) or in a clause setting them aside (`set_aside`). rag.gate.other_country reads them."""
    return asked - speakers(question, asked) - set_aside(question, asked)


# "除了吉尔吉斯斯坦，塔吉克斯坦派了多少兵？", "Apart from Kyrgyzstan, how many …": the countries set aside
_SET_ASIDE = re.compile(r"除了?([^，,；;？?]{2,24}?)(?:以外|之外|外)?[，,]|\b(?:apart from|aside from|besides|other than|except(?: for)?)"
                        r" ([^,;?]{2,40}?)(?:,|$)", re.I)


def set_aside(question: str, asked: frozenset[str]) -> frozenset[str]:
    """The countries among `asked` that the question names only in a clause setting them aside ("除了吉尔吉斯斯坦，
    塔吉克斯坦往哈萨克派了多少维和兵？" asks Tajikistan's count, which a sentence on Kyrgyzstan's does not give)."""
    english = is_english(question)
    text = question if english else normalize(question)
    aside = " ".join(m.group(1) or m.group(2) for m in _SET_ASIDE.finditer(text))
    rest = _SET_ASIDE.sub(" ", text)
    return frozenset(c for c in asked if c in countries_asked(aside, english) and c not in countries_asked(rest, english))


# "还有哪些成员国", "which other countries": the question asks countries
_ASKS_COUNTRIES = re.compile(r"哪国|哪(?:些|几个|个|一个)[\u4e00-\u9fff]{0,6}?(?:国家|成员国|盟国|邻国)|\bwhich (?:other )?(?:[\w-]+ )?"
                             r"(?:countries|nations|states|members)\b", re.I)


def others_asked(question: str, asked: frozenset[str]) -> frozenset[str] | None:
    """For "除了俄罗斯和吉尔吉斯，还有哪些集安组织成员国派兵去了哈萨克？": the countries an answer must name one beyond (all
    those the question names); None unless the question sets a country aside and asks which countries."""
    aside = set_aside(question, asked)
    rest = _SET_ASIDE.sub(" ", question if is_english(question) else normalize(question))
    if not aside or not _ASKS_COUNTRIES.search(rest):
        return None
    return asked


# a country before the role of a person the question cites ("法国历史学者提到，…") names who speaks, not whose
# figure it asks
_SPEAKER = re.compile(r"[\u4e00-\u9fff]{0,4}?" + ROLES + r"[\u4e00-\u9fff·]{0,8}?(?:提到|指出|说|讲|表示|称|认为|写道|透露|分析)")


def speakers(question: str, asked: frozenset[str]) -> frozenset[str]:
    """The countries among `asked` that a Chinese question names only before the role of a person it cites: the
    speaker's, not the figure's ("法国历史学者提到，习近平在哈萨克斯坦首次提出…是哪一年？" asks Kazakhstan's year,
    from a sentence that names China and Afghanistan too)."""
    text = normalize(question)
    return frozenset(c for c in asked if (spots := list(re.finditer(name_pattern(c), text)))
                     and all(_SPEAKER.match(text, m.end()) for m in spots))
