"""Admin pages for data protection: erasing a round, subject access, and what the round pages
say about erased email addresses."""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import datetime, timedelta

import pytest
import sqlalchemy as sa

from surveyapp.extensions import db
from surveyapp.models import AuditEvent, Round
from surveyapp.models.base import utcnow
from surveyapp.services import dataprotection as dp
from surveyapp.timeutil import format_date
from tests.conftest import csrf_token_from
from tests.dataprotection_helpers import fill_round, rows_of_round, table_counts


@pytest.fixture
def two_rounds(app):
    """A closed, published round and an open round compared with it."""
    with app.app_context():
        first = fill_round(
            "Spring 2026 partners",
            ["pat@partner.example", "sam@partner.example"],
            closed_at=datetime(2026, 4, 1, 17),
            publish=True,
        )
        second = fill_round(
            "Autumn 2026 partners",
            ["Pat@Partner.example", "kim@partner.example"],
            compared_round_id=first.round_id,
        )
    return first, second


def counts(app) -> dict[str, int]:
    with app.app_context():
        return table_counts()


def test_erase_page_shows_what_goes_and_a_wrong_title_erases_nothing(
    app, client, make_user, login, two_rounds
):
    first, second = two_rounds
    login(make_user("admin"))
    page = client.get(f"/admin/rounds/{first.round_id}/erase")
    assert page.status_code == 200
    text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page.text))
    assert "Responses 3 (9 answers), and 2 unfinished" in text
    assert "Invitations 2" in text and "Emails 3 (waiting, sent or failed)" in text
    assert "Open links 1" in text and "Published summary Yes" in text
    assert "1 other round is compared with this one: Autumn 2026 partners" in text
    before = counts(app)

    token = csrf_token_from(page.text)
    for typed in ("Spring 2026", "spring 2026 partners", ""):
        resp = client.post(
            f"/admin/rounds/{first.round_id}/erase",
            data={"csrf_token": token, "confirm_title": typed},
        )
        assert resp.status_code == 400
        assert 'class="error-summary"' in resp.text
        message = (
            "Type the round&#39;s title to confirm"
            if not typed
            else "What you typed is not the round&#39;s title, so nothing was erased"
        )
        error = re.search(r'id="confirm_title-error">(.*?)</p>', resp.text, re.S).group(1)
        assert message in error
    resp = client.post(
        f"/admin/rounds/{first.round_id}/erase", data={"confirm_title": "Spring 2026 partners"}
    )
    assert resp.status_code == 400 and "This form has expired" in resp.text
    assert counts(app) == before


def test_admin_erases_a_round_and_only_it(app, client, make_user, login, two_rounds):
    first, second = two_rounds
    admin = make_user("admin")
    login(admin)
    with app.app_context():
        other_rows = rows_of_round(second.round_id)
    before = counts(app)
    token = csrf_token_from(client.get(f"/admin/rounds/{first.round_id}/erase").text)
    resp = client.post(
        f"/admin/rounds/{first.round_id}/erase",
        data={"csrf_token": token, "confirm_title": " Spring 2026 partners "},
    )
    assert resp.status_code == 302 and resp.headers["Location"] == "/admin/data-protection"
    overview = client.get("/admin/data-protection").text
    assert "“Spring 2026 partners”, has been erased" in overview
    assert "Autumn 2026 partners" in overview
    assert client.get(f"/admin/rounds/{first.round_id}/erase").status_code == 404
    assert client.get(f"/rounds/{first.round_id}").status_code == 404
    after = counts(app)
    assert {t: before[t] - after[t] for t in before if before[t] != after[t]} == {
        "rounds": 1,
        "responses": 3,
        "answers": 9,
        "drafts": 2,
        "submission_receipts": 1,
        "invitations": 2,
        "outbox": 3,
        "open_links": 1,
        "import_batches": 1,
        "round_partner_types": 2,
        "round_localities": 1,
        "audit_events": -1,
    }
    with app.app_context():
        assert rows_of_round(first.round_id) == {}
        assert rows_of_round(second.round_id) == other_rows
        assert db.session.get(Round, second.round_id).compared_round_id is None
        event = db.session.scalars(
            sa.select(AuditEvent).where(AuditEvent.action == dp.ERASE_ROUND)
        ).one()
        assert (event.user_id, event.round_id) == (admin["id"], None)
        assert event.detail["erased_round_id"] == first.round_id
        assert event.detail["title"] == "Spring 2026 partners"
        assert "@" not in json.dumps(event.detail)
        assert abs(event.at - utcnow()) < timedelta(minutes=1)
    audit = client.get("/admin/audit").text
    assert "<code>round.erase</code>" in audit and "erased round id: " in audit


@pytest.mark.parametrize("role", ["lead", "manager"])
def test_only_admins_reach_the_data_protection_pages(
    app, client, make_user, login, two_rounds, role
):
    first, _ = two_rounds
    login(make_user(role))
    token = csrf_token_from(client.get("/").text)
    before = counts(app)
    for url in (
        "/admin/data-protection",
        f"/admin/rounds/{first.round_id}/erase",
        "/admin/subject-access",
    ):
        assert client.get(url).status_code == 403
    assert (
        client.post(
            f"/admin/rounds/{first.round_id}/erase",
            data={"csrf_token": token, "confirm_title": "Spring 2026 partners"},
        ).status_code
        == 403
    )
    assert (
        client.post(
            "/admin/subject-access", data={"csrf_token": token, "email": "pat@partner.example"}
        ).status_code
        == 403
    )
    assert counts(app) == before
    show = client.get(f"/rounds/{first.round_id}")
    if role == "lead":
        assert "Erase this round" not in show.text and "/erase" not in show.text


