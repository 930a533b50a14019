"""Retention, erasing a round and subject access, at the service level (a fixed ``now``)."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta

import pytest
import sqlalchemy as sa

from surveyapp.extensions import db
from surveyapp.models import AuditEvent, Draft, Invitation, OutboxMessage, Round
from surveyapp.services import ServiceError
from surveyapp.services import dataprotection as dp
from surveyapp.services.invitations import send_reminders
from surveyapp.services.status import round_status
from tests.dataprotection_helpers import fill_round, rows_of_round, table_counts

NOW = datetime(2026, 7, 1, 12, 0)
#: 180 days (the default RETENTION_DAYS) before NOW.
CUTOFF = datetime(2026, 1, 2, 12, 0)


def emails_of(round_id: int) -> list[str | None]:
    return list(
        db.session.scalars(
            sa.select(Invitation.email)
            .where(Invitation.round_id == round_id)
            .order_by(Invitation.id)
        )
    )


def held(round_id: int) -> tuple[int, int, int]:
    """(invitations with an address, outbox messages, drafts) of a round."""

    def n(model, *where):
        return db.session.scalar(sa.select(sa.func.count()).select_from(model).where(*where))

    return (
        n(Invitation, Invitation.round_id == round_id, Invitation.email.is_not(None)),
        n(OutboxMessage, OutboxMessage.round_id == round_id),
        n(Draft, Draft.round_id == round_id),
    )


@pytest.fixture
def four_rounds(app_ctx):
    """Closed exactly 180 days before NOW (expired), closed one second later (kept), still open
    with a closing date long past (expired), open with no closing date (kept)."""
    assert NOW - timedelta(days=180) == CUTOFF
    expired = fill_round(
        "Expired", ["a1@x.example", "a2@x.example", "a3@x.example"], closed_at=CUTOFF
    )
    kept = fill_round(
        "Kept", ["b1@x.example", "a1@x.example"], closed_at=CUTOFF + timedelta(seconds=1)
    )
    forgotten = fill_round("Forgotten", ["c1@x.example", "c2@x.example"], drafts=1)
    db.session.get(Round, forgotten.round_id).closes_on = date(2025, 12, 31)
    still_open = fill_round("Still open", ["d1@x.example"])
    db.session.commit()
    return expired, kept, forgotten, still_open


def test_retention_erases_exactly_the_expired_rounds_and_keeps_their_rates(four_rounds):
    expired, kept, forgotten, still_open = four_rounds
    rates_before = {
        f.round_id: round_status(db.session.get(Round, f.round_id)) for f in four_rounds
    }
    kept_before = {
        f.round_id: (emails_of(f.round_id), held(f.round_id)) for f in (kept, still_open)
    }
    assert held(expired.round_id) == (3, 4, 2)  # 3 invitations + 1 reminder, 2 drafts

    erased = dp.erase_expired_emails(NOW)
    db.session.commit()

    # The forgotten round ended at midnight after 31 December 2025 (London = UTC in winter).
    assert [(e.round_id, e.emails, e.messages, e.drafts, e.ended_at) for e in erased] == [
        (expired.round_id, 3, 4, 2, CUTOFF),
        (forgotten.round_id, 2, 3, 1, datetime(2026, 1, 1, 0, 0)),
    ]
    for f in (expired, forgotten):
        assert emails_of(f.round_id) == [None] * f.invitations
        assert held(f.round_id) == (0, 0, 0)
    for f in (kept, still_open):
        assert (emails_of(f.round_id), held(f.round_id)) == kept_before[f.round_id]
    # Partner type, locality, sent and completed stay: every count and rate is unchanged.
    for f in four_rounds:
        assert round_status(db.session.get(Round, f.round_id)) == rates_before[f.round_id]
    assert rates_before[expired.round_id].total.invited == 3
    assert rates_before[expired.round_id].total.completed == 1
    events = db.session.scalars(
        sa.select(AuditEvent).where(AuditEvent.action == dp.ERASE_EMAILS).order_by(AuditEvent.id)
    ).all()
    assert [(e.round_id, e.detail) for e in events] == [
        (
            expired.round_id,
            {
                "emails": 3,
                "messages": 4,
                "drafts": 2,
                "retention_days": 180,
                "ended_on": "2026-01-02",
            },
        ),
        (
            forgotten.round_id,
            {
                "emails": 2,
                "messages": 3,
                "drafts": 1,
                "retention_days": 180,
                "ended_on": "2026-01-01",
            },
        ),
    ]
    # A reminder to the forgotten (still open) round now reaches nobody.
    assert (
        send_reminders(db.session.get(Round, forgotten.round_id), now=NOW + timedelta(days=30)) == 0
    )


def test_retention_is_idempotent_and_a_dry_run_writes_nothing(four_rounds):
    expired, kept, forgotten, _ = four_rounds
    before = table_counts()
    planned = dp.erase_expired_emails(NOW, dry_run=True)
    db.session.commit()
    assert table_counts() == before
    assert held(expired.round_id) == (3, 4, 2)

    done = dp.erase_expired_emails(NOW)
    db.session.commit()
    assert planned == done and [e.round_id for e in done] == [expired.round_id, forgotten.round_id]
    after_first = table_counts()
    assert dp.erase_expired_emails(NOW) == []
    assert dp.erase_expired_emails(NOW, dry_run=True) == []
    db.session.commit()
    assert table_counts() == after_first

    # A day later the next round is due too, and only it is erased.
    later = dp.erase_expired_emails(NOW + timedelta(days=1))
    assert [(e.round_id, e.emails) for e in later] == [(kept.round_id, 2)]


def test_retention_days_come_from_the_setting(app, four_rounds):
    expired, kept, forgotten, _ = four_rounds
    app.config["RETENTION_DAYS"] = 365
    assert dp.erase_expired_emails(NOW) == []
    app.config["RETENTION_DAYS"] = 0
    assert {e.round_id for e in dp.erase_expired_emails(NOW)} == {
        expired.round_id,
        kept.round_id,
        forgotten.round_id,
    }
    app.config["RETENTION_DAYS"] = -1
    with pytest.raises(ServiceError, match="0 or more"):
        dp.erase_expired_emails(NOW)


def test_email_retention_says_when_addresses_were_or_will_be_erased(four_rounds):
    expired, kept, _, still_open = four_rounds
    dp.erase_expired_emails(NOW)
    db.session.commit()
    erased = dp.email_retention(db.session.get(Round, expired.round_id))
    assert erased.erased_at is not None and erased.emails_held == 0
    assert erased.due_at == NOW
    waiting = dp.email_retention(db.session.get(Round, kept.round_id))
    assert (waiting.erased_at, waiting.emails_held, waiting.days) == (None, 2, 180)
    assert waiting.due_at == NOW + timedelta(seconds=1)
    running = dp.email_retention(db.session.get(Round, still_open.round_id))
    assert (running.due_at, running.emails_held) == (None, 1)
    overview = {r.id: ret for r, ret in dp.retention_overview()}
    assert overview[expired.round_id] == erased and overview[kept.round_id] == waiting


def test_erasing_a_round_removes_every_row_of_it_and_nothing_else(app_ctx):
    first = fill_round("First", ["p@x.example", "q@x.example"], closed_at=CUTOFF, publish=True)
    second = fill_round(
        "Second", ["p@x.example", "r@x.example", "s@x.example"], compared_round_id=first.round_id
    )
    third = fill_round("Third", ["t@x.example"], compared_round_id=first.round_id)
    assert rows_of_round(first.round_id)
    before = table_counts()
    rows_of_others = {f.round_id: rows_of_round(f.round_id) for f in (second, third)}
    round_ = db.session.get(Round, first.round_id)

    contents = dp.erase_round(round_)
    db.session.commit()

    assert contents == dp.RoundContents(
        responses=3,
        answers=9,
        drafts=2,
        receipts=1,
        invitations=2,
        messages=3,
        open_links=1,
        import_batches=1,
        published=True,
        compared_by=[(second.round_id, "Second"), (third.round_id, "Third")],
    )
    expected = dict(before)
    for table, gone in {
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
    }.items():
        expected[table] -= gone
    expected["audit_events"] += 1
    assert table_counts() == expected
    assert rows_of_round(first.round_id) == {}
    # The other rounds lose only their link to the erased round.
    for f in (second, third):
        assert db.session.get(Round, f.round_id).compared_round_id is None
        assert rows_of_round(f.round_id) == rows_of_others[f.round_id]
    event = db.session.scalars(sa.select(AuditEvent).order_by(AuditEvent.id.desc())).first()
    assert (event.action, event.round_id, event.user_id) == (dp.ERASE_ROUND, None, None)
    assert event.detail == {
        "erased_round_id": first.round_id,
        "title": "First",
        "responses": 3,
        "invitations": 2,
        "messages": 3,
        "open_links": 1,
        "drafts": 2,
        "published": True,
        "comparison_cleared_for": [second.round_id, third.round_id],
    }
    assert "@" not in json.dumps(event.detail)


def test_subject_access_finds_an_address_in_any_case_across_rounds(app_ctx, make_user):
    fill_round("Spring", ["pat@partner.example", "sam@partner.example"], closed_at=CUTOFF)
    fill_round("Autumn", ["kim@partner.example", "PAT@Partner.Example"])
    fill_round("Winter", ["pat@partner.example.org"])
    found = dp.subject_access("  Pat@PARTNER.example ", fmt="json", reference="SAR-41")
    db.session.commit()
    assert found.email == "pat@partner.example"
    assert [
        (i.round_title, i.partner_type, i.locality, i.completed_on) for i in found.invitations
    ] == [("Spring", "School", "North", date(2026, 1, 5)), ("Autumn", "Police", None, None)]
    assert [(m.round_title, m.kind, m.status) for m in found.messages] == [
        ("Spring", "invitation", "pending"),
        ("Autumn", "invitation", "pending"),
        ("Autumn", "reminder", "sent"),
    ]
    assert found.staff_account is None
    data = json.loads(dp.subject_access_json(found))
    assert [i["round_title"] for i in data["invitations"]] == ["Spring", "Autumn"]
    assert data["invitations"][0]["completed_on"] == "2026-01-05"
    assert data["emails_sent"][2]["subject"] == "Reminder: Autumn"
    assert "anonymous" in data["about_responses"]
    lines = dp.subject_access_csv(found).splitlines()
    assert lines[0].startswith("record,round_id,round_title,partner_type,locality")
    assert [line.split(",")[0] for line in lines[1:]] == ["invitation"] * 2 + ["email"] * 3
    event = db.session.scalars(
        sa.select(AuditEvent).where(AuditEvent.action == dp.SUBJECT_ACCESS)
    ).one()
    assert event.detail == {
        "format": "json",
        "reference": "SAR-41",
        "invitations": 2,
        "messages": 3,
        "staff_account": False,
    }

    nobody = dp.subject_access("nobody@partner.example", fmt="html")
    assert (nobody.invitations, nobody.messages, nobody.found) == ([], [], False)
    staff = make_user("lead", email="lead@council.example")
    assert dp.subject_access("Lead@Council.example", fmt="html").staff_account.role == staff["role"]
    with pytest.raises(ServiceError, match="not an email address"):
        dp.subject_access("pat at partner", fmt="json")
    with pytest.raises(ServiceError, match="60 characters"):
        dp.subject_access("pat@partner.example", fmt="json", reference="x" * 61)


def test_subject_access_after_retention_finds_nothing(app_ctx):
    fill_round("Spring", ["pat@partner.example"], closed_at=CUTOFF)
    dp.erase_expired_emails(NOW)
    assert not dp.subject_access("pat@partner.example", fmt="html").found


def test_subject_access_csv_neutralises_formula_like_titles(app_ctx):
    fill_round("=HYPERLINK(1)", ["pat@partner.example"])
    text = dp.subject_access_csv(dp.subject_access("pat@partner.example", fmt="csv"))
    assert ",'=HYPERLINK(1)," in text and ",=HYPERLINK" not in text
