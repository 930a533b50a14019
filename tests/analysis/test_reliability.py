"""Cronbach's alpha."""

from __future__ import annotations

from dataclasses import replace
from statistics import variance

import pytest

from surveyapp.analysis.reliability import reliability_table
from tests.analysis.factory import make_frames, resp

ANSWERS = [(4, 5, 4), (2, 3, 3), (5, 5, 4), (3, 2, 2), (4, 4, 5), (1, 2, 1), (2, 2, 3)]


def hand_alpha(rows):
    k = len(rows[0])
    items = [variance([r[i] for r in rows]) for i in range(k)]
    totals = variance([sum(r) for r in rows])
    return k / (k - 1) * (1 - sum(items) / totals)


def frames_with(extra=()):
    items = (("a", "d", "A"), ("b", "d", "B"), ("c", "d", "C"), ("s", "e", "S"))
    rows = [resp("school", {"a": a, "b": b, "c": c, "s": 3}) for a, b, c in ANSWERS]
    return make_frames(
        rows + list(extra), items=items, domains=(("d", "D"), ("e", "E")), contrasts=()
    )


def test_alpha_matches_hand_computation_listwise():
    # A respondent with a "don't know" and one who skipped an item are left out.
    frames = frames_with(
        [resp("school", {"a": 5, "b": "dk", "c": 1}), resp("school", {"a": 1, "c": 5})]
    )
    table = reliability_table(frames)
    assert list(table["domain"]) == ["d"]  # single-item domain "e" has no alpha
    row = table.iloc[0]
    assert row.n_respondents == 7 and row.n_items == 3 and not row.suppressed
    assert row.alpha == pytest.approx(hand_alpha(ANSWERS))


def test_alpha_is_suppressed_below_the_minimum_group_size():
    frames = frames_with()
    table = reliability_table(replace(frames, min_group_size=8))
    assert table.iloc[0].suppressed and table["alpha"].isna().all()


def test_low_or_negative_alpha_is_flagged():
    # two statements answered in opposite directions: alpha is negative
    opposite = [(5, 1), (4, 2), (2, 4), (1, 5), (3, 3), (5, 2), (1, 4)]
    items = (("a", "d", "A"), ("b", "d", "B"))
    rows = [resp("school", {"a": a, "b": b}) for a, b in opposite]
    frames = make_frames(rows, items=items, domains=(("d", "D"),), contrasts=())
    row = reliability_table(frames).iloc[0]
    assert row.alpha == pytest.approx(hand_alpha(opposite)) and row.alpha < 0
    assert row.low_alpha
    consistent = reliability_table(frames_with()).iloc[0]
    assert consistent.alpha == pytest.approx(hand_alpha(ANSWERS)) and consistent.alpha >= 0.6
    assert not consistent.low_alpha
