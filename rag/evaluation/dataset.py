"""Evaluation data in the CMRC 2018 JSONL layout, and a regex classifier of Chinese question types.

`corpus.jsonl`: one passage per line, ``{"id", "title", "text"}``.
`questions.jsonl`: ``{"id", "question", "gold_passage_id", "answers", "answer_starts"}``.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path

from rag.errors import InputError
from rag.types import Article

QUESTION_TYPES = ("who", "when", "where", "how many", "why", "what")

# Checked in this order; the first match wins, "what" is the rest.
_TYPE_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("who", re.compile(r"谁|哪位|哪一位|哪些人|什么人")),
    ("when", re.compile(r"何时|哪一?年|什么时候|什么时间|几月|几号|哪一?天|哪个月|年份|何年|哪个朝代|"
                        r"哪一?时期|哪个年代")),
    ("where", re.compile(r"哪里|哪儿|什么地方|何处|何地|在哪|哪[个座一]?(?:国家|城市|省|州|地区|国|市|县|岛)")),
    ("how many", re.compile(r"多少|几[个次名位种部条家场届项层座本件张只所支人岁天年月周倍]|第几|"
                            r"多[长久高重远大宽深]|几何")),
    ("why", re.compile(r"为什么|为何|原因|何故|为啥")),
)


def question_type(question: str) -> str:
    """One of QUESTION_TYPES for a Chinese question, by its question words."""
    for name, pattern in _TYPE_PATTERNS:
        if pattern.search(question):
            return name
    return "what"


@dataclass(frozen=True)
class Passage:
    """One corpus line."""

    id: str
    title: str
    text: str

    def article(self) -> Article:
        return Article(id=self.id, title=self.title, text=self.text)


@dataclass(frozen=True)
class Question:
    """One question line, with its classified type (or its `kind`, for hand-written sets)."""

    id: str
    question: str
    gold_passage_id: str  # the first gold id ("" for a question the corpus cannot answer)
    answers: tuple[str, ...] = ()
    answer_starts: tuple[int, ...] = ()
    qtype: str = field(default="what")
    gold_ids: tuple[str, ...] = ()  # any one of these passages or articles counts
    facts: tuple[tuple[str, ...], ...] = ()  # every group must occur in the answer; () = any of `answers`

    @property
    def golds(self) -> tuple[str, ...]:
        return self.gold_ids or ((self.gold_passage_id,) if self.gold_passage_id else ())

    def hit(self, text: str) -> bool:
        from rag.evaluation.metrics import contains_answer

        groups = self.facts or ((self.answers,) if self.answers else ())
        return bool(groups) and all(contains_answer(text, list(g)) for g in groups)


def _lines(path: Path) -> list[dict[str, object]]:
    if not path.is_file():
        raise InputError(f"no such file: {path}")
    out = []
    for n, line in enumerate(path.read_text(encoding="utf-8").split("\n"), 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as exc:
            raise InputError(f"{path}:{n}: not JSON ({exc})") from exc
        if not isinstance(row, dict):
            raise InputError(f"{path}:{n}: expected a JSON object")
        out.append(row)
    return out


def load_corpus(path: Path) -> list[Passage]:
    """The passages of a corpus file, in file order; ids must be unique."""
    passages: list[Passage] = []
    seen: set[str] = set()
    for n, row in enumerate(_lines(path), 1):
        pid = str(row.get("id", ""))
        if not pid or "text" not in row:
            raise InputError(f"{path}: entry {n} needs 'id' and 'text'")
        if pid in seen:
            raise InputError(f"{path}: duplicate passage id {pid!r}")
        seen.add(pid)
        passages.append(Passage(id=pid, title=str(row.get("title") or ""), text=str(row["text"])))
    return passages


def load_questions(path: Path, limit: int | None = None, skipped: list[str] | None = None) -> list[Question]:
    """The questions of a question file, in file order (the first `limit` when given).

    Entries with an empty question (the CMRC trial split has two) are skipped; their ids are
    appended to `skipped` when a list is given.
    """
    out: list[Question] = []
    for n, row in enumerate(_lines(path), 1):
        q = row.get("question")
        golds = row.get("gold_passage_ids") or row.get("gold_doc_ids") or \
            ([row["gold_passage_id"]] if row.get("gold_passage_id") else [])
        if isinstance(q, str) and not q.strip() and golds:
            if skipped is not None:
                skipped.append(str(row.get("id", n)))
            continue
        unanswerable = row.get("answerable") is False
        if not isinstance(q, str) or not q.strip() or not isinstance(golds, list) or (not golds and not unanswerable):
            raise InputError(f"{path}: entry {n} needs 'question' and 'gold_passage_id' (or a list "
                             "'gold_passage_ids', or \"answerable\": false)")
        answers = row.get("answers") or []
        starts = row.get("answer_starts") or []
        facts = row.get("facts") or []
        out.append(Question(id=str(row.get("id", n)), question=q, gold_passage_id=str(golds[0]) if golds else "",
                            answers=tuple(str(a) for a in answers if str(a).strip()),  # type: ignore[union-attr,attr-defined]
                            answer_starts=tuple(int(s) for s in starts),  # type: ignore[union-attr,attr-defined]
                            qtype=str(row.get("kind") or question_type(q)),
                            gold_ids=tuple(str(g) for g in golds),
                            facts=tuple(tuple(str(x) for x in g) for g in facts)))  # type: ignore[union-attr,attr-defined]
        if limit is not None and len(out) >= limit:
            break
    return out
