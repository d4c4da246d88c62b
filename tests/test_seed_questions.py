"""Questions about the seed articles, answered with the real model: the expected fact, the right article.

Chinese (simplified and traditional), English, and questions the corpus cannot answer.
"""

from __future__ import annotations

import re

import pytest

from rag.answer import NOT_FOUND_EN, NOT_FOUND_ZH, quoted
from rag.disagreements import DIFFER_EN, DIFFER_ZH

RFI, ALJ1, RFA, ALJ3, ALJ4 = ("000_569cd607f5d77cb9", "001_e32b6f08af1d666b", "002_b1eebe35896f2b82",
                              "003_a9029f6f9834cfcd", "004_43fb4c2225c36c2c")

ANSWERABLE = [
    ("哈萨克斯坦与俄罗斯的边界有多长？", "7500", RFI),
    ("哈萨克斯坦科斯塔奈地区有多少居民？", "88万", RFI),
    ("托卡耶夫称如果在世界范围内实施自决权，将有多少个国家？", "600", ALJ1),
    ("纳扎尔巴耶夫哪一年下台？", "2019", ALJ1),
    ("集安组织在哈萨克斯坦的维和人员有多少？", "二千三百", RFA),
    ("王毅同哪位俄罗斯外长通电话？", "拉夫罗夫", RFA),
    ("习近平在哪个国家首次提出一带一路倡议？", "首次提出“一带一路”", RFA),
    ("美国国务院发言人普莱斯希望集安组织怎么做？", "离开", RFA),
    ("哈萨克斯坦同意与哪个北约成员国共享军事情报？", "土耳其", ALJ3),
    ("哈萨克斯坦取消了哪一天的胜利日阅兵？", "5月9日", ALJ3),
    ("骚乱中被捕的人数上升至多少？", "4266", ALJ4),
    ("被革职的国家安全局局长是谁？", "马西莫夫", ALJ4),
    # the question spells the alliance out, the answer names it short (集安组织)
    ("集体安全条约组织是哪一年成立的？", "2002", ALJ4),
    # the visit matches best; what was agreed is said in a later sentence, with the words of the asking clause
    ("托卡耶夫去了土耳其以后，哈萨克答应和土耳其共享什么？", "军事情报", ALJ3),
    # the lawmaker's words match best; his grandfather is named three sentences later
    ("那个说哈萨克根本不存在、北边没人住的统一俄罗斯党议员，他爷爷是哪位苏联名人？", "莫洛托夫", ALJ1),
    # traditional script
    ("哈薩克斯坦與俄羅斯的邊界有多長？", "7500", RFI),
    ("吉爾吉斯斯坦向哈薩克斯坦派遣了多少名士兵？", "150名士兵", ALJ4),
    ("中國外交部長王毅說了什麼？", "王毅", RFA),
    # English over the Chinese corpus
    ("Who is the president of Kazakhstan?", "托卡耶夫", None),
    # paraphrased, the way readers ask (issue 10)
    ("俄罗斯在哈萨克斯坦招募士兵，哈萨克斯坦怎么回应？", "首次承认", RFI),
    ("哈萨克斯坦一月动乱中有多少人遇难？", "164", RFA),
    ("集安组织是哪一年成立的？", "2002", ALJ4),
    # what the articles call him stands in a passage below the top three
    ("誰是乌姆洛夫？", "卡内基国际和平基金会学者蒂穆尔·乌姆洛夫", ALJ3),
    # one sentence calls her something: the gate still judges the question on all the candidates
    ("西蒙尼扬是谁？", "负责人玛格丽塔·西蒙尼扬", ALJ1),
    ("Which NATO member will Kazakhstan share military intelligence with?", "土耳其", ALJ3),
    # a Chinese name in pinyin finds its characters (rag.names)
    ("Which Kazakh deputy prime minister and foreign minister did Wang Yi speak to by phone?", "特列乌别尔季", RFA),
    # a party named before the member's post
    ("尼科诺夫是哪个政党的议员？", "统一俄罗斯", ALJ1),
    # who the unnamed analyst is: the sentence after the one that speaks of him names him
    ("说托卡耶夫的表演是在访问莫斯科时安排好的那个哈萨克分析家叫什么？", "阿尔扎诺夫", ALJ1),
    # why something is hard to learn: the sentence that says it is complicated, and why
    ("据法新社，俄军招兵的消息为什么很难打听到？", "缄默特权", RFI),
    ("为什么外界很难弄清俄军在哈萨克招兵的情况？", "缄默特权", RFI),
]

