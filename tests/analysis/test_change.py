"""Change since a compared round."""

from __future__ import annotations

import pytest
from statsmodels.stats.proportion import confint_proportions_2indep, proportions_ztest

from surveyapp.analysis.change import change_table
from surveyapp.analysis.data import filter_frames
from surveyapp.analysis.report import build_report
from tests.analysis.factory import ITEMS, make_frames, many

OLD_ITEMS = ITEMS[:2] + (("q5", "talk", "I get feedback after a referral"),)


@pytest.fixture
def rounds():
    current = make_frames(
        many(30, "school", {"q1": 4, "q2": 4, "q3": 4}, locality="North")
        + many(10, "school", {"q1": 2, "q2": 4, "q3": 2}, locality="North")
        + many(30, "police", {"q1": 3, "q2": 4, "q3": 2}, locality="South"),
        min_group_size=10,
        labels={"school": "School", "police": "Police", "gp": "GP"},
    )
    compared = make_frames(
        many(10, "school", {"q1": 5, "q2": 4, "q5": 4}, locality="North")
        + many(30, "school", {"q1": 1, "q2": 4, "q5": 4}, locality="North")
        + many(4, "police", {"q1": 3, "q2": 4, "q5": 4}, locality="South")
        + many(20, "housing", {"q1": 4, "q2": 4, "q5": 4}, locality="South"),
        min_group_size=10,
        items=OLD_ITEMS,
        contrasts=(),
        round_id=7,
        title="Spring 2025",
        first_id=5001,
        labels={"school": "School", "police": "Police", "housing": "Housing"},
    )
    return current, compared


def cell(table, group, item):
    return table.loc[(table["partner_type"] == group) & (table["item_id"] == item)].iloc[0]


def test_change_matches_statsmodels_and_is_worded_after_adjustment(rounds):
    current, compared = rounds
    report = build_report(current, compared)
    school = cell(report.change, "school", "q1")
    assert school.status == "compared" and school.change == "improved"
    assert (school.pct_positive, school.compared_pct_positive) == (75, 25)
    assert school.difference == pytest.approx(50)
    low, high = confint_proportions_2indep(30, 40, 10, 40, method="newcomb", compare="diff")
    assert (school.ci_low, school.ci_high) == pytest.approx((100 * low, 100 * high))
    assert school.p_value == pytest.approx(proportions_ztest([30, 10], [40, 40])[1])
    assert school.p_adjusted >= school.p_value
    assert cell(report.change, "school", "q2").change == "no clear change"
    assert report.compared_round_id == 7 and report.compared_title == "Spring 2025"


def test_items_and_groups_in_one_round_only_are_labelled_not_compared(rounds):
    table = change_table(*rounds)
    assert cell(table, "all", "q3").status == "new"
    assert cell(table, "all", "q5").status == "dropped"
    assert cell(table, "gp", "q1").status == "not in compared round"
    assert cell(table, "housing", "q1").status == "not in this round"
    assert list(table["item_id"].unique()) == ["q1", "q2", "q3", "q4", "q5"]
    assert list(table["partner_type"].unique()) == ["all", "school", "police", "gp", "housing"]
    for status in ("new", "dropped", "not in compared round", "not in this round"):
        rows = table.loc[table["status"] == status]
        assert rows[["pct_positive", "compared_pct_positive", "difference"]].isna().all().all()


def test_group_hidden_in_the_compared_round_gets_no_change_figure(rounds):
    table = change_table(*rounds)
    police = cell(table, "police", "q1")
    # 4 police responses in the compared round: "now − change" would reveal them.
    assert police.status == "suppressed"
    assert (
        police[["pct_positive", "compared_pct_positive", "difference", "ci_low", "p_value"]]
        .isna()
        .all()
    )


def test_filtered_report_filters_the_compared_round_the_same_way(rounds):
    current, compared = rounds
    report = build_report(filter_frames(current, locality="North"), compared)
    school = cell(report.change, "school", "q1")
    assert (school.n_valid, school.compared_n_valid) == (40, 40)
    assert report.filters == {"locality": "North"}
