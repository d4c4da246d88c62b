"""News pages and feeds made from seeds/, and a local HTTP site that serves them (tests/test_feeds.py and
benchmarks/bench_feed_extract.py).

A seed file holds an article's HTML body and its metadata; `article_page` wraps the body in what a news
site puts around it: a head with <title>, canonical link, Open Graph and article:* tags, a header with the
site name and a menu, a byline, a share bar, a related-articles list, a newsletter box and a footer.
"""

from __future__ import annotations

import html
import re
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from rag.sources import load_paths
from rag.sources.front_matter import split_front_matter
from rag.types import Article

SEEDS = Path(__file__).resolve().parents[1] / "seeds"
_EPOCH_BODY = re.compile(r"\A\s*<!--\s*\d{10,13}\s*-->\s*\n\s*\[.+?\]\(\S+?\)\s*\n\s*-{3,}\s*\n", re.S)


@dataclass(frozen=True)
class Seed:
    article: Article  # what the existing reader makes of the seed file: the reference text and metadata
    body_html: str  # the article's HTML as the seed file holds it


def seeds() -> list[Seed]:
    arts, problems = load_paths([SEEDS])
    assert not problems, problems
    out = []
    for a in arts:
        raw = (SEEDS / f"{a.id}.txt").read_text(encoding="utf-8").lstrip("\ufeff")
        m = _EPOCH_BODY.match(raw)
        if m:
            body = raw[m.end():]
        else:
            split = split_front_matter(raw, a.id)
            assert split is not None
            body = split[1]
        out.append(Seed(a, body))
    return out


def article_page(seed: Seed, canonical: str | None = None, site: str | None = None, body: str | None = None) -> str:
    """A full news page around a seed's body."""
    a = seed.article
    site = site or a.source or "新闻网"
    title = html.escape(a.title)
    pub = a.published or ""
    day = pub[:10]
    head = [f'<meta charset="utf-8"><title>{title} - {html.escape(site)}</title>',
            f'<meta property="og:title" content="{title}">',
            f'<meta property="og:site_name" content="{html.escape(site)}">',
            '<meta name="viewport" content="width=device-width, initial-scale=1">']
    if canonical:
        head.append(f'<link rel="canonical" href="{html.escape(canonical)}">')
    if pub:
        head.append(f'<meta property="article:published_time" content="{pub}">')
    if a.author:
        head.append(f'<meta name="author" content="{html.escape(a.author)}">')
    related = "".join(f'<li><a href="/news/{i}">{t}</a></li>' for i, t in enumerate(
        ["中亚五国外长会晤 讨论地区安全合作", "能源价格上涨引发多国抗议", "专家解读：俄乌战争对中亚经济的影响"]))
    return f"""<!doctype html>
<html lang="zh-CN"><head>{"".join(head)}
<script>window.dataLayer = window.dataLayer || []; function gtag(){{dataLayer.push(arguments);}}</script>
<style>body {{ font-family: sans-serif; }}</style></head>
<body>
<header class="site-header"><div class="logo"><a href="/">{html.escape(site)}</a></div>
<nav><ul><li><a href="/">首页</a></li><li><a href="/world">国际</a></li><li><a href="/china">中国</a></li>
<li><a href="/business">财经</a></li><li><a href="/video">视频</a></li></ul></nav>
<form class="search"><input name="q" placeholder="搜索"><button>搜索</button></form></header>
<main>
<div class="breadcrumb"><a href="/">首页</a> &gt; <a href="/world">国际</a> &gt; <a href="/world/asia">亚洲</a></div>
<article>
<h1>{title}</h1>
<div class="byline"><span class="author">{html.escape(a.author or site)}</span> · <time datetime="{pub}">{day}</time></div>
<div class="share"><a href="#">分享</a> <a href="#">微博</a> <a href="#">微信</a> <a href="#">Facebook</a></div>
<div class="article-body">
{seed.body_html if body is None else body}
</div>
<div class="tags">标签：<a href="/tag/1">哈萨克斯坦</a> <a href="/tag/2">俄罗斯</a> <a href="/tag/3">中亚</a></div>
</article>
<aside class="related"><h2>相关新闻</h2><ul>{related}</ul></aside>
<section class="newsletter"><h3>订阅我们的新闻简报</h3><p>每天早上，把当天最重要的国际新闻送到您的邮箱。</p></section>
</main>
<footer><p>© 2023 {html.escape(site)} 版权所有，未经授权不得转载。</p>
<p><a href="/about">关于我们</a> | <a href="/contact">联系我们</a> | <a href="/privacy">隐私政策</a></p></footer>
</body></html>"""


