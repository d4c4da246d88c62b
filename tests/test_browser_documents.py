"""The documents view of the web page (Debian chromium through Playwright): the list with outlet, date,
collection and size, the filter box, upload through the file picker and through drag-and-drop with progress,
the server's per-file problems, delete with a confirmation dialog, and read-only without the API key (entered
once per browser session; a wrong key is refused and a 401 forgets it; writes disabled on the server say so).
Screenshots: artifacts/screenshots/documents.png and documents-readonly.png."""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from test_browser import SKIP_ASKED, Tab, shot
from test_browser import browser as _browser  # noqa: F401 (the `browser` fixture)

if SKIP_ASKED:  # pragma: no cover
    pytest.skip("RAG_SKIP_BROWSER_TESTS=1", allow_module_level=True)
from playwright.sync_api import Page, expect  # noqa: E402
from servers import serve_in_thread  # noqa: E402

from rag.api.app import create_app  # noqa: E402
from rag.engine import Engine  # noqa: E402

pytestmark = pytest.mark.browser
KEY = "browser-documents-key"
UPLOAD_TIMEOUT_MS = 60_000

NOTE_A = ("note-a.txt", "---\ntitle: 阿拉木图中央图书馆对公众开放\nsource: 城市晚报\ndate: 2024-03-02\n---\n"
          "阿拉木图市新建的中央图书馆周六对公众开放，馆内藏书超过四十万册。\n\n市政府表示，图书馆每天开放十二小时。\n")
NOTE_B = ("note-b.md", "---\ntitle: 里海春季捕鱼季开始\nsource: 沿海日报\ndate: 2024-04-15\n---\n"
          "里海沿岸的春季捕鱼季本周开始，渔民预计今年的鲟鱼捕捞量与去年持平。\n\n当地渔业部门加强了对禁捕区的巡查。\n")
NOTE_C = ("note-c.txt", "---\ntitle: 草原音乐节在阿斯塔纳举行\nsource: 文化周刊\ndate: 2024-06-20\n---\n"
          "第五届草原音乐节在阿斯塔纳举行，来自十二个国家的乐队参加了演出。\n")


@pytest.fixture(scope="module")
def docs_server(real_settings, real_embedder, real_engine, tmp_path_factory) -> Iterator[str]:  # type: ignore[no-untyped-def]
    """A server over a copy of the seeds index, with an API key and a second, empty collection `notes`."""
    index_dir = tmp_path_factory.mktemp("browser-docs") / "index"
    shutil.copytree(real_settings.index_dir, index_dir)
    s = real_settings.replace(index_dir=index_dir, api_key=KEY)
    with serve_in_thread(create_app(s, Engine.open(s, embedder=real_embedder))) as url:
        httpx.post(url + "/api/collections", json={"name": "notes"}, headers={"Authorization": f"Bearer {KEY}"},
                   timeout=60).raise_for_status()
        yield url


@pytest.fixture(scope="module")
def keyless_server(real_settings, real_embedder, real_engine, tmp_path_factory) -> Iterator[str]:  # type: ignore[no-untyped-def]
    """A server started without RAG_API_KEY: every write is refused with 403."""
    index_dir = tmp_path_factory.mktemp("browser-docs-keyless") / "index"
    shutil.copytree(real_settings.index_dir, index_dir)
    s = real_settings.replace(index_dir=index_dir, api_key=None)
    with serve_in_thread(create_app(s, Engine.open(s, embedder=real_embedder))) as url:
        yield url


def listed(url: str, collection: str = "default") -> dict[str, dict[str, Any]]:
    docs = httpx.get(url + "/api/documents", params={"collection": collection}, timeout=30).json()["documents"]
    return {d["id"]: d for d in docs}


def open_documents(tab: Tab) -> Page:
    """Open the page and switch to the documents view with the keyboard (the header button, Enter)."""
    page = tab.open()
    toggle = page.locator("#docs-toggle")
    expect(toggle).to_have_attribute("aria-pressed", "false")
    toggle.focus()
    page.keyboard.press("Enter")
    expect(toggle).to_have_attribute("aria-pressed", "true")
    expect(page.locator("#documents")).to_be_visible()
    expect(page.locator("#chat")).to_be_hidden()
    expect(page.locator("#docs-title")).to_be_focused()
    return page


