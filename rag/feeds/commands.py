"""`rag feeds add URL [--interval S]`, `rag feeds list [--json]`, `rag feeds remove URL|ID`, `rag feeds poll`."""

from __future__ import annotations

import argparse
import json
import logging
import sys
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from rag.settings import Settings


def add_arguments(p: argparse.ArgumentParser) -> None:
    sub = p.add_subparsers(dest="feeds_command", required=True)
    a = sub.add_parser("add", help="add an RSS/Atom feed (`rag serve` polls it; `rag feeds poll` polls now)")
    a.add_argument("url")
    a.add_argument("--interval", type=float, default=None,
                   help="seconds between polls (default: RAG_FEED_INTERVAL, 900)")
    ls = sub.add_parser("list", help="the feeds and the status of each")
    ls.add_argument("--json", action="store_true")
    r = sub.add_parser("remove", help="remove a feed (its articles stay in the index)")
    r.add_argument("feed", help="the feed's URL or id")
    pl = sub.add_parser("poll", help="poll every feed once now and index what is new")
    pl.add_argument("--due", action="store_true", help="only the feeds whose interval has passed")
    pl.add_argument("--json", action="store_true")
    for q in (a, ls, r, pl):
        q.add_argument("--index", help="index directory (default: index/, or RAG_INDEX_DIR)")


def run(args: argparse.Namespace, settings: Settings) -> int:
    from rag.feeds.service import FeedService

    cmd = args.feeds_command
    if cmd == "poll":
        return _poll(args, settings)
    svc = FeedService(settings)
    if cmd == "add":
        row, new = svc.add(args.url, args.interval)
        print(f"{'added' if new else 'updated'} feed {row['id']} {row['url']} (every {row['interval']:g} s); "
              "`rag serve` polls it in the background, `rag feeds poll` polls it now")
        return 0
    if cmd == "remove":
        feed = svc.remove(args.feed)
        print(f"removed feed {feed.id} {feed.url}; the articles it brought stay in the index")
        return 0
    rows = svc.status()
    if args.json:
        print(json.dumps(rows, ensure_ascii=False, indent=2))
    elif not rows:
        print(f"no feeds in {settings.index_dir}/: add one with `rag feeds add URL`")
    for row in [] if args.json else rows:
        print(_describe(row))
    return 0


def _describe(row: dict[str, Any]) -> str:
    lines = [f"{row['id']}  {row['url']}  every {row['interval']:g} s" + (f"  ({row['title']})" if row["title"] else ""),
             f"    last poll {row['last_poll'] or 'never'}"
             + (f" (HTTP {row['last_status']})" if row["last_status"] else "")
             + f", last success {row['last_success'] or 'never'}; items: {row['items_seen']} seen, "
               f"{row['items_indexed']} indexed, {row['items_duplicate']} duplicate, {row['items_failed']} failed"]
    if row["last_error"]:
        lines.append(f"    error: {row['last_error']}")
    lines += [f"    page error: {e['url']}: {e['error']}" for e in row["page_errors"]]
    return "\n".join(lines)


def _poll(args: argparse.Namespace, settings: Settings) -> int:
    from rag.api.server import configure_logging
    from rag.embedding import load_embedder
    from rag.engine import Engine
    from rag.errors import IndexNotFound
    from rag.feeds.service import FeedService
    from rag.store import BuildReport
    from rag.types import Article

    svc = FeedService(settings)
    if not svc.state.feeds():
        print(f"no feeds in {settings.index_dir}/: add one with `rag feeds add URL`", file=sys.stderr)
        return 0
    if not logging.getLogger().handlers:  # a broken feed or page is logged (JSON lines on stderr) as in `rag serve`
        configure_logging("warning")
    engines: list[Engine] = []

    def upsert(articles: list[Article]) -> BuildReport:  # the model is loaded only when there is news
        if not engines:
            try:
                engines.append(Engine.open(settings))
            except IndexNotFound:  # the first poll builds the index
                engines.append(Engine(settings, load_embedder(settings), None))
            engines[0].background_merges = False  # a command runs its merges before it exits
        return engines[0].upsert(articles)

    svc.upsert = upsert
    reports = svc.poll_once(only_due=args.due)
    if args.json:
        print(json.dumps([r.to_dict() for r in reports], ensure_ascii=False, indent=2))
    for r in [] if args.json else reports:
        what = {"not_modified": "not modified (304)", "error": f"error: {r.error}"}.get(r.status, "ok")
        print(f"{r.feed_id} {r.url}: {what}; {r.items} items, {r.fetched} pages fetched, {len(r.added)} added, "
              f"{len(r.updated)} updated, {r.duplicates} duplicate, {r.failed} failed ({r.seconds:.1f} s)")
    return 3 if any(r.status == "error" or r.failed for r in reports) else 0
