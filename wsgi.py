"""WSGI entry point: ``gunicorn -c gunicorn.conf.py wsgi:app`` (see docs/deployment.md)."""

from surveyapp import create_app
from surveyapp.redact import RedactTokensFilter

app = create_app()
app.logger.addFilter(RedactTokensFilter())
