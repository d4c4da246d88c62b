"""Which N: whether a sentence says the N a "which N" question asks of without saying which one.

"哪个青年组织" is not answered by "一个亲克里姆林宫的青年团体" (N as "a N"), "哪个国家" not by "在国外受训" (a country as
"abroad"), "哪一个哈中边境口岸" not by "特别是哈中边境口岸" and "哪些武器" not by "为乌克兰提供武器" (N bare, the object
of a verb, in a sentence that names nothing the question does not). The best sentence that restates N so cannot
answer: rag.gate.missing_figure refuses it. The rule's cost where the answer is known: benchmarks/question_rules.py.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from rag.countries import any_country_name, countries, countries_asked, countries_in, country_names
from rag.glossary import chinese_terms
from rag.keywords import normalize, tokenize
from rag.questions import FULL_NAME, ROLES, is_english, pos_tags

# "which N" ("哪个青年组织", "哪座城市", "哪个国家"): a sentence that says N only as "a N" ("一个亲克里姆林宫的青年
# 团体", "在该国一座城市内") or, for a country, "abroad" ("在国外受训") naming no other country, restates what the
# question already knows; so does one that says N bare, as the object of a verb, and names nothing the question
# does not ("特别是哈中边境口岸", "为乌克兰提供武器"). Over the 7,745 answered CMRC/DRCD questions the rule applies to
# 1,631 (not to a person's "哪位", read by asks_name, nor to a time's or a number's), and the answer sentence restates
# N so for 10 (0.6%; 6 with "a N" alone), mostly where the answer is a kind the sentence calls "a N" ("女神响尾蛇是
# 蛇亚目蝰蛇科下的一个有毒蛇种") or a name jieba does not tag ("南加大校友…位列全球大学之首"); "X是一个…N" calls X the N,
# which answers ("德意志民主共和国是一个德意志民族的社会主义国家"): benchmarks/question_rules.py. Through the eval,
# the bare form costs CMRC trial 1 answer of 1,000 and DRCD dev 2 of 1,000 in either script (docs/benchmarks.md)
_WHICH_N = re.compile(r"哪(?:一)?[个座家所位名只件项些种类款批间条处]?(?:具体的?)?(?:(?:类型|种类|类别)的)?((?:(?!是)[\u4e00-\u9fff]){2,8}?)"
                      r"(?=[的是呢吗了被在里中上？?，,]|$)|"
                      # the N described, then its name asked: "…的那个哈中边境口岸叫什么？"
                      r"[那这](?P<count>一|两|二|三|几)?[个座家所只件项种款批间条]([\u4e00-\u9fff]{2,12}?)(?=叫什么|叫啥|的名字|名叫什么|"
                      # "托卡耶夫批评的那个哈中边境口岸(，)具体是哪一个？"
                      r"名称是|[，,]?(?:具体|到底|究竟)?是哪(?:一)?[个座家所只])")
# an N whose name ends in N's word ("哪所大学" -> "阿里法拉比哈萨克国立大学"): a sentence without the word names none
_NAMED_AS_KIND = re.compile(r"大学|学院|医院|机场|酒店|宾馆|监狱|博物馆|体育场|火车站|研究所|研究院")
# the articles' other words for a kind ("那个组织叫什么" of "一个亲克里姆林宫的青年团体")
_KIND_WORDS = {"大学": "大学|学院", "学院": "大学|学院", "酒店": "酒店|宾馆|饭店", "宾馆": "酒店|宾馆|饭店", "研究所": "研究所|研究院",
               "研究院": "研究所|研究院", "组织": "组织|团体", "团体": "团体|组织"}
# the words that end the name of a body, not of a person
_BODY = re.compile(r"(?:组织|团体|机构|集团|政党|党派|协会|基金会|智库|公司|企业|电台|电视台|报社|通讯社|部队|联盟|运动)"
                   r"([\u4e00-\u9fff]?)$")  # or a verb after it ("哪个青年组织讲的")
_INDEFINITE = re.compile(r"(?<![第这那每任其同单唯是为])(?:一[个座家所位名只件项种批间条些]|某[个座家所位名些种]?|多[个座家所名])[^，,。；;“”：:]{0,10}$")
_ABROAD = re.compile(r"国外|境外|海外")
# N said as some of them, not which: "大多数主要城市", "许多国家", "具有特殊和战略意义的设施" (read for "具体" questions)
_VAGUE = re.compile(r"(?:大多数|大部分|许多|一些|多个|若干|部分|各个?|所有|重大|重要|主要|有关|相关|特殊|战略|某些)"
                    r"[^，,。；;“”：:]{0,8}$")
_COUNTED_AS = r"\s*[个座家所名只件项种批间条][^，,。；;“”：:]{0,10}$"  # after a count: "两个村庄"
_WHICH_COUNTRY_EN = re.compile(r"\b(?:which|what) (?:foreign )?countr(?:y|ies)\b", re.I)


def _roles_dropped(s: str) -> str:
    """Sentence `s` less each country it names before a role: "哈萨克斯坦总统托卡耶夫" names who speaks, not a place."""
    return re.sub(r"(?:" + any_country_name() + r")(?=" + ROLES + r")", "", s)


def restates_which(question: str, atype: str) -> Callable[[str], bool] | None:
    """For a "which N" question (not a person's), whether a sentence says N only as "a N" or, for a country, only
    "abroad" (the one "which N" an English question is read for); None for other questions."""
    if atype in ("time", "number"):
        return None
    if is_english(question):
        if atype == "person":
            return None
        if _WHICH_COUNTRY_EN.search(question):  # "… trained abroad: in which country?" from "在国外受训"
            known = countries_asked(question, True)
            return lambda sentence: bool(_ABROAD.search(s := normalize(sentence))) and not countries_in(s, visits=True) - known
        return _restates_thing_en(question)
    q = normalize(question)
    m = _WHICH_N.search(q)
    noun = (m.group(1) or m.group(3)).lstrip("一") if m else ""
    # "那两个村庄叫什么？": a sentence that says them only by the count ("两个村庄") does not name them
    count = m.group("count") if m and m.group("count") not in (None, "一") else None
    counted = ("[两二]" if count in ("两", "二") else count) if count else None  # the count as the sentence may write it
    # a person's "哪位" is read by asks_name; "叫什么名字" after a body ("哪个青年组织讲的，叫什么名字？", "那个…青年团体
    # 叫什么名字？") asks which body, though its answer type reads as a person's name
    body = _BODY.search(noun)
    # (not "哪个组织的领导人叫什么", a person of the body)
    if atype == "person" and (m is None or body is None or not body.group(1) and q.startswith("的", m.end())):
        return None
    # a country before the noun qualifies it ("哪种土耳其装备": 装备, which "生产土耳其无人机" does not say)
    country = max((c for c in countries() if noun.startswith(c) and len(noun) >= len(c) + 2), key=len, default="")
    noun = noun[len(country):]
    if m is None or len(noun) < 2 or noun[0] in "里儿年天月些":  # 哪里, 哪一年, 哪些年: a place or a time, no noun
        return None
    # its first two characters (青年组织: 青年, as in "青年团体"; "哪个国家受的训": 国家) and its last two
    heads = [noun[:2]] + ([noun[-2:]] if len(noun) >= 4 else [])
    asked = countries_in(q, visits=True)
    # only a plain noun is read bare: not a qualifier ("哪一韩国的产业": 韩国) nor words run on past the noun
    # ("哪两位可汗掌管", "哪些洲有过发现")
    tags = pos_tags(noun)
    plain = not (q.startswith("的", m.end()) and len(tags) == 1 and tags[0][1] in _NAME_FLAGS) and not any(
        f[:1] in "vdmpcury" and f != "vn" for _, f in tags)

    kind = _NAMED_AS_KIND.match(noun)
    # "具体是指哪些项目", "具体在哪些城市": the asker knows N and asks which ones; a sentence that says N only vaguely
    # ("确保中哈合作重大项目安全", "在大多数主要城市内") in a clause naming nothing new does not say which, whatever
    # else it names (王毅, 哈方)
    specific = "具体" in q

    def restates(sentence: str) -> bool:
        s = normalize(sentence)
        if kind and not re.search(_KIND_WORDS.get(kind.group(), kind.group()), s):
            return True
        if heads[0] == "国家" and _ABROAD.search(s) and not countries_in(_roles_dropped(s), visits=True) - asked:
            return True
        for head in heads:
            at = [said.start() for said in re.finditer(_KIND_WORDS.get(head, re.escape(head)), s)]
            if at and counted and all(_by_count(s[:i], counted) for i in at):
                return True
            if at and specific:
                return all((_unsaid(s, i, head, q) or bool(_VAGUE.search(s[:i]))) and not _names_new(_clause_at(s, i), q)
                           for i in at)
            if at:
                return _only_as_a(s, at) or (
                    plain and all(_unsaid(s, i, head, q) for i in at) and not _names_new(s, q))
        return False
    return restates


# the name of a kind of body ("What is the name of the pro-Kremlin youth group …?"), and the articles' words for it
_KINDS_EN = {"group": "团体|组织|集团|小组|团伙", "organisation": "组织|机构|团体", "organization": "组织|机构|团体",
             "movement": "运动|组织", "party": "党", "company": "公司|企业", "station": "电台|电视台",
             "newspaper": "报", "unit": "部队|分队|单位"}
_NAME_OF_EN = re.compile(r"\bname of (?:the |that |this )?(?:[\w'-]+ ){0,3}(" + "|".join(_KINDS_EN) + r")s?\b", re.I)
# "What weapons did … supply?", "Which agreements …": the thing asked, in the glossary's Chinese ("武器")
_WHICH_THING_EN = re.compile(r"\b(?:which|what) (?:kinds? of |types? of |sorts? of )?(?:specific |exact |particular )?"
                             r"([a-z]{4,})\s+(?:did|do|does|was|were|is|are|has|have|had)\b", re.I)


def _restates_thing_en(question: str) -> Callable[[str], bool] | None:
    """The English "which N" test: a sentence that says N (as the glossary translates it) only bare or as "a N", in
    a clause naming nothing the question does not (its countries, its words in the glossary's Chinese). "What was
    the name of the youth group …" asks which group too: not answered by "一个亲克里姆林宫的青年团体"."""
    named = _NAME_OF_EN.search(question)
    if named:
        kinds = _KINDS_EN[named.group(1).lower()]

        def only_a(sentence: str) -> bool:
            s = normalize(sentence)
            at = [f.start() for f in re.finditer(kinds, s)]
            return bool(at) and _only_as_a(s, at)
        return only_a
    m = _WHICH_THING_EN.search(question)
    heads = [z for z in chinese_terms([m.group(1).lower()]) if len(z) >= 2][:1] if m else []
    if not heads:
        return None
    head = heads[0]
    said = "".join(chinese_terms(tokenize(question))) + "".join(
        n for c in countries_asked(question, True) for n in country_names(c))

    def restates(sentence: str) -> bool:
        s = normalize(sentence)
        at = [found.start() for found in re.finditer(re.escape(head), s)]
        # the names the question says cannot be read off an English question: only N's own clause is read
        return bool(at) and all(_unsaid(s, i, head, said) and not _names_new(_clause_at(s, i), said) for i in at)
    return restates


_CLAUSE_END = re.compile(r"[，,。；;：:“”\"（）()、！!？?]")


def _by_count(before: str, counted: str) -> bool:
    """The words `before` N end in the count the question gives (`counted`, a pattern: "两个村庄" for "那两个村庄"),
    with no list before it in the clause ("托什基夫卡和乌斯季尼夫卡两个村庄" names them)."""
    m = re.search(counted + _COUNTED_AS, before)
    return m is not None and not re.search(r"[和、及与]", _CLAUSE_END.split(before[:m.start()])[-1])


def _only_as_a(s: str, at: list[int]) -> bool:
    """Sentence `s` says N, at each of the positions `at`, only as "a N" ("一个亲克里姆林宫的青年团体")."""
    return all(_INDEFINITE.search(s[:i]) for i in at)


def _clause_at(s: str, i: int) -> str:
    """The clause of `s` around position `i`."""
    start = max((m.end() for m in _CLAUSE_END.finditer(s, 0, i)), default=0)
    end = next((m.start() for m in _CLAUSE_END.finditer(s, i)), len(s))
    return s[start:end]


def _unsaid(s: str, i: int, head: str, question: str) -> bool:
    """N at `i` in sentence `s` leaves which N unsaid: as "a N", or bare (`_unqualified`)."""
    return bool(_INDEFINITE.search(s[:i])) or _unqualified(s, i, head, question)


# N, then what it is: "工具有胶布", "执政党“祖国之光党”"
_FOLLOWS = re.compile(r"[\u4e00-\u9fff]{0,2}?(?:[：:“\"《「(（]|有|是|为|包括|包含|如)|(?:或|和|及|与|以及|、)")
_NAME_FLAGS = ("nr", "ns", "nt", "nz", "eng", "nrt", "nrfg")  # jieba's tags of names


def _unqualified(s: str, i: int, head: str, question: str) -> bool:
    """N at `i` in sentence `s` is said bare (`_bare`), as an object: not followed by what it is or by others of a
    list (_FOLLOWS), nor by a verb it is the subject of ("尸体剖检研究发现…")."""
    after = s[i + len(head):]
    if _FOLLOWS.match(after):
        return False
    tags = pos_tags(after[:6])
    return _bare(s[:i], question) and not (tags and tags[0][1] == "v")


def _names_new(sentence: str, question: str) -> bool:
    """Whether the sentence names something (a person, place, organisation, a title in 《》) the question does not."""
    if "、" in sentence:  # an enumeration names the things themselves ("工具有胶布，人工皮膜，剪刀")
        return True
    if re.search(r"《[^》]+》", sentence) and not all(t in question for t in re.findall(r"《([^》]+)》", sentence)):
        return True
    # a name in full that the question says in part ("康斯坦丁·扎图林" for 扎图林) is no new name
    sentence = FULL_NAME.sub(lambda m: "" if any(p in question for p in m.group(0).split("·")) else m.group(0),
                              sentence)
    asked = countries_in(question, visits=True)  # a country the question names by another of its names (哈萨克)
    # jieba tags some common two-character words as places ("海关" ns): a two-character place counts if a country
    return any(flag in _NAME_FLAGS and word not in question and (flag != "ns" or len(word) > 2 or word in countries())
               and not (word in countries() and countries_in(word) <= asked) for word, flag in pos_tags(sentence))


_COPULA = ("是", "为", "成为", "乃", "系")
_STRESS = ("特别", "尤其", "也", "都", "还", "而", "就", "正")  # before 是, or one word with it ("特别是", "就是")


def _bare(before: str, question: str) -> bool:
    """Whether the words before N in its clause leave N unqualified. Going back from N past the words the
    question says itself (its own qualifiers: "哈中边境" for "哪一个哈中边境口岸"), the first word is none or a verb
    whose object N is: "为乌克兰提供武器", "特别是哈中边境口岸". A copula calls its subject the N ("江南案成为…关键
    事件之一", "…是已知质量最小的恒星") unless it only stresses ("特别是"); N after a conjunction is one of a list
    ("复制和干细胞技术"), after a count one of several ("两位可汗")."""
    tags = pos_tags(_CLAUSE_END.split(before)[-1])
    modified = False
    for k in range(len(tags) - 1, -1, -1):
        word, flag = tags[k]
        stressed = word.endswith("是") and word[:-1] in _STRESS
        if word in _COPULA or stressed:
            return stressed or (k > 0 and tags[k - 1][0] in _STRESS)
        if word == "的":
            modified = True  # "解严的关键事件": a verb before 的 qualifies N, it does not take it as object
            continue
        if word.isspace() or word in question and flag[:1] not in "vpcdru":
            continue
        if flag[:1] == "v" and modified:
            continue
        return flag[:1] == "v"
    return True
