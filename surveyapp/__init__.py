"""surveyapp: partner survey and pathway-confidence platform for early-help services."""

from __future__ import annotations

import os
from typing import Any

from flask import Flask, render_template
from flask_wtf.csrf import CSRFError

from surveyapp import config as config_module
from surveyapp import security
from surveyapp.extensions import csrf, db, limiter, login_manager, migrate


def create_app(
    test_config: dict[str, Any] | None = None, instance_path: str | None = None
) -> Flask:
    """Application factory: defaults, then ``instance/config.py``, then ``SURVEYAPP_*``
    environment variables, then ``test_config``."""
    app = Flask(__name__, instance_relative_config=True, instance_path=instance_path)
    os.makedirs(app.instance_path, exist_ok=True)
    app.config.from_mapping(config_module.defaults(app.instance_path))
    app.config.from_pyfile("config.py", silent=True)
    app.config.from_mapping(config_module.from_environment())
    if test_config:
        app.config.from_mapping(test_config)
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = config_module.instance_secret_key(app.instance_path)
    uri = app.config["SQLALCHEMY_DATABASE_URI"]
    if uri.startswith("postgresql://") or uri.startswith("postgres://"):
        # psycopg 3 is the driver we ship.
        app.config["SQLALCHEMY_DATABASE_URI"] = "postgresql+psycopg://" + uri.split("://", 1)[1]

    from surveyapp import models  # noqa: F401  (register the models)

    db.init_app(app)
    migrate.init_app(app, db, directory=os.path.join(os.path.dirname(__file__), "..", "migrations"))
    csrf.init_app(app)
    login_manager.init_app(app)
    security.init_app(app)  # headers, cookies, proxies, rate-limit storage (before the limiter)
    limiter.init_app(app)

    _register_sqlite_pragmas(app)
    _register_idle_ping(app)
    _register_blueprints(app)
    _register_errors(app)
    _register_database_faults(app)
    _register_template_helpers(app)

    from surveyapp import cli

    cli.init_app(app)
    return app


def _register_sqlite_pragmas(app: Flask) -> None:
    """Foreign keys on, and WAL with a busy timeout so concurrent writers wait, not fail."""
    if not app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        return
    import sqlalchemy as sa

    with app.app_context():
        engine = db.engine

    @sa.event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn, _record):  # pragma: no cover - trivial
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA busy_timeout=30000")
        if ":memory:" not in app.config["SQLALCHEMY_DATABASE_URI"]:
            cur.execute("PRAGMA journal_mode=WAL")
        cur.close()


def _register_idle_ping(app: Flask) -> None:
    """A pooled PostgreSQL connection idle for ``DATABASE_IDLE_PING_SECONDS`` or more is pinged
    when checked out, and replaced if the database has dropped it (a restart, an idle
    timeout). SQLAlchemy's ``pool_pre_ping`` pings at every checkout: a round trip on each
    request and after each commit. One used a moment ago is not pinged, but every checkout
    looks at its socket (:func:`_ended_by_server`, no round trip): a connection the server
    ended meanwhile is replaced before the request uses it. One lost without a word (the
    network, not the server) fails its statement, the request gets the "please try again"
    503 (:func:`_register_database_faults`), and the pool discards its connections."""
    import time

    import sqlalchemy as sa

    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        return
    config = app.config
    with app.app_context():
        engine = db.engine

    @sa.event.listens_for(engine, "checkin")
    def _checked_in(_dbapi_conn, record):
        record.info["checked_in"] = time.monotonic()

    @sa.event.listens_for(engine, "checkout")
    def _checked_out(dbapi_conn, record, _proxy):
        if _ended_by_server(dbapi_conn):
            raise sa.exc.DisconnectionError()  # the pool connects afresh
        last = record.info.get("checked_in")
        if last is None or time.monotonic() - last < config["DATABASE_IDLE_PING_SECONDS"]:
            return
        try:
            engine.dialect.do_ping(dbapi_conn)
        except engine.dialect.loaded_dbapi.Error as exc:
            if engine.dialect.is_disconnect(exc, dbapi_conn, None):
                raise sa.exc.DisconnectionError() from exc
            raise


