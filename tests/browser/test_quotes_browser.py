"""A lead publishes a comment as a quote in Chromium: the warning, the edit, and the comments
page with the published quote; axe-core checked and screenshotted (laptop and phone)."""

from __future__ import annotations

from tests.browser.conftest import axe_violations, log_in, no_horizontal_scroll, screenshot
from tests.web.test_comments import add_responses

EDITED = "Training on thresholds for [staff group]"


def _check(page, name: str) -> None:
    assert axe_violations(page) == [], name
    assert no_horizontal_scroll(page), name
    screenshot(page, name)


def test_a_lead_publishes_and_withdraws_a_quote(
    app, server_url, laptop, phone, make_user, make_round
):
    round_id = make_round(
        "Autumn partner survey",
        open_=True,
        min_group_size=5,
        partner_type_slugs=["school", "police", "gp"],
    )
    add_responses(app, round_id)
    lead = make_user("lead")
    log_in(laptop, server_url, lead)
    laptop.goto(f"{server_url}/rounds/{round_id}/comments")
    row = laptop.locator("tr", has_text="Training on thresholds for new staff")
    row.locator("a", has_text="Publish as a quote").click()
    assert "can identify" in laptop.text_content(".warning-text")
    _check(laptop, "quote-form-laptop")
    laptop.fill("#text", EDITED)
    laptop.check("#public")
    laptop.click("button:has-text('Publish the quote')")
    laptop.wait_for_selector("text=The quote was published")
    table = laptop.locator("table.quotes-table")
    assert EDITED in table.inner_text() and "Yes" in table.inner_text()
    assert laptop.locator("a", has_text="Published").count() == 1
    _check(laptop, "quote-comments-laptop")

    log_in(phone, server_url, lead)
    phone.goto(f"{server_url}/rounds/{round_id}/comments#quotes")
    _check(phone, "quote-comments-phone")

    laptop.click("button:has-text('Withdraw')")
    laptop.wait_for_selector("text=The quote was withdrawn")
    assert laptop.locator("table.quotes-table").count() == 0
