"""What kind of figure a question asks for, and what that figure looks like in a sentence.

A question that names the kind ("哪一年", "多少人", "多长时间", "how much money") asks for a year, a count of people, a
duration, a sum …; the answer's sentence must hold a figure of that form (rag.gate.missing_figure refuses a best
sentence without one), and outlets disagree when they give different figures of it (rag.disagreements). A count
in a classifier, and whether a sentence writes a figure the question does not give, are rag.counts'.
"""

from __future__ import annotations

import re
from functools import lru_cache

from rag.countries import countries_asked
from rag.keywords import clauses, normalize
from rag.questions import DEATH_TOLL_EN, is_english, keywords_only

_KEYWORD_PEOPLE = re.compile(r"人[数口][？?]?$")  # "…死亡人数", typed as keywords: a count of people

# A span of time ("3年", "两个月", "18个月"): a count of years has at most three digits ("2019年" dates; "5千年",
# "三十年" last); in words, "最近几个月" is when, not how long ("那几个人判了几年？"). How long without a figure:
# "只会待上一段“有限的”时间", "短期", "暂时". `words_end` follows a span in words: empty in the plain form, a
# lookahead where "一年后" (a later time) is no span; `vague` keeps the spans without a figure.
_SPAN_DIGITS = (r"(?<!\d)\d{1,3}\s*[十百千万亿]?\s*(?:多|余)?\s*年|距今\D{0,3}\d+(?:\s*[～~至－-]\s*\d+)?\s*(?:多|余)?\s*年|"
                r"\d+\s*(?:多|余)?\s*(?:个)?(?:小时|分钟|秒|天|周|星期|个月)")
_SPAN_IN_WORDS = r"(?<!最近)(?<!近)(?<!过去)(?<!这)[一二三四五六七八九十两几百千万]+(?:多|余)?(?:个)?(?:小时|分钟|天|周|星期|个月|年)"
_SPAN_VAGUE = r"一段\S{0,6}?时间|短期|长期|暂时|短暂|"
_SPAN_OTHER = r"半(?:年|个月|个?世纪|个?小时|天)|每(?:年|月|周|天)"


def _span(words_end: str = "", vague: bool = True) -> re.Pattern[str]:
    return re.compile(f"{_SPAN_DIGITS}|{_SPAN_IN_WORDS}{words_end}|" + (_SPAN_VAGUE if vague else "") + _SPAN_OTHER)


_NO_SPAN = r"(?!内|来|间|里|之久|以来|之内)"  # "30年内", "20年来": a span of years, after a two-digit figure

