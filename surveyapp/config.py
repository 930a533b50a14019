"""Configuration defaults and the one place that reads ``SURVEYAPP_*`` environment variables.

Order of precedence (lowest first): the defaults below, ``instance/config.py``, environment
variables, then the ``test_config`` mapping given to :func:`surveyapp.create_app`.
"""

from __future__ import annotations

import os
import secrets
from datetime import date
from pathlib import Path
from typing import Any

ENV_PREFIX = "SURVEYAPP_"

#: Environment variable suffix -> (config key, parser).
_ENV_KEYS: dict[str, tuple[str, Any]] = {
    "DATABASE_URL": ("SQLALCHEMY_DATABASE_URI", str),
    "SECRET_KEY": ("SECRET_KEY", str),
    "BASE_URL": ("BASE_URL", str),
    "TIMEZONE": ("TIMEZONE", str),
    "COUNCIL_NAME": ("COUNCIL_NAME", str),
    "PRIVACY_NOTICE_URL": ("PRIVACY_NOTICE_URL", str),
    "ACCESSIBILITY_CONTACT": ("ACCESSIBILITY_CONTACT", str),
    "ACCESSIBILITY_PREPARED_ON": ("ACCESSIBILITY_PREPARED_ON", lambda v: _day(v)),
    "ACCESSIBILITY_REVIEWED_ON": ("ACCESSIBILITY_REVIEWED_ON", lambda v: _day(v)),
    "MAIL_SERVER": ("MAIL_SERVER", str),
    "MAIL_PORT": ("MAIL_PORT", int),
    "MAIL_USERNAME": ("MAIL_USERNAME", str),
    "MAIL_PASSWORD": ("MAIL_PASSWORD", str),
    "MAIL_USE_TLS": ("MAIL_USE_TLS", lambda v: v.strip().lower() in {"1", "true", "yes", "on"}),
    "MAIL_SENDER": ("MAIL_SENDER", str),
    "REDIS_URL": ("REDIS_URL", str),
    "DATABASE_IDLE_PING_SECONDS": ("DATABASE_IDLE_PING_SECONDS", float),
    "RETENTION_DAYS": ("RETENTION_DAYS", int),
    "SESSION_COOKIE_SECURE": (
        "SESSION_COOKIE_SECURE",
        lambda v: v.strip().lower() in {"1", "true", "yes", "on"},
    ),
    "TRUSTED_PROXIES": ("TRUSTED_PROXIES", lambda v: _whole_number(v)),
    "LOGIN_RATE_LIMIT": ("LOGIN_RATE_LIMIT", str),
    "TOKEN_LINK_RATE_LIMIT": ("TOKEN_LINK_RATE_LIMIT", str),
    "OPEN_LINK_RATE_LIMIT": ("OPEN_LINK_RATE_LIMIT", str),
    "OPEN_LINK_SUBMIT_RATE_LIMIT": ("OPEN_LINK_SUBMIT_RATE_LIMIT", str),
    "OPEN_LINK_BURST_LIMIT": ("OPEN_LINK_BURST_LIMIT", str),
    # Staff sign-in (surveyapp/services/users.py, surveyapp/services/sso.py).
    "STAFF_IDLE_MINUTES": ("STAFF_IDLE_MINUTES", lambda v: _positive(v)),
    "STAFF_SESSION_HOURS": ("STAFF_SESSION_HOURS", lambda v: _positive(v)),
    "LOCKOUT_AFTER": ("LOCKOUT_AFTER", lambda v: _positive(v)),
    "LOCKOUT_SECONDS": ("LOCKOUT_SECONDS", lambda v: _positive(v)),
    "LOCKOUT_MAX_SECONDS": ("LOCKOUT_MAX_SECONDS", lambda v: _positive(v)),
    "PASSWORD_RESET_HOURS": ("PASSWORD_RESET_HOURS", lambda v: _positive(v)),
    "PASSWORD_LOGIN_ROLES": ("PASSWORD_LOGIN_ROLES", str),
    "OIDC_ISSUER": ("OIDC_ISSUER", str),
    "OIDC_CLIENT_ID": ("OIDC_CLIENT_ID", str),
    "OIDC_CLIENT_SECRET": ("OIDC_CLIENT_SECRET", str),
    "OIDC_SCOPES": ("OIDC_SCOPES", str),
    "OIDC_ROLE_CLAIM": ("OIDC_ROLE_CLAIM", str),
    "OIDC_ROLE_MAP": ("OIDC_ROLE_MAP", str),
    "OIDC_EMAIL_CLAIM": ("OIDC_EMAIL_CLAIM", str),
    "OIDC_REQUIRE_EMAIL_VERIFIED": (
        "OIDC_REQUIRE_EMAIL_VERIFIED",
        lambda v: v.strip().lower() in {"1", "true", "yes", "on"},
    ),
    "OIDC_PROVIDER_NAME": ("OIDC_PROVIDER_NAME", str),
}


def _day(raw: str) -> date:
    """A date written YYYY-MM-DD."""
    return date.fromisoformat(raw.strip())


def _whole_number(raw: str) -> int:
    value = int(raw)
    if value < 0:
        raise ValueError("must be 0 or more")
    return value


def _positive(raw: str) -> int:
    value = int(raw)
    if value < 1:
        raise ValueError("must be 1 or more")
    return value


