"""A shared-device open link (a practice tablet) on a 360 x 740 phone in headless Chromium: two
people answer one after the other, the second starts from a blank form with nothing of the first
person's answers on the page or in the browser; a normal link still refuses a second response
from the same browser."""

from __future__ import annotations

import sqlalchemy as sa

from surveyapp.extensions import db
from surveyapp.models import Answer, OpenLink, Response, Round
from surveyapp.services.rounds import create_open_link
from tests.browser.test_respond_phone import ALL_ITEMS, _check_page


def _link(app, rid: int, shared: bool) -> str:
    with app.app_context():
        link = create_open_link(
            db.session.get(Round, rid),
            partner_type_slug="police",
            name="GP practice tablet" if shared else "Newsletter",
            shared_device=shared,
        )
        db.session.commit()
        return link.slug


def _answer(page, role: str, value: str) -> None:
    page.check(f"input[name=role_level][value={role}]")
    for item in ALL_ITEMS:
        page.check(f"input[name={item}][value='{value}']")


def test_two_people_in_turn_on_a_shared_device(app, server_url, phone, make_round):
    rid = make_round(open_=True, partner_type_slugs=["school", "police"])
    slug = _link(app, rid, shared=True)
    phone.goto(f"{server_url}/o/{slug}")
    _answer(phone, "manager", "5")
    assert phone.evaluate("Object.keys(localStorage).length") == 0  # nothing kept on the tablet
    phone.click("button[value=submit]")
    phone.wait_for_url(f"**/o/{slug}/done")
    _check_page(phone, "shared-device-done")
    phone.click("button:has-text('Start a new response for the next person')")
    phone.wait_for_url(f"**/o/{slug}")
    assert phone.locator("input:checked").count() == 0
    assert "Welcome back" not in phone.content()
    assert phone.evaluate("Object.keys(localStorage).length") == 0
    _check_page(phone, "shared-device-next-person")
    _answer(phone, "frontline", "2")
    phone.click("button[value=submit]")
    phone.wait_for_url(f"**/o/{slug}/done")
    with app.app_context():
        rows = db.session.execute(
            sa.select(Response.role_level, Answer.value)
            .join(Answer, Answer.response_id == Response.id)
            .where(Answer.item_id == ALL_ITEMS[0])
            .order_by(Answer.value)
        ).all()
    assert rows == [("frontline", 2), ("manager", 5)]


def test_a_normal_link_refuses_a_second_response_from_the_same_browser(
    app, server_url, phone, make_round
):
    rid = make_round(open_=True, partner_type_slugs=["school", "police"])
    slug = _link(app, rid, shared=False)
    phone.goto(f"{server_url}/o/{slug}")
    _answer(phone, "manager", "4")
    phone.click("button[value=submit]")
    phone.wait_for_url(f"**/o/{slug}/done")
    assert phone.locator("text=Start a new response").count() == 0
    reply = phone.goto(f"{server_url}/o/{slug}")
    assert reply.status == 409
    assert phone.locator("input[type=radio]").count() == 0
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Response)) == 1


def test_lead_sees_flagged_responses_per_link_and_excludes_them(
    app, server_url, laptop, make_user, make_round
):
    from tests.browser.conftest import axe_violations, log_in, no_horizontal_scroll, screenshot

    rid = make_round(open_=True, partner_type_slugs=["school", "police"])
    slug = _link(app, rid, shared=False)
    with app.app_context():
        link = db.session.scalar(sa.select(OpenLink).where(OpenLink.slug == slug))
        day = link.created_at.date()
        for n, flag in enumerate(["burst", "burst", "identical", None]):
            db.session.add(
                Response(
                    round_id=rid,
                    partner_type_id=link.partner_type_id,
                    channel="open",
                    submitted_on=day,
                    open_link_id=link.id,
                    flag=flag,
                    role_level="manager" if n else "frontline",
                )
            )
        db.session.commit()
    log_in(laptop, server_url, make_user("lead"))
    laptop.goto(f"{server_url}/rounds/{rid}/links")
    assert "2 flagged: many submissions" in laptop.text_content(".link-counts")
    laptop.click("button[aria-label='Exclude the burst responses of Newsletter from the report']")
    laptop.wait_for_selector("text=2 flagged response(s) excluded from the report")
    assert "(2 excluded from the report)" in laptop.text_content(".link-counts")
    assert axe_violations(laptop) == []
    assert no_horizontal_scroll(laptop)
    screenshot(laptop, "rounds-links-flags-laptop")
