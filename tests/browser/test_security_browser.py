"""The Content-Security-Policy in a real browser: it blocks injected script and style (and the
watcher every browser test uses sees it do so), and the one script that used to be inline, the
response-rate refresh, still works from its own file."""

from __future__ import annotations

from datetime import date

from surveyapp.extensions import db
from surveyapp.models import PartnerType, Response
from tests.browser.conftest import LAPTOP, _context, _watch_csp


def test_injected_script_and_style_are_blocked_and_reported(server_url, browser):
    context = _context(browser, LAPTOP)
    violations = _watch_csp(context)
    page = context.new_page()
    page.goto(server_url + "/login")
    page.evaluate("""() => {
        const s = document.createElement('script');
        s.textContent = 'window.injected = true';
        document.body.appendChild(s);
        document.querySelector('h1').setAttribute('style', 'color: rgb(255, 0, 0)');
    }""")
    page.wait_for_timeout(200)
    assert page.evaluate("window.injected") is None
    assert page.evaluate("getComputedStyle(document.querySelector('h1')).color") != "rgb(255, 0, 0)"
    context.close()
    blocked = " ".join(violations)
    assert "script-src" in blocked and "style-src" in blocked


def test_response_rates_refresh_themselves(app, server_url, laptop, make_user, make_round):
    lead = make_user("lead")
    rid = make_round("Refreshing round", open_=True, partner_type_slugs=["school"])
    laptop.clock.install()
    laptop.goto(server_url + "/login")
    laptop.fill("#email", lead["email"])
    laptop.fill("#password", lead["password"])
    laptop.click("button[type=submit]")
    laptop.goto(f"{server_url}/rounds/{rid}/status")
    assert "Responses from every channel: 0" in laptop.text_content(".status-updated")
    with app.app_context():
        school = db.session.scalar(db.select(PartnerType.id).where(PartnerType.slug == "school"))
        db.session.add(
            Response(
                round_id=rid, partner_type_id=school, channel="open", submitted_on=date.today()
            )
        )
        db.session.commit()
    laptop.clock.run_for(16_000)  # the page asks for fresh figures every 15 seconds
    laptop.wait_for_selector(".status-updated:has-text('Responses from every channel: 1')")
