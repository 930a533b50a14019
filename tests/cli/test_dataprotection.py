"""The command line for retention, erasing a round and subject-access exports."""

from __future__ import annotations

import json
from datetime import datetime

import sqlalchemy as sa

from surveyapp.extensions import db
from surveyapp.models import AuditEvent, Invitation, Round
from surveyapp.services import dataprotection as dp
from tests.dataprotection_helpers import fill_round, rows_of_round, table_counts


def test_retention_run_dry_run_then_for_real(app, runner):
    with app.app_context():
        old = fill_round(
            "Old round", ["a@x.example", "b@x.example"], closed_at=datetime(2025, 1, 10, 12)
        )
        fill_round("Running round", ["c@x.example"])
        before = table_counts()
    result = runner.invoke(args=["retention", "run", "--dry-run"])
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == [
        f"Would erase round {old.round_id} (Old round): 2 email address(es), 3 email(s), "
        f"2 unfinished response(s)",
        "1 round(s) to erase; retention is 180 days after a round ends",
    ]
    with app.app_context():
        assert table_counts() == before

    result = runner.invoke(args=["retention", "run"])
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[0] == (
        f"Erased round {old.round_id} (Old round): 2 email address(es), 3 email(s), "
        f"2 unfinished response(s)"
    )
    with app.app_context():
        assert list(
            db.session.scalars(
                sa.select(Invitation.email).where(Invitation.round_id == old.round_id)
            )
        ) == [None, None]
        assert (
            db.session.scalar(
                sa.select(AuditEvent.user_id).where(AuditEvent.action == dp.ERASE_EMAILS)
            )
            is None
        )
    result = runner.invoke(args=["retention", "run"])
    assert result.exit_code == 0
    assert result.stdout == "0 round(s) erased; retention is 180 days after a round ends\n"


def test_rounds_erase_asks_for_the_title_unless_yes(app, runner):
    with app.app_context():
        doomed = fill_round("Mistaken round", ["a@x.example"])
        kept = fill_round("Kept round", ["b@x.example"], compared_round_id=doomed.round_id)
        before = table_counts()
    result = runner.invoke(args=["rounds", "erase", str(doomed.round_id)], input="Mistaken\n")
    assert result.exit_code == 1
    assert "Error: that is not the round's title; nothing was erased" in result.output
    assert "1 invitation(s)" in result.output and "Kept round" in result.output
    with app.app_context():
        assert table_counts() == before

    result = runner.invoke(args=["rounds", "erase", str(doomed.round_id)], input="Mistaken round\n")
    assert result.exit_code == 0, result.output
    assert f"Erased round {doomed.round_id}: Mistaken round" in result.output
    with app.app_context():
        assert rows_of_round(doomed.round_id) == {}
        assert db.session.get(Round, kept.round_id).compared_round_id is None

    result = runner.invoke(args=["rounds", "erase", str(kept.round_id), "--yes"])
    assert result.exit_code == 0 and f"Erased round {kept.round_id}" in result.output
    result = runner.invoke(args=["rounds", "erase", str(kept.round_id), "--yes"])
    assert result.exit_code == 1 and f"there is no round {kept.round_id}" in result.output
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Round)) == 0


def test_data_export_email_to_stdout_and_to_a_file(app, runner, tmp_path):
    with app.app_context():
        fill_round("Spring", ["pat@partner.example"], closed_at=datetime(2026, 4, 1))
        fill_round("Autumn", ["Pat@Partner.Example", "sam@partner.example"])
    result = runner.invoke(args=["data", "export-email", "PAT@PARTNER.EXAMPLE"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert [i["round_title"] for i in data["invitations"]] == ["Spring", "Autumn"]
    assert len(data["emails_sent"]) == 2

    out = tmp_path / "sar.csv"
    result = runner.invoke(
        args=[
            "data",
            "export-email",
            "pat@partner.example",
            "--out",
            str(out),
            "--format",
            "csv",
            "--reference",
            "SAR-7",
        ]
    )
    assert result.exit_code == 0, result.output
    assert (
        f"2 invitation(s) and 2 email(s) found for pat@partner.example; written to {out}"
        in result.output
    )
    assert [line.split(",")[0] for line in out.read_text().splitlines()] == [
        "record",
        "invitation",
        "invitation",
        "email",
        "email",
    ]

    result = runner.invoke(args=["data", "export-email", "nobody@partner.example"])
    assert result.exit_code == 0
    assert json.loads(result.stdout)["invitations"] == []
    result = runner.invoke(args=["data", "export-email", "not-an-address"])
    assert result.exit_code == 1 and "is not an email address" in result.output
    with app.app_context():
        assert [
            e.detail["reference"]
            for e in db.session.scalars(
                sa.select(AuditEvent)
                .where(AuditEvent.action == dp.SUBJECT_ACCESS)
                .order_by(AuditEvent.id)
            )
        ] == ["", "SAR-7", ""]
