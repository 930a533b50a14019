"""`report --format csv`: the item table of product.md section 5, from the database."""

import csv

from statsmodels.stats.proportion import proportion_confint

COLUMNS = [
    "round_id",
    "partner_type",
    "item_id",
    "domain",
    "n_responses",
    "n_valid",
    "n_dont_know",
    "pct_strongly_disagree",
    "pct_disagree",
    "pct_neutral",
    "pct_agree",
    "pct_strongly_agree",
    "pct_positive",
    "pct_negative",
    "gap",
    "positive_ci_low",
    "positive_ci_high",
    "pct_dont_know",
    "mean",
    "suppressed",
]

ANSWERS = {  # comm_partners answers per partner type; 8 + 7 + 6 + 2 respondents
    "school": ["5", "4", "4", "3", "2", "1", "DK", "4"],
    "police": ["1", "1", "2", "2", "3", "4", "5"],
    "housing": ["4", "4", "4", "2", "2", "DK"],
    "gp": ["5", "1"],
}


def _wilson(k, n):
    low, high = proportion_confint(k, n, method="wilson")
    return f"{100 * low:.1f}", f"{100 * high:.1f}"


def test_report_csv_matches_a_hand_computation(app, runner, make_round, tmp_path):
    round_id = make_round(partner_type_slugs=list(ANSWERS), min_group_size=5)
    source = tmp_path / "answers.csv"
    source.write_text(
        "partner_type,comm_partners\n"
        + "".join(f"{pt},{v}\n" for pt, values in ANSWERS.items() for v in values)
    )
    assert runner.invoke(args=["responses", "import", str(round_id), str(source)]).exit_code == 0
    out = tmp_path / "report.csv"
    result = runner.invoke(args=["report", str(round_id), "--format", "csv", "--out", str(out)])
    assert result.exit_code == 0, result.output
    with out.open(newline="", encoding="utf-8") as fh:
        reader = csv.DictReader(fh)
        assert reader.fieldnames == COLUMNS
        rows = {(r["partner_type"], r["item_id"]): r for r in reader}
    assert {pt for pt, _ in rows} == {"all", "school", "police", "housing", "gp"}
    assert len({item for _, item in rows}) == 15  # every item of the instrument

    school = rows["school", "comm_partners"]
    assert (school["n_responses"], school["n_valid"], school["n_dont_know"]) == ("8", "7", "1")
    assert school["pct_positive"] == "57.1" and school["pct_negative"] == "28.6"
    assert school["gap"] == "42.9" and school["pct_dont_know"] == "12.5"
    assert (school["positive_ci_low"], school["positive_ci_high"]) == _wilson(4, 7)
    assert school["mean"] == "3.3" and school["suppressed"] == "false"
    assert school["domain"] == "communication" and school["round_id"] == str(round_id)

    police = rows["police", "comm_partners"]
    assert [
        police[c]
        for c in (
            "pct_strongly_disagree",
            "pct_disagree",
            "pct_neutral",
            "pct_agree",
            "pct_strongly_agree",
        )
    ] == ["28.6", "28.6", "14.3", "14.3", "14.3"]
    assert police["mean"] == "2.6" and police["pct_dont_know"] == "0.0"

    everyone = rows["all", "comm_partners"]
    assert (everyone["n_responses"], everyone["n_valid"]) == ("23", "21")
    assert everyone["pct_positive"] == "47.6" and everyone["pct_dont_know"] == "8.7"
    assert (everyone["positive_ci_low"], everyone["positive_ci_high"]) == _wilson(10, 21)

    # gp (2) is below 5; housing, the next smallest, is hidden too so gp cannot be worked out
    # from all - school - police.
    for hidden in ("gp", "housing"):
        row = rows[hidden, "comm_partners"]
        assert row["suppressed"] == "true"
        assert all(row[c] == "" for c in COLUMNS[4:-1]), row


def test_report_refuses_unknown_round_and_format(runner, tmp_path):
    out = tmp_path / "r.csv"
    missing = runner.invoke(args=["report", "999", "--format", "csv", "--out", str(out)])
    assert missing.exit_code == 1 and "no round 999" in missing.output
    assert runner.invoke(args=["report", "1", "--format", "docx", "--out", str(out)]).exit_code == 2
    assert not out.exists()


