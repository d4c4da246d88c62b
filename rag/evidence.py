"""What a question says its answer must hold, whatever the topic's words, and whether a sentence holds it.

A question may name what its answer must say: a birth ("生于", a life's span), an age, a model's designation, a
newspaper's or a magazine's name, a party, someone's employer, who took a post or the post someone holds (rag.posts),
that someone left, what was signed, a person's name or the response of someone it names (which N: rag.which).
rag.gate.missing_figure refuses a best sentence that does not say it, however close its wording (a birth year from
"纳扎尔巴耶夫于 2019 年下台"). Each rule is measured where the answer is known by benchmarks/question_rules.py.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from rag.countries import countries
from rag.keywords import normalize, to_simplified
from rag.posts import asked_office, post_held_when, took_post
from rag.questions import is_english
from rag.transliteration import names_read_in
from rag.typematch import OCCASION_SAID, leads_with_pronoun, sentence_types

# Some questions name what their answer must say, whatever the topic's words (rag.gate.missing_figure
# refuses a best sentence that does not say it). A birth or an age is given in its own words: "生于", "出生",
# "诞辰", "43岁", "年近七旬", or a life's span ("（1892年5月7日－1980年5月4日）"); over the 7,745 answered CMRC
# (dev, trial) and DRCD dev questions, the sentence holding the answer says it for all 47 questions that ask a
# birth or an age by number. A model is named by a designation ("C-170A", "TR-850型"), a party by 党 or before a
# member's post: every such question there, too (benchmarks/question_rules.py).
_ASKS_BIRTH = re.compile(r"出生|(?<!发)生于|生日|出世|哪年生|生辰|\bborn\b|\bbirth", re.I)
_ASKS_AGE = re.compile(r"多大年纪|几岁|多少岁|年龄|年纪|多大岁数|\bhow old\b|\bage\b", re.I)
_ASKS_MODEL = re.compile(r"型号|哪一?款|\b(?:what|which) (?:[\w-]+ ){0,3}models?\b", re.I)
_LIFE_SPAN = r"\d{3,4}年?[^，。]{0,14}[－—–~-]\s*\d{1,4}年?"
_BIRTH_SAID = re.compile(r"生|诞|" + _LIFE_SPAN)
_AGE_SAID = re.compile(r"岁|年龄|年纪|旬|生|诞|" + _LIFE_SPAN)
# a designation: Latin letters, 型 or 式, or digits that are no date, time, share or count ("5月9日", "20架")
_MODEL_SAID = re.compile(r"[A-Za-z]|型|式|\d(?![\d年月日号时点分秒%％万千百亿个架辆艘名人次位])")


# which newspaper or magazine: the answer names it, as a title in 《》, a Latin name or a "…报" ("人民日报"), not
# "哈萨克报纸" (21 of 22 such CMRC and DRCD questions' answer sentences do: benchmarks/question_rules.py)
_ASKS_TITLE = re.compile(r"(?:哪|什么)一?(?:份|家|个|种|本)?(?:报纸|报刊|杂志|期刊|刊物)|报纸的?(?:名字|名称|叫什么)|"
                         r"(?:刊登|刊载|发表|登)在哪|\b(?:which|what) (?:[\w-]+ )?(?:newspaper|magazine|journal)\b|"
                         r"\bname of the (?:[\w-]+ )?(?:newspaper|magazine|journal)\b", re.I)
_TITLE_SAID = re.compile(r"《[^》]+》|[A-Za-z]{3,}|日报|时报|晚报|早报|邮报|周报|周刊|月刊|画报|快报|导报|商报|"
                         r"[\u4e00-\u9fff]报(?![纸道告刊名导])")
# which programme ("什么节目主持人", "是在什么节目或场合上讲的"): the answer names it as a title ("《夜间新闻》") or
# says the occasion (a forum, an interview); 6 of the 7 such CMRC and DRCD answer sentences do (the seventh asks what
# a list leaves out), benchmarks/question_rules.py
_ASKS_PROGRAMME = re.compile(r"(?:什么|哪个|哪档|哪一个)(?:电视|广播)?节目|"
                             r"\b(?:which|what) (?:tv |radio )?(?:programme|program|show)\b", re.I)

# which media outlet: the answer names one as a newspaper is named, or as an agency, a broadcaster or a site
# ("塔斯社", "半岛电视台", "自由亚洲电台", "今日俄罗斯网"), not "俄罗斯的亲政府媒体报道称" (benchmarks/question_rules.py)
_ASKS_OUTLET = re.compile(r"哪[家个一]*[^，,；;？?的]{0,4}(?:媒体|通讯社|电视台|电台|网站)|"
                          r"\b(?:which|what) (?:[\w-]+ ){0,2}(?:media outlet|outlet|news agency|broadcaster|channel)\b",
                          re.I)
_OUTLET_SAID = re.compile(_TITLE_SAID.pattern + r"|[\u4e00-\u9fff]社(?![会区交群团科])|电视(?![剧机])|电台|通讯社|新闻网|"
                          r"[\u4e00-\u9fff]网(?![络站民友上内外])")
# a Latin gloss in brackets ("维亚切斯拉夫·莫洛托夫 (Vyacheslav Molotov)", "托卡耶夫（Kassym-Schomart Tokajew）") spells the
# Chinese name before it: not a title, and no one new
_GLOSS = re.compile(r"[（(][A-Za-z][^）)]*[）)]")


def _unglossed(sentence: str) -> str:
    """The sentence, normalised, without the Latin glosses of its Chinese names."""
    return _GLOSS.sub("", normalize(sentence))

_ASKS_PARTY = re.compile(r"(?:哪|什么)[个一]?(?:政党|党派|党)|\b(?:which|what) (?:political )?party\b", re.I)
# a party named before the member's post ("统一俄罗斯议员尼科诺夫"), unlike a country ("另一位俄罗斯议员")
_BEFORE_MEMBER = re.compile(r"([\u4e00-\u9fff]{2,8}?)(?:议员|党员)")
_NOT_PARTY_LEAD = re.compile(r"^.*?(?:一位|一名|位|名|的|之)")


def _names_party(sentence: str) -> bool:
    if "党" in sentence:
        return True
    for m in _BEFORE_MEMBER.finditer(sentence):
        lead = _NOT_PARTY_LEAD.sub("", m.group(1))
        if len(lead) >= 2 and lead not in countries():
            return True
    return False


# where someone works: the answer names the employer beside the post ("詹姆斯敦基金会的分析师帕维尔·卢津",
# "卡内基国际和平基金会学者蒂穆尔·乌姆洛夫") or says it ("任教于…", "在…工作"); "基辅分析师阿列克谢·库什" and
# "法国历史学者贝多林诺" name none (benchmarks/question_rules.py)
_EMPLOYERS = r"(?:机构|大学|学校|学院|智库|公司|单位|媒体|研究所|研究院|研究机构|基金会|报社|电视台|组织)"
_ASKS_EMPLOYER = re.compile(r"(?:任职|任教|供职|就职|工作)于哪|"
                            r"(?:为|替)哪[家个所一间]*[^，,；;？?]{0,6}(?:工作|效力)|"
                            r"哪[家个所一间]*" + _EMPLOYERS + r"(?:或" + _EMPLOYERS + r")?[^，,；;？?]{0,4}(?:(?:任职|任教|供职|就职|工作)"
                            # the work of the body itself is no one's employment ("哪个机构工作一团糟")
                            r"(?![^，,；;？?]{0,2}?(?:一团|不力|不佳|混乱|糟|差|好|出色|失职|表现))|的(?:学者|分析师|分析家|分析人士|研究员|研究人员|专家|教授))|"
                            # "那篇文章的作者是哪个智库的？", "是哪家智库的人"
                            r"(?:是|来自|属于)哪[家个所一间]*" + _EMPLOYERS + r"的(?:人|学者|专家)?[？?]?$|"
                            r"\b(?:which|what) (?:[\w-]+ ){0,2}(?:think tank|university|institution|institute|"
                            r"organi[sz]ation|company|college|employer)\b[^?]*\b(?:work|works|worked|affiliated|"
                            r"teach|teaches|taught|based)\b|\bwhere does [^?]+ work\b|\baffiliated with\b", re.I)
_EMPLOYER_SAID = re.compile(r"(?:组织|机构|公司|委员会|基金会|研究所|研究院|中心|智库|大学|学院|学校|协会|学会|银行|集团|"
                            r"报|电视台|通讯社|[部局院所])的?\s*[\u4e00-\u9fff]{0,6}?(?:分析师|分析家|学者|研究员|教授|"
                            r"专家|记者|主任|负责人|讲师|经济学家|顾问)|(?:任职|任教|供职|就职|工作)于|"
                            r"在[^，。；]{2,20}?(?:任职|任教|供职|就职|工作)|[A-Z][a-z]+ (?:Foundation|Institute|University|"
                            r"Center|Centre|College)")


def _employer_of(question: str, q: str) -> Callable[[str], bool]:
    """Whether a sentence says an employer, and of the person the question names after their role ("分析家阿尔扎诺夫",
    "迪马什·阿尔扎诺夫", "analyst Dimash Alzhanov"): the sentence names them (in English, a name its Latin letters
    read as: rag.transliteration), or opens with a pronoun. "詹姆斯敦基金会驻俄罗斯分析师帕维尔·卢津表示…" gives Luzin's
    employer, not Alzhanov's. A question that names no one ("那位驻俄分析人士是哪家智库的？") takes any employer."""
    if is_english(question):
        m = _NAMED_AFTER_ROLE_EN.search(question)
        latin = m.group(1).split() if m else []
        named: list[str] = []
    else:
        # a full name by the characters about its dot ("维尔·卢" of "帕维尔·卢津"): where either part ends is unknown
        latin, named = [], [q[m.start() - 2:m.start() + 2] for m in re.finditer("·", q) if m.start() >= 2] + [
            m.group(1) for m in _NAMED_AFTER_ROLE.finditer(q)]

    def says(sentence: str) -> bool:
        t = normalize(sentence)
        if not _EMPLOYER_SAID.search(t):
            return False
        if not latin and not named or leads_with_pronoun(t):
            return True
        return bool(names_read_in(latin, t)) if latin else any(n in t for n in named)
    return says


