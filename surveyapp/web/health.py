"""``GET /healthz`` for load balancers and monitoring: is this process able to reach the
database? Answers 200 ``{"status": "ok"}`` or 503 ``{"status": "unavailable"}``, never with
details (they go to the log), sets no cookie and is not rate-limited."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, current_app, jsonify

from surveyapp.extensions import db, limiter

bp = Blueprint("health", __name__)


@bp.get("/healthz")
@limiter.exempt
def healthz():
    try:
        db.session.execute(sa.text("SELECT 1"))
    except Exception:  # any failure to reach the database means "do not send traffic here"
        current_app.logger.exception("health check: the database did not answer")
        db.session.rollback()
        status, code = "unavailable", 503
    else:
        status, code = "ok", 200
    response = jsonify(status=status)
    response.status_code = code
    response.headers["Cache-Control"] = "no-store"
    return response
