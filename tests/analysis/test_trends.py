"""Trends across closed rounds: order, change, and suppression carried through unchanged."""

from datetime import date

import numpy as np
import pandas as pd
import pytest

from surveyapp.analysis.data import AnalysisError
from surveyapp.analysis.metrics import domain_table
from surveyapp.analysis.suppression import suppressed_label
from surveyapp.analysis.trends import NOT_IN_ROUND, SHOWN, SUPPRESSED, RoundGaps, trend_table
from tests.analysis.attacker import Attacker
from tests.analysis.factory import DOMAINS, ITEMS, LABELS, make_frames, many


def _frames(round_id: int, groups: dict[str, tuple[int, int]], **kwargs):
    """``groups``: partner type -> (agree, disagree) answers to q1 (domain ``talk``) only."""
    rows = []
    for partner, (agree, disagree) in groups.items():
        rows += many(agree, partner, {"q1": 4}) + many(disagree, partner, {"q1": 2})
    labels = {k: LABELS[k] for k in groups}
    return make_frames(rows, labels=labels, round_id=round_id, **kwargs)


# Round ids deliberately out of date order: the trend follows closing dates.
SPRING_2025 = _frames(7, {"school": (3, 3), "police": (1, 5)})
AUTUMN_2025 = _frames(5, {"school": (6, 2), "police": (2, 3), "gp": (0, 3)})
SPRING_2026 = _frames(3, {"school": (4, 1), "police": (3, 3), "housing": (1, 4)})
CLOSED = {7: date(2025, 5, 1), 5: date(2025, 11, 1), 3: date(2026, 5, 1)}


def _gaps(frames, version: int = 1) -> RoundGaps:
    return RoundGaps(
        round_id=frames.round_id,
        title=f"Round {frames.round_id}",
        closed_on=CLOSED[frames.round_id],
        instrument_version=version,
        min_group_size=frames.min_group_size,
        domains=domain_table(frames),
    )


@pytest.fixture(scope="module")
def trend():
    return trend_table([_gaps(f) for f in (SPRING_2026, SPRING_2025, AUTUMN_2025)])


def _line(trend, domain, group, column):
    rows = trend[(trend["domain"] == domain) & (trend["group"] == group)]
    return rows[column].tolist()


def test_rounds_are_ordered_by_closing_date_and_groups_all_first(trend):
    assert _line(trend, "talk", "all", "round_id") == [7, 5, 3]
    assert _line(trend, "talk", "all", "previous_round_id")[1:] == [7, 5]
    assert pd.isna(_line(trend, "talk", "all", "previous_round_id")[0])
    assert list(dict.fromkeys(trend["group"])) == ["all", "school", "police", "housing", "gp"]
    assert list(dict.fromkeys(trend["domain"])) == ["talk", "find", "share"]
    assert len(trend) == 3 * 5 * 3


def test_gaps_and_changes_worked_out_by_hand(trend):
    # all: 4 of 12 agree (gap 66.7), 8 of 16 (50), 8 of 16 (50)
    assert _line(trend, "talk", "all", "gap") == pytest.approx([200 / 3, 50, 50])
    assert _line(trend, "talk", "all", "n_valid") == [12, 16, 16]
    assert _line(trend, "talk", "all", "change")[1:] == pytest.approx([50 - 200 / 3, 0])
    # school: 3 of 6 (50), 6 of 8 (25), 4 of 5 (20): the gap closing by 25 then 5 points
    assert _line(trend, "talk", "school", "gap") == pytest.approx([50, 25, 20])
    assert _line(trend, "talk", "school", "change")[1:] == pytest.approx([-25, -5])
    assert np.isnan(_line(trend, "talk", "school", "change")[0])
    assert _line(trend, "talk", "housing", "gap")[2] == pytest.approx(80)
    assert _line(trend, "talk", "school", "n_label") == ["6", "8", "5"]


def test_a_group_hidden_in_a_round_stays_hidden_and_breaks_the_change(trend):
    # Autumn 2025: GP (3) is below 5, so police (5) is hidden too to protect it.
    police = trend[(trend["domain"] == "talk") & (trend["group"] == "police")]
    assert police["status"].tolist() == [SHOWN, SUPPRESSED, SHOWN]
    assert police["suppressed"].tolist() == [False, True, False]
    hidden = police.iloc[1]
    assert pd.isna(hidden["gap"]) and pd.isna(hidden["n_valid"])
    assert hidden["n_label"] == suppressed_label(5)
    # no change into or out of the hidden round: 50 − change would give the hidden gap
    assert police["change"].isna().all()
    assert _line(trend, "talk", "gp", "status") == [NOT_IN_ROUND, SUPPRESSED, NOT_IN_ROUND]
    assert _line(trend, "talk", "housing", "status") == [NOT_IN_ROUND, NOT_IN_ROUND, SHOWN]
    # nobody answered q2-q4, so those domains are hidden for everyone, all included
    assert (trend.loc[trend["domain"] != "talk", "status"] != SHOWN).all()
    assert trend.loc[trend["status"] != SHOWN, ["gap", "n_valid", "change"]].isna().all(axis=None)