def rows(page: Page) -> Any:
    return page.locator("#docs-rows tr.doc-row")


def enter_key(page: Page, key: str) -> None:
    page.locator("#docs-key-open").click()
    expect(page.locator("#key-input")).to_be_focused()
    page.locator("#key-input").fill(key)
    page.locator("#key-input").press("Enter")


def watch_progress(page: Page) -> None:
    """Record every state of the upload's progress bar and label (the page has no test hooks of its own)."""
    page.evaluate("""() => {
        window.__progress = [];
        if (window.__progressObserver) window.__progressObserver.disconnect();
        const bar = document.getElementById('upload-progress');
        const label = document.getElementById('upload-label');
        const note = () => window.__progress.push([bar.hasAttribute('value') ? Number(bar.value) : null,
                                                   label.textContent]);
        window.__progressObserver = new MutationObserver(note);
        window.__progressObserver.observe(document.getElementById('upload-status'),
            {attributes: true, subtree: true, childList: true, characterData: true});
    }""")


def drop_files(page: Page, target: str, files: list[dict[str, Any]]) -> None:
    """Drag files onto `target` as a user does: dragenter, dragover (the area lights up), drop. Each file is
    {name, text} or {name, size} (that many zero bytes)."""
    dt = page.evaluate_handle("""(files) => {
        const dt = new DataTransfer();
        for (const f of files) {
            const body = f.text !== undefined ? [f.text] : [new Uint8Array(f.size)];
            dt.items.add(new File(body, f.name, {type: f.text !== undefined ? 'text/plain' : ''}));
        }
        return dt;
    }""", files)
    el = page.locator(target)
    el.dispatch_event("dragenter", {"dataTransfer": dt})
    el.dispatch_event("dragover", {"dataTransfer": dt})
    if target != "#documents" and page.locator("#dropzone").is_visible():
        expect(page.locator("#dropzone")).to_have_class(re.compile(r"\bdragging\b"))
    el.dispatch_event("drop", {"dataTransfer": dt})


def unexpected(errors: list[str]) -> list[str]:
    """Console errors other than the refused requests the tests cause on purpose: checking a key sends an empty
    upload (422 once the key passes, 401 or 403 when it does not) and a stale key's delete gets a 401."""
    return [e for e in errors if not re.search(r"Failed to load resource: .*status of (401|403|422)", e)]


def is_upload(req: Any) -> bool:
    return (req.method == "POST" and req.url.endswith("/api/documents")
            and "multipart/form-data" in (req.headers.get("content-type") or ""))


