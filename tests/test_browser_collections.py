"""The collection picker in the web chat (Debian chromium through Playwright): it appears once there are two
collections, a question goes to the chosen one, and its citations open that collection's article."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from test_browser import SKIP_ASKED, Tab, ask, shot
from test_browser import browser as _browser  # noqa: F401 (the `browser` fixture)

if SKIP_ASKED:  # pragma: no cover
    pytest.skip("RAG_SKIP_BROWSER_TESTS=1", allow_module_level=True)
from playwright.sync_api import expect  # noqa: E402
from servers import serve_in_thread  # noqa: E402

from rag.api.app import create_app  # noqa: E402
from rag.engine import Engine  # noqa: E402

pytestmark = pytest.mark.browser
KEY = "browser-collections-key"
# the same id as a seeds article: ids are unique within a collection only
SAME_ID = "000_569cd607f5d77cb9"
SPORT = {"id": SAME_ID, "title": "阿斯塔纳足球俱乐部夺冠", "source": "体育日报", "published": "2023-11-05",
         "text": "阿斯塔纳足球俱乐部在哈萨克斯坦足球超级联赛最后一轮以三比一战胜卡拉干达矿工队，第七次夺得联赛冠军。"
                 "主教练表示，球队下赛季的目标是进入欧洲冠军联赛正赛。"}


@pytest.fixture(scope="module")
def two_collections(real_settings, real_engine, real_embedder, tmp_path_factory) -> Iterator[str]:  # type: ignore[no-untyped-def]
    index_dir = tmp_path_factory.mktemp("browser-coll") / "index"
    shutil.copytree(real_settings.index_dir, index_dir)
    s = real_settings.replace(index_dir=index_dir, api_key=KEY)
    with serve_in_thread(create_app(s, Engine.open(s, embedder=real_embedder))) as url:
        auth = {"Authorization": f"Bearer {KEY}"}
        httpx.post(url + "/api/collections", json={"name": "sport"}, headers=auth, timeout=60).raise_for_status()
        httpx.post(url + "/api/documents", json={"documents": [SPORT], "collection": "sport"}, headers=auth,
                   timeout=120).raise_for_status()
        yield url


def test_the_picker_sends_questions_to_the_chosen_collection(_browser, two_collections: str) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    tab = Tab(_browser, two_collections, 1280, 900)
    try:
        page = tab.open()
        picker = page.locator("#filter-collection")
        expect(picker).to_be_visible()
        expect(picker.locator("option")).to_have_count(2)
        picker.select_option("sport")
        answer: dict[str, Any] = ask(page, "阿斯塔纳足球俱乐部第几次夺得联赛冠军？")
        assert tab.chat_requests[-1].get("collection") == "sport"
        assert answer["answerable"] and {c["doc_id"] for c in answer["citations"]} == {SAME_ID}
        # the marker opens the sport collection's article, not the seeds article with the same id
        page.locator("#messages li.msg.assistant").last.locator(".answer-text .cite").first.click()
        expect(page.locator("#source-panel")).to_contain_text("第七次夺得联赛冠军")
        shot(page, "collections.png")
        # back to the default collection: a new conversation, and the seeds article under that id
        picker.select_option("default")
        expect(page.locator("#messages li.msg")).to_have_count(0)
        answer = ask(page, "哈萨克斯坦与俄罗斯的边界有多长？")
        assert "collection" not in tab.chat_requests[-1]
        assert any(c["doc_id"] == SAME_ID for c in answer["citations"])
        assert tab.errors == []
    finally:
        tab.close()
