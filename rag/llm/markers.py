"""Rewrite citation markers while the LLM's text streams, so what the client sees is final.

The LLM cites passages by their position in the prompt. As text arrives, each marker is renumbered
1..N in order of first appearance, markers that point to no passage are dropped, `[1, 3]` or
`【1】` become `[1][3]`, leading and trailing whitespace is trimmed, and a leading `<think>...</think>`
block (reasoning models) is skipped. Joining every piece gives exactly the final answer text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

_OPEN, _CLOSE = "[［【", "]］】"
_INSIDE = frozenset("0123456789,，、;； ")
_MAX_MARKER = 24  # longest bracket content still considered a marker
_THINK_OPEN, _THINK_CLOSE = "<think>", "</think>"


@dataclass(frozen=True)
class Piece:
    """Either answer text, or a marker `[n]` (with `first` set on the first time n is cited)."""

    text: str
    n: int | None = None
    first: bool = False


@dataclass
class MarkerRewriter:
    """Feed LLM deltas, get rewritten pieces; `passage_of[n]` is the prompt passage (1-based) of `[n]`."""

    n_passages: int
    passage_of: dict[int, int] = field(default_factory=dict)
    removed: list[int] = field(default_factory=list)  # invalid passage numbers the LLM wrote
    _buf: str = ""  # undecided input: a partial marker or tag
    _ws: str = ""  # whitespace held back until more text follows
    _started: bool = False
    _thinking: bool = False
    _parts: list[str] = field(default_factory=list)

    @property
    def text(self) -> str:
        """The rewritten answer so far."""
        return "".join(self._parts)

    def feed(self, delta: str) -> list[Piece]:
        s, self._buf = self._buf + delta, ""
        out: list[Piece] = []
        i = 0
        while i < len(s):
            if self._thinking:
                j = s.find(_THINK_CLOSE, i)
                if j < 0:
                    self._buf = s[max(i, len(s) - len(_THINK_CLOSE) + 1):]
                    return out
                self._thinking, i = False, j + len(_THINK_CLOSE)
                continue
            if not self._started:
                rest = s[i:].lstrip()
                i = len(s) - len(rest)
                if not rest:
                    return out
                if rest.startswith(_THINK_OPEN):
                    self._thinking, i = True, i + len(_THINK_OPEN)
                    continue
                if _THINK_OPEN.startswith(rest):  # maybe "<thi" of "<think>": wait for more
                    self._buf = rest
                    return out
            j = next((k for k in range(i, len(s)) if s[k] in _OPEN), len(s))
            self._text(s[i:j], out)
            if j == len(s):
                return out
            k = j + 1
            while k < len(s) and s[k] in _INSIDE and k - j <= _MAX_MARKER:
                k += 1
            if k == len(s) and k - j <= _MAX_MARKER:  # the marker may continue in the next delta
                self._buf = s[j:]
                return out
            if s[k] in _CLOSE and re.search(r"\d", s[j + 1:k]):
                self._marker([int(x) for x in re.findall(r"\d+", s[j + 1:k])], out)
                i = k + 1
            else:
                self._text(s[j], out)
                i = j + 1
        return out

    def finish(self) -> list[Piece]:
        """Flush what is held back (an unfinished marker is plain text); trailing whitespace is dropped."""
        out: list[Piece] = []
        if self._buf and not self._thinking:
            self._text(self._buf, out)
        self._buf, self._ws = "", ""
        return out

    def _text(self, t: str, out: list[Piece]) -> None:
        t = self._ws + t
        if not self._started:
            t = t.lstrip()
        body = t.rstrip()
        self._ws = t[len(body):]
        if body:
            self._started = True
            self._emit(Piece(body), out)

    def _marker(self, numbers: list[int], out: list[Piece]) -> None:
        by_passage = {p: n for n, p in self.passage_of.items()}
        seen: set[int] = set()
        for p in numbers:
            if not 1 <= p <= self.n_passages:
                self.removed.append(p)
                continue
            if p in seen:
                continue
            seen.add(p)
            first = p not in by_passage
            if first:
                by_passage[p] = len(self.passage_of) + 1
                self.passage_of[by_passage[p]] = p
            if self._ws and self._started:
                self._emit(Piece(self._ws), out)
            self._ws = ""
            self._started = True
            self._emit(Piece(f"[{by_passage[p]}]", by_passage[p], first), out)

    def _emit(self, piece: Piece, out: list[Piece]) -> None:
        self._parts.append(piece.text)
        out.append(piece)