def test_the_hidden_groups_cannot_be_solved_for_from_what_the_trend_shows(trend):
    """Everything the trend shows for autumn 2025, as equations, leaves GP and police unknown."""
    attacker = Attacker(AUTUMN_2025)
    shown = trend[(trend["round_id"] == 5) & (trend["status"] == SHOWN)]
    assert set(shown["group"]) == {"all", "school"}
    attacker.add_domain_table(shown.rename(columns={"group": "partner_type"}), "partner_type", {})
    basis = attacker._basis(attacker.rows)
    for group in ("gp", "police"):
        target = attacker.vector({"partner_type": group}, ["q1"])
        assert not attacker._in_span(target, basis), group
    # the pair together is determined (all − school), which is why each needs the other hidden
    pair = attacker.vector({"partner_type": "gp"}, ["q1"]) + attacker.vector(
        {"partner_type": "police"}, ["q1"]
    )
    assert attacker._in_span(pair, basis)


def test_domains_are_matched_by_key_across_versions():
    old = make_frames(
        many(6, "school", {"q1": 4, "q2": 2}) + many(6, "police", {"q1": 2, "q2": 4}),
        labels={"school": "School", "police": "Police"},
        round_id=7,
        items=ITEMS[:2],
        domains=DOMAINS[:2],
        contrasts=(),
    )
    new_domains = (("talk", "Talking to partners"), ("share", "Information sharing"))
    new = make_frames(
        many(5, "school", {"q1": 4, "q4": 4}) + many(5, "police", {"q1": 4, "q4": 2}),
        labels={"school": "School", "police": "Police"},
        round_id=5,
        items=(ITEMS[0], ITEMS[3]),
        domains=new_domains,
        contrasts=(),
    )
    trend = trend_table([_gaps(new, version=2), _gaps(old, version=1)])
    assert list(dict.fromkeys(trend["domain"])) == ["talk", "share", "find"]
    # the latest round's label wins; the dropped domain keeps its own
    assert set(trend.loc[trend["domain"] == "talk", "domain_label"]) == {"Talking to partners"}
    assert _line(trend, "talk", "school", "gap") == pytest.approx([0, 0])
    assert _line(trend, "talk", "police", "change")[1] == pytest.approx(-100)
    assert _line(trend, "share", "all", "status") == [NOT_IN_ROUND, SHOWN]
    assert _line(trend, "find", "all", "status") == [SHOWN, NOT_IN_ROUND]
    assert _line(trend, "talk", "all", "instrument_version") == [1, 2]


def test_refuses_a_table_with_figures_for_a_suppressed_group():
    table = domain_table(AUTUMN_2025)
    leaky = table.copy()
    leaky.loc[leaky["suppressed"], "gap"] = 12.5
    with pytest.raises(AnalysisError, match="suppressed"):
        trend_table([RoundGaps(5, "Leaky", date(2025, 1, 1), 1, 5, leaky)])
    with pytest.raises(AnalysisError, match="twice"):
        trend_table([_gaps(AUTUMN_2025), _gaps(AUTUMN_2025)])


def test_no_rounds_gives_an_empty_table():
    assert trend_table([]).empty


def test_chart_writes_only_shown_figures_and_says_what_moved(trend):
    from surveyapp.analysis import charts
    from tests.analysis.test_charts import texts

    for columns in (3, 1):
        chart = charts.trend_chart(trend, columns=columns)
        words = texts(chart.svg)
        # the only figures written are the gaps for all respondents (67%, 50%, 50%): none
        # for a hidden group, nor for domains where everyone is hidden
        assert sorted(w for w in words if w.endswith("%")) == ["50%", "50%", "67%"]
        # the legend names the groups shown somewhere, never GP (hidden in its one round)
        assert {"All respondents", "School", "Police", "Housing"} <= set(words)
        assert "GP" not in words
        assert "Talk" not in words and "Communication" in words
    assert chart.alt.startswith(
        "Line charts of the gap (% not agreeing) in each of 3 domains "
        "across 3 closed rounds, May 2025 to May 2026"
    )
    assert "fell most on Communication, from 67% to 50%" in chart.alt
