#!/usr/bin/env bash
# Create .venv (Python 3.11+) and install surveyapp with its test tools. Safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -x .venv/bin/python ]; then
  PY=${PYTHON:-$(command -v python3.11 || command -v python3)}
  "$PY" -c 'import sys; sys.exit(sys.version_info < (3, 11))' \
    || { echo "surveyapp needs Python 3.11 or newer ($PY is older)" >&2; exit 1; }
  "$PY" -m venv .venv
fi
stamp=.venv/.surveyapp-installed
if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
  .venv/bin/python -m pip install --quiet --upgrade pip
  .venv/bin/python -m pip install --quiet -e ".[test]"
  touch "$stamp"
fi
# The OpenID provider the single sign-on tests start on loopback (tests/oidc, Node.js 20+).
if command -v npm >/dev/null 2>&1; then
  oidc_stamp=tests/oidc/node_modules/.package-lock.json
  if [ ! -f "$oidc_stamp" ] || [ tests/oidc/package-lock.json -nt "$oidc_stamp" ]; then
    (cd tests/oidc && npm ci --no-audit --no-fund --silent) \
      || echo "npm ci in tests/oidc failed: the single sign-on tests will be skipped" >&2
  fi
else
  echo "npm not found: the single sign-on tests (tests/oidc) will be skipped" >&2
fi
