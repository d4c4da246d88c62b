"""Make the country-name table (rag/models/countries.tsv) from ISO 3166 and its Chinese translations.

    .venv/bin/pip install pycountry                  # the ISO tables; not needed at run time
    .venv/bin/python -m rag.evaluation.countries    # write rag/models/countries.tsv (a second)

jieba tags many country names as people's names (哈萨克斯坦 nrt, 乌克兰 nr, 阿富汗 nr: 84 of the 300-odd
one-word names), so a sentence naming Kazakhstan looked like it held the answer to "who …?". The table gives
each country's English names and its Chinese names (the zh_CN, zh_TW and zh_HK translations, in simplified
script, and the short names news writes: NEWS_NAMES) so that rag.questions can read them as places.
"""

from __future__ import annotations

import argparse
import gettext
from pathlib import Path

from rag.countries import COUNTRIES_PATH
from rag.keywords import normalize

_LOCALES = ("zh_CN", "zh_TW", "zh_HK")
# the short names news writes that no ISO translation gives ("俄国在哈萨克哪个州招人？" names Russia)
NEWS_NAMES = {"RU": ("俄国",), "KZ": ("哈国",), "SA": ("沙特",), "KG": ("吉尔吉斯斯坦",)}
_ATTRS = ("name", "common_name", "official_name")


def rows() -> list[tuple[tuple[str, ...], tuple[str, ...]]]:
    """(English names, Chinese names) of each ISO 3166-1 country that has a Chinese translation."""
    return [(en, zh) for _, en, zh in coded_rows()]


def by_code() -> dict[str, str]:
    """Each country's first Chinese name (its name in rag/models/countries.tsv) by its ISO 3166-1 alpha-2 code."""
    return {code: zh[0] for code, _, zh in coded_rows()}


def coded_rows() -> list[tuple[str, tuple[str, ...], tuple[str, ...]]]:
    """(alpha-2 code, English names, Chinese names) of each ISO 3166-1 country that has a Chinese translation."""
    try:
        import pycountry
    except ImportError as e:
        raise SystemExit("rebuilding the country table needs pycountry: .venv/bin/pip install pycountry") from e
    tr = [gettext.translation("iso3166-1", pycountry.LOCALES_DIR, languages=[loc]) for loc in _LOCALES]
    out = []
    for c in pycountry.countries:
        en = tuple(dict.fromkeys(v for v in (getattr(c, a, None) for a in _ATTRS) if v))
        zh = tuple(dict.fromkeys(normalize(t.gettext(v)) for v in en for t in tr if t.gettext(v) != v))
        if zh:
            out.append((c.alpha_2, en, zh + NEWS_NAMES.get(c.alpha_2, ())))
    return out


def build(out: Path = COUNTRIES_PATH) -> int:
    table = rows()
    head = ("# country: English names (|) -> Chinese names (space), simplified script "
            "(python -m rag.evaluation.countries; ISO 3166-1 and its zh_CN/zh_TW/zh_HK translations from pycountry, "
            "LGPL-2.1)")
    lines = ["\t".join(["|".join(en), " ".join(zh)]) for en, zh in table]
    out.write_text(head + "\n" + "\n".join(lines) + "\n", encoding="utf-8")
    return len(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=COUNTRIES_PATH)
    args = ap.parse_args(argv)
    print(f"wrote {build(args.out)} countries to {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
