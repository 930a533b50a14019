"""``/healthz``: 200 when the database answers, 503 with no details when it does not, never
rate-limited, never a cookie."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from flask import Flask

from surveyapp import create_app
from surveyapp.extensions import db, limiter


@pytest.fixture
def make_app(app_config, tmp_path) -> Iterator[Callable[..., Flask]]:
    """Apps with changed settings, their connections closed afterwards."""
    made: list[Flask] = []

    def make(**settings) -> Flask:
        made.append(
            create_app({**app_config, **settings}, instance_path=str(tmp_path / "instance"))
        )
        return made[-1]

    yield make
    for app in made:
        with app.app_context():
            db.engine.dispose()


def test_healthy_database_answers_ok_without_cookie_or_caching(client):
    resp = client.get("/healthz")
    assert resp.status_code == 200
    assert resp.get_json() == {"status": "ok"}
    assert "Set-Cookie" not in resp.headers
    assert resp.headers["Cache-Control"] == "no-store"


@pytest.mark.parametrize(
    "broken_url",
    [
        "sqlite:////nonexistent-folder/surveyapp.sqlite",
        "postgresql://postgres@127.0.0.1:1/surveyapp",  # nothing listens on port 1
    ],
)
def test_unreachable_database_gives_503_without_details(make_app, broken_url, caplog):
    resp = make_app(SQLALCHEMY_DATABASE_URI=broken_url).test_client().get("/healthz")
    assert resp.status_code == 503
    assert resp.get_json() == {"status": "unavailable"}
    assert "Set-Cookie" not in resp.headers
    # The reason is logged for the operator, not shown to the caller.
    assert "health check: the database did not answer" in caplog.text
    assert "Error" in caplog.text and "Error" not in resp.get_data(as_text=True)


def test_health_check_is_exempt_from_rate_limits(make_app):
    # The limiter is one object shared by every app in the process, and a default limit set
    # through one app's settings stays on it: take it off again for the tests that follow.
    try:
        client = make_app(RATELIMIT_DEFAULT="2 per minute").test_client()
        assert [client.get("/accessibility").status_code for _ in range(3)] == [200, 200, 429]
        assert {client.get("/healthz").status_code for _ in range(5)} == {200}
    finally:
        limiter.limit_manager.set_default_limits([])
