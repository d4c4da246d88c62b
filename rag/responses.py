"""Someone's response: whose response a question asks about, and whether a sentence reports it.

"普京当场是怎么回应的？" is answered by Putin's words or deeds, named or, as news goes on, by a pronoun ("他表示…"),
not by Tokayev's words before them, nor by a call Putin was the other side of. A state responds through any of its
officials ("莫斯科方面称…"), a ministry through its own. Asked in English ("How did Putin react on stage?"), the
answer names them in their Chinese transliteration (rag.transliteration). rag.gate.missing_figure refuses a best
sentence that does not report it; the rule's cost where the answer is known: benchmarks/question_rules.py.
"""

from __future__ import annotations

import re

from rag.countries import countries, countries_asked, name_pattern
from rag.keywords import normalize
from rag.questions import is_english, names_and_people
from rag.transliteration import names_in_text
from rag.typematch import leads_with_pronoun

# "普京当场是怎么回应的？", "王毅是怎么批评…的？": a question about someone's response or judgement. An answer
# reports that one's words or deeds, naming them or, as news goes on, by a pronoun ("她只回答了一句"). Few CMRC and
# DRCD questions ask one and name the responder: the 5 there do (benchmarks/question_rules.py); the seeds' own
# questions keep theirs (issue 10's "俄罗斯在哈萨克斯坦招募士兵，哈萨克斯坦怎么回应？"). "北京怎么看待…" is not read
# as one: a capital stands for its country there, and the answer names China.
_ASKS_RESPONSE = re.compile(r"(?:怎么|如何|怎样|作何|有何|什么)(?:回应|反应|回答|回复|答复|回击|表态|批评|评价|评论|形容|"
                            r"描述|指责|谴责|接话)|表了?什么态|"
                            # the stand someone took: "拉夫罗夫那边表达了什么立场？"
                            r"(?:表达|表明|阐明|阐述|亮明)了?(?:什么|哪些|怎样的|何种)(?:立场|态度|看法|观点)|提出了?(?:什么|哪些)(?:请求|要求|建议|条件)|"
                            # whether someone responded at all: "克里姆林宫有没有回应？", "普京当场有没有接话反驳？"
                            r"有没有(?:作出|做出)?(?:回应|反应|回复|答复|回击|表态|反驳|接话)|(?:回应|表态|反驳)(?:了|过)?(?:吗|没有)|"
                            # what someone said: "拉夫罗夫在通话里说了些什么？"
                            r"(?P<said>(?:说|讲)了?(?:些|一些)?什么(?!时候|地方))")


_ABOUT = re.compile(r"(?:对|就|关于|对于)[^，,；;]{0,4}$")  # "对哈萨克局势", "关于名将岳飞"
_PLACE_BEFORE = re.compile(r"(?:到|在|向|往|赴|从|对|于|与|同|和|跟)$")  # "招募当地居民到俄罗斯联邦参加…": a place
_ADDRESSED = re.compile(r"(?:向|对|到|往|赴|从|于)$")  # "美国正向哈萨克斯坦政府提出这些问题": asked, not answering
_CAPITALS = ("莫斯科", "北京", "华盛顿", "基辅", "阿斯塔纳", "努尔苏丹", "克里姆林宫", "白宫")  # stand for their state
# a state's ministry that responds for it ("哈萨克斯坦外交部是怎么回应的？"), and the words the articles say it by;
# "官方", "政府" and "当局" stand for the state, which answers through any official ("俄罗斯继续在官方层面上重复…")
_ORGANS = {"外交部": "外交部|外长|外交部长", "国防部": "国防部|国防部长|军方", "内政部": "内政部", "议会": "议会|国会",
           "国会": "议会|国会", "海关": "海关"}  # "中国海关方面是怎么回应的": China's customs, not Kazakhstan's
_ORGAN = re.compile("|".join(_ORGANS))
_ROLE_AFTER = re.compile(r"(?:副?总统|副?总理|外长|外交部长|部长|议员|官员|大使|发言人|领导人)")


