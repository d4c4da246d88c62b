"""What a question asks for: its language and script, its answer type, and its parts.

Answer types: definition, person, place, org, time, number, reason, occasion, yesno, other. Chinese questions are typed by
their question words, English ones by their question word; whether a sentence holds an answer of the type is
rag.typematch.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Sequence
from functools import lru_cache

from rag.keywords import CJK, normalize

_LATIN = re.compile(r"[A-Za-z]")
CJK_CHAR = re.compile(r"[\u4e00-\u9fff]")

ANSWER_TYPES = ("definition", "person", "place", "org", "time", "number", "reason", "occasion", "yesno", "other")

# what the articles call a person: a post, a trade, a kinship ("哪个俄罗斯议员", "分析师帕维尔·卢津")
ROLES = (r"(?:总统|总理|首相|主席|部长|外长|局长|议员|分析师|分析家|发言人|学者|记者|大使|将军|领导人|首脑|秘书长|"
          r"书记|主任|官员|商人|专家|史学家|历史学者|作者|负责人|国务委员|委员|州长|市长|检察官|司令|总裁|董事长|"
          r"教授|研究员|主编|外交官|祖父|侄子|前任|继任者)")
# "定性为什么" and "称为什么" ask what, not why
_WHY = re.compile(r"(?<![作成称性视改名译认])为什么|为何|原因|何故|为啥|理由|怎么会")
# a town, a village or a port, which no country answers: "哪座城市", "哪两个村子", "那个口岸叫什么名字", "事发城市是哪座"
_TOWN_NOUN = r"(?:城市|城|市|镇|小镇|村子|村庄|村|口岸|港口|港|机场)(?![场长民委政值面])"
_TOWN_Q = (r"哪[一两二三四五六七八九十几]?[个座一处家]?" + _TOWN_NOUN + r"|什么城市|"
           + _TOWN_NOUN + r"(?:叫|是)(?:什么(?:名字)?|哪[一个座处])")
# Checked in order; the first match wins. Patterns run on the script-normalised (simplified) question.
_ZH: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("reason", _WHY),
    ("time", re.compile(r"何时|哪一?年|什么时候|什么时间|几月|几号|哪一?天|哪个月|年份|何年|日期|哪个朝代|"
                        r"哪[一个]?时期|哪个年代|哪[一个]?王朝|多久以前|几点|哪一?日|星期几|周几|礼拜几")),
    ("number", re.compile(r"多少|(?<![十\d那这哪])几[个次名位种部条家场届项层座本件张只所支人岁天年月周倍万千百亿波轮批架辆艘枚]|第几|"
                          r"多[长久高重远大宽深广]|几何|百分之几|比例")),
    ("person", re.compile(r"谁|哪位|哪一位|哪些人|什么人|何人|哪个人|哪名|(?<![党会司社团局部网报台岸庄港镇市城村])(?<!村子)叫什么名字|"
                          r"(?:人|者|家|师|员|官|长|手|人士|女士|博士)(?:叫啥|叫什么)|"
                          r"哪[个一]?(?:队员|学者|作家|诗人|画家|演员|歌手|导演|球员|教练|科学家|皇帝|国王|君主|将军)|"
                          # up to four words between: "哪个俄罗斯议员", "哪些历史人物" (not "哪个国家的总统": a place)
                          r"哪[一两二三四五六七八九十几]?[个位名一些][^的，,。？?\s]{0,4}?(?:" + ROLES + r"|人物)")),
    ("org", re.compile(r"哪[个家一些所支]?(?:组织|机构|公司|政党|部门|媒体|报纸|电视台|通讯社|集团|银行|大学|企业|联盟|"
                       r"国际组织|团体|军队|部队|球队|队(?![员长])|学校|学院|杂志|频道|出版社|唱片公司|教会)|"
                       r"什么(?:组织|机构|公司|媒体|政党)")),
    ("place", re.compile(r"哪里|哪儿|什么地方|何处|何地|在哪(?!种|方面)|哪[一两二三四五六七八九十几]?[个座一些]?(?:国家|城市|省|州|地区|国|市|县|岛|"
                         r"地方|边境|首都|河|山)|哪国|" + _TOWN_Q)),
    # the event at which something was said or done ("他是在什么场合说的？")
    ("occasion", re.compile(r"什么场合|哪个场合|何种场合|哪一?次(?:会议|会谈|讲话|活动|峰会)|什么(?:会议|活动|仪式)上")),
    ("yesno", re.compile(r"是否|吗[？?]?$|有没有|是不是|能否|会不会|可否|能不能")),
)
# an English death toll asks for a number (of people: rag.figures) without "how many"
DEATH_TOLL_EN = r"\b(?:death|casualty) (?:toll|figures?|count)\b"
_EN: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("reason", re.compile(r"\bwhy\b|\bwhat (?:is|was) the reason\b|\bfor what reason\b|\bwhat caused\b|"
                          r"\bhow come\b", re.I)),
    # "when" asks a time before its verb ("When did …", "When exactly …"); "… when he said" and "When Tokayev said …,
    # what did Putin say" only date the question's story
    ("time", re.compile(r"\bwhen(?= (?:did|do|does|was|were|is|are|will|would|has|have|had|can|could|exactly|precisely)\b"
                        r"|[?]?$)|\bwhat (?:year|date|day|month|time)s?\b|\bwhich (?:year|date|day|month)s?\b|"
                        r"\bhow long ago\b", re.I)),
    ("number", re.compile(r"\bhow (?:many|much|long|far|old|large|big|high)\b|\bwhat (?:number|percentage|"
                          r"share|proportion)\b|\bnumber of\b|" + DEATH_TOLL_EN, re.I)),
    # "which" with up to two words before its noun: "which Russian lawmaker", "which think tank"
    ("person", re.compile(r"\bwho\b|\bwhom\b|\bwhose\b|\bwhich (?:[\w'-]+ ){0,3}(?:person|people|man|men|woman|"
                          r"women|figures?|founders?|officials?|leaders?|presidents?|ministers?|lawmakers?|legislators?|mps?|"
                          r"politicians?|analysts?|historians?|journalists?|reporters?|spokes(?:man|woman|person)|"
                          r"diplomats?|generals?|ambassadors?)\b", re.I)),
    ("org", re.compile(r"\bwhich (?:[\w'-]+ ){0,2}(?:organi[sz]ation|company|agency|party|bloc|alliance|media|"
                       r"outlet|newspaper|magazine|think tank|group|institution|ministry|bank|university|"
                       r"radio station|broadcaster)\b", re.I)),
    ("place", re.compile(r"\bwhere\b|\bwhich (?:[\w'-]+ ){0,2}(?:countr(?:y|ies)|cit(?:y|ies)|regions?|provinces?|places?|states?|"
                         r"capitals?|borders?|airports?|towns?|districts?|villages?|ports?|crossings?)\b|\bin what (?:country|city|region)\b", re.I)),
    ("occasion", re.compile(r"\b(?:on|at) (?:what|which) (?:occasion|event|meeting|summit|conference)\b", re.I)),
    ("yesno", re.compile(r"^(?:is|are|was|were|do|does|did|can|could|will|would|has|have|had|should)\b", re.I)),
)

_HARD = re.compile(r"难|不易|不容易")  # a question why something is hard
# the words that ask in a Chinese question; "那几个人", "十几个" name a few, "任何", "何况" "any", "besides": they do not ask
_ASKING_ZH = r"谁|什么|哪|多少|多[长久高重远大宽深广]|(?<![那这十\d])几(?!乎)|(?<![任几])何(?!况)|吗|为什么|怎么|怎样|如何"
_SPLIT_ZH = re.compile(r"(?:[？?]|[，,；;、])\s*(?:又|还有|还|以及|并且|另外|同时|那么|而且)?(?=[^，,；;？?、]*?"
                       r"(?:" + _ASKING_ZH + r"))")
_SPLIT_EN = re.compile(r"(?:,\s*and|;|\?\s*and|\?|,|\band\b)\s+(?=(?:who|what|when|where|why|how|which|did|does|is|"
                       r"was|were)\b)", re.I)
_QWORD_ZH = re.compile(_ASKING_ZH + r"|是否")
# someone's words quoted in a question ("普京说“哈萨克人从来没有任何国家地位”这番话"): what they said, not what is asked
_QUOTED = re.compile(r"“[^”]*”|「[^」]*」|『[^』]*』|‘[^’]*’|\"[^\"]*\"")
# an English part of a question asks something: a question word, or an auxiliary first
_QWORD_EN = re.compile(r"\b(?:what|who|whom|whose|when|where|why|how|which)\b|^(?:and\s+|but\s+)?(?:is|are|was|were|do|"
                       r"does|did|can|could|will|would|has|have|had|should)\b", re.I)
_ASKS_END = re.compile(r"[？?！!。.\s]|名字|呢|啊|吗|的")  # what may follow the words that ask
_lock = threading.Lock()


def is_english(text: str) -> bool:
    """True when the text is written mostly in Latin script (answer notices follow its language)."""
    return len(_LATIN.findall(text)) > 2 * len(CJK.findall(text))


# a search typed as keywords, without a question word, asks for the count it ends with ("哈萨克斯坦骚乱死亡人数")
_KEYWORD_COUNT = re.compile(r"(?:人数|人口|总数|数量|数目)[？?]?$")


def keywords_only(question: str) -> bool:
    """A Chinese question without any question word: a search typed as keywords ("哈萨克斯坦骚乱死亡人数")."""
    return not _QWORD_ZH.search(normalize(question))


# "马西莫夫是谁？", "谁是乌姆洛夫？": who a named person is, so the answer is what the articles call them (their
# role before the name: "卡内基国际和平基金会学者蒂穆尔·乌姆洛夫"), not another person
_WHO_IS = re.compile(r"^(?P<x>[\u4e00-\u9fff·]{2,12}?)(?:到底|究竟)?(?:是谁|是什么人|是何人|是干什么的|是做什么的)[？?]?$|"
                     r"^谁是(?P<y>[\u4e00-\u9fff·]{2,12})[？?]?$|"
                     # the posts someone held are what the articles call them, too ("托卡耶夫之前担任过哪些职务")
                     r"^(?P<z>[\u4e00-\u9fff·]{2,12}?)(?:之前|以前|此前|过去|曾经|曾)?(?:担任|出任|任|做|干|当)过?"
                     r"(?:哪些|什么|何种|哪个|哪种)(?:职务|职位|官职|要职|工作|角色|官)[？?]?$|"
                     r"^(?P<w>[\u4e00-\u9fff·]{2,12}?)(?:之前|以前|曾经)?的(?:职务|职位|官职|头衔|身份)是什么[？?]?$")
# "托卡耶夫当总统前干过哪些要职？": when, before the posts asked for, is no part of the name
_BEFORE_OFFICE = re.compile(r"(?:在|于)?(?:当|成为|出任|就任|当选)[\u4e00-\u9fff]{1,5}?(?:之|以)?前(?=[\u4e00-\u9fff])")


def asked_person(question: str) -> str | None:
    """The person a "who is X?" question names, or None."""
    m = _WHO_IS.match(_BEFORE_OFFICE.sub("", normalize(question.strip())))
    who = (m["x"] or m["y"] or m["z"] or m["w"]) if m else None
    if not who or "的" in who:  # "尼科诺夫的祖父是谁？" asks for a person
        return None
    # a name as jieba reads one: a name's pieces and single characters ("托" "卡耶夫"), no other word
    # ("被革职的国家安全局局长是谁？" asks for the name)
    words = [(w, f) for w, f in pos_tags(who) if w != "·"]
    named = any(f.startswith("nr") for _, f in words) and all(f.startswith("nr") or len(w) == 1 for w, f in words)
    return who if named else None


def answer_type(question: str) -> str:
    """One of ANSWER_TYPES: the first pattern that matches, except that a reason word after a question word for
    a person, organisation, place or time names a clause ("哪位史学家解释了北京为何看重哈萨克", "Who ... quoted
    on why ...": a person; a count such as "几个月" before it is a modifier, not the question)."""
    english = is_english(question)
    q = question.strip() if english else normalize(question)
    if not english and asked_person(q):
        return "definition"
    found = [(name, m.start(), m.end()) for name, pat in (_EN if english else _ZH) if (m := pat.search(q))]
    if not found:
        return "number" if not english and keywords_only(q) and _KEYWORD_COUNT.search(q) else "other"
    if english:  # the question phrase comes first: "Which city was Tokayev in when he …" asks for a place
        found.sort(key=lambda f: f[1])
    name, at, _ = found[0]
    if name == "reason":
        earlier = [(start, other) for other, start, _ in found[1:] if start < at and other != "number"]
        if earlier:
            return min(earlier)[1]
        # the question ends asking for someone ("分析北京为什么在乎哈国稳定的那位学者叫什么？"): the reason is a clause
        last = [other for other, start, end in found[1:] if other == "person" and not _ASKS_END.sub("", q[end:])]
        if last:
            return last[0]
    return name


_LEANS_ZH = re.compile(r"^(?:又|还|那|并|而)?(?:他们|她们|它们|他|她|它|其|该|此|这)")
_LEANS_EN = re.compile(r"\b(?:he|she|it|they|him|her|his|its|their|them)\b", re.I)


def leans_on_earlier(part: str) -> bool:
    """A later part of a multi-part question that names its subject only by a pronoun ("她是怎么回应的",
    "when did he say it"): it asks about the story that the first part found."""
    p = part.strip()
    return bool(_LEANS_EN.search(p)) if is_english(p) else bool(_LEANS_ZH.match(normalize(p)))


# a later part that names an earlier part's thing by a demonstrative ("是对哪个青年组织说的？那个组织叫什么？"): the same
# question again, for its name
_AGAIN_ZH = re.compile(r"^(?:那|这|该)(?:一)?(?:个|位|名|家|座|所|只|件|项|种|款|批|间|条)?([\u4e00-\u9fff]{2,6}?)"
                       r"(?:的名字|的名称|叫什么|叫啥|名叫什么|(?:具体|到底|究竟)?是哪(?:一)?[个家所位座](?:[？?]|$))")


def asks_again(part: str, earlier: Sequence[str]) -> bool:
    """A later part asks again, by a demonstrative, for the thing an earlier part asked of ("那个组织叫什么" after
    "是对哪个青年组织说的"): it adds nothing to check on its own."""
    m = _AGAIN_ZH.match(normalize(part.strip()))
    return m is not None and any(m.group(1) in normalize(e) for e in earlier)


_ASKS_CREDITS = re.compile(r"[记記]者|[编編][辑輯]|[责責][编編]|作者|撰[写寫]|\b(?:reporter|journalist|author|editor|wrote|written)\b",
                           re.I)


def asks_about_credits(question: str) -> bool:
    """Does the question ask who reported, wrote or edited (then a credits line may answer it)?"""
    return bool(_ASKS_CREDITS.search(question))


# a clause that ends in a noun its question word describes: "…为何力挺哈萨克的法国历史学者贝多林诺"
_DESCRIBES = re.compile(r"(?:为何|为什么|怎么|如何)[^，,；;？?]*的[^，,；;？?的吗呢]{2,}$")


def split_parts(question: str) -> list[str]:
    """The sub-questions of a multi-part question (one element, the question itself, when it asks one thing). A
    Chinese question is split on its question words in either script, and its parts come in simplified script."""
    q = question.strip()
    if is_english(q):
        parts = [p.strip(" ,;?") for p in _SPLIT_EN.split(q)]
        # a part asks something: "According to Putin, how long …" and "In 2022, how many …" ask one thing
        parts = [p for p in parts if len(p.split()) >= 2 and _QWORD_EN.search(p)]
    else:
        parts = [p.strip(" ，,；;？?") for p in _SPLIT_ZH.split(normalize(q))]  # its question words in either script
        # a part asks something; a clause whose question word stands in what describes a noun asks nothing
        # ("分析中国为何力挺哈萨克的法国历史学者贝多林诺，是在哪所大学任教？")
        parts = [p for p in parts if len(p) >= 3 and _QWORD_ZH.search(_QUOTED.sub("", p)) and not _DESCRIBES.search(p)]
        # a later part that asks only the name of what the one before asks for is that same question ("那番话是对
        # 哪个青年组织讲的，叫什么名字？")
        parts = parts[:1] + [p for p in parts[1:] if not _NAME_ONLY.match(p)]
    return parts if len(parts) >= 2 else [q]


_NAME_ONLY = re.compile(r"^(?:那|这|它|其|他|她)?(?:的)?(?:到底|究竟|具体)?(?:叫什么|叫啥|叫做什么|名字是什么|全称是什么|名称是什么)(?:名字|名称)?$")


@lru_cache(maxsize=65536)
def pos_tags(text: str) -> tuple[tuple[str, str], ...]:
    """jieba's words and part-of-speech tags of a (normalised) sentence. Cached: candidate sentences recur
    across questions, and tagging is most of the answer step's cost (docs/benchmarks.md)."""
    import jieba.posseg as pseg

    with _lock:  # jieba's lazy state is not thread-safe
        return tuple((w.word, w.flag) for w in pseg.lcut(text))


@lru_cache(maxsize=8192)
def is_verb(word: str) -> bool:
    """jieba reads the word, on its own, as a verb (辞职, 被捕, 丧生), not a noun (人数, 政府)."""
    tags = pos_tags(word)
    return len(tags) == 1 and tags[0][1].startswith("v")


def named_entities(question: str) -> tuple[str, ...]:
    """The people, places, organisations and other proper names a Chinese question names: jieba's nr, nrt
    (transliterated: 吉尔吉斯斯坦, 纳扎尔巴耶夫, the commonest names in foreign news), ns, nt and nz words of two
    characters or more that its dictionary holds. A transliterated name jieba lacks may come as its dictionary
    piece (托卡耶夫 -> 卡耶夫); the scorer looks names up as substrings of an article, where the piece finds it."""
    if is_english(question):
        return ()
    import jieba

    return tuple(dict.fromkeys(w for w, f in pos_tags(normalize(question))
                               if f in ("nr", "nrt", "ns", "nt", "nz") and len(w) >= 2 and jieba.dt.FREQ.get(w)))


# characters that carry no content of their own in a question's clause
_FUNCTION_CHARS = set("的了是在会来这那个些么什谁哪吗呢啊吧多少几怎如何样为要将就都也还又和与及对把被由从到给让说认觉得")
_CLAUSES = re.compile(r"[，,；;：:？?！!。]")


def asked_chars(question: str) -> frozenset[str]:
    """For a Chinese question of several clauses that describes before it asks ("基辅的分析师库什认为俄罗斯在中亚
    失势以后，谁会来填这个空？"), the content characters of the clause that asks (its question word's) that no other
    clause has: {填, 空}. Empty for a question of one clause, or in English."""
    if is_english(question):
        return frozenset()
    clauses = [c for c in _CLAUSES.split(normalize(question)) if c.strip()]
    asking = [i for i, c in enumerate(clauses) if _QWORD_ZH.search(c)]
    if len(clauses) < 2 or not asking:
        return frozenset()
    ask = clauses[asking[-1]]
    rest = set("".join(c for i, c in enumerate(clauses) if i != asking[-1]))
    return frozenset(ch for ch in CJK_CHAR.findall(ask) if ch not in rest and ch not in _FUNCTION_CHARS)


def person_words(text: str) -> list[str]:
    """The words of two characters or more of `text` (normalized) that jieba tags as a person's name (nr, nrt)."""
    return [w for w, f in pos_tags(normalize(text)) if f in ("nr", "nrt") and len(w) >= 2]


# a person named in full, given name · surname ("康斯坦丁·扎图林", "萨马德·阿比什")
FULL_NAME = re.compile(r"[\u4e00-\u9fff]{1,6}(?:·[\u4e00-\u9fff]{1,8})+")


def names_and_people(question: str) -> tuple[str, ...]:
    """The names a Chinese question names (named_entities) and the people jieba tags whose names its dictionary
    lacks (person_words: "王毅")."""
    return (*named_entities(question), *person_words(question))


_ASKS_CITY = re.compile(_TOWN_Q + r"|\b(?:which|what)(?: \w+)? (?:city|cities|town|towns|villages?|ports?|"
                        r"border crossings?|crossings?|airports?)\b", re.I)


def asks_city(question: str) -> bool:
    """A place question ("王毅和拉夫罗夫通电话时人在哪个城市？") that asks for a town, which no country, person or
    other word answers; ask it of a question whose answer type is "place"."""
    return bool(_ASKS_CITY.search(normalize(question)))


# a part of a country: a province or a state ("在哈萨克哪个州招人？"), which no country answers; not "哪个地区",
# which CMRC and DRCD answer by Taiwan, Hong Kong or Macao (5 of 45 answered; benchmarks/question_rules.py)
_ASKS_REGION = re.compile(r"哪[一个]?(?:个)?(?:州|省|县|边疆区|自治区)(?![长委])|"
                          r"\b(?:which|what)(?: \w+)? (?:provinces?|districts?)\b",
                          re.I)


def asks_region(question: str) -> bool:
    """A place question that asks for a part of a country (a province, a state, a region), which no country
    answers; ask it of a question whose answer type is "place"."""
    return bool(_ASKS_REGION.search(normalize(question)))


def asks_why_hard(question: str) -> bool:
    """A why-question about a difficulty ("为什么很难打听到招兵的消息？"): what makes it hard answers it, and news
    says so in those words ("要获得这方面的信息是很复杂的，安全部门享有缄默特权") rather than with 因为."""
    q = normalize(question)
    return bool(_HARD.search(q) and _WHY.search(q))
