"""The account pages in Chromium at laptop width: single sign-on through the real test provider
once, the admin's account page, the second-factor set-up, recovery codes, a user's own account
page and the reset-password page; each checked with axe-core and screenshotted."""

from __future__ import annotations

import re

import pyotp
import pytest
import sqlalchemy as sa

from surveyapp.extensions import db
from surveyapp.models import User
from surveyapp.services import users as svc
from tests.browser.conftest import axe_violations, log_in, no_horizontal_scroll, screenshot
from tests.sso_provider import Provider, app_settings, free_port, running_provider

PROVIDER_PORT = free_port()


@pytest.fixture
def app_config(app_config):
    issuer = Provider(f"http://127.0.0.1:{PROVIDER_PORT}")
    return {**app_config, **app_settings(issuer)}


def _check(page, name: str) -> None:
    assert axe_violations(page) == [], name
    assert no_horizontal_scroll(page), name
    screenshot(page, name)


def test_single_sign_on_in_chromium(server_url, laptop, app):
    with running_provider([server_url + "/login/sso/callback"], port=PROVIDER_PORT):
        laptop.goto(server_url + "/login")
        _check(laptop, "accounts-login-with-sso-laptop")
        laptop.click("text=Sign in with Test ID")
        laptop.wait_for_selector("#login")
        assert laptop.url.startswith(f"http://127.0.0.1:{PROVIDER_PORT}/interaction/")
        laptop.fill("#login", "lead1")
        laptop.click("button[type=submit]")
        laptop.wait_for_url(server_url + "/")
        laptop.click("text=Your account")
        assert "Test ID" in laptop.text_content(".summary-list")
        assert "lead" in laptop.text_content(".summary-list")
        _check(laptop, "accounts-own-account-sso-laptop")
    with app.app_context():
        user = db.session.scalar(sa.select(User).where(User.email == "lead1@example.org"))
        assert user.role == "lead" and user.oidc_subject


def test_admin_and_account_pages_in_chromium(server_url, laptop, app, make_user):
    admin = make_user("admin", email="admin@example.org")
    lead = make_user("lead", email="lead@example.org")
    log_in(laptop, server_url, admin)
    laptop.click("text=Users")
    _check(laptop, "accounts-users-list-laptop")
    laptop.click("text=lead@example.org")
    _check(laptop, "accounts-user-page-laptop")
    laptop.click("text=Send a password reset link")
    assert "reset link has been emailed" in laptop.text_content(".notice")
    laptop.click("text=Deactivate this account")
    assert "Deactivated" in laptop.text_content(".summary-list")
    _check(laptop, "accounts-user-deactivated-laptop")

    laptop.click("text=Your account")
    laptop.click("text=Set up a second factor")
    laptop.wait_for_selector("svg.qr")
    _check(laptop, "accounts-two-factor-setup-laptop")
    secret = laptop.text_content(".totp-key").strip()
    laptop.fill("#code", pyotp.TOTP(secret).now())
    laptop.click("text=Turn on")
    codes = laptop.locator(".recovery-codes code").all_text_contents()
    assert len(codes) == 10 and all(re.fullmatch(r"[0-9a-f]{5}-[0-9a-f]{5}", c) for c in codes)
    _check(laptop, "accounts-recovery-codes-laptop")
    laptop.click("text=I have kept them")
    assert "On since" in laptop.text_content(".summary-list")
    _check(laptop, "accounts-own-account-laptop")

    with app.app_context():
        user = db.session.get(User, lead["id"])
        svc.reactivate(user)
        link = svc.password_reset_link(svc.issue_password_reset(user))
        db.session.commit()
    laptop.goto(link.replace("http://surveyapp.test", server_url))
    laptop.click("text=Set password")
    assert laptop.locator(".error-summary").is_visible()
    _check(laptop, "accounts-reset-password-errors-laptop")
