#!/usr/bin/env bash
# Everything `make run` / `make test` need on a fresh machine, installed idempotently:
# a virtualenv with the pinned requirements, bun from the npm registry (Reflex's own
# download cannot work offline), and for tests Debian's chromium.
#   scripts/bootstrap.sh run|test
set -euo pipefail
cd "$(dirname "$0")/.."
mode=${1:-run}
python=${PYTHON:-python3}
BUN_VERSION=1.4.5

if [ ! -x .venv/bin/python ]; then
  echo "==> creating virtualenv .venv ($($python --version))"
  "$python" -m venv .venv
fi

requirements=requirements.txt
[ "$mode" = test ] && requirements=requirements-dev.txt
stamp=".venv/.installed-$mode"
digest=$(cat requirements.txt requirements-dev.txt | sha256sum | cut -d' ' -f1)
if [ "$(cat "$stamp" 2>/dev/null)" != "$digest" ]; then
  echo "==> installing $requirements"
  .venv/bin/python -m pip install --quiet --disable-pip-version-check --upgrade pip
  .venv/bin/python -m pip install --quiet --disable-pip-version-check -r "$requirements"
  echo "$digest" > "$stamp"
fi

if [ ! -x .tools/bun/node_modules/.bin/bun ]; then
  if ! command -v npm >/dev/null; then
    echo "error: npm (Node.js 20+) is needed to install bun: apt-get install nodejs npm" >&2
    exit 1
  fi
  echo "==> installing bun $BUN_VERSION from the npm registry"
  npm install --silent --no-audit --no-fund --prefix .tools/bun "bun@$BUN_VERSION"
fi

if [ "$mode" = test ] && ! command -v "${CHROMIUM:-chromium}" >/dev/null; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "==> installing Debian chromium for the browser tests"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
  else
    echo "error: the browser tests need chromium. Install it (sudo apt-get install chromium)" >&2
    echo "       or point CHROMIUM at a Chromium binary." >&2
    exit 1
  fi
fi
