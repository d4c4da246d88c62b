"""Does a sentence hold an answer of the type a question asks for (rag.questions.answer_type)?

jieba's part-of-speech tags (nr, ns, nt, t, m) and rules: a time, a number, a reason, an occasion, a person, a
place, an organisation, or the role of the person a "who is X?" question names. The world's country names and
towns count as places whatever jieba tags them (rag/models/countries.tsv, cities.tsv).
"""

from __future__ import annotations

import re

from rag.countries import cities, countries, country_names
from rag.keywords import normalize
from rag.questions import ROLES, asked_person, asks_city, asks_region, asks_why_hard, pos_tags

# Answer evidence in a sentence, by type (on top of jieba's POS tags).
_TIME = re.compile(r"\d{1,4}\s*年|\d{1,2}\s*月|\d{1,2}\s*日|[一二三四五六七八九十〇零]+[年月日]|世纪|年代|"
                   r"星期[一二三四五六日天]|周[一二三四五六日]|[上下本]周|[昨今明前]天|[去今明前]年|早些时候|"
                   r"(?:19|20)\d\d|\d{1,2}/\d{1,2}/\d{2,4}")
_NUMBER = re.compile(r"\d|[一二三四五六七八九十两百千万亿]+[多余]?[个名人次位岁天年万千百亿倍%％]|百分之|数[十百千万]|"
                     r"几[十百千万]")
_REASON = re.compile(r"因为|由于|原因|因此|所以|为了|以便|导致|鉴于|理由|因而|出于|以免|是因|缘于|"
                     r"担心|担忧|害怕|旨在|目的|"
                     # 因 as a preposition: "因分裂主义被判刑", "因瓶装炸弹“鸡尾酒”而闻名", "因燃油价格上涨引发"
                     r"因(?![此而素果为])[^，。；！？]{1,25}?(?:而|被|遭|引发|导致)|"
                   # what a protest is against is why it broke out: "爆发了反对燃料价格上涨的抗议活动"
                   r"反对[^，。；！？]{1,20}?的(?:抗议|示威|游行|集会|罢工)")
_HARD_SAID = re.compile(r"复杂|困难|难以|不易|不容易|很难|艰难|棘手")
OCCASION_SAID = re.compile(r"会议|峰会|论坛|发布会|记者会|讲话|演讲|致辞|仪式|典礼|大会|会谈|会晤|通话|通电话|集会|访问期间|"
                           r"出席|采访|声明|专栏")
_ORG_SUFFIX = re.compile(r"(?:组织|机构|公司|委员会|[部局署院厅]|银行|大学|电视台|通讯社|党|联盟|集团|政府|"
                         r"议会|法院|军|社|网|报|论坛|基金会|联合国|北约)")
_POS = {"person": ("nr",), "place": ("ns",), "org": ("nt",), "time": ("t",), "number": ("m",)}
# the role of the person a "who is X?" question names, before the name: "…分析师帕维尔·卢津"
_ROLE = re.compile(ROLES + r"[^，,。；;：:“”]{0,10}$")
# or after it, as a post taken: "马西莫夫在此前曾担任过许多政府要职，其中最重要的职位是政府首脑"
_POST_TAKEN = re.compile(r"^[^。；;！？]{0,30}?(?:担任|出任|曾任|任命为|当选|就任|升任|改任|任职|职位是)[^。；;！？]{0,40}?"
                         + ROLES)
# how a transliterated place's or building's name ends; jieba tags some as a person's (nrt)
_PLACE_END = re.compile(r"..[宫馆院厅堡城市州省港岛湾区县镇村站街路]$")
# what follows a place's name: a region's kind, not a post ("科斯塔奈地区", not "王市长")
_REGION_AFTER = re.compile(r"[\u4e00-\u9fff]{0,2}?(?:地区|边疆区|共和国|[州省县镇](?!长)|市(?![长民])|村(?![长民]))")
_TOWN = re.compile(r"..*[市城堡镇港]$")  # "平户市", "康士坦丁堡": jieba tags many towns as common nouns
# words for a kind of place, which name none (jieba tags "城市" ns): "在该国一座城市内", "在国外受训"
_GENERIC_PLACE = frozenset(("城市", "都市", "城镇", "城乡", "村庄", "村子", "乡村", "口岸", "港口", "国外", "境外", "海外",
                            "国内", "境内", "当地", "本地", "外地", "各地", "异地", "边境", "地区", "首都", "首府"))


