#!/usr/bin/env bash
# Create .venv in the repo root and install the project (CPU torch first). Idempotent and quick when
# nothing changed. Usage: scripts/bootstrap.sh [--test]   (--test adds the test dependencies)
set -euo pipefail
cd "$(dirname "$0")/.."

PY=${PYTHON:-}
if [ -z "$PY" ]; then
  for c in python3.11 python3; do
    if command -v "$c" >/dev/null && "$c" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))'; then PY=$c; break; fi
  done
fi
if [ -z "$PY" ]; then
  echo "error: Python 3.11 is required (set PYTHON=/path/to/python3.11)" >&2
  exit 1
fi

extras=""
stamp=".venv/.installed"
if [ "${1:-}" = "--test" ]; then
  extras="[test]"
  stamp=".venv/.installed-test"
fi
want="$(cat pyproject.toml | sha256sum | cut -c1-16)"

if [ ! -x .venv/bin/python ]; then
  echo "==> creating .venv"
  "$PY" -m venv .venv
fi
if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  echo "==> installing CPU torch, then the project$extras (first time: a few minutes)"
  .venv/bin/python -m pip install --quiet --upgrade pip
  # the pinned CPU build first: an unpinned torch pulled in by sentence-transformers would be a CUDA build of several GB
  .venv/bin/python -m pip install --quiet torch==2.13.0
  .venv/bin/python -m pip install --quiet -e ".$extras"
  echo "$want" > "$stamp"
fi
