"""Issue 14, items 1, 3 (a question's period) and 5: dates resolved from publication dates, periods in questions,
timelines, and "latest" questions. Unit tests with known values, then the API over a real uvicorn server."""

from __future__ import annotations

from datetime import date
from typing import Any

import httpx
import pytest

from rag.dates import event_date, mentions
from rag.periods import Period, find, is_latest
from rag.timeline import Dated, is_timeline, select, topic
from rag.types import Chunk, Hit

SAT = "2022-01-08T11:58:24+00:00"  # seeds/004: published on a Saturday


def resolved(text: str, published: str = SAT) -> list[tuple[str, str, bool]]:
    out = []
    for m in mentions(text, published):
        assert text[m.start:m.end] == m.text
        out.append((m.text, m.value, m.inferred))
    return out


# -- dates in article text -------------------------------------------------------------------------


def test_the_issue_examples() -> None:
    """"7日" and "上周日" in an article published on 2022-01-08 (a Saturday) are 2022-01-07 and 2022-01-02."""
    assert resolved("托卡耶夫7日补充称，已经恢复了大部分的“宪法秩序”。") == [("7日", "2022-01-07", True)]
    assert resolved("上周日，中亚最大的国家哈萨克斯坦爆发了抗议活动。") == [("上周日", "2022-01-02", True)]


@pytest.mark.parametrize(("text", "value", "inferred"), [
    ("该国政府在本周三宣布辞职", "2022-01-05", True),
    ("托卡耶夫宣布下周一为全国哀悼日", "2022-01-10", True),
    ("检察官在周四晚间的一份声明中说", "2022-01-06", True),
    ("星期六", "2022-01-08", True),  # a bare weekday: the most recent one on or before publication
    ("星期天", "2022-01-02", True),
    ("昨天", "2022-01-07", True),
    ("前天", "2022-01-06", True),
    ("据法新社今天报道", "2022-01-08", True),
    ("明天", "2022-01-09", True),
    ("10日为全国哀悼日", "2022-01-10", True),  # the 10th nearest to publication is this month's
    ("30日", "2021-12-30", True),  # ... and the 30th is last month's
    ("1月5日", "2022-01-05", True),
    ("12月30日", "2021-12-30", True),  # the year that puts it nearest to publication
    ("2 月 22 日", "2022-02-22", True),
    ("2022年1月5日", "2022-01-05", False),
    ("2022 年 1 月 9 日，在阿拉木图", "2022-01-09", False),
    ("2022-01-05", "2022-01-05", False),
    ("二〇二二年", None, None),  # Chinese-numeral years are not read
    ("2014 年，这两个地区脱离了战争", "2014", False),
    ("自去年8月阿富汗落入塔利班手中", "2021-08", True),
    ("2022年1月", "2022-01", False),
    ("on Monday", "2022-01-03", True),
    ("last Friday", "2022-01-07", True),
    ("next Monday", "2022-01-10", True),
    ("yesterday", "2022-01-07", True),
    ("January 5", "2022-01-05", True),
    ("5 January", "2022-01-05", True),
    ("January 5, 2022", "2022-01-05", False),
    ("in January 2022", "2022-01", False),
    ("抗议自新年起爆发", "2022-01-01", True),  # the 1 January nearest to publication
    ("元旦当天", "2022-01-01", True),
    ("on New Year's Day", "2022-01-01", True),
])
def test_date_resolution(text: str, value: str | None, inferred: bool | None) -> None:
    found = resolved(text)
    if value is None:
        assert found == []
    else:
        assert [(v, i) for _, v, i in found] == [(value, inferred)]


def test_last_friday_from_a_friday_is_a_week_back() -> None:
    # seeds/001, published Friday 2022-06-24: "上周五" is the St Petersburg forum, 2022-06-17
    assert resolved("上周五，哈萨克斯坦总统托卡耶夫坐在普京旁边", "2022-06-24T13:17:37+00:00") == [
        ("上周五", "2022-06-17", True)]


@pytest.mark.parametrize("text", ["今日俄罗斯电视台", "每周一开会", "3日内撤离", "为期3日", "时至今日", "日本",
                                  "农历新年", "中国新年", "新年贺词", "元旦献词", "新年快乐", "新年期间", "元旦前夕"])
def test_words_that_are_not_dates(text: str) -> None:
    assert resolved(text) == []


def test_relative_dates_need_a_publication_date() -> None:
    assert resolved("7日，上周日", "") == []
    assert resolved("新年", "") == []
    assert resolved("新年", "2022-12-20") == [("新年", "2023-01-01", True)]  # nearer than last January
    assert resolved("2022年1月5日", "") == [("2022年1月5日", "2022-01-05", False)]


