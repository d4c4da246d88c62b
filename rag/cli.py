"""The `rag` command: build, ask, search, serve, eval. Library errors become messages and exit codes here."""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from rag.errors import IndexMismatch, IndexNotFound, InputError, RagError
from rag.settings import Settings


def _settings(args: argparse.Namespace) -> Settings:
    s = Settings.from_env(index_dir=getattr(args, "index", None), host=getattr(args, "host", None),
                          port=getattr(args, "port", None))
    name = getattr(args, "collection", None)
    if name and name != "default":  # a collection is an index of its own under the index directory
        from rag.collections import SUBDIR, check_name

        s = s.replace(index_dir=s.index_dir / SUBDIR / check_name(name))
    return s


def cmd_build(args: argparse.Namespace) -> int:
    from rag.engine import build

    settings = _settings(args)
    paths = [Path(p) for p in (args.paths or [str(settings.seeds_dir)])]
    if args.ray:  # the embedding on Ray Data actors, then the same write (rag.raybuild)
        from rag import raybuild

        report, problems, ray = raybuild.build(settings, paths, args.address, args.ray_actors, progress=not args.quiet)
        print(f"ray: {ray['texts']} texts embedded in {ray['ray_seconds']} s ({ray['texts_per_second']} texts/s)")
    else:
        report, problems = build(settings, paths, progress=not args.quiet)
    for p in problems:
        print(f"skipped {p}", file=sys.stderr)
    print(f"index {settings.index_dir}/: {report.chunks} passages from "
          f"{report.chunks and len(report.added) + len(report.updated) + report.unchanged} articles "
          f"(added {len(report.added)}, updated {len(report.updated)}, removed {len(report.removed)}, "
          f"unchanged {report.unchanged}; embedded {report.embedded} passages in {report.seconds:.1f}s)")
    if report.embedded_article_chars and report.seconds:
        print(f"throughput: {report.embedded_article_chars:,} article chars ({report.embedded} passages, "
              f"{report.embedded_sentences} sentences) in {report.seconds:.1f} s = "
              f"{report.embedded_article_chars / report.seconds:,.0f} article chars/s")
    return 0 if not problems else 3


def cmd_compact(args: argparse.Namespace) -> int:
    from rag import store

    settings = _settings(args)
    if settings.store_uri:  # Milvus merges its own segments: all there is to do is ask it to start now
        from rag.store.milvus import MilvusBackend

        milvus = MilvusBackend(settings)
        jobs = milvus.compact()
        print(f"Milvus store {settings.store_uri} (collections {milvus.db.prefix}_*): nothing of ours to merge; Milvus "
              f"merges its segments and drops deleted rows by itself. Asked it to compact now: {len(jobs)} collections"
              + (" (Milvus Lite compacts after every write and only acknowledges this)" if
                 settings.store_uri.endswith(".db") else f", compaction jobs {sorted(jobs.values())}"))
        return 0
    before = store.read_manifest(settings.index_dir)
    t0 = time.perf_counter()
    snap = _engine(args).compact()
    if snap is None:
        print(f"index {settings.index_dir}/: nothing to compact ({len(before.segments)} segment, no deletions)")
    else:
        print(f"index {settings.index_dir}/: {len(before.segments)} segments -> {len(snap.segments)}, "
              f"{len(snap)} passages, in {time.perf_counter() - t0:.1f} s")
    return 0


def _engine(args: argparse.Namespace):  # type: ignore[no-untyped-def]
    from rag.engine import Engine

    return Engine.open(_settings(args))


def cmd_ask(args: argparse.Namespace) -> int:
    ans = _engine(args).ask(args.question, k=args.top_k)
    if args.json:
        print(json.dumps(ans.to_dict(), ensure_ascii=False, indent=2))
        return 0
    print(ans.answer)
    print()
    if ans.answerable:
        for c in ans.citations:
            print(f"[{c.n}] {c.title} · {c.source or ''} · {(c.published or '')[:10]} · "
                  f"{c.chunk_id} [{c.start}:{c.end}]" + (f"\n    {c.url}" if c.url else ""))
    else:
        for n in ans.nearest:
            print(f"nearest: {n['title']} ({n['doc_id']})")
    return 0


