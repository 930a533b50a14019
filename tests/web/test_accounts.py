"""Account lifecycle in the browser: deactivate and reactivate (with every session ended, and a
copied cookie not coming back to life), roles, the last admin, reset links by email, changing
one's own password, the per-account lockout, and the limits on a staff session."""

from __future__ import annotations

import email
import re
import time
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from surveyapp.extensions import db
from surveyapp.models import AuditEvent, OutboxMessage, PasswordReset, User
from surveyapp.models.base import utcnow
from surveyapp.services import users as svc
from surveyapp.web.auth import routes as auth_routes
from tests.conftest import TEST_PASSWORD, csrf_token_from

NEW_PASSWORD = "a brand new pass phrase"

# Several browsers at once: each is a plain ``app.test_client()``. (pytest-flask's ``client``
# keeps its last request's context pushed, so other clients' requests would share its ``g``
# and with it the logged-in user.)


def _post_login(client, email_addr: str, password: str):
    token = csrf_token_from(client.get("/login").text)
    return client.post(
        "/login", data={"email": email_addr, "password": password, "csrf_token": token}
    )


def _as(app, user: dict):
    """A new browser, logged in as ``user``."""
    client = app.test_client()
    assert _post_login(client, user["email"], user["password"]).status_code == 302
    return client


def _session_cookie(client) -> str:
    cookie = client.get_cookie("session")
    assert cookie is not None
    return cookie.value


def _logged_in(client) -> bool:
    return client.get("/").status_code == 200


def _post(client, url: str, **data):
    token = csrf_token_from(client.get("/account").text)
    return client.post(url, data={"csrf_token": token, **data})


def _audit(app, action: str) -> list[dict]:
    with app.app_context():
        return [
            e.detail
            for e in db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == action))
        ]


def test_reactivating_does_not_bring_a_copied_cookie_back(app, make_user):
    """The reported hole: deactivating then reactivating by SQL revived an old cookie."""
    lead = make_user("lead")
    client = _as(app, lead)
    copied = _session_cookie(client)
    other = app.test_client()
    other.set_cookie("session", copied)
    assert _logged_in(other)  # the copy works while the account is untouched
    admin = app.test_client()
    admin_user = make_user("admin")
    _post_login(admin, admin_user["email"], TEST_PASSWORD)
    resp = _post(admin, f"/admin/users/{lead['id']}/deactivate")
    assert resp.status_code == 303
    assert not _logged_in(client)  # the session itself ended at once
    resp = _post(admin, f"/admin/users/{lead['id']}/reactivate")
    assert resp.status_code == 303
    stale = app.test_client()
    stale.set_cookie("session", copied)
    assert stale.get("/").status_code == 302
    assert not _logged_in(client)
    assert _post_login(app.test_client(), lead["email"], TEST_PASSWORD).status_code == 302
    actions = [d["target"] for d in _audit(app, "user.deactivate") + _audit(app, "user.reactivate")]
    assert actions == [lead["email"], lead["email"]]


def test_deactivated_account_cannot_log_in(app, make_user):
    lead = make_user("lead")
    with app.app_context():
        svc.deactivate(db.session.get(User, lead["id"]))
        db.session.commit()
    resp = _post_login(app.test_client(), lead["email"], TEST_PASSWORD)
    assert resp.status_code == 400 and "not right" in resp.text


def test_last_active_admin_cannot_be_deactivated_or_demoted(app, make_user):
    admin = make_user("admin")
    client = _as(app, admin)
    resp = _post(client, f"/admin/users/{admin['id']}/deactivate")
    assert resp.status_code == 303
    page = client.get(resp.headers["Location"]).text
    assert "last active administrator" in page
    resp = _post(client, f"/admin/users/{admin['id']}/role", role="lead")
    assert "last active administrator" in client.get(resp.headers["Location"]).text
    with app.app_context():
        user = db.session.get(User, admin["id"])
        assert (user.active, user.role) == (True, "admin")
    # With a second admin, demoting the first is allowed.
    second = make_user("admin")
    resp = _post(client, f"/admin/users/{admin['id']}/role", role="manager")
    with app.app_context():
        assert db.session.get(User, admin["id"]).role == "manager"
    assert _audit(app, "user.role") == [
        {"target": admin["email"], "old": "admin", "new": "manager"}
    ]
    assert client.get("/admin/users").status_code == 403  # the role applies at once
    with app.app_context(), pytest.raises(svc.ServiceError, match="last active administrator"):
        svc.deactivate(db.session.get(User, second["id"]))