def _ended_by_server(dbapi_conn: Any) -> bool:
    """Whether PostgreSQL has said anything on an idle pooled connection: a connection it ends
    (``pg_terminate_backend``, a shutdown, a failover) gets an error message and the end of the
    stream, which are waiting on the socket before the app sends a word. One ``poll`` of the
    socket, no round trip, so it is done at every checkout: without it the first request to take
    such a connection within ``DATABASE_IDLE_PING_SECONDS`` got the "try again" page. An idle
    connection of ours gets nothing else (the app does not LISTEN); if it ever did, the
    connection is only replaced."""
    import select

    try:
        fd = dbapi_conn.fileno()
    except Exception:  # closed already, or not a psycopg connection: the ping or the query tells
        return False
    try:
        poller = select.poll()
        poller.register(fd, select.POLLIN | select.POLLPRI)
        return bool(poller.poll(0))
    except (OSError, ValueError):
        return True


def _register_blueprints(app: Flask) -> None:
    from surveyapp.web import register_blueprints

    register_blueprints(app)


def _register_errors(app: Flask) -> None:
    def page(code: int, title: str, message: str):
        return render_template("error.html", code=code, title=title, message=message), code

    @app.errorhandler(400)
    def bad_request(e):
        return page(
            400,
            "Something was wrong with that request",
            getattr(e, "description", None) or "Please go back and try again.",
        )

    @app.errorhandler(CSRFError)
    def csrf_error(e):
        return page(
            400,
            "This form has expired",
            "For your security the form could not be accepted. Go back, reload the page "
            "and try again. Nothing was saved.",
        )

    @app.errorhandler(403)
    def forbidden(e):
        return page(
            403,
            "You do not have access to this page",
            "Your account does not have the role this page needs.",
        )

    @app.errorhandler(404)
    def not_found(e):
        return page(
            404,
            "Page not found",
            "If you typed the address, check it is correct. If you followed a link, it "
            "may be out of date.",
        )

    @app.errorhandler(405)
    def method_not_allowed(e):
        return page(405, "That action is not available here", "Go back and try again.")

    @app.errorhandler(413)
    def too_large(e):
        return page(
            413,
            "That was too large to accept",
            "The form or file you sent is larger than we accept. Nothing was saved.",
        )

    @app.errorhandler(429)
    def too_many(e):
        return page(
            429,
            "Too many attempts",
            "Please wait a minute and try again. Your answers so far are kept.",
        )

    @app.errorhandler(500)
    def server_error(e):
        return page(
            500,
            "Sorry, something went wrong",
            "Please try again later. If it keeps happening, tell the early-help team.",
        )


def _discard_session() -> None:
    """End the request's transaction; if its connection is dead (PostgreSQL ended it), throw the
    connection away instead of raising, so the pool hands the next request a fresh one."""
    try:
        db.session.rollback()
    except Exception:  # the rollback itself failed on a broken connection
        db.session().invalidate()


def _register_database_faults(app: Flask) -> None:
    """A lost or refused database connection (``pg_terminate_backend``, a restart, SQLite busy)
    gets the friendly "try again" page with a 503, never a 500 or an empty body. Nothing is
    half-written: the request's one transaction is rolled back. Registered after
    Flask-SQLAlchemy's teardown, so it runs first and that teardown never meets a dead
    connection."""
    import sqlalchemy as sa

    @app.errorhandler(sa.exc.OperationalError)
    @app.errorhandler(sa.exc.InterfaceError)
    def database_unavailable(e: Exception) -> tuple[str, int, dict[str, str]]:
        _discard_session()
        app.logger.warning("database unavailable: %s", type(getattr(e, "orig", e)).__name__)
        body = render_template(
            "error.html",
            code=503,
            title="Sorry, please try again",
            message="We could not reach our database for a moment. Go back and send the "
            "page again. If you were answering a survey, nothing was lost: your answers are "
            "only sent when the page goes through.",
        )
        return body, 503, {"Retry-After": "2"}

    @app.teardown_appcontext
    def _safe_close(_exc: BaseException | None) -> None:
        # close(), not rollback(): a rollback would expire every object loaded in the context,
        # so one used after the context ends (a CLI command, a test) could no longer be read.
        # close() ends the transaction all the same (the pool rolls the connection back on
        # return, and invalidates it if that fails).
        try:
            db.session.close()
        except Exception:
            db.session().invalidate()


def _register_template_helpers(app: Flask) -> None:
    from surveyapp import timeutil
    from surveyapp.services import links

    app.jinja_env.filters["localdate"] = timeutil.format_date
    app.jinja_env.filters["localdatetime"] = timeutil.format_datetime
    app.jinja_env.globals["public_url"] = links.public_url

    @app.context_processor
    def inject_settings() -> dict[str, Any]:
        return {
            "council_name": app.config["COUNCIL_NAME"],
            "privacy_notice_url": app.config["PRIVACY_NOTICE_URL"],
        }
