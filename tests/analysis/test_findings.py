"""Findings in words."""

from __future__ import annotations

import pytest
from statsmodels.stats.proportion import proportion_confint

from surveyapp.analysis.findings import group_phrase, statement_clause
from surveyapp.analysis.metrics import round_half_up
from surveyapp.analysis.report import build_report
from surveyapp.demo.synthetic import synthetic_round
from tests.analysis.factory import make_frames, many


@pytest.mark.parametrize(
    "text, clause",
    [
        (
            "There is good communication between partners about children receiving early help "
            "services",
            "there is good communication between partners about children receiving "
            "early help services",
        ),
        (
            "When I ask for early help for a family, I am told what happened next",
            "when they ask for early help for a family, they are told what happened next",
        ),
        (
            "I know what I should do if the case is not appropriate for referral to specialist "
            "social services",
            "they know what they should do if the case is not appropriate for "
            "referral to specialist social services",
        ),
        (
            "I understand our local threshold (continuum of need) guidance",
            "they understand their local threshold (continuum of need) guidance",
        ),
        ("GP practices tell me what happened.", "GP practices tell them what happened"),
    ],
)
def test_statement_clause(text, clause):
    assert statement_clause(text) == clause


def test_group_phrase():
    assert group_phrase("police", "Police") == "police respondents"
    assert group_phrase("school", "School") == "school respondents"
    assert group_phrase("gp", "GP") == "GP respondents"
    assert (
        group_phrase("substance_misuse", "Substance misuse service")
        == "substance misuse service respondents"
    )
    assert group_phrase("all", "All respondents") == "respondents"


@pytest.fixture
def report():
    rows = (
        many(11, "police", {"q1": 2, "q2": 4, "q3": 2})
        + many(6, "police", {"q1": 4, "q2": 4, "q3": 4})
        + many(30, "school", {"q1": 4, "q2": 4, "q3": 4})
        + many(10, "school", {"q1": 1, "q2": 4, "q3": 1})
    )
    return build_report(make_frames(rows, min_group_size=5))


def test_gap_finding_wording_and_interval(report):
    gaps = report.findings.loc[report.findings["kind"] == "gap"]
    police = gaps.loc[(gaps["partner_type"] == "police") & (gaps["item_id"] == "q1")].iloc[0]
    low, high = proportion_confint(6, 17, method="wilson")
    expected = (
        f"65% of police respondents do not agree that there is good communication "
        f"between partners about children "
        f"(95% CI {round_half_up(100 - 100 * high):.0f}–"
        f"{round_half_up(100 - 100 * low):.0f}%)"
    )
    assert police.text == expected
    assert list(gaps["figure"]) == sorted(gaps["figure"], reverse=True)
    assert report.findings["rank"].tolist() == list(range(1, len(report.findings) + 1))
    assert (report.findings["kind"].iloc[: len(gaps)] == "gap").all()


def test_contrast_finding_only_when_its_interval_excludes_zero(report):
    contrasts = report.findings.loc[report.findings["kind"] == "contrast"]
    table = report.contrasts
    excludes_zero = table.loc[
        ~table["suppressed"] & ((table["ci_low"] > 0) | (table["ci_high"] < 0))
    ]
    assert len(contrasts) == len(excludes_zero) > 0
    first = contrasts.iloc[0]
    assert first.partner_type == "all"
    assert first.text.startswith(
        "Partners are more likely to agree that they know where to find early help services "
        "in the local area for children than for parents (+"
    )


def test_difference_findings_only_when_adjusted_p_is_small(report):
    differences = report.findings.loc[report.findings["kind"] == "difference"]
    assert len(differences) == int(report.differences["significant"].sum()) > 0
    assert (
        "Police respondents are less likely than other partners to agree that there is "
        "good communication" in " ".join(differences["text"])
    )


def test_synthetic_round_reads_like_the_seed():
    findings = build_report(synthetic_round(20_000, seed=4)).findings
    texts = list(findings["text"])
    assert any(
        t.startswith("6")
        and "of respondents do not agree that there is good "
        "communication between partners about children receiving early help services"
        in t
        for t in texts
    )
    assert any(
        t.startswith(
            "Partners are more likely to agree that they know where to find "
            "early help and prevention services in the local area for "
            "children than for parents (+1"
        )
        for t in texts
    )
