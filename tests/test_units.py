"""Fast unit tests with known values (issue 16, item 7): fusion, filters, BM25 scores, settings precedence,
facets and near duplicates."""

from __future__ import annotations

from pathlib import Path

import pytest

from rag.errors import ConfigError
from rag.retrieval import Filters, facets, near_duplicate, rrf
from rag.settings import Settings
from rag.types import Article


def test_rrf_sums_weight_over_k_plus_rank() -> None:
    fused = rrf([([7, 3, 5], 1.0), ([3, 9], 2.0)], k=10)
    assert fused[7] == pytest.approx(1 / 11)
    assert fused[3] == pytest.approx(1 / 12 + 2 / 11)  # in both lists: the keyword list counts double
    assert fused[5] == pytest.approx(1 / 13) and fused[9] == pytest.approx(2 / 12)
    assert max(fused, key=fused.__getitem__) == 3


def test_filters_by_outlet_substring_and_inclusive_dates() -> None:
    f = Filters(source="rfa", date_from="2022-01-08", date_to="2022-01-11")
    assert f.active() and not Filters().active()
    assert f.allows("RFA 自由亚洲电台", "2022-01-08T00:00:00+00:00")  # case-insensitive, first day included
    assert f.allows("RFA 自由亚洲电台", "2022-01-11T23:59:59+00:00")  # last day included
    assert not f.allows("RFA 自由亚洲电台", "2022-01-12T00:00:00+00:00")
    assert not f.allows("Aljazeera 半岛网", "2022-01-09")
    assert not f.allows("RFA", None)  # a date filter excludes undated articles
    assert Filters(source="RFA").allows("RFA", None)


def test_settings_precedence_overrides_then_env_then_dotenv_then_defaults(tmp_path: Path) -> None:
    dotenv = tmp_path / ".env"
    dotenv.write_text("RAG_TOP_K=7\nRAG_RRF_K=20\nRAG_CHUNK_SIZE=300\n", encoding="utf-8")
    env = {"RAG_RRF_K": "30", "RAG_CHUNK_SIZE": "400"}
    s = Settings.from_env(environ=env, env_file=dotenv, chunk_size=500)
    assert (s.chunk_size, s.rrf_k, s.top_k, s.chunk_overlap) == (500, 30, 7, Settings().chunk_overlap)
    assert Settings.origins(environ=env, env_file=dotenv)["top_k"] == ".env"
    with pytest.raises(ConfigError, match="RAG_TOP_K"):
        Settings.from_env(environ={"RAG_TOP_K": "many"}, env_file=None)
    with pytest.raises(ConfigError, match="RAG_CHUNK_OVERLAP"):
        Settings.from_env(environ={"RAG_CHUNK_OVERLAP": "900"}, env_file=None)


def test_facets_count_outlets_months_and_undated_articles() -> None:
    arts = [Article("a", "t", "x", source="RFA", published="2022-01-08T10:00:00+00:00"),
            Article("b", "t", "x", source="RFA", published="2022-02-01"),
            Article("c", "t", "x", source="BBC", published=None)]
    f = facets(arts)
    assert f["articles"] == 3
    assert f["outlets"] == [{"source": "RFA", "articles": 2}, {"source": "BBC", "articles": 1}]
    assert f["dates"] == {"from": "2022-01-08", "to": "2022-02-01", "undated": 1,
                          "by_month": [{"month": "2022-01", "articles": 1}, {"month": "2022-02", "articles": 1}]}


def test_near_duplicates_are_passages_sharing_nearly_all_bigrams() -> None:
    a = "哈萨克斯坦与俄罗斯有着世界上最长的不间断陆地边界，超过7500公里。"
    assert near_duplicate(a, a + "（转载）")
    assert not near_duplicate(a, "吉尔吉斯斯坦向哈萨克斯坦派遣了150名士兵。")
