"""The English-to-Chinese glossary: English questions' search tokens gain Chinese words the keyword index and the
scorer's coverage features can match (rag.glossary)."""

from __future__ import annotations

from pathlib import Path

import pytest

from rag import glossary
from rag.glossary import chinese_terms, load, question_tokens


def test_the_table_keeps_words_at_or_above_the_floor_nearest_first(tmp_path: Path) -> None:
    f = tmp_path / "g.tsv"
    f.write_text("# header\nfounded\t成立 创立 旗下\t0.930 0.912 0.870\nmisc\t所以\t0.880\n", encoding="utf-8")
    table = load(str(f), 0.91)
    assert table == {"founded": ("成立", "创立")}  # 旗下 and all of "misc" fall below the floor
    assert load(str(tmp_path / "missing.tsv"), 0.91) == {}  # no table: no expansion, no error


def test_english_question_tokens_gain_the_chinese_words_the_corpus_holds(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(glossary, "load", lambda *a, **k: {"founded": ("成立", "创立"), "born": ("出生",)})
    toks = question_tokens("When was the CSTO founded?")
    assert "founded" in toks and "成立" in toks and "创立" in toks
    assert question_tokens("When was the CSTO founded?", vocab={"成立"})[-1] == "成立"  # 创立: not in the corpus
    assert "创立" not in question_tokens("When was the CSTO founded?", vocab={"成立"})
    assert chinese_terms(["born", "founded", "born"]) == ["出生", "成立", "创立"]  # each once, in question order
    # a Chinese question is left alone, even with an English word in it
    assert not {"成立", "创立"} & set(question_tokens("集安组织是哪一年founded的？"))


def test_the_shipped_glossary_translates_common_words() -> None:
    table = load()
    assert len(table) > 1000
    for en, zh in (("refuse", "拒绝"), ("born", "出生"), ("president", "总统"), ("population", "人口")):
        assert zh in table[en], (en, table.get(en))


def test_an_english_question_finds_chinese_passages_by_keyword(real_engine) -> None:  # type: ignore[no-untyped-def]
    """Over the seeds, BM25 alone finds the passage on the airport for an English question only through the
    glossary (airport -> 机场)."""
    snap = real_engine.snapshot
    q = "Which airport did CSTO troops take control of?"
    plain = snap.keyword_search([t for t in question_tokens(q, snap.vocabulary) if t.isascii()], 10)
    expanded = snap.keyword_search(question_tokens(q, snap.vocabulary), 10)
    assert not plain
    texts = [snap.chunk_at(row).text for row, _ in expanded]
    assert any("机场" in t for t in texts[:3])


def test_request_phrases_are_not_search_terms() -> None:
    """"介绍一下托卡耶夫" asks about 托卡耶夫; 介绍 is how the request opens ("托卡耶夫介绍说" is no match for it)."""
    from rag.glossary import question_tokens

    assert "介绍" not in question_tokens("介绍一下托卡耶夫")
    assert "介绍" in question_tokens("托卡耶夫介绍了什么？")
    greeted = question_tokens("你好，请问一下，托卡耶夫是在哪个城市的经济论坛上表态的？谢谢")
    assert {"城市", "论坛"} <= set(greeted) and not {"你好", "谢谢"} & set(greeted)
    assert question_tokens("Can you tell me about Tokayev?") == ["tokayev"]
    assert "介绍" not in question_tokens("請問一下，介紹一下托卡耶夫")  # either script


def test_an_acronym_brings_the_chinese_names_news_writes_for_it(tmp_path: Path) -> None:
    from rag.glossary import acronyms

    table = acronyms()
    assert table["csto"] == ("集体安全条约组织", "集安组织") and "北约" in table["nato"]
    assert not [a for a in table if len(a) < 3]  # "un", "us": lower-cased, English words
    terms = chinese_terms(["how", "many", "csto", "peacekeepers"])
    assert {"集安", "组织"} <= set(terms) and "条约" not in terms  # the short name's words
    f = tmp_path / "a.tsv"
    f.write_text("# header\nabc\t甲乙丙 甲乙\n", encoding="utf-8")
    assert acronyms(str(f)) == {"abc": ("甲乙丙", "甲乙")}
    assert acronyms(str(tmp_path / "missing.tsv")) == {}


def test_a_full_organisation_name_gains_its_short_one() -> None:
    from rag.glossary import with_short_names

    assert with_short_names("集体安全条约组织哪年成立的？") == "集体安全条约组织（集安组织）哪年成立的？"
    assert with_short_names("集安组织哪年成立的？") == "集安组织哪年成立的？"  # the short name alone stays
    assert with_short_names("北大西洋公约组织（北约）东扩了吗？") == "北大西洋公约组织（北约）东扩了吗？"
    # a question in traditional script gains it too
    assert with_short_names("集體安全條約組織是哪一年成立的？") == "集體安全條約組織（集安组织）是哪一年成立的？"