def test_an_event_is_dated_by_its_earliest_precise_mention() -> None:
    m = event_date(mentions("以色列外交部8日表示，一名以色列人7日晚间在抗议活动中被杀害", SAT))
    assert m is not None and m.value == "2022-01-07"
    m = event_date(mentions("2022年，托卡耶夫7日表示", SAT))  # a day beats a year
    assert m is not None and m.value == "2022-01-07"
    assert event_date([]) is None


# -- periods in questions --------------------------------------------------------------------------

NEWEST = date(2023, 6, 30)  # the newest seed article
SEED_DAYS = [date(2022, 1, 8), date(2022, 1, 11), date(2022, 6, 24), date(2022, 9, 17), date(2023, 6, 30)]


def period(q: str) -> Period | None:
    return find(q, lambda: NEWEST, lambda: SEED_DAYS)


@pytest.mark.parametrize(("q", "start", "end", "relative"), [
    ("2022年1月哈萨克斯坦发生了什么？", "2022-01-01", "2022-01-31", False),
    ("2022年1月份的报道", "2022-01-01", "2022-01-31", False),
    ("2022年哈萨克斯坦和俄罗斯的关系", "2022-01-01", "2022-12-31", False),
    ("2022年1月5日至2022年1月10日", "2022-01-05", "2022-01-10", False),
    ("2022年1月5日至10日", "2022-01-05", "2022-01-10", False),
    ("1月5日至10日", "2022-01-05", "2022-01-10", False),  # the year of the seeds that hold those days
    ("What happened in January 2022?", "2022-01-01", "2022-01-31", False),
    ("What happened in 2022?", "2022-01-01", "2022-12-31", False),
    ("January 5-10, 2022", "2022-01-05", "2022-01-10", False),
    ("What did the news say last June?", "2022-06-01", "2022-06-30", True),
    ("上个月有什么新闻？", "2023-05-01", "2023-05-31", True),
    ("上個月有什麼新聞？", "2023-05-01", "2023-05-31", True),  # traditional script
    ("去年哈萨克斯坦有什么变化？", "2022-01-01", "2022-12-31", True),
    ("今年的报道", "2023-01-01", "2023-12-31", True),
    ("上周的报道", "2023-06-19", "2023-06-25", True),
    ("最近一周", "2023-06-24", "2023-06-30", True),
    ("last month", "2023-05-01", "2023-05-31", True),
])
def test_periods(q: str, start: str, end: str, relative: bool) -> None:
    p = period(q)
    assert p is not None and (p.start.isoformat(), p.end.isoformat()) == (start, end)
    assert (p.relative_to == NEWEST) is relative
    f = p.filters()
    assert (f.date_from, f.date_to) == (start, end)


@pytest.mark.parametrize("q", ["纳扎尔巴耶夫哪一年下台？", "2022年1月5日发生了什么？", "上周五发生了什么？",
                               "哈萨克斯坦一月的抗议最初是因为什么爆发的？", "Who is the president?", "30年内"])
def test_questions_without_a_period(q: str) -> None:
    assert period(q) is None


def test_what_the_answer_says_about_a_period() -> None:
    p = period("2022年1月哈萨克斯坦发生了什么？")
    assert p is not None and p.note(False) == "（只看2022年1月的报道）"
    assert p.note(True) == "(Only articles from January 2022.)"
    assert p.note(False, used=False) == "（2022年1月的报道中没有找到答案，已改为检索全部报道）"
    assert p.to_dict() == {"source": None, "date_from": "2022-01-01", "date_to": "2022-01-31", "period": "2022年1月",
                           "relative_to": None}
    p = period("上个月有什么新闻？")
    assert p is not None and p.note(False) == "（只看2023年5月的报道；“上个月”按最新报道的日期 2023-06-30 推算）"
    p = period("1月5日至10日")
    assert p is not None and p.note(False) == "（只看2022年1月5日至10日的报道；年份按收录的报道推断）"


def test_latest_questions() -> None:
    assert is_latest("哈萨克斯坦最新的消息是什么？") and is_latest("What is the latest on Kazakhstan?")
    assert is_latest("最近的报道怎么说？")
    assert not is_latest("最近几个月，有些哈萨克人因为什么罪名被判了刑？")


# -- timelines -------------------------------------------------------------------------------------


@pytest.mark.parametrize("q", ["哈萨克斯坦骚乱的经过是怎样的？", "哈萨克斯坦动乱的时间线", "事件先后顺序", "局势是怎么发展的？",
                               "哈薩克斯坦騷亂的經過", "What happened in Kazakhstan?", "Give me a timeline of the unrest",
                               "How did the unrest in Kazakhstan unfold?"])