# What a figure in the answer must look like, by what the question asks for. Counts need a number before the
# unit; days, years, durations and shares are recognised by their own form.
NUM = r"(?:\d[\d,.]*|[一二三四五六七八九十两百千万亿几数]+)\s*(?:多|余|万|千|百|亿)*\s*"
_PEOPLE = r"(?!(?<![\d一二三四五六七八九十两百千万亿几数])一\s*[位名])" + NUM + r"(?:人|名|位|万|千|百)"
_ANSWER_UNITS: dict[str, re.Pattern[str]] = {
    # or a lunar date ("七月初十", "十月廿一")
    "day": re.compile(r"\d{1,2}\s*[日号]|[一二三四五六七八九十]+[日号]|周[一二三四五六日]|星期[一二三四五六日天]|[昨今前]天|"
                     r"月(?:初[一二三四五六七八九十]|[廿卅][一二三四五六七八九]?)"),
    # a month ("3月", "十月", "月底"), a season, or a day that names one ("1月9日"); "数月之后" is none
    # ("自2020年1月以来": since then, the month of another event)
    "month": re.compile(r"(?:\d{1,2}|[一二三四五六七八九十正腊冬]{1,2})\s*月(?!份?(?:[以之]?[前后内间]|以来))|月[初中底末]|"
                        r"[春夏秋冬](?:天|季|初|末|间)"),
    # or an era's year ("崇宁五年", "民国5年"), a cyclical one ("庚申年"), or before the era ("公元前5千年")
    # ("在取得独立后的30年内" is a span of years, not a year: _NO_SPAN)
    "year": re.compile(r"(?:\d{3,4}|[一二〇零三四五六七八九]{2,4})\s*年|\d{2}\s*年" + _NO_SPAN + r"|年代|世纪|"
                       r"[\u4e00-\u9fff]{2}\s*(?:元|[一二三四五六七八九十]{1,3})\s*年|[\u4e00-\u9fff]{2}\s*\d{1,2}\s*年" + _NO_SPAN +
                       r"|"
                       r"[甲乙丙丁戊己庚辛壬癸][子丑寅卯辰巳午未申酉戌亥]年|公元前?\s*\d+\s*[千百万]?\s*年"),
    "duration": _span(),
    "money": re.compile(NUM + r"(?:的)?(?:[元镑]|美元|卢布|坚戈|欧元|美金|人民币|日元|港元|港币|台币|澳元|加元|韩元|卢比|法郎|马克|税)"),  # "数百亿的税"
    "share": re.compile(r"%|％|百分之|[\d一二三四五六七八九十]成(?![为员立功果就绩])|[一二三四五六七八九十]分之|"
                        r"\d+\s*[：:比]\s*\d+"),  # a ratio too ("约为1：7")
    # a count of people, or a population figure ("人口达2,790,060"); "一位分析家" is a person, not a count
    "people": re.compile(_PEOPLE + r"|人口[^，,。；;！？]{0,8}?\d"),
    # a population: a count of people in a sentence that says who live there ("当地88万居民", "人口达2,790,060",
    # "根据2010年人口普查，共有24,672人")
    "population": re.compile(r"^(?=[\s\S]*(?:人口|居民|市民|居住|住着|住有))[\s\S]*?(?:" + _PEOPLE +
                             r"|(?:人口|居民|市民|居住|住着|住有)[^，,。；;！？]{0,15}?(?:\d|[一二三四五六七八九十两百千万亿]{2}))"),
    # a count of people who did or suffered something ("多少人被招募"): a population ("88万居民", "人口达…") is not one
    "headcount": re.compile(_PEOPLE + r"(?!\s*(?:居民|人口))"),
    "barrels": re.compile(NUM + r"桶"),
    "distance": re.compile(NUM + r"(?:公里|千米|米|英里|海里|光年|公分|厘米|毫米|英尺|英寸|km|m\b|mi\b|cm\b)", re.I),
    # an area: a figure in square units, or a comparison ("面积相当于法国三分之一")
    "area": re.compile(NUM + r"(?:平方|公顷|亩|英亩)|面积[^，,。；;！？]{0,8}?(?:相当于|约为|为|达|是|有|超过|\d)|km2|km²", re.I),
}
_ASKS_ZH: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"哪一?天|几号|哪一?日|什么日子|几月几[日号]|星期几|礼拜几|周几(?!乎)"), "day"),
    # which month: over the 7,745 answered CMRC and DRCD questions, the answer sentence names one for all 7 that
    # ask it (benchmarks/question_rules.py)
    (re.compile(r"(?:几|哪个|哪一个|哪)月(?!几[日号])|(?:什么|哪个|哪一个)月份"), "month"),
    (re.compile(r"哪一?年|何年|年份|几几年|(?:西元|公元前?|民国)(?:几|多少)年"), "year"),
    # "多少年轻人" asks for people, "哪几个月" for months
    # "持续" alone is a topic ("一种持续不停的过程"), "花费多少时间" no sum
    (re.compile(r"多长时间|多少时间|多久|持续(?:了|的时间)?(?:多久|多长|多少|几)|(?:任期|刑期|期限|时长)[^，,；;？?]{0,4}多长|刑期|判[了处]?(?:多少|几)年|(?<![那这来十几\d])(?:多少|几)年(?![前轻代纪级龄度货])|(?<![哪那这])(?:多少|几)个月"), "duration"),
    # a topic word ("粮食价格危机产生了怎样的影响", "百分之四十的居民属于哪个民族") does not ask for the figure: a
    # count word does
    (re.compile(r"多少钱|多少资金|多少[万千百亿]*(?:人民币|美元|欧元|日元|英镑|卢布|坚戈|元)|多少税|(?:多少|几)[^，,；;？?]{0,2}(?:工资|薪[水资酬金]|报酬|奖金|补贴|费用)|"
                r"(?:金额|贸易额|薪[水资酬]?|报酬|价格|花费|费用)[^，,；;？?]{0,6}(?:多少|几)|"
                # "对不上的钱有多少", "损失总额有多少" (not "损失了多少士兵")
                r"钱[^，,；;？?]{0,3}(?:多少|几)|(?:损失|差额)(?:总额|金额)?(?:有|是|达|高达|共)?多少(?![人名位个士兵])"),
     "money"),
    (re.compile(r"百分之(?:几|多少)|比例|得票率|占比|百分比|多少成"), "share"),
    # 人口 only with a count word: "人口均属于哪一个民族" asks for a people, not a number
    # "那几个人", "这几名" name a few, they do not ask; "第几名" asks a place in a ranking
    (re.compile(r"(?:多少|(?<![那这十\d])几)[^，,；;？?]{0,4}人口|人[口数][^，,；;？?]{0,6}(?:多少|几)|多少人|"
                r"(?<![那这十\d第])几(?:个人|名)|多少名|多少位|"
                r"多少个人|多少(?:当地)?居民|多少士兵|多少军人|多少警察|(?:多少|几个)兵(?!器)|"
                # people insisted on ("到底有多少哈萨克公民被招走"; a plain "多少当地人" is left unread: the seeds'
                # "数十名公民…丧生" would answer it)
                r"(?:到底|究竟)[^，,；;？?多]{0,4}?多少[^，,；;？?]{0,6}?(?:公民|国民|当地人|外国人|平民)|"
                # lives lost: "夺走了多少条人命" is answered by "164人丧生"
                r"(?:多少|几)条(?:人命|生命|性命)"), "people"),
    (re.compile(r"多少桶"), "barrels"),
    (re.compile(r"(?:面积|地盘|国土|领土|土地|幅员|占地)[^，,；;？?]{0,6}(?:多大|多广|多少|几)|多大(?:的)?(?:面积|地盘|地方)|"
                r"多少平方"), "area"),
    (re.compile(r"多少公里|多长|多远"), "distance"),
)
_ASKS_EN: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"\bwhat (?:exact |specific |precise )?(?:day|date)\b|\bwhich (?:day|date)\b|\bon what day\b|\bdate of birth\b|\bbirthday\b|"
                r"\bday of the week\b",
                re.I), "day"),
    (re.compile(r"\b(?:what|which) month\b", re.I), "month"),
    (re.compile(r"\bwhat years?\b|\bwhich years?\b|\bin what years?\b|\bwhen was\b.*\b(?:founded|born|established)\b",
                re.I), "year"),
    # "how long will the troops stay", not "how long is the border" (distance, below)
    (re.compile(r"\bhow long did\b|\bhow long ha[sd]\b|\bhow long (?:will|would)\b|"
                r"\bhow long\b.*\b(?:stay|stayed|last|lasted|remain|remained|take|took|serve|served|continue|sentences?|"
                r"sentenced|prison|jail|terms?)\b|"
                r"\bhow many (?:years|months|days|hours)\b", re.I), "duration"),
    (re.compile(r"\bhow much money\b|\bhow much (?:does|did|do|is|was) .* (?:pay|offer|cost)\b|"
                r"\bwhat (?:is|was|were) (?:the |its |their )?(?:[\w'-]+ ){0,2}(?:salary|price|cost|trade volume|"
                r"tax revenue)\b|\bwhat (?:[\w'-]+ )?(?:pay|salary|salaries|wages?)\b|"
                # "What was the value of trade between …?", "How much was the deal worth?"
                r"\b(?:value|volume) of (?:the |their |its )?(?:[\w-]+ )?(?:trade|exports?|imports?|investments?|deals?|"
                r"contracts?)\b|\bhow much\b.*\bworth\b", re.I), "money"),
    (re.compile(r"\bpercentage\b|\bwhat share\b|\bwhat proportion\b|\bper ?cent\b", re.I), "share"),
    # "how many of the CSTO peacekeepers …"
    (re.compile(r"\bhow many (?:of (?:the |its |their |those )?|(?:were|are|was) )?(?:[\w-]+ )?(?:people|residents|inhabitants|soldiers|troops|peacekeepers|police|officers|"
                r"citizens|persons|protesters|victims|workers|students|migrants|refugees)\b|"
                # a population asked for, not one a group makes part of ("Which ethnic group makes up a big part
                # of the population …?")
                r"\b(?:what|how (?:large|big))\b[^?]*\bpopulation\b(?! in\b)|\bpopulation (?:of|figure|size|count)\b|"
                + DEATH_TOLL_EN, re.I), "people"),
    (re.compile(r"\bbarrels?\b", re.I), "barrels"),
    (re.compile(r"\bhow (?:long|far)\b.*\b(?:border|distance|road|river)\b|\bkilomet", re.I), "distance"),
    (re.compile(r"\bhow (?:big|large)\b.*\b(?:region|area|province|territory|country|state)\b|"
                r"\bsquare (?:kilomet|mile)|\barea of\b", re.I), "area"),
)


