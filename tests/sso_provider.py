"""Start the test OpenID provider (tests/oidc/provider.mjs: oidc-provider on Node.js) on
loopback, and walk a browser-less sign-in through it with ``requests``."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import pytest
import requests

HERE = Path(__file__).parent / "oidc"
CLIENT_ID = "surveyapp"
CLIENT_SECRET = "test-client-secret-0123456789abcdef"
ROLE_MAP = "SurveyApp.Admin=admin,SurveyApp.Lead=lead,SurveyApp.Manager=manager"
#: Login name -> the claims the provider gives that person (roles as Entra ID app roles).
ACCOUNTS = {
    "lead1": {"email": "Lead1@Example.org", "email_verified": True, "roles": ["SurveyApp.Lead"]},
    "boss": {
        "email": "boss@example.org",
        "email_verified": True,
        "roles": ["SurveyApp.Manager", "SurveyApp.Admin", "Other.App"],
    },
    "norole": {"email": "norole@example.org", "email_verified": True, "roles": ["Other.App"]},
    "unverified": {
        "email": "sneaky@example.org",
        "email_verified": False,
        "roles": ["SurveyApp.Lead"],
    },
    "known": {"email": "known@example.org", "email_verified": True, "roles": ["SurveyApp.Admin"]},
}


@dataclass
class Provider:
    issuer: str

    def set_mode(self, mode: str) -> None:
        requests.post(f"{self.issuer}/__test/mode", data={"mode": mode}, timeout=10)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def running_provider(redirect_uris: list[str], port: int | None = None) -> Iterator[Provider]:
    node = shutil.which("node")
    if node is None or not (HERE / "node_modules" / "oidc-provider").is_dir():
        pytest.skip(
            "the test OpenID provider is not installed (Node.js 20+ and `npm ci` in tests/oidc, "
            "which scripts/setup.sh runs): single sign-on tests skipped"
        )
    env = {
        **os.environ,
        "OIDC_PORT": str(port or free_port()),
        "OIDC_CLIENTS": json.dumps(
            [
                {
                    "client_id": CLIENT_ID,
                    "client_secret": CLIENT_SECRET,
                    "redirect_uris": redirect_uris,
                }
            ]
        ),
        "OIDC_ACCOUNTS": json.dumps(ACCOUNTS),
    }
    proc = subprocess.Popen(
        [node, str(HERE / "provider.mjs")],
        cwd=HERE,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        if not line:
            raise RuntimeError("the test OpenID provider did not start")
        yield Provider(json.loads(line)["issuer"])
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        if proc.stdout is not None:
            proc.stdout.close()


def app_settings(provider: Provider) -> dict[str, object]:
    return {
        "OIDC_ISSUER": provider.issuer,
        "OIDC_CLIENT_ID": CLIENT_ID,
        "OIDC_CLIENT_SECRET": CLIENT_SECRET,
        "OIDC_ROLE_MAP": ROLE_MAP,
        "OIDC_PROVIDER_NAME": "Test ID",
    }


def with_query(url: str, **changes: str) -> str:
    parts = urlsplit(url)
    query = dict(parse_qsl(parts.query))
    query.update(changes)
    return urlunsplit(parts._replace(query=urlencode(query)))


def sign_in_at_provider(authorize_url: str, login: str, app_base: str) -> str:
    """Follow the provider from its authorisation URL, sign in as ``login``, and return the
    URL it sends the browser back to (on the app)."""
    with requests.Session() as browser:
        return _follow(browser, authorize_url, login, app_base)


def _follow(browser: requests.Session, url: str, login: str, app_base: str) -> str:
    for _ in range(10):
        if url.startswith(app_base):
            return url
        if urlsplit(url).path.startswith("/interaction/"):
            page = browser.get(url, timeout=10)
            assert page.status_code == 200, page.text
            resp = browser.post(url, data={"login": login}, allow_redirects=False, timeout=10)
        else:
            resp = browser.get(url, allow_redirects=False, timeout=10)
        assert resp.status_code in (302, 303), (resp.status_code, resp.text[:500])
        location = resp.headers["Location"]
        url = location if "://" in location else urlunsplit(urlsplit(url)[:2] + (location, "", ""))
    raise AssertionError("too many redirects at the provider")