@dataclass
class Entry:
    title: str
    link: str
    published: str | None = None  # ISO
    updated: str | None = None  # ISO (Atom)
    guid: str | None = None


def _rfc822(iso: str | None) -> str:
    return format_datetime(datetime.fromisoformat(iso)) if iso else ""


def rss(title: str, entries: list[Entry]) -> str:
    items = "".join(
        f"<item><title>{html.escape(e.title)}</title><link>{html.escape(e.link)}</link>"
        f"<guid>{html.escape(e.guid or e.link)}</guid>"
        + (f"<pubDate>{_rfc822(e.published)}</pubDate>" if e.published else "") + "</item>" for e in entries)
    return (f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>{html.escape(title)}</title>'
            f"<link>http://example.invalid/</link><description>新闻</description>{items}</channel></rss>")


def atom(title: str, entries: list[Entry]) -> str:
    items = "".join(
        f'<entry><title>{html.escape(e.title)}</title><link href="{html.escape(e.link)}"/>'
        f"<id>{html.escape(e.guid or e.link)}</id><updated>{e.updated or e.published}</updated>"
        + (f"<published>{e.published}</published>" if e.published else "") + "</entry>" for e in entries)
    return (f'<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom">'
            f"<title>{html.escape(title)}</title><id>urn:feed</id><updated>2023-07-01T00:00:00Z</updated>"
            f"{items}</feed>")


@dataclass
class Route:
    body: bytes
    content_type: str = "text/html; charset=utf-8"
    status: int = 200
    delay: float = 0.0
    etag: str | None = None
    last_modified: str | None = None


@dataclass
class Hit:
    path: str  # with its query
    headers: dict[str, str]  # names in lower case
    at: float
    status: int


@dataclass
class Site:
    """A local web site: routes by path (the query is ignored, as news sites ignore tracking parameters);
    304 when If-None-Match or If-Modified-Since matches; every request logged."""

    routes: dict[str, Route] = field(default_factory=dict)
    hits: list[Hit] = field(default_factory=list)
    url: str = ""

    def set(self, path: str, body: str | bytes, **kw: object) -> None:
        self.routes[path] = Route(body.encode() if isinstance(body, str) else body, **kw)  # type: ignore[arg-type]

    def requests(self, path: str) -> list[Hit]:
        return [h for h in self.hits if h.path.split("?")[0] == path]


class _Handler(BaseHTTPRequestHandler):
    site: Site

    def do_GET(self) -> None:  # noqa: N802
        route = self.site.routes.get(self.path.split("?")[0])
        status = 404 if route is None else route.status
        if route is not None and route.delay:
            time.sleep(route.delay)
        if route is not None and status == 200 and (
                (route.etag and self.headers.get("If-None-Match") == route.etag)
                or (route.last_modified and self.headers.get("If-Modified-Since") == route.last_modified)):
            status = 304
        self.site.hits.append(Hit(self.path, {k.lower(): v for k, v in self.headers.items()}, time.monotonic(),
                                  status))
        body = b"not found" if route is None else b"" if status == 304 else route.body
        try:
            self.send_response(status)
            self.send_header("Content-Type", route.content_type if route else "text/plain")
            if route is not None and route.etag:
                self.send_header("ETag", route.etag)
            if route is not None and route.last_modified:
                self.send_header("Last-Modified", route.last_modified)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):  # the client gave up (a timeout test)
            pass

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        pass


class SiteServer:
    """`with SiteServer(host) as site:` serves `site` on host (127.0.0.1 or localhost) at a free port."""

    def __init__(self, host: str = "127.0.0.1"):
        self.host = host
        self.site = Site()

    def __enter__(self) -> Site:
        handler = type("Handler", (_Handler,), {"site": self.site})
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.server.daemon_threads = True
        self.server.block_on_close = False  # type: ignore[attr-defined]
        self.site.url = f"http://{self.host}:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self.thread.start()
        return self.site

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()