# "How did Putin react on stage …?", "What did Lavrov say in reply?", "the Kremlin's response": someone an English
# question names by one Latin word, whose Chinese name an answer holds (rag.transliteration)
_RESPONDER_EN = re.compile(r"\b(?i:how did) (?:the )?([A-Z][a-z]{3,}) (?:react|respond|reply|answer|hit back|retort)|"
                           r"\b(?i:what did) (?:the )?([A-Z][a-z]{3,}) say (?:back|in (?:response|reply)|in return)|"
                           r"\b(?:the )?([A-Z][a-z]{3,})'s (?:reaction|response|reply)\b")


def responder_en(question: str) -> str | None:
    """The Latin name of whose response an English question asks about, when it is one word and no country or
    capital (those respond through any official: rag.glossary carries them); None otherwise."""
    if not is_english(question):
        return None
    m = _RESPONDER_EN.search(question)
    name = next((g for g in m.groups() if g), None) if m else None
    if name is None or countries_asked(name, True) or name.lower() in ("moscow", "beijing", "washington", "kyiv",
                                                                       "kiev", "astana"):
        return None
    return name


_JUST_BEFORE = re.compile(r"(?:当场|当时|随后|则|又|也|对此|方面)?(?:是|又是|到底是|究竟是)?")


def responder(question: str) -> str | None:
    """Whose response a Chinese question asks about: the first name (named_entities) in the clause that asks it, or
    in the clause before when that one names nobody ("普京当时在台上听完托卡耶夫这番话，是怎么回应的？" -> 普京)."""
    if is_english(question):
        return None
    q = normalize(question)
    m = _ASKS_RESPONSE.search(q)
    if m is None:
        return _cited(q)
    clauses = re.split(r"[，,；;。]", q[:m.start()])
    # and the people jieba tags whose names its dictionary lacks ("王毅是怎么批评…")
    names = names_and_people(q)
    if m.group("said") and any(re.search(re.escape(a) + r"[和与同跟][\u4e00-\u9fff]{0,2}?" + re.escape(b), q)
                               for a in names for b in names if a != b):
        return None  # what two said together ("普京和托卡耶夫通电话时说了什么？"): what they discussed answers
    # a person named just before the asking words answers first ("托卡耶夫当面说…时普京当场怎么回应的" -> 普京; a
    # country and its organs are read below)
    last = clauses[-1]
    near = [n for n in names if (at := last.rfind(n)) >= 0 and n not in countries() and not _ORGAN.search(n)
            and _JUST_BEFORE.fullmatch(last[at + len(n):]) and not _ABOUT.search(last[:at])]
    if near:
        return max(near, key=lambda n: last.rfind(n))
    for clause in reversed(clauses[-2:]):
        # not what the response is about ("对哈萨克局势是怎么表态的")
        found = sorted((i, n) for n in names if (i := clause.find(n)) >= 0 and not _ABOUT.search(clause[:i]))
        # not the country a post belongs to ("哈萨克外长特列乌别尔季" -> 特列乌别尔季)
        found = [(i, n) for i, n in found if not (n in countries() and _ROLE_AFTER.match(clause, i + len(n)))]
        if found:
            i, n = found[0]
            organ = _ORGAN.match(clause, i + len(n)) if n in countries() else None
            return n + organ.group(0) if organ else n  # "哈萨克斯坦外交部": that organ's response, not any official's
    return None


# a question that opens by citing someone ("普京说集安组织部队最晚哪天撤出？"): asks what that one said
_CITES = re.compile(r"^(?:据|按照?|根据)?([\u4e00-\u9fff·]{2,8}?)(?:当时|当场|曾经?|还|也|又)?(?:说|表示|声称|宣称|透露|强调)"
                    r"(?!了?(?:什么|些什么|哪些|过什么|的是))")


_BODY = re.compile(r"(?:部|院|局|署|委|会|组织|政府|方面|媒体|办公室|厅|军|队|党)$")


def _cited(q: str) -> str | None:
    """The person (not a state, a capital or a body, which speak through many) a normalised Chinese question opens
    by citing."""
    m = _CITES.match(q)
    if m is None or re.search(r"哪|谁|什么", m.group(1)):  # "是哪家通讯社说…" asks who said it
        return None
    people = [n for n in names_and_people(q)
              if n not in countries() and n not in _CAPITALS and not _BODY.search(n)]
    return next((n for n in people if m.group(1).endswith(n)), None)


