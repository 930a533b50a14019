"""Single sign-on end to end against a real OpenID provider (oidc-provider, OpenID Certified,
started on loopback by tests/sso_provider.py): the app's Authlib client discovers it, redirects,
exchanges the code and checks the ID token; nothing of Authlib is mocked."""

from __future__ import annotations

from urllib.parse import parse_qsl, urlsplit

import pytest
import sqlalchemy as sa

from surveyapp import create_app
from surveyapp.config import ConfigError
from surveyapp.extensions import db
from surveyapp.models import AuditEvent, User
from tests.conftest import TEST_PASSWORD, csrf_token_from
from tests.sso_provider import app_settings, running_provider, sign_in_at_provider, with_query

APP_BASE = "http://surveyapp.test"


@pytest.fixture(scope="module")
def provider():
    with running_provider([APP_BASE + "/login/sso/callback"]) as running:
        yield running


@pytest.fixture
def app_config(app_config, provider):
    provider.set_mode("normal")
    return {**app_config, **app_settings(provider)}


def _start(client, next_url: str | None = None) -> str:
    resp = client.get("/login/sso" + (f"?next={next_url}" if next_url else ""))
    assert resp.status_code == 302, resp.text
    return resp.headers["Location"]


def _sign_in(client, login: str, **tamper: str):
    authorize = _start(client)
    if tamper:
        authorize = with_query(authorize, **tamper)
    back = sign_in_at_provider(authorize, login, APP_BASE)
    return client.get(back.removeprefix(APP_BASE))


def _user(app, email: str) -> User | None:
    with app.app_context():
        user = db.session.scalar(sa.select(User).where(User.email == email))
        if user is not None:
            db.session.expunge(user)
        return user


def _actions(app, prefix: str) -> list[tuple[str, dict]]:
    with app.app_context():
        return [
            (e.action, e.detail)
            for e in db.session.scalars(
                sa.select(AuditEvent)
                .where(AuditEvent.action.like(prefix + "%"))
                .order_by(AuditEvent.id)
            )
        ]


def test_sign_in_creates_the_account_with_its_role(app, provider):
    client = app.test_client()
    login_page = client.get("/login").text
    assert "Sign in with Test ID" in login_page
    authorize = _start(client, next_url="/admin/users")
    query = dict(parse_qsl(urlsplit(authorize).query))
    assert authorize.startswith(provider.issuer + "/auth?")
    assert query["client_id"] == "surveyapp" and query["code_challenge_method"] == "S256"
    assert query["state"] and query["nonce"]
    back = sign_in_at_provider(authorize, "lead1", APP_BASE)
    resp = client.get(back.removeprefix(APP_BASE))
    assert resp.status_code == 302 and resp.headers["Location"] == "/admin/users"
    assert client.get("/").status_code == 200
    assert client.get("/admin/users").status_code == 403  # a lead, not an admin
    user = _user(app, "lead1@example.org")
    assert user.role == "lead" and user.password_hash == ""
    assert user.oidc_subject == f"{provider.issuer} lead1"
    assert _actions(app, "user.create") == [
        ("user.create", {"target": "lead1@example.org", "role": "lead", "via": "sso"})
    ]
    assert user.last_login_at is not None
    # Such an account has no password to log in with.
    token = csrf_token_from(app.test_client().get("/login").text)
    pw = app.test_client().post(
        "/login", data={"email": "lead1@example.org", "password": "", "csrf_token": token}
    )
    assert pw.status_code == 400


def test_widest_mapped_role_wins_and_changes_follow_the_provider(app, make_user):
    make_user("manager", email="boss@example.org")
    client = app.test_client()
    assert _sign_in(client, "boss").status_code == 302
    user = _user(app, "boss@example.org")
    assert user.role == "admin"  # Manager and Admin app roles: the wider wins
    assert user.oidc_subject.endswith(" boss")  # the local account is linked by verified email
    assert (
        "user.role",
        {"target": "boss@example.org", "old": "manager", "new": "admin", "via": "sso"},
    ) in _actions(app, "user.role")
    assert client.get("/admin/users").status_code == 200


