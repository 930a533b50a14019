"""When the database goes away in the middle of answering (PostgreSQL ends the app's
connections, a restart, SQLite busy), the person gets the friendly "try again" page with a 503,
nothing is half-written, and the next request works."""

from __future__ import annotations

import threading
import uuid

import pytest
import sqlalchemy as sa

from surveyapp.extensions import db
from surveyapp.models import Answer, Response, SubmissionReceipt
from surveyapp.services import submissions as svc
from tests.concurrency import workers
from tests.conftest import PG_URL, count
from tests.web.respond_helpers import make_invitation


def test_a_lost_connection_mid_submit_gets_the_try_again_page(app, make_round, monkeypatch):
    token = make_invitation(app, make_round(open_=True))
    submit = svc.submit

    def submit_then_lose_connection(respondent, state):
        submit(respondent, state)
        db.session.flush()  # the response and its answers are written, not committed
        raise sa.exc.OperationalError(
            "INSERT", {}, Exception("terminating connection due to administrator command")
        )

    monkeypatch.setattr(svc, "submit", submit_then_lose_connection)
    status, _ = workers.send(app, token)
    client = app.test_client()
    page = client.get(f"/s/{token}")
    assert status == 503
    with app.app_context():
        assert count(Response) == 0 and count(Answer) == 0 and count(SubmissionReceipt) == 0
    assert page.status_code == 200  # the next request works
    monkeypatch.setattr(svc, "submit", submit)
    assert workers.send(app, token) == (303, f"/s/{token}/done")
    with app.app_context():
        assert count(Response) == 1 and count(Answer) == 15


def test_the_page_says_try_again(app, make_round, monkeypatch):
    token = make_invitation(app, make_round(open_=True))

    def broken(*_args, **_kwargs):
        raise sa.exc.OperationalError("SELECT", {}, Exception("server closed the connection"))

    monkeypatch.setattr(svc, "for_invitation", broken)
    resp = app.test_client().get(f"/s/{token}")
    assert resp.status_code == 503 and resp.headers["Retry-After"] == "2"
    assert "please try again" in resp.text and "Traceback" not in resp.text


@pytest.fixture
def app_config(app_config: dict) -> dict:
    """On PostgreSQL, the app's connections carry a name of their own, so the test ends only
    its own backends on a server other engineers share."""
    if PG_URL:
        name = f"surveyapp-faults-{uuid.uuid4().hex[:12]}"
        url = app_config["SQLALCHEMY_DATABASE_URI"]
        app_config = {**app_config, "SQLALCHEMY_DATABASE_URI": f"{url}&application_name={name}"}
        app_config["_TEST_APPLICATION_NAME"] = name
    return app_config


@pytest.mark.skipif(not PG_URL, reason="pg_terminate_backend needs PostgreSQL")
def test_backends_killed_during_a_submit_load(app, app_config, make_round):
    rid = make_round(open_=True)
    tokens = [make_invitation(app, rid, email=f"k{n}@example.org") for n in range(24)]
    name = app_config["_TEST_APPLICATION_NAME"]
    results: dict[str, tuple[int, str]] = {}
    stop = threading.Event()
    killed = [0]

    def kill() -> None:
        while not stop.is_set():
            killed[0] += _kill_app_backends(name)
            stop.wait(0.01)

    def press(token: str) -> None:
        client = app.test_client()
        page = client.get(f"/s/{token}")
        if page.status_code != 200:
            results[token] = (page.status_code, page.text)
            return
        data = {"csrf_token": workers.csrf(page.text), "action": "submit", **workers.ANSWERS}
        resp = client.post(f"/s/{token}", data=data)
        results[token] = (resp.status_code, resp.text)

    killer = threading.Thread(target=kill)
    killer.start()
    pressing = [threading.Thread(target=press, args=(t,)) for t in tokens]
    for t in pressing:
        t.start()
    for t in pressing:
        t.join(timeout=120)
    stop.set()
    killer.join(timeout=30)
    assert killed[0] > 0
    assert set(results) == set(tokens)
    assert {status for status, _ in results.values()} <= {303, 503}
    assert all("please try again" in text for status, text in results.values() if status == 503)
    # Nothing half-written: every response in the database has all 15 answers.
    with app.app_context():
        per_response = db.session.execute(
            sa.select(Response.id, sa.func.count(Answer.item_id))
            .outerjoin(Answer, Answer.response_id == Response.id)
            .group_by(Response.id)
        ).all()
        assert all(n == 15 for _, n in per_response)
        assert count(SubmissionReceipt) == 0  # invitations are guarded by their drafts
    # Those who got "try again" send again, and it works.
    for token, (status, _) in results.items():
        if status != 303:
            assert workers.send(app, token) == (303, f"/s/{token}/done"), token
    with app.app_context():
        assert count(Response) == len(tokens) and count(Answer) == 15 * len(tokens)


def _kill_app_backends(name: str) -> int:
    engine = sa.create_engine(PG_URL.replace("postgresql://", "postgresql+psycopg://", 1))
    with engine.connect() as conn:
        killed = len(
            conn.execute(
                sa.text(
                    # wait (up to 5 s) until each has ended, its goodbye sent
                    "SELECT pg_terminate_backend(pid, 5000) FROM pg_stat_activity "
                    "WHERE application_name = :name"
                ),
                {"name": name},
            ).all()
        )
        conn.commit()
    engine.dispose()
    return killed


@pytest.mark.skipif(not PG_URL, reason="pg_terminate_backend needs PostgreSQL")
def test_connections_dropped_while_idle_are_replaced_unseen(app, app_config, make_round):
    """A pooled connection the database ended is replaced when taken: the person sees
    nothing. One idle for DATABASE_IDLE_PING_SECONDS is pinged; one used a moment ago is not
    (no round trip a request), but the server's goodbye is already on its socket, which every
    checkout looks at. (Before that look, the first request on such a connection got the
    "try again" 503, and the submit-load test above failed now and then on its last "send
    again".)"""
    token = make_invitation(app, make_round(open_=True))
    client = app.test_client()
    assert client.get(f"/s/{token}").status_code == 200
    app.config["DATABASE_IDLE_PING_SECONDS"] = 0.0  # every connection counts as idle
    assert _kill_app_backends(app_config["_TEST_APPLICATION_NAME"]) > 0
    assert client.get(f"/s/{token}").status_code == 200
    app.config["DATABASE_IDLE_PING_SECONDS"] = 3600.0  # none does: no ping at all
    for _ in range(3):
        assert _kill_app_backends(app_config["_TEST_APPLICATION_NAME"]) > 0
        assert client.get(f"/s/{token}").status_code == 200
    assert workers.send(app, token) == (303, f"/s/{token}/done")
