"""The leads' new pages in Chromium: the error summary takes focus, the participant table, the
comments page with themes, the close confirmation and the reference-data page; each checked with
axe-core and screenshotted (tests/browser/screenshots)."""

from __future__ import annotations

from tests.browser.conftest import axe_violations, log_in, no_horizontal_scroll, screenshot
from tests.web.respond_helpers import make_invitation
from tests.web.test_comments import add_responses


def _check(page, name: str) -> None:
    assert axe_violations(page) == [], name
    assert no_horizontal_scroll(page), name
    screenshot(page, name)


def test_error_summary_is_focused_and_lists_every_problem(app, server_url, laptop, make_user):
    log_in(laptop, server_url, make_user("lead"))
    laptop.goto(server_url + "/rounds/new")
    laptop.fill("#title", "")
    laptop.fill("#min_group_size", "3")
    laptop.fill("#max_reminders", "9")
    laptop.fill("#invitation_body", "No link here")
    laptop.click("button:has-text('Create round')")
    summary = laptop.locator(".error-summary")
    assert summary.evaluate("el => el === document.activeElement")
    items = summary.locator("li").all_inner_texts()
    assert len(items) == 4, items
    _check(laptop, "leads-error-summary-laptop")
    summary.locator("a", has_text="reminders").click()
    assert laptop.evaluate("document.activeElement.id") == "max_reminders"


def test_participants_comments_confirmation_and_reference_pages(
    app, server_url, laptop, make_user, make_round
):
    round_id = make_round(
        "Autumn partner survey",
        open_=True,
        min_group_size=5,
        partner_type_slugs=["school", "police", "gp"],
    )
    for n, slug in enumerate(["school", "police", "gp", "school"]):
        make_invitation(app, round_id, partner_type=slug, email=f"person{n}@partner.example")
    add_responses(app, round_id)
    log_in(laptop, server_url, make_user("admin"))

    laptop.goto(f"{server_url}/rounds/{round_id}/participants")
    assert laptop.locator("table.participants tbody tr").count() == 4
    _check(laptop, "leads-participants-laptop")
    laptop.click("a[aria-label='Erase the address of person1@partner.example']")
    _check(laptop, "leads-erase-confirm-laptop")
    laptop.click("button:has-text('Yes, erase the address')")
    laptop.wait_for_selector("text=The address was erased")
    assert laptop.locator("th:has-text('Address erased')").count() == 1

    laptop.goto(f"{server_url}/rounds/{round_id}/comments")
    assert laptop.locator(".theme").count() >= 2
    _check(laptop, "leads-comments-laptop")

    laptop.goto(f"{server_url}/rounds/{round_id}")
    laptop.click("a:has-text('Close the round')")
    _check(laptop, "leads-close-confirm-laptop")
    laptop.click("a:has-text('No, go back')")
    assert "Open" in laptop.text_content(".tag")

    laptop.goto(f"{server_url}/admin/reference")
    laptop.fill("#loc-name", "North")
    laptop.click("button:has-text('Add locality')")
    laptop.wait_for_selector("text=Locality “North” added")
    laptop.fill("#loc-name", "NORTH")
    laptop.click("button:has-text('Add locality')")
    assert "already a locality called North" in laptop.text_content(".error-summary")
    _check(laptop, "leads-reference-laptop")
