"""HTTP security for every response: headers, cookie flags, the reverse-proxy setting and where
rate limits are counted.

Kept in one place so a council's information-governance officer can read what the app promises:

* **Content-Security-Policy** allows scripts, styles, fonts and connections from this site only,
  with no inline script or style (so an injected ``<script>`` or ``style=`` does nothing), images
  from this site and ``data:`` (report charts are ``data:image/svg+xml`` images), no plugins, no
  ``<base>`` rewriting, forms posting only to this site, and no framing by any site.
* **Referrer-Policy: same-origin** on every page: a browser sends the address of a page (which
  for a respondent holds the link token) only back to this site, never to another. Not
  ``no-referrer``: on HTTPS the CSRF check (Flask-WTF's ``WTF_CSRF_SSL_STRICT``) needs the
  browser to name this site as the referrer of a form post, and ``no-referrer`` would make every
  respondent's answers fail it.
* **Strict-Transport-Security** only on responses to HTTPS requests (browsers ignore it over HTTP,
  and sending it there from a mis-configured proxy would pin the wrong scheme). Behind a reverse
  proxy that ends TLS, set ``SURVEYAPP_TRUSTED_PROXIES`` so the app knows the request was HTTPS.
* X-Content-Type-Options, X-Frame-Options, Permissions-Policy, Cross-Origin-Opener-Policy and
  Cross-Origin-Resource-Policy; ``Cache-Control: no-store`` on every page (not static files) that
  did not choose its own, so a shared computer's cache keeps no staff page.
* Session cookies are HttpOnly and SameSite=Lax, and Secure when ``SESSION_COOKIE_SECURE`` is set,
  when ``BASE_URL`` is https, or when the request itself came over HTTPS.
"""

from __future__ import annotations

import threading
from datetime import datetime
from typing import Any

from flask import Flask, Response, current_app, has_request_context, request
from flask.sessions import SecureCookieSessionInterface, SessionMixin
from limits import parse_many
from limits.storage import MemoryStorage
from werkzeug.middleware.proxy_fix import ProxyFix

from surveyapp.config import ConfigError

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)
PERMISSIONS_POLICY = ", ".join(
    f"{feature}=()"
    for feature in (
        "accelerometer",
        "camera",
        "geolocation",
        "gyroscope",
        "magnetometer",
        "microphone",
        "payment",
        "usb",
    )
)
#: One year; browsers then refuse plain HTTP for this host (and its subdomains).
HSTS = "max-age=31536000; includeSubDomains"
#: Headers set on every response (a view may not weaken them).
HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Permissions-Policy": PERMISSIONS_POLICY,
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Resource-Policy": "same-origin",
}
#: Settings holding a rate limit ("10 per minute; 100 per hour"), checked when the app starts.
RATE_LIMIT_SETTINGS = (
    "LOGIN_RATE_LIMIT",
    "TOKEN_LINK_RATE_LIMIT",
    "OPEN_LINK_RATE_LIMIT",
    "OPEN_LINK_SUBMIT_RATE_LIMIT",
)


def init_app(app: Flask) -> None:
    """Wire the headers, cookie flags, proxy trust and rate-limit storage into ``app``.
    Call before ``limiter.init_app`` (it chooses the limiter's storage)."""
    _trust_proxies(app)
    _check_rate_limits(app)
    _rate_limit_storage(app)
    app.session_interface = _SessionInterface()
    app.config["REMEMBER_COOKIE_HTTPONLY"] = True
    app.config["REMEMBER_COOKIE_SAMESITE"] = app.config["SESSION_COOKIE_SAMESITE"]
    app.config["REMEMBER_COOKIE_SECURE"] = cookies_secure(app)
    app.after_request(_add_headers)


def cookies_secure(app: Flask | None = None) -> bool:
    """Whether cookies set now must be Secure: configured so, the public address is HTTPS, or
    this request came over HTTPS (directly or through a trusted proxy)."""
    config = (app or current_app).config
    return (
        bool(config.get("SESSION_COOKIE_SECURE"))
        or str(config.get("BASE_URL", "")).startswith("https://")
        or (has_request_context() and request.is_secure)
    )


