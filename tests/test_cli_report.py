"""`report --format csv`: the item table of product.md section 5, from the database."""

import csv

from statsmodels.stats.proportion import proportion_confint

COLUMNS = ("round_id,partner_type,item_id,domain,n_responses,n_valid,n_dont_know,"
           "pct_strongly_disagree,pct_disagree,pct_neutral,pct_agree,pct_strongly_agree,"
           "pct_positive,pct_negative,gap,positive_ci_low,positive_ci_high,pct_dont_know,mean,"
           "suppressed").split(",")

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
    source.write_text("partner_type,comm_partners\n" + "".join(
        f"{pt},{v}\n" for pt, values in ANSWERS.items() for v in values))
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
    assert school["mean"] == "3.29" and school["suppressed"] == "false"
    assert school["domain"] == "communication" and school["round_id"] == str(round_id)

    police = rows["police", "comm_partners"]
    assert [police[c] for c in ("pct_strongly_disagree", "pct_disagree", "pct_neutral",
                                "pct_agree", "pct_strongly_agree")] == \
        ["28.6", "28.6", "14.3", "14.3", "14.3"]
    assert police["mean"] == "2.57" and police["pct_dont_know"] == "0.0"

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


def test_report_xlsx_holds_the_same_figures_and_keeps_suppression(app, runner, make_round,
                                                                  tmp_path):
    from openpyxl import load_workbook

    from surveyapp.extensions import db
    from surveyapp.models import PartnerType

    round_id = make_round(partner_type_slugs=list(ANSWERS), min_group_size=5)
    with app.app_context():  # an admin-edited label that a spreadsheet would run as a formula
        db.session.query(PartnerType).filter_by(slug="police").update(
            {"label": "=HYPERLINK(\"http://evil.example\")"})
        db.session.commit()
    source = tmp_path / "answers.csv"
    source.write_text("partner_type,comm_partners\n" + "".join(
        f"{pt},{v}\n" for pt, values in ANSWERS.items() for v in values))
    runner.invoke(args=["responses", "import", str(round_id), str(source)])
    csv_out, xlsx_out = tmp_path / "r.csv", tmp_path / "r.xlsx"
    for fmt, out in (("csv", csv_out), ("xlsx", xlsx_out)):
        result = runner.invoke(args=["report", str(round_id), "--format", fmt, "--out", str(out)])
        assert result.exit_code == 0, result.output
    book = load_workbook(xlsx_out)
    assert book.sheetnames == ["Findings", "Item table", "Domain gaps", "Differences"]
    sheet = book["Item table"]
    rows = list(sheet.iter_rows(min_row=3, values_only=True))
    header = rows[0]
    assert list(header) == COLUMNS
    by_key = {(r[1], r[2]): dict(zip(header, r)) for r in rows[1:]}
    with csv_out.open(newline="", encoding="utf-8") as fh:
        for expected in csv.DictReader(fh):
            got = by_key[expected["partner_type"], expected["item_id"]]
            for column in ("n_valid", "pct_positive", "positive_ci_low", "gap", "mean"):
                if expected[column] == "":
                    assert got[column] is None, (expected["partner_type"], column)
                elif column.startswith("pct") or column in ("gap", "positive_ci_low"):
                    assert round(got[column] * 100, 1) == float(expected[column])
                    assert sheet.cell(row=4, column=header.index(column) + 1).number_format \
                        == "0.0%"
                else:
                    assert round(float(got[column]), 2) == float(expected[column])
    hidden = by_key["gp", "comm_partners"]
    assert hidden["suppressed"] == "true" and hidden["pct_positive"] is None
    for ws in book.worksheets:
        for row in ws.iter_rows(values_only=True):
            for value in row:
                assert not (isinstance(value, str) and value.startswith("=")), (ws.title, value)
    labels = [r[1] for r in book["Domain gaps"].iter_rows(min_row=4, values_only=True)]
    assert "'=HYPERLINK(\"http://evil.example\")" in labels
