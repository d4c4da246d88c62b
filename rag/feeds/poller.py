"""Polling: fetch each due feed (conditional GET), fetch the pages of its new or changed items, extract their
articles, drop duplicates (canonical URL, content hash) and upsert the rest into the index. A broken feed or
page is recorded in the feed's status and logged; it never stops the other feeds or items."""

from __future__ import annotations

import hashlib
import logging
import re
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from typing import Any
from urllib.parse import urlsplit

import feedparser

from rag.errors import InputError, SourceError
from rag.feeds.extract import EntryMeta, article_from_page, decode_page, page_meta
from rag.feeds.fetch import Fetched, Fetcher, FetchError
from rag.feeds.state import MAX_ATTEMPTS, Feed, FeedState, Item
from rag.feeds.urls import canonical_url, doc_id_for
from rag.settings import Settings
from rag.store import BuildReport
from rag.types import Article

log = logging.getLogger("rag.feeds")
FEED_ACCEPT = "application/rss+xml, application/atom+xml, application/xml;q=0.9, text/xml;q=0.9, */*;q=0.1"
PAGE_ACCEPT = "text/html, application/xhtml+xml;q=0.9, */*;q=0.1"
BATCH = 8  # articles per index write while a feed is polled (a long first poll indexes as it goes)
_WS = re.compile(r"\s+")

Upsert = Callable[[list[Article]], BuildReport]
# what feedparser flags but reads correctly: a feed served as text/html or text/plain, or in an encoding other
# than the one its headers declare
_BENIGN = (feedparser.NonXMLContentType, feedparser.CharacterEncodingOverride)


@dataclass
class PollReport:
    """What one poll of one feed did."""

    feed_id: str
    url: str
    status: str = "ok"  # ok | not_modified | error
    error: str | None = None
    items: int = 0  # entries in the feed
    fetched: int = 0  # article pages fetched
    added: list[str] = field(default_factory=list)  # article ids
    updated: list[str] = field(default_factory=list)
    unchanged: int = 0
    duplicates: int = 0
    failed: int = 0  # items whose page could not be fetched, read or indexed
    seconds: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class _Pending:
    article: Article
    item: Item
    fingerprint: str


def content_hash(text: str) -> str:
    """The hash of an article's text without white space: the same story under two URLs has one hash."""
    return hashlib.sha256(_WS.sub("", text).encode()).hexdigest()[:16]


def _canonical(declared: str | None, page_url: str) -> str | None:
    """The page's canonical URL: its <link rel=canonical>, unless that names the site's home page (a common
    misconfiguration that would make every article one), else the URL it was served from."""
    try:
        own = canonical_url(page_url)
        if declared:
            canonical = canonical_url(declared, page_url)
            if urlsplit(canonical).path != "/" or urlsplit(own).path == "/":
                return canonical
        return own
    except InputError:
        return None


def _field(e: Any, key: str) -> Any:
    """An entry's own field (feedparser's FeedParserDict would answer `updated` with `published`, and warn)."""
    return dict.get(e, key)


def _fingerprint(e: Any) -> str:
    """What the feed says about an entry; when it changes (a new `updated` date, another title), the page is
    fetched again (conditionally)."""
    parts = [str(_field(e, k) or "") for k in ("id", "link", "title", "updated", "published")]
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:16]