class _SessionInterface(SecureCookieSessionInterface):
    """Flask's signed-cookie sessions, with Secure decided per request (see
    :func:`cookies_secure`)."""

    def get_cookie_secure(self, app: Flask) -> bool:
        return cookies_secure(app)

    def get_expiration_time(self, app: Flask, session: SessionMixin) -> datetime | None:
        """A cookie holding a staff log-in never outlives the browser, even after a respondent
        page in the same browser made the session permanent (open links keep a respondent's
        place for ``PERMANENT_SESSION_LIFETIME``, 31 days by default, and it is one cookie)."""
        if "_user_id" in session:
            return None
        return super().get_expiration_time(app, session)


def _trust_proxies(app: Flask) -> None:
    """Behind ``TRUSTED_PROXIES`` reverse proxies, take the client's address, scheme and host
    from their ``X-Forwarded-*`` headers (rate limits then count per real client, and HTTPS is
    seen as HTTPS). With 0 (the default) those headers are ignored: anyone can send them."""
    hops = app.config.get("TRUSTED_PROXIES", 0)
    if not isinstance(hops, int) or isinstance(hops, bool) or hops < 0:
        raise ConfigError(f"TRUSTED_PROXIES must be a whole number 0 or more, not {hops!r}")
    if hops:
        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
            app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops
        )


def _check_rate_limits(app: Flask) -> None:
    """A mistyped limit stops the app at start-up, not at a respondent's first page."""
    for name in RATE_LIMIT_SETTINGS:
        value = app.config.get(name)
        if value is None:
            continue
        try:
            if not parse_many(str(value)):
                raise ValueError("no limit given")
        except ValueError as exc:
            raise ConfigError(
                f"{name}: cannot read {value!r} as a rate limit such as "
                f"'10 per minute; 100 per hour' ({exc})"
            ) from exc


class QuietMemoryStorage(MemoryStorage):
    """limits' in-memory counts (``memory://``), with expired counts purged by a thread started
    at most every :attr:`PURGE_SECONDS` rather than 10 ms after each count: under load the
    original started a thread for nearly every request (about 1.5 ms of CPU a response).
    Counting is unchanged: each read checks its key's own expiry, so a purge only frees
    memory."""

    STORAGE_SCHEME = ["surveyapp-memory"]
    PURGE_SECONDS = 1.0

    def _MemoryStorage__schedule_expiry(self) -> None:  # replaces the private scheduler
        if not self.timer.is_alive():
            purge = getattr(self, "_MemoryStorage__expire_events")  # noqa: B009 - private
            self.timer = threading.Timer(self.PURGE_SECONDS, purge)
            self.timer.daemon = True
            self.timer.start()


def _rate_limit_storage(app: Flask) -> None:
    """Count rate limits in Redis when ``REDIS_URL`` is set, so every app process shares one
    count; in memory (per process, :class:`QuietMemoryStorage`) otherwise. If Redis stops
    answering, counting carries on in memory rather than refusing respondents, and moves back
    when it answers again."""
    url = app.config.get("REDIS_URL")
    if not url:
        if app.config.get("RATELIMIT_STORAGE_URI", "memory://") == "memory://":
            app.config["RATELIMIT_STORAGE_URI"] = "surveyapp-memory://"
        return
    app.config["RATELIMIT_STORAGE_URI"] = url
    options: dict[str, Any] = {"socket_connect_timeout": 1, "socket_timeout": 1}
    options.update(app.config.get("RATELIMIT_STORAGE_OPTIONS") or {})
    options["key_prefix"] = app.config.get("REDIS_KEY_PREFIX") or "surveyapp"
    app.config["RATELIMIT_STORAGE_OPTIONS"] = options
    app.config.setdefault("RATELIMIT_IN_MEMORY_FALLBACK_ENABLED", True)


def _add_headers(response: Response) -> Response:
    for name, value in HEADERS.items():
        response.headers[name] = value
    if request.is_secure:
        response.headers["Strict-Transport-Security"] = HSTS
    if request.endpoint != "static" and "Cache-Control" not in response.headers:
        response.headers["Cache-Control"] = "no-store"
    return response