# a person named after their role, whose employer a question asks
_NAMED_AFTER_ROLE = re.compile(r"(?:分析师|分析家|分析人士|学者|专家|教授|研究员)(?!是|在|的|供职|任职|就职|工作)([\u4e00-\u9fff]{2,6}?)(?=[，,]|是|在|供职|任职|就职|工作|的|$)")
_NAMED_AFTER_ROLE_EN = re.compile(r"\b(?:analyst|scholar|expert|researcher|professor|academic|commentator) "
                                  r"((?:[A-Z][a-z]+ )?[A-Z][a-z]+)\b")


_LATIN_WORD = re.compile(r"\b[A-Z][a-z]{3,}\b")


# when troops or people left ("集安组织的部队最后是哪一天撤出哈萨克斯坦的？", "When did the CSTO troops finish pulling
# out?"): the answer says they left, a place or an office ("2019 年下台"); "8日有20架军用货机继续将俄罗斯部队…运送至
# 哈萨克斯坦" dates their arrival. Each of the 3 CMRC/DRCD time questions that ask so is answered by such a sentence
# (benchmarks/question_rules.py)
_ASKS_LEAVING = re.compile(r"撤出|撤离|撤军|撤走|撤回|撤完|离开|卸任|离任|下台|交权|辞去|\b(?:withdr[ae]w\w*|pull(?:ed|ing)? out|leave|left)\b", re.I)
_LEFT = re.compile(r"撤|离开|离境|回国|返回|结束|下台|辞|卸任|离任|退位|退出|交出")  # a place or an office left
# when someone took office ("纳扎尔巴耶夫是从哪一年开始当哈萨克斯坦总统的？", "When did Tokayev become president?"): the
# answer says the taking of it, not a year when the holder did something else ("2014 年…普京声称，哈萨克斯坦第一任总统
# 努尔苏丹·纳扎尔巴耶夫…", "于 2019 年下台")
_ASKS_TOOK_OFFICE = re.compile(r"(?:开始|起)(?:当|做|担任|出任|执政|掌权)|(?:上任|就任|就职|上台|掌权|执政)(?:的|了)?(?:？|\?|$)|"
                               r"\bwhen did [^?]{2,40}? (?:become|take office|take power|come to power)\b", re.I)
