"""Parsing both seed page formats, plain files and JSONL; bad files are reported, not fatal."""

from __future__ import annotations

from pathlib import Path

import pytest

from rag.sources import html_to_paragraphs, load_paths, parse_bytes

SEEDS = Path(__file__).resolve().parents[1] / "seeds"


@pytest.fixture(scope="module")
def seeds() -> dict[str, object]:
    arts, problems = load_paths([SEEDS])
    assert problems == []
    return {a.id: a for a in arts}


def test_all_five_seed_articles_parse_with_ids_from_file_stems(seeds: dict) -> None:
    assert sorted(seeds) == sorted(p.stem for p in SEEDS.glob("*.txt"))
    assert len(seeds) == 5


def test_rfi_format_epoch_header(seeds: dict) -> None:
    a = seeds["000_569cd607f5d77cb9"]
    assert a.title == "哈萨克斯坦谴责俄军在该国招兵买马"
    assert a.url.startswith("https://www.rfi.fr/cn/")
    assert a.source == "RFI 法广"
    assert a.published == "2023-06-30T10:45:01+00:00"  # <!--1688121901000--> in UTC
    assert a.text.startswith("哈萨克斯坦首次承认俄罗斯试图招募")
    # share bar, the date stamp div and the image are not article text
    for noise in ("分享", "facebook", "whatsapp", "30/06/2023", "<", "hsktes.gif"):
        assert noise not in a.text


def test_rfa_format_drops_related_link_list_but_keeps_captions(seeds: dict) -> None:
    a = seeds["002_b1eebe35896f2b82"]
    assert a.title.startswith("中国强调绝不能让中亚生战生乱")
    assert a.url == "https://www.rfa.org/mandarin/yataibaodao/junshiwaijiao/cl-01112022133717.html"
    assert a.source == "RFA 自由亚洲电台"
    assert a.published.startswith("2022-01-11")
    # the list of links to other articles under the lead is gone
    assert "哈萨克斯坦开枪镇压民众" not in a.text
    assert "暂无华人伤亡" not in a.text
    assert "4000余人被捕" not in a.text
    # the image caption stays
    assert "被洗劫一空的电子产品商店" in a.text
    assert "自由亚洲电台记者蔡凌巴黎报导" in a.text


def test_aljazeera_front_matter_format(seeds: dict) -> None:
    a = seeds["001_e32b6f08af1d666b"]
    assert a.title == "乌克兰战争：哈萨克斯坦对俄罗斯冷淡吗？"
    assert a.url is None
    assert a.source == "Aljazeera 半岛网"
    assert a.author == "Aljazeera 半岛网"
    assert a.published == "2022-06-24T13:17:37+00:00"
    assert "肢解哈萨克斯坦" in a.text.splitlines()  # sub-heading kept as its own paragraph
    assert "顿巴斯不同地区处于哪方势力控制之下？" in a.text  # figure caption kept
    assert "<img" not in a.text and "wp-content" not in a.text


def test_paragraphs_are_clean_lines(seeds: dict) -> None:
    for a in seeds.values():
        lines = a.text.split("\n")
        assert all(line.strip() == line and line for line in lines), a.id


def test_html_cleaning_rules() -> None:
    html = ("<div><p>正文第一段。</p><script>alert(1)</script><p></p><ul><li><a href='/x'>相关文章一</a></li>"
            "<li><a href='/y'>相关文章二</a></li></ul><h3>小标题</h3><figure><img src='a.jpg'>"
            "<figcaption>图片说明</figcaption></figure><p>有<a href='/z'>链接</a>的段落也保留。</p>"
            "<div>分享 :</div><button>分享</button></div>")
    assert html_to_paragraphs(html) == ["正文第一段。", "小标题", "图片说明", "有链接的段落也保留。"]


def test_plain_markdown_html_and_jsonl_inputs() -> None:
    arts, probs = parse_bytes("# 标题一\n\n第一段。\n\n第二段。".encode(), "a.md")
    assert probs == [] and arts[0].title == "标题一" and arts[0].text == "第一段。\n第二段。"
    arts, _ = parse_bytes(b"<html><head><title>T</title></head><body><p>One.</p></body></html>", "b.html")
    assert arts[0].id == "b" and arts[0].title == "T" and arts[0].text == "One."
    jsonl = ('{"id": "n1", "title": "标题", "url": "https://www.rfi.fr/cn/x", "published": "2023-01-02", '
             '"author": "记者", "text": "正文。"}\n\nnot json\n{"id": "n2"}\n')
    arts, probs = parse_bytes(jsonl.encode(), "c.jsonl")
    assert [a.id for a in arts] == ["n1"]
    assert arts[0].source == "RFI 法广" and arts[0].published == "2023-01-02T00:00:00"
    assert [p.path for p in probs] == ["c.jsonl:3", "c.jsonl:4"]
    assert "invalid JSON" in probs[0].reason and "text" in probs[1].reason


@pytest.mark.parametrize("data,name,reason", [
    (b"", "empty.txt", "empty"),
    (b"\x89PNG\r\n\x1a\n\x00\x00", "pic.txt", "binary"),
    ("中文".encode("gbk") + b"\xff", "gbk.txt", "not UTF-8"),
    (b"hello", "notes.rtf", "unknown format"),
    (b"hello", "notes.docx", "not a Word .docx file"),  # PDF and Word files: tests/test_pdf_docx.py
    (b"<div><script>x</script></div>", "nothing.html", "no article text"),
])
def test_bad_files_are_reported_by_name_with_reason(data: bytes, name: str, reason: str) -> None:
    arts, probs = parse_bytes(data, name)
    assert arts == []
    assert probs[0].path == name and reason in probs[0].reason


