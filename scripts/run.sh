#!/usr/bin/env bash
# One command for a newcomer: install, migrate SQLite in instance/, load the demo, start the app.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
export FLASK_APP=surveyapp
.venv/bin/flask db upgrade
.venv/bin/flask demo --admin-email "${DEMO_ADMIN_EMAIL:-admin@example.org}"
port=${PORT:-5000}
echo
echo "surveyapp is starting at http://127.0.0.1:${port}/  (staff log in at /login; Ctrl+C stops it)"
exec .venv/bin/flask run --host 127.0.0.1 --port "$port"