def test_user_page_lists_state_and_actions(app, make_user):
    admin = make_user("admin")
    lead = make_user("lead", email="leaver@example.org")
    client = _as(app, admin)
    listing = client.get("/admin/users").text
    assert f'href="/admin/users/{lead["id"]}"' in listing
    page = client.get(f"/admin/users/{lead['id']}")
    assert page.status_code == 200
    for text in ("leaver@example.org", "Send a password reset link", "Deactivate this account"):
        assert text in page.text
    assert client.get("/admin/users/999999").status_code == 404


def _mail_files(app) -> list[Path]:
    return sorted(Path(app.config["MAIL_FOLDER"]).glob("*.eml"))


def _reset_link(app) -> str:
    (path,) = _mail_files(app)
    message = email.message_from_bytes(path.read_bytes())
    body = message.get_payload(decode=True).decode()
    match = re.search(r"http://surveyapp\.test(/reset-password/[0-9a-f]{64})", body)
    assert match, body
    return match.group(1)


def test_admin_reset_link_is_emailed_single_use_and_stored_hashed(app, make_user):
    admin = make_user("admin")
    lead = make_user("lead")
    client = _as(app, admin)
    resp = _post(client, f"/admin/users/{lead['id']}/reset-password")
    assert "reset link has been emailed" in client.get(resp.headers["Location"]).text
    link = _reset_link(app)
    token = link.rsplit("/", 1)[1]
    with app.app_context():
        stored = db.session.scalars(sa.select(PasswordReset)).one()
        outbox = db.session.scalars(sa.select(OutboxMessage)).one()
        assert stored.token_hash != token and token not in outbox.body_text
        assert outbox.status == "sent" and "{link}" in outbox.body_text
    someone = app.test_client()
    page = someone.get(link)
    assert page.status_code == 200 and "Choose a new password" in page.text
    short = someone.post(
        link,
        data={"password": "short", "confirm": "short", "csrf_token": csrf_token_from(page.text)},
    )
    assert short.status_code == 400 and "at least 12 characters" in short.text
    done = someone.post(
        link,
        data={
            "password": NEW_PASSWORD,
            "confirm": NEW_PASSWORD,
            "csrf_token": csrf_token_from(page.text),
        },
    )
    assert done.status_code == 302
    assert someone.get(link).status_code == 404  # used once
    assert _post_login(app.test_client(), lead["email"], TEST_PASSWORD).status_code == 400
    assert _post_login(app.test_client(), lead["email"], NEW_PASSWORD).status_code == 302
    assert [d["target"] for d in _audit(app, "user.password_reset_issue")] == [lead["email"]]
    assert len(_audit(app, "user.password_reset")) == 1


def test_reset_link_expires_and_a_newer_link_replaces_it(app, make_user):
    lead = make_user("lead")
    with app.app_context():
        user = db.session.get(User, lead["id"])
        first = svc.issue_password_reset(user)
        first_link = svc.password_reset_link(first)
        second = svc.issue_password_reset(user)
        second_link = svc.password_reset_link(second)
        second_id = second.id
        db.session.commit()
    client = app.test_client()
    assert client.get(first_link.removeprefix("http://surveyapp.test")).status_code == 404
    path = second_link.removeprefix("http://surveyapp.test")
    assert client.get(path).status_code == 200
    with app.app_context():
        db.session.get(PasswordReset, second_id).expires_at = utcnow() - timedelta(seconds=1)
        db.session.commit()
    assert client.get(path).status_code == 404
    assert client.get("/reset-password/not-a-token").status_code == 404


