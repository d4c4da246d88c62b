"""Keyword tokens: script-normalised jieba words (BM25 over them lives in rag.store.postings)."""

from __future__ import annotations

import re
import threading
import unicodedata
from collections.abc import Container, Sequence
from functools import lru_cache

_lock = threading.Lock()
CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")  # a Han character (and the compatibility ideographs)
_WORD = re.compile(r"[\w\u3400-\u9fff]")
# Function words that carry no topic; question words are dropped too, since they never occur in answers.
STOPWORDS = frozenset(
    "的 了 在 是 和 与 及 或 也 就 都 而 并 等 之 其 这 那 有 被 把 对 从 为 以 于 上 中 下 将 到 由 向 个 "
    "吗 呢 吧 啊 呀 么 什么 哪 哪里 哪个 哪些 哪儿 谁 几 多少 怎么 怎样 如何 为什么 为何 是否 是不是 "
    "何时 何地 什么时候 多久 第几 请问 请 问 一个 这个 那个 多长 多大 多远 多高 多重 多深 多宽 多少钱 几时 何处 "
    "何人 怎样 怎么样 哪国 哪家 哪种 哪类 什么样 是什么 叫什么 有何 何种 哪一年 哪年 哪一天 几年 几个 几次 几位 "
    "我们 你们 他们 它们 她们 我 你 他 她 它 哪位 是谁 什么人 同 跟 持 做 "
    "the a an of to in on for and or is are was were be by with what which who whom when where why how "
    "does do did that this these those it its as at from".split()
)


@lru_cache(maxsize=1)
def _converter() -> object:
    import opencc  # lazy: the C++ OpenCC wheel

    return opencc.OpenCC("t2s")


@lru_cache(maxsize=1)
def _jieba() -> object:
    import jieba

    jieba.setLogLevel(60)
    jieba.initialize()
    return jieba


def normalize(text: str) -> str:
    """Full-width to half-width, lower case, traditional to simplified: for matching only."""
    text = unicodedata.normalize("NFKC", text).lower()
    if CJK.search(text):
        text = _converter().convert(text)  # type: ignore[attr-defined]
    return text


_CLAUSE = re.compile(r"[^，,。；;！？!?]+")


def clauses(text: str) -> list[str]:
    """The clauses of a (normalised) text: its runs between commas, semicolons and sentence ends."""
    return _CLAUSE.findall(text)


def to_simplified(text: str) -> str:
    """Traditional to simplified script, case kept: what the dense encoder sees of a question, so that
    both scripts of one question retrieve the same passages."""
    return _converter().convert(text) if CJK.search(text) else text  # type: ignore[attr-defined]


# Readers ask in their own words: Cantonese question words ("撤走了幾多名員工？", "邊個話嘅？"), the spoken "啥" and
# "咋", the family words of speech ("他爷爷是谁？") and "怼" for a retort; news writes Mandarin question words,
# "祖父" and "回应". The
# question readers, the figure rules and the encoder read the written word. Each entry is a word no written
# Mandarin question needs as it is (嘅, 咗, 佢, 喺, 冇 are Cantonese only), so such a question is never changed.
_SPOKEN = (("幾多", "多少"), ("几多", "多少"), ("邊個", "谁"), ("边个", "谁"), ("點解", "为什么"),
           ("点解", "为什么"), ("邊度", "哪里"), ("边度", "哪里"), ("乜嘢", "什么"), ("咩嘢", "什么"),
           ("係唔係", "是不是"), ("系唔系", "是不是"), ("有冇", "有没有"), ("嘅", "的"), ("咗", "了"),
           ("佢", "他"), ("喺", "在"), ("冇", "没有"), ("啥", "什么"), ("咋", "怎么"),
           ("爷爷", "祖父"), ("爺爺", "祖父"), ("奶奶", "祖母"), ("外公", "外祖父"), ("外婆", "外祖母"),
           ("爸爸", "父亲"), ("妈妈", "母亲"), ("媽媽", "母親"), ("老婆", "妻子"), ("老公", "丈夫"),
           # a retort in speech ("怎么怼回布林肯的？"); news writes 回应
           ("怼回", "回应"), ("回怼", "回应"), ("怼", "回应"), ("回呛", "回应"), ("回嗆", "回应"))


def written(question: str) -> str:
    """A question in written Mandarin words ("幾多名" -> "多少名", "他爷爷" -> "他祖父"); any other text as it is."""
    if CJK.search(question):
        for word, standard in _SPOKEN:
            question = question.replace(word, standard)
    return question


_CJK_ONLY = re.compile(r"^[\u3400-\u9fff]+$")


def tokenize(text: str) -> list[str]:
    """Search tokens of a text: jieba's fine-grained words, plus the character bigrams of CJK words
    jieba does not know. jieba glues unknown names to the next character ("潘淑是"), so without the
    bigrams a name would only match where it is followed by the same character."""
    jb = _jieba()
    with _lock:  # jieba's lazy state is not thread-safe
        words = jb.lcut_for_search(normalize(text))  # type: ignore[attr-defined]
    freq = jb.dt.FREQ  # type: ignore[attr-defined]
    out: list[str] = []
    extra: list[str] = []
    for w in words:
        w = w.strip()
        if not w or w in STOPWORDS or not _WORD.search(w):
            continue
        out.append(w)
        if len(w) >= 3 and _CJK_ONLY.match(w) and not freq.get(w):
            extra.extend(w[i:i + 2] for i in range(len(w) - 1))
    return out + [e for e in extra if e not in STOPWORDS]


def is_glued(token: str) -> bool:
    """A CJK token jieba does not know: usually an unknown name glued to the next character."""
    return len(token) >= 3 and bool(_CJK_ONLY.match(token)) and not _jieba().dt.FREQ.get(token)  # type: ignore[attr-defined]


def content_terms(tokens: Sequence[str], vocab: Container[str]) -> list[str]:
    """The question's distinctive terms, for judging whether a passage covers it.

    Search tokens over-count: one name yields several overlapping sub-words, and single characters
    carry little meaning. Keep maximal multi-character words; replace a glued unknown word by those of
    its bigrams the corpus knows (or keep it whole when it knows none: a name the corpus lacks)."""
    distinct = list(dict.fromkeys(tokens))
    terms: list[str] = []
    for t in distinct:
        if _CJK_ONLY.match(t) and len(t) == 1:
            continue
        if is_glued(t) and t not in vocab:
            known = [t[i:i + 2] for i in range(len(t) - 1) if t[i:i + 2] in vocab]
            terms.extend(known or [t])
            continue
        if any(t != o and t in o and (not is_glued(o) or o in vocab) for o in distinct):
            continue  # a sub-word of a longer word in the question
        terms.append(t)
    glued_bigrams = {t[i:i + 2] for t in distinct if is_glued(t) and t not in vocab for i in range(len(t) - 1)}
    return [t for t in dict.fromkeys(terms) if t not in glued_bigrams or t in vocab]