UNANSWERABLE = [
    "蒙古国的首都是哪里？",
    "What is the recipe for beef stroganoff?",
    "苹果公司的CEO是谁？",
    "2018年世界杯冠军是哪个国家？",
    # on topic, but the tolls the seeds give are everyone's, not those of the people the question names
    "哈萨克斯坦骚乱中有多少名美国人受伤？",
    "骚乱中有多少名中国公民遇难？",
    "How many Chinese citizens were killed in the Kazakhstan unrest?",
    "How many Russian soldiers died in the Almaty riots?",
    # the calls and the briefing are reported without the town they took place in
    "王毅与哈萨克外长通电话时在哪个城市？",
    "美国国务院发言人普莱斯是在哪个城市举行新闻发布会的？",
    # a birth year from "纳扎尔巴耶夫于 2019 年下台", a count of agreements from "首次访问了土耳其"
    "What year was Tokayev born?",
    "托卡耶夫访问土耳其期间，两国一共签了多少份合作文件？",
    # a name asked of people the articles leave unnamed
    "科斯塔奈地区那位检察官叫什么名字？",
    "在抗议中被枪手杀害的以色列人叫什么名字？",
    # the seeds give the total only: "现有二千三百人" repeats the question's own figure
    "那二千三百名维和人员中有多少是俄罗斯军人？",
    # the prosecutor reports attempts, no count: the best sentence writes no figure ("周四", "一份" are none)
    "科斯塔奈检察官说已经有多少当地人被俄军招募走了？",
    # the seeds date statements about the troops (普莱斯11日表示, 国防部在7日表示), not their withdrawal
    "集安组织维和部队是哪一天全部撤出哈萨克斯坦的？",
    # the drones are Turkish; their model is never named
    "哈萨克斯坦准备生产的土耳其无人机是哪个型号？",
    # both parts unanswered: no drone count (Kyrgyzstan's 150 soldiers are not Turkish drones), no name, and the
    # town of the shooting the seeds give is not where the Israeli died
    "How many Turkish drones is Kazakhstan going to build, and which model are they?",
    "在哈萨克斯坦被枪手打死的那个以色列人叫什么名字？在哪个城市出的事？",
    # the youth group asked twice; the security forces' own toll is never given
    "普京说哈萨克人从来没有过国家，是对哪个青年组织说的？那个组织叫什么？",
    "这次动乱中哈萨克军警方面有多少人殉职？",
    "被免职的国家安全委员会副主任萨马德·阿比什，是由谁来接替的？",
    # Alzhanov's employer is never given (Luzin's is); the businessman would not give his name; no arrival date
    "迪马什·阿尔扎诺夫是哪个机构的分析人士？",
    "What is the name of the Almaty businessman who called Tokayev's remarks a game to dodge sanctions?",
    "习近平疫情后第一次出访就选了哈萨克斯坦，具体是哪一天到的？",
    # no article names Wagner; no town is named where the protests began (中亚 is no town)
    "在科斯塔奈拉人入伍的是不是瓦格纳那帮人？",
    "In which Kazakh city did the fuel-price protests first break out?",
    # the arrests are counted (4266), their foreigners are not: "8日" dates the statement, counts nothing
    "被捕的4266人当中有多少是外国人？",
    # the figures given are another country's: the Russian border's length, Kyrgyzstan's troops
    "哈萨克斯坦和中国的边境线有多长？",
    "How long is Kazakhstan's land border with China?",
    "俄罗斯自己向哈萨克斯坦派了多少名士兵？",
    # a region's population (Kostanay's 880,000), not the country's; a death toll is none
    "哈萨克斯坦全国人口现在有多少？",
    "What is the total population of Kazakhstan?",
    # the prosecutor is not named; Russia's share of the troops and the count of countries sending them are not given
    "Who is the Kostanay prosecutor who issued the statement about Russian recruitment?",
    "How many of the CSTO peacekeepers sent to Kazakhstan were Russian troops?",
    # Wang Yi's words are reported, not Lavrov's; Kazakhstan's population is not given
    "拉夫羅夫在跟王毅通電話時，對哈薩克局勢是怎麼表態的？",
    "How many people live in Kazakhstan in total?",
    # no Russian reply to the prosecutor is reported: the statement names Russia as where recruits go
    "俄罗斯政府对科斯塔奈检察官说的招兵指控作何回应？",
    # the government's resignation is reported, not who took over; Massimov was appointed to another post
    "政府集体辞职之后，是谁接任哈萨克斯坦总理？",
    # only Wang Yi's side of the calls is reported
    "哈萨克外长特列乌别尔季跟王毅通话时向中国提出了什么请求？",
    # Kush and Bedolino are given no employer: "基辅分析师", "法国历史学者"
    "基辅分析师阿列克谢·库什在哪家机构任职？",
    # the month given is that of his visit to Moscow
    "In which month did Tokayev make his first visit to Turkey as president?",
    # the articles report others' reactions to Tokayev's words, not Putin's
    "托卡耶夫说不承认卢甘斯克和顿涅茨克以后，普京在台上是怎么回应的？",
    # Zatulin is "一位俄罗斯议员"; only Nikonov's party is named
    "扎图林属于俄罗斯哪个政党？",
]

