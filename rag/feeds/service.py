"""The feeds of one index as the API and the CLI see them: add, remove, status, poll once, and the background
thread that polls due feeds while the server runs."""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

from rag.errors import InputError, NotFound
from rag.feeds.poller import Poller, PollReport, Upsert
from rag.feeds.state import Feed, FeedState
from rag.feeds.urls import canonical_url, feed_id_for
from rag.settings import Settings

log = logging.getLogger("rag.feeds")
MIN_INTERVAL = 10.0  # seconds; RAG_FEED_INTERVAL has the same floor
IDLE_WAIT = 60.0  # the thread looks at the feed list at least this often (a feed added by `rag feeds add`)


class FeedService:
    def __init__(self, settings: Settings, upsert: Upsert | None = None):
        self.settings = settings
        self.state = FeedState(settings.index_dir)
        self.upsert = upsert
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    # -- the feed list --------------------------------------------------------------------------

    def add(self, url: str, interval: float | None = None) -> tuple[dict[str, Any], bool]:
        """Add a feed (or change an existing one's interval); a new one is due at once (`wake` polls it).
        Returns its status and whether it is new."""
        canonical = canonical_url(url)
        interval = self.settings.feed_interval if interval is None else float(interval)
        if not interval >= MIN_INTERVAL:
            raise InputError(f"interval must be at least {MIN_INTERVAL:g} seconds (got {interval:g})")
        feed, new = self.state.add_feed(feed_id_for(canonical), canonical, interval)
        log.info("feed added" if new else "feed updated", extra={"feed_id": feed.id, "feed": feed.url,
                                                                "interval": interval})
        return self.describe(feed.id), new

    def remove(self, id_or_url: str) -> Feed:
        """Forget a feed; the articles it brought stay in the index."""
        try:
            canonical: str | None = canonical_url(id_or_url)
        except InputError:
            canonical = None
        feed = self.state.remove_feed(self.state.find(id_or_url, canonical).id)
        log.info("feed removed", extra={"feed_id": feed.id, "feed": feed.url})
        return feed

    def status(self) -> list[dict[str, Any]]:
        return self.state.status()

    def describe(self, feed_id: str) -> dict[str, Any]:
        for row in self.state.status():
            if row["id"] == feed_id:
                return row
        raise NotFound(f"no feed {feed_id!r}: GET /api/feeds (or `rag feeds list`) lists them")

    # -- polling --------------------------------------------------------------------------------

    def poll_once(self, only_due: bool = False) -> list[PollReport]:
        """Poll every feed (or the due ones) now, in this thread (`rag feeds poll`)."""
        if self.upsert is None:
            raise RuntimeError("FeedService without an index to write to")
        poller = Poller(self.settings, self.upsert, self.state)
        try:
            return poller.poll_due() if only_due else poller.poll_all()
        finally:
            poller.close()

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def start(self) -> None:
        """Start the background poller (no-op when it runs, or when there is no index to write to)."""
        with self._lock:
            if self.running or self.upsert is None:
                return
            self._stop.clear()
            self._thread = threading.Thread(target=self._run, name="feeds", daemon=True)
            self._thread.start()
        log.info("feed poller started", extra={"feeds": len(self.state.feeds())})

    def wake(self) -> None:
        """Poll due feeds now (starting the poller if it is not running)."""
        self.start()
        self._wake.set()

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        self._wake.set()
        thread = self._thread
        if thread is not None:
            thread.join(timeout)
            if thread.is_alive():
                log.warning("feed poller still busy at shutdown (a request in flight); left to end with the process")

    def _run(self) -> None:
        assert self.upsert is not None
        poller = Poller(self.settings, self.upsert, self.state, stop=self._stop)
        try:
            while not self._stop.is_set():
                self._wake.clear()
                try:
                    poller.poll_due()
                    feeds = self.state.feeds()
                except Exception:  # the state file is unreadable, say: log, wait, try again
                    log.exception("feed polling failed; retrying")
                    feeds = []
                due = min((f.next_poll for f in feeds), default=time.time() + IDLE_WAIT)
                self._wake.wait(min(IDLE_WAIT, max(1.0, due - time.time())))
        finally:
            poller.close()
