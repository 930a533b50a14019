"""The ``users`` commands of the account lifecycle: list, deactivate, reactivate, set-role,
reset-password (emailed at once) and reset-two-factor."""

from __future__ import annotations

import email
import re
from pathlib import Path

import pyotp
import sqlalchemy as sa

from surveyapp.extensions import db
from surveyapp.models import AuditEvent, User
from surveyapp.services import users as svc


def _user(app, user_id: int) -> User:
    with app.app_context():
        user = db.session.get(User, user_id)
        db.session.expunge(user)
        return user


def test_list_shows_each_account(runner, make_user):
    make_user("admin", email="boss@example.org")
    make_user("manager", email="reader@example.org")
    result = runner.invoke(args=["users", "list"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].split("\t") == [
        "email",
        "role",
        "status",
        "sign-in",
        "second factor",
        "last log in",
    ]
    assert lines[1].split("\t")[:5] == ["boss@example.org", "admin", "active", "password", "off"]
    assert lines[2].split("\t")[:3] == ["reader@example.org", "manager", "active"]


def test_deactivate_ends_sessions_and_reactivate_rotates_the_nonce_again(app, runner, make_user):
    make_user("admin")
    lead = make_user("lead", email="leaver@example.org")
    nonce0 = _user(app, lead["id"]).session_nonce
    result = runner.invoke(args=["users", "deactivate", "Leaver@Example.org"])
    assert result.exit_code == 0, result.output
    after = _user(app, lead["id"])
    assert not after.active and after.session_nonce != nonce0
    assert "Deactivated leaver@example.org" in result.output
    again = runner.invoke(args=["users", "deactivate", "leaver@example.org"])
    assert again.exit_code == 1 and "already deactivated" in again.output
    result = runner.invoke(args=["users", "reactivate", "leaver@example.org"])
    assert result.exit_code == 0, result.output
    back = _user(app, lead["id"])
    assert back.active and back.session_nonce not in (nonce0, after.session_nonce)
    with app.app_context():
        actions = db.session.scalars(
            sa.select(AuditEvent.action).where(AuditEvent.action.like("user.%activate"))
        ).all()
    assert actions == ["user.deactivate", "user.reactivate"]


def test_set_role_and_the_last_admin(app, runner, make_user):
    admin = make_user("admin", email="only@example.org")
    result = runner.invoke(args=["users", "set-role", "only@example.org", "lead"])
    assert result.exit_code == 1
    assert "last active administrator" in result.output
    assert len(result.output.strip().splitlines()) == 1
    denied = runner.invoke(args=["users", "deactivate", "only@example.org"])
    assert denied.exit_code == 1 and "last active administrator" in denied.output
    make_user("admin", email="second@example.org")
    result = runner.invoke(args=["users", "set-role", "only@example.org", "manager"])
    assert result.exit_code == 0, result.output
    assert _user(app, admin["id"]).role == "manager"
    bad = runner.invoke(args=["users", "set-role", "only@example.org", "boss"])
    assert bad.exit_code == 2
    missing = runner.invoke(args=["users", "deactivate", "nobody@example.org"])
    assert missing.exit_code == 1 and "no staff account nobody@example.org" in missing.output


def test_reset_password_emails_a_working_link(app, runner, make_user):
    lead = make_user("lead", email="forgot@example.org")
    result = runner.invoke(args=["users", "reset-password", "forgot@example.org"])
    assert result.exit_code == 0, result.output
    assert "Emailed a password reset link to forgot@example.org" in result.output
    (eml,) = Path(app.config["MAIL_FOLDER"]).glob("*.eml")
    message = email.message_from_bytes(eml.read_bytes())
    assert message["To"] == "forgot@example.org"
    text = message.get_payload(decode=True).decode()
    path = re.search(r"http://surveyapp\.test(/reset-password/[0-9a-f]{64})", text).group(1)
    client = app.test_client()
    assert client.get(path).status_code == 200
    with app.app_context():
        user = db.session.get(User, lead["id"])
        assert svc.find_password_reset(path.rsplit("/", 1)[1]).user_id == user.id


def test_reset_two_factor(app, runner, make_user):
    lead = make_user("lead", email="lostphone@example.org")
    with app.app_context():
        user = db.session.get(User, lead["id"])
        secret = svc.start_totp(user)
        svc.confirm_totp(user, pyotp.TOTP(secret).now())
        db.session.commit()
    result = runner.invoke(args=["users", "reset-two-factor", "lostphone@example.org"])
    assert result.exit_code == 0, result.output
    after = _user(app, lead["id"])
    assert after.totp_secret is None and after.totp_enabled_at is None
    again = runner.invoke(args=["users", "reset-two-factor", "lostphone@example.org"])
    assert again.exit_code == 1 and "has no second factor" in again.output
