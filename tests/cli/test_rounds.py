"""The command line for invitations, mail and round status."""

from __future__ import annotations

import re

import sqlalchemy as sa

from surveyapp.extensions import db
from surveyapp.models import Invitation, OutboxMessage, Response, Round


def write(tmp_path, name: str, content: str):
    path = tmp_path / name
    path.write_text(content)
    return str(path)


def test_invitations_add_send_mail_and_status(app, runner, make_round, tmp_path):
    round_id = make_round(
        "Autumn",
        open_=True,
        partner_type_slugs=["school", "police"],
        locality_names=["North", "South"],
    )
    good = write(
        tmp_path,
        "people.csv",
        "email,partner_type,locality\n"
        "a@x.example,school,North\nb@x.example,school,South\n"
        "c@x.example,police,North\n",
    )
    result = runner.invoke(args=["invitations", "add", str(round_id), good])
    assert result.exit_code == 0, result.output
    assert "Added 3 invitation(s) to round" in result.output
    result = runner.invoke(args=["invitations", "add", str(round_id), good])
    assert "Added 0 invitation(s)" in result.output and "3 already invited" in result.output

    bad = write(tmp_path, "bad.csv", "email,partner_type\nd@x.example,gp\nnope,school\n")
    result = runner.invoke(args=["invitations", "add", str(round_id), bad])
    assert result.exit_code == 1
    assert "bad.csv: row 2: partner type 'gp' is not part of this round" in result.output
    assert "bad.csv: row 3: 'nope' is not an email address" in result.output
    assert "2 row(s) have problems; nobody was added" in result.output

    result = runner.invoke(args=["invitations", "send", str(round_id)])
    assert result.exit_code == 0 and "Queued 3 invitation(s)" in result.output
    result = runner.invoke(args=["invitations", "send", str(round_id), "--reminders"])
    assert result.exit_code == 0 and "Queued 0 reminder(s)" in result.output
    result = runner.invoke(args=["mail", "send"])
    assert result.exit_code == 0, result.output
    assert "3 sent, 0 to retry later, 0 failed for good" in result.output
    assert len(list((tmp_path / "mail").glob("*.eml"))) == 3

    with app.app_context():
        invitations = db.session.scalars(sa.select(Invitation).order_by(Invitation.id)).all()
        invitations[0].started_on = invitations[0].completed_on = invitations[0].created_at.date()
        invitations[2].started_on = invitations[0].started_on
        round_ = db.session.get(Round, round_id)
        north = round_.localities[0]
        db.session.add(
            Response(
                round_id=round_id,
                partner_type_id=invitations[2].partner_type_id,
                locality_id=north.id,
                channel="open",
                submitted_on=invitations[0].started_on,
            )
        )
        db.session.commit()
        assert {m.status for m in db.session.scalars(sa.select(OutboxMessage))} == {"sent"}
    result = runner.invoke(args=["rounds", "status", str(round_id)])
    assert result.exit_code == 0, result.output
    lines = {
        line.strip().split("  ")[0]: line.split()[-5:]
        for line in result.output.splitlines()
        if line.startswith("  ") or line.startswith("All")
    }
    assert lines["School"] == ["2", "1", "1", "50%", "0"]
    assert lines["Police"] == ["1", "1", "0", "0%", "1"]
    assert lines["North"] == ["2", "2", "1", "50%", "1"]
    assert lines["South"] == ["1", "0", "0", "0%", "0"]
    assert result.output.splitlines()[-2].split()[-5:] == ["3", "2", "1", "33%", "1"]
    assert "Responses from every channel: 1" in result.output


def test_commands_refuse_bad_input(app, runner, make_round, tmp_path):
    draft = make_round("Draft", partner_type_slugs=["school"])
    assert "there is no round 999" in runner.invoke(args=["rounds", "status", "999"]).output
    result = runner.invoke(args=["invitations", "send", str(draft)])
    assert result.exit_code == 1 and "still a draft" in result.output
    result = runner.invoke(args=["invitations", "add", str(draft), str(tmp_path / "none.csv")])
    assert result.exit_code == 1 and "cannot read" in result.output


