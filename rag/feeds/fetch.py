"""HTTP for feeds: a polite per-host pace, conditional GET, a size cap and one time budget per request."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass

import httpx

from rag.feeds.urls import host_of
from rag.settings import Settings

USER_AGENT = "rag-news/0.1 (feed reader: polls RSS/Atom feeds and fetches their articles)"


class FetchError(Exception):
    """A feed or page could not be fetched; the message says why (status, timeout, size...)."""


class HostPace:
    """At most one request per host per `interval` seconds: each caller reserves the host's next free slot
    and waits for it (threads polling different feeds on one host queue up)."""

    def __init__(self, interval: float, stop: threading.Event | None = None):
        self.interval = interval
        self._next: dict[str, float] = {}
        self._lock = threading.Lock()
        self.stop = stop or threading.Event()

    def wait(self, host: str) -> None:
        with self._lock:
            now = time.monotonic()
            slot = max(now, self._next.get(host, now))
            self._next[host] = slot + self.interval
        if slot > now and self.stop.wait(slot - now):
            raise FetchError("stopped")


@dataclass(frozen=True)
class Fetched:
    url: str  # after redirects
    status: int  # 200, or 304 (not modified: no content)
    content: bytes
    content_type: str | None
    etag: str | None
    last_modified: str | None


class Fetcher:
    """GETs with the service's user agent, the per-host pace, If-None-Match / If-Modified-Since when the
    validators are known, and RAG_FEED_TIMEOUT / RAG_FEED_MAX_BYTES as hard limits."""

    def __init__(self, settings: Settings, pace: HostPace | None = None, stop: threading.Event | None = None,
                 transport: httpx.BaseTransport | None = None):
        self.timeout, self.max_bytes = settings.feed_timeout, settings.feed_max_bytes
        self.pace = pace or HostPace(settings.feed_host_interval, stop)
        self.client = httpx.Client(timeout=settings.feed_timeout, follow_redirects=True, max_redirects=5,
                                   headers={"User-Agent": USER_AGENT}, transport=transport)

    def close(self) -> None:
        self.client.close()

    def get(self, url: str, etag: str | None = None, last_modified: str | None = None,
            accept: str = "*/*") -> Fetched:
        self.pace.wait(host_of(url))
        headers = {"Accept": accept}
        if etag:
            headers["If-None-Match"] = etag
        if last_modified:
            headers["If-Modified-Since"] = last_modified
        t0 = time.monotonic()
        try:
            with self.client.stream("GET", url, headers=headers) as r:
                if r.status_code == 304:
                    return Fetched(str(r.url), 304, b"", None, etag, last_modified)
                if r.status_code >= 400:
                    raise FetchError(f"HTTP {r.status_code} {r.reason_phrase}".strip())
                if r.status_code != 200:
                    raise FetchError(f"unexpected HTTP {r.status_code}")
                body = bytearray()
                for chunk in r.iter_bytes():
                    body += chunk
                    if len(body) > self.max_bytes:
                        raise FetchError(f"larger than {self.max_bytes} bytes (RAG_FEED_MAX_BYTES)")
                    if time.monotonic() - t0 > self.timeout:
                        raise httpx.ReadTimeout("body too slow")
                return Fetched(str(r.url), 200, bytes(body), r.headers.get("content-type"), r.headers.get("etag"),
                               r.headers.get("last-modified"))
        except httpx.TimeoutException:
            raise FetchError(f"no answer within {self.timeout:g} s (RAG_FEED_TIMEOUT)") from None
        except (httpx.HTTPError, httpx.InvalidURL) as exc:
            raise FetchError(f"{exc.__class__.__name__}: {exc}") from None
