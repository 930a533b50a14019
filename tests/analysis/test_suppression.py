"""Suppression, attacked: try to recover hidden groups from every output, and fail."""

from __future__ import annotations

import csv
import io
import re

import numpy as np
import pandas as pd
import pytest

from surveyapp.analysis.data import ALL, filter_frames
from surveyapp.analysis.disclosure import DisclosureError
from surveyapp.analysis.export import item_table_csv
from surveyapp.analysis.metrics import (
    ITEM_COUNT_COLUMNS,
    ITEM_FIGURE_COLUMNS,
    contrast_table,
    domain_table,
    group_counts,
    item_table,
)
from surveyapp.analysis.report import build_report
from surveyapp.analysis.suppression import suppressed_label
from tests.analysis.attacker import Attacker
from tests.analysis.factory import make_frames, many, random_round


def hidden_groups(table, item="q1", by="partner_type"):
    rows = table.loc[table["item_id"] == item]
    return set(rows.loc[rows["suppressed"], by])


def test_small_group_and_the_next_smallest_are_hidden():
    frames = make_frames(
        many(3, "police", {"q1": 4})
        + many(12, "housing", {"q1": 2})
        + many(40, "school", {"q1": 5}),
        min_group_size=10,
    )
    table = item_table(frames)
    assert hidden_groups(table) == {"police", "housing", "gp", "health_visiting"}
    everyone = table.loc[(table["partner_type"] == ALL) & (table["item_id"] == "q1")].iloc[0]
    school = table.loc[(table["partner_type"] == "school") & (table["item_id"] == "q1")].iloc[0]
    # What all − school reveals is police and housing together: 15 answers, not 3.
    assert everyone.n_valid - school.n_valid == 15


def test_complementary_suppression_keeps_going_until_the_hidden_total_is_n():
    frames = make_frames(
        many(2, "police", {"q1": 4})
        + many(3, "gp", {"q1": 4})
        + many(4, "housing", {"q1": 4})
        + many(30, "school", {"q1": 2})
        + many(35, "health_visiting", {"q1": 2}),
        min_group_size=10,
    )
    table = item_table(frames)
    # 2 + 3 + 4 = 9 < 10, so the next smallest (school, 30) is hidden too.
    assert hidden_groups(table) == {"police", "gp", "housing", "school"}
    assert not table.loc[table["partner_type"] == "health_visiting", "suppressed"].iloc[0]


def test_everything_but_all_is_hidden_when_needed_and_all_below_n_hides_all():
    two = make_frames(
        many(3, "police", {"q1": 4}) + many(20, "school", {"q1": 2}), min_group_size=10
    )
    table = item_table(two)
    assert hidden_groups(table) == {"police", "school", "housing", "gp", "health_visiting"}
    assert not table.loc[
        (table["partner_type"] == ALL) & (table["item_id"] == "q1"), "suppressed"
    ].iloc[0]
    tiny = make_frames(
        many(2, "police", {"q1": 4}) + many(2, "school", {"q1": 2}), min_group_size=5
    )
    assert item_table(tiny)["suppressed"].all()


def test_groups_hidden_for_their_response_count_are_hidden_on_every_item():
    # Police (4 responses) answered q1 only. On q2 police holds no answer, so the item rule
    # alone would show every other group there; but n_responses repeats on each row, and
    # all − GP − school − health visiting would give police's 4 responses. GP, the next
    # smallest by responses, is hidden on every item; then on q2 GP would be the only
    # hidden cell holding answers, so school is hidden there too.
    frames = make_frames(
        many(4, "police", {"q1": 4})
        + many(11, "gp", {"q1": 3, "q2": 3})
        + many(30, "school", {"q1": 2, "q2": 2})
        + many(40, "health_visiting", {"q1": 5, "q2": 5}),
        min_group_size=5,
    )
    table = item_table(frames)
    assert table.loc[table["partner_type"] == "gp", "suppressed"].all()
    assert hidden_groups(table, "q2") == {"police", "gp", "school", "housing"}
    shown = table.loc[~table["suppressed"] & (table["partner_type"] != ALL)]
    everyone = table.loc[table["partner_type"] == ALL, "n_responses"].iloc[0]
    # What the shown response counts leave is police and GP together, not police alone.
    assert everyone - shown.drop_duplicates("partner_type")["n_responses"].sum() == 15


def test_suppressed_label():
    assert suppressed_label(10) == "fewer than 10 or withheld"


def test_filtered_view_cannot_be_subtracted_from_the_unfiltered_report():
    # School: 7 responses, 6 in North and 1 with no locality. Showing school-in-North
    # next to school overall would reveal the one school respondent without a locality.
    frames = make_frames(
        many(6, "school", {"q1": 4}, locality="North")
        + many(1, "school", {"q1": 1})
        + many(8, "police", {"q1": 2}, locality="North")
    )
    assert not hidden_groups(item_table(frames)) & {"school", "police"}
    north = item_table(filter_frames(frames, locality="North"))
    assert "school" in hidden_groups(north)