pytestmark = pytest.mark.slow


def _check_contract(ans, engine) -> None:  # type: ignore[no-untyped-def]
    d = ans.to_dict()
    markers = {int(m) for m in re.findall(r"\[(\d+)\]", d["answer"])}
    assert markers == {c["n"] for c in d["citations"]}
    for c in d["citations"]:
        art = engine.snapshot.articles[c["doc_id"]]
        assert art.text[c["start"]:c["end"]] == c["quote"]
        assert c["title"] == art.title and c["url"] == art.url
    # each sentence is inside the quote of the marker that follows it (after an "outlet（date）：" label
    # when the sources differ)
    body = d["answer"].removeprefix(DIFFER_ZH).removeprefix(DIFFER_EN)
    for sentence, n in re.findall(r"(.+?)\[(\d+)\]", body):
        quote = next(c["quote"] for c in d["citations"] if c["n"] == int(n))
        sentence = re.sub(r"^\s*[^：:\n]{2,40}(（\d{4}-\d{2}-\d{2}）：| \(\d{4}-\d{2}-\d{2}\): )", "", sentence)
        assert sentence.strip() in quoted(quote)  # an article's own "[3]" is shown as "［3］"


@pytest.mark.parametrize("question,fact,doc", ANSWERABLE, ids=[q for q, _, _ in ANSWERABLE])
def test_answers_contain_the_fact_and_cite_the_right_article(real_engine, question: str, fact: str,
                                                             doc: str | None) -> None:
    ans = real_engine.ask(question)
    assert ans.answerable, ans.answer
    assert fact in ans.answer
    cited = {c.doc_id for c in ans.citations}
    if doc is not None:
        assert doc in cited
    _check_contract(ans, real_engine)
    assert len(re.findall(r"\[\d+\]", ans.answer)) <= 3