_TOOK_OFFICE = re.compile(r"上任|就任|就职|上台|掌权|执政|当选|出任|接任|继任|担任|成为|宣誓|任命|起(?:任|担任|为|成为)|继承|继位|即位|登基|接替|接掌|入主|组建|组成|成立")
# when someone arrived ("中国领导人那次出访哈萨克斯坦是哪天抵达的？", "When did Xi arrive in Astana?"): the answer says an
# arrival or the visit; "王毅10日表示…" dates another event (benchmarks/question_rules.py)
_ASKS_ARRIVAL = re.compile(r"(?:哪一?天|哪一日|什么时候|何时|几号|几月几[日号]|哪个月)[^，,；;？?]{0,4}(?:抵达|到达|飞抵|到访|来到|"
                           r"到(?=的|了|[？?]|$))|"
                           r"(?:抵达|到达|飞抵|到访)[^，,；;？?]{0,8}(?:哪一?天|哪一日|什么时候|何时|几号|几月几[日号])|"
                           r"\bwhen did (?:[\w-]+ ){1,4}(?:arrive|land)\b|"
                           # "In which month of 2022 did Xi visit Kazakhstan …?", "… make that first foreign trip"
                           r"\b(?:in )?(?:which|what) (?:day|date|month)\b[^?]*\b(?:visit|trip)\b", re.I)