def asks_for_day(unit: re.Pattern[str] | None) -> bool:
    """Is `unit` (from expected_unit) the day: the question asks on which day something happened?"""
    return unit is _ANSWER_UNITS["day"] or unit is _DAY_OF_MONTH


# what follows a day that dates a statement, not the event it reports: "普莱斯11日表示，…", "国防部在7日表示，它已经…"
_SAID_AFTER = re.compile(r"^\s*(?:晚间|晚上|早些时候|上午|下午|早上|早间|凌晨|当天)?\s*(?:在[^，。；]{0,12}?)?"
                         r"(?:表示|说|称|指出|宣布|透露|强调|介绍|声明|发表声明|发表讲话)\s*[，,：:“\"「]")
# a question on the day something was said: then the day of a statement answers it (a spokesman, 发言人, is not
# one: "发言人普莱斯要求集安组织部队在哪天之前撤出？" asks a deadline)
_ASKS_SAYING = re.compile(r"说|表示|宣布|声明|讲话|发言(?!人)|表态|指出|通话|通电话|会谈|会晤|发布|称|"
                          r"\b(?:say|said|announce|announced|state|stated|speak|spoke|told|tell|call|called|statement)\b",
                          re.I)


def dates_only_statements(question: str, sentence: str) -> bool:
    """For a question on which day something happened, every day the sentence gives dates someone's statement
    ("美国务院发言人普莱斯11日表示，美国希望集安组织力量…应离开该国" for "集安组织的部队哪天撤出哈萨克斯坦？"):
    it reports what was said that day, not when the event asked about took place. False when the question asks
    when something was said, or the sentence gives no day ("本周三宣布辞职" dates the resignation)."""
    q = question if is_english(question) else normalize(question)
    if _ASKS_SAYING.search(q):
        return False
    s = normalize(sentence)
    days = list(_ANSWER_UNITS["day"].finditer(s))
    return bool(days) and all(_SAID_AFTER.match(s[m.end():]) for m in days)


