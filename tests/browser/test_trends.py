"""The trends page in Chromium at laptop and phone widths: accessible, readable, no sideways
scroll, and the chart laid out for the screen it is on."""

import pytest
import sqlalchemy as sa

from surveyapp.extensions import db
from surveyapp.models import Round
from surveyapp.reporting import build
from surveyapp.services.demo import CLOSED_TITLE
from tests.browser.conftest import SCREENSHOTS, axe_violations, no_horizontal_scroll, screenshot
from tests.browser.test_reports import _log_in


@pytest.fixture
def demo_round(app, runner):
    """The demo loaded as ``flask demo`` loads it; the id of its later closed round."""
    build.clear_cache()
    assert runner.invoke(args=["demo"]).exit_code == 0
    with app.app_context():
        return db.session.scalar(sa.select(Round.id).where(Round.title == CLOSED_TITLE))


def _chart_width(page) -> int:
    """The chart's drawn width in CSS pixels at its own scale (its SVG's width attribute)."""
    return page.locator(".chart img").evaluate("img => img.naturalWidth")


def test_trends_on_a_laptop(server_url, laptop, make_user, demo_round):
    _log_in(laptop, server_url, make_user("manager"))
    laptop.goto(f"{server_url}/rounds/{demo_round}/report")
    link = laptop.get_by_role("link", name="How gaps have changed across all closed rounds")
    link.scroll_into_view_if_needed()
    laptop.screenshot(path=str(SCREENSHOTS / "report-trends-link.png"))
    link.click()
    laptop.wait_for_url(f"{server_url}/instruments/early-help-pathways/trends")
    assert laptop.locator("h1").text_content().startswith("Trends: ")
    alt = laptop.locator(".chart img").get_attribute("alt")
    assert alt.startswith("Line charts of the gap") and "2 closed rounds" in alt
    assert laptop.locator("table.trend").count() == 6
    first = laptop.locator("table.trend").first
    assert (
        first.locator("thead th")
        .all_text_contents()[1]
        .startswith("Demo: partner survey, previous spring")
    )
    # a group shown in one round and hidden in the other, and groups never shown, listed apart
    assert "fewer than 10 or withheld" in "".join(laptop.locator("table.trend").all_text_contents())
    assert "Domestic abuse service" in laptop.locator(".hidden-groups").first.text_content()
    assert _chart_width(laptop) > 900
    assert axe_violations(laptop) == []
    assert no_horizontal_scroll(laptop)
    screenshot(laptop, "trends-laptop")


def test_trends_on_a_phone(server_url, phone, make_user, demo_round):
    _log_in(phone, server_url, make_user("lead"))
    phone.goto(f"{server_url}/")
    assert axe_violations(phone) == []
    screenshot(phone, "rounds-with-trends-link-phone")
    phone.get_by_role("link", name="gaps round by round").click()
    phone.wait_for_url(f"{server_url}/instruments/early-help-pathways/trends")
    # one panel a row on a phone, so the chart's text is drawn near its own size
    assert _chart_width(phone) < 450
    assert axe_violations(phone) == []
    assert no_horizontal_scroll(phone)
    screenshot(phone, "trends-phone")
