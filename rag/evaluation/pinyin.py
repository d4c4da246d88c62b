"""Make the character-reading table (rag/models/pinyin.tsv): each Chinese character's pinyin, tones left out.

    .venv/bin/pip install pypinyin                  # the readings; not needed at run time
    .venv/bin/python -m rag.evaluation.pinyin      # write rag/models/pinyin.tsv (a second)

An English question writes a Chinese person's name in pinyin ("Wang Yi", "Xi Jinping"), which shares nothing with
the articles' 王毅 and 习近平: BM25 finds nothing and the encoder does not align names (rag.evaluation.glossary).
rag.names reads the articles' words back into pinyin with this table and finds them.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from rag.names import PINYIN_PATH

_FIRST, _LAST = 0x4E00, 0x9FFF  # CJK Unified Ideographs: the characters of modern Chinese


def rows() -> list[tuple[str, tuple[str, ...]]]:
    """(character, its toneless readings, most common first) for every character pypinyin reads in the block."""
    try:
        from pypinyin import Style, pinyin
        from pypinyin.constants import PINYIN_DICT
    except ImportError as e:
        raise SystemExit("rebuilding the reading table needs pypinyin: .venv/bin/pip install pypinyin") from e
    out = []
    for code in sorted(c for c in PINYIN_DICT if _FIRST <= c <= _LAST):
        ch = chr(code)
        readings = tuple(dict.fromkeys(r for r in pinyin(ch, style=Style.NORMAL, heteronym=True)[0] if r.isascii()))
        if readings:
            out.append((ch, readings))
    return out


def build(out: Path = PINYIN_PATH) -> int:
    table = rows()
    head = "# character -> toneless pinyin readings, most common first (python -m rag.evaluation.pinyin; pypinyin, MIT)"
    out.write_text(head + "\n" + "\n".join(f"{ch}\t{' '.join(r)}" for ch, r in table) + "\n", encoding="utf-8")
    return len(table)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=PINYIN_PATH)
    args = ap.parse_args(argv)
    print(f"wrote {build(args.out)} characters to {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
