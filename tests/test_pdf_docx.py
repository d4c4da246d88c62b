"""PDF and Word files (issue 17, item 2): files the tests write themselves, with Chinese text on two pages, a
running header and footer with page numbers; metadata, reading order, page offsets and citations that name
their page; encrypted, scanned (image-only) and damaged files reported by name while the rest still build."""

from __future__ import annotations

import io
import shutil
import subprocess
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from fakes import hand_model
from servers import serve_in_thread

from rag.answer import ExtractiveAnswerer
from rag.api import create_app
from rag.engine import Engine, build
from rag.retrieval import Retriever
from rag.settings import Settings
from rag.sources import parse_bytes
from rag.sources.pdf import pdf_date
from rag.store import write
from rag.types import Article, page_of

ROOT = Path(__file__).resolve().parents[1]
KEY = "pdf-docx-key"
HEADER = "中亚观察 · 内部简报"
FOOTER = "仅供参考"
TITLE = "阿拉木图新航站楼正式启用"
PAGE1 = [
    "阿拉木图国际机场新航站楼于本周一正式投入使用，哈萨克斯坦交通部长在启用仪式上表示，新航站楼将大大缓解"
    "旧航站楼长期超负荷运转的压力，并为过境旅客提供更便捷的中转服务。",
    "新航站楼由一家土耳其公司承建，工程历时两年半，总面积约七万平方米，设有二十四个登机口和十二座登机桥。"
    "机场方面说，首批迁入新航站楼的是国际航班，国内航班将在下个月陆续迁入。",
    "当天上午，首个从新航站楼出发的航班飞往伊斯坦布尔，机场为首批旅客准备了纪念品。",
]
PAGE2 = [
    "机场管理公司的负责人介绍说，新航站楼的行李系统每小时可以处理三千件行李，安检通道增加到三十条，"
    "旅客从值机到登机的平均时间将缩短一半。他还说，航站楼内的商业面积扩大了一倍，引进了多家本地餐馆。",
    "分析人士认为，新航站楼的启用有助于阿拉木图成为中亚地区的航空枢纽，吸引更多国际航空公司开辟新航线。"
    "哈萨克斯坦政府近年来推行开放天空政策，外国航空公司获准经营更多往返哈萨克斯坦城市的航线。",
    "据介绍，新航站楼的设计年旅客吞吐量为1400万人次，是旧航站楼的三倍。",
]
QUESTION = "新航站楼的设计年旅客吞吐量是多少？"


def cjk_font() -> str:
    """A CJK font that fpdf2 can embed (Debian's fonts-noto-cjk, which scripts/test.sh installs)."""
    for p in ("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
              "/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc"):
        if Path(p).exists():
            return p
    found = subprocess.run(["fc-list", ":lang=zh", "file"], capture_output=True, text=True).stdout if shutil.which(
        "fc-list") else ""
    for line in found.splitlines():
        path = line.split(":")[0].strip()
        if path.endswith((".ttf", ".otf", ".ttc")):
            return path
    pytest.fail("no CJK font to write the test PDFs: install Debian's fonts-noto-cjk (scripts/test.sh does)")


def make_pdf(pages: list[list[str]], *, title: str | None = TITLE, author: str | None = "李明",
             running: bool = True, image_only: bool = False) -> bytes:
    """A PDF of these pages (each a list of paragraphs), wrapped at 30 characters a line by fpdf2."""
    from fpdf import FPDF

    class Doc(FPDF):
        def header(self) -> None:
            if running:
                self.set_font("cjk", size=9)
                self.cell(0, 6, HEADER, align="C")
                self.ln(12)

        def footer(self) -> None:
            if running:
                self.set_y(-15)
                self.set_font("cjk", size=9)
                self.cell(0, 6, f"{FOOTER} · 第 {self.page_no()} 页", align="C")

    pdf = Doc(format=(148, 210))  # A5, in mm
    pdf.add_font("cjk", fname=cjk_font(), collection_font_number=2)  # 2: simplified Chinese in Noto CJK
    pdf.set_creation_date(datetime(2024, 3, 18, 9, 30, tzinfo=UTC))
    if title:
        pdf.set_title(title)
    if author:
        pdf.set_author(author)
    for paras in pages:
        pdf.add_page()
        if image_only:
            from PIL import Image

            img = io.BytesIO()
            Image.new("RGB", (200, 120), (230, 230, 230)).save(img, format="PNG")
            pdf.image(img, x=20, y=30, w=100)
            continue
        pdf.set_font("cjk", size=11)
        for p in paras:
            pdf.multi_cell(0, 7, p, wrapmode="CHAR", new_x="LMARGIN", new_y="NEXT")
            pdf.ln(3)
    return bytes(pdf.output())


