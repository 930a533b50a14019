"""Security promises a council's information-governance officer will ask about: response headers,
cookie flags, the reverse-proxy setting, rate limits (in memory and shared through Redis), session
renewal on log-in and log-out, and no inline script or style anywhere."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from surveyapp import create_app
from surveyapp.config import ConfigError, from_environment
from surveyapp.extensions import db, limiter
from tests.conftest import TEST_PASSWORD, csrf_token_from
from tests.web.respond_helpers import make_invitation, make_open_link

REDIS_URL = "redis://127.0.0.1:6379/0"
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def make_app(app_config):
    """A second app with settings changed (the ``app`` fixture's database is shared)."""
    made = []

    def make(**overrides):
        new = create_app({**app_config, **overrides})
        with new.app_context():
            db.create_all()
        made.append(new)
        return new

    yield make
    for each in made:
        with each.app_context():
            db.session.remove()
            db.engine.dispose()


def directives(csp: str) -> dict[str, list[str]]:
    return {d.split()[0]: d.split()[1:] for d in csp.split(";") if d.strip()}


# --- headers -----------------------------------------------------------------------------------
def test_every_kind_of_response_carries_the_security_headers(
    app, client, make_user, login, make_round
):
    rid = make_round(open_=True)
    token = make_invitation(app, rid)
    login(make_user("lead"))
    pages = {
        "staff": client.get("/"),
        "respondent": client.get(f"/s/{token}"),
        "not found": client.get("/no-such-page"),
        "static": client.get("/static/app.css"),
        "links": client.get(f"/rounds/{rid}/links"),
    }
    for kind, resp in pages.items():
        assert resp.status_code in (200, 404), kind
        csp = directives(resp.headers["Content-Security-Policy"])
        assert csp["default-src"] == ["'self'"], kind
        assert csp["script-src"] == ["'self'"] and csp["style-src"] == ["'self'"], kind
        assert csp["img-src"] == ["'self'", "data:"], kind
        assert csp["object-src"] == ["'none'"] and csp["base-uri"] == ["'none'"], kind
        assert csp["frame-ancestors"] == ["'none'"] and csp["form-action"] == ["'self'"], kind
        assert "unsafe" not in resp.headers["Content-Security-Policy"], kind
        assert resp.headers["X-Content-Type-Options"] == "nosniff", kind
        assert resp.headers["X-Frame-Options"] == "DENY", kind
        assert resp.headers["Referrer-Policy"] == "same-origin", kind
        assert "camera=()" in resp.headers["Permissions-Policy"], kind
        assert resp.headers["Cross-Origin-Opener-Policy"] == "same-origin", kind
        assert "Strict-Transport-Security" not in resp.headers, kind  # plain HTTP
    assert pages["staff"].headers["Cache-Control"] == "no-store"
    assert "no-store" not in pages["static"].headers.get("Cache-Control", "")
    pages["static"].close()


def test_hsts_only_on_https(client):
    assert "Strict-Transport-Security" not in client.get("/login").headers
    hsts = client.get("/login", base_url="https://localhost").headers["Strict-Transport-Security"]
    assert hsts == "max-age=31536000; includeSubDomains"


def test_forwarded_headers_count_only_behind_trusted_proxies(make_app):
    forwarded = {
        "X-Forwarded-Proto": "https",
        "X-Forwarded-For": "203.0.113.7",
        "X-Forwarded-Host": "surveys.council.example",
    }
    direct = make_app().test_client().get("/login", headers=forwarded)
    assert "Strict-Transport-Security" not in direct.headers  # anyone can send those headers
    assert "Secure" not in direct.headers["Set-Cookie"]
    proxied = make_app(TRUSTED_PROXIES=1).test_client().get("/login", headers=forwarded)
    assert "Strict-Transport-Security" in proxied.headers
    assert "; Secure" in proxied.headers["Set-Cookie"]


def test_https_form_posts_pass_the_csrf_referrer_check(app, client, make_round):
    """Why pages send ``same-origin`` referrers, not ``no-referrer``: over HTTPS Flask-WTF refuses
    a post that does not name this site as its referrer, which is what no-referrer would send."""
    token = make_invitation(app, make_round(open_=True))
    https = "https://localhost"
    page = client.get(f"/s/{token}", base_url=https)
    data = {"csrf_token": csrf_token_from(page.text), "action": "save"}
    refused = client.post(f"/s/{token}/draft", base_url=https, data=data)
    assert refused.status_code == 400 and "form has expired" in refused.text
    saved = client.post(
        f"/s/{token}/draft", base_url=https, data=data, headers={"Referer": f"{https}/s/{token}"}
    )
    assert saved.status_code == 204


# --- cookies -----------------------------------------------------------------------------------
def cookie_flags(header: str) -> set[str]:
    """The attributes of one Set-Cookie header, lower-cased: {"httponly", "samesite=lax", ...}."""
    return {part.strip().lower() for part in header.split(";")[1:]}


def test_session_cookie_is_httponly_lax_and_secure_when_it_should_be(app, make_app, make_user):
    user = make_user("lead")

    def login_cookie(a, base_url="http://localhost"):
        c = a.test_client()
        token = csrf_token_from(c.get("/login", base_url=base_url).text)
        resp = c.post(
            "/login",
            base_url=base_url,
            data={"email": user["email"], "password": TEST_PASSWORD, "csrf_token": token},
            headers={"Referer": base_url + "/login"},
        )
        assert resp.status_code == 302
        return resp.headers["Set-Cookie"]

    plain = cookie_flags(login_cookie(app))
    assert {"httponly", "samesite=lax"} <= plain and "secure" not in plain
    assert "secure" in cookie_flags(login_cookie(app, "https://localhost"))
    assert "secure" in cookie_flags(login_cookie(make_app(SESSION_COOKIE_SECURE=True)))
    assert "secure" in cookie_flags(login_cookie(make_app(BASE_URL="https://surveys.example")))


def test_open_link_cookie_is_httponly_lax_and_secure_on_https(app, make_round):
    slug = make_open_link(app, make_round(open_=True))
    plain = app.test_client().get(f"/o/{slug}").headers["Set-Cookie"]
    assert plain.startswith("respondent=")
    assert {"httponly", "samesite=lax"} <= cookie_flags(plain)
    assert "secure" not in cookie_flags(plain)
    other = app.test_client()
    secure = other.get(f"/o/{slug}", base_url="https://localhost").headers["Set-Cookie"]
    assert {"httponly", "samesite=lax", "secure"} <= cookie_flags(secure)


def session_cookies(response) -> list[str]:
    return [c for c in response.headers.getlist("Set-Cookie") if c.startswith("session=")]


def test_session_cookie_is_sent_again_only_when_it_changes(app, make_round, make_user):
    """A respondent's session (its form's CSRF token) is set once, not re-signed on every page;
    a staff session still records activity, so its idle limit keeps counting from the last
    request."""
    slug = make_open_link(app, make_round(open_=True))
    browser = app.test_client()
    first = browser.get(f"/o/{slug}")
    assert len(session_cookies(first)) == 1
    again = browser.get(f"/o/{slug}")
    assert session_cookies(again) == []
    assert csrf_token_from(again.text) == csrf_token_from(first.text)

    user = make_user("manager")
    staff = app.test_client()
    token = csrf_token_from(staff.get("/login").text)
    staff.post(
        "/login", data={"email": user["email"], "password": TEST_PASSWORD, "csrf_token": token}
    )
    with staff.session_transaction() as session:
        session["staff_seen_at"] -= 120  # the last request was two minutes ago
    assert len(session_cookies(staff.get("/"))) == 1  # activity recorded: the cookie changes


# --- sessions ----------------------------------------------------------------------------------
def test_log_in_starts_a_new_session_and_log_out_ends_it(app, make_user):
    """Three browsers, so not pytest-flask's ``client``: it keeps its last request's context
    (and so its logged-in user) pushed, which other clients would then share."""
    user = make_user("manager")
    client = app.test_client()
    login_page = client.get("/login")
    before_cookie = client.get_cookie("session").value
    before_csrf = csrf_token_from(login_page.text)
    resp = client.post(
        "/login",
        data={"email": user["email"], "password": TEST_PASSWORD, "csrf_token": before_csrf},
    )
    assert resp.status_code == 302
    after_cookie = client.get_cookie("session").value
    assert after_cookie != before_cookie
    home = client.get("/")
    assert home.status_code == 200
    assert csrf_token_from(home.text) != before_csrf  # a form token planted earlier is dead

    # Someone who had the pre-login cookie (fixation) is still anonymous.
    planted = app.test_client()
    planted.set_cookie("session", before_cookie)
    assert planted.get("/").status_code == 302

    # A copy of the logged-in cookie works until log-out, and not after it.
    copy = app.test_client()
    copy.set_cookie("session", after_cookie)
    assert copy.get("/").status_code == 200
    out = client.post("/logout", data={"csrf_token": csrf_token_from(home.text)})
    assert out.status_code == 302 and out.headers["Location"] == "/login"
    assert client.get("/").status_code == 302
    assert copy.get("/").status_code == 302


# --- rate limits -------------------------------------------------------------------------------
def post_login(client, **headers):
    return client.post(
        "/login", data={"email": "nobody@example.org", "password": "x" * 12}, headers=headers
    )


def test_login_attempts_are_limited_per_client_address(make_app):
    app = make_app(WTF_CSRF_ENABLED=False)
    client = app.test_client()
    statuses = [post_login(client).status_code for _ in range(11)]
    assert statuses == [400] * 10 + [429]  # default: 10 per minute
    assert "Too many attempts" in post_login(client).text
    assert client.get("/login").status_code == 200  # reading the page is not limited


def test_rate_limits_key_on_the_real_client_only_behind_trusted_proxies(make_app):
    settings = {"WTF_CSRF_ENABLED": False, "LOGIN_RATE_LIMIT": "2 per minute"}
    proxied = make_app(TRUSTED_PROXIES=1, **settings).test_client()
    one, two = {"X-Forwarded-For": "203.0.113.1"}, {"X-Forwarded-For": "203.0.113.2"}
    assert [post_login(proxied, **one).status_code for _ in range(2)] == [400, 400]
    # The client forged an address in front of the one the proxy added: still counted as itself.
    forged = {"X-Forwarded-For": "198.51.100.9, 203.0.113.1"}
    assert post_login(proxied, **forged).status_code == 429
    assert post_login(proxied, **two).status_code == 400  # another client behind the proxy
    direct = make_app(**settings).test_client()
    assert [post_login(direct, **one).status_code for _ in range(2)] == [400, 400]
    assert post_login(direct, **two).status_code == 429  # a made-up header does not help


def test_invitation_links_are_limited_across_pages_and_tokens(app, make_app, make_round):
    limited = make_app(TOKEN_LINK_RATE_LIMIT="4 per minute")
    token = make_invitation(limited, make_round(open_=True))
    client = limited.test_client()
    page = client.get(f"/s/{token}")
    saved = client.post(
        f"/s/{token}/draft", data={"csrf_token": csrf_token_from(page.text), "action": "save"}
    )
    old_page = client.get(f"/s/{token}/1")  # an old page address, answered with a redirect
    guess = client.get("/s/" + "A" * 43)
    assert [page.status_code, saved.status_code, old_page.status_code, guess.status_code] == [
        200,
        204,
        301,
        404,
    ]
    assert client.get(f"/s/{token}").status_code == 429
    assert client.get(f"/s/{token}/done").status_code == 429


def test_open_link_pages_are_limited(app, make_app, make_round):
    limited = make_app(OPEN_LINK_RATE_LIMIT="2 per minute")
    slug = make_open_link(limited, make_round(open_=True))
    client = limited.test_client()
    token = csrf_token_from(client.get(f"/o/{slug}").text)
    posts = [
        client.post(f"/o/{slug}/draft", data={"csrf_token": token, "action": "save"}).status_code
        for _ in range(3)
    ]
    assert posts == [204, 204, 429]


def test_bad_security_settings_stop_the_app_starting(app_config):
    with pytest.raises(ConfigError, match="LOGIN_RATE_LIMIT"):
        create_app({**app_config, "LOGIN_RATE_LIMIT": "lots"})
    with pytest.raises(ConfigError, match="TRUSTED_PROXIES"):
        from_environment({"SURVEYAPP_TRUSTED_PROXIES": "-1"})
    assert from_environment(
        {"SURVEYAPP_TRUSTED_PROXIES": "2", "SURVEYAPP_TOKEN_LINK_RATE_LIMIT": "5 per second"}
    ) == {"TRUSTED_PROXIES": 2, "TOKEN_LINK_RATE_LIMIT": "5 per second"}


# --- Redis -------------------------------------------------------------------------------------
@pytest.fixture
def redis_prefix():
    """A key prefix of this test's own in the real Redis, removed afterwards."""
    redis = pytest.importorskip("redis")
    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=0.5)
    try:
        client.ping()
    except redis.RedisError as exc:
        pytest.skip(f"Redis does not answer at {REDIS_URL} ({exc}): shared rate limits untested")
    prefix = f"surveyapp-test-{uuid.uuid4().hex[:12]}"
    yield client, prefix
    for key in client.scan_iter(f"{prefix}:*"):
        client.delete(key)