def test_timeline_questions(q: str) -> None:
    assert is_timeline(q)


@pytest.mark.parametrize("q", ["经过谈判，双方达成了什么协议？", "纳扎尔巴耶夫哪一年下台？", "Who is the president?",
                               "What happened to Nazarbayev's nephew?", "What happened at Almaty airport?",
                               "王毅10号那天先后跟哪两位外长通了电话？"])
def test_not_timeline_questions(q: str) -> None:
    assert not is_timeline(q)


def test_the_topic_of_a_timeline_question() -> None:
    assert topic("哈萨克斯坦骚乱的经过是怎样的？") == "哈萨克斯坦骚乱"
    assert topic("How did the unrest in Kazakhstan unfold?") == "unrest in Kazakhstan"
    assert topic("What happened in Kazakhstan in ") == "Kazakhstan"


def dated(doc: str, text: str, day: str, relevance: float, inferred: bool = True, story: bool = True) -> Dated:
    chunk = Chunk(id=f"{doc}#0", doc_id=doc, ordinal=0, start=0, end=len(text), text=text)
    return Dated(Hit(chunk, 0.5), 0, len(text), text, day, inferred, relevance, f"{day}T00:00:00+00:00",
                 in_story=story)


def test_events_reported_by_several_articles_appear_once_in_date_order() -> None:
    wire = "上周日，中亚最大的国家哈萨克斯坦爆发了反对燃料价格上涨的抗议活动，随后演变为暴力。"
    events = select([
        dated("a", "该国政府在本周三宣布辞职，随后全国进入紧急状态。", "2022-01-05", 2.0),
        dated("a", wire, "2022-01-02", 3.0),
        dated("b", "上周日，中亚最大的国家哈萨克斯坦爆发了反对燃料价格上涨的抗议活动，随后演变为暴力、抢劫。", "2022-01-02", 1.0,
              inferred=False),
        dated("c", wire, "2022-01-09", 1.5),  # the same words on another day: another event
        dated("d", wire, "2022-01-02", -9.0, story=False),  # a low-ranked copy in another article: a citation
        dated("e", "哈萨克斯坦总统宣布辞职。", "2022-01-06", 9.0, story=False),  # not the story's: no event
        dated("a", "以色列外交部表示，一名以色列人遇害。", "2022-01-07", -5.0),  # far less relevant: left out
    ])
    assert [(e.date, [s.hit.chunk.doc_id for s in e.sentences]) for e in events] == [
        ("2022-01-02", ["a", "b", "d"]), ("2022-01-05", ["a"]), ("2022-01-09", ["c"])]
    assert events[0].inferred is False  # one of its articles gives the date in full
    assert select([dated("a", "x", "2022", 1.0) for _ in range(3)], limit=2) and select([]) == []


# -- through the API (a real uvicorn server over the seeds, the real model) --------------------------

Q_TIMELINE = "哈萨克斯坦骚乱的经过是怎样的？"


@pytest.fixture(scope="module")
def client(server_url: str):  # type: ignore[no-untyped-def]
    with httpx.Client(base_url=server_url, timeout=120) as c:
        yield c


def check_citations(client: httpx.Client, d: dict[str, Any]) -> None:
    """Every marker resolves to a citation whose quote is exactly its article's text[start:end]."""
    import re

    by_n = {c["n"]: c for c in d["citations"]}
    assert {int(n) for n in re.findall(r"\[(\d+)\]", d["answer"])} == set(by_n)
    for c in d["citations"]:
        doc = client.get(f"/api/documents/{c['doc_id']}").json()
        assert doc["text"][c["start"]:c["end"]] == c["quote"]


@pytest.mark.slow
def test_a_timeline_question_gets_dated_events_in_order(client: httpx.Client) -> None:
    d = client.post("/api/ask", json={"question": Q_TIMELINE}).json()
    assert d["answerable"] is True, d
    tl = d["timeline"]
    assert len(tl) >= 3 and set(tl[0]) == {"date", "inferred", "text", "citations"}
    dates = [e["date"] for e in tl]
    assert dates == sorted(dates)
    by_n = {c["n"]: c for c in d["citations"]}
    for e in tl:
        assert e["citations"] and all(n in by_n for n in e["citations"])
        assert f"{e['date']}{'（推断）' if e['inferred'] else ''} {e['text']}" in d["answer"]
        assert by_n[e["citations"][0]]["quote"] == e["text"]  # the line quotes its first source exactly
    check_citations(client, d)
    # the issue's example: seeds/004 (2022-01-08) dates the protests "上周日", 2022-01-02, inferred
    first = {(e["date"], e["inferred"]) for e in tl if "燃料价格上涨" in e["text"]}
    assert ("2022-01-02", True) in first, tl
    # sources carry their publication dates
    assert all(c["published"] for c in d["citations"])