def make_docx(*, core_title: str | None = "哈萨克斯坦春季播种进展") -> bytes:
    """A two-page Word file: a heading, paragraphs, a table, a page break; a running header and footer."""
    import docx

    doc = docx.Document()
    section = doc.sections[0]
    section.header.paragraphs[0].text = HEADER
    section.footer.paragraphs[0].text = FOOTER
    props = doc.core_properties
    props.title = core_title or ""
    props.author = "王芳" if core_title else ""
    props.created = datetime(2024, 4, 2, 8, 0, tzinfo=UTC)
    doc.add_heading("春播进度过半", level=1)
    doc.add_paragraph("哈萨克斯坦农业部说，截至四月底，全国春播面积已完成计划的百分之五十五。")
    table = doc.add_table(rows=2, cols=2)
    for r, (a, b) in enumerate([("作物", "面积（万公顷）"), ("小麦", "1260")]):
        table.cell(r, 0).text, table.cell(r, 1).text = a, b
    doc.add_page_break()
    doc.add_paragraph("北部各州的播种比往年晚了一周，原因是四月气温偏低。")
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()


def encrypt(data: bytes, user_password: str) -> bytes:
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(data)))
    writer.encrypt(user_password=user_password, owner_password="owner-secret", algorithm="AES-128")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


@pytest.fixture(scope="module")
def brief_pdf() -> bytes:
    return make_pdf([PAGE1, PAGE2])


def test_pdf_text_metadata_pages_and_running_lines(brief_pdf: bytes) -> None:
    (a,), problems = parse_bytes(brief_pdf, "brief.pdf")
    assert problems == []
    assert (a.id, a.title, a.author) == ("brief", TITLE, "李明")
    assert a.published == "2024-03-18T09:30:00+00:00"
    assert a.text.split("\n") == PAGE1 + PAGE2  # wrapped lines joined without spaces, paragraphs kept
    assert "内部简报" not in a.text and FOOTER not in a.text and "第 1 页" not in a.text  # header, footer dropped
    assert a.pages == (0, a.text.index(PAGE2[0]))
    assert page_of(a, 0) == 1 and page_of(a, a.pages[1] - 1) == 1 and page_of(a, a.pages[1]) == 2


def test_pdf_title_falls_back_to_the_first_line_then_the_file_name() -> None:
    (a,), _ = parse_bytes(make_pdf([["沙尘暴袭击阿斯塔纳", *PAGE1], PAGE2], title=None), "dust.pdf")
    assert a.title == "沙尘暴袭击阿斯塔纳" and a.text.startswith(PAGE1[0]) and a.author == "李明"
    (b,), _ = parse_bytes(make_pdf([PAGE1[:1]], title=None, author=None, running=False), "short-note.pdf")
    assert b.title == "short-note" and b.text == PAGE1[0] and b.pages == (0,) and b.author is None


def test_pdf_dates() -> None:
    assert pdf_date("D:20240318093000+08'00'") == "2024-03-18T09:30:00+08:00"
    assert pdf_date("D:20240318") == "2024-03-18T00:00:00"
    assert pdf_date("D:2024131899") is None and pdf_date("yesterday") is None and pdf_date(None) is None


def test_a_pdf_without_a_user_password_is_read() -> None:
    (a,), problems = parse_bytes(encrypt(make_pdf([PAGE1, PAGE2]), ""), "restricted.pdf")
    assert problems == [] and a.text.split("\n") == PAGE1 + PAGE2


