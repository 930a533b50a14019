"""Item table, domain gaps and contrasts against counts worked out by hand, and the
intervals against statsmodels and a published example."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from statsmodels.stats.proportion import confint_proportions_2indep, proportion_confint

from surveyapp.analysis.metrics import (
    contrast_table,
    domain_ranking,
    domain_table,
    item_table,
    newcombe_interval,
    newcombe_paired_interval,
    round_half_up,
    wilson_interval,
)
from tests.analysis.factory import make_frames, many, resp


@pytest.fixture
def hand():
    """Police: 6 responses, school: 10; housing, GP and health visiting: none."""
    police_q1 = [1, 2, 4, 4, 5, "dk"]
    police_q2 = [5, 5, 4, 3, 2, 1]
    rows = [
        resp("police", {"q1": a, "q2": b, "q3": "dk"})
        for a, b in zip(police_q1, police_q2, strict=True)
    ]
    rows += [
        resp("school", {"q1": 4, "q2": 4 if k < 5 else 2, "q3": 3, "q4": 5}) for k in range(10)
    ]
    return make_frames(rows)


def row(table, group, item, by="partner_type"):
    found = table.loc[(table[by] == group) & (table["item_id"] == item)]
    assert len(found) == 1
    return found.iloc[0]


def test_item_table_matches_hand_counts(hand):
    table = item_table(hand)
    police = row(table, "police", "q1")
    assert (police.n_responses, police.n_valid, police.n_dont_know) == (6, 5, 1)
    assert [
        police.pct_strongly_disagree,
        police.pct_disagree,
        police.pct_neutral,
        police.pct_agree,
        police.pct_strongly_agree,
    ] == pytest.approx([20, 20, 0, 40, 20])
    assert police.pct_positive == pytest.approx(60)
    assert police.pct_negative == pytest.approx(40)
    assert police.gap == pytest.approx(40)
    assert police.pct_dont_know == pytest.approx(100 / 6)
    assert police["mean"] == pytest.approx(3.2)
    low, high = proportion_confint(3, 5, alpha=0.05, method="wilson")
    assert (police.positive_ci_low, police.positive_ci_high) == pytest.approx(
        (100 * low, 100 * high)
    )
    assert police.n_label == "5" and not police.suppressed

    school = row(table, "school", "q1")
    assert (school.n_valid, school.pct_agree, school.gap, school["mean"]) == (10, 100, 0, 4)
    everyone = row(table, "all", "q1")
    assert (everyone.n_responses, everyone.n_valid, everyone.n_dont_know) == (16, 15, 1)
    assert everyone.pct_positive == pytest.approx(100 * 13 / 15)
    assert everyone.pct_dont_know == pytest.approx(100 / 16)

    q2 = row(table, "police", "q2")
    assert q2.pct_positive == pytest.approx(50) and q2["mean"] == pytest.approx(20 / 6)
    assert row(table, "school", "q2").pct_negative == pytest.approx(50)


def test_item_table_layout_all_first_then_partner_types_in_label_order(hand):
    table = item_table(hand)
    assert list(table.columns) == [
        "partner_type",
        "group_label",
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
        "n_label",
    ]
    groups = ["all", "school", "police", "housing", "gp", "health_visiting"]
    assert list(table["partner_type"]) == [g for g in groups for _ in range(4)]
    assert list(table["item_id"][:4]) == ["q1", "q2", "q3", "q4"]
    assert str(table["n_valid"].dtype) == "Int64"


def test_all_dont_know_item_is_suppressed_with_its_partner(hand):
    table = item_table(hand)
    police, school = row(table, "police", "q3"), row(table, "school", "q3")
    # Police gave only "don't know": no valid answers. School is hidden with it, or
    # all − school would give police's "don't know" count.
    assert police.suppressed and school.suppressed
    assert police.n_label == "fewer than 5 or withheld"
    assert pd.isna(police.n_dont_know) and pd.isna(police.pct_dont_know)
    assert not row(table, "all", "q3").suppressed


def test_item_nobody_answered_and_groups_without_responses(hand):
    table = item_table(hand)
    # Nobody in police answered q4 and housing/GP have no responses: hidden, no partner
    # needed, so school's q4 stays visible.
    assert row(table, "police", "q4").suppressed
    assert row(table, "gp", "q1").suppressed and pd.isna(row(table, "gp", "q1").n_responses)
    assert not row(table, "school", "q4").suppressed
    nobody = make_frames(many(8, "school", {"q1": 4}))
    q2 = item_table(nobody).query("item_id == 'q2'")
    assert q2["suppressed"].all() and q2["pct_positive"].isna().all()


def test_one_respondent_hides_everything():
    table = item_table(make_frames([resp("school", {"q1": 5, "q2": 1})]))
    assert table["suppressed"].all()
    figures = table.drop(
        columns=["partner_type", "group_label", "item_id", "domain", "suppressed", "n_label"]
    )
    assert figures.isna().all().all()


def test_breakdowns_use_the_same_function(hand):
    rows = (
        many(6, "school", {"q1": 4}, locality="North", role_level="frontline", training="yes")
        + many(7, "police", {"q1": 2}, locality="South", role_level="manager", training="no")
        + many(5, "police", {"q1": 5}, training="not_sure")
    )
    frames = make_frames(rows)
    by_locality = item_table(frames, by="locality").query("item_id == 'q1'")
    assert list(by_locality["locality"]) == ["all", "North", "South", "not_stated"]
    assert list(by_locality["group_label"]) == ["All respondents", "North", "South", "Not stated"]
    assert list(by_locality["n_valid"]) == [18, 6, 7, 5]
    assert row(by_locality, "not_stated", "q1", "locality").pct_positive == 100
    by_role = item_table(frames, by="role_level").query("item_id == 'q1'")
    assert list(by_role["role_level"]) == ["all", "frontline", "manager", "not_stated"]
    assert list(by_role["pct_positive"]) == pytest.approx([100 * 11 / 18, 100, 0, 100])
    by_training = item_table(frames, by="training").query("item_id == 'q1'")
    assert list(by_training["training"]) == ["all", "yes", "no", "not_sure"]


def test_domain_gap_pools_valid_answers(hand):
    domains = domain_table(hand)
    talk = domains.loc[(domains["partner_type"] == "police") & (domains["domain"] == "talk")]
    assert talk.iloc[0].gap == pytest.approx(40) and talk.iloc[0].n_valid == 5
    find = domains.loc[(domains["partner_type"] == "all") & (domains["domain"] == "find")]
    # q2: 16 valid, 8 positive (police 5, 5, 4; school five 4s); q3: 10 valid, 0 positive.
    assert find.iloc[0].n_valid == 26
    assert find.iloc[0].gap == pytest.approx(100 - 100 * 8 / 26)
    # Police and school are hidden on q3, so their pooled "find" figure is hidden too.
    hidden = domains.loc[(domains["domain"] == "find") & (domains["partner_type"] != "all")]
    assert hidden["suppressed"].all() and hidden["gap"].isna().all()


def test_domain_ranking_excludes_all_and_suppressed(hand):
    ranking = domain_ranking(domain_table(hand))
    assert set(ranking["partner_type"]) == {"police", "school"}
    assert list(ranking["gap"]) == sorted(ranking["gap"], reverse=True)
    assert ranking["rank"].iloc[0] == 1
    assert not ((ranking["partner_type"] == "police") & (ranking["domain"] == "find")).any()


def test_contrast_value_and_paired_interval(hand):
    contrasts = contrast_table(hand)
    everyone = contrasts.loc[contrasts["partner_type"] == "all"].iloc[0]
    assert everyone.pct_a == pytest.approx(50) and everyone.pct_b == pytest.approx(0)
    assert everyone.value == pytest.approx(50)
    # Pairs (both valid): the 10 school respondents; 5 positive on q2 only, 5 on neither.
    low, high = newcombe_paired_interval(8, 16, 0, 10, np.array([0, 5, 0, 5]))
    assert (everyone.ci_low, everyone.ci_high) == pytest.approx((100 * low, 100 * high))
    assert contrasts.loc[contrasts["partner_type"] != "all", "suppressed"].all()


def test_wilson_matches_statsmodels():
    for n in (1, 5, 17, 250):
        for x in sorted({0, 1, n // 3, n // 2, n - 1, n}):
            expected = proportion_confint(x, n, alpha=0.05, method="wilson")
            low, high = wilson_interval(np.array([x]), np.array([n]))
            assert (low[0], high[0]) == pytest.approx(expected, abs=1e-12)


@pytest.mark.parametrize(
    "x1, n1, x2, n2",
    [
        (7, 34, 1, 34),
        (0, 16, 15, 72),
        (56, 70, 48, 80),
        (9, 10, 3, 10),
        (0, 10, 0, 20),
        (12, 12, 3, 40),
    ],
)
def test_newcombe_matches_statsmodels(x1, n1, x2, n2):
    expected = confint_proportions_2indep(x1, n1, x2, n2, method="newcomb", compare="diff")
    assert newcombe_interval(x1, n1, x2, n2) == pytest.approx(expected, abs=1e-12)


def test_paired_newcombe_matches_published_example():
    # Fagerland, Lydersen & Laake (2017), Cavo et al. (2012): n11=59, n12=6, n21=16, n22=80;
    # Newcombe square-and-add interval -0.1186 to -0.0046 for pi_1+ - pi_+1 = -0.0621.
    table = np.array([59, 6, 16, 80])
    low, high = newcombe_paired_interval(65, 161, 75, 161, table)
    assert (low, high) == pytest.approx((-0.1186, -0.0046), abs=5e-5)


def test_paired_without_overlap_is_the_independent_interval():
    paired = newcombe_paired_interval(30, 50, 20, 60, np.zeros(4))
    assert paired == pytest.approx(newcombe_interval(30, 50, 20, 60))


def test_round_half_up():
    assert round_half_up(6.25, 1) == 6.3
    assert round_half_up(100 * 7 / 2000, 1) == 0.4
    assert round_half_up(2.5) == 3.0
    # float noise never carries a half down (the table shows 57.5, a sentence must say 58)
    assert round_half_up(57.49999999999999) == 58.0
    assert round_half_up((1 - 17 / 40) * 100) == 58.0  # 57.49999999999999; the table says 57.5
    assert round_half_up(57.4999) == 57.0
    assert round_half_up(66.49) == 66.0
    assert round_half_up(2.675, 2) == 2.68
