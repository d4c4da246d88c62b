"""What the answer scorer (rag.scorer) sees: features of a question, its candidate passages and their sentences.

- passage features: both retrievers' ranks and scores, the best stored sentence cosine in the passage and the
  coverage of the question's terms, and the question's language.
- sentence features: the sentence's stored vector against the question vector, term coverage, the answer type,
  its neighbours, whether it leaves out the entry the question names (a Wikipedia entry's later sentences drop
  their subject), and its passage's score.
- question features: from the best sentences and passages, for "the corpus answers this question".
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from rag.countries import countries_asked, countries_in, located_in, towns_asked
from rag.counts import asked_befalling, counted_unit, figure_check
from rag.errors import NotFound
from rag.evidence import asks_name, required_evidence
from rag.figures import expected_unit
from rag.glossary import question_tokens
from rag.keywords import CJK, content_terms, normalize, tokenize
from rag.people import asked_relative, counted_names, figure_countries, foreign_nationals, others_asked
from rag.posts import asked_post
from rag.questions import (
    answer_type,
    asked_chars,
    asks_about_credits,
    asks_city,
    is_english,
    named_entities,
    split_parts,
)
from rag.responses import responder, responder_en
from rag.scorer import shares
from rag.sentence_roles import is_credit_line, is_own_question
from rag.store import IndexView
from rag.typematch import sentence_types
from rag.types import Hit
from rag.which import restates_which

PASSAGE_FEATURES = ("p_dense", "p_dense_gap", "p_dense_rr", "p_kw_rr", "p_rrf_rr", "p_cov", "p_sent_max",
                    "p_sent_gap", "q_en", "q_en_x_dense_gap", "q_en_x_sent_gap", "q_en_x_cov")
_P_COV = PASSAGE_FEATURES.index("p_cov")
SENTENCE_FEATURES = ("s_cos", "s_cos_gap", "s_cos_rr", "s_cov", "s_lex", "s_type_match", "s_type_miss",
                     "s_len", "s_new", "s_only_q", "p_logit", "p_rank_rr", "q_en", "q_en_x_cos_gap", "q_en_x_cov",
                     "s_unit_match", "s_unit_miss", "s_lex_x_pcov", "s_cos_gap_x_pcov", "s_bigram", "s_bigram_gap",
                     "s_prev_cos_gap", "s_next_cos_gap", "s_prev_lex", "s_next_lex", "s_title_implicit",
                     "s_lex_rest", "s_bigram_rest", "s_bigram_rest_gap")
QUESTION_FEATURES = ("best_logit", "second_gap", "top_p_logit", "p_gap", "top_cov", "top_dense", "max_cos",
                     "type_known", "type_found", "q_en", "q_hant", "q_en_x_max_cos", "q_en_x_best_logit",
                     "n_focus_oov", "best_type_match", "best_cov", "best_cos", "missing_idf", "unit_known",
                     "unit_best", "unit_any", "best_share", "entity_absent")
AFTER_PASSAGE = 400  # characters past a passage's end searched for the one sentence after it
ADJACENT = 4  # at most this many characters (white space, a paragraph break) between neighbouring sentence units
_SUBHEAD_END = "。！？；…”」）)"

_QWORDS = re.compile(r"什么|哪[个里儿些位一年天]?|多少|几[个年月日]?|谁|怎么|怎样|如何|为什么|为何|是否|吗|呢")
_NONWORD = re.compile(r"[^\w\u3400-\u9fff]+")


@lru_cache(maxsize=65536)
def _bigrams(text: str) -> frozenset[str]:
    t = _NONWORD.sub("", normalize(text))
    return frozenset(t[i:i + 2] for i in range(len(t) - 1))


def question_bigrams(question: str) -> frozenset[str]:
    """Character bigrams of a question without its question words (for copied-phrasing overlap)."""
    return _bigrams(_QWORDS.sub(" ", normalize(question)))


@lru_cache(maxsize=65536)
def sentence_tokens(text: str) -> frozenset[str]:
    """The search tokens of a stored sentence. Cached: candidate sentences recur across questions."""
    return frozenset(tokenize(text))


# --------------------------------------------------------------------------- the question


@dataclass
class Query:
    """A question as the scorer sees it."""

    text: str
    vector: np.ndarray
    tokens: list[str]
    english: bool
    hant: bool
    atype: str
    focus: dict[str, float]  # content term -> idf
    known: frozenset[str]  # the focus terms some passage holds
    words: set[str]
    unit: re.Pattern[str] | None = None  # what the answer's figure must count, when the question says
    bigrams: frozenset[str] = frozenset()  # its character bigrams, question words aside
    entities: tuple[str, ...] = ()  # the proper names it names (rag.questions.named_entities)
    countries: frozenset[str] = frozenset()  # the countries it names (rag.countries.countries_asked)
    # those whose figure it asks: not a cited speaker's or one set aside (rag.people.figure_countries)
    figure_countries: frozenset[str] = frozenset()
    # "除了俄罗斯，还有哪些国家…": the countries its answer must name one beyond (rag.people.others_asked)
    beyond: frozenset[str] | None = None
    multipart: bool = False  # it asks several things (rag.questions.split_parts)
    about_credits: bool = False  # it asks who reported or edited (then a credits line may answer)
    city: bool = False  # it asks in which town (rag.questions.asks_city)
    nationals: tuple[str, ...] = ()  # a foreign national's country, where or when asked (rag.people.foreign_nationals)
    located: frozenset[str] = frozenset()  # the countries a town question places its town in (rag.countries.located_in)
    towns: tuple[str, ...] = ()  # the towns it points an event at ("…市的那场枪战": rag.countries.towns_asked)
    counted: tuple[str, ...] = ()  # the names of those whose things it counts ("多少名以色列人": rag.people.counted_names)
    count_in: re.Pattern[str] | None = None  # its count in the question's classifier ("多少份": rag.counts.counted_unit)
    befell: str | None = None  # what befell those it counts ("多少人被捕": rag.counts.asked_befalling)
    name: bool = False  # it asks what someone is called (rag.evidence.asks_name)
    responder: str | None = None  # whose response it asks about (rag.responses.responder)
    responder_en: str | None = None  # the same, named by one Latin word in English ("Putin": responder_en)
    # for a count question, does a sentence write a figure it does not give itself (rag.counts.figure_check)
    new_figure: Callable[[str], bool] | None = None
    evidence: Callable[[str], bool] | None = None  # says a sentence what it asks: a birth, a model (required_evidence)
    asked: frozenset[str] = frozenset()  # the asking clause's own characters (rag.questions.asked_chars)
    relative: tuple[str, ...] = ()  # the words for a relative it asks for (rag.people.asked_relative)
    post: Callable[[str], bool] | None = None  # says a sentence the post whose holder it asks (asked_post)
    # does a sentence say the N it asks "which N" of only as "a N" or bare (rag.which.restates_which)
    restates: Callable[[str], bool] | None = None

    @classmethod
    def make(cls, snap: IndexView, text: str, vector: np.ndarray, tokens: Sequence[str] | None = None) -> Query:
        toks = list(tokens) if tokens is not None else question_tokens(text, snap.vocabulary)
        atype = answer_type(text)
        focus = snap.idf(content_terms(toks, snap.vocabulary))
        cjk = "".join(CJK.findall(text))
        english, countries = is_english(text), _countries(text, toks)
        city = atype == "place" and asks_city(text)
        return cls(text=text, vector=vector, tokens=toks, english=english,
                   hant=bool(cjk) and normalize(cjk) != cjk, atype=atype, focus=focus,
                   known=frozenset(t for t in focus if snap.knows(t)), words=set(toks), unit=expected_unit(text), bigrams=question_bigrams(text),
                   entities=named_entities(text), countries=countries,
                   figure_countries=figure_countries(text, countries), beyond=others_asked(text, countries),
                   multipart=len(split_parts(text)) > 1,
                   about_credits=asks_about_credits(text), counted=counted_names(text),
                   city=city, nationals=foreign_nationals(text) if atype in ("place", "time") else (),
                   located=located_in(text, countries) if city and not english else frozenset(),
                   towns=() if english else towns_asked(text), evidence=required_evidence(text, atype),
                   count_in=counted_unit(text), befell=asked_befalling(text), name=asks_name(text, atype),
                   new_figure=figure_check(text, atype), responder=responder(text), responder_en=responder_en(text), asked=asked_chars(text),
                   relative=asked_relative(text), post=asked_post(text, atype),
                   restates=restates_which(text, atype))


def _countries(text: str, tokens: Sequence[str]) -> frozenset[str]:
    """The countries a question names (rag.countries.countries_asked); in English also those its search tokens'
    Chinese words name (the glossary's "turkey" -> 土耳其)."""
    if not is_english(text):
        return countries_asked(normalize(text), False)
    return countries_asked(text, True) | countries_in(" ".join(tokens))


# --------------------------------------------------------------------------- passages


def passage_features(snap: IndexView, q: Query, hits: Sequence[Hit]) -> np.ndarray:
    """One row of PASSAGE_FEATURES per candidate hit (in their fused order)."""
    n = len(hits)
    if n == 0:
        return np.zeros((0, len(PASSAGE_FEATURES)))
    rows = [snap.row_of(h.chunk.id) for h in hits]
    missing = [i for i, h in enumerate(hits) if h.dense_score is None]
    dense = np.array([h.dense_score if h.dense_score is not None else 0.0 for h in hits], dtype=np.float64)
    if missing:
        vecs = snap.vectors([rows[i] for i in missing])
        dense[missing] = vecs @ q.vector
    sent_max = np.zeros(n)
    for i, h in enumerate(hits):
        _, _, sv = snap.sentences.within(h.chunk.doc_id, h.chunk.start, h.chunk.end)
        sent_max[i] = float((sv @ q.vector).max()) if len(sv) else dense[i]
    total = sum(q.focus.values()) or 1.0
    known = {t: w for t, w in q.focus.items() if t in q.known}
    cov = np.array(snap.coverage(rows, known)) / total if known else np.zeros(n)
    en = float(q.english)
    out = np.zeros((n, len(PASSAGE_FEATURES)))
    out[:, 0] = dense
    out[:, 1] = dense - dense.max()
    out[:, 2] = [1.0 / h.dense_rank if h.dense_rank else 0.0 for h in hits]
    out[:, 3] = [1.0 / h.keyword_rank if h.keyword_rank else 0.0 for h in hits]
    out[:, 4] = 1.0 / np.arange(1, n + 1)
    out[:, 5] = cov
    out[:, 6] = sent_max
    out[:, 7] = sent_max - sent_max.max()
    out[:, 8] = en
    out[:, 9] = en * out[:, 1]
    out[:, 10] = en * out[:, 7]
    out[:, 11] = en * cov
    return out


# --------------------------------------------------------------------------- sentences


@dataclass
class Sentence:
    hit: Hit
    passage_rank: int  # 1-based rank of its passage after reranking
    start: int  # absolute offsets in the article text
    end: int
    text: str
    cos: float
    p_logit: float
    p_cov: float = 0.0  # coverage of the question's terms by its passage
    features: np.ndarray | None = None
    logit: float = 0.0
    prob: float = 0.0
    type_match: bool = False
    unit_match: bool = False
    article: str = ""  # its article's title and text, normalised (rag.keywords.normalize)


def candidate_sentences(snap: IndexView, q: Query, hits: Sequence[Hit], p_logits: Sequence[float],
                        n_passages: int = 3, p_rows: np.ndarray | None = None) -> list[Sentence]:
    """The stored sentence units of the top passages, sub-headings skipped, each once."""
    out: list[Sentence] = []
    seen: set[tuple[str, int, int]] = set()
    # each passage's coverage of the question's terms (its PASSAGE_FEATURES row), for the sentence features
    covs = [float(r[_P_COV]) for r in p_rows] if p_rows is not None else [0.0] * len(hits)
    for rank, (h, pl, pc) in enumerate(zip(hits[:n_passages], p_logits, covs), 1):
        art = snap.articles[h.chunk.doc_id]
        text, whole = art.text, _normalized(f"{art.title}\n{art.text}")
        # and the sentence right after the passage: a passage may end on the sentence that introduces a speaker,
        # whose words follow ("基辅分析师阿列克谢·库什告诉半岛电视台说…" ends it; "库什表示，中国和土耳其将填补这一空白"
        # opens the next)
        starts, ends, vecs = snap.sentences.within(h.chunk.doc_id, h.chunk.start,
                                                   h.chunk.end + (AFTER_PASSAGE if rank == 1 else 0))
        take = int((ends <= h.chunk.end).sum()) + 1  # the sentences sort by place: those inside, and one more
        starts, ends, vecs = starts[:take], ends[:take], vecs[:take]
        cos = vecs @ q.vector if len(vecs) else np.zeros(0)
        for s, e, c in zip(starts.tolist(), ends.tolist(), cos.tolist()):
            key = (h.chunk.doc_id, s, e)
            # a sentence past the passage is cited from the passage that holds it: its quote must contain it
            at = h if e <= h.chunk.end else _next_passage(snap, h, s, e)
            if at is None:
                continue
            # sub-headings ("国际呼吁") are context, not answers: skip short unpunctuated lines; so are the
            # article's own questions (a link to another story: "顿巴斯不同地区处于哪方势力控制之下？") and its credits
            if (key in seen or e - s < 4 or (e - s < 16 and text[e - 1] not in _SUBHEAD_END)
                    or is_own_question(text[s:e]) or (not q.about_credits and is_credit_line(text[s:e]))):
                continue
            seen.add(key)
            out.append(Sentence(hit=at, passage_rank=rank, start=s, end=e, text=text[s:e], cos=float(c),
                                p_logit=float(pl), p_cov=float(pc), article=whole))
    return out


def _next_passage(snap: IndexView, h: Hit, start: int, end: int) -> Hit | None:
    """The hit of the article's next passage when it holds text[start:end] (passages overlap), with `h`'s scores
    and ranks; None when there is none or it does not."""
    try:
        nxt = snap.chunk(f"{h.chunk.doc_id}#{h.chunk.ordinal + 1}")
    except NotFound:
        return None
    if not (nxt.doc_id == h.chunk.doc_id and nxt.start <= start and end <= nxt.end):
        return None
    return Hit(chunk=nxt, score=h.score, dense_rank=h.dense_rank, keyword_rank=h.keyword_rank,
               dense_score=h.dense_score, also_reported_by=h.also_reported_by)


@lru_cache(maxsize=1024)
def _normalized(text: str) -> str:
    return normalize(text)


def sentence_features(snap: IndexView, q: Query, sents: list[Sentence], atype: str | None = None) -> np.ndarray:
    """One row of SENTENCE_FEATURES per sentence; also sets each sentence's `type_match`."""
    n = len(sents)
    if n == 0:
        return np.zeros((0, len(SENTENCE_FEATURES)))
    atype = atype or q.atype
    toks = [sentence_tokens(s.text) for s in sents]
    total = sum(q.focus.values()) or 1.0
    weight = {}
    for t, w in q.focus.items():  # idf times rarity among the candidates: the shared entity cannot pick one
        df = sum(1 for ts in toks if t in ts)
        weight[t] = w * math.log(1 + n / (1 + df))
    wtotal = sum(weight.values()) or 1.0
    cos = np.array([s.cos for s in sents])
    order = np.argsort(-cos, kind="stable")
    cos_rank = np.empty(n)
    cos_rank[order] = np.arange(1, n + 1)
    known = atype not in ("other", "yesno")
    en = float(q.english)
    lex = [sum(w for t, w in weight.items() if t in ts) / wtotal for ts in toks]
    # copied phrasing: the share of the question's character bigrams (question words aside) in the sentence
    qgrams = q.bigrams
    grams = [len(qgrams & _bigrams(s.text)) / len(qgrams) if qgrams else 0.0 for s in sents]
    # the sentences before and after in the same article (when they are candidates too): an answer often
    # follows or precedes the sentence that restates the question, and some answers span two sentences
    prev, nxt = np.full(n, -1), np.full(n, -1)
    by_place = sorted(range(n), key=lambda i: (sents[i].hit.chunk.doc_id, sents[i].start))
    for a, b in zip(by_place, by_place[1:]):
        if sents[a].hit.chunk.doc_id == sents[b].hit.chunk.doc_id and sents[b].start - sents[a].end <= ADJACENT:
            nxt[a], prev[b] = b, a
    # Each candidate's article title, read once per article:
    # - the article's topic: a question that names the title (a Wikipedia entry, "黄鳍紫鱼") asks about it, and
    #   the entry's later sentences leave it out ("体长可达50公分。") while its lead sentence names it;
    # - the question without the title: what it asks about the topic. The lead sentence shares the title's words
    #   with the question; the sentence that answers shares the rest ("纽西兰国防军的预备兵力约是多少？" ->
    #   "预备兵力约2300名。", not "纽西兰国防军…常备兵力约9053名").
    qn = normalize(q.text)
    titles: dict[str, tuple[str, dict[str, float], float, frozenset[str]]] = {}
    implicit, lex_rest, grams_rest = np.zeros(n), np.zeros(n), np.zeros(n)
    for i, s in enumerate(sents):
        doc = s.hit.chunk.doc_id
        if doc not in titles:
            raw = snap.articles[doc].title or ""
            title = normalize(raw)
            ttoks = sentence_tokens(raw)
            rest_w = {t: w for t, w in weight.items() if t not in ttoks}
            titles[doc] = (title if len(title) >= 2 and title in qn else "", rest_w, sum(rest_w.values()) or 1.0,
                           qgrams - _bigrams(raw))
        named, rest_w, rest_total, rest_grams = titles[doc]
        implicit[i] = float(bool(named) and named not in normalize(s.text))
        lex_rest[i] = sum(w for t, w in rest_w.items() if t in toks[i]) / rest_total
        grams_rest[i] = len(rest_grams & _bigrams(s.text)) / len(rest_grams) if rest_grams else 0.0
    out = np.zeros((n, len(SENTENCE_FEATURES)))
    for i, (s, ts) in enumerate(zip(sents, toks)):
        match = sentence_types(s.text, q.words, atype, q.text) if known else True
        s.type_match = match
        s.unit_match = bool(q.unit is not None and q.unit.search(normalize(s.text)))
        cov = sum(w for t, w in q.focus.items() if t in ts) / total
        new = [t for t in ts if t not in q.words]
        out[i] = (s.cos, s.cos - cos.max(), 1.0 / cos_rank[i], cov,
                  lex[i],
                  float(known and match), float(known and not match), math.log1p(len(s.text)),
                  math.log1p(len(new)), float(len(ts) > 0 and not new), s.p_logit, 1.0 / s.passage_rank, en,
                  en * (s.cos - cos.max()), en * cov, float(s.unit_match), float(q.unit is not None and not s.unit_match),
                  # a question that copies its passage's wording (high coverage) makes word overlap telling
                  lex[i] * s.p_cov, (s.cos - cos.max()) * s.p_cov, grams[i], grams[i] - max(grams),
                  (cos[prev[i]] if prev[i] >= 0 else s.cos) - cos.max(), (cos[nxt[i]] if nxt[i] >= 0 else s.cos) - cos.max(),
                  lex[prev[i]] if prev[i] >= 0 else 0.0, lex[nxt[i]] if nxt[i] >= 0 else 0.0, implicit[i],
                  lex_rest[i], grams_rest[i], grams_rest[i] - grams_rest.max())
    return out


def question_features(q: Query, sents: list[Sentence], p_logits: Sequence[float], p_rows: np.ndarray) -> np.ndarray:
    """One row of QUESTION_FEATURES; `sents` carry their sentence-model logits."""
    ranked = sorted(sents, key=lambda s: -s.logit)
    best = ranked[0].logit if ranked else -10.0
    second = ranked[1].logit if len(ranked) > 1 else best - 5.0
    pl = list(p_logits) or [-10.0]
    known = q.atype not in ("other", "yesno")
    top_cov = float(p_rows[0, PASSAGE_FEATURES.index("p_cov")]) if len(p_rows) else 0.0
    top_dense = float(p_rows[0, 0]) if len(p_rows) else 0.0
    max_cos = max((s.cos for s in sents), default=top_dense)
    oov = sum(1 for t in q.focus if t not in q.known)
    en = float(q.english)
    best_cov = missing = 0.0
    if ranked and q.focus:
        # the asked-for attribute is often the question's rarest term: is it missing near the best sentence?
        toks = sentence_tokens(ranked[0].hit.chunk.text)
        top_idf = max(q.focus.values()) or 1.0
        missing = max((w for t, w in q.focus.items() if t not in toks), default=0.0) / top_idf
        sent_toks = sentence_tokens(ranked[0].text)
        best_cov = sum(w for t, w in q.focus.items() if t in sent_toks) / (sum(q.focus.values()) or 1.0)
    return np.array([best, best - second, pl[0], pl[0] - (pl[1] if len(pl) > 1 else pl[0] - 5.0), top_cov,
                     top_dense, max_cos, float(known), float(known and any(s.type_match for s in sents)), en,
                     float(q.hant), en * max_cos, en * best, float(oov),
                     float(bool(ranked) and ranked[0].type_match), best_cov,
                     ranked[0].cos if ranked else top_dense, missing, float(q.unit is not None),
                     float(bool(ranked) and ranked[0].unit_match), float(any(s.unit_match for s in sents)),
                     float(shares([s.logit for s in ranked]).max()) if ranked else 0.0,
                     # a name the question gives that the best sentence's article never mentions ("蒙古国的首都
                     # 是哪里？" over an article on Kazakhstan)
                     float(bool(ranked) and any(e not in ranked[0].article for e in q.entities))])