def test_changing_own_password_needs_the_current_one_and_ends_other_sessions(app, make_user):
    lead = make_user("lead")
    client = _as(app, lead)
    other = app.test_client()
    _post_login(other, lead["email"], TEST_PASSWORD)
    wrong = _post(
        client,
        "/account",
        current_password="not my password",
        new_password=NEW_PASSWORD,
        confirm=NEW_PASSWORD,
    )
    assert wrong.status_code == 400 and "current password is not right" in wrong.text
    mismatch = _post(
        client,
        "/account",
        current_password=TEST_PASSWORD,
        new_password=NEW_PASSWORD,
        confirm=NEW_PASSWORD + "x",
    )
    assert mismatch.status_code == 400 and "not the same" in mismatch.text
    resp = _post(
        client,
        "/account",
        current_password=TEST_PASSWORD,
        new_password=NEW_PASSWORD,
        confirm=NEW_PASSWORD,
    )
    assert resp.status_code == 302
    assert _logged_in(client)  # this session carries on
    assert not _logged_in(other)  # the other device is logged out
    assert _post_login(app.test_client(), lead["email"], NEW_PASSWORD).status_code == 302
    assert len(_audit(app, "user.password_change")) == 1


def test_lockout_after_five_failures_with_back_off(app, make_user):
    lead = make_user("lead")
    client = app.test_client()
    for _ in range(4):
        assert "not right" in _post_login(client, lead["email"], "wrong wrong wrong").text
    fifth = _post_login(client, lead["email"], "wrong wrong wrong")
    assert fifth.status_code == 400 and "locked" in fifth.text
    # Locked: even the right password is not tried.
    right = _post_login(client, lead["email"], TEST_PASSWORD)
    assert right.status_code == 400 and "locked" in right.text
    with app.app_context():
        user = db.session.get(User, lead["id"])
        assert user.failed_logins == 5
        wait = (user.locked_until - utcnow()).total_seconds()
        assert 55 < wait <= 60
        user.locked_until = utcnow() - timedelta(seconds=1)  # the minute has passed
        db.session.commit()
    sixth = _post_login(client, lead["email"], "wrong wrong wrong")
    assert "locked" in sixth.text
    with app.app_context():
        user = db.session.get(User, lead["id"])
        assert 115 < (user.locked_until - utcnow()).total_seconds() <= 120  # doubled
        user.locked_until = None
        db.session.commit()
    assert _post_login(client, lead["email"], TEST_PASSWORD).status_code == 302
    with app.app_context():
        assert db.session.get(User, lead["id"]).failed_logins == 0
    assert [d["failures"] for d in _audit(app, "user.locked")] == [5, 6]


def test_lockout_back_off_is_capped(app):
    with app.test_request_context():
        assert [svc.lockout_seconds(n) for n in (4, 5, 6, 7, 11, 12, 50)] == [
            0,
            60,
            120,
            240,
            3600,
            3600,
            3600,
        ]


def test_idle_timeout_and_absolute_lifetime(app, make_user, monkeypatch):
    lead = make_user("lead")
    start = time.time()
    client = _as(app, lead)
    monkeypatch.setattr(auth_routes, "_now", lambda: start + 29 * 60)
    assert _logged_in(client)  # 29 idle minutes: still in, and seen again now
    monkeypatch.setattr(auth_routes, "_now", lambda: start + 29 * 60 + 31 * 60)
    resp = client.get("/")
    assert resp.status_code == 302
    assert "30 minutes without activity" in client.get("/login").text

    start = time.time()
    monkeypatch.setattr(auth_routes, "_now", lambda: start)
    _post_login(client, lead["email"], TEST_PASSWORD)
    for minutes in range(20, 10 * 60, 20):  # busy all day, never idle for long
        monkeypatch.setattr(auth_routes, "_now", lambda m=minutes: start + m * 60)
        assert _logged_in(client), minutes
    monkeypatch.setattr(auth_routes, "_now", lambda: start + 10 * 3600 + 1)
    assert not _logged_in(client)
    assert "after 10 hours" in client.get("/login").text


def test_staff_cookie_never_becomes_a_31_day_cookie(app, make_user, make_round):
    """Opening an open link makes the session permanent (to keep a respondent's place); a staff
    log-in in the same browser must still end with the browser."""
    from tests.web.respond_helpers import make_open_link

    slug = make_open_link(app, make_round("Live", open_=True, partner_type_slugs=["school"]))
    anonymous = app.test_client()
    anonymous.get(f"/o/{slug}")
    assert anonymous.get_cookie("session").expires is not None  # respondents keep their place

    client = _as(app, make_user("lead"))
    client.get(f"/o/{slug}")
    resp = client.get(f"/o/{slug}/1")
    cookie = client.get_cookie("session")
    assert cookie is not None and cookie.expires is None, resp.headers.get_all("Set-Cookie")
    assert _logged_in(client)