def test_one_bad_file_does_not_stop_the_rest(tmp_path: Path) -> None:
    (tmp_path / "good.txt").write_text("好文章。", encoding="utf-8")
    (tmp_path / "bad.txt").write_bytes(b"\xff\xfe\x00\x00")
    arts, probs = load_paths([tmp_path])
    assert [a.id for a in arts] == ["good"]
    assert len(probs) == 1 and probs[0].path.endswith("bad.txt")


# --------------------------------------------------------------------------- front matter (PyYAML) and HTML titles

def _one(text: str, name: str = "a.md"):
    arts, probs = parse_bytes(text.encode(), name)
    assert probs == [], probs
    return arts[0]


def test_front_matter_values_stay_the_text_the_file_has() -> None:
    a = _one("---\ntitle: '它''s 标题'\nauthor: \"记者\"\ndate: 2022-06-24\nsource: 007\n---\n正文。\n")
    assert (a.title, a.author, a.source) == ("它's 标题", "记者", "007")  # quotes undone, digits stay text
    assert a.published == "2022-06-24T00:00:00"  # a YAML date is not turned into a date object
    assert _one("---\ntitle: 2024\ndate: 1688121901000\n---\n正文。\n").title == "2024"
    assert _one("---\ntitle: yes\ndate: 2022-06-24 13:17:37\n---\n正文。\n").published == "2022-06-24T13:17:37"
    a = _one("---\ntitle: T\ndate: 1688121901000\n---\n正文。\n")
    assert a.published == "2023-06-30T10:45:01+00:00"  # epoch ms, as in the RFI pages
    a = _one("---\ntitle:\nauthor:\n  name: X\ncategories:\n- 新闻\n- DW 德国之声\n---\n正文。\n", "stem.md")
    assert (a.title, a.author, a.source) == ("stem", None, "DW 德国之声")  # empty -> file stem; nested map ignored
    a = _one("---\n# only a comment\n---\n正文。\n", "c.md")
    assert (a.title, a.text) == ("c", "正文。")
    a = _one("标题\n\n正文。\n", "plain.md")  # no front matter at all
    assert (a.title, a.text) == ("标题", "正文。")


@pytest.mark.parametrize("text,reason", [
    ("---\ntitle: Breaking: news\n---\n正文。\n", "not valid YAML: mapping values are not allowed here (line 2)"),
    ("\n---\ntitle: T\nnot a field\n---\n正文。\n", "(line 4)"),
    ("---\njust a sentence\n---\n正文。\n", "must be 'key: value' lines"),
    ("---\ntitle: a\x01b\n---\n正文。\n", "not valid YAML"),
    ("---\ntitle: " + "[" * 3000 + "\n---\n正文。\n", "nested too deeply"),
])
def test_malformed_front_matter_is_a_problem_naming_file_and_reason(text: str, reason: str) -> None:
    arts, probs = parse_bytes(text.encode(), "fm.md")
    assert arts == [] and len(probs) == 1
    assert probs[0].path == "fm.md" and reason in probs[0].reason and "front matter" in probs[0].reason


def test_a_file_with_bad_front_matter_does_not_stop_the_rest(tmp_path: Path) -> None:
    (tmp_path / "bad.md").write_text("---\ntitle: a: b\n---\n正文。\n", encoding="utf-8")
    (tmp_path / "good.md").write_text("---\ntitle: 好\n---\n正文。\n", encoding="utf-8")
    arts, probs = load_paths([tmp_path])
    assert [(a.id, a.title) for a in arts] == [("good", "好")]
    assert len(probs) == 1 and probs[0].path.endswith("bad.md") and "line 2" in probs[0].reason


def test_html_title_from_title_element_else_first_h1() -> None:
    a = _one("<html><head><title>A &amp; B</title></head><body><h1>H</h1><p>One.</p></body></html>", "t.html")
    assert (a.title, a.text) == ("A & B", "H\nOne.")  # entities decoded; the h1 stays in the body
    a = _one("<body><svg><title>Share</title></svg><h1>中国<b>北京</b></h1><p>One.</p><h1>Two</h1></body>", "h.html")
    assert (a.title, a.text) == ("中国北京", "One.\nTwo")  # an icon's <title> is not the page's; first h1 leaves
    a = _one("<div><p>正文一。</p><p>正文二。</p></div>", "none.html")
    assert (a.title, a.text) == ("none", "正文一。\n正文二。")


def test_a_void_input_does_not_swallow_the_rest_of_the_page() -> None:
    html = "<form><input name=q></input>表单</form>搜索<p>正文。</p><input type=text><p>后文。</p>"
    assert html_to_paragraphs(html) == ["搜索", "正文。", "后文。"]


def test_package_exports_the_names_the_code_imports() -> None:
    import rag.sources

    assert sorted(rag.sources.__all__) == ["SourceProblem", "article_from_record", "html_to_paragraphs",
                                           "load_paths", "parse_bytes", "parse_jsonl"]
