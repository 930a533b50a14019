"""The data protection pages in Chromium at laptop width: erasing a round, subject access."""

from __future__ import annotations

from datetime import datetime

from surveyapp.extensions import db
from surveyapp.models import Round
from tests.browser.conftest import axe_violations, log_in, no_horizontal_scroll, screenshot
from tests.dataprotection_helpers import fill_round


def looked_at(page, name: str) -> None:
    """No WCAG 2.2 A/AA violations, no sideways scrolling, and a screenshot to look at."""
    assert axe_violations(page) == []
    assert no_horizontal_scroll(page)
    screenshot(page, name)


def test_erase_and_subject_access_pages(app, server_url, laptop, make_user):
    with app.app_context():
        first = fill_round(
            "Spring 2026 partner survey",
            ["pat@partner.example"],
            closed_at=datetime(2026, 4, 1, 17),
            publish=True,
        )
        second = fill_round(
            "Autumn 2026 partner survey",
            ["pat@partner.example", "kim@partner.example"],
            compared_round_id=first.round_id,
        )
    log_in(laptop, server_url, make_user("admin"))

    laptop.goto(f"{server_url}/rounds/{second.round_id}")
    assert "held until 180 days after the round ends" in laptop.text_content("main")
    looked_at(laptop, "round-retention-laptop")

    laptop.click("text=Data protection")
    looked_at(laptop, "data-protection-laptop")

    laptop.goto(f"{server_url}/admin/rounds/{first.round_id}/erase")
    looked_at(laptop, "erase-round-laptop")
    laptop.fill("#confirm_title", "Spring 2026")
    laptop.click("text=Erase this round and everything of it")
    assert "not the round's title" in laptop.text_content(".error-summary")
    looked_at(laptop, "erase-round-error-laptop")
    laptop.fill("#confirm_title", "Spring 2026 partner survey")
    laptop.click("text=Erase this round and everything of it")
    laptop.wait_for_url(server_url + "/admin/data-protection")
    assert "has been erased" in laptop.text_content(".notice")
    with app.app_context():
        assert db.session.get(Round, first.round_id) is None

    laptop.goto(server_url + "/admin/subject-access")
    laptop.fill("#email", "Pat@Partner.Example")
    laptop.fill("#reference", "SAR-2026-041")
    laptop.click("button[value=html]")
    assert "Invitations (1)" in laptop.text_content("main")
    looked_at(laptop, "subject-access-laptop")
    with laptop.expect_download() as download:
        laptop.click("button[value=json]")
    assert download.value.suggested_filename.startswith("subject-access-")