# someone named as the other side of a call or a meeting ("王毅10日同俄罗斯外长拉夫罗夫通电话"): the sentence
# reports the call, not that one's words
_PARTNER = re.compile(r"(?:同|与|跟|和)[^，,。；;：:“”]{0,10}$")
_CALL = re.compile(r"[^，,。；;]{0,12}?(?:通电话|通话|会谈|会晤|会面|见面|交换意见)")


# what a person named does after their name when a sentence reports their response: says, rejects, urges …
# ("普京故乡圣彼得堡" names Putin and reports nothing he did)
_ACTS = re.compile(r"[^。；;！？]{0,20}?(?:说|表示|称|回应|回答|答复|认为|指出|强调|批评|谴责|指责|反驳|否认|宣布|敦促|呼吁|"
                   r"警告|拒绝|要求|评论|形容|描述|评价|声明|透露|坦言|笑|驳斥|回击|表态|承诺|反对|支持|希望|提出|请求|"
                   r"感谢|欢迎|告诉|写道|问|答|建议|劝|主张|承认|重申)")


# who speaks for a state after its name ("哈萨克斯坦官员", "俄罗斯继续在官方层面上", "莫斯科方面"): a response; the
# state as a mere topic ("与所谓的哈萨克斯坦几乎没有关系") is none
_STATE_SPEAKS = re.compile(r"[^，,。；;！？]{0,6}?(?:官员|官方|方面|政府|当局|外交部|总统|领导人|议会|人士)")


def tells_response(sentence: str, who: str, before: str | None = None) -> bool:
    """The sentence may report `who`'s response: it names them doing something right after their name (saying,
    urging, rejecting …, within 20 characters: "普京故乡圣彼得堡" is no response of Putin's), other than as the other side of a call or a
    meeting ("王毅同拉夫罗夫通电话" reports none of Lavrov's words), or opens with a pronoun and the sentence
    `before` it (when known) names them ("托卡耶夫淡淡一笑说…" then "他表示…" is Tokayev, not 普京)."""
    s = normalize(sentence)
    organ = _ORGAN.search(who)
    if organ and who[:organ.start()] in countries():  # that organ, named after its country, then acting
        said = re.compile(r"(?:" + name_pattern(who[:organ.start()]) + r"|该国)[^，,。；;]{0,4}?(?:" + _ORGANS[organ.group(0)] + r")")
        # (not as the one dealt with: "批评与中国边境海关的工作表现")
        return any(_ACTS.match(s, m.end()) and not _ADDRESSED.search(s[:m.start()]) and not _PARTNER.search(s[:m.start()])
                   for m in said.finditer(s)) or (
            leads_with_pronoun(s) and before is not None and bool(said.search(normalize(before))))
    # a country responds through its officials, who need not be its clause's subject ("莫斯科方面称…"), but not
    # as a place something goes to
    state = who in countries() or who in _CAPITALS
    if any(not (_PARTNER.search(s[:m.start()]) and _CALL.match(s, m.end()))
           and (_ACTS.match(s, m.end()) and not (state and _ADDRESSED.search(s[:m.start()]))
                or state and _STATE_SPEAKS.match(s, m.end()) and not _PLACE_BEFORE.search(s[:m.start()]))
           for m in re.finditer(re.escape(who), s)):
        return True
    return leads_with_pronoun(s) and (before is None or who in normalize(before))


def tells_response_en(sentence: str, latin: str, before: str | None = None) -> bool:
    """The sentence may report the response of someone an English question names in Latin letters (`latin`,
    responder_en): it holds their Chinese name (rag.transliteration), or opens with a pronoun after a sentence that
    does. Weaker than tells_response: a common word may read as the name, which keeps the sentence."""
    if names_in_text(latin, sentence):
        return True
    return leads_with_pronoun(normalize(sentence)) and before is not None and names_in_text(latin, before)