def test_wrong_audience_is_refused(app, provider):
    provider.set_mode("wrong-audience")
    client = app.test_client()
    resp = _sign_in(client, "lead1")
    assert resp.status_code == 400 and "could not be completed" in resp.text
    assert client.get("/").status_code == 302
    assert _user(app, "lead1@example.org") is None


def test_expired_id_token_is_refused(app, provider):
    provider.set_mode("expired")
    client = app.test_client()
    resp = _sign_in(client, "lead1")
    assert resp.status_code == 400 and "could not be completed" in resp.text
    assert client.get("/").status_code == 302
    assert _user(app, "lead1@example.org") is None


def test_user_without_a_role_is_refused_with_a_clear_page(app):
    client = app.test_client()
    resp = _sign_in(client, "norole")
    assert resp.status_code == 403
    assert "no role in this app" in resp.text and "You cannot sign in" in resp.text
    assert client.get("/").status_code == 302
    assert _user(app, "norole@example.org") is None
    assert _actions(app, "user.sso_refused") == [
        ("user.sso_refused", {"reason": "no_role", "target": "norole@example.org"})
    ]


def test_unverified_email_gets_no_account(app, make_user):
    make_user("admin", email="sneaky@example.org")
    resp = _sign_in(app.test_client(), "unverified")
    assert resp.status_code == 403 and "verified email" in resp.text
    assert _user(app, "sneaky@example.org").oidc_subject is None  # not linked


def test_deactivated_account_is_refused(app, make_user):
    make_user("admin", email="known@example.org")
    first = app.test_client()
    assert _sign_in(first, "known").status_code == 302
    make_user("admin")
    with app.app_context():
        from surveyapp.services.users import deactivate

        deactivate(db.session.scalar(sa.select(User).where(User.email == "known@example.org")))
        db.session.commit()
    assert first.get("/").status_code == 302  # the session ended
    resp = _sign_in(app.test_client(), "known")
    assert resp.status_code == 403 and "deactivated" in resp.text


def test_state_mismatch_is_refused(app):
    client = app.test_client()
    authorize = _start(client)
    back = sign_in_at_provider(authorize, "lead1", APP_BASE)
    forged = with_query(back, state="not-the-state-we-sent")
    resp = client.get(forged.removeprefix(APP_BASE))
    assert resp.status_code == 400 and "could not be completed" in resp.text
    # A callback in a browser that never started the sign-in (login CSRF) is refused too.
    stranger = app.test_client()
    assert stranger.get(back.removeprefix(APP_BASE)).status_code == 400
    assert stranger.get("/").status_code == 302 and client.get("/").status_code == 302


def test_nonce_mismatch_is_refused(app):
    client = app.test_client()
    resp = _sign_in(client, "lead1", nonce="a-nonce-the-app-never-made")
    assert resp.status_code == 400 and "could not be completed" in resp.text
    assert client.get("/").status_code == 302
    assert _user(app, "lead1@example.org") is None


def test_password_login_limited_to_admins_as_break_glass(app_config, make_user):
    app = create_app({**app_config, "PASSWORD_LOGIN_ROLES": "admin"})
    with app.app_context():
        db.create_all()
    from surveyapp.services.users import create_user

    with app.app_context():
        create_user("lead@example.org", "lead", TEST_PASSWORD)
        create_user("glass@example.org", "admin", TEST_PASSWORD)
        db.session.commit()

    def password_login(email: str):
        client = app.test_client()
        token = csrf_token_from(client.get("/login").text)
        return client.post(
            "/login", data={"email": email, "password": TEST_PASSWORD, "csrf_token": token}
        )

    lead = password_login("lead@example.org")
    assert lead.status_code == 400 and "signs in with Test ID" in lead.text
    assert password_login("glass@example.org").status_code == 302
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def test_a_bad_role_map_stops_the_app_at_start_up(app_config):
    with pytest.raises(ConfigError, match="OIDC_ROLE_MAP"):
        create_app({**app_config, "OIDC_ROLE_MAP": "SurveyApp.Boss=boss"})


def test_provider_not_answering_is_a_clear_502(app_config):
    from tests.sso_provider import free_port

    app = create_app({**app_config, "OIDC_ISSUER": f"http://127.0.0.1:{free_port()}"})
    resp = app.test_client().get("/login/sso")
    assert resp.status_code == 502 and "did not answer" in resp.text