_ARRIVED = re.compile(r"抵达|到达|飞抵|到访|访问|出访|来访|降落|登陆|来到")
# the occasion of a remark ("尼科诺夫是在什么场合说出…的？"): a meeting, a speech, an interview, a broadcast;
# "尼科诺夫表示…" gives none (benchmarks/question_rules.py)
_SAYING = r"(?:说|讲|表示|发表|提出|宣布|声称|指出|称)"
_ASKS_OCCASION = re.compile(r"(?:什么|哪个|何种|怎样的?)场合[^？?，,]{0,8}" + _SAYING + r"|" + _SAYING +
                            r"[^？?，,]{0,16}(?:什么|哪个|何种|怎样的?)场合|"
                            # a part that ends at the occasion ("尼科诺夫是在什么场合、哪个节目里说出…的？" read part by
                            # part: "尼科诺夫是在什么场合"); not a use ("六十进制一般用在什么场合？")
                            r"(?<!用)在(?:什么|哪个|何种|怎样的?)场合(?:[？?]|$)|"
                            r"\b(?:on|at|in) what (?:occasion|event|setting|forum)\b[^?]*\b(?:say|said|make|made|claim)", re.I)
_OCCASION = re.compile(OCCASION_SAID.pattern + r"|告诉|电台|电视|报纸|节目|接受|发布|推特|社交媒体|帖子|文章")
# the charge someone faces ("后来被以什么罪名起诉？", "What was he charged with?"): the answer names a crime;
# "…被免职" names none. A vote ("联合国大会表决时，哈萨克斯坦投了什么票？"): the answer says how it voted
_ASKS_CHARGE = re.compile(r"(?:什么|哪些|哪个|何种)罪名?|罪名是|\bwhat (?:was|were) [^?]*\bcharged with\b|\bwhat charges?\b", re.I)
_CHARGE = re.compile(r"罪|指控|控告|起诉|涉嫌|判刑|被判|判处|定罪")  # ("因分裂主义被判刑" says the charge by the sentence)
# what someone did to be charged ("马西莫夫具体干了什么，才被安上叛国的罪名？", "What was Masimov accused of doing?"):
# the answer says an act, a cause or what the accusation holds, not only the charge again ("以叛国罪逮捕…马西莫夫")
_ASKS_ACT = re.compile(r"(?:(?:做|干|犯)了?(?:些)?什么(?:事)?|什么(?:行为|事情?)|哪些(?:行为|事))[^？?]{0,16}?(?:罪|叛国|指控|被控|逮捕|被捕|"
                       r"抓|判|起诉|认定)|(?:罪|叛国|指控|被控|逮捕|被捕|抓|判|起诉)[^？?]{0,16}?(?:(?:做|干|犯)了?(?:些)?什么(?:事)?|什么(?:行为|事情?)|"
                       r"哪些[\u4e00-\u9fff]{0,4}?(?:行为|事))|"
                       # "为什么会被安上叛国罪？": why a charge, which the act behind it answers
                       r"为什么[^？?，,]{0,8}?被(?:安上|扣上|冠上|加上|控|指控|以)[^？?，,]{0,6}?罪|\baccused of doing\b|\bwhat (?:exactly |specifically )?(?:did|had) [^?]{2,40}?\b(?:do|done)\b"
                       r"[^?]{0,40}?\b(?:charged|accused|arrested|treason)\b", re.I)