def test_report_xlsx_holds_the_same_figures_and_keeps_suppression(
    app, runner, make_round, tmp_path
):
    from openpyxl import load_workbook

    from surveyapp.extensions import db
    from surveyapp.models import PartnerType

    round_id = make_round(partner_type_slugs=list(ANSWERS), min_group_size=5)
    with app.app_context():  # an admin-edited label that a spreadsheet would run as a formula
        db.session.query(PartnerType).filter_by(slug="police").update(
            {"label": '=HYPERLINK("http://evil.example")'}
        )
        db.session.commit()
    source = tmp_path / "answers.csv"
    source.write_text(
        "partner_type,comm_partners\n"
        + "".join(f"{pt},{v}\n" for pt, values in ANSWERS.items() for v in values)
    )
    runner.invoke(args=["responses", "import", str(round_id), str(source)])
    csv_out, xlsx_out = tmp_path / "r.csv", tmp_path / "r.xlsx"
    for fmt, out in (("csv", csv_out), ("xlsx", xlsx_out)):
        result = runner.invoke(args=["report", str(round_id), "--format", fmt, "--out", str(out)])
        assert result.exit_code == 0, result.output
    from surveyapp.analysis.metrics import round_half_up

    book = load_workbook(xlsx_out)
    assert book.sheetnames == [
        "Findings",
        "Item table",
        "Domain gaps",
        "Differences",
        "Variation",
        "Contrasts",
        "Reliability",
    ]
    variation = list(book["Variation"].iter_rows(min_row=3, max_row=3, values_only=True))[0]
    assert {"h", "df", "p_value", "epsilon_squared", "p_adjusted"} <= set(variation)
    contrast = list(book["Contrasts"].iter_rows(min_row=3, max_row=3, values_only=True))[0]
    assert {"value", "ci_low", "ci_high", "p_value", "p_adjusted"} <= set(contrast)
    reliability = list(book["Reliability"].iter_rows(min_row=3, max_row=3, values_only=True))[0]
    assert {"alpha", "n_respondents", "low_alpha"} <= set(reliability)
    sheet = book["Item table"]
    rows = list(sheet.iter_rows(min_row=3, values_only=True))
    header = rows[0]
    assert list(header) == COLUMNS
    by_key = {(r[1], r[2]): dict(zip(header, r, strict=True)) for r in rows[1:]}
    with csv_out.open(newline="", encoding="utf-8") as fh:
        for expected in csv.DictReader(fh):
            got = by_key[expected["partner_type"], expected["item_id"]]
            for column in ("n_valid", "pct_positive", "positive_ci_low", "gap", "mean"):
                if expected[column] == "":
                    assert got[column] is None, (expected["partner_type"], column)
                elif column.startswith("pct") or column in ("gap", "positive_ci_low"):
                    assert round(got[column] * 100, 1) == float(expected[column])
                    assert (
                        sheet.cell(row=4, column=header.index(column) + 1).number_format == "0.0%"
                    )
                else:  # the workbook keeps the full mean and shows one decimal, as the CSV
                    places = 1 if column == "mean" else 0
                    assert round_half_up(float(got[column]), places) == float(expected[column])
    hidden = by_key["gp", "comm_partners"]
    assert hidden["suppressed"] == "true" and hidden["pct_positive"] is None
    for ws in book.worksheets:
        for row in ws.iter_rows(values_only=True):
            for value in row:
                assert not (isinstance(value, str) and value.startswith("=")), (ws.title, value)
    labels = [r[1] for r in book["Domain gaps"].iter_rows(min_row=4, values_only=True)]
    assert '\'=HYPERLINK("http://evil.example")' in labels


def _import(runner, make_round, tmp_path, **kwargs):
    round_id = make_round(partner_type_slugs=list(ANSWERS), min_group_size=5, **kwargs)
    source = tmp_path / "answers.csv"
    source.write_text(
        "partner_type,locality,comm_partners\n"
        + "".join(
            # police alone in South: South minus police must not be a small group
            f"{pt},{'South' if pt == 'police' else 'North'},{v}\n"
            for pt, values in ANSWERS.items()
            for v in values
        )
    )
    result = runner.invoke(args=["responses", "import", str(round_id), str(source)])
    assert result.exit_code == 0, result.output
    return round_id