def test_read_only_without_the_key_lists_and_filters(_browser, docs_server: str) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    expected = listed(docs_server)
    tab = Tab(_browser, docs_server, 1280, 900)
    uploads: list[Any] = []
    tab.page.on("request", lambda r: uploads.append(r) if is_upload(r) else None)
    try:
        page = open_documents(tab)
        expect(rows(page)).to_have_count(len(expected))
        expect(page.locator("#docs-count")).to_contain_text(f"共 {len(expected)} 篇")
        # every article with its outlet, date, collection and size (characters and passages)
        for doc_id, d in expected.items():
            row = page.locator(f'#docs-rows tr[data-doc="{doc_id}"]')
            expect(row.locator(".doc-open")).to_have_text(d["title"])
            if d.get("source"):
                expect(row.locator(".col-source")).to_have_text(d["source"])
            if d.get("published"):
                expect(row.locator(".col-date")).to_have_text(d["published"][:10])
            expect(row.locator(".col-collection")).to_have_text("默认 · Default")
            expect(row.locator(".col-size")).to_contain_text(f"{d['chars']:,} 字 / {d['n_passages']} 段")
        # read-only: no upload area, no delete buttons, and the way to enter the key
        expect(page.locator("#dropzone")).to_be_hidden()
        expect(page.locator(".doc-delete")).to_have_count(0)
        expect(page.locator("#docs-key-state")).to_contain_text("enter the API key to make changes")
        expect(page.locator("#docs-key-open")).to_be_visible()

        # the filter box narrows the list as the user types: by title, outlet or id
        some_id, some = next(iter(expected.items()))
        filt = page.locator("#docs-filter")
        filt.fill(some_id[:8])
        expect(rows(page)).to_have_count(sum(1 for i in expected if some_id[:8] in i))
        expect(page.locator("#docs-count")).to_contain_text(f"of {len(expected)}")
        word = some["title"][:4]
        filt.fill(word)
        want = sum(1 for d in expected.values() if word.lower() in f"{d['title']}\n{d.get('source') or ''}\n{d['id']}".lower())
        expect(rows(page)).to_have_count(want)
        filt.fill("没有这样的文章 zzz")
        expect(rows(page)).to_have_count(0)
        expect(page.locator("#docs-empty")).to_contain_text("No documents match the filter")
        assert "null" not in page.locator("#docs-empty").inner_text()
        filt.fill("")
        expect(rows(page)).to_have_count(len(expected))

        # a title opens the article in the source panel
        page.locator(f'#docs-rows tr[data-doc="{some_id}"] .doc-open').click()
        expect(page.locator("#source-panel")).to_be_visible()
        expect(page.locator("#source-title")).to_have_text(some["title"])
        page.locator("#close-source").click()

        # a file dropped on the read-only view is not uploaded (and does not replace the page)
        drop_files(page, "#documents", [{"name": "x.txt", "text": "正文。"}])
        expect(page.locator("#upload-result")).to_contain_text("Enter the API key to upload")
        assert "null" not in page.locator("#upload-result").inner_text()
        assert uploads == []
        shot(page, "documents-readonly.png")

        # the header button comes back to the chat
        page.locator("#docs-toggle").click()
        expect(page.locator("#chat")).to_be_visible()
        expect(page.locator("#documents")).to_be_hidden()
        assert tab.errors == []
    finally:
        tab.close()