# the charge the question names itself ("叛国罪", "treason"): "媒体指控哈萨克斯坦做了什么？" asks what the accusation
# says, which "报道称，哈萨克斯坦…为乌克兰提供武器" answers (seeds fresh: five phrasings)
_CHARGE_NAMED = re.compile(r"罪|叛国|被指控|被控|\b(?:treason|crimes?)\b", re.I)
_ACT = re.compile(r"因为?(?!此)|由于|涉嫌(?!叛国|犯罪)[\u4e00-\u9fff]{2,}|(?:指控|控告|指责|被控)(?:他|其|她)?(?:曾|试图|企图|参与|策划|组织|"
                  r"煽动|协助|泄露|收受|非法|密谋|勾结)")
# who chaired or hosted ("那场线上会议是由哪个国家的领导人主持的？"): the answer says the chair, not only someone who
# attended ("托卡耶夫10日在出席集体安全条约组织线上会议时表示")
_ASKS_CHAIR = re.compile(r"由[^，,；;？?]{0,12}?(?:主持|召集)|\bwho (?:chaired|convened)\b", re.I)
_CHAIRED = re.compile(r"主持|主席|轮值|主办|召集|牵头|东道主")
_ASKS_VOTE = re.compile(r"投了?(?:什么|哪种|怎样的|赞成还是反对)票|(?:怎么|如何|怎样)投票|\bhow did [^?]*\bvote\b|"
                        r"\bdid [^?]*\bvote (?:for|against)\b", re.I)
_VOTED = re.compile(r"票|投票|表决|弃权|赞成|反对")
# which agreements were signed ("签了哪些协议？", "Which agreements did they sign?"): the answer names one or says what
# was signed; "这一奇观是在托卡耶夫 2 月初访问莫斯科期间完成的" does not (each of the 3 CMRC/DRCD questions that ask so)
_ASKS_SIGNED = re.compile(r"签[署订了]*[^，,；;？?]{0,4}?(?:哪些|什么|哪个|哪份|哪几份|几份|多少份?)[^，,；;？?]{0,4}?"
                          r"(?:协议|协定|条约|文件|合同|备忘录|声明)|\b(?:which|what) (?:[\w-]+ )?(?:agreements?|deals?|"
                          r"treaty|treaties|contracts?|documents?)\b[^?]*\bsign", re.I)
_SIGNED = re.compile(r"签|协议|协定|条约|文件|合同|备忘录|公约")
# said as none ("几乎没有达成协议") or as a kind in a rhetorical clause ("这样的协议有什么意义？"): nothing was signed
_NONE_SIGNED = re.compile(r"(?:没有|未能?|无|不)[^，,。；;！？]{0,4}$|(?:这样|这种|那样|那种)的?$")


def _signs(sentence: str) -> bool:
    """The sentence says something was signed, or names an agreement, other than as none."""
    s = normalize(sentence)
    return any(not _NONE_SIGNED.search(s[max(0, m.start() - 8):m.start()]) for m in _SIGNED.finditer(s))


def required_evidence(question: str, atype: str) -> Callable[[str], bool] | None:
    """Whether a sentence says what a question about someone's birth or age (a count of years), the model of
    something, the newspaper that ran something, or a party asks for; None for other questions. "What year was
    Tokayev born?" is not answered by "纳扎尔巴耶夫于 2019 年下台", nor "土耳其无人机是什么型号？" by "就在哈萨克斯坦
    生产土耳其无人机达成了共识", nor "扎图林是哪个政党的议员？" by "康斯坦丁·扎图林告诉莫斯科电台说…" ("统一俄罗斯议员
    尼科诺夫" names one), nor "那篇专栏登在哪份报纸上？" by "在哈萨克报纸上发表", nor "库什在哪家机构任职？" by
    "基辅分析师阿列克谢·库什告诉半岛电视台说", nor "是谁接任哈萨克斯坦总理？" by "马西莫夫被任命为国家安全局局长", nor
    "扎图林担任什么职务？" by a sentence that gives no role, nor "哪一天撤出？" by the day troops arrived, nor "签了哪些协议？"
    by a sentence that signs nothing."""
    q = question if is_english(question) else normalize(question)
    pat = None
    if _ASKS_BIRTH.search(q):
        pat = _BIRTH_SAID
    elif atype == "number" and _ASKS_AGE.search(q):
        pat = _AGE_SAID
    elif _ASKS_MODEL.search(q):
        pat = _MODEL_SAID
    elif _ASKS_TITLE.search(q):
        return lambda sentence: bool(_TITLE_SAID.search(_unglossed(sentence)))
    elif _ASKS_PROGRAMME.search(q):
        return lambda sentence: bool(_TITLE_SAID.search(t := _unglossed(sentence)) or OCCASION_SAID.search(t))
    elif _ASKS_OUTLET.search(q):
        return lambda sentence: bool(_OUTLET_SAID.search(_unglossed(sentence)))
    elif _ASKS_PARTY.search(q):
        return lambda sentence: _names_party(normalize(sentence))
    elif _ASKS_EMPLOYER.search(q):
        return _employer_of(question, to_simplified(q))
    elif atype == "time" and _ASKS_LEAVING.search(q):
        pat = _LEFT
    elif atype == "time" and _ASKS_TOOK_OFFICE.search(q):
        pat = _TOOK_OFFICE
    elif atype == "time" and _ASKS_ARRIVAL.search(q):
        pat = _ARRIVED
    elif _ASKS_SIGNED.search(q):
        return _signs
    elif _ASKS_OCCASION.search(q):
        pat = _OCCASION
    elif _ASKS_ACT.search(q) and _CHARGE_NAMED.search(q):
        pat = _ACT
    elif _ASKS_CHARGE.search(q):
        pat = _CHARGE
    elif _ASKS_CHAIR.search(q):
        pat = _CHAIRED
    elif _ASKS_VOTE.search(q):
        pat = _VOTED
    elif (office := asked_office(question)) is not None:
        return office
    elif (held := post_held_when(question, atype)) is not None:
        return held
    else:
        return took_post(question)
    if pat is None:
        return None
    return lambda sentence: bool(pat.search(normalize(sentence)))