# parts of the world, which jieba tags as places but no town answers ("中亚最大的国家哈萨克斯坦" for "In which Kazakh city
# …?")
_WORLD_REGIONS = frozenset(("中亚", "东亚", "西亚", "南亚", "东南亚", "北亚", "欧洲", "东欧", "西欧", "亚洲", "非洲", "美洲", "北美",
                            "南美", "拉美", "中东", "近东", "远东", "高加索", "西伯利亚", "巴尔干", "欧亚", "大洋洲"))


_LEADS_WITH_PRONOUN = re.compile(r"^[“”\"「」\s]*(?:他|她|它|其|对此|该)")


def leads_with_pronoun(sentence: str) -> bool:
    """The (normalised) sentence opens with a pronoun: it goes on about someone the sentence before names."""
    return bool(_LEADS_WITH_PRONOUN.match(sentence))


def says_hard(sentence: str) -> bool:
    """The sentence says something is hard or complicated."""
    return bool(_HARD_SAID.search(normalize(sentence)))


def sentence_types(sentence: str, question_words: set[str], wanted: str, question: str = "") -> bool:
    """Does the sentence hold a candidate answer of type `wanted` that the question does not already name?"""
    s = normalize(sentence)
    asked = normalize(question)
    if wanted in ("yesno", "other"):
        return True
    if wanted == "reason":  # "为什么很难打听到？" is answered by why it is hard: "要获得这方面的信息是很复杂的，…"
        return bool(_REASON.search(s) or asks_why_hard(asked) and says_hard(s))
    if wanted == "time" and _TIME.search(s):
        return True
    if wanted == "number" and _NUMBER.search(s):
        return True
    if wanted == "occasion":
        return bool(OCCASION_SAID.search(s))
    if wanted == "definition":  # the name comes after its role: "…分析师帕维尔·卢津", "国务委员兼外长王毅"
        who = asked_person(asked)
        return who is not None and any(_ROLE.search(s[:m.start()]) or _POST_TAKEN.search(s[m.end():])
                                       for m in re.finditer(re.escape(who), s))
    flags = _POS.get(wanted, ())
    places, towns = countries(), cities()
    city = wanted == "place" and asks_city(asked)
    region = wanted == "place" and asks_region(asked)  # "在哪个州？": no country answers either
    at = 0
    for word, flag in pos_tags(s):
        at += len(word)
        if word in places:  # jieba tags many as people's names (哈萨克斯坦 nrt, 乌克兰 nr)
            if city or region:  # "在哪个城市？" is not answered by a country
                continue
            flag = "ns"
        elif word.endswith("人") and word[:-1] in places:  # a people ("哈萨克人" nrt), no person's name
            continue
        elif flag.startswith("nr") and (word in towns or flag == "nrt" and _PLACE_END.search(word)):
            flag = "ns"  # a town or a building jieba tags as a name ("莫斯科" nr, "克里姆林宫" nrt), no person
        elif flag.startswith("nr") and _REGION_AFTER.match(s, at):
            flag = "ns"  # a region's name jieba cuts short ("科斯塔|奈|地区": 科斯塔 nrt), no person
        if word in question_words or (asked and word in asked) or len(word) < 2 and wanted != "number":
            continue
        if word in places and asked and any(n in asked for n in country_names(word)):
            continue  # the question names that country otherwise ("哈萨克" for 哈萨克斯坦, "俄国" for 俄罗斯)
        if wanted == "place" and word in _GENERIC_PLACE or city and word in _WORLD_REGIONS:
            continue
        if any(flag.startswith(f) for f in flags) or city and _TOWN.match(word):
            return True
        if wanted == "org" and _ORG_SUFFIX.search(word) and flag.startswith("n") and len(word) >= 3:
            return True
        if wanted == "person" and "·" in word:
            return True
    return False
