"""Chinese sentence splitting and passage packing with exact offsets."""

from __future__ import annotations

from pathlib import Path

from rag.chunking import chunk_article, split_sentences
from rag.sources import load_paths
from rag.types import Article

SEEDS = Path(__file__).resolve().parents[1] / "seeds"


def test_sentences_end_at_chinese_punctuation_and_keep_closing_quotes() -> None:
    text = "他说：“我们来了。”然后走了！真的吗？是的……好；再见\n新的一行"
    assert split_sentences(text) == ["他说：“我们来了。”", "然后走了！", "真的吗？", "是的……", "好；", "再见", "新的一行"]


def test_brackets_after_a_full_stop_stay_with_the_sentence() -> None:
    assert split_sentences("这是事实。（路透社）下一句。") == ["这是事实。（路透社）", "下一句。"]


def test_english_sentences_split_but_decimals_do_not() -> None:
    assert split_sentences("Prices rose 3.5 percent. Then they fell!") == ["Prices rose 3.5 percent.", "Then they fell!"]


def test_half_width_marks_inside_a_chinese_sentence_belong_to_names_and_markup() -> None:
    """An initial, an abbreviation or a band name's ! inside a Chinese sentence does not end it, nor does a ; in
    wiki markup; after Chinese, half-width ? ! ; still do, and an English sentence still splits."""
    assert split_sentences("计划由Andrew W. Mellon基金会主持。约翰·麦克阿瑟（John H. McArthur）任主席。") == [
        "计划由Andrew W. Mellon基金会主持。", "约翰·麦克阿瑟（John H. McArthur）任主席。"]
    assert split_sentences("包括TOKIO及Hey! Say! JUMP的作品。笔名S.G. Tallentyre。") == [
        "包括TOKIO及Hey! Say! JUMP的作品。", "笔名S.G. Tallentyre。"]
    assert split_sentences("又名-{zh-hans:猢狲树;zh-tw:猴面包树}-、酸瓠树。下一句。") == [
        "又名-{zh-hans:猢狲树;zh-tw:猴面包树}-、酸瓠树。", "下一句。"]
    assert split_sentences("是吗?我不知道!好; 再见。") == ["是吗?", "我不知道!", "好;", "再见。"]
    assert split_sentences("中文一句。He met them. Then he left.") == ["中文一句。", "He met them.", "Then he left."]


def test_an_aside_in_brackets_and_a_mixed_run_of_marks() -> None:
    """A mark inside brackets that close later in the sentence belongs to the aside; a 。 or a line break still
    ends the sentence, and so do unclosed brackets. A run of marks with a full-width one ("!？") ends a sentence
    even after Latin text."""
    assert split_sentences("鸡毛松（学名：'；毛利语：kahikatea）是罗汉松科的一种。用途广泛；木材可制成矛。") == [
        "鸡毛松（学名：'；毛利语：kahikatea）是罗汉松科的一种。", "用途广泛；", "木材可制成矛。"]
    assert split_sentences("（括号没有关上；后面。甲（乙。丙）丁。") == ["（括号没有关上；", "后面。", "甲（乙。", "丙）丁。"]
    assert split_sentences("注释（第一行；\n第二行）。") == ["注释（第一行；", "第二行）。"]
    assert split_sentences("他喊道OK!？然后走了。") == ["他喊道OK!？", "然后走了。"]
    assert split_sentences("《卡拉OK.LIVE！‧台北‧我》是第六张专辑。单行本名为《变男变女，变变变！》。") == [
        "《卡拉OK.LIVE！‧台北‧我》是第六张专辑。", "单行本名为《变男变女，变变变！》。"]


def test_brackets_are_read_once_so_hostile_text_splits_in_linear_time() -> None:
    """An aside of 40,000 characters full of marks is one sentence, and an unclosed bracket before 20,000
    clauses leaves each its own; the text is read once (a rescan per mark took 61 s for the first:
    docs/benchmarks.md, "An aside in brackets")."""
    aside = "（" + "甲；" * 20000 + "）"
    assert split_sentences(aside) == [aside]
    assert len(split_sentences("（" + "甲；乙" * 20000)) == 20001


def test_passages_reproduce_article_text_exactly_and_ids_are_stable() -> None:
    arts, _ = load_paths([SEEDS])
    for a in arts:
        chunks = chunk_article(a, size=250, overlap=60)
        assert [c.id for c in chunks] == [f"{a.id}#{i}" for i in range(len(chunks))]
        for c in chunks:
            assert a.text[c.start:c.end] == c.text
            assert c.doc_id == a.id
        # every sentence is inside some passage
        covered = set()
        for c in chunks:
            covered.update(range(c.start, c.end))
        assert all(i in covered for i, ch in enumerate(a.text) if not ch.isspace())
        assert chunk_article(a, 250, 60) == chunks  # deterministic


def test_passages_respect_size_and_overlap() -> None:
    sent = "这是一个十个字的句子。"  # 11 chars
    a = Article(id="x", title="t", text=sent * 30)
    chunks = chunk_article(a, size=60, overlap=25)
    assert all(len(c.text) <= 60 for c in chunks)
    for prev, nxt in zip(chunks, chunks[1:]):
        assert nxt.start < prev.end  # consecutive passages overlap
        assert prev.end - nxt.start <= 25
        assert nxt.start > prev.start  # and always advance


def test_a_sentence_longer_than_the_passage_size_is_split_at_commas() -> None:
    a = Article(id="y", title="t", text="，".join(["短语甲乙丙丁"] * 40) + "。")
    chunks = chunk_article(a, size=50, overlap=0)
    assert all(len(c.text) <= 50 for c in chunks)
    assert "".join(c.text for c in chunks) == a.text