def test_subject_access_page_shows_and_downloads_what_is_held(
    app, client, make_user, login, two_rounds
):
    login(make_user("admin"))
    page = client.get("/admin/subject-access")
    assert "Survey answers are anonymous" in page.text
    token = csrf_token_from(page.text)
    resp = client.post(
        "/admin/subject-access",
        data={
            "csrf_token": token,
            "email": "PAT@partner.EXAMPLE",
            "reference": "SAR-2026-041",
            "format": "html",
        },
    )
    assert resp.status_code == 200 and resp.headers["Cache-Control"] == "no-store"
    results = resp.text.split('id="results"')[1]
    assert "Invitations (2)" in results and "Emails (2)" in results
    assert results.index("Spring 2026 partners") < results.index("Autumn 2026 partners")

    resp = client.post(
        "/admin/subject-access",
        data={"csrf_token": token, "email": "pat@partner.example", "format": "json"},
    )
    assert resp.status_code == 200 and resp.mimetype == "application/json"
    assert resp.headers["Cache-Control"] == "no-store"
    assert resp.headers["Content-Disposition"].startswith('attachment; filename="subject-access-')
    data = resp.get_json()
    assert data["email"] == "pat@partner.example"
    assert [(i["round_title"], i["partner_type"]) for i in data["invitations"]] == [
        ("Spring 2026 partners", "School"),
        ("Autumn 2026 partners", "School"),
    ]
    assert [m["kind"] for m in data["emails_sent"]] == ["invitation", "invitation"]

    resp = client.post(
        "/admin/subject-access",
        data={"csrf_token": token, "email": "pat@partner.example", "format": "csv"},
    )
    assert resp.mimetype == "text/csv"
    rows = list(csv.DictReader(io.StringIO(resp.data.decode("utf-8-sig"))))
    assert [(r["record"], r["round_title"]) for r in rows] == [
        ("invitation", "Spring 2026 partners"),
        ("invitation", "Autumn 2026 partners"),
        ("email", "Spring 2026 partners"),
        ("email", "Autumn 2026 partners"),
    ]

    resp = client.post(
        "/admin/subject-access",
        data={"csrf_token": token, "email": "nobody@partner.example", "format": "html"},
    )
    assert resp.status_code == 200 and "Nothing is held about this email address" in resp.text

    with app.app_context():
        events = db.session.scalars(
            sa.select(AuditEvent)
            .where(AuditEvent.action == dp.SUBJECT_ACCESS)
            .order_by(AuditEvent.id)
        ).all()
        assert [
            (e.detail["format"], e.detail["invitations"], e.detail["reference"]) for e in events
        ] == [("html", 2, "SAR-2026-041"), ("json", 2, ""), ("csv", 2, ""), ("html", 0, "")]
        assert not any("partner.example" in json.dumps(e.detail) for e in events)


def test_subject_access_bad_input_is_a_clear_400(app, client, make_user, login):
    login(make_user("admin"))
    token = csrf_token_from(client.get("/admin/subject-access").text)
    for data, message in (
        ({"email": ""}, "Enter the email address to search for"),
        ({"email": "pat at partner"}, "is not an email address"),
        ({"email": "pat@partner.example", "reference": "x" * 61}, "60 characters or fewer"),
        ({"email": "pat@partner.example", "format": "xml"}, "Not a valid choice"),
    ):
        resp = client.post("/admin/subject-access", data={"csrf_token": token, **data})
        assert resp.status_code == 400 and message in resp.text, message
    assert (
        client.post("/admin/subject-access", data={"email": "pat@partner.example"}).status_code
        == 400
    )
    with app.app_context():
        assert (
            db.session.scalar(
                sa.select(sa.func.count())
                .select_from(AuditEvent)
                .where(AuditEvent.action == dp.SUBJECT_ACCESS)
            )
            == 0
        )


def test_round_pages_say_when_addresses_were_and_will_be_erased(app, client, make_user, login):
    closed_at = utcnow().replace(microsecond=0) - timedelta(days=10)
    with app.app_context():
        closed = fill_round(
            "Spring 2026 partners",
            ["pat@partner.example", "sam@partner.example"],
            closed_at=closed_at,
        )
        running = fill_round("Autumn 2026 partners", ["kim@partner.example"])
        due_day = format_date(closed_at + timedelta(days=180))
    login(make_user("admin"))
    show = client.get(f"/rounds/{closed.round_id}").text
    assert f"2 held; to be erased on {due_day}" in show
    assert f'href="/admin/rounds/{closed.round_id}/erase"' in show
    assert (
        "1 held until 180 days after the round ends"
        in client.get(f"/rounds/{running.round_id}").text
    )
    app.config["RETENTION_DAYS"] = 5
    assert (
        "2 held; due to be erased (the daily erasing run has not done it yet)"
        in client.get(f"/rounds/{closed.round_id}").text
    )

    with app.app_context():
        dp.erase_expired_emails()
        db.session.commit()
        day = format_date(dp.emails_erased_at(closed.round_id))
    assert f"Erased {day}" in client.get(f"/rounds/{closed.round_id}").text
    invitations = client.get(f"/rounds/{closed.round_id}/invitations").text
    assert f"Email addresses erased {day}, 5 days after the round ended" in invitations
    assert "Invited</dt><dd>2</dd>" in invitations and "Completed</dt><dd>1</dd>" in invitations
    overview = client.get("/admin/data-protection").text
    assert f"Erased {day}" in overview and "1 held until 5 days" in overview
