"""Chinese names an English question writes in pinyin ("Wang Yi" -> 王毅, "Xi Jinping" -> 习近平).

An English question shares no words with Chinese passages; the glossary (rag.glossary) carries common words, and
the encoder carries the rest, but not names. A Chinese person's name in English is its pinyin, so the words of
the candidate passages that read as a name of the question (rag/models/pinyin.tsv, tones left out) are that
name: they join the question's search tokens. Foreign names transliterated into Chinese (托卡耶夫 for Tokayev)
do not read back this way and are left to the encoder.
"""

from __future__ import annotations

import re
from functools import cache, lru_cache
from pathlib import Path

PINYIN_PATH = Path(__file__).resolve().parent / "models" / "pinyin.tsv"
_NAME = re.compile(r"(?<![A-Za-z])[A-Z][a-z]+(?:[ -][A-Z][a-z]+)*(?![A-Za-z])")  # "Wang Yi", "Xi Jinping"


@lru_cache(maxsize=1)
def readings() -> dict[str, tuple[str, ...]]:
    """Character -> its toneless pinyin readings; empty without the table."""
    if not PINYIN_PATH.is_file():
        return {}
    out = {}
    for line in PINYIN_PATH.read_text(encoding="utf-8").splitlines():
        if line and not line.startswith("#"):
            ch, rs = line.split("\t")
            out[ch] = tuple(rs.split())
    return out


@lru_cache(maxsize=1)
def _by_reading() -> dict[str, str]:
    """Toneless pinyin syllable -> every character with that reading, as a regex character class's body."""
    out: dict[str, list[str]] = {}
    for ch, rs in readings().items():
        for r in rs:
            out.setdefault(r, []).append(ch)
    return {r: "".join(chs) for r, chs in out.items()}


def _split(word: str) -> tuple[str, ...] | None:
    """A lower-case word as pinyin syllables ("jinping" -> jin, ping), longest first; None if it is not pinyin."""
    syl = _by_reading()

    @cache
    def go(i: int) -> tuple[str, ...] | None:
        if i == len(word):
            return ()
        for j in range(min(len(word), i + 6), i, -1):
            if word[i:j] in syl and (rest := go(j)) is not None:
                return (word[i:j], *rest)
        return None

    return go(0)


def pinyin_names(question: str) -> list[tuple[str, ...]]:
    """The capitalised names of an English question that read as pinyin of two to four syllables, as syllables
    ("Who did Wang Yi call?" -> [("wang", "yi")]); a question's first word is no name."""
    out = []
    for m in _NAME.finditer(question):
        if m.start() == 0 and " " not in m.group(0):
            continue
        parts = [_split(w.lower()) for w in re.split(r"[ -]", m.group(0))]
        syl = tuple(s for p in parts if p is not None for s in p)
        if all(p is not None for p in parts) and 2 <= len(syl) <= 4:
            out.append(syl)
    return out


@lru_cache(maxsize=1024)
def _pattern(syl: tuple[str, ...]) -> re.Pattern[str]:
    """The Chinese words that read as these syllables, one character each (王毅 for wang yi)."""
    chars = _by_reading()
    return re.compile("".join(f"[{chars[s]}]" for s in syl))


def names_in(texts: list[str], names: list[tuple[str, ...]]) -> list[str]:
    """The Chinese words of `texts` that read as one of the pinyin `names` (pinyin_names), each once."""
    found: dict[str, None] = {}
    for syl in names:  # every syllable is a reading (_split): each has its characters
        pat = _pattern(syl)
        for text in texts:
            for m in pat.finditer(text):
                found.setdefault(m.group(0), None)
    return list(found)
