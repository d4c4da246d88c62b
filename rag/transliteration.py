"""Foreign names an English question writes in Latin letters, read against their Chinese transliterations
("Putin" -> 普京, "Kremlin" -> 克里姆林宫, "Zatulin" -> 扎图林).

A Chinese transliteration's pinyin (rag/models/pinyin.tsv) spells the name's sounds in other letters: 托卡耶夫 reads
tuokayefu for Tokayev. With the letters Chinese transliteration merges made one (v and w as f, k as g, t as d, p as b,
r as l, x and sh as s, j and zh as z, y as i) and the vowels dropped, the two skeletons agree (dgf and dgf). Over the
seventeen names in the seed articles that English questions ask about, the right Chinese name is within 0.34 of the
Latin one by skeleton edit distance and 0.45 by full edit distance (both per letter of the longer), and no other
name of the seeds is within both; Haidai (盖达伊, 0.5 by skeleton) is the one miss, and the Kremlin reads as 克里姆林
(宫, the palace, aside). Read against any run of characters, a short name also matches common words ("募当" as
Putin) unless the Chinese has one character a syllable of the Latin name (up to three more) and opens with the same
consonant. rag.gate reads a responder an English question names this way (`rag.responses.responder_en`).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import lru_cache

from rag.countries import countries
from rag.names import readings
from rag.questions import pos_tags

# the letters Chinese transliteration does not tell apart, merged; then, for the skeleton, the vowels dropped
_MERGED = (("zh", "z"), ("ch", "c"), ("sh", "s"), ("x", "s"), ("q", "c"), ("j", "z"), ("v", "f"), ("w", "f"),
           ("k", "g"), ("t", "d"), ("p", "b"), ("r", "l"), ("y", "i"), ("ng", "n"))
_VOWELS = re.compile(r"[aeiou]")
# measured on the seeds' names (module docstring): the right name within both, no other name within both
SKELETON_WITHIN = 0.34
LETTERS_WITHIN = 0.45


def _merged(text: str) -> str:
    text = text.lower()
    for a, b in _MERGED:
        text = text.replace(a, b)
    return text


@lru_cache(maxsize=8192)
def _spelled(chinese: str) -> str:
    """The Chinese word's pinyin, each character by its commonest reading, merged; "" if a character has none."""
    table = readings()
    if not chinese or any(c not in table for c in chinese):
        return ""
    return _merged("".join(table[c][0] for c in chinese))


def _distance(a: str, b: str) -> float:
    """Edit distance per letter of the longer."""
    row = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        prev, row[0] = row[0], i
        for j, cb in enumerate(b, 1):
            prev, row[j] = row[j], min(row[j] + 1, row[j - 1] + 1, prev + (ca != cb))
    return row[-1] / max(len(a), len(b), 1)


@lru_cache(maxsize=256)
def _latin(latin: str) -> tuple[str, str, int]:
    """The Latin name merged, its skeleton and its syllables (runs of vowels), read once for every run compared."""
    name = _merged(latin)
    return name, _VOWELS.sub("", name), len(re.findall(r"[aeiouy]+", latin.lower()))


def reads_as(latin: str, chinese: str) -> bool:
    """Whether the Chinese word transliterates the Latin name (one word: "Putin", "Kremlin")."""
    spelled = _spelled(chinese)
    name, skeleton, syllables = _latin(latin)
    if not spelled or not name:
        return False
    # one character a syllable (普京: pu-tin), and a name that opens with a consonant opens with it in Chinese too
    # (夫的言 does not read as Putin)
    if not syllables <= len(chinese) <= syllables + 3 or name[0] not in "aeiou" and name[0] != spelled[0]:
        return False
    return (_distance(skeleton, _VOWELS.sub("", spelled)) <= SKELETON_WITHIN
            and _distance(name, spelled) <= LETTERS_WITHIN)


_HAN_RUN = re.compile(r"[\u4e00-\u9fff]{2,}")


def readings_in_text(latin: str, text: str) -> list[str]:
    """The runs of two to six Chinese characters in `text` that transliterate `latin` ("托卡耶夫" for Tokayev)."""
    return [run[i:j] for run in _HAN_RUN.findall(text) for i in range(len(run) - 1)
            for j in range(i + 2, min(len(run), i + 6) + 1) if reads_as(latin, run[i:j])]


def names_read_in(latin: Sequence[str], sentence: str) -> set[str]:
    """The people's names (jieba's nr, no country) in the normalised sentence that one of the Latin words reads as:
    "托卡耶夫" for Tokayev; not a common word that reads so by chance ("对哈萨" as Dimash)."""
    read = [r for n in latin for r in readings_in_text(n, sentence)]
    return {w for w, flag in pos_tags(sentence) if flag.startswith("nr") and w not in countries()
            and any(w in r or r in w for r in read)}


def names_in_text(latin: str, text: str) -> bool:
    """Whether some run of two to six Chinese characters in `text` transliterates `latin`. A common word may read
    as a name by chance ("普通" as Putin), which only keeps a sentence; a name is never missed for want of a tag
    (jieba tags "向普京" as one name)."""
    for run in _HAN_RUN.findall(text):
        for i in range(len(run) - 1):
            for j in range(i + 2, min(len(run), i + 6) + 1):
                if reads_as(latin, run[i:j]):
                    return True
    return False
