"""The optional TOTP second factor: enrol with a QR code, confirm with a code (pyotp makes the
codes, as a phone app would), recovery codes, required at log-in once on, codes used once,
failures counted towards the lockout, turned off by the user or reset by an admin."""

from __future__ import annotations

import re
import time

import pyotp
import sqlalchemy as sa

from surveyapp.extensions import db
from surveyapp.models import AuditEvent, RecoveryCode, User
from tests.conftest import TEST_PASSWORD, csrf_token_from


def _login(client, user: dict):
    token = csrf_token_from(client.get("/login").text)
    return client.post(
        "/login", data={"email": user["email"], "password": user["password"], "csrf_token": token}
    )


def _code(client, code: str):
    page = client.get("/login/code")
    return client.post("/login/code", data={"code": code, "csrf_token": csrf_token_from(page.text)})


def _next_code(secret: str) -> str:
    """The code of the next 30-second step (accepted for clock drift): the current one was
    just used to confirm enrolment, and a code works once."""
    return pyotp.TOTP(secret).at(time.time() + 30)


def _enrol(app, user: dict) -> tuple[str, list[str]]:
    """Log in, set up the second factor through the pages; returns the secret and codes."""
    client = app.test_client()
    assert _login(client, user).status_code == 302
    page = client.get("/account/two-factor")
    assert page.status_code == 200
    assert re.search(r'<svg[^>]*class="qr"', page.text)
    secret = re.search(r'<code class="totp-key">([A-Z2-7]+)</code>', page.text).group(1)
    token = csrf_token_from(page.text)
    wrong = client.post("/account/two-factor", data={"code": "000000", "csrf_token": token})
    assert wrong.status_code == 400 and "That code is not right" in wrong.text
    done = client.post(
        "/account/two-factor", data={"code": pyotp.TOTP(secret).now(), "csrf_token": token}
    )
    assert done.status_code == 200 and "Your recovery codes" in done.text
    codes = re.findall(r"<li><code>([0-9a-f]{5}-[0-9a-f]{5})</code></li>", done.text)
    assert len(codes) == 10
    return secret, codes


def test_enrol_then_the_code_is_required_at_log_in(app, make_user):
    user = make_user("lead")
    secret, codes = _enrol(app, user)
    with app.app_context():
        stored = db.session.scalars(sa.select(RecoveryCode.code_hash)).all()
    assert len(stored) == 10 and not set(codes) & set(stored)  # hashed

    client = app.test_client()
    resp = _login(client, user)
    assert resp.status_code == 302 and resp.headers["Location"] == "/login/code"
    assert client.get("/").status_code == 302  # not logged in yet
    bad = _code(client, "123456" if pyotp.TOTP(secret).now() != "123456" else "654321")
    assert bad.status_code == 400 and "That code is not right" in bad.text
    ok = _code(client, _next_code(secret))
    assert ok.status_code == 302 and client.get("/").status_code == 200


def test_a_code_works_once(app, make_user):
    user = make_user("lead")
    secret, _ = _enrol(app, user)
    # The code used to confirm enrolment cannot log in again; wait for the next one.
    totp = pyotp.TOTP(secret)
    with app.app_context():
        db.session.execute(sa.update(User).values(totp_last_step=None))
        db.session.commit()
    code = totp.now()
    first = app.test_client()
    _login(first, user)
    assert _code(first, code).status_code == 302
    second = app.test_client()
    _login(second, user)
    replay = _code(second, code)
    assert replay.status_code == 400 and "not right" in replay.text


def test_recovery_code_logs_in_once(app, make_user):
    user = make_user("manager")
    _, codes = _enrol(app, user)
    client = app.test_client()
    _login(client, user)
    assert _code(client, codes[3].upper()).status_code == 302
    again = app.test_client()
    _login(again, user)
    assert _code(again, codes[3]).status_code == 400
    with app.app_context():
        assert (
            db.session.scalar(
                sa.select(sa.func.count())
                .select_from(RecoveryCode)
                .where(RecoveryCode.used_at.is_(None))
            )
            == 9
        )


def test_wrong_codes_lock_the_account(app, make_user):
    user = make_user("lead")
    secret, _ = _enrol(app, user)
    client = app.test_client()
    _login(client, user)
    for _ in range(4):
        assert "not right" in _code(client, "99999x").text
    locked = _code(client, "99999y")
    assert locked.status_code == 400 and "locked" in locked.text
    # Even the right code is refused while locked.
    assert "locked" in _code(client, pyotp.TOTP(secret).now()).text


def test_turning_it_off_needs_the_password_and_admin_can_reset(app, make_user):
    user = make_user("lead")
    secret, _ = _enrol(app, user)
    client = app.test_client()
    _login(client, user)
    assert _code(client, _next_code(secret)).status_code == 302
    page = client.get("/account")
    assert "Turn the second factor off" in page.text
    token = csrf_token_from(page.text)
    wrong = client.post(
        "/account/two-factor/disable", data={"current_password": "nope", "csrf_token": token}
    )
    assert "current password is not right" in client.get(wrong.headers["Location"]).text
    client.post(
        "/account/two-factor/disable", data={"current_password": TEST_PASSWORD, "csrf_token": token}
    )
    assert "Set up a second factor" in client.get("/account").text
    assert _login(app.test_client(), user).headers["Location"] == "/"

    # Again, then an admin resets it (a lost phone).
    _enrol(app, user)
    admin = make_user("admin")
    admin_client = app.test_client()
    _login(admin_client, admin)
    page = admin_client.get(f"/admin/users/{user['id']}")
    assert "Reset their second factor" in page.text
    admin_client.post(
        f"/admin/users/{user['id']}/reset-two-factor",
        data={"csrf_token": csrf_token_from(page.text)},
    )
    assert _login(app.test_client(), user).headers["Location"] == "/"
    with app.app_context():
        actions = db.session.scalars(
            sa.select(AuditEvent.action).where(AuditEvent.action.like("user.totp%"))
        ).all()
    assert actions == [
        "user.totp_enable",
        "user.totp_disable",
        "user.totp_enable",
        "user.totp_reset",
    ]


def test_pending_second_factor_expires(app, make_user, monkeypatch):
    from surveyapp.web.auth import routes

    user = make_user("lead")
    secret, _ = _enrol(app, user)
    client = app.test_client()
    start = routes._now()
    _login(client, user)
    monkeypatch.setattr(routes, "_now", lambda: start + 6 * 60)
    resp = client.get("/login/code")
    assert resp.status_code == 302 and resp.headers["Location"] == "/login"
    token = csrf_token_from(client.get("/login").text)
    late = client.post("/login/code", data={"code": _next_code(secret), "csrf_token": token})
    assert late.status_code == 302 and late.headers["Location"] == "/login"
    assert client.get("/").status_code == 302
