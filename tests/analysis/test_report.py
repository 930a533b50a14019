"""The report entry point."""

from __future__ import annotations

import pytest

from surveyapp.analysis.data import AnalysisError, filter_frames
from surveyapp.analysis.report import build_report
from surveyapp.demo.synthetic import synthetic_round


@pytest.fixture(scope="module")
def rounds():
    return (
        synthetic_round(3000, seed=11, round_id=2, title="Autumn 2026"),
        synthetic_round(
            2500, seed=12, round_id=1, title="Spring 2026", item_shift={"comm_partners": -0.5}
        ),
    )


def test_report_holds_every_output(rounds):
    report = build_report(*rounds)
    assert (report.round_id, report.title, report.compared_title) == (
        2,
        "Autumn 2026",
        "Spring 2026",
    )
    assert set(report.breakdowns) == {"locality", "role_level", "training"}
    assert len(report.items) == 15 * (1 + len(rounds[0].partner_type_labels))
    assert set(report.methods["cronbach_alpha"]) == {
        "communication",
        "pathways",
        "thresholds",
        "parental_needs",
    }
    assert all(0 < a < 1 for a in report.methods["cronbach_alpha"].values())
    tested = sum(
        int(t["p_value"].notna().sum())
        for t in (report.differences, report.variation, report.change)
    )
    assert report.methods["n_tests"] == tested
    assert report.findings["kind"].iloc[0] == "gap"
    improved = report.change.loc[
        (report.change["partner_type"] == "all") & (report.change["item_id"] == "comm_partners")
    ]
    assert improved["change"].iloc[0] == "improved"
    assert (report.domain_ranking["partner_type"] != "all").all()


def test_filtered_report(rounds):
    report = build_report(filter_frames(rounds[0], training="yes"), rounds[1])
    assert set(report.breakdowns) == {"locality", "role_level"}
    assert report.filters == {"training": "yes"}
    with pytest.raises(AnalysisError, match="filtered differently"):
        build_report(
            filter_frames(rounds[0], training="yes"), filter_frames(rounds[1], training="no")
        )


def test_small_synthetic_round_suppresses_small_partner_types():
    report = build_report(synthetic_round(300, seed=1))
    hidden = set(report.items.loc[report.items["suppressed"], "partner_type"])
    assert {"substance_misuse", "domestic_abuse_service"} <= hidden
    assert not report.items.loc[report.items["partner_type"] == "all", "suppressed"].any()
