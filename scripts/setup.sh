#!/usr/bin/env bash
# Idempotent set-up: .venv with everything installed, models verified, index built.
# Used by ./run and ./test; safe to re-run (a second run takes seconds).
set -euo pipefail
cd "$(dirname "$0")/.."
want_browser=0
[ "${1:-}" = "--test" ] && want_browser=1

PY=${PYTHON:-python3.11}
command -v "$PY" >/dev/null || PY=python3
"$PY" -c 'import sys; assert sys.version_info[:2] >= (3, 11), "Python 3.11+ is required"'

if [ ! -x .venv/bin/python ]; then
  echo "==> creating .venv"
  "$PY" -m venv .venv
fi
[ -x .venv/bin/uv ] || .venv/bin/pip install -q --disable-pip-version-check uv
echo "==> installing the project into .venv (the first run builds llama-cpp-python: a few minutes)"
# Copies, not hard links: nltk (used by llama-index) refuses hard-linked data files.
# --compile-bytecode: with PYTHONDONTWRITEBYTECODE set (as on CI) nothing is ever cached, and each
# `bot` process compiled its imports again (6.5 s of imports vs 2.8 s compiled, measured).
# LLAVA_BUILD=OFF: llama-cpp-python's multimodal library (mtmd) is not used here, and skipping it
# takes 188 -> 154 s off the source build on 2 cores (measured); mtmd is loaded only by the
# multimodal chat handlers. A CMAKE_ARGS of the caller's own is kept as given.
CMAKE_ARGS="${CMAKE_ARGS:--DLLAVA_BUILD=OFF}" UV_LINK_MODE=copy \
  .venv/bin/uv pip install -q --compile-bytecode -p .venv/bin/python -e '.[dev]'

echo "==> verifying model files and building the index"
.venv/bin/bot check --quiet
.venv/bin/bot index --quiet

if [ "$want_browser" = 1 ] && ! command -v chromium >/dev/null; then
  echo "==> installing Debian's chromium for the browser tests"
  if [ "$(id -u)" = 0 ]; then SUDO=""; else SUDO="sudo"; fi
  $SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium fonts-wqy-zenhei >/dev/null
fi
