"""Blueprints, one per kind of user."""

from __future__ import annotations

from flask import Flask


def register_blueprints(app: Flask) -> None:
    from surveyapp.web.admin.routes import bp as admin_bp
    from surveyapp.web.auth.routes import bp as auth_bp
    from surveyapp.web.health import bp as health_bp
    from surveyapp.web.reports.routes import bp as reports_bp
    from surveyapp.web.respond.routes import bp as respond_bp
    from surveyapp.web.results.routes import bp as results_bp
    from surveyapp.web.rounds.routes import bp as rounds_bp
    from surveyapp.web.trends.routes import bp as trends_bp

    for bp in (auth_bp, rounds_bp, respond_bp, admin_bp, results_bp, reports_bp, trends_bp,
               health_bp):
        app.register_blueprint(bp)
