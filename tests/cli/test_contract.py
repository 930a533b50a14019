"""The command-line contract of product.md section 5 (the parts the foundation owns)."""

import os
import subprocess
import sys

import sqlalchemy as sa

from surveyapp.extensions import db
from surveyapp.models import Answer, ImportBatch, OpenLink, Response, Round, User
from tests.conftest import count

ITEMS = ["comm_partners", "path_children", "path_parents", "thr_next_steps"]


def test_users_create_from_stdin(app, runner):
    result = runner.invoke(
        args=["users", "create", "Lead@Example.org", "--role", "lead", "--password-stdin"],
        input="a long enough password\n",
    )
    assert result.exit_code == 0, result.output
    with app.app_context():
        user = db.session.scalar(sa.select(User))
    assert (user.email, user.role) == ("lead@example.org", "lead")


def test_users_create_from_prompt(app, runner):
    result = runner.invoke(
        args=["users", "create", "admin@example.org", "--role", "admin"],
        input="a long enough password\na long enough password\n",
    )
    assert result.exit_code == 0, result.output
    with app.app_context():
        assert count(User) == 1


def test_users_create_bad_input_exits_non_zero_with_one_line(app, runner):
    cases = [
        (
            ["users", "create", "x@example.org", "--role", "boss", "--password-stdin"],
            "long pw here!!",
        ),
        (
            ["users", "create", "not-an-email", "--role", "lead", "--password-stdin"],
            "long pw here!!",
        ),
        (["users", "create", "x@example.org", "--role", "lead", "--password-stdin"], "short"),
    ]
    for args, password in cases:
        result = runner.invoke(args=args, input=password + "\n")
        assert result.exit_code != 0
        assert result.output.strip().splitlines()[-1].startswith("Error: ")
    runner.invoke(
        args=cases[0][0][:3] + ["--role", "lead", "--password-stdin"], input="long pw here!!\n"
    )
    again = runner.invoke(
        args=cases[0][0][:3] + ["--role", "lead", "--password-stdin"], input="long pw here!!\n"
    )
    assert again.exit_code == 1 and "already exists" in again.output
    with app.app_context():
        assert count(User) == 1


def test_rounds_create_prints_id_alone_on_last_line(app, runner):
    result = runner.invoke(
        args=[
            "rounds",
            "create",
            "--instrument",
            "early-help-pathways@1",
            "--title",
            "Autumn",
            "--partner-types",
            "school,police",
            "--min-group-size",
            "8",
            "--open",
        ]
    )
    assert result.exit_code == 0, result.output
    last = result.output.strip().splitlines()[-1]
    with app.app_context():
        round_ = db.session.get(Round, int(last))
        assert (round_.title, round_.status, round_.min_group_size) == ("Autumn", "open", 8)
        assert [p.slug for p in round_.partner_types] == ["school", "police"]
        assert round_.instrument.key == "early-help-pathways"


def test_rounds_create_refuses_bad_input(app, runner):
    bad = [
        ["--instrument", "nope", "--title", "x"],
        [
            "--instrument",
            "early-help-pathways",
            "--title",
            "x",
            "--partner-types",
            "school,wizards",
        ],
        ["--instrument", "early-help-pathways", "--title", "x", "--min-group-size", "4"],
        ["--instrument", "early-help-pathways", "--title", "   "],
        ["--instrument", "early-help-pathways", "--title", "x", "--opens-on", "2026-13-01"],
    ]
    for args in bad:
        result = runner.invoke(args=["rounds", "create", *args])
        assert result.exit_code != 0, args
        assert "Error" in result.output
    with app.app_context():
        assert count(Round) == 0


def test_open_link_prints_a_working_url(app, runner, client, make_round):
    round_id = make_round("Briefing round", open_=True, partner_type_slugs=["school", "police"])
    result = runner.invoke(args=["rounds", "open-link", str(round_id), "--partner-type", "police"])
    assert result.exit_code == 0, result.output
    url = result.output.strip().splitlines()[-1]
    assert url.startswith("http://surveyapp.test/o/")
    with app.app_context():
        link = db.session.scalar(sa.select(OpenLink))
        assert link.partner_type.slug == "police" and url.endswith(link.slug)
    page = client.get(url.removeprefix("http://surveyapp.test"))
    assert page.status_code == 200 and "Briefing round" in page.text
    refused = runner.invoke(args=["rounds", "open-link", str(round_id), "--partner-type", "gp"])
    assert refused.exit_code == 1 and "not part of this round" in refused.output
    assert runner.invoke(args=["rounds", "open-link", "999"]).exit_code == 1


def _write(tmp_path, name, rows):
    path = tmp_path / name
    path.write_text("\n".join(",".join(r) for r in rows) + "\n", encoding="utf-8")
    return path