def names_a_date(unit: re.Pattern[str] | None) -> bool:
    """Is `unit` a day, a month or a year, which nearly every news passage gives for something?"""
    return any(unit is _ANSWER_UNITS[k] for k in ("day", "month", "year"))


# a question on how many live somewhere: a population answers it ("加拿大的最大城市有多少人？" -> "人口达2,790,060");
# any other count of people is a headcount. Over the 34 other people-count questions of the 7,745 answered CMRC and
# DRCD questions, one answer sentence gives no headcount, as before (benchmarks/question_rules.py)
_POPULATION = re.compile(r"人口|居民|住着|住了|居住|有多少(?:人|居民)[？?]?$|\b(?:population|inhabitants|residents|live[sd]?|living)\b",
                         re.I)
# a question that says population ("全国人口有多少"): the figure is given beside such a word. Over the 21
# population questions of the 7,745 answered CMRC and DRCD questions, the 19 that say so have one
# (benchmarks/question_rules.py); the two that do not ask "说勉语的人有多少人"
_POPULATION_WORD = re.compile(r"人口|居民|\b(?:population|inhabitants|residents|live|living)\b", re.I)
# residents counted for what befell them ("多少居民被俄军招募走了", "How many residents were recruited"): a headcount,
# which a population ("当地88万居民") does not give
_BEFELL = re.compile(r"(?:多少|几[十百千万]?)[名个位]?(?:当地)?(?:居民|市民)[^，,。；;？?]{0,4}?(?:被|遭|死|丧生|伤|逃|撤|离开|加入|"
                     r"参加|参军|应征|入伍)|\bhow many (?:local )?(?:residents|inhabitants) (?:were|have been|had been|got)"
                     r" \w+ed\b", re.I)
