"""The CSV export (product.md section 5), recomputed independently from the raw frames."""

from __future__ import annotations

import csv
import io
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction

import pytest
from statsmodels.stats.proportion import proportion_confint

from surveyapp.analysis.export import CSV_COLUMNS, item_table_csv, neutralise
from surveyapp.analysis.report import build_report
from surveyapp.demo.synthetic import synthetic_round
from tests.analysis.factory import make_frames, many

HEADER = (
    "round_id,partner_type,item_id,domain,n_responses,n_valid,n_dont_know,"
    "pct_strongly_disagree,pct_disagree,pct_neutral,pct_agree,pct_strongly_agree,"
    "pct_positive,pct_negative,gap,positive_ci_low,positive_ci_high,pct_dont_know,mean,"
    "suppressed"
)


def half_up(value: Fraction | float, places: int) -> str:
    exact = (
        Decimal(value.numerator) / Decimal(value.denominator)
        if isinstance(value, Fraction)
        else Decimal(repr(value))
    )
    return str(exact.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP))


def expected_row(frames, group: str, item: str, item_domain: str) -> dict[str, str]:
    """One CSV row worked out from the raw responses and answers, without the package."""
    responses = frames.responses
    if group != "all":
        responses = responses.loc[responses["partner_type"] == group]
    ids = set(responses["response_id"])
    answers = frames.answers.loc[
        frames.answers["response_id"].isin(ids) & (frames.answers["item_id"] == item)
    ]
    values = [
        int(v) for v, dk in zip(answers["value"], answers["dont_know"], strict=True) if not dk
    ]
    n, dk = len(values), int(answers["dont_know"].sum())
    level = [Fraction(100 * values.count(k), n) for k in range(1, 6)]
    positive = sum(v >= 4 for v in values)
    low, high = proportion_confint(positive, n, method="wilson")
    return {
        "round_id": str(frames.round_id),
        "partner_type": group,
        "item_id": item,
        "domain": item_domain,
        "n_responses": str(len(responses)),
        "n_valid": str(n),
        "n_dont_know": str(dk),
        **{c: half_up(p, 1) for c, p in zip(CSV_COLUMNS[7:12], level, strict=True)},
        "pct_positive": half_up(level[3] + level[4], 1),
        "pct_negative": half_up(level[0] + level[1], 1),
        "gap": half_up(100 - level[3] - level[4], 1),
        "positive_ci_low": half_up(100 * low, 1),
        "positive_ci_high": half_up(100 * high, 1),
        "pct_dont_know": half_up(Fraction(100 * dk, n + dk), 1),
        "mean": half_up(Fraction(sum(values), n), 2),
        "suppressed": "false",
    }


def test_csv_rows_recomputed_from_the_raw_frames():
    frames = synthetic_round(400, seed=3)
    text = item_table_csv(build_report(frames))
    assert text.splitlines()[0] == HEADER
    rows = list(csv.DictReader(io.StringIO(text)))
    groups = ["all", *frames.partner_type_labels]
    items = list(frames.items["item_id"])
    assert [(r["partner_type"], r["item_id"]) for r in rows] == [
        (g, i) for g in groups for i in items
    ]
    domain = dict(zip(frames.items["item_id"], frames.items["domain"], strict=True))
    suppressed = [r for r in rows if r["suppressed"] == "true"]
    assert 0 < len(suppressed) < len(rows)
    for row in suppressed:
        assert all(row[c] == "" for c in CSV_COLUMNS[4:-1])
    for row in rows:
        if row["suppressed"] == "false":
            assert row == expected_row(
                frames, row["partner_type"], row["item_id"], domain[row["item_id"]]
            )


def test_csv_uses_crlf_and_lowercase_booleans():
    text = item_table_csv(build_report(synthetic_round(60, seed=1)))
    assert text.endswith("\r\n") and "\r\n" in text
    assert {line.rsplit(",", 1)[1] for line in text.splitlines()[1:]} <= {"true", "false"}


@pytest.mark.parametrize(
    "text, safe",
    [
        ("=SUM(A1:A3)", "'=SUM(A1:A3)"),
        ("+1", "'+1"),
        ("-1", "'-1"),
        ("@cmd", "'@cmd"),
        ("\tx", "'\tx"),
        ("police", "police"),
        ("", ""),
        ("a=b", "a=b"),
    ],
)
def test_neutralise(text, safe):
    assert neutralise(text) == safe


def test_formula_like_slugs_are_neutralised_in_the_csv():
    frames = make_frames(many(12, "=cmd", {"q1": 4}), labels={"=cmd": "Formula"})
    rows = list(csv.DictReader(io.StringIO(item_table_csv(build_report(frames)))))
    assert {r["partner_type"] for r in rows} == {"all", "'=cmd"}