@pytest.mark.parametrize("question", UNANSWERABLE)
def test_questions_the_corpus_cannot_answer_say_so(real_engine, question: str) -> None:
    ans = real_engine.ask(question)
    assert not ans.answerable
    assert ans.citations == []
    assert ans.answer in (NOT_FOUND_ZH, NOT_FOUND_EN)
    assert ans.answer == (NOT_FOUND_EN if question.isascii() else NOT_FOUND_ZH)
    d = ans.to_dict()
    assert 1 <= len(d["nearest"]) <= 3 and all(n["title"] for n in d["nearest"])


def test_follow_up_questions_use_the_conversation(real_engine) -> None:
    ans = real_engine.ask("他是哪一年下台的？", history=["纳扎尔巴耶夫是谁？"])
    assert ans.answerable and "2019" in ans.answer
    assert "纳扎尔巴耶夫" in (ans.search_query or "")


def test_search_is_insensitive_to_script(real_engine) -> None:
    simp = [h["chunk_id"] for h in real_engine.search("哈萨克斯坦 边界", k=5)]
    trad = [h["chunk_id"] for h in real_engine.search("哈薩克斯坦 邊界", k=5)]
    assert simp[0] == trad[0]


def test_outlets_that_disagree_are_both_cited_with_outlet_and_date(real_engine) -> None:
    """A death-toll question: RFA reports at least 164 dead (2022-01-11), Aljazeera 26 (2022-01-08)."""
    ans = real_engine.ask("哈萨克斯坦骚乱中有多少人遇难？")
    d = ans.to_dict()
    assert ans.answerable and "164" in ans.answer and "26人" in ans.answer
    assert {x["source"] for x in d["disagreements"]} == {"RFA 自由亚洲电台", "Aljazeera 半岛网"}
    assert "（2022-01-11）" in ans.answer and "（2022-01-08）" in ans.answer
    _check_contract(ans, real_engine)


def test_outlets_figures_are_compared_on_the_count_asked(real_engine) -> None:
    """RFA gives 164 dead and nearly 10,000 arrested in one sentence; Aljazeera gives 26 dead in one sentence
    and 4,266 arrested in another. A death-toll question sets 26 against 164, an arrests question 4266 against
    10000, whichever words they use."""
    for question in ("哈萨克斯坦动乱的遇难人数是多少？", "How many people were killed in the Kazakhstan unrest?"):
        ans = real_engine.ask(question)
        assert "164人" in ans.answer and "26人" in ans.answer and "4266" not in ans.answer, question
        assert {x["source"] for x in ans.to_dict()["disagreements"]} == {"RFA 自由亚洲电台", "Aljazeera 半岛网"}
    for question in ("2022年1月哈萨克斯坦动乱中有多少人被捕？", "How many people were arrested in Kazakhstan's January unrest?"):
        ans = real_engine.ask(question)
        assert "10000" in ans.answer and "4266" in ans.answer and "26人" not in ans.answer, question
        assert {x["source"] for x in ans.to_dict()["disagreements"]} == {"RFA 自由亚洲电台", "Aljazeera 半岛网"}
        _check_contract(ans, real_engine)


def test_a_count_typed_as_keywords_also_gets_both_outlets(real_engine) -> None:
    """No question word, as a search box gets it: RFA's nearly 10,000 arrested against Aljazeera's 4,266."""
    ans = real_engine.ask("哈萨克斯坦骚乱被捕人数")
    d = ans.to_dict()
    assert ans.answerable and "10000" in ans.answer and "4266" in ans.answer
    assert {x["source"] for x in d["disagreements"]} == {"RFA 自由亚洲电台", "Aljazeera 半岛网"}
    _check_contract(ans, real_engine)


def test_who_is_a_named_person_is_answered_with_their_role(real_engine) -> None:
    ans = real_engine.ask("王毅是谁？")
    assert ans.answerable and "国务委员兼外长王毅" in ans.answer.split("[1]")[0]
    _check_contract(ans, real_engine)