def test_docx_text_metadata_and_order() -> None:
    (a,), problems = parse_bytes(make_docx(), "spring.docx")
    assert problems == []
    assert (a.id, a.title, a.author) == ("spring", "哈萨克斯坦春季播种进展", "王芳")
    assert a.published == "2024-04-02T08:00:00+00:00" and a.pages is None
    assert a.text.split("\n") == ["春播进度过半", "哈萨克斯坦农业部说，截至四月底，全国春播面积已完成计划的百分之五十五。",
                                  "作物 | 面积（万公顷）", "小麦 | 1260", "北部各州的播种比往年晚了一周，原因是四月气温偏低。"]
    assert HEADER not in a.text and FOOTER not in a.text
    (b,), _ = parse_bytes(make_docx(core_title=None), "untitled.docx")
    assert b.title == "春播进度过半" and b.text.startswith("哈萨克斯坦农业部说") and b.author is None


def _bad_files(folder: Path, good_pdf: bytes) -> dict[str, str]:
    """Write the unreadable files; name -> a word their reason must hold."""
    folder.mkdir(parents=True, exist_ok=True)
    bad = {"locked.pdf": (encrypt(good_pdf, "open-sesame"), "encrypted"),
           "scan.pdf": (make_pdf([[], []], running=False, image_only=True), "no text layer"),
           "broken.pdf": (b"%PDF-1.7\n1 0 obj <</Type /Catalog>> garbage \x00\xff" * 20, "damaged"),
           "broken.docx": (b"PK\x03\x04" + b"\x00garbage" * 50, "not a Word .docx file"),
           "old.docx": (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 600, "legacy Word .doc")}
    for name, (data, _) in bad.items():
        (folder / name).write_bytes(data)
    return {name: word for name, (_, word) in bad.items()}


def test_bad_files_are_reported_by_name_and_the_rest_build(tmp_path: Path, settings: Settings, fake_embedder,  # type: ignore[no-untyped-def]
                                                           brief_pdf: bytes) -> None:
    folder = tmp_path / "docs"
    expected = _bad_files(folder, brief_pdf)
    (folder / "brief.pdf").write_bytes(brief_pdf)
    (folder / "spring.docx").write_bytes(make_docx())
    report, problems = build(settings, [folder], embedder=fake_embedder)
    reasons = {Path(p.path).name: p.reason for p in problems}
    assert set(reasons) == set(expected), reasons
    for name, word in expected.items():
        assert word in reasons[name], (name, reasons[name])
    assert sorted(report.added) == ["brief", "spring"]
    snap = Engine.open(settings, embedder=fake_embedder).snapshot
    assert snap.articles["brief"].pages == (0, snap.articles["brief"].text.index(PAGE2[0]))  # kept by the store


def test_a_citation_into_page_two_names_page_two(settings: Settings, fake_embedder, brief_pdf: bytes) -> None:  # type: ignore[no-untyped-def]
    (brief,), _ = parse_bytes(brief_pdf, "brief.pdf")
    snap, _ = write(settings.index_dir, settings, fake_embedder, replace=[brief])
    model = hand_model()
    ans = ExtractiveAnswerer(settings, fake_embedder, model).answer(
        snap, QUESTION, Retriever(snap, fake_embedder, settings, model=model).candidates(QUESTION, 5))
    assert ans.answerable and "1400万人次" in ans.answer, ans.to_dict()
    c = ans.citations[0]
    art: Article = snap.articles[c.doc_id]
    assert art.text[c.start:c.end] == c.quote and "1400万人次" in c.quote
    assert c.page == 2 and c.to_dict()["page"] == 2


