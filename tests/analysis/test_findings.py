"""Findings in words."""

from __future__ import annotations

import pandas as pd
import pytest
from statsmodels.stats.contingency_tables import mcnemar
from statsmodels.stats.multitest import multipletests
from statsmodels.stats.proportion import proportion_confint

from surveyapp.analysis.findings import _change_findings, group_phrase, statement_clause
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
        f"(17 people answered; likely between {round_half_up(100 - 100 * high):.0f}% and "
        f"{round_half_up(100 - 100 * low):.0f}%)"
    )
    assert police.text == expected
    assert list(gaps["figure"]) == sorted(gaps["figure"], reverse=True)
    assert report.findings["rank"].tolist() == list(range(1, len(report.findings) + 1))
    assert (report.findings["kind"].iloc[: len(gaps)] == "gap").all()


def test_contrast_finding_only_when_mcnemars_test_survives_its_family(report):
    contrasts = report.findings.loc[report.findings["kind"] == "contrast"]
    table = report.contrasts.set_index("partner_type")
    # complete pairs: 21 respondents agree on children only (11 police, 10 school), none on
    # parents only; police 11 vs 0, school 10 vs 0
    for group, pairs in (("all", [[36, 21], [0, 0]]), ("police", [[6, 11], [0, 0]])):
        assert table.loc[group, "p_value"] == pytest.approx(mcnemar(pairs, exact=True).pvalue)
    raw = [mcnemar(t, exact=True).pvalue for t in ([[36, 21], [0, 0]], [[6, 11], [0, 0]])]
    raw.append(mcnemar([[30, 10], [0, 0]], exact=True).pvalue)
    adjusted = multipletests(raw, method="fdr_bh")[1]
    assert list(table.loc[["all", "police", "school"], "p_adjusted"]) == pytest.approx(adjusted)
    assert len(contrasts) == int(report.contrasts["significant"].sum()) == 3
    first = contrasts.iloc[0]
    assert first.partner_type == "all"
    assert first.text == (
        "Partners are more likely to agree that they know where to find early help services "
        "in the local area for children than for parents (100% compared with 63%)"
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
            "children than for parents ("
        )
        for t in texts
    )


def test_no_gap_is_quoted_from_a_heatmap_cell_that_is_hidden():
    """Police answered q2 often enough (12) but q3 too rarely (3): their "find" domain cell is
    hidden in the heatmap, so q2's police gap, shown in its own table, is not a headline."""
    rows = (
        many(9, "police", {"q1": 2, "q2": 1, "q3": "dk"})
        + many(3, "police", {"q1": 2, "q2": 1, "q3": 2})
        + many(30, "school", {"q1": 4, "q2": 4, "q3": 4})
        + many(20, "housing", {"q1": 4, "q2": 5, "q3": 4})
    )
    report = build_report(make_frames(rows, min_group_size=10))
    items = report.items.set_index(["partner_type", "item_id"])
    assert not items.loc[("police", "q2"), "suppressed"]  # 12 answers: the table shows it
    domains = report.domains.set_index(["partner_type", "domain"])
    assert domains.loc[("police", "find"), "suppressed"]  # the heatmap hides the cell
    gaps = report.findings.loc[report.findings["kind"] == "gap"]
    quoted = set(zip(gaps["partner_type"], gaps["item_id"], strict=True))
    assert ("police", "q2") not in quoted
    assert ("police", "q1") in quoted  # the police "talk" cell is shown, so is its gap
    assert gaps.iloc[0]["text"].startswith("100% of police respondents do not agree")


@pytest.mark.parametrize(
    ("then", "now", "words"),
    [
        (33.2, 39.1, "from 33% to 39%"),
        # a clear change inside one whole point: enough decimals that the figures differ
        (54.4, 53.6, "from 54.4% to 53.6%"),
        (54.45, 54.35, "from 54.5% to 54.4%"),  # half up, as every figure
    ],
)
def test_a_change_finding_never_reads_as_no_change(then, now, words):
    change = pd.DataFrame(
        {
            "partner_type": ["all"],
            "group_label": ["All respondents"],
            "item_id": ["comm_partners"],
            "change": ["worsened" if now < then else "improved"],
            "difference": [now - then],
            "compared_pct_positive": [then],
            "pct_positive": [now],
        }
    )
    (finding,) = _change_findings(change, {"comm_partners": "Partners communicate well"}, "Spring")
    assert finding["text"].endswith(f"since Spring ({words})")
