"""Split Chinese (and English) article text into sentences, and pack sentences into passages."""

from __future__ import annotations

import re

from rag.types import Article, Chunk

CHUNKER_VERSION = "sentences/1"  # bump when splitting changes: stored indexes must be rebuilt
_CLOSERS = "”’」』）)】》〉\"'"
# A sentence ends at 。！？；… (or ! ? ; and an English full stop before a space), plus any
# closing quotes or brackets that follow; a line break always ends a sentence.
_END = re.compile(
    rf"(?:[。！？；!?;]+|…+|\.(?=\s|$|[{re.escape(_CLOSERS)}]))[{re.escape(_CLOSERS)}]*"
    r"(?:[（(][^（()）。！？\n]{1,12}[）)])?|\n"  # a short attribution like （路透社） stays too
)
_SOFT = re.compile(r"[，、：,:—]")


def sentence_spans(text: str, start: int = 0, end: int | None = None) -> list[tuple[int, int]]:
    """(start, end) offsets of the sentences in text[start:end], whitespace trimmed."""
    end = len(text) if end is None else end
    spans: list[tuple[int, int]] = []
    pos = start
    for m in _END.finditer(text, start, end):
        _add(text, pos, m.end(), spans)
        pos = m.end()
    _add(text, pos, end, spans)
    return spans


def _add(text: str, s: int, e: int, spans: list[tuple[int, int]]) -> None:
    while s < e and text[s].isspace():
        s += 1
    while e > s and text[e - 1].isspace():
        e -= 1
    if e > s:
        spans.append((s, e))


def split_sentences(text: str) -> list[str]:
    """The sentences of a text."""
    return [text[s:e] for s, e in sentence_spans(text)]


def _limit(text: str, spans: list[tuple[int, int]], size: int) -> list[tuple[int, int]]:
    """Break sentences longer than `size` at commas, or hard at `size` as a last resort."""
    out: list[tuple[int, int]] = []
    for s, e in spans:
        while e - s > size:
            cut = None
            for m in _SOFT.finditer(text, s + size // 3, s + size):
                cut = m.end()
            cut = cut or s + size
            out.append((s, cut))
            s = cut
        if e > s:
            out.append((s, e))
    return out


def sentence_units(text: str, size: int = 250) -> list[tuple[int, int]]:
    """The units passages are packed from: sentences, with those longer than `size` cut at commas.

    Every passage is a run of whole units, so the units inside a passage's span are its sentences;
    the index stores one vector per unit for sentence-level answer scoring."""
    return _limit(text, sentence_spans(text), size)


def chunk_article(article: Article, size: int = 250, overlap: int = 60) -> list[Chunk]:
    """Pack whole sentences into passages of at most ~`size` characters.

    Consecutive passages share trailing sentences of up to `overlap` characters, so a fact
    that straddles a boundary is whole in one of them. `article.text[start:end] == chunk.text`.
    """
    text = article.text
    sents = sentence_units(text, size)
    chunks: list[Chunk] = []
    i = 0
    while i < len(sents):
        j = i
        while j + 1 < len(sents) and sents[j + 1][1] - sents[i][0] <= size:
            j += 1
        s, e = sents[i][0], sents[j][1]
        chunks.append(Chunk(id=f"{article.id}#{len(chunks)}", doc_id=article.id,
                            ordinal=len(chunks), start=s, end=e, text=text[s:e]))
        if j + 1 >= len(sents):
            break
        # Step back over trailing sentences that fit in the overlap, but always advance.
        k = j + 1
        while k - 1 > i and sents[j][1] - sents[k - 1][0] <= overlap:
            k -= 1
        i = k
    return chunks


def embedding_text(title: str, chunk: Chunk) -> str:
    """What the encoder sees for a passage: the title gives context that the quote does not repeat."""
    return f"{title}\n{chunk.text}" if title else chunk.text


def embedding_offset(title: str) -> int:
    """Where the passage's own text starts in `embedding_text(title, chunk)`."""
    return len(title) + 1 if title else 0
