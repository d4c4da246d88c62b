"""Encoder backends for multilingual-e5-small, compared in one run: speed and CMRC 2018 recall@1.

    .venv/bin/python benchmarks/bench_encoders.py [--quick] [--backends fp32,torch-int8,ort-fp32,ort-int8]

Backends:
  fp32        sentence-transformers on torch, as the service runs today (the baseline)
  torch-int8  the same model after torch.ao.quantization.quantize_dynamic on every nn.Linear (qint8)
  ort-fp32    ONNX Runtime: the BERT exported with torch.onnx.export, graph fused by
              onnxruntime.transformers.optimizer (model_type bert), mean pooling + L2 norm in numpy
  ort-int8    ort-fp32 after onnxruntime.quantization.quantize_dynamic (int8 weights, per channel)
ONNX Runtime is not a dependency of the project: install it beside the venv, not into it
(optimum would downgrade transformers), e.g.
  .venv/bin/pip install --target ~/.cache/rag-news/bench-deps onnxruntime onnx
and this script appends that folder (or $BENCH_DEPS) to sys.path.

Measured: passages/s and chars/s of encode_documents on the same chunk texts the index embeds (rounds
interleaved across backends, median), single-query latency of encode_queries (40 fixed questions,
median/p95), cosine to the fp32 vectors, and recall@1/@5 of the service's hybrid retrieval
(dense + BM25, RRF) over the 3,219 CMRC questions with an index embedded by that backend
(rag.evaluation.runner: the same path as `rag eval --retrieval-only --cache-queries`).
--quick: 64 texts, one round, recall over the first 300 questions. Writes artifacts/bench/encoders.json.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _common as common  # noqa: E402

DEPS = Path(os.environ.get("BENCH_DEPS", Path.home() / ".cache" / "rag-news" / "bench-deps"))
if DEPS.is_dir():
    sys.path.append(str(DEPS))  # appended: the venv's own packages (numpy, protobuf...) win
ONNX_DIR = Path.home() / ".cache" / "rag-news" / "bench-onnx"


class OrtEmbedder:
    """The Embedder protocol over an ONNX export of the BERT: tokenizer as sentence-transformers uses it,
    mean pooling over the attention mask, L2 normalisation. Length-sorted batches like encode()."""

    def __init__(self, onnx_path: Path, model_dir: Path, name: str, query_prompt: str = "query: ",
                 document_prompt: str = "passage: ", batch_size: int = 32, threads: int | None = None):
        import onnxruntime as ort
        from transformers import AutoTokenizer

        so = ort.SessionOptions()
        so.intra_op_num_threads = threads or (os.cpu_count() or 1)
        so.inter_op_num_threads = 1
        so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        # no busy-waiting between ops: on a shared 2-core machine spinning threads steal the other's core
        so.add_session_config_entry("session.intra_op.allow_spinning", "0")
        self.session = ort.InferenceSession(str(onnx_path), so, providers=["CPUExecutionProvider"])
        self.inputs = {i.name for i in self.session.get_inputs()}
        self.tok = AutoTokenizer.from_pretrained(str(model_dir))
        self.name, self.dim = name, 384
        self.query_prompt, self.document_prompt, self.batch_size = query_prompt, document_prompt, batch_size

    def _encode(self, texts: Sequence[str], prompt: str) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), np.float32)
        full = [prompt + t for t in texts]
        order = np.argsort([-len(t) for t in full], kind="stable")
        out = np.zeros((len(full), self.dim), np.float32)
        for i in range(0, len(full), self.batch_size):
            idx = order[i:i + self.batch_size]
            enc = self.tok([full[j] for j in idx], padding=True, truncation=True, max_length=512,
                           return_tensors="np")
            feed = {k: v.astype(np.int64) for k, v in enc.items() if k in self.inputs}
            hidden = self.session.run(None, feed)[0]
            mask = enc["attention_mask"][..., None].astype(np.float32)
            vec = (hidden * mask).sum(1) / np.clip(mask.sum(1), 1e-9, None)
            out[idx] = vec / np.clip(np.linalg.norm(vec, axis=1, keepdims=True), 1e-12, None)
        return out

    def encode_queries(self, texts: Sequence[str]) -> np.ndarray:
        return self._encode(texts, self.query_prompt)

    def encode_documents(self, texts: Sequence[str], progress: bool = False) -> np.ndarray:
        return self._encode(texts, self.document_prompt)


def export_onnx(model_dir: Path) -> dict[str, Path]:
    """model.onnx (plain export), model-opt.onnx (BERT fusions), model-opt-int8.onnx; cached."""
    import torch
    from transformers import AutoModel, AutoTokenizer

    ONNX_DIR.mkdir(parents=True, exist_ok=True)
    plain, opt, q8 = ONNX_DIR / "model.onnx", ONNX_DIR / "model-opt.onnx", ONNX_DIR / "model-opt-int8.onnx"
    stamp = ONNX_DIR / "source.txt"
    src = f"{model_dir}:{(model_dir / 'model.safetensors').stat().st_mtime_ns}"
    if not (plain.is_file() and stamp.is_file() and stamp.read_text() == src):
        t0 = time.perf_counter()
        model = AutoModel.from_pretrained(str(model_dir)).eval()
        tok = AutoTokenizer.from_pretrained(str(model_dir))
        enc = tok(["passage: 示例文本", "query: 一个稍长一点的示例问题是什么？"], padding=True, return_tensors="pt")
        names = [n for n in ("input_ids", "attention_mask", "token_type_ids") if n in enc]
        axes = {n: {0: "batch", 1: "seq"} for n in names}
        axes["last_hidden_state"] = {0: "batch", 1: "seq"}

        class Wrapped(torch.nn.Module):
            def __init__(self, m: Any):
                super().__init__()
                self.m = m

            def forward(self, *args: Any) -> Any:
                return self.m(**dict(zip(names, args))).last_hidden_state

        with torch.no_grad():
            torch.onnx.export(Wrapped(model), tuple(enc[n] for n in names), str(plain), input_names=names,
                              output_names=["last_hidden_state"], dynamic_axes=axes, opset_version=17,
                              dynamo=False)
        stamp.write_text(src)
        for p in (opt, q8):
            p.unlink(missing_ok=True)
        print(f"exported {plain} in {time.perf_counter() - t0:.0f} s", file=sys.stderr)
    if not opt.is_file():
        from onnxruntime.transformers import optimizer

        m = optimizer.optimize_model(str(plain), model_type="bert", num_heads=12, hidden_size=384)
        m.save_model_to_file(str(opt))
    if not q8.is_file():
        import onnx
        from onnxruntime.quantization import QuantType, quantize_dynamic

        # the fused graph has contrib ops shape inference cannot type: tell the quantizer they are float
        quantize_dynamic(str(opt), str(q8), weight_type=QuantType.QInt8, per_channel=True,
                         extra_options={"DefaultTensorType": onnx.TensorProto.FLOAT})
    return {"plain": plain, "opt": opt, "int8": q8}


def make_backends(names: list[str], settings: Any) -> dict[str, Any]:
    import torch

    from rag.embedding import SentenceTransformerEmbedder, default_model_path, load_embedder

    model_dir = default_model_path(settings, progress=False)
    base = load_embedder(settings, progress=False)
    out: dict[str, Any] = {}
    for n in names:
        if n == "fp32":
            out[n] = base
        elif n == "torch-int8":
            e = SentenceTransformerEmbedder(str(model_dir), name=base.name + "+torch-int8",
                                            batch_size=settings.embed_batch_size)
            e._model = torch.ao.quantization.quantize_dynamic(e._model, {torch.nn.Linear}, dtype=torch.qint8)
            out[n] = e
        elif n in ("ort-fp32", "ort-int8"):
            paths = export_onnx(model_dir)
            out[n] = OrtEmbedder(paths["opt" if n == "ort-fp32" else "int8"], model_dir, base.name + "+" + n,
                                 batch_size=settings.embed_batch_size, threads=torch.get_num_threads())
        else:
            raise SystemExit(f"unknown backend {n!r}")
    return out


def recall(embedder: Any, settings: Any, limit: int | None) -> dict[str, Any]:
    """recall@1/@5 and MRR@10 of hybrid retrieval over the CMRC questions, index embedded by `embedder`."""
    from rag.evaluation.dataset import load_corpus, load_questions
    from rag.evaluation.runner import QueryCache, QuestionRunner, cached_snapshot, corpus_digest

    corpus = common.CMRC / "corpus.jsonl"
    passages = load_corpus(corpus)
    questions = load_questions(common.CMRC / "questions.jsonl", limit)
    t0 = time.perf_counter()
    snap, info = cached_snapshot(passages, corpus_digest(corpus), settings, embedder, progress=False)
    index_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    cached = QueryCache(embedder, [q.question for q in questions], settings.cache_dir / "eval", progress=False)
    query_s = time.perf_counter() - t0
    records = QuestionRunner(settings, cached, snap, "hybrid", retrieval_only=True).run(
        questions, set(snap.articles), progress=False)
    ranks = [r["rank"] for r in records]
    return {"questions": len(ranks), "recall@1": round(sum(r == 1 for r in ranks) / len(ranks), 4),
            "recall@5": round(sum(r is not None and r <= 5 for r in ranks) / len(ranks), 4),
            "mrr@10": round(sum(1 / r for r in ranks if r) / len(ranks), 4),
            "index_built": info.built, "index_seconds": round(index_s, 1), "index_key": info.key,
            "query_vectors_seconds": round(query_s, 1)}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--backends", default="fp32,torch-int8,ort-fp32,ort-int8")
    ap.add_argument("--texts", type=int, default=None, help="chunk texts in the speed sample (default 128)")
    ap.add_argument("--rounds", type=int, default=None, help="speed rounds (default 3)")
    ap.add_argument("--no-recall", action="store_true", help="speed only")
    ap.add_argument("--recall-backends", default="fp32,torch-int8,ort-int8",
                    help="backends whose recall is measured (each needs the corpus embedded: minutes each); "
                         "ort-fp32 is left out by default because its vectors equal fp32's (see the cosine column)")
    args = ap.parse_args(argv)
    n_texts = args.texts or (64 if args.quick else 128)
    rounds = args.rounds or (1 if args.quick else 3)
    limit = 300 if args.quick else None

    from rag.chunking import chunk_article, embedding_text
    from rag.settings import Settings
    from rag.types import Article

    settings = Settings.from_env(env_file=None)
    before = common.machine()
    names = [n.strip() for n in args.backends.split(",") if n.strip()]
    backends = make_backends(names, settings)
    # the speed sample: chunk texts exactly as the index embeds them, spread over the corpus
    rows = common.cmrc_passages()
    texts = []
    for r in rows[:: max(1, len(rows) // n_texts)]:
        a = Article(id=r["id"], title=r["title"], text=r["text"])
        cs = chunk_article(a, settings.chunk_size, settings.chunk_overlap)
        texts.append(embedding_text(a.title, cs[0]))
    texts = texts[:n_texts]
    chars = sum(len(t) for t in texts)
    for e in backends.values():  # warm-up
        e.encode_documents(texts[:8])
        e.encode_queries(common.QUESTIONS[:4])
    doc_s: dict[str, list[float]] = {n: [] for n in names}
    q_s: dict[str, list[float]] = {n: [] for n in names}
    vecs: dict[str, np.ndarray] = {}
    for r in range(rounds):
        order = names if r % 2 == 0 else names[::-1]  # alternate the order against drifting load
        for n in order:
            t0 = time.perf_counter()
            vecs[n] = backends[n].encode_documents(texts)
            doc_s[n].append(time.perf_counter() - t0)
        for q in common.QUESTIONS:
            for n in order:
                t0 = time.perf_counter()
                backends[n].encode_queries([q])
                q_s[n].append(time.perf_counter() - t0)
    res: dict[str, Any] = {"texts": len(texts), "chars": chars, "rounds": rounds, "backends": {},
                           "machine_before": before}
    base = names[0]
    for n in names:
        med = statistics.median(doc_s[n])
        cos = np.sum(vecs[n] * vecs[base], axis=1)
        res["backends"][n] = {
            "encode_seconds_median": round(med, 2), "passages_per_s": round(len(texts) / med, 2),
            "chars_per_s": round(chars / med, 1), "query_ms": common.summary_ms(q_s[n]),
            "cosine_to_" + base: {"mean": round(float(cos.mean()), 5), "min": round(float(cos.min()), 5)}}
    for n in names:
        b = res["backends"][n]
        b["speedup_docs"] = round(res["backends"][base]["encode_seconds_median"] / b["encode_seconds_median"], 2)
        b["speedup_query_p50"] = round(res["backends"][base]["query_ms"]["p50"] / b["query_ms"]["p50"], 2)
    res["machine_after_speed"] = common.machine()
    recall_names = [] if args.no_recall else [n for n in names if n in args.recall_backends.split(",")]
    if not args.no_recall:
        for n in recall_names:
            res["backends"][n]["retrieval"] = recall(backends[n], settings, limit)
            print(f"{n}: {res['backends'][n]['retrieval']}", file=sys.stderr)
    res["machine_after"] = common.machine()
    head = ["backend", "passages/s", "chars/s", "speed-up", "query p50 ms", "query p95 ms", "query speed-up",
            f"cos to {base} (mean/min)"]
    if not args.no_recall:
        head += ["R@1", "ΔR@1", "R@5", "MRR@10"]
    tab_rows = []
    r1_base = res["backends"][base].get("retrieval", {}).get("recall@1")
    for n in names:
        b = res["backends"][n]
        cos = b["cosine_to_" + base]
        row: list[Any] = [n, b["passages_per_s"], b["chars_per_s"], f"{b['speedup_docs']:.2f}x",
                          b["query_ms"]["p50"], b["query_ms"]["p95"], f"{b['speedup_query_p50']:.2f}x",
                          f"{cos['mean']:.4f} / {cos['min']:.4f}"]
        if not args.no_recall and "retrieval" in b:
            rt = b["retrieval"]
            row += [f"{rt['recall@1']:.4f}", f"{rt['recall@1'] - r1_base:+.4f}" if r1_base is not None else "–",
                    f"{rt['recall@5']:.4f}", f"{rt['mrr@10']:.4f}"]
        elif not args.no_recall:
            row += ["not run"] * 4
        tab_rows.append(row)
    table = common.md_table(head, tab_rows)
    print(f"\nEncoder backends: {len(texts)} chunk texts ({chars:,} chars) x {rounds} rounds, 40 single queries "
          f"x {rounds}; recall over {limit or 'all'} CMRC questions; {common.load_line()} "
          f"(before: {before['loadavg_1_5_15']})\n")
    print(table)
    name = "encoders-quick" if args.quick else "encoders-speed" if args.no_recall else "encoders"
    path = common.write_artifact(name, dict(res, table=table))
    print(f"wrote {path.relative_to(common.ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