class ConfigError(RuntimeError):
    """A setting has a value the app cannot use."""


def defaults(instance_path: str) -> dict[str, Any]:
    """Settings that need nothing set: SQLite in the instance folder, mail to a folder."""
    return {
        "SQLALCHEMY_DATABASE_URI": "sqlite:///" + str(Path(instance_path) / "surveyapp.sqlite"),
        # PostgreSQL connections are pinged only after lying idle (surveyapp._register_idle_ping)
        "SQLALCHEMY_ENGINE_OPTIONS": {},
        "DATABASE_IDLE_PING_SECONDS": 1.0,
        "BASE_URL": "http://127.0.0.1:5000",
        "TIMEZONE": "Europe/London",
        "COUNCIL_NAME": "Your council",
        "PRIVACY_NOTICE_URL": "",
        # The accessibility statement: who to contact (an email or web address) and when the
        # statement was prepared and last reviewed (dates, YYYY-MM-DD); unset parts are left out.
        "ACCESSIBILITY_CONTACT": "",
        "ACCESSIBILITY_PREPARED_ON": None,
        "ACCESSIBILITY_REVIEWED_ON": None,
        "MAIL_SERVER": "",
        "MAIL_PORT": 25,
        "MAIL_USERNAME": "",
        "MAIL_PASSWORD": "",
        "MAIL_USE_TLS": False,
        "MAIL_SENDER": "early-help@localhost",
        "MAIL_FOLDER": str(Path(instance_path) / "mail"),
        "REDIS_URL": "",
        "RATELIMIT_STORAGE_URI": "memory://",
        "RETENTION_DAYS": 180,
        "MAX_CONTENT_LENGTH": 2 * 1024 * 1024,
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": False,
        # The session cookie is signed and sent again only when its contents change, not on
        # every request (a respondent's holds just the form's CSRF token; a staff session's
        # idle and age limits are kept inside it and checked on the server, see
        # web/auth/routes.py). Re-signing it each time cost about a tenth of a request's CPU.
        "SESSION_REFRESH_EACH_REQUEST": False,
        "WTF_CSRF_TIME_LIMIT": None,
        # Security (surveyapp/security.py): reverse proxies whose X-Forwarded-* headers are
        # believed, rate limits per client address, and the Redis key prefix for their counts.
        "TRUSTED_PROXIES": 0,
        "LOGIN_RATE_LIMIT": "10 per minute; 100 per hour",
        "TOKEN_LINK_RATE_LIMIT": "120 per minute; 1500 per hour",
        "OPEN_LINK_RATE_LIMIT": "120 per minute; 1500 per hour",
        "OPEN_LINK_SUBMIT_RATE_LIMIT": "30 per minute; 300 per hour",
        "OPEN_LINK_BURST_LIMIT": "20 per hour",
        "REDIS_KEY_PREFIX": "surveyapp",
        # Staff sessions end after this long without a request, and this long after logging in
        # whatever happens; they never outlive the browser (see security.py).
        "STAFF_IDLE_MINUTES": 30,
        "STAFF_SESSION_HOURS": 10,
        # Per-account lockout: after LOCKOUT_AFTER wrong passwords or codes in a row the account
        # waits LOCKOUT_SECONDS, doubling with each further failure up to LOCKOUT_MAX_SECONDS.
        "LOCKOUT_AFTER": 5,
        "LOCKOUT_SECONDS": 60,
        "LOCKOUT_MAX_SECONDS": 3600,
        "PASSWORD_RESET_HOURS": 24,
        # Roles that may log in with a password (comma-separated); "admin" keeps only local
        # administrators as a break-glass way in when single sign-on is set up.
        "PASSWORD_LOGIN_ROLES": "admin,lead,manager",
        # OpenID Connect single sign-on: on when OIDC_ISSUER and OIDC_CLIENT_ID are set.
        "OIDC_ISSUER": "",
        "OIDC_CLIENT_ID": "",
        "OIDC_CLIENT_SECRET": "",
        "OIDC_SCOPES": "openid email profile",
        "OIDC_ROLE_CLAIM": "roles",
        "OIDC_ROLE_MAP": "",
        "OIDC_EMAIL_CLAIM": "email",
        "OIDC_REQUIRE_EMAIL_VERIFIED": True,
        "OIDC_PROVIDER_NAME": "single sign-on",
    }


def from_environment(environ: os._Environ[str] | dict[str, str] | None = None) -> dict[str, Any]:
    """Read every known ``SURVEYAPP_*`` variable; a bad value raises :class:`ConfigError`."""
    environ = os.environ if environ is None else environ
    found: dict[str, Any] = {}
    for suffix, (key, parse) in _ENV_KEYS.items():
        raw = environ.get(ENV_PREFIX + suffix)
        if raw is None or raw == "":
            continue
        try:
            found[key] = parse(raw)
        except ValueError as exc:
            raise ConfigError(f"{ENV_PREFIX}{suffix}: cannot read {raw!r} ({exc})") from exc
    return found


def instance_secret_key(instance_path: str) -> str:
    """The secret key kept in ``instance/secret_key``, generated on first use (mode 0600)."""
    path = Path(instance_path) / "secret_key"
    if path.exists():
        key = path.read_text().strip()
        if key:
            return key
    path.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_hex(32)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(key + "\n")
    return key
