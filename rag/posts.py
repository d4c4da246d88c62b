"""Posts: who took one, who holds one, and the post someone holds, and whether a sentence says it.

"政府集体辞职之后，是谁接任哈萨克斯坦总理？" is answered by an appointment to that post ("…被任命为总理"), not to another
nor of the man the question names; "总理是谁？" by a sentence that says the post (总理, 首相, 政府首脑), not as once held;
"扎图林担任什么职务？" by a role that is that person's. rag.evidence.required_evidence asks `asked_office` and
`took_post` among the other things a question may require; rag.gate reads `asked_post` in the best sentence and the
ones beside it. Each rule is measured where the answer is known by benchmarks/question_rules.py.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from rag.countries import countries
from rag.keywords import normalize
from rag.questions import FULL_NAME, ROLES, is_english, names_and_people, person_words, pos_tags

# who took a post ("政府集体辞职之后，是谁接任哈萨克斯坦总理？", "谁接掌了国家安全委员会？"): the answer appoints
# someone to that post ("…被任命为总理"), not to another ("马西莫夫被任命为国家安全局局长"), nor names a post kept
# a succession ("接替", "新任"), and with an appointment or election, any taking of a post
_SUCCESSION = r"新任|新一任|新(?=总理|总统|主席|首相|局长|部长|外长)|接任|继任|接掌|接替|接手|顶替|顶上|取代"
_TOOK = r"(?:" + _SUCCESSION + r"|出任|就任|升任|被任命为|任命为|当选为?|上任|坐上|代理|暂代|代行|署理)"  # or stood in
# (not who appointed someone, "被谁任命为…", nor a rival "出任总统前的对手是谁")
_ASKS_TOOK = re.compile(r"(?<!被)(?:谁|哪位|何人)[^，,；;？?]{0,6}" + _TOOK + r"(?:新)?(?:的)?([^\s前后的，,；;？?]{2,16}?)(?:的)?"
                        r"(?:职务|一职|职位|位置|位子)?[？?]?$|" + _TOOK + r"(?:的)?([^\s前后的，,；;？?]{2,12}?)(?:的人|的)?(?:是谁|是哪位|叫什么)|"
                        # "国家安全委员会副主任的位子由谁接手？"
                        r"([^\s的，,；;？?]{2,12}?)的?(?:位子|位置|职位|职务|一职)由(?:谁|何人|哪位)(?:来)?" + _TOOK + "|"
                        # "国家安全局局长由谁接任？"
                        r"([^\s的，,；;？?]{2,12}?)由(?:谁|何人|哪位)(?:来)?" + _TOOK + "|"
                        # "国家安全局局长换成谁了？"
                        r"([^\s的，,；;？?]{2,12}?)(?:换成|换上|换做|变成)了?(?:谁|何人|哪位)")


# who replaced someone, asked in English ("Who replaced Karim Masimov as head of …?", "Who took over … after Masimov
# was sacked?"): its names cannot be read off in Chinese, so the answer must say a succession ("接替", "新任"), not
# an appointment alone ("马西莫夫被任命为国家安全局局长" is the sacked man's own)
_ASKS_SUCCESSOR_EN = re.compile(r"\bwho (?:\w+ )?(?:replaced|succeeded|took over|(?:was|were|got|has been) (?:appointed|named|"
                                r"chosen|picked) to (?:replace|succeed|take over)|(?:is|was|became) (?:the |[\w'-]+ )?new|became (?:the )?(?:acting|interim|caretaker))\b|"
                                # "Who did Tokayev appoint to take over from Karim Masimov …?"
                                r"\bwho did [\w'. -]{2,40}? (?:appoint|name|pick|choose|install|select) (?:to (?:replace|succeed|"
                                r"take over)|as (?:the )?new)\b", re.I)
_SUCCEEDED = re.compile(_SUCCESSION + r"|继承|替换|换上|接班")
# who succeeded someone, asked in Chinese with no post to read ("被免职的…萨马德·阿比什，是由谁来接替的？", "是谁接任了
# …的一把手？"): the answer says a succession, as in English; 3 such CMRC/DRCD questions, each answer sentence does
# (benchmarks/question_rules.py)
_ASKS_SUCCESSOR = re.compile(r"(?<!被)(?:谁|何人|哪位)[^，,；;？?]{0,6}(?:" + _SUCCESSION + r")|(?:" + _SUCCESSION +
                             r")(?:者|的人)?[^，,；;？?]{0,12}(?:是谁|是哪位|叫什么)|继任者|接班人")


def _post(words: str) -> str:
    """The post itself, without a particle before it or the country it belongs to ("了哈萨克斯坦总理" -> 总理)."""
    words = re.sub(r"^(?:了|过)", "", words)
    country = max((n for n in countries() if words.startswith(n) and len(words) >= len(n) + 2), key=len, default="")
    return words[len(country):]


def _took(post: str, named: tuple[str, ...] = ()) -> Callable[[str], bool]:
    """Whether a sentence appoints someone to `post`, other than those the question `named` (who held it before:
    "马西莫夫被撤职后，是谁顶上了国家安全局局长的位置？" is not answered by "马西莫夫被任命为国家安全局局长")."""
    said = re.compile(_TOOK + r"[^，,。；;]{0,12}?" + re.escape(post))

    def appoints(sentence: str) -> bool:
        s = normalize(sentence)
        # not the person named just before the appointment ("马西莫夫被任命为…", "马西莫夫已出任…")
        return any(not s[:m.start()].rstrip("已曾又再").endswith(named) for m in said.finditer(s))
    return appoints


# who holds a post ("骚乱中辞职的那届政府，总理是谁？", "Who was the commander of the CSTO force?"): the answer says
# that post ("总理阿斯卡尔·马明", "政府首脑"), or the sentence beside it does ("美国务院发言人普莱斯11日表示" before
# "普莱斯说…"); "该国政府在本周三宣布辞职" does not (benchmarks/question_rules.py). The post's name is all that is
# read: jieba does not tag every transliterated name ("国防部长绍伊古").
_OFFICES = (r"(?:总统|总理|首相|主席|外交部长|国防部长|部长|外长|局长|大使|秘书长|书记|州长|市长|省长|检察官|检察长|司令|"
            r"发言人|国务委员|总裁|董事长)")
_ASKS_HOLDER = re.compile(r"(" + _OFFICES + r")(?:是谁|叫什么|是哪位|是何人|由谁担任)|"
                          r"谁(?:是|担任|当)[^，,；;？?]{0,8}?(" + _OFFICES + r")[？?]?$")
_ASKS_HOLDER_EN = re.compile(r"\bwho (?:is|was|were|are) (?:the |its |their )?(?:[\w'-]+ ){0,3}?(prime minister|premier|"
                             r"president|foreign minister|defen[cs]e minister|minister|governor|mayor|prosecutor|"
                             r"commander|spokes(?:man|woman|person)|ambassador|chairman)\b", re.I)
# the same post in other words (总理: 首相, 政府首脑); an English post in the articles' words
_POST_WORDS = {"总理": "总理|首相|政府首脑", "首相": "总理|首相|政府首脑", "外长": "外长|外交部长", "外交部长": "外长|外交部长",
               "司令": "司令|指挥官"}
_POST_EN = {"prime minister": "总理", "premier": "总理", "president": "总统|主席", "foreign minister": "外长",
            "minister": "部长|外长|大臣", "governor": "州长|省长|总督", "mayor": "市长", "prosecutor": "检察官|检察长",
            "commander": "司令", "spokesman": "发言人", "spokeswoman": "发言人", "spokesperson": "发言人",
            "ambassador": "大使", "chairman": "主席", "defence minister": "国防部长", "defense minister": "国防部长",
            "deputy secretary-general": "副秘书长", "secretary-general": "秘书长"}


def asked_post(question: str, atype: str) -> Callable[[str], bool] | None:
    """For a question who holds a post ("总理是谁？", "Who was the commander of …?"), whether a sentence says that
    post (in the articles' words: 总理, 首相 or 政府首脑); None for other questions."""
    english = is_english(question)
    m = (_ASKS_HOLDER_EN if english else _ASKS_HOLDER).search(question if english else normalize(question))
    if atype != "person" or m is None:
        return None
    post = next(g for g in m.groups() if g)
    posts = _POST_EN[post.lower()] if english else post
    said = re.compile("|".join(_POST_WORDS.get(p, p) for p in posts.split("|")))
    if _ASKS_PAST.search(question):  # "谁曾任总理？": a post once held answers
        return lambda sentence: bool(said.search(normalize(sentence)))

    def holds(sentence: str) -> bool:
        s = normalize(sentence)
        # not a post once held ("马西莫夫在此前曾担任过许多政府要职，其中最重要的职位是政府首脑"): who held it then
        return any(not _HELD_BEFORE.search(s[:found.start()]) for found in said.finditer(s))
    return holds


# when someone held or took a post ("托卡耶夫哪年当上联合国副秘书长的？", "In which years did Tokayev serve as UN Deputy
# Secretary-General?"): the answer says that post, not a year the person did something else ("纳扎尔巴耶夫于 2019 年
# 下台" beside "托卡耶夫被广泛视为…傀儡")
_WHEN_POST = re.compile(r"(担任|出任|当上|当选|就任|升任|成为|连任|(?<![卸离辞去])任)了?(?:的)?[^，,；;？?]{0,12}?(" + _OFFICES + r")", re.I)
_WHEN_POST_EN = re.compile(r"\b(?:serve[sd]?|served|become|became|take office|took office|appointed|named|elected) "
                           r"(?:as )?(?:the |a )?(?:[\w'-]+ ){0,2}?(deputy secretary-general|secretary-general|prime minister|"
                           r"premier|president|foreign minister|defen[cs]e minister|minister|governor|mayor|prosecutor|"
                           r"commander|ambassador|chairman)\b", re.I)


def post_held_when(question: str, atype: str) -> Callable[[str], bool] | None:
    """For a question when someone held or took a post, whether a sentence says that post; None for others."""
    if atype != "time":
        return None
    english = is_english(question)
    m = (_WHEN_POST_EN if english else _WHEN_POST).search(question if english else normalize(question))
    if m is None:
        return None
    post = m.group(1).lower() if english else m.group(2)
    posts = _POST_EN[post] if english else post
    # or the question's own verb, the post left implicit ("哪一年成功连任了总理？" from "2013年成功连任。")
    verb = [] if english or len(m.group(1)) < 2 else [m.group(1)]
    said = re.compile("|".join([_POST_WORDS.get(p, p) for p in posts.split("|")] + verb))
    return lambda sentence: bool(said.search(normalize(sentence)))


# a post held once, before the time the question asks about; a question that asks so itself
_HELD_BEFORE = re.compile(r"曾|此前|以前|早年|昔日")
_ASKS_PAST = re.compile(r"曾|以前|此前|早年|过去|前任|当过|\b(?:former|previous|once|used to)\b", re.I)


# the post someone holds ("扎图林在俄罗斯国家杜马担任什么职务？", "负责哪个委员会？"): the answer gives a role
# ("国家杜马独联体事务委员会第一副主席扎图林", "任中共青岛市委常委、青岛市副市长"); "扎图林的评论并不是俄罗斯政治人物
# 第一次质疑…" gives none. The answer sentence gives one for each of the 17 CMRC/DRCD questions it applies to
# (benchmarks/question_rules.py)
_ASKS_HELD = re.compile(r"(?:担任|任|出任|身居|负责|主管|掌管)(?:的)?(?:是)?(?:什么|何|哪个|哪一个|哪些|哪)[^，,；;？?]{0,6}?"
                        r"(?:职务|职位|官职|头衔|角色|委员会|部门|工作)|(?:是|的)(?:什么|何)(?:职务|职位|官职|头衔|身份)")
_ROLE_WORD = re.compile(ROLES + r"|[长官员守督相帅]|书记|主任|委员|常委|理事|顾问|秘书|成员|职务|职位")


def asked_office(question: str) -> Callable[[str], bool] | None:
    """For a Chinese question on the post someone it names holds, whether a sentence gives a role; None for other
    questions."""
    if is_english(question) or not _ASKS_HELD.search(q := normalize(question)):
        return None
    people = tuple(n for n in person_words(q) if n not in countries())
    if not people:
        return None
    # the role is that person's: the sentence names them, or does not open with another ("现在是国立台湾历史博物馆
    # 馆长" goes on about them; "马西莫夫在此前曾担任过许多政府要职…" gives another's posts)
    return lambda sentence: bool(_ROLE_WORD.search(t := normalize(sentence))) and (
        any(n in t for n in people) or not _opens_with_other(t, q))


def _opens_with_other(sentence: str, question: str) -> bool:
    """The sentence opens with a person's name (jieba's nr or nrt, with the nouns it splits off: 马 + 西莫夫), or
    names someone in full (given name · surname), that the question does not say."""
    if any(n not in question for n in FULL_NAME.findall(sentence)):  # "萨马德·阿比什被免职": a foreign name in full
        return True
    run = []
    for word, flag in pos_tags(sentence.lstrip("“”\"「」 ")):
        if not flag.startswith("n"):
            break
        run.append((word, flag))
    name = "".join(w for w, _ in run)
    return any(f in ("nr", "nrt") for _, f in run) and len(name) >= 2 and name not in question


def took_post(question: str) -> Callable[[str], bool] | None:
    """For a question who took a post ("是谁接任哈萨克斯坦总理？"), whether a sentence appoints someone other than the
    ones it names to that post; asked in English ("Who replaced Karim Masimov …?"), whether it says a succession.
    None for other questions."""
    if not is_english(question) and (m := _ASKS_TOOK.search(q := normalize(question))):
        post = _post(next((g for g in m.groups() if g), ""))
        named = tuple(n for n in names_and_people(q) if n not in countries() and n not in post)
        if len(post) >= 2:
            return _took(post, named)
    # no post to read (asked in English, or "是由谁来接替的？"): a succession
    english = is_english(question)
    if (_ASKS_SUCCESSOR_EN if english else _ASKS_SUCCESSOR).search(question if english else normalize(question)):
        return lambda sentence: bool(_SUCCEEDED.search(normalize(sentence)))
    return None
