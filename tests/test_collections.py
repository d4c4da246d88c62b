"""Collections through HTTP: isolation, the /v1 model mapping, create/delete, and `rag build --collection`."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from servers import serve_in_thread

from rag.api.app import create_app
from rag.collections import Library, check_name
from rag.engine import Engine
from rag.errors import InputError
from rag.settings import Settings

ROOT = Path(__file__).resolve().parents[1]
KEY = "collections-test-key"
SPORT = {"id": "sport-1", "title": "阿斯塔纳足球俱乐部夺冠", "source": "体育日报", "published": "2023-11-05",
         "text": "阿斯塔纳足球俱乐部在哈萨克斯坦足球超级联赛最后一轮以三比一战胜卡拉干达矿工队，第七次夺得联赛冠军。"
                 "主教练表示，球队下赛季的目标是进入欧洲冠军联赛正赛。"}


@pytest.fixture(scope="module")
def served(real_settings: Settings, real_engine, real_embedder, tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    index_dir = tmp_path_factory.mktemp("coll") / "index"
    shutil.copytree(real_settings.index_dir, index_dir)
    s = real_settings.replace(index_dir=index_dir, api_key=KEY)
    app = create_app(s, Engine.open(s, embedder=real_embedder))
    with serve_in_thread(app) as url:
        yield {"url": url, "settings": s}


def _auth() -> dict[str, str]:
    return {"Authorization": f"Bearer {KEY}"}


def test_a_question_in_one_collection_never_cites_another(served) -> None:  # type: ignore[no-untyped-def]
    url = served["url"]
    r = httpx.post(url + "/api/collections", json={"name": "sport"}, headers=_auth(), timeout=60)
    assert r.status_code == 201 and r.json() == {"name": "sport", "articles": 0, "passages": 0}
    assert httpx.post(url + "/api/collections", json={"name": "sport"}, headers=_auth()).status_code == 409
    r = httpx.post(url + "/api/documents", json={"documents": [SPORT], "collection": "sport"}, headers=_auth(), timeout=120)
    assert r.status_code == 200 and r.json()["added"] == ["sport-1"]
    names = {c["name"]: c for c in httpx.get(url + "/api/collections").json()["collections"]}
    assert names["sport"]["articles"] == 1 and names["default"]["articles"] == 5

    q = "阿斯塔纳足球俱乐部第几次夺得联赛冠军？"
    in_sport = httpx.post(url + "/api/ask", json={"question": q, "collection": "sport"}, timeout=60).json()
    assert in_sport["answerable"] and {c["doc_id"] for c in in_sport["citations"]} == {"sport-1"}
    assert "第七次" in in_sport["answer"]
    in_default = httpx.post(url + "/api/ask", json={"question": q}, timeout=60).json()
    assert all(p["doc_id"] != "sport-1" for p in in_default["passages"])  # not even retrieved
    assert "sport-1" not in {d["id"] for d in httpx.get(url + "/api/documents").json()["documents"]}
    assert [d["id"] for d in httpx.get(url + "/api/documents", params={"collection": "sport"}).json()["documents"]] \
        == ["sport-1"]
    hits = httpx.get(url + "/api/search", params={"q": "哈萨克斯坦 总统", "collection": "sport"}).json()["results"]
    assert {h["doc_id"] for h in hits} <= {"sport-1"}
    # a question the sport collection cannot answer is refused there, whatever the default one holds
    off = httpx.post(url + "/api/ask", json={"question": "托卡耶夫把骚乱定性为什么？", "collection": "sport"},
                     timeout=60).json()
    assert not off["answerable"] and not off["citations"]
    # chat (with a multipart upload's form field too)
    r = httpx.post(url + "/api/documents", files={"files": ("s2.md", "# 冰球\n\n巴里斯冰球队今年获得大陆冰球联赛季后赛资格。".encode())},
                   data={"collection": "sport"}, headers=_auth(), timeout=120)
    assert r.status_code == 200 and r.json()["added"] == ["s2"]
    chat = httpx.post(url + "/api/chat", json={"messages": [{"role": "user", "content": "巴里斯冰球队获得了什么资格？"}],
                                               "collection": "sport"}, timeout=60).json()
    assert {c["doc_id"] for c in chat["citations"]} == {"s2"}


def test_the_openai_model_names_the_collection(served) -> None:  # type: ignore[no-untyped-def]
    url = served["url"]
    httpx.post(url + "/api/collections", json={"name": "ai-models"}, headers=_auth(), timeout=60)
    httpx.post(url + "/api/documents", json={"documents": [dict(SPORT, id="m1")], "collection": "ai-models"},
               headers=_auth(), timeout=120).raise_for_status()
    ids = [m["id"] for m in httpx.get(url + "/v1/models").json()["data"]]
    assert ids[0] == "rag-news" and "rag-news:ai-models" in ids
    body = {"model": "rag-news:ai-models", "messages": [{"role": "user", "content": "阿斯塔纳足球俱乐部第几次夺冠？"}]}
    r = httpx.post(url + "/v1/chat/completions", json=body, timeout=60).json()
    assert r["model"] == "rag-news:ai-models" and {c["doc_id"] for c in r["citations"]} == {"m1"}
    r = httpx.post(url + "/v1/chat/completions", json=dict(body, model="rag-news"), timeout=60).json()
    assert r["model"] == "rag-news" and "m1" not in {c["doc_id"] for c in r["citations"]}
    r = httpx.post(url + "/v1/chat/completions", json=dict(body, model="rag-news:nope"), timeout=60)
    assert r.status_code == 404 and "GET /v1/models" in r.json()["error"]["message"]


def test_deleting_a_collection_deletes_its_articles(served) -> None:  # type: ignore[no-untyped-def]
    url, s = served["url"], served["settings"]
    httpx.post(url + "/api/collections", json={"name": "tmp"}, headers=_auth(), timeout=60).raise_for_status()
    httpx.post(url + "/api/documents", json={"documents": [dict(SPORT, id="t1")], "collection": "tmp"},
               headers=_auth(), timeout=120).raise_for_status()
    assert httpx.delete(url + "/api/collections/tmp").status_code == 401  # writes need the key
    r = httpx.delete(url + "/api/collections/tmp", headers=_auth(), timeout=60)
    assert r.status_code == 200
    assert "tmp" not in {c["name"] for c in httpx.get(url + "/api/collections").json()["collections"]}
    r = httpx.post(url + "/api/ask", json={"question": "阿斯塔纳足球俱乐部第几次夺冠？", "collection": "tmp"})
    assert r.status_code == 404 and "GET /api/collections" in r.json()["error"]["message"]
    assert not (s.index_dir / "collections" / "tmp").exists()
    assert httpx.delete(url + "/api/collections/default", headers=_auth()).status_code == 400
    assert httpx.post(url + "/api/collections", json={"name": "Bad Name"}, headers=_auth()).status_code == 422
    # the default collection is untouched
    assert len(httpx.get(url + "/api/documents").json()["documents"]) == 5


def test_collection_names_and_a_crash_during_delete(settings: Settings, fake_embedder) -> None:  # type: ignore[no-untyped-def]
    for bad in ("", "Upper", "a/b", "..", "-x", "x" * 65):
        with pytest.raises(InputError):
            check_name(bad)
    lib = Library(settings, fake_embedder, Engine(settings, fake_embedder))
    lib.get("default")._apply(replace=[])
    lib.create("news")
    # a delete interrupted after its rename: the collection is gone, and the next start clears the leftovers
    path = lib.path("news")
    path.rename(path.parent / ".deleting-news-1")
    assert lib.names() == ["default"]
    Library(settings, fake_embedder)
    assert not list((settings.index_dir / "collections").iterdir())


def test_rag_build_into_a_collection(real_settings: Settings, real_engine, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    index_dir = tmp_path / "index"
    shutil.copytree(real_settings.index_dir, index_dir)
    src = tmp_path / "src"
    src.mkdir()
    (src / "sport.md").write_text("---\ntitle: 阿斯塔纳足球俱乐部夺冠\n---\n\n" + SPORT["text"], encoding="utf-8")
    env = {"RAG_CACHE_DIR": str(real_settings.cache_dir), "PATH": "/usr/bin:/bin"}
    out = subprocess.run([sys.executable, "-m", "rag.cli", "build", str(src), "--index", str(index_dir),
                          "--collection", "sport", "--quiet"], cwd=ROOT, capture_output=True, text=True, env=env,
                         timeout=300)
    assert out.returncode == 0, out.stderr
    lib = Library(real_settings.replace(index_dir=index_dir), real_engine.embedder)
    assert lib.names() == ["default", "sport"]
    assert list(lib.get("sport").snapshot.articles) == ["sport"] and len(lib.get("default").snapshot.articles) == 5
