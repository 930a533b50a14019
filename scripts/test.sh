#!/usr/bin/env bash
# One command for the whole test suite: install, then pytest on SQLite and, when a server answers
# on 127.0.0.1:5432, again on PostgreSQL (database "test", trust auth). Extra arguments go to pytest.
set -uo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh || exit 1
scripts/browser-deps.sh || true

# Static checks first: each names what failed and how to see or fix it.
check() {
  local what=$1 fix=$2
  shift 2
  echo "== $what"
  if ! "$@"; then
    echo "FAILED: $what. $fix" >&2
    exit 1
  fi
}
check "ruff lint" "Fix the findings above (.venv/bin/ruff check --fix . fixes many)." \
  .venv/bin/ruff check .
check "ruff format" "Run .venv/bin/ruff format . to format the files listed above." \
  .venv/bin/ruff format --check .
check "mypy" "Fix the type errors above (configuration: [tool.mypy] in pyproject.toml)." \
  .venv/bin/mypy
check "import contracts" "An import goes against the layers: see docs/architecture.md." \
  .venv/bin/lint-imports --no-cache --no-logo

run_pytest() {
  .venv/bin/python -m pytest "$@"
  local rc=$?
  if [ "$rc" -eq 5 ]; then
    echo "pytest collected no tests: that is a failure here" >&2
    return 1
  fi
  return "$rc"
}

echo "== test suite on SQLite"
run_pytest -q --hypothesis-profile=ci --cov=surveyapp --cov-report=term:skip-covered "$@"
sqlite_rc=$?

pg_url=${SURVEYAPP_TEST_DATABASE_URL:-postgresql://postgres@127.0.0.1:5432/test}
if .venv/bin/python - "$pg_url" <<'PY'
import sys, psycopg
try:
    psycopg.connect(sys.argv[1], connect_timeout=3).close()
except Exception as exc:
    print(f"PostgreSQL not reachable at {sys.argv[1]} ({type(exc).__name__}): skipping the PostgreSQL run", file=sys.stderr)
    sys.exit(1)
PY
then
  echo "== test suite on PostgreSQL ($pg_url; browser tests ran on SQLite only)"
  SURVEYAPP_TEST_DATABASE_URL="$pg_url" run_pytest -q --hypothesis-profile=ci -m "not browser" "$@"
  pg_rc=$?
else
  echo "== PostgreSQL run SKIPPED: no server answered at $pg_url"
  pg_rc=0
fi
[ "$sqlite_rc" -eq 0 ] && [ "$pg_rc" -eq 0 ]