# the population of a part of a country: a region, a province, a town, or "当地" after one
_LOCAL = re.compile(r"当地|地区|[州省市县镇村]|\b(?:region|province|city|town|state|district)\b", re.I)
_WHOLE = re.compile(r"全国|全体|整个|总人口|全部人口|\b(?:entire|whole|total|nationwide|national)\b", re.I)


def local_population(question: str, unit: re.Pattern[str] | None, sentence: str) -> bool:
    """The question asks a country's population, or a share of it, without naming a part of it ("哈萨克斯坦全国人口有
    多少？"), and every clause of the sentence that gives one gives a part's ("哈萨克斯坦科斯塔奈地区…，当地88万居民
    中…"): a region's figure does not answer for its country."""
    english = is_english(question)
    q = question if english else normalize(question)
    # or the share of its whole population that a people makes up ("What share of Kazakhstan's entire population is
    # ethnic Russian?" from "当地88万居民中超过40%是俄罗斯裔")
    share = unit is _ANSWER_UNITS["share"] and bool(_POPULATION_WORD.search(q) and _WHOLE.search(q))
    if unit is None or unit not in _POPULATION_UNITS and not share \
            or _LOCAL.search(q):
        return False
    if not countries_asked(q, english):  # "科斯塔奈那边住了多少人？" asks for a region's
        return False
    given = [c for c in clauses(normalize(sentence)) if unit.search(c)]
    return bool(given) and all(_LOCAL.search(c) for c in given)


# a question for the exact figure ("具体是多少亿美元？") is not answered by a round one ("高达数十亿美元", "几百人");
# the same figures, written as a number that starts where no other numeral or 数/几/多 stands
_EXACT = re.compile(r"具体|确切|精确|准确|\b(?:exact|exactly|precise|precisely|specific|specifically)\b", re.I)
_ALONE_NUM = r"(?<![数几多余\d一二三四五六七八九十两百千万亿])(?:\d[\d,.]*|[一二三四五六七八九十两百千万亿]+)"
_DEFINITE_NUM = _ALONE_NUM + r"(?![多余])\s*(?:万|千|百|亿)*\s*"


def _units_with(number: str) -> dict[str, re.Pattern[str]]:
    """The answer units whose figure is written as `number` instead of any number (NUM)."""
    return {k: re.compile(p.pattern.replace(NUM, number), p.flags) for k, p in _ANSWER_UNITS.items() if NUM in p.pattern}


_EXACT_UNITS = _units_with(_DEFINITE_NUM)
# "到底/究竟有多少" insists on a figure: a round one answers ("十余人"), a vague one does not ("数十名", "几百人")
_INSIST = re.compile(r"到底|究竟")
_FIRM_UNITS = _units_with(_ALONE_NUM + r"\s*(?:多|余|万|千|百|亿)*\s*")
# "具体是哪一天？" asks a date: "上周五" or "星期四" only says the weekday
_DAY_OF_MONTH = re.compile(r"\d{1,2}\s*[日号]|[一二三四五六七八九十]+[日号]|月(?:初[一二三四五六七八九十]|[廿卅][一二三四五六七八九]?)")
# how long something lasted is not "一年后" (a year later), unless the question asks how long before or after
# ("多久以前" -> "公元前一万年前")
_ASKS_OFFSET = re.compile(r"(?:多久|多少年|几年|多少天|几天|多长时间)\S{0,2}?(?:前|后)|(?:前|后)(?:多久|多少年|几年|多少天|几天|多长时间)|"
                          r"\b(?:ago|later|after|before)\b", re.I)