def test_upload_filter_and_delete_with_the_key(_browser, docs_server: str) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    before = listed(docs_server)
    tab = Tab(_browser, docs_server, 1280, 900)
    uploads: list[Any] = []
    tab.page.on("request", lambda r: uploads.append(r) if is_upload(r) else None)
    try:
        page = open_documents(tab)
        expect(rows(page)).to_have_count(len(before))

        # a wrong key is refused and not kept; the right one opens the upload area and the delete buttons
        enter_key(page, "not-the-key")
        expect(page.locator("#key-error")).to_contain_text("Wrong API key")
        expect(page.locator("#dropzone")).to_be_hidden()
        assert page.evaluate("() => sessionStorage.length") == 0
        page.locator("#key-input").fill(KEY)
        page.locator("#key-input").press("Enter")
        expect(page.locator("#dropzone")).to_be_visible()
        expect(page.locator("#key-form")).to_be_hidden()
        expect(page.locator(".doc-delete")).to_have_count(len(before))
        # once per browser session: a reload keeps it (and the view: the address ends in #documents)
        assert page.url.endswith("#documents")
        page.reload()
        expect(page.locator("#documents")).to_be_visible()
        expect(page.locator("#dropzone")).to_be_visible()
        expect(page.locator("#docs-key-forget")).to_be_visible()

        # the file picker: one good file and one the server cannot read, which it names with the reason
        watch_progress(page)
        page.locator("#file-input").set_input_files([
            {"name": NOTE_A[0], "mimeType": "text/plain", "buffer": NOTE_A[1].encode()},
            {"name": "notes.xyz", "mimeType": "application/octet-stream", "buffer": b"?"},
        ])
        expect(page.locator("#upload-result")).to_contain_text("Indexed 1: 1 added", timeout=UPLOAD_TIMEOUT_MS)
        expect(page.locator(".upload-problems")).to_contain_text("notes.xyz")
        expect(page.locator(".upload-problems")).to_contain_text("unknown format .xyz")
        seen = page.evaluate("() => window.__progress")
        assert any(label.startswith("正在上传") for _, label in seen), seen
        assert any("indexing" in label for _, label in seen), seen
        assert seen[-1][0] == 100, seen
        expect(page.locator("#upload-progress")).to_have_attribute("value", "100")
        # the list shows the new article, marked, with its outlet, date and size
        expect(rows(page)).to_have_count(len(before) + 1)
        new = page.locator('#docs-rows tr[data-doc="note-a"]')
        expect(new).to_have_class(re.compile(r"\bfresh\b"))
        expect(new.locator(".doc-open")).to_have_text("阿拉木图中央图书馆对公众开放")
        expect(new.locator(".col-source")).to_have_text("城市晚报")
        expect(new.locator(".col-date")).to_have_text("2024-03-02")
        assert "Bearer " + KEY == uploads[-1].headers.get("authorization")

        # drag-and-drop: two files and a large one the server does not read, through a throttled upload so
        # that the progress bar moves
        cdp = tab.context.new_cdp_session(page)
        cdp.send("Network.enable")
        cdp.send("Network.emulateNetworkConditions", {"offline": False, "latency": 0, "downloadThroughput": -1,
                                                      "uploadThroughput": 1_500_000})
        watch_progress(page)
        drop_files(page, "#dropzone", [{"name": NOTE_B[0], "text": NOTE_B[1]}, {"name": NOTE_C[0], "text": NOTE_C[1]},
                                       {"name": "scan.bin", "size": 3_000_000}])
        expect(page.locator("#upload-result")).to_contain_text("Indexed 2: 2 added", timeout=UPLOAD_TIMEOUT_MS)
        cdp.send("Network.emulateNetworkConditions", {"offline": False, "latency": 0, "downloadThroughput": -1,
                                                      "uploadThroughput": -1})
        expect(page.locator(".upload-problems")).to_contain_text("scan.bin")
        assert "null" not in page.locator("#upload-result").inner_text()
        seen = page.evaluate("() => window.__progress")
        assert any("Uploading 3 file(s)" in label for _, label in seen), seen
        values = [v for v, _ in seen if v is not None]
        assert any(0 < v < 100 for v in values), seen  # the bar moved during the upload
        assert values == sorted(values), seen
        expect(rows(page)).to_have_count(len(before) + 3)
        expect(page.locator("#docs-rows tr.fresh")).to_have_count(2)
        now = listed(docs_server)
        assert {"note-a", "note-b", "note-c"} <= set(now) and now["note-b"]["source"] == "沿海日报"
        shot(page, "documents.png")

        # the filter box
        page.locator("#docs-filter").fill("note-")
        expect(rows(page)).to_have_count(3)
        page.locator("#docs-filter").fill("沿海日报")
        expect(rows(page)).to_have_count(1)
        page.locator("#docs-filter").fill("note-")

        # delete asks first: Cancel (and Escape) keep the article, Delete removes it
        delete_a = page.locator('#docs-rows tr[data-doc="note-a"] .doc-delete')
        delete_a.click()
        dialog = page.locator("#delete-dialog")
        expect(dialog).to_be_visible()
        expect(dialog).to_contain_text("阿拉木图中央图书馆对公众开放")
        expect(page.locator("#delete-cancel")).to_be_focused()
        shot(page, "documents-delete.png")
        page.locator("#delete-cancel").click()
        expect(dialog).to_be_hidden()
        expect(delete_a).to_be_focused()
        page.keyboard.press("Enter")
        expect(dialog).to_be_visible()
        page.keyboard.press("Escape")
        expect(dialog).to_be_hidden()
        assert "note-a" in listed(docs_server)
        delete_a.click()
        page.locator("#delete-confirm").click()
        expect(dialog).to_be_hidden()
        expect(rows(page)).to_have_count(2)
        expect(page.locator('#docs-rows tr[data-doc="note-a"]')).to_have_count(0)
        expect(page.locator("#docs-status")).to_contain_text("Deleted")
        assert "note-a" not in listed(docs_server)
        page.locator("#docs-filter").fill("")
        expect(rows(page)).to_have_count(len(before) + 2)

        # forgetting the key makes the view read-only again
        page.locator("#docs-key-forget").click()
        expect(page.locator("#dropzone")).to_be_hidden()
        expect(page.locator(".doc-delete")).to_have_count(0)
        assert page.evaluate("() => sessionStorage.length") == 0
        assert unexpected(tab.errors) == [], tab.errors
    finally:
        tab.close()


