"""A partner answers on a 360 x 740 phone in headless Chromium: keyboard only, axe-core on every
page, no horizontal scrolling, readable text, 44 px targets, and a dropped signal halfway."""

from __future__ import annotations

import sqlalchemy as sa

from surveyapp.extensions import db
from surveyapp.models import Response
from tests.browser.conftest import axe_violations, no_horizontal_scroll, screenshot
from tests.web.respond_helpers import PAGES, SIGNPOSTS, make_invitation, make_open_link


def _check_page(page, name: str) -> None:
    assert axe_violations(page) == [], name
    assert no_horizontal_scroll(page), name
    smallest = page.evaluate(
        "Math.min(...[...document.querySelectorAll('p,label,legend,a,button,li')]"
        ".map(e => parseFloat(getComputedStyle(e).fontSize)))"
    )
    assert smallest >= 16, (name, smallest)
    short = page.evaluate(
        "[...document.querySelectorAll('main label.opt, main button, main .button')]"
        ".filter(e => e.getBoundingClientRect().height < 44).length"
    )
    assert short == 0, name
    screenshot(page, f"respond-{name}")


def _choose_by_keyboard(page, name: str, index: int) -> None:
    """Tab to a radio group, then arrow down to the wanted option (index from 0)."""
    for _ in range(60):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.name") == name:
            break
    else:
        raise AssertionError(f"could not reach {name} with Tab")
    focused = page.evaluate(
        "getComputedStyle(document.activeElement.closest('label')).outlineStyle"
    )
    assert focused == "solid"
    page.keyboard.press("Space")
    for _ in range(
        index
        - page.evaluate(
            "[...document.getElementsByName(document.activeElement.name)].indexOf(document.activeElement)"
        )
    ):
        page.keyboard.press("ArrowDown")


def test_invitation_on_a_phone_with_keyboard_and_lost_signal(app, server_url, phone, make_round):
    rid = make_round(open_=True, signposts=SIGNPOSTS)
    token = make_invitation(app, rid)
    phone.goto(f"{server_url}/s/{token}")
    _check_page(phone, "intro")
    phone.focus("a.button-start")
    phone.keyboard.press("Enter")
    phone.wait_for_url(f"**/s/{token}/1")
    _check_page(phone, "about")
    _choose_by_keyboard(phone, "role_level", 0)
    phone.keyboard.press("Enter")  # submits the form: Continue
    phone.wait_for_url(f"**/s/{token}/2")
    # Continue with nothing answered: errors next to the fields.
    phone.click("button[value=next]")
    assert phone.locator(".error-summary").is_visible()
    _check_page(phone, "errors")
    for n, items in enumerate(PAGES, start=2):
        for item in items:
            _choose_by_keyboard(phone, item, 1 if item == "path_parents" else 3)
        if n == 4:
            # The signal drops on page 4: the Continue fails, the answers stay on screen.
            phone.context.set_offline(True)
            phone.keyboard.press("Enter")
            phone.wait_for_timeout(300)
            phone.context.set_offline(False)
            phone.goto(f"{server_url}/s/{token}")  # reopen the link from the email
            phone.wait_for_url(f"**/s/{token}/4")
            assert phone.locator("input[name=thr_step]:checked").count() == 0
            for item in items:
                _choose_by_keyboard(phone, item, 3)
        if n == 3:
            _check_page(phone, "domain")
        phone.keyboard.press("Enter")
        if n < len(PAGES) + 1:
            phone.wait_for_url(f"**/s/{token}/{n + 1}")
    phone.wait_for_url(f"**/s/{token}/done")
    assert "Find early-help services for parents" in phone.text_content("main")
    _check_page(phone, "thank-you")
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Response)) == 1


def test_open_link_pages_on_a_phone(app, server_url, phone, make_round):
    rid = make_round(open_=True, partner_type_slugs=["school", "police", "gp"])
    slug = make_open_link(app, rid)
    phone.goto(f"{server_url}/o/{slug}/1")
    _check_page(phone, "open-about")
    phone.goto(f"{server_url}/o/nonexistent")
    _check_page(phone, "unknown-link")
    phone.goto(f"{server_url}/accessibility")
    _check_page(phone, "accessibility")