@pytest.mark.slow
def test_an_event_two_outlets_report_appears_once_with_both_citations(client: httpx.Client,
                                                                      server_api_key: str) -> None:
    auth = {"Authorization": f"Bearer {server_api_key}"}
    copy = {"id": "wire-copy", "title": "哈萨克斯坦燃料抗议（通讯社稿）", "source": "通讯社", "published": "2022-01-09T08:00:00+00:00",
            "text": "上周日，中亚最大的国家哈萨克斯坦爆发了反对燃料价格上涨的抗议活动，随后演变为暴力、抢劫和冲突。\n"
                    "哈萨克斯坦总统托卡耶夫表示，局势已经稳定。"}
    r = client.post("/api/documents", json={"documents": [copy]}, headers=auth)
    assert r.status_code == 200, r.text
    try:
        d = client.post("/api/ask", json={"question": Q_TIMELINE}).json()
        by_n = {c["n"]: c for c in d["citations"]}
        protests = [e for e in d["timeline"] if "燃料价格上涨" in e["text"]]
        assert len(protests) == 1, d["timeline"]
        assert protests[0]["date"] == "2022-01-02"
        assert {by_n[n]["doc_id"] for n in protests[0]["citations"]} >= {"004_43fb4c2225c36c2c", "wire-copy"}
        check_citations(client, d)
    finally:
        assert client.delete("/api/documents/wire-copy", headers=auth).status_code == 200


@pytest.mark.slow
def test_a_question_that_names_a_period_narrows_the_dates_and_says_so(client: httpx.Client) -> None:
    d = client.post("/api/ask", json={"question": "2022年1月哈萨克斯坦骚乱中有多少人被捕？"}).json()
    assert d["answerable"] is True, d
    assert d["filters"] == {"source": None, "date_from": "2022-01-01", "date_to": "2022-01-31", "period": "2022年1月",
                            "relative_to": None}
    assert d["passages"] and all(p["published"].startswith("2022-01") for p in d["passages"])
    assert d["answer"].endswith("（只看2022年1月的报道）")
    check_citations(client, d)
    # an explicit filter wins: the question's period is not applied on top of it
    d = client.post("/api/ask", json={"question": "2022年1月哈萨克斯坦骚乱中有多少人被捕？",
                                      "filters": {"source": "RFA"}}).json()
    assert d["filters"]["source"] == "RFA" and "period" not in d["filters"]
    # relative to "now" means relative to the newest article (2023-06-30): last June is June 2022
    d = client.post("/api/ask", json={"question": "What did Tokayev say at the forum last June?"}).json()
    assert d["filters"]["date_from"] == "2022-06-01" and d["filters"]["relative_to"] == "2023-06-30"
    assert all(p["published"].startswith("2022-06") for p in d["passages"])
    assert "counted from the newest article, 2023-06-30" in d["answer"]


@pytest.mark.slow
def test_a_period_with_no_answer_searches_everything_and_says_so(client: httpx.Client) -> None:
    # the question's year is the event's, not the reports': no seed article was published in 2014
    d = client.post("/api/ask", json={"question": "2014年莫斯科吞并了哪里？"}).json()
    assert d["answerable"] is True and "克里米亚" in d["answer"], d
    assert "filters" not in d
    assert d["answer"].endswith("（2014年的报道中没有找到答案，已改为检索全部报道）")
    check_citations(client, d)


@pytest.mark.slow
def test_a_period_gives_way_to_the_whole_archive_when_an_article_outside_it_answers_better(client: httpx.Client) -> None:
    # "今年" counted from the newest article (2023-06-30) is 2023; the parade was cancelled in 2022's reports, and
    # the 2023 articles only restate the topic
    d = client.post("/api/ask", json={"question": "哈萨克今年5月9号还搞阅兵吗"}).json()
    assert d["answerable"] is True and "取消5月9日的胜利日阅兵" in d["answer"], d
    assert "filters" not in d
    assert d["answer"].endswith("（“今年”按最新报道的日期 2023-06-30 推算为2023年；2023年的报道中的答案不如全部报道的可信，"
                                "已改为检索全部报道）")
    check_citations(client, d)
    # a period dates the event; June's analysis names the alliance the January reports only mention
    d = client.post("/api/ask", json={"question": "2022年1月哈萨克动乱时，托卡耶夫请求哪个军事联盟派部队？"}).json()
    assert d["answerable"] is True and "集体安全条约组织" in d["answer"].split("[1]")[0], d
    assert d["answer"].endswith("（2022年1月的报道中的答案不如全部报道的可信，已改为检索全部报道）")
    # when the period's own article stays the best, the period holds (the arrests above)


