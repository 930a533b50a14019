"""Headless Chromium (Debian's package, driven by Playwright) against the app on loopback.

Browser tests are marked ``browser``; where /usr/bin/chromium is missing they are skipped with a
clear reason, never passed silently. Screenshots go to tests/browser/screenshots/ (git-ignored).
"""

from __future__ import annotations

import shutil
import threading
from pathlib import Path

import pytest
from werkzeug.serving import make_server

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
PHONE = {"width": 360, "height": 740}
LAPTOP = {"width": 1366, "height": 900}
SCREENSHOTS = Path(__file__).parent / "screenshots"
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22a", "wcag22aa"]


def pytest_collection_modifyitems(items):
    for item in items:
        if "tests/browser/" in str(item.fspath).replace("\\", "/"):
            item.add_marker(pytest.mark.browser)


@pytest.fixture
def server_url(app):
    """The app served by a real threaded WSGI server on 127.0.0.1 (a free port)."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    app.config["BASE_URL"] = f"http://127.0.0.1:{server.server_port}"
    try:
        yield app.config["BASE_URL"]
    finally:
        server.shutdown()
        thread.join(timeout=5)


@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.skip("Chromium is not installed (Debian package 'chromium'): browser tests skipped")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield browser
        browser.close()


def _context(browser, viewport, **kwargs):
    return browser.new_context(viewport=viewport, device_scale_factor=1, **kwargs)


def _watch_csp(context) -> list[str]:
    """Every Content-Security-Policy violation on any page of ``context`` (Chromium fires a
    ``securitypolicyviolation`` event and logs an error); pages must cause none."""
    found: list[str] = []
    context.expose_binding("__cspViolation", lambda _source, text: found.append(text))
    context.add_init_script(
        "document.addEventListener('securitypolicyviolation', e => window.__cspViolation("
        "e.violatedDirective + ' blocked ' + (e.blockedURI || '') + ' at ' + location.pathname"
        " + ' line ' + e.lineNumber))"
    )
    context.on(
        "console", lambda m: found.append(m.text) if "Content Security Policy" in m.text else None
    )
    return found


@pytest.fixture
def phone(browser):
    """A page at a 360 x 740 phone viewport with touch."""
    context = _context(browser, PHONE, has_touch=True, is_mobile=True)
    violations = _watch_csp(context)
    page = context.new_page()
    yield page
    context.close()
    assert violations == [], "Content-Security-Policy violations"


@pytest.fixture
def laptop(browser):
    context = _context(browser, LAPTOP)
    violations = _watch_csp(context)
    page = context.new_page()
    yield page
    context.close()
    assert violations == [], "Content-Security-Policy violations"


def screenshot(page, name: str) -> Path:
    """Save a full-page screenshot to look at."""
    SCREENSHOTS.mkdir(exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def axe_violations(page) -> list[dict]:
    """WCAG 2.2 A/AA violations reported by axe-core (bundled with axe-playwright-python)."""
    import axe_playwright_python

    script = Path(axe_playwright_python.__file__).parent / "axe.min.js"
    page.evaluate(script.read_text())  # not a <script> tag: the page's CSP would block that
    result = page.evaluate(
        "tags => axe.run(document, {runOnly: {type: 'tag', values: tags}})", AXE_TAGS
    )
    return [
        {
            "id": v["id"],
            "impact": v["impact"],
            "help": v["help"],
            "nodes": [n["target"] for n in v["nodes"]][:5],
        }
        for v in result["violations"]
    ]


def no_horizontal_scroll(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def log_in(page, server_url: str, user: dict) -> None:
    """Log a staff user in through the login form and wait for the rounds page."""
    page.goto(server_url + "/login")
    page.fill("#email", user["email"])
    page.fill("#password", user["password"])
    page.click("button[type=submit]")
    page.wait_for_url(server_url + "/")