def test_uploads_go_to_the_chosen_collection_and_a_401_forgets_the_key(_browser, docs_server: str) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    default_before = listed(docs_server)
    tab = Tab(_browser, docs_server, 1280, 900)
    try:
        page = open_documents(tab)
        enter_key(page, KEY)
        expect(page.locator("#dropzone")).to_be_visible()
        # the view's picker follows the composer's and sets it
        picker = page.locator("#docs-collection")
        expect(picker).to_be_visible()
        picker.select_option("notes")
        expect(page.locator("#filter-collection")).to_have_value("notes")
        expect(page.locator("#docs-empty")).to_contain_text("No documents in this collection yet")
        expect(page.locator("#dropzone-collection")).to_have_text("notes")
        drop_files(page, "#dropzone", [{"name": NOTE_C[0], "text": NOTE_C[1]}])
        expect(page.locator("#upload-result")).to_contain_text("1 added", timeout=UPLOAD_TIMEOUT_MS)
        expect(rows(page)).to_have_count(1)
        expect(page.locator("#docs-rows .col-collection")).to_have_text("notes")
        assert set(listed(docs_server, "notes")) == {"note-c"}
        assert listed(docs_server).keys() == default_before.keys()
        picker.select_option("default")
        expect(rows(page)).to_have_count(len(default_before))

        # a key that has become wrong (changed on the server): the 401 is explained and the key forgotten
        page.evaluate("() => sessionStorage.setItem('rag-news.api-key', 'stale-key')")
        page.reload()
        expect(page.locator(".doc-delete").first).to_be_visible()
        page.locator(".doc-delete").first.click()
        page.locator("#delete-confirm").click()
        expect(page.locator("#delete-dialog")).to_be_hidden()
        expect(page.locator("#key-error")).to_contain_text("Wrong API key")
        expect(page.locator("#key-input")).to_be_focused()
        expect(page.locator(".doc-delete")).to_have_count(0)
        expect(page.locator("#dropzone")).to_be_hidden()
        assert page.evaluate("() => sessionStorage.getItem('rag-news.api-key')") is None
        assert listed(docs_server).keys() == default_before.keys()
        assert unexpected(tab.errors) == [], tab.errors
    finally:
        tab.close()


def test_writes_disabled_on_the_server_are_explained(_browser, keyless_server: str) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    tab = Tab(_browser, keyless_server, 1280, 900)
    try:
        page = open_documents(tab)
        expect(rows(page)).to_have_count(len(listed(keyless_server)))
        enter_key(page, "any-key")
        expect(page.locator("#key-error")).to_contain_text("Changes are disabled on the server")
        expect(page.locator("#dropzone")).to_be_hidden()
        expect(page.locator(".doc-delete")).to_have_count(0)
        assert page.evaluate("() => sessionStorage.length") == 0
        assert unexpected(tab.errors) == [], tab.errors
    finally:
        tab.close()


def test_phone_shows_one_card_per_article(_browser, docs_server: str) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    tab = Tab(_browser, docs_server, 390, 844, phone=True)
    try:
        page = open_documents(tab)
        expect(rows(page)).to_have_count(len(listed(docs_server)))
        first = rows(page).first
        # the table's columns become labelled lines of a card, inside the screen's width
        box = first.bounding_box()
        assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 390, box
        assert "来源 · Outlet" in first.locator(".col-source").evaluate("el => getComputedStyle(el, '::before').content")
        shot(page, "documents-phone.png")
        assert unexpected(tab.errors) == [], tab.errors
    finally:
        tab.close()
