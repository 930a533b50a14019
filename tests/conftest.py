"""Fixtures: a fresh database per test (SQLite in tmp_path, or a fresh PostgreSQL schema when
SURVEYAPP_TEST_DATABASE_URL is set), the app, a client, a CLI runner and factories."""

from __future__ import annotations

import os
import re
import uuid
from collections.abc import Iterator
from urllib.parse import quote

import pytest
import sqlalchemy as sa
from hypothesis import settings

from surveyapp import create_app
from surveyapp.extensions import db

# Hypothesis profiles (the fuzz tests). "ci", the default: the same examples on every run, so a
# failure belongs to the commit, not to chance. "random": a new search each run, for a long
# local hunt (README, "The two commands"); failures are kept in .hypothesis/ and replayed first.
_FUZZ_EXAMPLES = int(os.environ.get("SURVEYAPP_FUZZ_EXAMPLES", "30"))
settings.register_profile(
    "ci", max_examples=_FUZZ_EXAMPLES, derandomize=True, database=None, print_blob=False
)
settings.register_profile("random", max_examples=_FUZZ_EXAMPLES, print_blob=True)
settings.load_profile("ci")

PG_URL = os.environ.get("SURVEYAPP_TEST_DATABASE_URL", "")
TEST_PASSWORD = "correct horse battery staple"


def _pg_url_with_schema(url: str, schema: str) -> str:
    sep = "&" if "?" in url else "?"
    return f"{url}{sep}options={quote(f'-csearch_path={schema}')}"


def _psycopg_url(url: str) -> str:
    return url.replace("postgresql+psycopg://", "postgresql://", 1)


@pytest.fixture
def database_url(tmp_path) -> Iterator[str]:
    """A URL to an empty database that exists for this test only."""
    if not PG_URL:
        yield f"sqlite:///{tmp_path / 'test.sqlite'}"
        return
    import psycopg

    schema = f"t_{uuid.uuid4().hex[:16]}"
    with psycopg.connect(_psycopg_url(PG_URL), autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
    try:
        yield _pg_url_with_schema(PG_URL, schema)
    finally:
        with psycopg.connect(_psycopg_url(PG_URL), autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA "{schema}" CASCADE')


@pytest.fixture
def app_config(database_url, tmp_path) -> dict:
    return {
        "TESTING": True,
        "SQLALCHEMY_DATABASE_URI": database_url,
        "SECRET_KEY": "test-secret-" + uuid.uuid4().hex,
        "MAIL_FOLDER": str(tmp_path / "mail"),
        "BASE_URL": "http://surveyapp.test",
        "SERVER_NAME": None,
        "RATELIMIT_ENABLED": True,
    }


@pytest.fixture
def app(app_config):
    app = create_app(app_config)
    with app.app_context():
        db.create_all()
        from surveyapp.services.reference import seed_partner_types

        seed_partner_types()
        db.session.commit()
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture(autouse=True)
def _push_request_context():
    """Override pytest-flask's: a request context kept open for the whole test would share
    ``g`` (and so the logged-in user) between requests, unlike a real server."""
    yield


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def app_ctx(app):
    with app.app_context():
        yield


def csrf_token_from(html: str) -> str:
    match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html)
    assert match, "page has no CSRF token"
    return match.group(1)


@pytest.fixture
def make_user(app):
    def make(role: str = "lead", email: str | None = None, password: str = TEST_PASSWORD):
        from surveyapp.services.users import create_user

        with app.app_context():
            user = create_user(
                email or f"{role}-{uuid.uuid4().hex[:6]}@example.org", role, password
            )
            db.session.commit()
            return {"id": user.id, "email": user.email, "role": role, "password": password}

    return make


@pytest.fixture
def login(client):
    def do(user: dict) -> None:
        page = client.get("/login")
        resp = client.post(
            "/login",
            data={
                "email": user["email"],
                "password": user["password"],
                "csrf_token": csrf_token_from(page.text),
            },
        )
        assert resp.status_code == 302, resp.text

    return do


@pytest.fixture
def make_round(app):
    """Create a round through the service; returns its id."""

    def make(title: str = "Spring round", *, open_: bool = False, **kwargs) -> int:
        from surveyapp.services import rounds as svc

        kwargs.setdefault("instrument_ref", "early-help-pathways@1")
        with app.app_context():
            round_ = svc.create_round(title=title, **kwargs)
            if open_:
                svc.open_round(round_)
            db.session.commit()
            return round_.id

    return make


def count(model) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))
