"""Tests of difference against statsmodels and scipy."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy.stats import fisher_exact, kruskal
from statsmodels.stats.multitest import multipletests
from statsmodels.stats.proportion import confint_proportions_2indep, proportions_ztest

from surveyapp.analysis.differences import (
    adjust_within,
    compare_proportions,
    difference_table,
    kruskal_wallis,
    two_proportion_ztest,
    variation_table,
)
from surveyapp.analysis.report import build_report
from tests.analysis.factory import make_frames, many

SCHOOL = [5] * 12 + [4] * 18 + [3] * 4 + [2] * 4 + [1] * 2
POLICE = [5] * 3 + [4] * 7 + [3] * 6 + [2] * 10 + [1] * 4
HOUSING = [4] * 10 + [3] * 5 + [2] * 8 + ["dk"] * 2


def answers(values, item="q1"):
    return [{item: v} for v in values]


@pytest.fixture
def frames():
    rows = []
    for partner, values in (("school", SCHOOL), ("police", POLICE), ("housing", HOUSING)):
        for a in answers(values):
            rows += many(1, partner, {**a, "q2": 4})
    return make_frames(rows, min_group_size=10)


def positives(values):
    valid = [v for v in values if v != "dk"]
    return sum(v >= 4 for v in valid), len(valid)


def test_each_partner_type_against_all_others(frames):
    table = difference_table(frames)
    police = table.loc[(table["partner_type"] == "police") & (table["item_id"] == "q1")].iloc[0]
    x1, n1 = positives(POLICE)
    x2, n2 = positives(SCHOOL + HOUSING)
    assert (police.n_valid, police.others_n_valid) == (n1, n2)
    assert police.difference == pytest.approx(100 * (x1 / n1 - x2 / n2))
    low, high = confint_proportions_2indep(x1, n1, x2, n2, method="newcomb", compare="diff")
    assert (police.ci_low, police.ci_high) == pytest.approx((100 * low, 100 * high))
    z, p = proportions_ztest([x1, x2], [n1, n2])
    assert (police.z, police.p_value) == pytest.approx((z, p))


def test_no_test_when_everyone_agrees(frames):
    table = difference_table(frames)
    q2 = table.loc[table["item_id"] == "q2"]
    assert len(q2) == 3 and q2["p_value"].isna().all() and (q2["difference"] == 0).all()
    z, p = two_proportion_ztest(np.array([0]), np.array([0]), np.array([3]), np.array([5]))
    assert np.isnan(z[0]) and np.isnan(p[0])


def test_suppressed_groups_take_no_part():
    small = make_frames(
        [
            *many(40, "school", {"q1": 4}),
            *many(30, "police", {"q1": 2}),
            *many(12, "housing", {"q1": 5}),
            *many(3, "gp", {"q1": 4}),
        ],
        min_group_size=10,
    )
    table = difference_table(small)
    # GP (3) is hidden, and housing (12, the next smallest) with it.
    assert set(table["partner_type"]) == {"school", "police"}
    variation = variation_table(small)
    # hidden groups take part only as one group of 15 together, never on their own
    assert variation.loc[0, "n_groups"] == 2 and variation.loc[0, "n_valid"] == 85
    assert variation.loc[0, "df"] == 2


def test_kruskal_wallis_matches_scipy(frames):
    variation = variation_table(frames)
    q1 = variation.loc[variation["item_id"] == "q1"].iloc[0]
    groups = [[v for v in values if v != "dk"] for values in (SCHOOL, POLICE, HOUSING)]
    expected = kruskal(*groups)
    assert (q1.h, q1.p_value, q1.df) == pytest.approx((expected.statistic, expected.pvalue, 2))


def test_kruskal_wallis_with_no_spread_reports_no_test(frames):
    q2 = variation_table(frames).query("item_id == 'q2'").iloc[0]
    assert np.isnan(q2.h) and np.isnan(q2.p_value) and np.isnan(q2.epsilon_squared)
    h, df, p = kruskal_wallis(np.array([[[0, 0, 0, 5, 0]]]))  # one group only
    assert np.isnan(h[0]) and np.isnan(p[0])


def test_kruskal_wallis_effect_size_is_epsilon_squared_of_the_same_test(frames):
    q1 = variation_table(frames).query("item_id == 'q1'").iloc[0]
    groups = [[v for v in values if v != "dk"] for values in (SCHOOL, POLICE, HOUSING)]
    n = sum(len(g) for g in groups)  # 40 + 30 + 23
    assert n == 93 and q1.n_valid == 93
    assert q1.epsilon_squared == pytest.approx(kruskal(*groups).statistic / (n - 1))


def test_kruskal_wallis_takes_hidden_groups_together_as_the_pairwise_tests_do():
    small = make_frames(
        [
            *many(40, "school", {"q1": 4}),
            *many(6, "school", {"q1": 2}),
            *many(30, "police", {"q1": 2}),
            *many(12, "housing", {"q1": 5}),
            *many(3, "gp", {"q1": 1}),
        ],
        min_group_size=10,
    )
    q1 = variation_table(small).iloc[0]
    # GP (3) is hidden and housing (12) with it; together they are one more group of 15
    groups = [[4] * 40 + [2] * 6, [2] * 30, [5] * 12 + [1] * 3]
    expected = kruskal(*groups)
    assert q1.n_groups == 2 and q1.n_valid == 91 and q1.df == 2
    assert (q1.h, q1.p_value) == pytest.approx((expected.statistic, expected.pvalue))
    pairwise = difference_table(small).query("partner_type == 'police'").iloc[0]
    assert pairwise.n_valid + pairwise.others_n_valid == q1.n_valid  # the same respondents


def test_small_expected_counts_use_fishers_exact_test():
    # 2 of 6 agree against 30 of 40: expected agreeing in the small group 6 * 32/46 = 4.2 < 5
    z, p, exact = compare_proportions(
        np.array([2, 30]), np.array([6, 60]), np.array([30, 20]), np.array([40, 60])
    )
    assert list(exact) == [True, False]
    assert p[0] == pytest.approx(fisher_exact([[2, 4], [30, 10]]).pvalue)
    assert p[1] == pytest.approx(proportions_ztest([30, 20], [60, 60])[1])


def test_benjamini_hochberg_within_each_family():
    table = pd.DataFrame(
        {"item_id": ["a", "a", "a", "b", "b"], "p_value": [0.01, 0.04, np.nan, 0.002, 0.2]}
    )
    out = adjust_within(table, "item_id")
    a = multipletests([0.01, 0.04], method="fdr_bh")[1]
    b = multipletests([0.002, 0.2], method="fdr_bh")[1]
    assert list(out["p_adjusted"].dropna()) == pytest.approx([*a, *b])
    assert np.isnan(out.loc[2, "p_adjusted"]) and not out.loc[2, "significant"]
    one = adjust_within(table)
    assert list(one["p_adjusted"].dropna()) == pytest.approx(
        multipletests([0.01, 0.04, 0.002, 0.2], method="fdr_bh")[1]
    )
    assert adjust_within(None) is None


def test_a_compared_round_never_changes_which_partner_differences_are_called(frames):
    earlier = make_frames(
        [*many(30, "school", {"q1": 2, "q2": 4}), *many(30, "police", {"q1": 5, "q2": 4})],
        min_group_size=10,
        round_id=99,
    )
    alone = build_report(frames)
    compared = build_report(frames, earlier)
    assert compared.change is not None and compared.change["significant"].any()
    columns = ["partner_type", "item_id", "p_adjusted", "significant"]
    pd.testing.assert_frame_equal(alone.differences[columns], compared.differences[columns])
    pd.testing.assert_frame_equal(alone.variation, compared.variation)
