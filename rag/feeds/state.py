"""Feed state in one small SQLite file beside the index (`<index_dir>/feeds.sqlite`): the feeds, their
ETag / Last-Modified, and every item seen (canonical URL, article id, content hash, page validators), so that
a restarted poller fetches nothing it has already indexed.

The index's garbage collector only removes names starting with seg-, manifest-, gen-, .tmp-, .merging- and
.CURRENT., so the file (and SQLite's feeds.sqlite-journal) is left alone.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rag.errors import NotFound

FILENAME = "feeds.sqlite"
MAX_ATTEMPTS = 3  # a page that failed this many times is not fetched again (until its feed entry changes)

_SCHEMA = """
CREATE TABLE IF NOT EXISTS feeds (
    id TEXT PRIMARY KEY, url TEXT UNIQUE NOT NULL, interval REAL NOT NULL, added REAL NOT NULL,
    title TEXT, etag TEXT, last_modified TEXT, last_poll REAL, last_success REAL, last_error TEXT,
    last_status INTEGER, next_poll REAL NOT NULL DEFAULT 0, polls INTEGER NOT NULL DEFAULT 0);
CREATE TABLE IF NOT EXISTS feed_items (
    feed_id TEXT NOT NULL, key TEXT NOT NULL, fingerprint TEXT NOT NULL, first_seen REAL NOT NULL,
    PRIMARY KEY (feed_id, key));
CREATE TABLE IF NOT EXISTS items (
    key TEXT PRIMARY KEY, url TEXT NOT NULL, canonical TEXT, doc_id TEXT, content_hash TEXT,
    status TEXT NOT NULL, error TEXT, attempts INTEGER NOT NULL DEFAULT 0, etag TEXT, last_modified TEXT,
    fetched REAL, indexed REAL);