def test_an_outlet_the_question_names_narrows_the_search(real_engine) -> None:
    """"自由亚洲电台说…": only RFA's articles are searched, the answer says so and echoes the filter."""
    ans = real_engine.ask("自由亚洲电台说有多少人被捕？")
    d = ans.to_dict()
    assert ans.answerable and "10000" in ans.answer and "只看RFA 自由亚洲电台的报道" in ans.answer
    assert {c.source for c in ans.citations} == {"RFA 自由亚洲电台"} and d["filters"]["source"] == "RFA 自由亚洲电台"
    english = real_engine.ask("According to RFA, how many people died?")
    assert english.answerable and "164" in english.answer and "责编" not in english.answer  # not its credits line
    _check_contract(ans, real_engine)


def test_one_fact_gets_one_sentence_not_padding(real_engine) -> None:
    ans = real_engine.ask("哈萨克斯坦与俄罗斯的边界有多长？")
    assert ans.answerable and "7500" in ans.answer and len(re.findall(r"\[\d+\]", ans.answer)) == 1


def test_multi_part_question_answers_each_part(real_engine) -> None:
    ans = real_engine.ask("哈萨克和俄罗斯之间的陆上国界一共多长？科斯塔奈一带住了多少人？")
    assert ans.answerable and "7500" in ans.answer and "88万" in ans.answer
    _check_contract(ans, real_engine)


def test_a_multi_part_question_about_a_person_s_posts_answers_both_parts(real_engine) -> None:
    """The issue's own example: the posts Tokayev held are what the articles call him ("前外交部长、联合国前副秘书长"),
    not Masimov's posts, which share the question's words (担任过, 职务); the year is the year his predecessor
    stepped down."""
    ans = real_engine.ask("托卡耶夫之前担任过哪些职务，又是哪年上任的？")
    assert ans.answerable and "前外交部长、联合国前副秘书长托卡耶夫" in ans.answer and "2019" in ans.answer
    assert "马西莫夫" not in ans.answer
    _check_contract(ans, real_engine)


def test_another_outlet_s_day_must_date_the_same_event(real_engine) -> None:
    """"哈萨克斯坦政府是哪天辞职的？": Aljazeera dates the resignation (本周三); RFA's best sentence with a day dates a US
    spokesman's remarks ("普莱斯11日表示") and says nothing of a resignation, so the sources do not differ."""
    ans = real_engine.ask("哈萨克斯坦政府是哪天辞职的？")
    assert ans.answerable and "本周三宣布辞职" in ans.answer
    assert ans.disagreements == [] and "普莱斯" not in ans.answer
    _check_contract(ans, real_engine)


def test_a_count_given_in_round_numbers_is_not_set_against_another_count(real_engine) -> None:
    """"一月骚乱中有多少人受伤？": Aljazeera gives "数百人受伤" beside "26人…丧生"; the answering clause is the injured one
    (it says 受伤), which has no exact figure, so nothing is compared, and RFA's death toll is not offered as a
    different count of the injured."""
    ans = real_engine.ask("一月骚乱中有多少人受伤？")
    assert ans.answerable and "数百人受伤" in ans.answer
    assert ans.disagreements == [] and "164" not in ans.answer
    _check_contract(ans, real_engine)


def test_a_count_of_a_rare_kind_is_looked_for_below_the_top_passages(real_engine) -> None:
    """"How long will the CSTO troops stay in Kazakhstan, according to Putin?" (seeds unseen un-031): the top three passages give no
    duration, so the gate's rule would refuse; Putin's "一段“有限的”时间" stands in RFA's passage, fourth of five, and a
    duration is rare enough in news for the wider search to mean something (a day or a year is not searched for:
    nearly every passage gives one)."""
    ans = real_engine.ask("How long will the CSTO troops stay in Kazakhstan, according to Putin?")
    assert ans.answerable and "有限的" in ans.answer
    _check_contract(ans, real_engine)
    assert not real_engine.ask("What is Tokayev's date of birth?").answerable
