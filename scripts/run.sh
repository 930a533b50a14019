#!/usr/bin/env bash
# One command for a newcomer: install, migrate SQLite in instance/, load the demo, start the app.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
export FLASK_APP=surveyapp
port=${PORT:-5000}
export SURVEYAPP_BASE_URL=${SURVEYAPP_BASE_URL:-http://127.0.0.1:$port}
.venv/bin/flask db upgrade
.venv/bin/flask demo --admin-email "${DEMO_ADMIN_EMAIL:-admin@example.org}"
echo
echo "surveyapp is starting at http://127.0.0.1:${port}/  (staff log in at /login; Ctrl+C stops it)"
exec .venv/bin/flask run --host 127.0.0.1 --port "$port"
