"""Sentence vectors pooled from the passage pass (RAG_SENTENCE_VECTORS=pooled): span pooling, which passage a
unit takes its tokens from, the fallback to a pass of its own, and the index config that keeps the two apart."""

from __future__ import annotations

import hashlib
import unicodedata
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest

from rag import store
from rag.chunking import chunk_article, embedding_offset, embedding_text, sentence_units
from rag.errors import ConfigError, IndexMismatch
from rag.evaluation.runner import index_key
from rag.sentences import assign_units, pool_spans, span_tokens
from rag.settings import Settings
from rag.types import Article

PROMPT = "passage: "


def _char_vec(ch: str, dim: int = 16) -> np.ndarray:
    h = hashlib.blake2b(ch.encode(), digest_size=8).digest()
    return np.random.default_rng(int.from_bytes(h, "little")).normal(size=dim).astype(np.float32)


def _unit(v: np.ndarray) -> np.ndarray:
    return (v / np.linalg.norm(v)).astype(np.float32)


class CharTokenEmbedder:
    """One token per character of prompt + text, a window of `window` characters (the model's max length):
    the text's vector is the mean of its tokens, as e5's mean pooling is."""

    def __init__(self, window: int = 10_000, dim: int = 16):
        self.name, self.dim, self.window = "fake-char-tokens", dim, window
        self.documents: list[str] = []

    def _tokens(self, text: str) -> np.ndarray:
        return np.vstack([_char_vec(c, self.dim) for c in (PROMPT + text)[:self.window]])

    def encode_queries(self, texts: Sequence[str]) -> np.ndarray:
        return np.vstack([_unit(self._tokens(t).mean(0)) for t in texts])

    def encode_documents(self, texts: Sequence[str], progress: bool = False) -> np.ndarray:
        self.documents += list(texts)
        return np.vstack([_unit(self._tokens(t).mean(0)) for t in texts]) if texts else \
            np.zeros((0, self.dim), np.float32)

    def encode_documents_pooled(self, texts: Sequence[str], spans: Sequence[Sequence[tuple[int, int]]],
                                progress: bool = False) -> tuple[np.ndarray, list[np.ndarray]]:
        vecs, parts = [], []
        for t, sp in zip(texts, spans):
            tok = self._tokens(t)
            offsets = [(i, i + 1) for i in range(len(tok))]
            vecs.append(_unit(tok.mean(0)))
            parts.append(pool_spans(tok, offsets, [(s + len(PROMPT), e + len(PROMPT)) for s, e in sp]))
        return np.vstack(vecs), parts


def _article() -> Article:
    text = "".join(f"第{i}句话说的是编号为{i}的一件不同的事情。" for i in range(12))
    return Article(id="a1", title="一个标题", text=text)


def test_span_tokens_take_a_token_by_its_last_character() -> None:
    # "<s> ▁passage : ▁ 战 国 ▁《 战" as the e5 tokenizer splits "passage: 战国\n《战", special tokens (0, 0)
    offsets = [(0, 0), (0, 7), (7, 8), (8, 9), (9, 10), (10, 11), (11, 13), (13, 14), (0, 0)]
    got = span_tokens(offsets, [(9, 11), (12, 14), (20, 30)])
    assert [g.tolist() for g in got] == [[4, 5], [6, 7], []]  # "▁《" (the newline and 《) belongs to the 2nd


def test_pool_spans_is_the_normalised_mean_and_zero_without_tokens() -> None:
    tok = np.array([[1, 0], [0, 2], [0, 4], [3, 0]], np.float32)
    out = pool_spans(tok, [(0, 0), (0, 1), (1, 2), (2, 3)], [(0, 2), (2, 3), (5, 9)])
    assert np.allclose(out[0], _unit(np.array([0, 3], np.float32)))
    assert np.allclose(out[1], [1, 0])
    assert not out[2].any()


def test_a_unit_takes_the_passage_that_holds_most_of_it() -> None:
    windows = [(0, 100), (80, 180)]
    assert assign_units([(10, 50), (85, 95), (90, 130), (150, 180)], windows) == [0, 0, 1, 1]
    assert assign_units([(0, 150)], windows) == [None]  # wider than any window: a pass of its own
    assert assign_units([(200, 210)], windows) == [None]  # in no window


def test_the_embedding_text_offset_points_at_the_passage() -> None:
    a = _article()
    for title in ("一个标题", ""):
        for c in chunk_article(Article(id="x", title=title, text=a.text), 60, 20):
            assert embedding_text(title, c)[embedding_offset(title):] == c.text


