#!/usr/bin/env bash
# One command from a fresh clone to a running service: .venv, the embedded model, the index over seeds/,
# then `rag serve` on http://127.0.0.1:8000/ (set RAG_PORT / RAG_HOST to change).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/bootstrap.sh
echo "==> building the index over seeds/ (the embedded model is prepared on first use)"
.venv/bin/rag build seeds/
echo "==> starting the service"
exec .venv/bin/rag serve "$@"
