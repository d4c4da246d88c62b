"""Chinese names an English question writes in pinyin (rag.names)."""

from __future__ import annotations

from rag.names import names_in, pinyin_names

RFA = ("中国国务委员兼外长王毅10日同俄罗斯外长拉夫罗夫通电话。毕竟2013年，中国国家主席习近平是在哈萨克斯坦首次提出"
       "“一带一路”倡议。")


def test_capitalised_pinyin_names_are_read_as_syllables() -> None:
    assert pinyin_names("Who did Wang Yi call in Russia?") == [("wang", "yi")]
    assert pinyin_names("In what year did Xi Jinping first propose the Belt and Road initiative?") == [("xi", "jin", "ping")]
    # not pinyin (Nazarbayev, Kazakhstan, Belt), or the question's first word
    assert pinyin_names("When did Nazarbayev step down in Kazakhstan?") == []
    assert pinyin_names("Beijing said what?") == []  # a question's first word is no name
    assert pinyin_names("What did Beijing say?") == [("bei", "jing")]


def test_names_are_found_in_a_run_of_characters_whatever_its_length() -> None:
    assert names_in([RFA], pinyin_names("Who did Wang Yi call?")) == ["王毅"]
    assert names_in([RFA], pinyin_names("When did Xi Jinping propose the Belt and Road?")) == ["习近平"]  # inside a long run
    assert names_in([RFA], pinyin_names("When did Li Peng visit?")) == []
    assert names_in([], pinyin_names("Who did Wang Yi call?")) == []