# of someone a human noun describes: "…的那个以色列人叫什么名字", "那位检察官叫啥"; "主题曲叫什么名字" names a thing.
# "哪位/哪名" asks which person ("撤换了哪位海关主管？"): over the 7,745 answered CMRC/DRCD questions, 57 of the 60
# person questions that ask so have an answer sentence that names a person (benchmarks/question_rules.py)
_ASKS_NAME = re.compile(r"(?:人|人士|女士|博士|者|男子|女子|男性|女性|儿子|女儿|弟弟|哥哥|姐姐|妹妹|妻子|丈夫|父亲|母亲|官|员|长|师|家|手|兵)"
                        r"(?:的)?(?:叫什么名字|叫啥|名字是什么|名字叫什么|叫什么|姓名|全名|叫做什么)|哪一?[位名]|"
                        # who led or chaired ("那150名士兵是由谁带队指挥的？", "会议由谁主持？"): a person, by name
                        r"由(?:谁|何人|哪位)(?:来)?(?:带队|带领|率领|指挥|领导|统领|统帅|主持)|"
                        r"\bname of (?:the |that |this )?(?:[\w'-]+ ){0,3}(?:man|woman|person|official|prosecutor|"
                        r"victim|soldier|commander|general|minister|analyst|lawmaker|spokes(?:man|woman|person)|"
                        r"business(?:man|woman|person)|entrepreneur|diplomat|journalist|reporter|officer|activist|"
                        r"lawyer|judge|ambassador|governor|mayor|expert|scholar)\b|"
                        # "Who is the Kostanay prosecutor …?": who holds a post, asked by the post
                        r"\bwho (?:is|was|were|are) the (?:[\w'-]+ ){0,3}(?:prosecutor|commander|governor|mayor|"
                        r"minister|chief|head|spokes(?:man|woman|person)|ambassador|general)\b", re.I)
_LATIN_NAME = re.compile(r"(?<![A-Za-z])[A-Z][a-z]+(?:[ -][A-Z][a-z]+)+(?![A-Za-z])")  # "Fay Fuller"


def asks_name(question: str, atype: str) -> bool:
    """A person question that asks for the name of someone a human noun describes ("在哈萨克斯坦被打死的那个以色列人叫
    什么名字？")."""
    return atype == "person" and bool(_ASKS_NAME.search(question if is_english(question) else normalize(question)))


def names_person(sentence: str, question: str) -> bool:
    """The sentence names a person the question does not (a name jieba tags, one with "·", or a Latin one)."""
    # a Latin name in brackets after a Chinese one glosses it ("托卡耶夫（Kassym-Schomart Tokajew）"): no one new;
    # nor is one an English question names in Latin letters ("Tokayev's remarks": 托卡耶夫)
    known = set()
    if is_english(question) and (latin := _LATIN_WORD.findall(question)):
        known = names_read_in(latin, normalize(sentence))
    return sentence_types(sentence, known, "person", question) or bool(_LATIN_NAME.search(_GLOSS.sub("", sentence)))