def cmd_search(args: argparse.Namespace) -> int:
    eng = _engine(args)
    rows = eng.search(args.query, k=args.top_k)
    if args.json:
        print(json.dumps(rows, ensure_ascii=False, indent=2))
        return 0
    for i, r in enumerate(rows, 1):
        print(f"{i}. {r['score']:.4f} {r['chunk_id']} {r.get('title', '')}\n   {r['text'][:160]}")
    return 0


def cmd_config(args: argparse.Namespace) -> int:
    rows = Settings.describe()
    if args.json:
        print(json.dumps(rows, ensure_ascii=False, indent=2))
        return 0
    width = max(len(str(r["env"])) for r in rows.values())
    for r in rows.values():
        print(f"{r['env']:<{width}}  {r['value']!s:<40}  ({r['from']})  {r['description']}")
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    from rag.api.server import configure_logging, serve
    from rag.engine import Engine

    settings = _settings(args)
    configure_logging(settings.log_level)
    engine = Engine.open(settings)  # fail here, with a plain message, rather than inside uvicorn
    serve(settings, engine)
    return 0


def cmd_eval(args: argparse.Namespace) -> int:
    from rag.evaluation.cli import run_eval

    return run_eval(args)


def cmd_feeds(args: argparse.Namespace) -> int:
    from rag.feeds.commands import run

    return run(args, _settings(args))


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="rag", description="Cited question answering over Chinese news, offline.")
    sub = p.add_subparsers(dest="command", required=True)

    b = sub.add_parser("build", help="build or update the index from article files (default: seeds/)")
    b.add_argument("paths", nargs="*", help="files or folders (.txt .md .html .jsonl)")
    b.add_argument("--index", help="index directory (default: index/, or RAG_INDEX_DIR)")
    b.add_argument("--collection", help="build into this collection (created if missing; default: default)")
    b.add_argument("--quiet", action="store_true", help="no progress bar")
    b.add_argument("--ray", action="store_true", help="embed on Ray (Ray Data actors), then write as usual")
    b.add_argument("--address", help="with --ray: a running Ray cluster (auto, ray://host:10001); default: a local one")
    b.add_argument("--ray-actors", type=int, help="with --ray: encoder actors (default: one per CPU of the cluster)")
    b.set_defaults(func=cmd_build)

    m = sub.add_parser("compact", help="merge the index's segments into one and drop deleted passages")
    m.add_argument("--index", help="index directory (default: index/, or RAG_INDEX_DIR)")
    m.add_argument("--collection", help="the collection to compact (default: default)")
    m.set_defaults(func=cmd_compact)

    a = sub.add_parser("ask", help="answer a question with cited sentences")
    a.add_argument("question")
    a.add_argument("--json", action="store_true", help="print the answer contract as JSON")
    a.add_argument("--top-k", type=int, default=None, help="passages to retrieve (1-50)")
    a.add_argument("--index")
    a.add_argument("--collection", help="ask within this collection (default: default)")
    a.set_defaults(func=cmd_ask)

    s = sub.add_parser("search", help="ranked passages for a query")
    s.add_argument("query")
    s.add_argument("--json", action="store_true")
    s.add_argument("--top-k", type=int, default=None)
    s.add_argument("--index")
    s.add_argument("--collection", help="search within this collection (default: default)")
    s.set_defaults(func=cmd_search)

    v = sub.add_parser("serve", help="start the HTTP API and web chat")
    v.add_argument("--host", help="bind address (default 127.0.0.1)")
    v.add_argument("--port", type=int)
    v.add_argument("--index")
    v.set_defaults(func=cmd_serve)

    c = sub.add_parser("config", help="print every setting's effective value and where it came from")
    c.add_argument("--json", action="store_true")
    c.set_defaults(func=cmd_config)

    e = sub.add_parser("eval", help="retrieval and answer quality on a JSONL corpus and question set")
    from rag.evaluation.cli import add_arguments

    add_arguments(e)
    e.set_defaults(func=cmd_eval)

    f = sub.add_parser("feeds", help="RSS/Atom feeds that keep the index current: add, list, remove, poll")
    from rag.feeds.commands import add_arguments as add_feed_arguments

    add_feed_arguments(f)
    f.set_defaults(func=cmd_feeds)
    return p


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        return int(args.func(args))
    except (IndexNotFound, IndexMismatch) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except InputError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except RagError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
