"""Feeds (issue 14, item 4), end to end against local web sites that serve a feed and news pages made from
the seeds (tests/feed_pages.py): indexing, a malformed feed, a 404 page, a slow host, an item that changes
after indexing, conditional GET, dedupe by canonical URL and content hash, restart resume, the per-host
pace, the CLI, and the API through a real uvicorn server. The fake embedder keeps it fast."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fakes import HashEmbedder
from feed_pages import Entry, Seed, Site, SiteServer, article_page, atom, rss, seeds
from servers import serve_in_thread

from rag import cli
from rag.api.app import create_app
from rag.api.schemas import DocumentIn
from rag.engine import Engine
from rag.feeds.poller import Poller
from rag.feeds.service import FeedService
from rag.feeds.state import FeedState
from rag.feeds.urls import canonical_url, doc_id_for
from rag.settings import Settings
from rag.sources import article_from_record

KEY = "feeds-key"
AUTH = {"authorization": f"Bearer {KEY}"}
SEEDS = seeds()


@pytest.fixture
def fsettings(settings: Settings) -> Settings:
    """No pause between requests to one host (one test sets it), a short per-request timeout."""
    return settings.replace(feed_host_interval=0.0, feed_timeout=0.5, api_key=KEY)


@pytest.fixture
def engine(fsettings: Settings, fake_embedder: HashEmbedder) -> Engine:
    eng = Engine(fsettings, fake_embedder)  # no index yet: the first poll creates it
    eng.background_merges = False
    return eng


@pytest.fixture
def site() -> Iterator[Site]:
    with SiteServer("127.0.0.1") as s:
        yield s


@pytest.fixture
def slow_site() -> Iterator[Site]:
    with SiteServer("localhost") as s:  # another host name, so that the pace of one does not hold the other
        yield s


def publish(site: Site, items: list[Seed], prefix: str = "/news", **route: object) -> list[Entry]:
    """Serve each seed as a page at prefix/<id>.html (canonical link to itself); their feed entries."""
    entries = []
    for s in items:
        url = f"{site.url}{prefix}/{s.article.id}.html"
        site.set(f"{prefix}/{s.article.id}.html", article_page(s, canonical=url), **route)
        entries.append(Entry(s.article.title, url, s.article.published))
    return entries


def doc_id(url: str) -> str:
    return doc_id_for(canonical_url(url))


def page_hits(site: Site) -> list[str]:
    return [h.path for h in site.hits if not h.path.startswith("/feed")]


def test_canonical_urls_and_ids_follow_the_id_rules() -> None:
    assert canonical_url("HTTPS://WWW.RFI.fr:443/cn/a?utm_source=rss&id=3&xtor=RSS-1&fbclid=x#top") == \
        "https://www.rfi.fr/cn/a?id=3"
    assert canonical_url("/b?utm_medium=feed", base="http://h.example:8080/a/") == "http://h.example:8080/b"
    assert canonical_url("http://h/?a&b=1&utm_x=2&c=%20") == "http://h/?a&b=1&c=%20"  # the rest kept as it was
    with pytest.raises(Exception, match="http"):
        canonical_url("ftp://example.com/feed.xml")
    for url in ("https://www.rfi.fr/cn/a", "http://[::1]:8000/x", "http://例子.测试/新闻", "http://127.0.0.1/"):
        i = doc_id(url)
        assert i == doc_id(url + "?utm_source=x#frag")  # stable, and blind to tracking parameters
        DocumentIn(id=i, title="t", text="x")  # the API's id pattern
        article_from_record({"id": i, "title": "t", "text": "正文。"}, "feed")  # rag.sources' id rule
    assert doc_id("https://www.rfi.fr/cn/a").startswith("www.rfi.fr_")


def test_a_feed_is_polled_into_the_index(site: Site, fsettings: Settings, engine: Engine) -> None:
    site.set("/feed.xml", rss("新闻", publish(site, SEEDS)), content_type="application/rss+xml")
    svc = FeedService(fsettings, engine.upsert)
    row, new = svc.add(site.url + "/feed.xml?utm_source=me")
    assert new and row["url"] == site.url + "/feed.xml" and row["last_poll"] is None
    [report] = svc.poll_once()
    assert report.status == "ok" and report.items == 5 and report.fetched == 5 and len(report.added) == 5
    for s in SEEDS:
        url = f"{site.url}/news/{s.article.id}.html"
        a = engine.snapshot.article(doc_id(url))
        ref = s.article
        assert a.url == url and a.title.split() == ref.title.split()  # white space runs in a title become one
        assert a.source == ref.source and a.author == ref.author
        assert (a.published or "")[:10] == (ref.published or "")[:10]
        assert all(line in a.text for line in ref.text.split("\n"))  # every paragraph of the article
        assert "订阅我们的新闻简报" not in a.text and "版权所有" not in a.text  # and no page furniture
    [status] = svc.status()
    assert status["title"] == "新闻" and status["last_status"] == 200 and status["last_error"] is None
    assert status["last_success"] and status["items_seen"] == 5 and status["items_indexed"] == 5
    hits = engine.search("纳扎尔巴耶夫 下台", k=3)
    assert hits and hits[0]["url"].startswith(site.url)


def test_broken_feed_404_page_and_slow_host_never_stop_the_others(
        site: Site, slow_site: Site, fsettings: Settings, engine: Engine, caplog: pytest.LogCaptureFixture) -> None:
    good = publish(site, SEEDS[:2])
    slow_site.set("/news/slow.html", article_page(SEEDS[2]), delay=3.0)
    good += [Entry("不存在的页面", site.url + "/news/gone.html"), Entry("慢", slow_site.url + "/news/slow.html")]
    site.set("/feed.xml", rss("好的", good))
    site.set("/feed-html.xml", "<html><body>Service temporarily unavailable</body></html>")
    site.set("/feed-garbage.xml", "this is not a feed <<<", content_type="application/rss+xml")
    broken = rss("坏的", publish(site, SEEDS[3:4], prefix="/b"))
    site.set("/feed-cut.xml", broken[:broken.index("</item>") + 7] + "<item><title>半", content_type="text/xml")
    slow_site.set("/feed.xml", rss("慢的", []), delay=3.0)
    svc = FeedService(fsettings, engine.upsert)
    ids = {name: svc.add(url)[0]["id"] for name, url in (
        ("good", site.url + "/feed.xml"), ("html", site.url + "/feed-html.xml"),
        ("garbage", site.url + "/feed-garbage.xml"), ("cut", site.url + "/feed-cut.xml"),
        ("slow", slow_site.url + "/feed.xml"))}
    t0 = time.monotonic()
    with caplog.at_level(logging.INFO, logger="rag.feeds"):
        reports = {r.feed_id: r for r in svc.poll_once()}
    assert time.monotonic() - t0 < 3.0  # the slow host cost its timeout (0.5 s), not its 3 s
    good_report = reports[ids["good"]]
    assert good_report.status == "ok" and len(good_report.added) == 2 and good_report.failed == 2
    assert len(reports[ids["cut"]].added) == 1  # what a truncated feed still holds is indexed
    status = {row["id"]: row for row in svc.status()}
    errors = {e["url"]: e["error"] for e in status[ids["good"]]["page_errors"]}
    assert errors == {site.url + "/news/gone.html": "HTTP 404 Not Found",
                      slow_site.url + "/news/slow.html": "no answer within 0.5 s (RAG_FEED_TIMEOUT)"}
    assert status[ids["good"]]["items_indexed"] == 2 and status[ids["good"]]["items_failed"] == 2
    assert status[ids["good"]]["last_error"] is None
    for name in ("html", "garbage"):
        assert status[ids[name]]["last_error"].startswith("not a readable RSS/Atom feed")
        assert status[ids[name]]["last_success"] is None and status[ids[name]]["last_status"] == 200
    assert status[ids["cut"]]["last_error"].startswith("the feed is malformed")
    assert status[ids["slow"]]["last_error"] == "no answer within 0.5 s (RAG_FEED_TIMEOUT)"
    assert len(engine.snapshot.articles) == 3
    logged = [(r.getMessage(), getattr(r, "error", ""), r.levelno) for r in caplog.records]
    assert ("article page failed", "HTTP 404 Not Found", logging.WARNING) in logged
    assert ("feed failed", "no answer within 0.5 s (RAG_FEED_TIMEOUT)", logging.WARNING) in logged
    assert sum(m == "feed failed" and e.startswith("not a readable") for m, e, _ in logged) == 2
    # a failed page is tried again on the next poll (up to 3 times), the indexed ones are not
    site.hits.clear()
    svc.poll_once()
    assert sorted(page_hits(site)) == ["/news/gone.html"]


def test_an_item_that_changes_after_indexing_is_updated(site: Site, fsettings: Settings, engine: Engine) -> None:
    s = SEEDS[0]
    url = site.url + "/news/a.html"
    site.set("/news/a.html", article_page(s, canonical=url), etag='"v1"')
    entry = Entry(s.article.title, url, "2023-06-30T10:45:01+00:00", updated="2023-06-30T10:45:01+00:00")
    site.set("/feed.xml", atom("RFI", [entry]), content_type="application/atom+xml")
    svc = FeedService(fsettings, engine.upsert)
    svc.add(site.url + "/feed.xml")
    assert svc.poll_once()[0].added == [doc_id(url)]
    # the feed says nothing new: the page is not fetched again
    site.hits.clear()
    assert svc.poll_once()[0].fetched == 0 and page_hits(site) == []
    # the outlet corrects the article and the feed entry's <updated> moves
    site.set("/news/a.html", article_page(s, canonical=url, body=s.body_html + "<p>更新：哈萨克斯坦外交部周五再次发表声明。</p>"),
             etag='"v2"')
    entry.updated = "2023-07-01T08:00:00+00:00"
    site.set("/feed.xml", atom("RFI", [entry]), content_type="application/atom+xml")
    site.hits.clear()
    [report] = svc.poll_once()
    assert report.updated == [doc_id(url)] and report.added == []
    [hit] = site.requests("/news/a.html")
    assert hit.headers.get("if-none-match") == '"v1"'  # the page, too, was asked for conditionally
    assert "更新：哈萨克斯坦外交部周五再次发表声明。" in engine.snapshot.article(doc_id(url)).text
    assert len(engine.snapshot.articles) == 1
    # a newer <updated> with the same page: one conditional request, answered 304
    entry.updated = "2023-07-02T08:00:00+00:00"
    site.set("/feed.xml", atom("RFI", [entry]), content_type="application/atom+xml")
    site.hits.clear()
    [report] = svc.poll_once()
    assert report.fetched == 1 and report.unchanged == 1 and not report.updated
    assert [h.status for h in site.requests("/news/a.html")] == [304]


def test_conditional_get_and_restart_resume(site: Site, fsettings: Settings, fake_embedder: HashEmbedder) -> None:
    lm = "Sat, 01 Jul 2023 00:00:00 GMT"
    site.set("/feed.xml", rss("新闻", publish(site, SEEDS[:4])), etag='"feed-1"', last_modified=lm)
    first = Engine(fsettings, fake_embedder)
    FeedService(fsettings).add(site.url + "/feed.xml")
    poller = Poller(fsettings, first.upsert)
    assert len(poller.poll_all()[0].added) == 4
    poller.close()
    assert "if-none-match" not in site.requests("/feed.xml")[0].headers

    # a restart: new objects over the same index and state file
    site.hits.clear()
    engine = Engine.open(fsettings, embedder=fake_embedder)
    poller = Poller(fsettings, engine.upsert, FeedState(fsettings.index_dir))
    [report] = poller.poll_all()
    [hit] = site.hits  # the feed only, asked for conditionally, and the server said 304
    assert hit.headers.get("if-none-match") == '"feed-1"' and hit.headers.get("if-modified-since") == lm
    assert hit.status == 304 and report.status == "not_modified" and report.fetched == 0

    # the feed changes: one new item, and nothing already indexed is fetched again
    site.set("/feed.xml", rss("新闻", publish(site, SEEDS)), etag='"feed-2"')
    site.hits.clear()
    [report] = Poller(fsettings, engine.upsert, FeedState(fsettings.index_dir)).poll_all()
    assert page_hits(site) == [f"/news/{SEEDS[4].article.id}.html"]
    assert report.added == [doc_id(f"{site.url}/news/{SEEDS[4].article.id}.html")]
    assert len(Engine.open(fsettings, embedder=fake_embedder).snapshot.articles) == 5
    assert FeedService(fsettings).status()[0]["etag"] == '"feed-2"'


def test_dedupe_by_canonical_url_and_content_hash(site: Site, fsettings: Settings, engine: Engine) -> None:
    s = SEEDS[1]
    url = site.url + "/news/a.html"
    site.set("/news/a.html", article_page(s, canonical=url))
    site.set("/mirror/a.html", article_page(s, canonical=url))  # the same page elsewhere, pointing home
    site.set("/copy/a.html", article_page(s))  # re-published without a canonical link: same text
    entries = [Entry(s.article.title, url + "?utm_source=rss&utm_medium=feed"),
               Entry(s.article.title, url + "?utm_campaign=x#comments"),
               Entry(s.article.title, site.url + "/mirror/a.html"),
               Entry(s.article.title, site.url + "/copy/a.html?xtor=RSS-1")]
    site.set("/feed.xml", rss("新闻", entries))
    svc = FeedService(fsettings, engine.upsert)
    svc.add(site.url + "/feed.xml")
    [report] = svc.poll_once()
    assert report.added == [doc_id(url)] and report.duplicates == 2 and report.fetched == 3
    assert list(engine.snapshot.articles) == [doc_id(url)]
    assert len(site.requests("/news/a.html")) == 1  # the two tracking-parameter links: one fetch
    assert site.requests("/news/a.html")[0].path == "/news/a.html"  # fetched without the tracking parameters
    row = svc.status()[0]
    assert (row["items_seen"], row["items_indexed"], row["items_duplicate"]) == (3, 1, 2)


def test_one_request_per_host_per_interval(site: Site, fsettings: Settings, engine: Engine) -> None:
    s = fsettings.replace(feed_host_interval=0.3)
    site.set("/feed.xml", rss("新闻", publish(site, SEEDS[:3])))
    svc = FeedService(s, engine.upsert)
    svc.add(site.url + "/feed.xml")
    svc.poll_once()
    times = [h.at for h in site.hits]
    assert len(times) == 4
    assert min(b - a for a, b in zip(times, times[1:])) >= 0.25


def test_cli_feeds_add_list_poll_remove(site: Site, fsettings: Settings, monkeypatch: pytest.MonkeyPatch,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    import os

    for k in [k for k in os.environ if k.upper().startswith("RAG_")]:
        monkeypatch.delenv(k)
    monkeypatch.chdir(fsettings.index_dir.parent)  # no .env here
    monkeypatch.setenv("RAG_FEED_HOST_INTERVAL", "0")
    fake = HashEmbedder()
    monkeypatch.setattr("rag.embedding.load_embedder", lambda *a, **k: fake)
    monkeypatch.setattr("rag.engine.load_embedder", lambda *a, **k: fake)
    index = str(fsettings.index_dir)
    site.set("/feed.xml", rss("新闻", publish(site, SEEDS[:2]) + [Entry("没了", site.url + "/news/gone.html")]))

    assert cli.main(["feeds", "list", "--index", index]) == 0
    assert "no feeds" in capsys.readouterr().out
    assert cli.main(["feeds", "add", site.url + "/feed.xml", "--interval", "600", "--index", index]) == 0
    assert "added feed" in capsys.readouterr().out
    assert cli.main(["feeds", "add", "ftp://nope", "--index", index]) == 2
    assert "not an http(s) URL" in capsys.readouterr().err
    assert cli.main(["feeds", "poll", "--index", index]) == 3  # one page failed: reported, exit code 3
    out = capsys.readouterr().out
    assert "3 items, 2 pages fetched, 2 added" in out and "1 failed" in out
    assert cli.main(["feeds", "list", "--index", index]) == 0
    out = capsys.readouterr().out
    assert "every 600 s" in out and "3 seen, 2 indexed" in out and "/news/gone.html: HTTP 404" in out
    assert cli.main(["feeds", "poll", "--due", "--index", index]) == 0  # nothing due within 600 s
    assert cli.main(["feeds", "remove", site.url + "/feed.xml", "--index", index]) == 0
    assert "stay in the index" in capsys.readouterr().out
    assert cli.main(["feeds", "remove", site.url + "/feed.xml", "--index", index]) == 2
    assert len(Engine.open(fsettings, embedder=fake).snapshot.articles) == 2


def _wait(client: httpx.Client, pred: Callable[[dict[str, Any]], bool], timeout: float = 20.0) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        feeds: dict[str, Any] = client.get("/api/feeds").json()
        if feeds["feeds"] and pred(feeds):
            return feeds
        assert time.monotonic() < deadline, feeds
        time.sleep(0.1)


def test_api_feeds_through_a_real_server(site: Site, fsettings: Settings, fake_embedder: HashEmbedder,
                                         tmp_path: Path) -> None:
    """POST /api/feeds (API key), GET /api/feeds with the status, the poller in the server process, a restart
    that polls again without fetching what is indexed, DELETE /api/feeds/{id}."""
    one = tmp_path / "one"
    one.mkdir()
    (one / "a.txt").write_text("# 阿拉木图\n\n阿拉木图是哈萨克斯坦最大的城市。", encoding="utf-8")
    Engine(fsettings, fake_embedder).rebuild([one])
    site.set("/feed.xml", rss("新闻", publish(site, SEEDS)), etag='"f1"')
    feed_url = site.url + "/feed.xml"
    app = create_app(fsettings, Engine.open(fsettings, embedder=fake_embedder))
    with serve_in_thread(app) as url, httpx.Client(base_url=url, timeout=30) as c:
        assert c.get("/api/feeds").json() == {"feeds": [], "poller": "stopped"}
        assert c.post("/api/feeds", json={"url": feed_url}).status_code == 401
        assert c.post("/api/feeds", json={"url": feed_url}, headers={"authorization": "Bearer no"}).status_code == 401
        r = c.post("/api/feeds", json={"url": "ftp://example.com/feed"}, headers=AUTH)
        assert r.status_code == 422 and r.json()["error"]["message"].startswith("url:")
        assert c.post("/api/feeds", json={"url": feed_url, "interval": 1}, headers=AUTH).status_code == 422
        assert c.post("/api/feeds", json={"link": feed_url}, headers=AUTH).status_code == 422
        r = c.post("/api/feeds", json={"url": feed_url, "interval": 600}, headers=AUTH)
        assert r.status_code == 201 and r.json()["added"] is True
        fid = r.json()["feed"]["id"]
        feeds = _wait(c, lambda f: f["feeds"][0]["items_indexed"] == 5)
        row = feeds["feeds"][0]
        assert feeds["poller"] == "running" and row["last_status"] == 200 and row["last_error"] is None
        assert row["last_poll"] and row["last_success"] and row["items_seen"] == 5 and row["etag"] == '"f1"'
        assert c.get(f"/api/feeds/{fid}").json()["items_indexed"] == 5
        assert c.get("/api/feeds/nope").status_code == 404
        doc = c.get(f"/api/documents/{doc_id(f'{site.url}/news/{SEEDS[2].article.id}.html')}").json()
        assert doc["title"].split() == SEEDS[2].article.title.split() and doc["source"] == SEEDS[2].article.source
        assert c.get("/readyz").json()["articles"] == 6
        r = c.post("/api/feeds", json={"url": feed_url, "interval": 900}, headers=AUTH)
        assert r.status_code == 200 and r.json()["added"] is False and r.json()["feed"]["interval"] == 900

    # a restart over the same index: the poller starts with the app, and fetches no page already indexed
    site.hits.clear()
    FeedState(fsettings.index_dir).make_due(fid)
    app = create_app(fsettings, Engine.open(fsettings, embedder=fake_embedder))
    with serve_in_thread(app) as url, httpx.Client(base_url=url, timeout=30) as c:
        _wait(c, lambda f: f["feeds"][0]["polls"] == 2)
        assert [(h.path, h.status) for h in site.hits] == [("/feed.xml", 304)]
        assert c.delete(f"/api/feeds/{fid}").status_code == 401
        r = c.delete(f"/api/feeds/{fid}", headers=AUTH)
        assert r.status_code == 200 and r.json()["deleted"] == fid
        assert c.get("/api/feeds").json()["feeds"] == []
        assert c.delete(f"/api/feeds/{fid}", headers=AUTH).status_code == 404
        assert c.get("/readyz").json()["articles"] == 6  # its articles stay
