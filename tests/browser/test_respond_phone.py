"""A partner answers the one-page form on a 360 x 740 phone in headless Chromium: keyboard, axe-core
on every page, no horizontal scrolling, readable text, 44 px targets, the error summary, answers
saved as they change and restored after the page is killed or the signal drops, and the whole
flow with JavaScript switched off."""

from __future__ import annotations

import sqlalchemy as sa

from surveyapp.extensions import db
from surveyapp.models import Response
from tests.browser.conftest import PHONE, axe_violations, no_horizontal_scroll, screenshot
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


ALL_ITEMS = [item for page in PAGES for item in page]


def _responses(app) -> int:
    with app.app_context():
        return db.session.scalar(sa.select(sa.func.count()).select_from(Response))


def test_invitation_on_a_phone_with_keyboard_and_error_summary(app, server_url, phone, make_round):
    rid = make_round(open_=True, signposts=SIGNPOSTS)
    token = make_invitation(app, rid)
    phone.goto(f"{server_url}/s/{token}")
    _check_page(phone, "form")
    _choose_by_keyboard(phone, "role_level", 0)
    for item in ALL_ITEMS[:3]:
        _choose_by_keyboard(phone, item, 3)
    # Submit with 12 statements unanswered: the summary links to each one.
    phone.click("button[value=submit]")
    summary = phone.locator(".error-summary")
    assert summary.is_visible() and summary.locator("li").count() == 12
    _check_page(phone, "errors")
    summary.locator("a").first.click()
    assert phone.evaluate("document.activeElement.name") == ALL_ITEMS[3]
    for item in ALL_ITEMS[3:]:
        phone.check(f"input[name={item}][value='{2 if item == 'path_parents' else 4}']")
    phone.click("button[value=submit]")
    phone.wait_for_url(f"**/s/{token}/done")
    assert "Find early-help services for parents" in phone.text_content("main")
    _check_page(phone, "thank-you")
    assert _responses(app) == 1


def test_answers_saved_as_they_change_survive_a_killed_page(app, server_url, phone, make_round):
    token = make_invitation(app, make_round(open_=True))
    phone.goto(f"{server_url}/s/{token}")
    phone.check("input[name=role_level][value=manager]")
    half = ALL_ITEMS[:7]
    for item in half:
        phone.check(f"input[name={item}][value='4']")
    status = phone.locator("[data-save-status]")
    status.filter(has_text="Your answers are saved").wait_for()
    assert status.get_attribute("aria-live") == "polite"
    # The signal drops: the next answer is kept on the phone and the status says so.
    phone.context.set_offline(True)
    phone.check(f"input[name={ALL_ITEMS[7]}][value='dk']")
    status.filter(has_text="No connection").wait_for()
    _check_page(phone, "saving-offline")
    phone.close()  # the page is killed
    phone.context.set_offline(False)
    again = phone.context.new_page()
    again.goto(f"{server_url}/s/{token}")  # reopen the link from the email
    assert again.locator("input[name=role_level][value=manager]").is_checked()
    for item in half:
        assert again.locator(f"input[name={item}][value='4']").is_checked(), item
    assert again.locator(f"input[name={ALL_ITEMS[7]}][value='dk']").is_checked()
    # ...and the answer kept on the phone reaches the server too.
    again.locator("[data-save-status]").filter(has_text="Your answers are saved").wait_for()
    with app.app_context():
        from surveyapp.models import Draft

        answers = db.session.scalar(sa.select(Draft.data))["answers"]
    assert answers == {item: "4" for item in half} | {ALL_ITEMS[7]: "dk"}
    for item in ALL_ITEMS[8:]:
        again.check(f"input[name={item}][value='3']")
    again.click("button[value=submit]")
    again.wait_for_url(f"**/s/{token}/done")
    assert _responses(app) == 1
    # A shared device: nothing of these answers is left in the browser after submit.
    assert again.evaluate("Object.keys(localStorage).length") == 0


def test_the_whole_flow_without_javascript(app, server_url, browser, make_round):
    token = make_invitation(app, make_round(open_=True))
    context = browser.new_context(
        viewport=PHONE, device_scale_factor=1, java_script_enabled=False, has_touch=True
    )
    page = context.new_page()
    try:
        page.goto(f"{server_url}/s/{token}")
        _check_page_without_js(page, "form-nojs")
        for item in ALL_ITEMS[:6]:
            page.check(f"input[name={item}][value='5']")
        page.click("button[value=save]")
        assert "Your answers are saved" in page.text_content("h1")
        screenshot(page, "respond-saved-nojs")
        page.goto(f"{server_url}/s/{token}")
        assert "Welcome back" in page.text_content("main")
        for item in ALL_ITEMS[:6]:
            assert page.locator(f"input[name={item}][value='5']").is_checked(), item
        for item in ALL_ITEMS[6:]:
            page.check(f"input[name={item}][value='1']")
        page.check("input[name=role_level][value=frontline]")
        page.click("button[value=submit]")
        page.wait_for_url(f"**/s/{token}/done")
    finally:
        context.close()
    assert _responses(app) == 1


def _check_page_without_js(page, name: str) -> None:
    """Layout checks (Playwright's own evaluation still runs with page scripts off)."""
    assert no_horizontal_scroll(page), name
    assert page.locator("button[value=save]").is_visible()
    screenshot(page, f"respond-{name}")


def test_open_link_pages_on_a_phone(app, server_url, phone, make_round):
    rid = make_round(open_=True, partner_type_slugs=["school", "police", "gp"])
    slug = make_open_link(app, rid)
    phone.goto(f"{server_url}/o/{slug}/1")  # an old page address still leads to the form
    assert phone.url.endswith(f"/o/{slug}")
    assert phone.locator("input[name=partner_type]").count() == 3
    _check_page(phone, "open-form")
    phone.goto(f"{server_url}/o/nonexistent")
    _check_page(phone, "unknown-link")
    phone.goto(f"{server_url}/accessibility")
    _check_page(phone, "accessibility")
