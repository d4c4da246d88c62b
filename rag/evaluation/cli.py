"""`rag eval`: arguments, the run, and the JSON and markdown reports."""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

from rag.embedding import Embedder
from rag.errors import InputError
from rag.evaluation.dataset import Passage, load_corpus, load_questions
from rag.evaluation.runner import (
    MODES,
    QueryCache,
    QuestionRunner,
    build_report,
    cached_snapshot,
    corpus_digest,
    corpus_digest_articles,
    holdout,
)
from rag.settings import Settings

_SHARED = Path(__file__).resolve().parents[2] / ".." / "shared" / "eval" / "cmrc2018"
_TUNING = ("chunk_size", "chunk_overlap", "candidates", "rrf_k", "dense_weight", "keyword_weight", "rerank_depth",
           "scorer_file")


def _default(name: str) -> str | None:
    path = _SHARED / name
    return str(path.resolve()) if path.is_file() else None


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The options of `rag eval`."""
    parser.add_argument("--corpus", default=_default("corpus.jsonl"),
                        help="JSONL passages {id, title, text}, or a folder of article files such as seeds/ "
                             "(default: ../shared/eval/cmrc2018/corpus.jsonl)")
    parser.add_argument("--questions", default=_default("questions.jsonl"),
                        help="JSONL {id, question, gold_passage_id or gold_passage_ids (any one counts), answers "
                             "(any one) or facts (groups, all needed), answerable} (default: the CMRC dev questions)")
    parser.add_argument("--k", default="1,3,5,10", help="recall cut-offs, comma-separated (default 1,3,5,10)")
    parser.add_argument("--out", default="artifacts/eval/report.json",
                        help="report path; a markdown table goes beside it as .md")
    parser.add_argument("--holdout-gold", type=float, default=0.0, metavar="F",
                        help="leave the gold passages of a seeded fraction F of the questions out of the index "
                             "and measure abstention")
    parser.add_argument("--seed", type=int, default=13, help="seed of --holdout-gold (default 13)")
    parser.add_argument("--limit", type=int, default=None, help="only the first N questions (full corpus)")
    parser.add_argument("--min-recall5", type=float, default=None, metavar="X",
                        help="exit with status 1 when recall@5 is below X")
    parser.add_argument("--mode", choices=MODES, default="hybrid",
                        help="hybrid (the service), or dense-only / keyword-only baselines")
    parser.add_argument("--retrieval-only", action="store_true", help="skip answering (faster, for tuning)")
    parser.add_argument("--cache-queries", action="store_true",
                        help="encode each question once, alone as the API does, and cache the vectors (tuning; latency "
                             "then excludes query encoding)")
    parser.add_argument("--details", action="store_true",
                        help="also write per-question records to <out>.questions.jsonl")
    parser.add_argument("--quiet", action="store_true", help="no progress bars")


def _ks(spec: str) -> list[int]:
    try:
        ks = sorted({int(x) for x in spec.split(",") if x.strip()})
    except ValueError:
        raise InputError(f"--k wants comma-separated integers (got {spec!r})") from None
    if not ks or ks[0] < 1 or ks[-1] > 10:
        raise InputError("--k values must be between 1 and 10 (10 passages are retrieved)")
    return ks


def _plain(v: Any) -> Any:
    return str(v) if isinstance(v, Path) else v


def _pct(v: Any) -> str:
    return "–" if v is None else f"{100 * v:.1f}"


def markdown(report: dict[str, Any]) -> str:
    """The report as a markdown table (percentages), plus the abstention figures if any."""
    ks = report["config"]["ks"]
    answers = "answer_hit" in report["overall"]
    cols = ["type", "n"] + [f"R@{k}" for k in ks] + ["MRR@10"]
    if answers:
        cols += ["answer hit", "citation hit", "abstained", "truncated"]
    cols += ["p50 ms", "p95 ms"]
    lines = ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    rows = [("all", report["overall"])] + list(report["by_type"].items())
    for name, s in rows:
        cells = [f"**{name}**" if name == "all" else name, str(s["n"])]
        cells += [_pct(s[f"recall@{k}"]) for k in ks] + [_pct(s["mrr@10"])]
        if answers:
            cells += [_pct(s.get(x)) for x in ("answer_hit", "citation_hit", "abstained", "truncated")]
        cells += [f"{s['latency_ms_p50']:.0f}", f"{s['latency_ms_p95']:.0f}"]
        lines.append("| " + " | ".join(cells) + " |")
    ab = report.get("abstention")
    if ab:
        lines += ["", f"Abstention ({ab['unanswerable']} questions without their gold passage): "
                      f"precision {_pct(ab['precision'])}%, recall {_pct(ab['recall'])}%, "
                      f"false abstentions on the rest {_pct(ab['false_abstention_rate'])}%"]
    return "\n".join(lines) + "\n"


def run_eval(args: argparse.Namespace) -> int:
    """Run `rag eval`; 1 when --min-recall5 is given and not met, else 0."""
    from rag.embedding import load_embedder

    if not args.corpus or not args.questions:
        raise InputError("give --corpus and --questions (the CMRC 2018 files were not found beside the repo)")
    ks = _ks(args.k)
    if args.min_recall5 is not None and 5 not in ks:
        ks = sorted(ks + [5])
    if not 0 <= args.holdout_gold < 1:
        raise InputError("--holdout-gold must be in [0, 1)")
    corpus_path, questions_path = Path(args.corpus), Path(args.questions)
    articles = None
    if corpus_path.is_dir():  # article files (e.g. seeds/), parsed as `rag build` does
        from rag.sources import load_paths

        articles, _ = load_paths([corpus_path])
        passages = [Passage(id=a.id, title=a.title, text=a.text) for a in articles]
        digest = corpus_digest_articles(articles)
    else:
        passages = load_corpus(corpus_path)
        digest = corpus_digest(corpus_path)
    skipped: list[str] = []
    questions = load_questions(questions_path, args.limit, skipped)
    if skipped:
        print(f"skipped {len(skipped)} entries with an empty question: {', '.join(skipped[:5])}", file=sys.stderr)
    settings = Settings.from_env()
    progress = not args.quiet
    t0 = time.perf_counter()
    embedder: Embedder = load_embedder(settings, progress=progress)
    snap, info = cached_snapshot(passages, digest, settings, embedder, progress=progress, articles=articles)
    dropped = holdout(questions, args.holdout_gold, args.seed)
    if dropped:
        snap, info = cached_snapshot(passages, digest, settings, embedder, dropped, previous=snap,
                                     progress=progress, articles=articles)
    if args.cache_queries:
        embedder = QueryCache(embedder, [q.question for q in questions], settings.cache_dir / "eval", progress)
    runner = QuestionRunner(settings, embedder, snap, args.mode, args.retrieval_only)
    records = runner.run(questions, set(snap.articles), progress=progress)
    config = {
        "corpus": str(corpus_path), "questions": str(questions_path), "passages": len(passages),
        "questions_run": len(questions), "skipped_empty": skipped, "limit": args.limit, "mode": args.mode,
        "retrieval_only": args.retrieval_only, "cache_queries": args.cache_queries, "holdout_gold": args.holdout_gold, "seed": args.seed,
        "ks": ks, "model": embedder.name, "settings": {k: _plain(getattr(settings, k, None)) for k in _TUNING},
        "index": {k: v for k, v in vars(info).items() if k != "dropped"}, "held_out_passages": len(dropped),
    }
    report = build_report(records, ks, not args.retrieval_only, config)
    report["seconds"] = round(time.perf_counter() - t0, 1)
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, ensure_ascii=False, indent=1), encoding="utf-8")
    table = markdown(report)
    out.with_suffix(".md").write_text(table, encoding="utf-8")
    if args.details:
        out.with_suffix(".questions.jsonl").write_text(
            "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8")
    print(table)
    r5 = report["overall"]["recall@5"]
    if args.min_recall5 is not None and r5 < args.min_recall5:
        print(f"recall@5 {r5:.4f} is below --min-recall5 {args.min_recall5}", file=sys.stderr)
        return 1
    return 0
