"""The gap report page in Chromium at laptop and phone widths: accessible, no sideways scroll."""

import io

import pytest
import sqlalchemy as sa
from pypdf import PdfReader

from surveyapp.extensions import db
from surveyapp.models import Round
from surveyapp.reporting import build
from surveyapp.services.demo import OPEN_TITLE, load_demo
from tests.browser.conftest import SCREENSHOTS, axe_violations, no_horizontal_scroll, screenshot


@pytest.fixture
def demo_round(app):
    # The report machinery is imported on first use (fast CLI start-up); gunicorn's on_starting
    # imports it before serving, and so does this test's server before its first page.
    import surveyapp.reporting.exports  # noqa: F401

    build.clear_cache()
    with app.app_context():
        load_demo()
        db.session.commit()
        return db.session.scalar(sa.select(Round.id).where(Round.title == OPEN_TITLE))


def _log_in(page, server_url, user):
    page.goto(server_url + "/login")
    page.fill("#email", user["email"])
    page.fill("#password", user["password"])
    page.click("button[type=submit]")
    page.wait_for_url(server_url + "/")


def test_report_on_a_laptop(server_url, laptop, make_user, demo_round):
    _log_in(laptop, server_url, make_user("manager"))
    laptop.goto(f"{server_url}/rounds/{demo_round}/status")
    laptop.get_by_role("link", name="Read the gap report").click()
    laptop.wait_for_url(f"{server_url}/rounds/{demo_round}/report")
    assert laptop.locator("h1").text_content().startswith("Gap report")
    headings = laptop.locator("h2").all_text_contents()
    # the first screen: the biggest gaps and what changed, who answered, the heatmap
    assert headings[:3] == [
        "The three biggest gaps",
        "Who answered",
        "Gaps by partner type and area",
    ]
    assert headings.index("Narrow or download this report") < headings.index("Answers by domain")
    assert laptop.locator(".headlines li").count() == 3
    assert laptop.locator(".headlines h3").text_content().startswith("What changed since")
    assert any(h.startswith("Change since") for h in headings)
    images = laptop.locator(".chart img")
    assert images.count() >= 9
    assert all(images.nth(i).get_attribute("alt") for i in range(images.count()))
    assert all(images.nth(i).evaluate("img => img.naturalWidth > 0") for i in range(images.count()))
    assert axe_violations(laptop) == []
    assert no_horizontal_scroll(laptop)
    screenshot(laptop, "report-laptop")
    laptop.select_option("#filter", label="Supervisor or manager")
    laptop.get_by_role("button", name="Show").click()
    laptop.wait_for_url("**filter=role_level*")
    assert "Showing one group only: Role level: Supervisor or manager" in laptop.text_content(
        ".lede"
    )
    assert axe_violations(laptop) == []
    laptop.emulate_media(media="print")
    screenshot(laptop, "report-print")


def test_report_on_a_phone(server_url, phone, make_user, demo_round):
    _log_in(phone, server_url, make_user("lead"))
    phone.goto(f"{server_url}/rounds/{demo_round}")
    phone.get_by_role("link", name="Report", exact=True).click()
    phone.wait_for_url(f"{server_url}/rounds/{demo_round}/report")
    phone.click("text=The figures as a table >> nth=0")
    assert phone.locator("details").first.get_attribute("open") is not None
    assert axe_violations(phone) == []
    assert no_horizontal_scroll(phone)
    screenshot(phone, "report-phone")


def test_report_downloads_and_prints_on_a4(server_url, laptop, make_user, demo_round):
    _log_in(laptop, server_url, make_user("manager"))
    laptop.goto(f"{server_url}/rounds/{demo_round}/report?filter=role_level:manager")
    with laptop.expect_download() as download:
        laptop.get_by_role("link", name="CSV (item table)").click()
    assert download.value.suggested_filename.endswith("-role-level-supervisor-or-manager.csv")
    pdf = laptop.pdf(format="A4")
    SCREENSHOTS.mkdir(exist_ok=True)
    (SCREENSHOTS / "report-print.pdf").write_bytes(pdf)
    reader = PdfReader(io.BytesIO(pdf))
    for page in reader.pages:  # A4, 210 x 297 mm, in points
        assert (float(page.mediabox.width), float(page.mediabox.height)) == pytest.approx(
            (595.3, 841.9), abs=1.5
        )
    text = " ".join(page.extract_text() for page in reader.pages)
    # staff controls are not printed; the tables folded away on screen are
    for control in (
        "Show one group only",
        "Download this view",
        "Log out",
        "Back to",
        "The figures as a table",
    ):
        assert control not in text, control
    assert "Showing one group only: Role level: Supervisor or manager" in text
    assert "Likely range" in text and f"Page 1 of {len(reader.pages)}" in text


def test_a_pdf_download_says_it_is_being_prepared(server_url, laptop, make_user, demo_round):
    """While the PDF is made, the live status line says so and the link cannot be clicked
    twice; then the file downloads under its own name and the status says it is ready."""
    _log_in(laptop, server_url, make_user("manager"))
    # Hold the PDF's response for a second, as a large round's would take.
    laptop.route(
        "**/report.pdf*",
        lambda route: (laptop.wait_for_timeout(1000), route.continue_()),
    )
    laptop.goto(f"{server_url}/rounds/{demo_round}/report")
    status = laptop.locator("#download-status")
    assert (
        status.get_attribute("aria-live") == "polite" and status.get_attribute("role") == "status"
    )
    laptop.evaluate(
        """() => { window.__statuses = [];
        new MutationObserver(() => window.__statuses.push(
            document.getElementById('download-status').textContent)
        ).observe(document.getElementById('download-status'), {childList: true,
                  characterData: true, subtree: true}); }"""
    )
    link = laptop.get_by_role("link", name="PDF (A4)")
    with laptop.expect_download(timeout=180_000) as download:
        link.click()
        laptop.wait_for_selector("a.is-preparing[aria-disabled=true]")
        screenshot(laptop, "report-download-preparing")
    assert download.value.suggested_filename.endswith(".pdf")
    assert download.value.path().read_bytes().startswith(b"%PDF")
    laptop.wait_for_function("!document.querySelector('a.is-preparing')")
    statuses = laptop.evaluate("window.__statuses")
    assert statuses[0] == "Preparing your PDF (A4), this can take a few seconds…"
    assert statuses[-1] == "Your PDF (A4) is ready: your browser has saved it."
    assert link.get_attribute("aria-disabled") is None
    assert axe_violations(laptop) == []


def test_downloads_work_without_javascript(server_url, browser, make_user, demo_round):
    context = browser.new_context(java_script_enabled=False, accept_downloads=True)
    page = context.new_page()
    _log_in(page, server_url, make_user("manager"))
    page.goto(f"{server_url}/rounds/{demo_round}/report")
    assert "The PDFs take a few seconds to prepare." in page.text_content(".report-downloads")
    with page.expect_download(timeout=180_000) as download:
        page.get_by_role("link", name="PDF (A4)").click()
    assert download.value.path().read_bytes().startswith(b"%PDF")
    assert page.text_content("#download-status") == ""
    context.close()