# an area asked in square units ("面积有多少平方公里？", "How many square kilometres …?") is answered in them, not
# by a comparison ("面积相当于法国三分之一")
_IN_SQUARE_UNITS = re.compile(r"平方|公顷|\bsquare\b|km2|km²", re.I)
_SQUARE_AREA = re.compile(NUM + r"(?:平方|公顷|亩|英亩)|km2|km²", re.I)
_SPAN = _span(words_end="(?![后前])")
# "多少年", "How many years …?" is answered in years or the next unit down ("判了几年" -> "18个月"), not by "两分钟"
_SPAN_ASKED = re.compile(r"(?:多少|几)个?(年|月|天|日|小时|周|星期)|\bhow many (years|months|days|hours|weeks)\b", re.I)
_YEARS, _MONTHS, _DAYS = "年|月", "月|年|周|星期|天|日", "天|日|小时|周|星期"
_SPAN_WORDS = {"年": _YEARS, "years": _YEARS, "月": _MONTHS, "months": _MONTHS, "天": _DAYS, "日": _DAYS,
               "days": _DAYS, "小时": "小时|分钟|钟头", "hours": "小时|分钟|钟头", "周": _MONTHS, "星期": _MONTHS,
               "weeks": _MONTHS}


@lru_cache(maxsize=16)
def _span_of(words: str) -> re.Pattern[str]:
    return re.compile(r"^(?=[\s\S]*?(?:" + words + r"))[\s\S]*?(?:" + _SPAN.pattern + ")")


def _span_in(q: str) -> re.Pattern[str]:
    """How long, in the unit the question counts in when it names one."""
    m = _SPAN_ASKED.search(q)
    return _span_of(_SPAN_WORDS[(m.group(1) or m.group(2)).lower()]) if m else _SPAN


# "Exactly how many days …?" is not answered by "一段“有限的”时间"
_EXACT_SPAN = _span(words_end="(?![后前])", vague=False)
_POPULATION_UNITS = (_ANSWER_UNITS["population"], _EXACT_UNITS["population"], _FIRM_UNITS["population"])


def expected_unit(question: str) -> re.Pattern[str] | None:
    """What the answer's figure must look like, when the question says (a day, a year, people, money ...)."""
    english = is_english(question)
    q = question if english else normalize(question)
    for pat, unit in _ASKS_EN if english else _ASKS_ZH:
        if pat.search(q):
            if unit == "people" and _POPULATION_WORD.search(q) and not _BEFELL.search(q):
                unit = "population"  # "全国人口有多少" is not answered by "164人丧生"
            elif unit == "people" and (not _POPULATION.search(q) or _BEFELL.search(q)):
                unit = "headcount"  # "多少人被招募" is not answered by "当地88万居民"
            return _narrowed(unit, q)
    if not english and keywords_only(q) and _KEYWORD_PEOPLE.search(q):
        return _ANSWER_UNITS["people"]
    return None


def _narrowed(unit: str, q: str) -> re.Pattern[str]:
    """The form of a `unit` figure, narrowed by how the question asks it: exactly ("具体是哪一天": a date), insisting
    ("到底有多少": a firm figure), in square units, or how long in a unit it names (not a later time)."""
    exact = bool(_EXACT.search(q))
    if unit == "day" and exact:
        return _DAY_OF_MONTH
    if unit == "area" and _IN_SQUARE_UNITS.search(q):
        return _SQUARE_AREA
    if unit == "duration" and not _ASKS_OFFSET.search(q):
        return _EXACT_SPAN if exact else _span_in(q)
    if unit in _EXACT_UNITS and exact:
        return _EXACT_UNITS[unit]
    if unit in _FIRM_UNITS and _INSIST.search(q):
        return _FIRM_UNITS[unit]
    return _ANSWER_UNITS[unit]
