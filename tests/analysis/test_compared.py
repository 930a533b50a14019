"""The default compared round: the latest earlier closed round of the same instrument."""

from datetime import date

from surveyapp.analysis.compared import default_compared_round

JUNE_25, JAN_26, JUNE_26 = date(2025, 6, 30), date(2026, 1, 31), date(2026, 6, 30)


def test_the_latest_round_that_closed_before_this_one():
    closed = [(1, JUNE_25), (2, JUNE_26)]
    # Closing on 31 January 2026, round 2 (June 2026) is later: round 1 is the comparison.
    assert default_compared_round(JAN_26, closed) == 1
    assert default_compared_round(date(2026, 7, 1), closed) == 2


def test_a_round_closing_the_same_day_is_not_earlier():
    assert default_compared_round(JUNE_26, [(1, JUNE_25), (2, JUNE_26)]) == 1
    assert default_compared_round(JUNE_25, [(2, JUNE_25)]) is None


def test_without_a_closing_date_every_closed_round_is_earlier():
    assert default_compared_round(None, [(1, JUNE_25), (2, JUNE_26), (3, None)]) == 2


def test_closed_rounds_without_a_date_come_after_dated_ones_and_ties_go_to_the_newer_id():
    assert default_compared_round(JAN_26, [(4, None), (5, None)]) == 5
    assert default_compared_round(JAN_26, [(4, None), (1, JUNE_25)]) == 1
    assert default_compared_round(JAN_26, [(1, JUNE_25), (3, JUNE_25)]) == 3
    assert default_compared_round(JAN_26, []) is None