_OTHER_PROCESS = """
import json, sys
from surveyapp import create_app
from surveyapp.extensions import db
config = json.loads(sys.argv[1])
app = create_app(config, instance_path=config.pop("_instance"))
with app.app_context():
    db.create_all()
client = app.test_client()
print(json.dumps([client.post("/login", data={"email": "a@example.org", "password": "x" * 12})
                  .status_code for _ in range(int(sys.argv[2]))]))
"""


def test_two_processes_sharing_redis_share_one_count(make_app, redis_prefix, tmp_path):
    """What gunicorn's workers do: a count kept in Redis, not in each process's memory."""
    redis, prefix = redis_prefix
    settings = {
        "REDIS_URL": REDIS_URL,
        "REDIS_KEY_PREFIX": prefix,
        "WTF_CSRF_ENABLED": False,
        "LOGIN_RATE_LIMIT": "5 per minute",
        "SECRET_KEY": "x" * 32,
    }
    other = {
        **settings,
        "TESTING": True,
        "_instance": str(tmp_path / "other"),
        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'other.sqlite'}",
    }
    run = subprocess.run(
        [sys.executable, "-c", _OTHER_PROCESS, json.dumps(other), "3"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    assert json.loads(run.stdout.strip().splitlines()[-1]) == [400, 400, 400]
    assert any(redis.scan_iter(f"{prefix}:*"))  # the count lives in Redis
    here = make_app(**settings).test_client()
    assert [post_login(here).status_code for _ in range(3)] == [400, 400, 429]


def test_rate_limits_carry_on_in_memory_when_redis_is_down(make_app):
    app = make_app(
        REDIS_URL="redis://127.0.0.1:1/0", WTF_CSRF_ENABLED=False, LOGIN_RATE_LIMIT="2 per minute"
    )
    client = app.test_client()
    try:
        assert [post_login(client).status_code for _ in range(3)] == [400, 400, 429]
    finally:
        # Flask-Limiter keeps "storage is down" on its one shared object; later apps in this
        # process have storage of their own.
        limiter._storage_dead = False


# --- no inline script or style -----------------------------------------------------------------
def test_no_template_has_inline_script_style_or_handlers():
    """The CSP would block them; the browser tests fail on any violation, this finds them first.
    The exceptions are the report's self-contained HTML export and the board summary's source
    (downloaded files, sent as attachments under the same CSP) that must open offline, so their
    stylesheet is inlined; and emails' HTML (templates/email/), read in mail clients, which
    ignore stylesheets, so styled inline (never scripts)."""
    templates = list((ROOT / "surveyapp").rglob("*.html"))
    assert len(templates) > 10
    offline_files = {
        ROOT / "surveyapp/web/reports/templates/reports/export.html",
        ROOT / "surveyapp/web/reports/templates/reports/summary.html",
    }
    email_folder = ROOT / "surveyapp/templates/email"
    found = []
    for path in templates:
        text = re.sub(r"{%.*?%}|{{.*?}}", "", path.read_text(), flags=re.S)  # Jinja, not HTML
        if path in offline_files:
            text = re.sub(r"<style>.*?</style>", "", text, flags=re.S)
        if path.is_relative_to(email_folder):
            text = re.sub(r'\sstyle="[^"]*"', "", text)
        for pattern in (
            r"<script(?![^>]*\bsrc=)[^>]*>",
            r"<style\b",
            r"\sstyle\s*=",
            r"\son[a-z]+\s*=",
            r"javascript:",
        ):
            found += [
                f"{path.relative_to(ROOT)}: {m.group(0)}" for m in re.finditer(pattern, text, re.I)
            ]
    assert found == []


def test_in_memory_rate_limits_count_right_without_a_thread_a_request(app, monkeypatch):
    """Without Redis the app counts in :class:`QuietMemoryStorage`: counts 15 ms apart start one
    purge thread a second (limits' own storage started one 10 ms after nearly every count),
    limits are still enforced and expire on time, and the purge frees expired counts."""
    import time

    from limits import parse
    from limits.strategies import FixedWindowRateLimiter

    from surveyapp.security import QuietMemoryStorage

    assert isinstance(limiter.limiter.storage, QuietMemoryStorage)
    storage = QuietMemoryStorage("surveyapp-memory://")
    counter = FixedWindowRateLimiter(storage)
    three = parse("3 per 2 seconds")
    allowed, timers = [], set()
    for _ in range(20):
        allowed.append(counter.hit(three, "k"))
        timers.add(id(storage.timer))
        time.sleep(0.015)
    assert allowed == [True] * 3 + [False] * 17
    assert len(timers) <= 3  # the one made at start, then one purge a second
    time.sleep(2.0)
    assert counter.hit(three, "k")  # the window has passed
    monkeypatch.setattr(QuietMemoryStorage, "PURGE_SECONDS", 0.05)
    quick = QuietMemoryStorage("surveyapp-memory://")
    quick.incr("short", 0.05)
    time.sleep(0.1)  # past its expiry
    quick.incr("other", 60)  # a count schedules the next purge
    time.sleep(0.4)
    assert "short" not in quick.storage and quick.get("other") == 1