def test_a_pooled_build_pools_each_unit_from_its_passage(tmp_path: Path) -> None:
    settings = Settings(index_dir=tmp_path / "i", chunk_size=60, chunk_overlap=20, sentence_vectors="pooled")
    emb, a = CharTokenEmbedder(), _article()
    snap, report = store.write(settings.index_dir, settings, emb, replace=[a])
    chunks = chunk_article(a, 60, 20)
    units = sentence_units(a.text, 60)
    assert report.pooled_sentences == len(units) and report.embedded_sentences == 0
    assert emb.documents == []  # one pass: passages only, no text embedded on its own
    rows = snap.sentences.rows(a.id)
    assert rows is not None
    for (s, e), v in zip(units, rows.vectors):  # the tokens of exactly the unit's characters
        assert np.allclose(v, _unit(np.vstack([_char_vec(ch) for ch in a.text[s:e]]).mean(0)), atol=1e-6)
    # the passage vector is the plain one
    plain = CharTokenEmbedder().encode_documents([embedding_text(a.title, c) for c in chunks])
    assert np.allclose(snap.vectors(list(range(len(snap)))), plain, atol=1e-6)


def test_a_unit_outside_the_model_window_gets_a_pass_of_its_own(tmp_path: Path) -> None:
    settings = Settings(index_dir=tmp_path / "i", chunk_size=60, chunk_overlap=20, sentence_vectors="pooled")
    a = _article()
    emb = CharTokenEmbedder(window=len(PROMPT) + len(a.title) + 1 + 30)  # only the first 30 chars of a passage
    snap, report = store.write(settings.index_dir, settings, emb, replace=[a])
    units = sentence_units(a.text, 60)
    assert 0 < report.embedded_sentences < len(units)
    assert report.embedded_sentences + report.pooled_sentences == len(units)
    rows = snap.sentences.rows(a.id)
    assert rows is not None and np.allclose(np.linalg.norm(rows.vectors, axis=1), 1.0, atol=1e-5)
    own = {a.text[s:e]: v for s, e, v in zip(rows.starts, rows.ends, rows.vectors) if a.text[s:e] in emb.documents}
    assert len(own) == report.embedded_sentences
    for text, v in own.items():
        assert np.allclose(v, CharTokenEmbedder().encode_documents([text])[0], atol=1e-6)


def test_pooled_needs_an_encoder_with_token_outputs(tmp_path: Path, fake_embedder) -> None:  # type: ignore[no-untyped-def]
    settings = Settings(index_dir=tmp_path / "i", sentence_vectors="pooled")
    with pytest.raises(ConfigError, match="RAG_SENTENCE_VECTORS=separate"):
        store.write(settings.index_dir, settings, fake_embedder, replace=[_article()])


def test_an_index_built_one_way_is_flagged_the_other_way(tmp_path: Path) -> None:
    pooled = Settings(index_dir=tmp_path / "i", sentence_vectors="pooled")
    separate = pooled.replace(sentence_vectors="separate")
    emb = CharTokenEmbedder()
    store.write(pooled.index_dir, pooled, emb, replace=[_article()])
    with pytest.raises(IndexMismatch, match="sentences: index has 'units/1\\+pooled/1', settings want 'units/1'"):
        store.load(pooled.index_dir, separate, emb.name, emb.dim)
    # and a build with the other setting re-embeds everything rather than reusing the pooled vectors
    _, report = store.write(separate.index_dir, separate, emb, replace=[_article()])
    assert report.embedded > 0 and report.embedded_sentences > 0 and report.pooled_sentences == 0
    assert store.load(separate.index_dir, separate, emb.name, emb.dim).config["sentences"] == "units/1"


def test_eval_caches_never_mix_the_two() -> None:
    emb = CharTokenEmbedder()
    s = Settings()
    assert index_key("d", s, emb) != index_key("d", s.replace(sentence_vectors="pooled"), emb)
    assert store.index_config(s, emb.name, emb.dim)["sentences"] == "units/1"  # existing indexes stay valid


@pytest.mark.slow
def test_the_real_encoder_pools_without_changing_the_passage_vector(real_embedder) -> None:  # type: ignore[no-untyped-def]
    title = "北京新闻"
    text = "今天北京下雪了。气温降到零下五度！市民出行请注意安全。"
    spans = sentence_units(text)
    assert len(spans) == 3
    passage = f"{title}\n{text}"
    shift = embedding_offset(title)
    plain = real_embedder.encode_documents([passage, text])
    vecs, parts = real_embedder.encode_documents_pooled([passage, text], [[(s + shift, e + shift) for s, e in spans],
                                                                          spans])
    assert np.array_equal(vecs, plain)  # the same passes, bit for bit
    assert parts[0].shape == (3, real_embedder.dim)
    assert np.allclose(np.linalg.norm(parts[0], axis=1), 1.0, atol=1e-5)
    # the tokens of each span spell exactly that sentence
    tok = real_embedder._model.tokenizer
    enc = tok(PROMPT + passage, return_offsets_mapping=True)
    pieces = tok.convert_ids_to_tokens(enc["input_ids"])
    for (s, e), idx in zip(spans, span_tokens(enc["offset_mapping"], [(s + shift + len(PROMPT), e + shift + len(PROMPT))
                                                                       for s, e in spans])):
        assert "".join(pieces[i] for i in idx).replace("▁", "") == unicodedata.normalize("NFKC", text[s:e])
    # a sentence's vector from its passage is close to, not equal to, its own pass
    own = real_embedder.encode_documents([text[s:e] for s, e in spans])
    cos = (own * parts[0]).sum(1)
    assert (cos > 0.75).all() and (cos < 0.9999).all()
