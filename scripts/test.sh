#!/usr/bin/env bash
# The whole test suite, from a fresh clone: .venv with test dependencies, Debian chromium for the browser
# tests, then pytest (unit tests, the real model, a real uvicorn server, a real browser, the eval smoke run).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/bootstrap.sh --test
if [ ! -x /usr/bin/chromium ] || ! fc-list 2>/dev/null | grep -qi "noto sans cjk"; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "==> installing Debian chromium and CJK fonts for the browser tests"
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-noto-cjk) >/dev/null
  else
    echo "error: the browser tests need Debian chromium: sudo apt-get install chromium" >&2
    exit 1
  fi
fi
exec .venv/bin/python -m pytest "$@"