def test_upload_ask_and_cite_through_the_api(settings: Settings, fake_embedder, brief_pdf: bytes,  # type: ignore[no-untyped-def]
                                             tmp_path: Path) -> None:
    build(settings, [ROOT / "seeds"], embedder=fake_embedder)
    engine = Engine.open(settings.replace(api_key=KEY), embedder=fake_embedder)
    engine.extractive = ExtractiveAnswerer(engine.settings, fake_embedder, hand_model())
    engine.answerer = engine.extractive
    auth = {"authorization": f"Bearer {KEY}"}
    bad = _bad_files(tmp_path / "bad", brief_pdf)
    with serve_in_thread(create_app(engine.settings, engine)) as url:
        files = [("files", ("brief.pdf", brief_pdf, "application/pdf")),
                 ("files", ("spring.docx", make_docx(), "application/octet-stream")),
                 *[("files", (n, (tmp_path / "bad" / n).read_bytes(), "application/octet-stream")) for n in bad]]
        r = httpx.post(url + "/api/documents", files=files, headers=auth, timeout=60)
        assert r.status_code == 200, r.text
        body = r.json()
        assert sorted(body["indexed"]) == ["brief", "spring"]
        reasons = {p["file"]: p["reason"] for p in body["problems"]}
        assert set(reasons) == set(bad) and all(w in reasons[n] for n, w in bad.items()), reasons

        r = httpx.post(url + "/api/documents", files=[("files", ("locked.pdf", encrypt(brief_pdf, "x"), "x/y"))],
                       headers=auth, timeout=60)
        assert r.status_code == 422 and "locked.pdf" in r.text and "encrypted" in r.text  # nothing else to index

        ans = httpx.post(url + "/api/ask", json={"question": QUESTION}, timeout=60).json()
        assert ans["answerable"], ans
        doc = httpx.get(url + "/api/documents/brief").json()
        assert doc["pages"] == [0, doc["text"].index(PAGE2[0])]
        for cite in ans["citations"]:  # each names the page its quote starts on
            assert doc["text"][cite["start"]:cite["end"]] == cite["quote"]
            assert cite["page"] == (1 if cite["start"] < doc["pages"][1] else 2)
        c = next(x for x in ans["citations"] if "1400万人次" in x["quote"])
        assert c["page"] == 2
        cited = httpx.get(url + "/api/citations/" + c["chunk_id"].replace("#", "%23")).json()
        assert cited["page"] == 2 and cited["start"] == c["start"]
        first = httpx.get(url + "/api/citations/brief%230").json()
        assert first["page"] == 1
        assert "page" not in httpx.get(url + "/api/citations/spring%230").json()


@pytest.mark.browser
def test_the_web_chat_shows_the_page_of_a_pdf_citation(settings: Settings, fake_embedder, brief_pdf: bytes) -> None:  # type: ignore[no-untyped-def]
    """The source list and the article panel name the page ("第2页 · p. 2"); screenshot pdf-page.png."""
    import os

    if os.environ.get("RAG_SKIP_BROWSER_TESTS") == "1":
        pytest.skip("RAG_SKIP_BROWSER_TESTS=1")
    from playwright.sync_api import expect, sync_playwright
    from test_browser import ARGS, CHROMIUM, Tab, ask, shot

    if not os.path.exists(CHROMIUM):
        pytest.fail(f"{CHROMIUM} is not installed: run scripts/test.sh, or set RAG_SKIP_BROWSER_TESTS=1")
    (brief,), _ = parse_bytes(brief_pdf, "brief.pdf")
    build(settings, [ROOT / "seeds"], embedder=fake_embedder)
    engine = Engine.open(settings.replace(api_key=KEY), embedder=fake_embedder)
    engine.upsert([brief])
    engine.extractive = engine.answerer = ExtractiveAnswerer(engine.settings, fake_embedder, hand_model())
    with serve_in_thread(create_app(engine.settings, engine)) as url, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        tab = Tab(browser, url, 1280, 900)
        try:
            page = tab.open()
            answer = ask(page, QUESTION)
            c = next(x for x in answer["citations"] if "1400万人次" in x["quote"])
            assert c["page"] == 2, answer
            msg = page.locator("#messages li.msg.assistant").last
            expect(msg.locator(f'.source-item[data-n="{c["n"]}"]')).to_contain_text("第2页 · p. 2")
            msg.locator(f'.answer-text .cite[data-n="{c["n"]}"]').first.click()
            expect(page.locator("#source-meta")).to_contain_text("第2页 · p. 2")
            expect(page.locator("#source-body")).to_contain_text("1400万人次")
            shot(page, "pdf-page.png")
            assert tab.errors == []
        finally:
            tab.close()
            browser.close()