def test_report_html_and_pdf_hold_the_figures_and_hide_small_groups(
    app, runner, make_round, tmp_path
):
    import io
    import re

    from pypdf import PdfReader

    from tests.web.test_reports import wilson

    round_id = _import(runner, make_round, tmp_path, locality_names=["North", "South"])
    html_out, pdf_out = tmp_path / "r.html", tmp_path / "r.pdf"
    for fmt, out in (("html", html_out), ("pdf", pdf_out)):
        result = runner.invoke(args=["report", str(round_id), "--format", fmt, "--out", str(out)])
        assert result.exit_code == 0, result.output
        assert f"Wrote the {fmt} report of round {round_id}" in result.output
    html = html_out.read_text(encoding="utf-8")
    assert html.startswith("<!doctype html>") and "<script" not in html
    assert "Gap report: " in html and "Your council" in html
    reader = PdfReader(io.BytesIO(pdf_out.read_bytes()))
    text = re.sub(r"\s+", " ", " ".join(page.extract_text() for page in reader.pages))
    # school: 7 valid, 2 disagree (29%), 1 neither (14%), 4 agree (57%), 1 of 8 don't know
    assert f"School 7 29% 14% 57% {wilson(4, 7)} 13%" in text
    # gp (2) and housing (hidden to protect it) show the label only
    assert "GP fewer than 5 or withheld" in text and "Housing fewer than 5 or withheld" in text
    assert "(n=2)" not in text and "(n=5)" not in text


def test_report_filter_narrows_the_report_to_one_group(app, runner, make_round, tmp_path):
    round_id = _import(runner, make_round, tmp_path, locality_names=["North", "South"])
    out = tmp_path / "north.csv"
    result = runner.invoke(
        args=[
            "report",
            str(round_id),
            "--format",
            "csv",
            "--out",
            str(out),
            "--filter",
            "locality:North",
        ]
    )
    assert result.exit_code == 0, result.output
    with out.open(newline="", encoding="utf-8") as fh:
        rows = {(r["partner_type"], r["item_id"]): r for r in csv.DictReader(fh)}
    # North: school (8), housing (6) and gp (2): 14 valid, 8 agree; housing and gp suppressed
    assert (
        rows["all", "comm_partners"]["n_valid"],
        rows["all", "comm_partners"]["pct_positive"],
    ) == ("14", "57.1")
    assert rows["housing", "comm_partners"]["suppressed"] == "true"
    assert rows["gp", "comm_partners"]["suppressed"] == "true"
    assert rows["school", "comm_partners"]["n_valid"] == "7"


def test_report_fails_cleanly_on_a_bad_filter_or_an_unwritable_path(
    app, runner, make_round, tmp_path
):
    round_id = _import(runner, make_round, tmp_path, locality_names=["North", "South"])
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    cases = {
        ("--filter", "locality:Nowhere"): "no group 'locality:Nowhere' in this report",
        ("--filter", "gender:female"): "no group 'gender:female' in this report",
    }
    out = tmp_path / "r.pdf"
    for extra, message in cases.items():
        result = runner.invoke(
            args=["report", str(round_id), "--format", "pdf", "--out", str(out), *extra]
        )
        assert result.exit_code == 1 and message in result.output, result.output
        assert result.output.count("\n") == 1 and result.output.startswith("Error: ")
    for bad in (tmp_path / "missing" / "r.pdf", blocker / "r.pdf"):
        result = runner.invoke(args=["report", str(round_id), "--format", "pdf", "--out", str(bad)])
        assert result.exit_code == 1 and f"cannot write {bad}" in result.output, result.output
        assert result.output.count("\n") == 1
    missing = runner.invoke(args=["report", "999", "--format", "html", "--out", str(out)])
    assert missing.exit_code == 1 and missing.output == "Error: there is no round 999\n"
    assert not out.exists()