CREATE INDEX IF NOT EXISTS items_by_hash ON items (content_hash);
CREATE INDEX IF NOT EXISTS items_by_canonical ON items (canonical);
"""


@dataclass(frozen=True)
class Feed:
    id: str
    url: str
    interval: float
    title: str | None = None
    etag: str | None = None
    last_modified: str | None = None
    next_poll: float = 0.0


@dataclass(frozen=True)
class Item:
    """What is known about one article link (keyed by its canonical URL)."""

    key: str
    url: str
    status: str  # indexed | duplicate | error
    canonical: str | None = None
    doc_id: str | None = None
    content_hash: str | None = None
    error: str | None = None
    attempts: int = 0
    etag: str | None = None
    last_modified: str | None = None


def _iso(t: float | None) -> str | None:
    return None if t is None else time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t))


class FeedState:
    """The feed state file; safe to share between threads and processes (one short transaction per call)."""

    def __init__(self, index_dir: Path):
        self.path = Path(index_dir) / FILENAME
        self._ready = False
        self._lock = threading.Lock()

    @contextmanager
    def _db(self) -> Iterator[sqlite3.Connection]:
        if not self._ready:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        with closing(sqlite3.connect(self.path, timeout=30)) as conn:
            conn.row_factory = sqlite3.Row
            if not self._ready:
                with self._lock:
                    conn.executescript(_SCHEMA)
                    self._ready = True
            with conn:  # one transaction: committed on success, rolled back on an exception
                yield conn

    def exists(self) -> bool:
        return self.path.exists()

    # -- feeds ----------------------------------------------------------------------------------

    def add_feed(self, feed_id: str, url: str, interval: float) -> tuple[Feed, bool]:
        """Add a feed (due at once); an existing one keeps its state and takes the new interval.
        Returns the feed and whether it is new."""
        with self._db() as db:
            new = db.execute("SELECT 1 FROM feeds WHERE id = ?", (feed_id,)).fetchone() is None
            if new:
                db.execute("INSERT INTO feeds (id, url, interval, added) VALUES (?, ?, ?, ?)",
                           (feed_id, url, interval, time.time()))
            else:
                db.execute("UPDATE feeds SET interval = ? WHERE id = ?", (interval, feed_id))
        return self.feed(feed_id), new

    def remove_feed(self, feed_id: str) -> Feed:
        """Forget a feed (its articles stay in the index, and its items stay known, so that adding it again
        fetches nothing twice)."""
        feed = self.feed(feed_id)
        with self._db() as db:
            db.execute("DELETE FROM feeds WHERE id = ?", (feed_id,))
            db.execute("DELETE FROM feed_items WHERE feed_id = ?", (feed_id,))
        return feed

    def feed(self, feed_id: str) -> Feed:
        with self._db() as db:
            row = db.execute("SELECT * FROM feeds WHERE id = ?", (feed_id,)).fetchone()
        if row is None:
            raise NotFound(f"no feed {feed_id!r}: GET /api/feeds (or `rag feeds list`) lists them")
        return _feed(row)

    def feeds(self) -> list[Feed]:
        if not self.exists():
            return []
        with self._db() as db:
            return [_feed(r) for r in db.execute("SELECT * FROM feeds ORDER BY added")]

    def find(self, id_or_url: str, canonical: str | None) -> Feed:
        """A feed by id, or by URL (as given or canonical)."""
        with self._db() as db:
            row = db.execute("SELECT * FROM feeds WHERE id = ? OR url = ? OR url = ?",
                             (id_or_url, id_or_url, canonical or id_or_url)).fetchone()
        if row is None:
            raise NotFound(f"no feed {id_or_url!r}: GET /api/feeds (or `rag feeds list`) lists them")
        return _feed(row)

    def record_poll(self, feed_id: str, *, status: int | None, error: str | None, etag: str | None = None,
                    last_modified: str | None = None, title: str | None = None, ok: bool) -> None:
        """After a poll: its time, HTTP status and error; on success the new validators and title."""
        now = time.time()
        with self._db() as db:
            row = db.execute("SELECT interval FROM feeds WHERE id = ?", (feed_id,)).fetchone()
            if row is None:  # removed while it was polled
                return
            db.execute("UPDATE feeds SET last_poll = ?, last_status = ?, last_error = ?, next_poll = ?, "
                       "polls = polls + 1 WHERE id = ?", (now, status, error, now + row["interval"], feed_id))
            if ok:
                db.execute("UPDATE feeds SET last_success = ?, etag = COALESCE(?, etag), "
                           "last_modified = COALESCE(?, last_modified), title = COALESCE(?, title) WHERE id = ?",
                           (now, etag, last_modified, title, feed_id))

    def make_due(self, feed_id: str) -> None:
        with self._db() as db:
            db.execute("UPDATE feeds SET next_poll = 0 WHERE id = ?", (feed_id,))

    # -- items ----------------------------------------------------------------------------------

    def fingerprint(self, feed_id: str, key: str) -> str | None:
        with self._db() as db:
            row = db.execute("SELECT fingerprint FROM feed_items WHERE feed_id = ? AND key = ?",
                             (feed_id, key)).fetchone()
        return None if row is None else str(row["fingerprint"])

    def see(self, feed_id: str, key: str, fingerprint: str) -> None:
        with self._db() as db:
            db.execute("INSERT INTO feed_items (feed_id, key, fingerprint, first_seen) VALUES (?, ?, ?, ?) "
                       "ON CONFLICT (feed_id, key) DO UPDATE SET fingerprint = excluded.fingerprint",
                       (feed_id, key, fingerprint, time.time()))

    def item(self, key: str) -> Item | None:
        with self._db() as db:
            row = db.execute("SELECT * FROM items WHERE key = ?", (key,)).fetchone()
        return None if row is None else _item(row)

    def indexed_as(self, *, canonical: str | None = None, content_hash: str | None = None) -> Item | None:
        """An indexed item with this page canonical URL or this content hash, if any."""
        with self._db() as db:
            row = db.execute("SELECT * FROM items WHERE status = 'indexed' AND (canonical = ? OR content_hash = ?) "
                             "ORDER BY indexed LIMIT 1", (canonical, content_hash)).fetchone()
        return None if row is None else _item(row)

    def put_item(self, item: Item) -> None:
        now = time.time()
        with self._db() as db:
            db.execute("INSERT OR REPLACE INTO items (key, url, canonical, doc_id, content_hash, status, error, "
                       "attempts, etag, last_modified, fetched, indexed) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, "
                       "CASE WHEN ? = 'indexed' THEN ? ELSE (SELECT indexed FROM items WHERE key = ?) END)",
                       (item.key, item.url, item.canonical, item.doc_id, item.content_hash, item.status, item.error,
                        item.attempts, item.etag, item.last_modified, now, item.status, now, item.key))

    # -- status ---------------------------------------------------------------------------------

    def status(self, recent_errors: int = 5) -> list[dict[str, Any]]:
        """Every feed with its last poll, last success, items seen, indexed, duplicate and failed, and the
        latest page errors."""
        if not self.exists():
            return []
        out = []
        with self._db() as db:
            for f in db.execute("SELECT * FROM feeds ORDER BY added").fetchall():
                counts = dict.fromkeys(("indexed", "duplicate", "error"), 0)
                for r in db.execute("SELECT i.status, COUNT(*) AS n FROM feed_items fi JOIN items i ON i.key = fi.key "
                                    "WHERE fi.feed_id = ? GROUP BY i.status", (f["id"],)):
                    counts[r["status"]] = r["n"]
                seen = db.execute("SELECT COUNT(*) FROM feed_items WHERE feed_id = ?", (f["id"],)).fetchone()[0]
                errors = [{"url": r["url"], "error": r["error"], "attempts": r["attempts"], "at": _iso(r["fetched"])}
                          for r in db.execute("SELECT i.* FROM feed_items fi JOIN items i ON i.key = fi.key "
                                              "WHERE fi.feed_id = ? AND i.status = 'error' ORDER BY i.fetched DESC "
                                              "LIMIT ?", (f["id"], recent_errors))]
                out.append({"id": f["id"], "url": f["url"], "title": f["title"], "interval": f["interval"],
                            "added": _iso(f["added"]), "last_poll": _iso(f["last_poll"]),
                            "last_success": _iso(f["last_success"]), "last_status": f["last_status"],
                            "last_error": f["last_error"], "next_poll": _iso(f["next_poll"] or None),
                            "polls": f["polls"], "etag": f["etag"], "last_modified": f["last_modified"],
                            "items_seen": seen, "items_indexed": counts["indexed"],
                            "items_duplicate": counts["duplicate"], "items_failed": counts["error"],
                            "page_errors": errors})
        return out


def _feed(row: sqlite3.Row) -> Feed:
    return Feed(row["id"], row["url"], row["interval"], row["title"], row["etag"], row["last_modified"],
                row["next_poll"])


def _item(row: sqlite3.Row) -> Item:
    return Item(row["key"], row["url"], row["status"], row["canonical"], row["doc_id"], row["content_hash"],
                row["error"], row["attempts"], row["etag"], row["last_modified"])