@pytest.mark.slow
def test_a_period_does_not_answer_when_the_events_own_account_outside_it_lacks_the_fact(client: httpx.Client) -> None:
    # the statue fell in January 2022, but only June's analysis tells of it, and it says "多座城市"; January's photo
    # caption names 阿拉木图 for a looted shop, not for the statue
    d = client.post("/api/ask", json={"question": "2022年1月抗议者推倒纳扎尔巴耶夫雕像是在哪座城市？"}).json()
    assert d["answerable"] is False, d
    assert "filters" not in d
    # without the period the same refusal: the period does not make an answer the archive lacks
    assert client.post("/api/ask", json={"question": "抗议者推倒纳扎尔巴耶夫雕像是在哪座城市？"}).json()["answerable"] is False


@pytest.mark.slow
def test_latest_prefers_recent_articles_and_says_how_recent(client: httpx.Client) -> None:
    d = client.post("/api/ask", json={"question": "关于哈萨克斯坦和俄罗斯，最新的报道说了什么？"}).json()
    assert d["answerable"] is True, d
    newest = max(c["published"][:10] for c in d["citations"])
    assert d["answer"].endswith(f"（最新报道：{newest}）")
    assert newest == "2023-06-30"
    # every answer shows its sources' dates: the OpenAI-compatible text lists them too
    o = client.post("/v1/chat/completions", json={"model": "rag-news", "messages": [
        {"role": "user", "content": Q_TIMELINE}]}).json()
    assert "2022-01-08" in o["choices"][0]["message"]["content"]
    assert o["timeline"] and o["timeline"][0]["date"] <= o["timeline"][-1]["date"]


def test_a_period_keeps_only_the_events_inside_it() -> None:
    """"What happened in January 2022?": the background an article of that month recalls (2002, 2021-08) is not
    part of that month's timeline."""
    from datetime import date

    from rag.timeline import in_period

    jan = (date(2022, 1, 1), date(2022, 1, 31))
    assert in_period("2022-01-07", *jan) and in_period("2022-01", *jan) and in_period("2022", *jan)
    assert not in_period("2002", *jan) and not in_period("2021-08", *jan) and not in_period("2022-02-01", *jan)
    assert in_period("2021-12", date(2021, 12, 31), date(2022, 1, 2))


def test_an_outlet_is_named_in_any_medium_and_a_part_names_it_for_itself() -> None:
    """"半岛台" names 半岛网 (a reader swaps the medium); a multi-part question that names an outlet in one part only
    is asked of every outlet; two outlets named filter to neither."""
    from types import SimpleNamespace

    from rag.newsdesk import named_outlet

    class Archive:
        def outlets_and_dates(self) -> list[SimpleNamespace]:
            return [SimpleNamespace(source=s, published=None)
                    for s in ("Aljazeera 半岛网", "RFA 自由亚洲电台", "RFI 法广")]

    snap = Archive()
    assert named_outlet(snap, "半岛台报道的死亡人数是多少？") == ("Aljazeera 半岛网", "半岛台")  # type: ignore[arg-type]
    assert named_outlet(snap, "自由亚洲电台说有多少人被捕？") == ("RFA 自由亚洲电台", "自由亚洲电台")  # type: ignore[arg-type]
    assert named_outlet(snap, "半岛台和自由亚洲电台的报道分别是多少？") is None  # type: ignore[arg-type]
    assert named_outlet(snap, "扎图林暗示俄罗斯可能打哈萨克哪一块？法广报道说科斯塔奈俄裔占比多少？") is None  # type: ignore[arg-type]
    assert named_outlet(snap, "克里米亚半岛在哪里？") is None  # type: ignore[arg-type]
    # an acronym spelt out, a one-word name split: "Radio Free Asia" is RFA, "Al Jazeera" Aljazeera
    rfa = named_outlet(snap, "What death toll did Radio Free Asia give for the unrest?")  # type: ignore[arg-type]
    assert rfa is not None and rfa[0] == "RFA 自由亚洲电台"
    aj = named_outlet(snap, "How many arrests did Al Jazeera report?")  # type: ignore[arg-type]
    assert aj is not None and aj[0] == "Aljazeera 半岛网"
    assert named_outlet(snap, "Did Russia fight a real war in Kazakhstan?") is None  # type: ignore[arg-type]
