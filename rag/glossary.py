"""English question words in Chinese, for the keyword index and the scorer's word features.

An English question shares no words with Chinese passages: BM25 finds nothing and every coverage feature
reads zero. rag/models/glossary.tsv (made by `python -m rag.evaluation.glossary` from the embedder itself)
gives common English words their nearest Chinese words; an English question's search tokens gain them.
"""

from __future__ import annotations

import re
from collections.abc import Container
from functools import lru_cache
from pathlib import Path

from rag.keywords import to_simplified, tokenize
from rag.questions import is_english

GLOSSARY_PATH = Path(__file__).resolve().parent / "models" / "glossary.tsv"
# An English word keeps its Chinese words down to this query cosine. Swept at 0.87/0.89/0.91/0.93, each with a
# refitted scorer, through the API's path (docs/benchmarks.md, "English questions through a glossary"): 0.91 gave
# the best answer hit on every set (seeds 88.4, CMRC trial 86.0, DRCD dev 1000 90.3/90.2); below it the
# glossary adds unrelated words (border -> 盒子 0.870), above it too few remain (292 words at 0.93)
MIN_SIMILARITY = 0.91
KEEP_PER_WORD = 3  # at most this many Chinese words per English word, nearest first
ENGLISH_WORD = re.compile(r"[a-z]{3,20}")  # the English words the glossary holds
# English words the glossary leaves out, as rag.keywords.STOPWORDS leaves out 多少, 哪一年, 是否: quantifiers,
# pronouns, auxiliaries and negation, and the words that name what is asked for ("in what year", "on which
# day") rather than the topic. Mapped, they add generic words to every question ("many" -> 许多 大批, "not" ->
# 不是, "year" -> 今年 年度) that the answer sentence need not hold.
FUNCTION_WORDS = frozenset(
    "many much more most some any all each every both few several not never nor only also just very too such "
    "than then there here these those they them their theirs him his her hers its our ours your yours mine "
    "can could would should shall will may might must have has had having been being does did done "
    "year years month months day days date dates time times".split())


@lru_cache(maxsize=2)
def load(path: str = str(GLOSSARY_PATH), floor: float = MIN_SIMILARITY) -> dict[str, tuple[str, ...]]:
    """English word -> its Chinese words with similarity at least `floor`, nearest first."""
    p = Path(path)
    if not p.is_file():
        return {}
    out: dict[str, tuple[str, ...]] = {}
    for line in p.read_text(encoding="utf-8").splitlines():
        if not line or line.startswith("#"):
            continue
        word, zh, sims = line.split("\t")
        kept = tuple(z for z, s in zip(zh.split(), sims.split()) if float(s) >= floor)
        if kept:
            out[word] = kept
    return out


ACRONYMS_PATH = Path(__file__).resolve().parent / "models" / "acronyms.tsv"


@lru_cache(maxsize=2)
def acronyms(path: str = str(ACRONYMS_PATH)) -> dict[str, tuple[str, ...]]:
    """English acronym (lower case: "csto") -> the Chinese names news writes for it ("集体安全条约组织", "集安组织")."""
    p = Path(path)
    if not p.is_file():
        return {}
    rows = (line.split("\t") for line in p.read_text(encoding="utf-8").splitlines() if line and not line.startswith("#"))
    return {word: tuple(names.split()) for word, names in rows}


def with_short_names(question: str) -> str:
    """A Chinese question that spells out an organisation's full name also gives its short one, the one news
    writes after the first mention ("集体安全条约组织哪年成立的？" -> "集体安全条约组织（集安组织）哪年成立的？"):
    the sentence that answers may name it either way (rag/models/acronyms.tsv). A question in traditional script
    is read in simplified ("集體安全條約組織是哪一年成立的？" gains "（集安组织）" too) when the two spell it with as
    many characters, as they nearly always do."""
    plain = to_simplified(question)
    for names in acronyms().values():
        full, short = names[0], names[-1]
        at = plain.find(full)
        if full == short or at < 0 or short in plain or len(plain) != len(question):
            continue
        end = at + len(full)
        question, plain = (f"{t[:end]}（{short}）{t[end:]}" for t in (question, plain))
    return question


def chinese_terms(tokens: list[str]) -> list[str]:
    """The glossary's Chinese words for the English words among `tokens` (search tokens, lower case), and the
    words of the short Chinese name of the acronyms among them ("csto" -> 集安, 组织), each once. The encoder knows
    no "CSTO". The short name (the last in rag/models/acronyms.tsv) and not the full one: with the words of
    "集体安全条约组织" too, the passages that spell it out outranked the one that answers "How long will the CSTO
    troops stay …, according to Putin?" (seeds unseen 89.2 -> 86.5); with the short name alone both it and "How
    many CSTO peacekeepers did Tokayev say …" are answered (docs/benchmarks.md)."""
    table, names = load(), acronyms()
    seen: dict[str, None] = {}
    for t in tokens:
        if ENGLISH_WORD.fullmatch(t) and t not in FUNCTION_WORDS:
            for z in table.get(t, ()):
                seen.setdefault(z, None)
            for name in names.get(t, ())[-1:]:
                for z in tokenize(name):
                    seen.setdefault(z, None)
    return list(seen)


# How people open a request, which names nothing they ask about: "你好，请问一下，", "介绍一下", "总结一下",
# "Can you tell me about". Left in, "介绍" matched "托卡耶夫介绍说" for "介绍一下托卡耶夫".
_REQUEST = re.compile(r"^(?:(?:你好|您好|hi|hello)[，,！!\s]*)?(?:(?:请问一下|请问|麻烦你?|请你?|帮我|能不能|可以)[，,\s]*)*"
                      r"(?:(?:介绍|总结|概括|说说|讲讲|谈谈|简述|梳理|解释)(?:一下)?[，,：:\s]*)?|"
                      r"^(?:please\s+)?(?:(?:can|could) you\s+)?(?:tell me(?: about)?|summari[sz]e|explain)\s+|"
                      r"[，,]?\s*(?:谢谢|多谢)[！!。.]*$", re.I)


def question_tokens(text: str, vocab: Container[str] | None = None) -> list[str]:
    """A question's search tokens (rag.keywords.tokenize) without its request phrases; an English question's also
    carry the glossary's Chinese words for its English words, those the corpus holds (`vocab`) when given."""
    text = _REQUEST.sub("", to_simplified(text).strip()) or text  # either script
    toks = tokenize(text)
    if not is_english(text):
        return toks
    have = set(toks)
    return toks + [z for z in chinese_terms(toks) if z not in have and (vocab is None or z in vocab)]