class Poller:
    """Polls feeds into the index through `upsert` (Engine.upsert); one per thread that polls."""

    def __init__(self, settings: Settings, upsert: Upsert, state: FeedState | None = None,
                 fetcher: Fetcher | None = None, stop: threading.Event | None = None):
        self.settings = settings
        self.upsert = upsert
        self.state = state or FeedState(settings.index_dir)
        self.stop = stop or threading.Event()
        self.fetcher = fetcher or Fetcher(settings, stop=self.stop)  # a stop ends waits for a host's next slot

    def close(self) -> None:
        self.fetcher.close()

    def poll(self, feeds: Sequence[Feed]) -> list[PollReport]:
        """Poll these feeds, several at once (RAG_FEED_WORKERS); requests to one host stay spaced out."""
        if not feeds:
            return []
        if len(feeds) == 1:
            return [self.poll_feed(feeds[0])]
        with ThreadPoolExecutor(min(len(feeds), self.settings.feed_workers), thread_name_prefix="feed") as pool:
            return list(pool.map(self.poll_feed, feeds))

    def poll_due(self) -> list[PollReport]:
        now = time.time()
        return self.poll([f for f in self.state.feeds() if f.next_poll <= now])

    def poll_all(self) -> list[PollReport]:
        return self.poll(self.state.feeds())

    # -- one feed -------------------------------------------------------------------------------

    def poll_feed(self, feed: Feed) -> PollReport:
        t0 = time.perf_counter()
        report = PollReport(feed.id, feed.url)
        try:
            self._poll(feed, report)
        except Exception as exc:  # a bug or a broken index must not stop the other feeds
            log.exception("feed poll failed", extra={"feed_id": feed.id, "feed": feed.url})
            report.status, report.error = "error", f"{exc.__class__.__name__}: {exc}"
            self.state.record_poll(feed.id, status=None, error=report.error, ok=False)
        report.seconds = round(time.perf_counter() - t0, 3)
        log.info("feed polled", extra={"poll": report.to_dict()})
        return report

    def _fail(self, feed: Feed, report: PollReport, error: str, status: int | None) -> None:
        report.status, report.error = "error", error
        self.state.record_poll(feed.id, status=status, error=error, ok=False)
        log.warning("feed failed", extra={"feed_id": feed.id, "feed": feed.url, "error": error})

    def _poll(self, feed: Feed, report: PollReport) -> None:
        try:
            got = self.fetcher.get(feed.url, feed.etag, feed.last_modified, accept=FEED_ACCEPT)
        except FetchError as exc:
            self._fail(feed, report, str(exc), None)
            return
        if got.status == 304:
            report.status = "not_modified"
            self.state.record_poll(feed.id, status=304, error=None, ok=True)
            return
        parsed = feedparser.parse(got.content, response_headers={
            "content-location": got.url, "content-type": got.content_type or "application/xml"})
        broken = parsed.bozo and not isinstance(parsed.get("bozo_exception"), _BENIGN)
        if not parsed.entries and (broken or not parsed.version):
            reason = str(parsed.get("bozo_exception")) if broken else "no RSS or Atom elements in it"
            self._fail(feed, report, f"not a readable RSS/Atom feed ({reason[:200]})", 200)
            return
        if broken:  # feedparser read some entries of a broken feed: index them, and say so
            report.error = (f"the feed is malformed ({str(parsed.get('bozo_exception'))[:200]}); "
                            f"read {len(parsed.entries)} entries anyway")
            log.warning("feed is malformed", extra={"feed_id": feed.id, "feed": feed.url, "error": report.error})
        feed_title = (parsed.feed.get("title") or "").strip() or None
        pending: list[_Pending] = []
        ok = True
        for entry in parsed.entries:
            if self.stop.is_set():
                ok = False
                break
            report.items += 1
            p = self._entry(feed, feed_title, got.url, entry, report, pending)
            if p is not None:
                pending.append(p)
            if len(pending) >= BATCH:
                ok = self._flush(feed, pending, report) and ok
                pending = []
        ok = self._flush(feed, pending, report) and ok
        # the feed's validators are kept only when every item was handled: otherwise the next poll's 304
        # would hide the items that are still to do
        if ok:
            self.state.record_poll(feed.id, status=200, error=report.error, etag=got.etag,
                                   last_modified=got.last_modified, title=feed_title, ok=True)
        else:
            self._fail(feed, report, report.error or "stopped before every item was handled", 200)

    # -- one item -------------------------------------------------------------------------------

    def _entry(self, feed: Feed, feed_title: str | None, base: str, entry: Any, report: PollReport,
               pending: list[_Pending]) -> _Pending | None:
        link = str(_field(entry, "link") or _field(entry, "id") or "").strip()
        try:
            if not link:  # an empty link would resolve to the feed itself
                raise InputError("no link")
            key = canonical_url(link, base)
        except InputError:
            report.failed += 1
            log.warning("feed item without a usable link", extra={"feed_id": feed.id, "link": str(link)[:200]})
            return None
        fp = _fingerprint(entry)
        seen_fp = self.state.fingerprint(feed.id, key)
        item = self.state.item(key) or next((p.item for p in pending if p.item.key == key), None)
        changed = seen_fp is not None and seen_fp != fp
        if item is not None and not changed and not (item.status == "error" and item.attempts < MAX_ATTEMPTS):
            self.state.see(feed.id, key, fp)  # known (maybe from another feed): nothing to fetch
            return None
        refetch = item is not None and item.status != "error"
        try:
            page = self.fetcher.get(key, item.etag if refetch and item else None,
                                    item.last_modified if refetch and item else None, accept=PAGE_ACCEPT)
        except FetchError as exc:
            self._item_failed(feed, key, link, item, str(exc), fp, report)
            return None
        report.fetched += 1
        if page.status == 304 and item is not None:
            report.unchanged += 1
            self.state.see(feed.id, key, fp)
            return None
        entry_meta = EntryMeta(_field(entry, "title"), _field(entry, "published") or _field(entry, "updated"),
                               _field(entry, "author"), feed_title)
        try:
            return self._article(feed, key, page, entry_meta, fp, report, pending)
        except SourceError as exc:
            self._item_failed(feed, key, link, item, f"no article in the page: {exc}", fp, report)
            return None

    def _article(self, feed: Feed, key: str, page: Fetched, entry: EntryMeta, fp: str, report: PollReport,
                 pending: list[_Pending]) -> _Pending | None:
        html = decode_page(page.content, page.content_type)
        meta = page_meta(html)
        canonical = _canonical(meta.canonical, page.url) or key
        doc_id = doc_id_for(canonical)
        article = article_from_page(html, canonical, doc_id, entry, meta)
        limit = self.settings.max_article_chars
        if len(article.text) > limit:
            raise SourceError(f"the article is {len(article.text)} characters long; the limit is {limit} "
                              "(RAG_MAX_ARTICLE_CHARS)")
        h = content_hash(article.text)
        item = Item(key, page.url, "indexed", canonical, doc_id, h, etag=page.etag, last_modified=page.last_modified)
        same_text = self.state.indexed_as(content_hash=h) or next(
            (p.item for p in pending if p.item.content_hash == h), None)
        same_url = self.state.indexed_as(canonical=canonical) or next(
            (p.item for p in pending if p.item.canonical == canonical), None)
        if same_text is not None and same_text.doc_id != doc_id:  # the same text under another URL
            self._duplicate(feed, item, same_text, fp, report)
            return None
        if same_url is not None and same_url.key != key and same_url.content_hash == h:  # another link to it
            self._duplicate(feed, item, same_url, fp, report)
            return None
        return _Pending(article, item, fp)

    def _duplicate(self, feed: Feed, item: Item, of: Item, fp: str, report: PollReport) -> None:
        report.duplicates += 1
        self.state.put_item(Item(item.key, item.url, "duplicate", item.canonical, of.doc_id, item.content_hash,
                                 etag=item.etag, last_modified=item.last_modified))
        self.state.see(feed.id, item.key, fp)
        log.info("duplicate article skipped", extra={"feed_id": feed.id, "url": item.url, "duplicate_of": of.doc_id})

    def _item_failed(self, feed: Feed, key: str, url: str, item: Item | None, error: str, fp: str,
                     report: PollReport) -> None:
        report.failed += 1
        attempts = (item.attempts if item is not None and item.status == "error" else 0) + 1
        if item is not None and item.status != "error":  # a re-fetch failed: the indexed article stays
            self.state.put_item(Item(item.key, item.url, item.status, item.canonical, item.doc_id,
                                     item.content_hash, error, item.attempts, item.etag, item.last_modified))
        else:
            self.state.put_item(Item(key, url, "error", error=error, attempts=attempts))
        self.state.see(feed.id, key, fp)
        log.warning("article page failed", extra={"feed_id": feed.id, "url": url, "error": error,
                                                   "attempts": attempts})

    def _flush(self, feed: Feed, pending: list[_Pending], report: PollReport) -> bool:
        """Upsert the pending articles; record them as indexed, or as failed if the index write fails."""
        if not pending:
            return True
        arts: dict[str, Article] = {}
        for p in pending:
            arts[p.article.id] = p.article  # two links to one changed article: the later page wins
        try:
            built = self.upsert(list(arts.values()))
        except Exception as exc:
            log.exception("indexing feed articles failed", extra={"feed_id": feed.id, "articles": list(arts)})
            for p in pending:
                self._item_failed(feed, p.item.key, p.item.url, None, f"indexing failed: {exc}", p.fingerprint, report)
            report.error = f"indexing failed: {exc}"
            return False
        for p in pending:
            self.state.put_item(p.item)
            self.state.see(feed.id, p.item.key, p.fingerprint)
        report.added += [i for i in arts if i in built.added]
        report.updated += [i for i in arts if i in built.updated]
        report.unchanged += sum(1 for i in arts if i not in built.added and i not in built.updated)
        return True