def test_suppressed_rows_carry_no_figure_in_any_table():
    frames = random_round(3)
    for by in ("partner_type", "locality", "role_level", "training"):
        table = item_table(frames, by)
        hidden = table.loc[table["suppressed"]]
        assert len(hidden) > 0
        assert hidden[list(ITEM_COUNT_COLUMNS + ITEM_FIGURE_COLUMNS)].isna().all().all()
        assert (hidden["n_label"] == suppressed_label(5)).all()
    domains = domain_table(frames)
    assert domains.loc[domains["suppressed"], ["n_valid", "gap"]].isna().all().all()
    contrasts = contrast_table(frames)
    assert contrasts.loc[contrasts["suppressed"], ["value", "ci_low"]].isna().all().all()


def parse_csv_as_item_table(text: str) -> pd.DataFrame:
    rows = list(csv.DictReader(io.StringIO(text)))
    table = pd.DataFrame(rows)
    table["n_valid"] = table["n_valid"].replace("", np.nan)
    return table


def views(frames):
    """The unfiltered round and every single-filter view of it."""
    out = [{}]
    for name in ("locality", "role_level", "training"):
        out += [{name: key} for key in frames.encoded.dims[name].keys if key != "not_stated"]
    return out


def attack_round(frames, compared=None):
    """Everything every view shows, fed to the attacker; returns the leaks and the number of
    hidden cells that held answers (so a test can check it attacked something)."""
    attacker = Attacker(frames)
    attacker_then = Attacker(compared) if compared is not None else None
    targets: dict[tuple, int] = {}
    for filters in views(frames):
        view = filter_frames(frames, **filters) if filters else frames
        try:
            report = build_report(view, compared)
        except DisclosureError:  # refused: the app shows nothing of it
            continue
        tables = {"partner_type": report.items, **report.breakdowns}
        for by, table in tables.items():
            attacker.add_item_table(table, by, filters)
            raw = group_counts(view, by).counts.sum(axis=-1).ravel()
            for (_, row), answered in zip(table.iterrows(), raw, strict=True):
                if row.suppressed:
                    targets[(by, row[by], row.item_id, tuple(filters.items()))] = int(answered)
        attacker.add_item_table(
            parse_csv_as_item_table(item_table_csv(report)), "partner_type", filters
        )
        attacker.add_domain_table(report.domains, "partner_type", filters)
        attacker.add_contrasts(report.contrasts, "partner_type", filters)
        attacker.add_differences(report.differences, "partner_type", filters)
        shown = report.items.loc[~report.items["suppressed"]]
        shown_cells = set(zip(shown["partner_type"], shown["item_id"], strict=True))
        for finding in report.findings.itertuples():
            if finding.kind in ("gap", "difference", "change"):
                assert (finding.partner_type, finding.item_id) in shown_cells
        for label in report.items.loc[report.items["suppressed"], "group_label"].unique():
            if (report.items["group_label"] == label).all() or label == "All respondents":
                continue
            fully_hidden = report.items.loc[
                report.items["group_label"] == label, "suppressed"
            ].all()
            if fully_hidden:
                assert not any(
                    re.search(rf"\b{label}\b", t, re.IGNORECASE) for t in report.findings["text"]
                )
        if report.change is not None and attacker_then is not None:
            changed = report.change.loc[report.change["status"] == "compared"]
            for row in changed.itertuples(index=False):
                group = attacker.cell("partner_type", row.partner_type, filters)
                attacker.add(attacker.vector(group, [row.item_id]))
                attacker_then.add(attacker_then.vector(group, [row.item_id]))
    leaks = attacker.leaked_cells(targets)
    if attacker_then is not None:
        compared_report = build_report(compared)
        attacker_then.add_item_table(compared_report.items, "partner_type", {})
        raw = group_counts(compared, "partner_type").counts.sum(axis=-1).ravel()
        then_targets = {
            ("partner_type", row.partner_type, row.item_id, ()): int(n)
            for row, n in zip(compared_report.items.itertuples(), raw, strict=True)
            if row.suppressed
        }
        leaks += attacker_then.leaked_cells(then_targets)
    return leaks, sum(1 for n in targets.values() if n > 0)


@pytest.mark.parametrize("seed", range(12))
def test_no_hidden_cell_can_be_solved_for_from_all_views(seed):
    leaks, attacked = attack_round(random_round(seed))
    assert attacked > 20
    assert leaks == []


@pytest.mark.parametrize("seed", range(3))
def test_no_hidden_cell_leaks_through_change_since_a_compared_round(seed):
    current = random_round(100 + seed)
    compared = random_round(200 + seed, n=90)
    leaks, attacked = attack_round(current, compared)
    assert attacked > 20
    assert leaks == []


def test_the_attacker_does_find_an_unprotected_cell():
    """The attack is real: without complementary suppression it recovers the small group."""
    frames = make_frames(
        many(3, "police", {"q1": 4})
        + many(12, "housing", {"q1": 2})
        + many(40, "school", {"q1": 5}),
        min_group_size=10,
    )
    attacker = Attacker(frames)
    table = item_table(frames)
    shown = table.loc[table["partner_type"] != "police"].copy()
    shown["n_valid"] = shown["n_valid"].fillna(1)  # pretend housing were shown
    attacker.add_item_table(shown, "partner_type", {})
    leaks = attacker.leaked_cells({("partner_type", "police", "q1", ()): 3})
    assert leaks == [("partner_type", "police", "q1", ())]
