"""Feed article extraction: the existing extractor (rag.sources, as rag/feeds/extract.py uses it) against
trafilatura, on news pages made from the seeds (tests/feed_pages.py) and on the seeds' own HTML bodies.

Text: character overlap with the reference text (what `rag build` reads from the seed file), as precision
(share of the extracted characters that belong to the article), recall (share of the article that was
extracted) and F1, from difflib's matching blocks over the texts without white space. Metadata: whether
title, date (day), outlet and author come out equal to the seed's. trafilatura is optional: install it
anywhere on PYTHONPATH (e.g. `pip install --target /tmp/t trafilatura`, then `PYTHONPATH=/tmp/t`).

    .venv/bin/python benchmarks/bench_feed_extract.py [--json artifacts/bench/feed_extract.json]
"""

from __future__ import annotations

import argparse
import difflib
import json
import re
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT))

from feed_pages import Seed, article_page, seeds  # noqa: E402

from rag.feeds.extract import EntryMeta, article_from_page, page_meta  # noqa: E402

_WS = re.compile(r"\s+")


def overlap(ref: str, out: str) -> tuple[float, float, float]:
    r, o = _WS.sub("", ref), _WS.sub("", out)
    if not r or not o:
        return 0.0, 0.0, 0.0
    same = sum(b.size for b in difflib.SequenceMatcher(None, r, o, autojunk=False).get_matching_blocks())
    p, rec = same / len(o), same / len(r)
    return p, rec, (2 * p * rec / (p + rec) if p + rec else 0.0)


def existing(page: str, url: str, scoped: bool) -> dict[str, Any]:
    meta = page_meta(page)
    if not scoped:
        meta.article_html = None
    a = article_from_page(page, url, "bench", EntryMeta(), meta)
    return {"text": a.text, "title": a.title, "date": a.published, "outlet": a.source, "author": a.author}


def trafilatura_extract(page: str, url: str) -> dict[str, Any] | None:
    try:
        import trafilatura
    except ImportError:
        return None
    doc = trafilatura.bare_extraction(page, url=url, with_metadata=True)
    if doc is None:
        return {"text": "", "title": None, "date": None, "outlet": None, "author": None}
    d = doc.as_dict() if hasattr(doc, "as_dict") else dict(doc)
    return {"text": d.get("text") or "", "title": d.get("title"), "date": d.get("date"),
            "outlet": d.get("sitename"), "author": d.get("author")}


def score(seed: Seed, got: dict[str, Any], page_has_meta: bool) -> dict[str, Any]:
    a = seed.article
    p, r, f = overlap(a.text, got["text"])
    def norm(s: str | None) -> str:
        return _WS.sub("", s or "")

    row: dict[str, Any] = {"precision": p, "recall": r, "f1": f}
    if page_has_meta:
        row.update(title=norm(got["title"]) == norm(a.title), date=(got["date"] or "")[:10] == (a.published or "")[:10],
                   outlet=norm(got["outlet"]) == norm(a.source), author=norm(got["author"]) == norm(a.author))
    return row


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--json", type=Path, default=ROOT / "artifacts" / "bench" / "feed_extract.json")
    args = ap.parse_args()
    cases = seeds()
    methods = {"existing (whole page)": lambda pg, u: existing(pg, u, scoped=False),
               "existing (the <article> element)": lambda pg, u: existing(pg, u, scoped=True),
               "trafilatura": trafilatura_extract}
    results: dict[str, dict[str, list[dict[str, Any]]]] = {}
    for setting in ("full page", "seed body only"):
        for name, fn in methods.items():
            if setting == "seed body only" and name == "existing (the <article> element)":
                continue  # the same as the whole page: a seed body has no <article> element
            rows = []
            for s in cases:
                url = f"http://127.0.0.1:8000/news/{s.article.id}"
                page = article_page(s, canonical=url) if setting == "full page" else s.body_html
                t0 = time.perf_counter()
                try:
                    got = fn(page, url)
                except Exception as exc:  # an extractor that fails on a page scores zero on it
                    got = {"text": "", "title": None, "date": None, "outlet": None, "author": None,
                           "error": f"{exc.__class__.__name__}: {exc}"}
                if got is None:
                    break
                row = score(s, got, setting == "full page")
                row.update(id=s.article.id, ms=(time.perf_counter() - t0) * 1000, chars=len(got["text"]))
                rows.append(row)
            if rows:
                results.setdefault(setting, {})[name] = rows

    print("| pages | extractor | precision | recall | F1 | title | date | outlet | author | ms/page |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for setting, by in results.items():
        for name, rows in by.items():
            n = len(rows)
            mean = {k: sum(r[k] for r in rows) / n for k in ("precision", "recall", "f1", "ms")}
            meta = [f"{sum(r[k] for r in rows)}/{n}" if k in rows[0] else "–"
                    for k in ("title", "date", "outlet", "author")]
            print(f"| {setting} ({n}) | {name} | {mean['precision']:.3f} | {mean['recall']:.3f} | {mean['f1']:.3f} | "
                  + " | ".join(meta) + f" | {mean['ms']:.1f} |")
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(results, ensure_ascii=False, indent=1), encoding="utf-8")
    print(f"\nper page: {args.json}")


if __name__ == "__main__":
    main()