def test_import_valid_csv_adds_every_response(app, runner, make_round, tmp_path):
    round_id = make_round(partner_type_slugs=["school", "police"])
    path = _write(
        tmp_path,
        "paper.csv",
        [
            ["partner_type", "locality", *ITEMS],
            ["school", "North", "5", "Agree", "don't know", ""],
            ["police", "", "strongly DISAGREE", "DK", "3", "1"],
            ["police", "South", "Neither agree nor disagree", "4", "2", "2"],
        ],
    )
    result = runner.invoke(args=["responses", "import", str(round_id), str(path)])
    assert result.exit_code == 0, result.output
    with app.app_context():
        assert count(Response) == 3
        rows = db.session.execute(
            sa.select(
                Response.partner_type_id, Answer.item_id, Answer.value, Answer.dont_know
            ).join(Answer)
        ).all()
        answers = [(item, value, dk) for _, item, value, dk in rows]
        assert len(answers) == 11  # one blank cell skipped
        assert ("comm_partners", 5, False) in answers and ("comm_partners", 1, False) in answers
        assert ("comm_partners", 3, False) in answers
        assert sum(1 for a in answers if a[2]) == 2
        assert all(r.channel == "import" for r in db.session.scalars(sa.select(Response)))
        assert db.session.get(Round, round_id).data_version == 1
    again = runner.invoke(args=["responses", "import", str(round_id), str(path)])
    assert again.exit_code == 1 and "already imported" in again.output
    with app.app_context():
        assert count(Response) == 3 and count(ImportBatch) == 1


def test_import_with_bad_rows_adds_nothing_and_names_each_row(app, runner, make_round, tmp_path):
    round_id = make_round(partner_type_slugs=["school", "police"])
    path = _write(
        tmp_path,
        "bad.csv",
        [
            ["partner_type", *ITEMS],
            ["school", "5", "4", "4", "4"],
            ["gp", "5", "4", "4", "4"],
            ["police", "6", "agree-ish", "4", "4"],
            ["school", "", "", "", ""],
            ["school", "1", "2"],
            ["police", "1", "2", "3", "DK"],
        ],
    )
    result = runner.invoke(args=["responses", "import", str(round_id), str(path)])
    assert result.exit_code == 1
    out = result.output
    assert "row 3: partner type 'gp' is not part of this round" in out
    assert "row 4: comm_partners '6' is not 1-5" in out and "path_children 'agree-ish'" in out
    assert "row 5: has no answers" in out
    assert "row 6: has 3 cells, the header has 5" in out
    assert "row 2" not in out and "row 7" not in out
    assert "4 row(s) have problems; nothing was added" in out.strip().splitlines()[-1]
    with app.app_context():
        assert count(Response) == 0 and count(Answer) == 0 and count(ImportBatch) == 0


def test_import_refuses_unknown_columns_and_missing_round(app, runner, make_round, tmp_path):
    round_id = make_round()
    path = _write(tmp_path, "typo.csv", [["partner_type", "comm_partner"], ["school", "5"]])
    result = runner.invoke(args=["responses", "import", str(round_id), str(path)])
    assert result.exit_code == 1 and "unknown column(s) comm_partner" in result.output
    assert runner.invoke(args=["responses", "import", "404", str(path)]).exit_code == 1
    missing = runner.invoke(args=["responses", "import", str(round_id), str(tmp_path / "no.csv")])
    assert missing.exit_code != 0


def test_demo_is_idempotent(app, runner):
    first = runner.invoke(args=["demo"])
    assert first.exit_code == 0, first.output
    with app.app_context():
        n_rounds, n_responses = count(Round), count(Response)
        statuses = sorted(db.session.scalars(sa.select(Round.status)))
    assert n_rounds == 3 and statuses == ["closed", "closed", "open"]
    assert n_responses >= 300
    second = runner.invoke(args=["demo"])
    assert second.exit_code == 0 and "already loaded" in second.output
    with app.app_context():
        assert (count(Round), count(Response)) == (n_rounds, n_responses)


def test_demo_gaps_are_believable(app, runner):
    """Parents below children, police below schools on thresholds, as the seed found."""
    runner.invoke(args=["demo"])
    with app.app_context():
        rows = db.session.execute(
            sa.text(
                "SELECT p.slug, a.item_id, a.value FROM answers a JOIN responses r ON r.id = "
                "a.response_id JOIN partner_types p ON p.id = r.partner_type_id "
                "WHERE a.value IS NOT NULL"
            )
        ).all()

    def pct_positive(item, slug=None):
        vals = [v for s, i, v in rows if i == item and (slug is None or s == slug)]
        return 100 * sum(v >= 4 for v in vals) / len(vals)

    assert pct_positive("path_children") - pct_positive("path_parents") > 8
    assert pct_positive("thr_next_steps", "school") - pct_positive("thr_next_steps", "police") > 15
    assert 55 < 100 - pct_positive("comm_partners") < 75


def test_python_m_surveyapp_is_the_flask_command_line(tmp_path):
    """``python -m surveyapp`` (and so the ``surveyapp`` console script) runs the app's
    commands."""
    env = {
        **os.environ,
        "SURVEYAPP_DATABASE_URL": f"sqlite:///{tmp_path / 'cli.sqlite'}",
        "SURVEYAPP_SECRET_KEY": "test-secret",
    }
    result = subprocess.run(
        [sys.executable, "-m", "surveyapp", "rounds", "--help"],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert "Usage: surveyapp rounds" in result.stdout
    assert "open-link" in result.stdout
