"""Split Chinese (and English) article text into sentences, and pack sentences into passages."""

from __future__ import annotations

import re

from rag.keywords import CJK
from rag.types import Article, Chunk

CHUNKER_VERSION = "sentences/4"  # bump when splitting changes: stored indexes must be rebuilt
_CLOSERS = "”’」』）)】》〉\"'"
# A sentence ends at 。！？；… (or ! ? ; and an English full stop before a space), plus any
# closing quotes or brackets that follow; a line break always ends a sentence. Half-width marks inside a
# Chinese sentence are part of a name or markup, not an end (`_ends_here`).
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
    brackets = _Brackets(text, start, end)
    for m in _END.finditer(text, start, end):
        if brackets.holds(m.start()) or not _ends_here(text, pos, m.start(), m.end()):
            continue
        _add(text, pos, m.end(), spans)
        pos = m.end()
        brackets.sentence_ends(pos)
    _add(text, pos, end, spans)
    return spans


_LATIN = re.compile(r"[A-Za-z0-9]")
_RUN = re.compile(r"[。！？；!?;…]+")


def _ends_here(text: str, pos: int, at: int, after: int) -> bool:
    """Does the terminator text[at:after] end the sentence begun at `pos`? Full-width marks, ellipses and line
    breaks always do (sentence_spans first skips a mark inside brackets, `_Brackets`). Half-width . ! ? ; do after Chinese ("是吗?"), except a ; that runs on into Latin markup
    ("-{zh-hans:猢狲树;zh-tw:猴面包树}-"); after Latin text they do only in a sentence without Chinese, so an
    initial, an abbreviation or a name's ! inside a Chinese sentence ("Andrew W. Mellon基金会", "S.G.", "St. John",
    "Hey! Say! JUMP") is not an end."""
    run = _RUN.match(text, at, after)
    if text[at] == "\n" or (run is not None and any(ch not in ".!?;" for ch in run.group())):
        return True  # a line break, or a run of marks with a full-width one ("!？")
    mark = text[at]
    before = text[at - 1] if at > pos else ""
    if CJK.match(before):
        return not (mark == ";" and after < len(text) and _LATIN.match(text[after]))
    return not CJK.search(text, pos, at)


_OPENERS, _BRACKET_CLOSERS = "（(《〈", "）)》〉"
_BRACKET_OR_STOP = re.compile(r"[（()）《》〈〉。\n]")


class _Brackets:
    """Whether a mark stands inside brackets that close later in its sentence (before the next 。 or line break): a
    bracketed aside ("（学名：'；毛利语：kahikatea）") or a title ("《卡拉OK.LIVE！‧台北‧我》", "《变男变女，变变变！》") is
    part of its sentence, whatever marks it holds. The brackets
    are matched in one pass and read once, left to right (sentence_spans asks in increasing order), so hostile text
    costs linear time."""

    def __init__(self, text: str, start: int, end: int):
        self.text, self.end, self.read = text, end, start
        self.matched: set[int] = set()  # the openers whose closer comes before the next 。 or line break
        stack: list[int] = []
        for m in _BRACKET_OR_STOP.finditer(text, start, end):
            ch = m.group()
            if ch in _OPENERS:
                stack.append(m.start())
            elif ch in _BRACKET_CLOSERS:
                if stack:
                    self.matched.add(stack.pop())
            else:
                stack.clear()
        self.open: list[int] = []  # the brackets open at `read`, opened since the sentence began

    def sentence_ends(self, at: int) -> None:
        self.open, self.read = [], at

    def holds(self, at: int) -> bool:
        if at > self.read:
            for m in _BRACKET_OR_STOP.finditer(self.text, self.read, at):
                ch = m.group()
                if ch in _OPENERS:
                    self.open.append(m.start())
                elif ch in _BRACKET_CLOSERS and self.open:
                    self.open.pop()
            self.read = at
        return bool(self.open) and self.open[0] in self.matched


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