def test_rounds_create_treats_localities_differing_in_case_as_one(app, runner):
    result = runner.invoke(
        args=[
            "rounds",
            "create",
            "--instrument",
            "early-help-pathways",
            "--title",
            "Case",
            "--localities",
            "North,NORTH, north ",
        ]
    )
    assert result.exit_code == 0, result.output
    round_id = int(result.output.strip().splitlines()[-1])
    with app.app_context():
        assert [loc.name for loc in db.session.get(Round, round_id).localities] == ["North"]


def test_rounds_create_reports_every_problem(app, runner):
    result = runner.invoke(
        args=[
            "rounds",
            "create",
            "--instrument",
            "early-help-pathways",
            "--title",
            "",
            "--min-group-size",
            "3",
        ]
    )
    assert result.exit_code == 1
    assert "enter a title for the round" in result.output
    assert "cannot be below 5" in result.output


def test_invitations_list_resend_remove_and_erase_on_the_command_line(
    app, runner, make_round, tmp_path
):
    round_id = make_round("CLI people", open_=True, partner_type_slugs=["school", "police"])
    people = write(
        tmp_path, "p.csv", "Email,Partner Type\na@x.example,School\nb@x.example,police\n"
    )
    assert runner.invoke(args=["invitations", "add", str(round_id), people]).exit_code == 0
    result = runner.invoke(args=["invitations", "send", str(round_id), "--now"])
    assert result.exit_code == 0, result.output
    assert "Queued 2 invitation(s)" in result.output and "2 sent" in result.output
    result = runner.invoke(args=["invitations", "list", str(round_id)])
    assert result.output.splitlines() == [
        "email,partner_type,locality,status",
        "a@x.example,School,,sent",
        "b@x.example,Police,,sent",
    ]
    for command, email in (("resend", "A@X.example"), ("remove", "b@x.example")):
        result = runner.invoke(args=["invitations", command, str(round_id), email])
        assert result.exit_code == 0, result.output
    result = runner.invoke(args=["invitations", "erase-email", str(round_id), "a@x.example"])
    assert result.exit_code == 0, result.output
    result = runner.invoke(args=["invitations", "remove", str(round_id), "nobody@x.example"])
    assert result.exit_code == 1 and "nobody@x.example is not invited" in result.output
    with app.app_context():
        assert [i.email for i in db.session.scalars(sa.select(Invitation))] == [None]
        assert db.session.scalar(sa.select(sa.func.count()).select_from(OutboxMessage)) == 0


def test_copy_settings_from_an_earlier_round(app, runner, make_round, client, make_user, login):
    from surveyapp.services.rounds import EmailWording

    wording = EmailWording(invitation_body="Hi, answer here: {link}", reminder_subject="Nudge")
    source = make_round(
        "Last year",
        partner_type_slugs=["school", "gp"],
        locality_names=["North", "South"],
        min_group_size=7,
        signposts={"pathways": {"label": "Our offer", "url": "https://council.example/offer"}},
        wording=wording,
    )
    assert runner.invoke(args=["localities", "retire", "South"]).exit_code == 0
    result = runner.invoke(
        args=[
            "rounds",
            "create",
            "--instrument",
            "early-help-pathways",
            "--title",
            "This year",
            "--copy-from",
            str(source),
        ]
    )
    assert result.exit_code == 0, result.output
    new_id = int(result.output.strip().splitlines()[-1])
    with app.app_context():
        new = db.session.get(Round, new_id)
        assert new.title == "This year"
        assert [p.slug for p in new.partner_types] == ["school", "gp"]
        assert [loc.name for loc in new.localities] == ["North"]  # South is retired
        assert new.min_group_size == 7
        assert new.signposts == {
            "pathways": {"label": "Our offer", "url": "https://council.example/offer"}
        }
        assert new.invitation_body == "Hi, answer here: {link}"
        assert new.reminder_subject == "Nudge"

    login(make_user("lead"))
    page = client.get(f"/rounds/new?copy_from={source}").text
    assert "Settings copied from “Last year”" in page
    assert 'value="https://council.example/offer"' in page and "Hi, answer here: {link}" in page
    assert re.search(r'<input[^>]*name="min_group_size"[^>]*value="7"', page)
    assert client.get("/rounds/new?copy_from=99999").status_code == 404
