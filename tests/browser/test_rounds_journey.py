"""A lead's whole round in Chromium: build, invite, emails over SMTP, remind, poster, rates,
close and publish. Screenshots of each main page at laptop width go to tests/browser/screenshots."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from surveyapp.extensions import db
from surveyapp.models import Invitation, Response
from tests.browser.conftest import axe_violations, no_horizontal_scroll, screenshot
from tests.services.test_invitations_and_mail import Inbox, free_port


def test_lead_runs_a_round_end_to_end(app, server_url, laptop, make_user, tmp_path):
    from aiosmtpd.controller import Controller

    inbox = Inbox()
    smtp = Controller(inbox, hostname="127.0.0.1", port=free_port())
    smtp.start()
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=smtp.port)
    try:
        _journey(app, server_url, laptop, make_user("lead"), inbox, tmp_path)
    finally:
        smtp.stop()


def _check(page, name: str) -> None:
    assert axe_violations(page) == [], name
    assert no_horizontal_scroll(page), name
    screenshot(page, name)


def _journey(app, server_url, page, lead, inbox, tmp_path):
    page.goto(server_url + "/login")
    page.fill("#email", lead["email"])
    page.fill("#password", lead["password"])
    page.click("button[type=submit]")
    page.click("text=Create a round")

    # A mistake first: it is shown next to the field and nothing is saved.
    page.fill("#title", "Autumn partner survey 2026")
    page.fill("#min_group_size", "3")
    page.click("button:has-text('Create round')")
    assert "cannot be below 5" in page.text_content("#min_group_size-error")
    _check(page, "rounds-form-error-laptop")
    page.fill("#min_group_size", "10")
    for slug in (
        "hospital",
        "school_nursing",
        "adult_mental_health",
        "substance_misuse",
        "domestic_abuse_service",
        "youth_service",
        "other",
        "early_years",
        "gp",
        "voluntary_sector",
        "health_visiting",
    ):
        page.uncheck(f"input[name=partner_types][value={slug}]")
    page.fill("#new_localities", "North, South")
    page.fill("#signpost_pathways_label", "Early help local offer")
    page.fill("#signpost_pathways_url", "https://council.example/early-help")
    page.click("button:has-text('Create round')")
    page.wait_for_selector("text=created as a draft")
    _check(page, "rounds-draft-laptop")
    round_url = page.url

    page.click("text=Preview as a respondent")
    assert "There is good communication between partners" in page.text_content("main")
    _check(page, "rounds-preview-laptop")
    page.goto(round_url)
    page.click("button:has-text('Open the round')")
    page.wait_for_selector("text=links now accept answers")

    csv = tmp_path / "people.csv"
    csv.write_text(
        "email,partner_type,locality\n"
        + "".join(
            f"person{i}@{'school' if i % 2 else 'police'}.example,"
            f"{'school' if i % 2 else 'police'},{'North' if i % 3 else 'South'}\n"
            for i in range(6)
        )
    )
    page.click("text=Invite people and send reminders")
    bad = tmp_path / "bad.csv"
    bad.write_text("email,partner_type\nnobody,school\n")
    page.set_input_files("#file", str(bad))
    page.click("button:has-text('Upload and check')")
    assert "'nobody' is not an email address" in page.text_content(".problems")
    page.set_input_files("#file", str(csv))
    page.click("button:has-text('Upload and check')")
    page.wait_for_selector("text=6 people added")
    page.click("button:has-text('Send invitations now to 6 people')")  # queues and delivers
    page.wait_for_selector("text=6 invitation(s) queued and sent. Emails: 6 sent, 0 to retry later")
    assert len(inbox.messages) == 6
    first = inbox.messages[0]
    assert f"{server_url}/s/" in first.get_body(("plain",)).get_content()

    # Two people answer; a week later the others are reminded.
    with app.app_context():
        invitations = db.session.scalars(sa.select(Invitation).order_by(Invitation.id)).all()
        for inv in invitations[:2]:
            inv.started_on = inv.completed_on = inv.created_at.date()
            db.session.add(
                Response(
                    round_id=inv.round_id,
                    partner_type_id=inv.partner_type_id,
                    locality_id=inv.locality_id,
                    channel="invite",
                    submitted_on=inv.completed_on,
                )
            )
        invitations[2].started_on = invitations[2].created_at.date()
        for inv in invitations:
            inv.sent_at -= timedelta(days=8)
        not_completed = sorted(i.email for i in invitations[2:])
        db.session.commit()
    page.reload()
    page.click("button:has-text('Send reminders now to 4 people')")
    page.wait_for_selector("text=4 reminder(s) queued and sent. Emails: 4 sent")
    reminded = sorted(m["To"] for m in inbox.messages if m["Subject"].startswith("Reminder"))
    assert reminded == not_completed
    _check(page, "rounds-invitations-laptop")

    page.goto(round_url + "/links")
    page.select_option("#partner_type", "school")
    page.click("button:has-text('Create link')")
    page.wait_for_selector("text=Open link created")
    _check(page, "rounds-links-laptop")
    page.click("text=A4 poster")
    assert page.locator(".poster-qr svg").count() == 1
    assert "For school staff" in page.text_content(".poster")
    _check(page, "rounds-poster-laptop")
    pdf = page.pdf(format="A4")
    assert pdf[:4] == b"%PDF"

    page.goto(round_url + "/status")
    # School: persons 1, 3 and 5 invited; person 1 answered. Police: 0, 2, 4; 0 answered, 2 began.
    cells = page.locator("tr:has(th:text-is('School')) td").all_inner_texts()
    assert [c.strip() for c in cells] == ["3", "1", "1", "33%", "0"]
    cells = page.locator("tr:has(th:text-is('Police')) td").all_inner_texts()
    assert [c.strip() for c in cells] == ["3", "2", "1", "33%", "0"]
    _check(page, "rounds-status-laptop")

    page.goto(round_url)
    page.click("a:has-text('Close the round')")
    assert "Close “" in page.text_content("h1")
    _check(page, "rounds-confirm-close-laptop")
    page.click("button:has-text('Yes, close the round')")
    page.wait_for_selector("text=links now show a closed page")
    page.click("text=Publish a summary for partners")
    page.fill(
        "#actions_text",
        "We will send every school the early help contact list each "
        "term.\n\nWe will run threshold briefings for police teams.",
    )
    page.click("button:has-text('Publish the summary')")
    page.wait_for_selector("text=The summary is published")
    _check(page, "rounds-publish-laptop")
    page.click(".notice a")
    assert "You said, we did" in page.text_content("h1")
    assert "threshold briefings" in page.text_content("main")
    _check(page, "results-summary-laptop")


def test_admin_pages_in_chromium(app, server_url, laptop, make_user, make_round):
    admin = make_user("admin")
    make_round("Spring partner survey", open_=True)
    laptop.goto(server_url + "/login")
    laptop.fill("#email", admin["email"])
    laptop.fill("#password", admin["password"])
    laptop.click("button[type=submit]")
    laptop.click("text=Users")
    laptop.fill("#email", "lead@council.example")
    laptop.select_option("#role", "lead")
    laptop.fill("#password", "short")
    laptop.click("button:has-text('Add account')")
    assert "at least 12 characters" in laptop.text_content("#password-error")
    _check(laptop, "admin-users-error-laptop")
    laptop.fill("#password", "a long first password")
    laptop.click("button:has-text('Add account')")
    laptop.wait_for_selector("text=Account created for lead@council.example")
    laptop.click("text=Audit log")
    assert "user.create" in laptop.text_content("table")
    _check(laptop, "admin-audit-laptop")
