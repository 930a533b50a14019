"""Blueprints, one per kind of user."""

from __future__ import annotations

from itertools import chain

from flask import Flask, abort, request
from werkzeug.routing import IntegerConverter

#: Largest id an INTEGER column holds (PostgreSQL's int4; SQLite's is larger).
DB_INT_MAX = 2**31 - 1


class DatabaseId(IntegerConverter):
    """``<int:...>`` in routes: a number too big for an id column matches no page (404) rather
    than reaching the database and failing there (500)."""

    def __init__(self, url_map, *args, **kwargs) -> None:
        kwargs.setdefault("max", DB_INT_MAX)
        super().__init__(url_map, *args, **kwargs)


def register_blueprints(app: Flask) -> None:
    app.url_map.converters["int"] = DatabaseId
    from surveyapp.web.admin.routes import bp as admin_bp
    from surveyapp.web.auth.routes import bp as auth_bp
    from surveyapp.web.health import bp as health_bp
    from surveyapp.web.reports.routes import bp as reports_bp
    from surveyapp.web.respond.routes import bp as respond_bp
    from surveyapp.web.results.routes import bp as results_bp
    from surveyapp.web.rounds.routes import bp as rounds_bp
    from surveyapp.web.trends.routes import bp as trends_bp

    for bp in (
        auth_bp,
        rounds_bp,
        respond_bp,
        admin_bp,
        results_bp,
        reports_bp,
        trends_bp,
        health_bp,
    ):
        app.register_blueprint(bp)
    app.before_request(refuse_nul)


def refuse_nul() -> None:
    """400 for a NUL character in the address, the query, a form field or an upload's name: no
    page of ours sends one, and PostgreSQL text cannot hold it (it would be a 500 there)."""
    texts = chain([request.path], *request.args.lists())
    if request.method == "POST":
        texts = chain(
            texts, *request.form.lists(), (f.filename or "" for f in request.files.values())
        )
    for text in texts:
        if "\x00" in (text if isinstance(text, str) else "".join(text)):
            abort(400, "The request contained a character that is not allowed (NUL).")
