#!/usr/bin/env bash
# One-at-a-time lever study for `rag eval` (retrieval only, cached query vectors).
# Usage: benchmarks/eval_levers.sh [extra rag eval args...]   e.g. --limit 1000
# Writes artifacts/eval/levers/<name>.json/.md and prints one summary line per lever.
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=artifacts/eval/levers
mkdir -p "$OUT"
run() {  # run NAME ENV=VALUE...
  local name=$1; shift
  env "$@" .venv/bin/python -m rag.cli eval --retrieval-only --cache-queries --quiet \
      --out "$OUT/$name.json" "${EXTRA[@]}" > /dev/null
  .venv/bin/python - "$OUT/$name.json" "$name" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))["overall"]
print(f"{sys.argv[2]:<24} R@1 {r['recall@1']:.4f}  R@5 {r['recall@5']:.4f}  MRR@10 {r['mrr@10']:.4f}")
PY
}
EXTRA=("$@")
run baseline
run rrf_k_10 RAG_RRF_K=10
run rrf_k_200 RAG_RRF_K=200
run dense_w_1.5 RAG_DENSE_WEIGHT=1.5
run keyword_w_1.5 RAG_KEYWORD_WEIGHT=1.5
run candidates_20 RAG_CANDIDATES=20
run candidates_100 RAG_CANDIDATES=100
