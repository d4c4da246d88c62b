"""The prompt files: read, validate and fill them. They live in rag/prompts/ and can be overridden
(settings.llm_prompt_file) so a user can see and change exactly what the LLM is told."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from rag.answer import quoted
from rag.errors import ConfigError
from rag.store import IndexView
from rag.types import Hit

PROMPTS_DIR = Path(__file__).resolve().parents[1] / "prompts"
_SECTION = re.compile(r"^===\s*(system|user)\s*$", re.M)
Message = dict[str, str]


@dataclass(frozen=True)
class PromptTemplate:
    """A system and a user message with `{placeholder}`s (filled by plain replacement, so braces in
    questions or passages are safe)."""

    path: Path
    system: str
    user: str

    @classmethod
    def load(cls, path: Path, placeholders: Sequence[str]) -> PromptTemplate:
        try:
            raw = path.read_text(encoding="utf-8")
        except OSError as exc:
            raise ConfigError(f"cannot read the LLM prompt file {path}: {exc.strerror or exc}") from exc
        text = "\n".join(ln for ln in raw.splitlines() if not ln.lstrip().startswith("#"))
        parts = _SECTION.split(text)
        sections = {parts[i]: parts[i + 1].strip() for i in range(1, len(parts) - 1, 2)}
        if not sections.get("user"):
            raise ConfigError(f"the LLM prompt file {path} needs a '=== user' section (and usually '=== system')")
        both = sections.get("system", "") + sections["user"]
        missing = [p for p in placeholders if "{" + p + "}" not in both]
        if missing:
            raise ConfigError(f"the LLM prompt file {path} lacks the placeholder(s) "
                              + ", ".join("{" + p + "}" for p in missing))
        return cls(path, sections.get("system", ""), sections["user"])

    def messages(self, **values: str) -> list[Message]:
        def fill(s: str) -> str:
            for k, v in values.items():
                s = s.replace("{" + k + "}", v)
            return s

        out = [{"role": "system", "content": fill(self.system)}] if self.system else []
        return out + [{"role": "user", "content": fill(self.user)}]


def prompt_paths(override: Path | None) -> tuple[Path, Path]:
    """(answer prompt, condense prompt): the override and a condense.txt beside it, else the packaged ones."""
    if override is None:
        return PROMPTS_DIR / "answer.txt", PROMPTS_DIR / "condense.txt"
    beside = override.with_name("condense.txt")
    return override, beside if beside.is_file() and beside != override else PROMPTS_DIR / "condense.txt"


def format_passages(snap: IndexView, hits: Sequence[Hit]) -> str:
    """Numbered passages: `[n] title | outlet | date` then the passage text."""
    blocks = []
    for i, h in enumerate(hits, 1):
        art = snap.articles.get(h.chunk.doc_id)
        head = [art.title, art.source or "", (art.published or "")[:10]] if art else [h.chunk.doc_id]
        body = quoted(re.sub(r"\s*\n\s*", " ", h.chunk.text).strip())  # "[3]" in an article is not a marker
        blocks.append(f"[{i}] " + " | ".join(x for x in head if x) + "\n" + body)
    return "\n\n".join(blocks)


def question_text(question: str, query: str) -> str:
    """The question as the LLM sees it; a follow-up carries its standalone form too."""
    q, s = question.strip(), query.strip()
    return q if not s or s == q else f"{q}\n(standalone: {s})"


def format_history(history: Sequence[str]) -> str:
    return "\n".join(f"- {h.strip()}" for h in history if h and h.strip())
