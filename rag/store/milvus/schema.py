"""The schema of each of an index's Milvus collections, with its indexes.

Milvus wants a vector field in every collection: articles, terms and meta rows carry a constant 2-d one.
"""

from __future__ import annotations

from types import ModuleType
from typing import Any

from rag.keywords import STOPWORDS

PASSAGES, ARTICLES, SENTENCES, TERMS, META = "passages", "articles", "sentences", "terms", "meta"
KINDS = (PASSAGES, ARTICLES, SENTENCES, TERMS, META)
TEXT_PART = 16_000  # characters per article-text row: at 4 bytes a character, within Milvus's 65,535-byte VARCHAR
MAX_TERM_BYTES = 256  # longer rag.keywords terms are not counted (df, coverage)
MAX_TERMS = 4096  # distinct terms kept per passage (Milvus's largest ARRAY)
ID_BYTES = 1024  # longest article id
# Milvus's jieba (search mode), with its stop filter dropping what rag.keywords drops: our stop words and
# punctuation, so that passage lengths (BM25's length normalisation) count the same words as ours
PUNCTUATION = list("，。、；：？！“”‘’（）《》〈〉【】「」『』—…·～,.;:?!\"'()[]{}<>-_/|*&%$#@+=~`^") + ["——", "……"]
ANALYZER: dict[str, Any] = {"tokenizer": "jieba", "filter": [{"type": "stop", "stop_words": sorted(STOPWORDS) + PUNCTUATION}]}
DUMMY = [1.0, 0.0]


def collection_schema(mod: ModuleType, client: Any, kind: str, dim: int) -> tuple[Any, Any]:
    """(schema, index params) of collection `kind` (`mod` is pymilvus, imported on demand)."""
    dt, index = mod.DataType, client.prepare_index_params()
    s = mod.MilvusClient.create_schema(auto_id=False, enable_dynamic_field=False)
    if kind in (PASSAGES, SENTENCES):
        s.add_field("id", dt.INT64, is_primary=True)
        s.add_field("doc_id", dt.VARCHAR, max_length=ID_BYTES)
        s.add_field("hash", dt.VARCHAR, max_length=64)  # the article version the row belongs to
        for f in ("start", "end") if kind == SENTENCES else ("ordinal", "start", "end"):
            s.add_field(f, dt.INT64)
        index.add_index(field_name="doc_id", index_type="INVERTED")
    if kind == PASSAGES:
        s.add_field("body", dt.VARCHAR, max_length=65_535)  # article.text[start:end]
        s.add_field("text", dt.VARCHAR, max_length=65_535, enable_analyzer=True,  # normalize(title + "\n" + body)
                    analyzer_params=ANALYZER)
        s.add_field("sparse", dt.SPARSE_FLOAT_VECTOR)
        s.add_function(mod.Function(name="bm25", function_type=mod.FunctionType.BM25, input_field_names=["text"],
                                    output_field_names=["sparse"]))
        s.add_field("terms", dt.ARRAY, element_type=dt.VARCHAR, max_capacity=MAX_TERMS, max_length=MAX_TERM_BYTES)
        s.add_field("source", dt.VARCHAR, max_length=4096)  # the outlet, lower-cased, for filters
        s.add_field("day", dt.VARCHAR, max_length=16)  # published[:10], "" when undated
        # k1 and b as the segment store's BM25 (rag.store.postings), not Milvus Lite's default k1 = 1.5
        index.add_index(field_name="sparse", index_type="SPARSE_INVERTED_INDEX", metric_type="BM25",
                        params={"bm25_k1": 1.2, "bm25_b": 0.75})
        index.add_index(field_name="source", index_type="INVERTED")
        index.add_index(field_name="day", index_type="INVERTED")
    if kind in (PASSAGES, SENTENCES):
        s.add_field("vector", dt.FLOAT_VECTOR, dim=dim)
        if kind == PASSAGES:
            index.add_index(field_name="vector", index_type="HNSW", metric_type="IP",
                            params={"M": 16, "efConstruction": 200})
        else:  # read by article, never searched
            index.add_index(field_name="vector", index_type="FLAT", metric_type="IP")
        return s, index
    if kind == ARTICLES:  # key_of(id) for part 0 (the head); key_of(`<id>|<hash>|<part>`) for further text slices
        s.add_field("key", dt.INT64, is_primary=True)
        s.add_field("doc_id", dt.VARCHAR, max_length=ID_BYTES)
        s.add_field("hash", dt.VARCHAR, max_length=64)
        s.add_field("part", dt.INT64)
        s.add_field("parts", dt.INT64)
        s.add_field("text", dt.VARCHAR, max_length=65_535)
        s.add_field("title", dt.VARCHAR, max_length=65_535)
        for f in ("url", "source", "published", "author"):
            s.add_field(f, dt.VARCHAR, max_length=8192, nullable=True)
        s.add_field("extra", dt.JSON, nullable=True)  # Article fields beyond these (e.g. a PDF's pages)
        index.add_index(field_name="doc_id", index_type="INVERTED")
        index.add_index(field_name="part", index_type="INVERTED")
    elif kind == TERMS:
        s.add_field("id", dt.INT64, is_primary=True)  # key_of(term)
        s.add_field("term", dt.VARCHAR, max_length=MAX_TERM_BYTES)
        s.add_field("df", dt.INT64)
    else:
        s.add_field("key", dt.VARCHAR, max_length=64, is_primary=True)
        s.add_field("value", dt.VARCHAR, max_length=65_535)
    s.add_field("vector", dt.FLOAT_VECTOR, dim=len(DUMMY))
    index.add_index(field_name="vector", index_type="FLAT", metric_type="IP")
    return s, index
