"""Tests of difference against statsmodels and scipy."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy.stats import kruskal
from scipy.stats.contingency import association
from statsmodels.stats.multitest import multipletests
from statsmodels.stats.proportion import confint_proportions_2indep, proportions_ztest

from surveyapp.analysis.differences import (
    adjust_family,
    cramers_v,
    difference_table,
    kruskal_wallis,
    two_proportion_ztest,
    variation_table,
)
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
    assert variation.loc[0, "n_groups"] == 2 and variation.loc[0, "n_valid"] == 70


def test_kruskal_wallis_matches_scipy(frames):
    variation = variation_table(frames)
    q1 = variation.loc[variation["item_id"] == "q1"].iloc[0]
    groups = [[v for v in values if v != "dk"] for values in (SCHOOL, POLICE, HOUSING)]
    expected = kruskal(*groups)
    assert (q1.h, q1.p_value, q1.df) == pytest.approx((expected.statistic, expected.pvalue, 2))


def test_kruskal_wallis_with_no_spread_reports_no_test(frames):
    q2 = variation_table(frames).query("item_id == 'q2'").iloc[0]
    assert np.isnan(q2.h) and np.isnan(q2.p_value) and np.isnan(q2.cramers_v)
    h, df, p = kruskal_wallis(np.array([[[0, 0, 0, 5, 0]]]))  # one group only
    assert np.isnan(h[0]) and np.isnan(p[0])


def test_cramers_v_matches_scipy(frames):
    q1 = variation_table(frames).query("item_id == 'q1'").iloc[0]
    table = []
    for values in (SCHOOL, POLICE, HOUSING):
        valid = [v for v in values if v != "dk"]
        table.append(
            [sum(v <= 2 for v in valid), sum(v == 3 for v in valid), sum(v >= 4 for v in valid)]
        )
    assert q1.cramers_v == pytest.approx(association(np.array(table), method="cramer"))
    with_empty_column = np.array([[[3, 0, 4], [5, 0, 1]]])
    expected = association(np.array([[3, 4], [5, 1]]), method="cramer")
    assert cramers_v(with_empty_column)[0] == pytest.approx(expected)


def test_benjamini_hochberg_across_the_whole_family():
    a = pd.DataFrame({"p_value": [0.01, 0.04, np.nan, 0.03]})
    b = pd.DataFrame({"p_value": [0.002, 0.2]})
    out_a, none, out_b = adjust_family([a, None, b])
    assert none is None
    expected = multipletests([0.01, 0.04, 0.03, 0.002, 0.2], method="fdr_bh")[1]
    got = np.concatenate([out_a["p_adjusted"].dropna(), out_b["p_adjusted"]])
    assert got == pytest.approx(expected)
    assert np.isnan(out_a.loc[2, "p_adjusted"]) and not out_a.loc[2, "significant"]
    assert list(out_b["significant"]) == [True, False]
