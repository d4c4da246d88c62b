"""The web chat's timeline view (issue 14, item 1) and a question that names a period (item 3), driven in Debian
chromium like a user: type the question, press send, read the page. Fixtures and helpers come from test_browser
(a real uvicorn server over the seed index); the screenshot goes to artifacts/screenshots/timeline.png."""

from __future__ import annotations

import re
from typing import Any

import httpx
import pytest
from test_browser import ask, browser, expect, shot, tabs  # noqa: F401  (browser and tabs are fixtures)

pytestmark = pytest.mark.browser

Q_TIMELINE = "哈萨克斯坦骚乱的经过是怎样的？"
Q_PERIOD = "2022年1月哈萨克斯坦骚乱中有多少人被捕？"


def test_a_timeline_question_is_shown_as_a_timeline(tabs: Any, server_url: str) -> None:  # noqa: F811
    tab = tabs(1280, 1000)
    page = tab.open()
    answer = ask(page, Q_TIMELINE, via="button")
    events = answer.get("timeline") or []
    assert answer["answerable"] is True and len(events) >= 3, answer

    msg = page.locator("#messages li.msg.assistant").last
    items = msg.locator("ol.timeline > li.tl-event")
    expect(items).to_have_count(len(events))
    # one item per event, in date order, with its date, its badge when inferred, its text and its markers
    shown = items.locator(".tl-date").all_text_contents()
    assert shown == [e["date"] for e in events] and shown == sorted(shown)
    expect(msg.locator("ol.timeline .tl-badge")).to_have_count(sum(1 for e in events if e["inferred"]))
    for i, e in enumerate(events):
        item = items.nth(i)
        expect(item.locator(".tl-text")).to_contain_text(e["text"])
        expect(item.locator(".cite")).to_have_count(len(e["citations"]))
        assert ("inferred" in (item.get_attribute("class") or "")) is e["inferred"]
    # a vertical list: each event below the one before
    tops = [items.nth(i).bounding_box()["y"] for i in range(len(events))]  # type: ignore[index]
    assert tops == sorted(tops) and len(set(tops)) == len(tops)
    # the event lines are not shown twice: the answer text keeps the heading
    text = msg.locator(".answer-text").inner_text()
    assert "按日期排列" in text and events[0]["text"] not in text
    # the sources list gives each source's outlet and publication date
    for c in answer["citations"]:
        expect(msg.locator(f'.source-item[data-n="{c["n"]}"] .src-meta')).to_contain_text(c["published"][:10])

    # a marker of an inferred event opens its article with the cited sentence highlighted
    inferred = next(i for i, e in enumerate(events) if e["inferred"])
    n = events[inferred]["citations"][0]
    citation = next(c for c in answer["citations"] if c["n"] == n)
    doc = httpx.get(f"{server_url.rstrip('/')}/api/documents/{citation['doc_id']}", timeout=30).json()
    assert doc["text"][citation["start"]:citation["end"]] == citation["quote"]
    marker = items.nth(inferred).locator(f'.cite[data-n="{n}"]')
    marker.click()
    panel = page.locator("#source-panel")
    expect(panel).to_be_visible()
    expect(marker).to_have_class(re.compile(r"\bactive\b"))
    expect(panel.locator("#source-title")).to_have_text(citation["title"])
    expect(panel.locator("#source-meta")).to_contain_text(citation["published"][:10])
    expect(panel.locator("#source-body mark.highlight").first).to_be_visible()
    assert "".join(panel.locator("#source-body mark.highlight").all_text_contents()) == citation["quote"]
    # the question, the heading and the first events in view
    page.locator("#messages li.msg.user").last.evaluate("el => el.scrollIntoView({block: 'start'})")
    page.wait_for_timeout(300)  # the panel's slide-in
    shot(page, "timeline.png")
    assert tab.errors == [], tab.errors


def test_a_question_that_names_a_period_says_it_narrowed_the_dates(tabs: Any) -> None:  # noqa: F811
    tab = tabs(1280, 900)
    page = tab.open()
    answer = ask(page, Q_PERIOD, via="enter")
    assert answer["answerable"] is True, answer
    assert "filters" not in tab.chat_requests[-1]  # the page sent no filter: the question named the period
    assert answer["filters"]["period"] == "2022年1月"
    msg = page.locator("#messages li.msg.assistant").last
    expect(msg.locator(".answer-text")).to_contain_text("只看2022年1月的报道")
    expect(msg.locator(".filters-used")).to_contain_text("2022-01-01 – 2022-01-31")
    expect(msg.locator(".filters-used")).to_contain_text("2022年1月")
    assert tab.errors == [], tab.errors
