"""Extractive summaries: the 3-5 most central sentences of an article, or of what retrieval found on a topic,
each cited to its exact span.

- Centrality (TextRank): the sentence units form a graph whose edge weights are the STORED sentence vectors'
  cosines above the graph's own mean cosine (e5 puts any two sentences near 0.8, so the raw cosine would make
  every sentence equally central); PageRank by power iteration ranks the units. A topic summary teleports
  towards the units closest to the topic's query vector (personalised PageRank), so central AND on topic wins.
- Selection: greedy MMR, the centrality minus a small penalty for similarity to what is already picked;
  near-copies (the same wire sentence in two outlets) are kept once. Output in article order (a topic
  summary: articles oldest first).
- No model call for an article; a topic costs the retrieval it already had. A topic the corpus does not cover
  gets the extractive answerer's refusal (its question gate), not a confident summary.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from rag.answer import ExtractiveAnswerer, quoted
from rag.keywords import normalize
from rag.questions import is_english
from rag.retrieval import Retrieval, near_duplicate
from rag.store import IndexView
from rag.types import Answer, Chunk, Citation, Hit, page_of

SUMMARY_PASSAGES = 8  # passages retrieved for a topic summary (a question gets RAG_TOP_K=5): more outlets to draw on
MIN_CHARS = 10  # shorter units ("他说。", a dateline) carry too little to stand in a summary
DAMPING = 0.85  # PageRank's usual damping
REDUNDANCY = 0.3  # MMR weight of the similarity to picked sentences: small, centrality still decides
TOPIC_TEMPERATURE = 0.03  # teleport ~ exp((cos - best) / T): a unit 0.03 of cosine below the best gets 1/e
RELEVANT_SHARE = 0.1  # a topic draws on passages the reranker scores at least this share of the best (>= 3 passages)
DANGLING = 0.7  # centrality kept by a sentence that opens with a pronoun or connective ("然后他表示…"): it needs context
_DANGLING = re.compile(r"^(?:他|她|它|这|這|此|该|該|但|而|然后|然後|因此|所以|不过|不過|同时|同時|另外|此外|对此|對此|相反|另一方面)")
_FINAL = re.compile(r"[。！？!?；;….]$")

_CMD = r"(?:总结|總結|概括|归纳|歸納|综述|綜述|概述|摘要)"
_POLITE = r"(?:请|請|帮我|幫我|帮忙|幫忙|麻烦|麻煩|能否|能不能|可以|可否|能)?(?:你|您)?(?:帮我|幫我|帮忙|幫忙)?(?:简要|簡要|简单|簡單)?地?"
_OUTRIGHT = re.compile(  # a request whatever follows
    rf"{_CMD}一下|^{_POLITE}{_CMD}[\s：:，,《“「]|(?:的|个|個|份)(?:摘要|总结|總結|概要|概述|要点|要點)[\s。？?！!]*$"
    r"|^\s*(?:please\s+|can you\s+|could you\s+)?(?:give me\s+)?(?:a\s+)?(?:summary of|recap|tl;?dr)\b"
    r"|\b(?:summari[sz]e|sum up)\b", re.I)
_LEADING = re.compile(rf"^{_POLITE}{_CMD}")  # "总结哈萨克斯坦骚乱", unless it asks something ("总结报告是哪天发布的？")
_QUESTION = re.compile(r"什么|什麼|哪|谁|誰|吗|嗎|多少|几|幾|[？?]")
_COMMAND = re.compile(
    rf"{_CMD}(?:一下|下)?|(?:的|个|個|份)(?:摘要|总结|總結|概要|概述|要点|要點)|给我|給我|\b(?:please|can you|could you|"
    r"summari[sz]e|sum up|recap|tl;?dr|give me|(?:a\s+)?summary of|the)\b|[《》“”\"'「」：:，,。？?！!]", re.I)
_LEAD = re.compile(rf"^{_POLITE}\s*(?:关于|關於|有关|有關|about\s)?\s*", re.I)
_TAIL = re.compile(r"(?:吧|吗|嗎|呢|的)+$")
# a request for the article at hand ("总结一下这篇文章") rather than a topic; a follow-up names it through history
_DEICTIC = re.compile(r"这篇|這篇|那篇|该文|該文|本文|这则|這則|\b(?:this|that|the) (?:article|story|report)\b", re.I)


def is_summary_request(question: str) -> bool:
    """"总结一下…", "概括…", "…的摘要", "summarize …", "sum up …": asks for a summary rather than a fact."""
    q = question.strip()
    return bool(_OUTRIGHT.search(q) or (_LEADING.match(q) and not _QUESTION.search(q)))


def summary_query(query: str, history: Sequence[str] = ()) -> str:
    """The topic to retrieve for: the request without its command words ("总结一下哈萨克斯坦骚乱" -> "哈萨克斯坦骚乱").
    "这篇文章" in a follow-up is searched together with the last earlier user message."""
    topic = re.sub(r"\s+", " ", _COMMAND.sub(" ", query)).strip()
    topic = _TAIL.sub("", _LEAD.sub("", topic).strip()).strip()
    earlier = [h.strip() for h in history if h and h.strip()]
    if earlier and (_DEICTIC.search(query) or topic.lower() in ("它", "it", "this")) and earlier[-1] not in query:
        topic = f"{earlier[-1]} {topic}"
    return topic or query.strip()


def summary_length(n_units: int) -> int:
    """Sentences in a summary of `n_units` eligible units: 3 below 12 (a brief of up to ~600 characters, where 3
    sentences are already a quarter of it), 4 below 24 (a wire story of ~1,000 characters), else 5 (features; the
    seed articles have 11-46 eligible units; 5 units of at most 250 characters still fit one screen)."""
    return min(n_units, 3 if n_units < 12 else 4 if n_units < 24 else 5)


@dataclass
class Unit:
    """A candidate sentence: its article, exact span and text, the passage it is cited by, its stored vector."""

    doc_id: str
    start: int
    end: int
    text: str
    chunk: Chunk
    vector: np.ndarray
    score: float = 0.0  # centrality


def eligible(text: str) -> bool:
    """Sentence units a summary may use: whole sentences of 10+ characters. Skipped: a line without final
    punctuation (which includes rag.features.candidate_sentences' sub-heading rule), a caption ("…检查站（路透社）"),
    a long sentence's piece cut at a comma, a bracketed credit."""
    t = text.strip()
    if len(t) < MIN_CHARS or (t[0] in "（(【[" and t[-1] in "）)】]"):
        return False
    return bool(_FINAL.search(re.sub(r"[（(][^（()）]{1,12}[）)]$", "", t).rstrip("”’」』）)】》〉\"'")))


def centrality(vectors: np.ndarray, teleport: np.ndarray | None = None, damping: float = DAMPING,
               iterations: int = 200) -> np.ndarray:
    """PageRank of the units over their cosine graph (weights: cosine above the graph's mean off-diagonal
    cosine, rows normalised), teleporting to `teleport` (uniform when None). Sums to 1."""
    n = len(vectors)
    if n == 0:
        return np.zeros(0)
    p = np.full(n, 1.0 / n) if teleport is None else np.asarray(teleport, dtype=np.float64) / np.sum(teleport)
    if n == 1:
        return np.ones(1)
    sim = vectors.astype(np.float64) @ vectors.astype(np.float64).T
    off = ~np.eye(n, dtype=bool)
    w = np.where(off, np.maximum(sim - sim[off].mean(), 0.0), 0.0)
    out = w.sum(axis=1)
    sink = out == 0  # a unit like no other: its rank follows the teleport
    trans = np.divide(w, out[:, None], out=np.zeros_like(w), where=~sink[:, None])
    r = p.copy()
    for _ in range(iterations):
        r, prev = (1 - damping) * p + damping * (trans.T @ r + r[sink].sum() * p), r
        if np.abs(r - prev).sum() < 1e-12:
            break
    return r / r.sum()


def pick(units: Sequence[Unit], k: int, redundancy: float = REDUNDANCY) -> list[Unit]:
    """Greedy MMR over the units' centrality: (1 - redundancy) * score / best score - redundancy * the highest
    similarity (cosine above the mean, scaled to [0, 1]) to a picked unit. A near-copy of a picked unit (shared
    character bigrams, or cosine >= 0.97) is never picked. Returned in the order given."""
    if not units or k <= 0:
        return []
    vecs = np.vstack([u.vector for u in units]).astype(np.float64)
    sim = vecs @ vecs.T
    n = len(units)
    base = float(sim[~np.eye(n, dtype=bool)].mean()) if n > 1 else 0.0
    rel = np.clip((sim - base) / max(1e-6, 1 - base), 0.0, 1.0)
    score = np.array([u.score for u in units])
    score = score / (score.max() or 1.0)
    chosen: list[int] = []
    left = set(range(n))
    while left and len(chosen) < k:
        penalty = rel[:, chosen].max(axis=1) if chosen else np.zeros(n)
        best = max(sorted(left), key=lambda i: (1 - redundancy) * score[i] - redundancy * penalty[i])
        left.discard(best)
        chosen.append(best)
        left -= {i for i in left if sim[i, best] >= 0.97 or near_duplicate(units[i].text, units[best].text)}
    return [units[i] for i in sorted(chosen)]


def article_units(snap: IndexView, doc_id: str) -> list[Unit]:
    """The eligible stored sentence units of an article, in order, each with the first passage holding it."""
    art = snap.article(doc_id)  # NotFound -> 404
    rows = snap.sentences.rows(doc_id)
    if rows is None:
        return []
    chunks = [snap.chunk_at(r) for r in snap.article_rows(doc_id)]
    out = []
    for s, e, v in zip(rows.starts.tolist(), rows.ends.tolist(), rows.vectors):
        text = art.text[s:e]
        holder = next((c for c in chunks if c.start <= s and e <= c.end), None)
        if holder is not None and eligible(text):
            out.append(Unit(doc_id, s, e, text, holder, v))
    return out


def retrieved_units(snap: IndexView, hits: Sequence[Hit]) -> list[Unit]:
    """The eligible units inside the retrieved passages, each once; a near-copy of a unit from a better
    passage (another outlet running the same wire sentence) is dropped."""
    out: list[Unit] = []
    seen: set[tuple[str, int, int]] = set()
    for h in hits:
        c = h.chunk
        text = snap.articles[c.doc_id].text
        starts, ends, vecs = snap.sentences.within(c.doc_id, c.start, c.end)
        for s, e, v in zip(starts.tolist(), ends.tolist(), vecs):
            if (c.doc_id, s, e) in seen or not eligible(text[s:e]) or \
                    any(u.doc_id != c.doc_id and near_duplicate(u.text, text[s:e]) for u in out):
                continue
            seen.add((c.doc_id, s, e))
            out.append(Unit(c.doc_id, s, e, text[s:e], c, v))
    return out


def _answer(snap: IndexView, question: str, picked: Sequence[Unit], passages: list[dict[str, object]]) -> Answer:
    """The answer contract: each sentence followed by its marker; one citation per sentence, its exact span."""
    citations, parts = [], []
    for n, u in enumerate(picked, 1):
        art = snap.articles[u.doc_id]
        citations.append(Citation(n=n, chunk_id=u.chunk.id, doc_id=u.doc_id, title=art.title, url=art.url,
                                  source=art.source, published=art.published, quote=u.text, start=u.start,
                                  end=u.end, score=round(u.score, 6), page=page_of(art, u.start)))
        parts.append(f"{quoted(u.text)}[{n}]")
    text = (" " if is_english(" ".join(parts)) else "").join(parts) or "（没有可作摘要的完整句子。）"
    return Answer(question=question, answer=text, answerable=bool(picked), citations=citations, passages=passages)


def _summarize_units(snap: IndexView, question: str, units: list[Unit], teleport: np.ndarray | None,
                     passages: list[dict[str, object]]) -> Answer:
    if units:
        for u, c in zip(units, centrality(np.vstack([u.vector for u in units]), teleport)):
            u.score = float(c) * (DANGLING if _DANGLING.match(u.text) else 1.0)
    picked = pick(units, summary_length(len(units)))
    # article order; across articles, the oldest first (undated last), so a topic reads as it unfolded
    first: dict[str, tuple[str, int]] = {}
    for i, u in enumerate(units):
        first.setdefault(u.doc_id, (snap.articles[u.doc_id].published or "9999", i))
    picked.sort(key=lambda u: (first[u.doc_id], u.start))
    return _answer(snap, question, picked, passages)


def summarize_document(snap: IndexView, doc_id: str, question: str | None = None) -> Answer:
    """GET /api/documents/{id}/summary: the article's most central sentences (NotFound for an unknown id)."""
    art = snap.article(doc_id)
    units = article_units(snap, doc_id)
    lead = 1 / np.sqrt(1 + np.arange(len(units)))  # a mild lead prior, in the teleport only: centrality decides
    ans = _summarize_units(snap, question or f"总结一下《{art.title}》", units, lead, [])
    cited = {u.chunk.id: u.chunk for u in units if any(c.chunk_id == u.chunk.id for c in ans.citations)}
    ans.passages = [Hit(c, 0.0).to_dict(art) for c in cited.values()]  # the passages the summary cites
    return ans


def named_article(snap: IndexView, question: str, hits: Sequence[Hit]) -> str | None:
    """The article a request names: by its id, or by (most of) its title among the retrieved articles."""
    def bigrams(text: str) -> set[str]:
        t = re.sub(r"\W+", "", normalize(text))
        return {t[i:i + 2] for i in range(len(t) - 1)}

    asked = bigrams(summary_query(question))
    ids = [w for w in re.findall(r"[A-Za-z0-9_.:-]{6,}", question) if w in snap.articles]
    titled = [d for d in dict.fromkeys(h.chunk.doc_id for h in hits)
              if len(asked & (t := bigrams(snap.articles[d].title))) >= 0.8 * len(t) > 0]
    return (ids + titled + [None])[0]


def summarize(extractive: ExtractiveAnswerer, r: Retrieval) -> Answer:
    """A chat request for a summary, over what the engine retrieved for its topic (rag.engine routes it here):
    a named article -> that article's summary; "这篇文章/the article about …" -> the best passage's article;
    otherwise the topic's summary across the retrieved passages. Refused when the gate says the corpus does not
    cover the topic."""
    snap, cands = r.snapshot, r.candidates
    passages = [h.to_dict(snap.articles.get(h.chunk.doc_id)) for h in cands.hits]
    doc_id = named_article(snap, r.question, cands.hits)
    if doc_id is not None:
        ans = summarize_document(snap, doc_id, r.question)
    else:
        verdict = extractive.judge(snap, r.query, cands)
        best = max((h.score for h in cands.hits), default=0.0)
        units = retrieved_units(snap, [h for i, h in enumerate(cands.hits) if i < 3 or h.score >= RELEVANT_SHARE * best])
        if not verdict.answerable or not units:
            ans = extractive.not_answerable(snap, r.question, cands, passages)
        elif _DEICTIC.search(r.question):
            ans = summarize_document(snap, cands.hits[0].chunk.doc_id, r.question)
        else:
            qv = cands.query_vector
            cos = np.array([float(u.vector @ qv) for u in units])
            on_topic = {h.chunk.id: h.score + 1e-6 for h in cands.hits}  # the reranker's probability of the passage
            teleport = np.exp((cos - cos.max()) / TOPIC_TEMPERATURE) * [on_topic[u.chunk.id] for u in units]
            ans = _summarize_units(snap, r.question, units, teleport, passages)
        ans.confidence = round(verdict.confidence, 4)
    ans.search_query = r.query
    return ans
