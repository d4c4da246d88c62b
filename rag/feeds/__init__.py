"""Feeds that keep the index current: RSS/Atom feeds polled on an interval, their new articles fetched,
extracted and upserted into the index.

    urls      canonical URLs (no fragment, no tracking parameters) and the article ids derived from them
    state     the feed state file <index_dir>/feeds.sqlite: feeds, validators, items seen, content hashes
    fetch     httpx GETs: one request per host per RAG_FEED_HOST_INTERVAL, conditional GET, size and time caps
    extract   a fetched page -> Article (the existing extractor of rag.sources, plus the page's metadata)
    poller    one poll of a feed: conditional GET, feedparser, new/changed items, dedupe, upsert
    service   the feed list for the API and the CLI, and the background poller thread of `rag serve`

Import from the modules (`from rag.feeds.service import FeedService`): importing the package itself stays
cheap, since the `rag` command builds its parser from rag.feeds.commands.
"""
