"""Keyword retrieval: script-normalised jieba tokens scored with BM25, persisted as sparse matrices."""

from __future__ import annotations

import json
import re
import threading
import unicodedata
from collections.abc import Iterable, Sequence
from functools import lru_cache
from pathlib import Path

import numpy as np
import scipy.sparse as sp

_lock = threading.Lock()
_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
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
    if _CJK.search(text):
        text = _converter().convert(text)  # type: ignore[attr-defined]
    return text


def to_simplified(text: str) -> str:
    """Traditional to simplified script, case kept: what the dense encoder sees of a question, so that
    both scripts of one question retrieve the same passages."""
    return _converter().convert(text) if _CJK.search(text) else text  # type: ignore[attr-defined]


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


def content_terms(tokens: Sequence[str], vocab: dict[str, int]) -> list[str]:
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


class KeywordIndex:
    """BM25 over chunk rows. Rows are stored as raw term counts; weights are derived at load."""

    def __init__(self, counts: sp.csr_matrix, vocab: dict[str, int], k1: float = 1.2, b: float = 0.75):
        self.counts = counts.tocsr()
        self.vocab = vocab
        self.k1, self.b = k1, b
        self._weights = self._bm25()

    # -- building -----------------------------------------------------------------------------

    @staticmethod
    def count_rows(token_lists: Iterable[Sequence[str]], vocab: dict[str, int]) -> sp.csr_matrix:
        """Term-count rows for tokenised chunks; new terms are appended to `vocab` in place."""
        indptr: list[int] = [0]
        indices: list[int] = []
        data: list[int] = []
        for toks in token_lists:
            row: dict[int, int] = {}
            for t in toks:
                tid = vocab.setdefault(t, len(vocab))
                row[tid] = row.get(tid, 0) + 1
            indices.extend(row.keys())
            data.extend(row.values())
            indptr.append(len(indices))
        n = len(indptr) - 1
        return sp.csr_matrix((np.array(data, dtype=np.float32), np.array(indices, dtype=np.int64),
                              np.array(indptr, dtype=np.int64)), shape=(n, max(len(vocab), 1)))

    @classmethod
    def from_rows(cls, rows: Sequence[sp.csr_matrix], vocab: dict[str, int]) -> KeywordIndex:
        width = max(len(vocab), 1)
        fixed = [sp.csr_matrix((r.data, r.indices, r.indptr), shape=(r.shape[0], width)) for r in rows]
        counts = sp.vstack(fixed, format="csr") if fixed else sp.csr_matrix((0, width), dtype=np.float32)
        return cls(counts, vocab)

    def _bm25(self) -> sp.csc_matrix:
        c = self.counts
        n_docs = c.shape[0]
        df = np.bincount(c.indices, minlength=c.shape[1]).astype(np.float32)
        self._idf = np.log1p((n_docs - df + 0.5) / (df + 0.5)).astype(np.float32)
        self._idf_oov = float(np.log1p((n_docs + 0.5) / 0.5))
        if n_docs == 0:
            return sp.csc_matrix(c.shape, dtype=np.float32)
        idf = self._idf
        dl = np.asarray(c.sum(axis=1)).ravel().astype(np.float32)
        avgdl = float(dl.mean()) or 1.0
        norm = self.k1 * (1 - self.b + self.b * dl / avgdl)
        rows = np.repeat(np.arange(n_docs), np.diff(c.indptr))
        tf = c.data
        w = idf[c.indices] * tf * (self.k1 + 1) / (tf + norm[rows])
        return sp.csr_matrix((w.astype(np.float32), c.indices, c.indptr), shape=c.shape).tocsc()

    def idf(self, tokens: Sequence[str]) -> dict[str, float]:
        """Inverse document frequency of each distinct token; unseen tokens get the highest value."""
        out = {}
        for t in dict.fromkeys(tokens):
            tid = self.vocab.get(t)
            out[t] = float(self._idf[tid]) if tid is not None and tid < len(self._idf) else self._idf_oov
        return out

    # -- searching ----------------------------------------------------------------------------

    def search(self, query_tokens: Sequence[str], k: int, allowed: np.ndarray | None = None
               ) -> list[tuple[int, float]]:
        """Top-k (row, score) pairs with a positive score, best first."""
        ids = [self.vocab[t] for t in dict.fromkeys(query_tokens) if t in self.vocab]
        if not ids or self.counts.shape[0] == 0:
            return []
        scores = np.asarray(self._weights[:, ids].sum(axis=1)).ravel()
        if allowed is not None:
            scores = np.where(allowed, scores, 0.0)
        nz = np.flatnonzero(scores > 0)
        if nz.size == 0:
            return []
        if nz.size > k:  # partial selection first: at 1M passages a full sort dominates the search
            nz = nz[np.argpartition(-scores[nz], k - 1)[:k]]
        top = nz[np.lexsort((nz, -scores[nz]))]
        return [(int(i), float(scores[i])) for i in top]

    # -- persistence --------------------------------------------------------------------------

    def save(self, directory: Path) -> None:
        sp.save_npz(directory / "keywords.npz", self.counts, compressed=False)
        (directory / "vocab.json").write_text(json.dumps(self.vocab, ensure_ascii=False), encoding="utf-8")

    @classmethod
    def load(cls, directory: Path) -> KeywordIndex:
        counts = sp.load_npz(directory / "keywords.npz").tocsr()
        vocab = json.loads((directory / "vocab.json").read_text(encoding="utf-8"))
        return cls(counts, vocab)
