"""Disclosure control across views, attacked: subtract any views from each other, and fail."""

from __future__ import annotations

import numpy as np
import pytest

from surveyapp.analysis import disclosure
from surveyapp.analysis.data import filter_frames
from surveyapp.analysis.report import build_report
from tests.analysis.attacker import Attacker, atom_counts, leaked_atoms, small_combinations
from tests.analysis.factory import ITEMS, LABELS, make_frames, many, resp

REFUSED_10 = (
    "This view is not shown because it could be compared with another view to reveal fewer "
    "than 10 people's answers."
)


def issue_round():
    """Issue 12: 30 North respondents trained, 24 South untrained, one South trained."""
    return make_frames(
        many(30, "school", {"q1": 4, "q2": 4}, locality="North", training="yes")
        + many(24, "school", {"q1": 2, "q2": 2}, locality="South", training="no")
        + many(1, "school", {"q1": 1, "q2": 5}, locality="South", training="yes"),
        min_group_size=10,
    )


def shown_views(frames):
    """Every view the app offers for the round, as (filters, report), refused ones left out."""
    out = [({}, build_report(frames))]
    for name in ("locality", "role_level", "training"):
        for key in frames.encoded.dims[name].keys:
            if key == "not_stated":
                continue
            try:
                out.append(({name: key}, build_report(filter_frames(frames, **{name: key}))))
            except disclosure.DisclosureError:
                assert (name, key) in out[0][1].refused
    return out


def attack(frames):
    """Feed every shown figure of every view to the attacker; what can it single out?"""
    attacker = Attacker(frames)
    for filters, report in shown_views(frames):
        for by, table in {"partner_type": report.items, **report.breakdowns}.items():
            attacker.add_item_table(table, by, filters)
        attacker.add_domain_table(report.domains, "partner_type", filters)
        attacker.add_contrasts(report.contrasts, "partner_type", filters)
        attacker.add_differences(report.differences, "partner_type", filters)
    valid, answered, _ = atom_counts(attacker, frames)
    n = frames.min_group_size
    return (
        leaked_atoms(attacker, frames),
        small_combinations(attacker.cells, valid, answered, attacker.items, n),
        attacker,
    )


def test_the_issue_case_cannot_be_differenced():
    frames = issue_round()
    whole = build_report(frames)
    # the two views of the issue are never both shown; here the smaller of the two clashing
    # pairs' finer cells (training "no", 24, which South minus one is) goes, and with it
    # "yes", which the whole round minus "no" would give
    assert whole.refused == {("training", "yes"), ("training", "no")}
    for name, value in whole.refused:
        with pytest.raises(disclosure.DisclosureError) as refused:
            build_report(filter_frames(frames, **{name: value}))
        assert str(refused.value) == REFUSED_10
    north = build_report(filter_frames(frames, locality="North")).items
    row = north.loc[(north["partner_type"] == "all") & (north["item_id"] == "q1")].iloc[0]
    assert row["n_valid"] == 30
    # the unfiltered training breakdown is hidden too: 31 and 24 appear nowhere
    for _, report in shown_views(frames):
        for table in (report.items, *report.breakdowns.values()):
            assert not {31, 24} & set(table["n_valid"].dropna().astype(int))
    atoms, combos, _ = attack(frames)
    assert atoms == [] and combos == []


def test_without_disclosure_control_the_attacker_recovers_the_issue_person():
    """The attack is real: showing both views hands over the one South trainee's answers."""
    frames = issue_round()
    attacker = Attacker(frames)
    for shown in ({"training": "yes"}, {"locality": "North"}):  # 31 and 30 people
        for item in ("q1", "q2"):
            attacker.add(attacker.vector(shown, [item]))
            attacker.cells.setdefault(item, set()).add(tuple(attacker.atom_mask(shown)))
    valid, answered, _ = atom_counts(attacker, frames)
    combos = small_combinations(attacker.cells, valid, answered, attacker.items, 10)
    assert {item for item, _, n in combos if n == 1} == {"q1", "q2"}
    assert leaked_atoms(attacker, frames) != []


def test_refused_views_are_not_offered_and_say_why():
    assert disclosure.REFUSED.format(n=10) == REFUSED_10
    frames = issue_round()
    assert disclosure.refusal(filter_frames(frames, training="yes")) == REFUSED_10
    assert disclosure.refusal(frames) is None
    assert disclosure.refusal(filter_frames(frames, locality="North")) is None
    # a view that is merely small is shown (every cell suppressed), not refused
    small = make_frames(
        many(40, "school", {"q1": 4}, locality="North")
        + many(3, "school", {"q1": 2}, locality="East"),
        min_group_size=10,
    )
    assert disclosure.refusal(filter_frames(small, locality="East")) is None
    assert build_report(small).refused == frozenset()


def aligned_round(seed: int, n: int = 160, min_group_size: int = 5):
    """A random round whose dimensions nearly coincide (locality mostly decides training and
    role level), with a few people off the pattern: the shape that lets one filter be
    subtracted from another."""
    rng = np.random.default_rng(seed)
    partners = list(LABELS)[: int(rng.integers(2, 5))]
    localities = ["North", "South", "East"][: int(rng.integers(2, 4))]
    trained = {loc: str(rng.choice(["yes", "no", "not_sure"])) for loc in localities}
    role = {loc: str(rng.choice(["frontline", "manager"])) for loc in localities}
    off = rng.uniform(0.005, 0.06)
    rows = []
    for _ in range(n):
        loc = str(rng.choice(localities))
        training = trained[loc] if rng.random() > off else str(rng.choice(["yes", "no"]))
        role_level = role[loc] if rng.random() > off else None
        answers: dict[str, int | str] = {}
        for item, _, _ in ITEMS:
            draw = rng.random()
            if draw < 0.04:
                continue
            answers[item] = "dk" if draw < 0.1 else int(rng.integers(1, 6))
        rows.append(resp(str(rng.choice(partners)), answers, loc, role_level, training))
    return make_frames(rows, min_group_size=min_group_size, labels={p: LABELS[p] for p in partners})


#: Seeds where, before the check of three cells (disclosure._triple_victims), a sum and
#: difference of three shown cells singled out fewer than N people.
TRIPLE_LEAKS = (4, 6, 9)


@pytest.mark.parametrize("seed", range(24))
def test_random_aligned_rounds_give_nothing_away(seed):
    frames = aligned_round(seed, n=160 if seed < 12 else 400, min_group_size=5 if seed % 2 else 10)
    atoms, combos, attacker = attack(frames)
    assert sum(len(cells) for cells in attacker.cells.values()) > 20  # it attacked something
    assert atoms == []
    assert combos == []


@pytest.mark.parametrize("seed", TRIPLE_LEAKS)
def test_without_the_three_cell_check_the_attacker_finds_those_rounds_leaks(seed, monkeypatch):
    """The attack can fail: with the check of three cells switched off, each of these rounds
    shows three cells whose sum and difference is a group of fewer than N people."""
    monkeypatch.setattr(
        disclosure, "_triple_victims", lambda atoms, cells, pairs, hidden, n: np.zeros_like(hidden)
    )
    frames = aligned_round(seed, min_group_size=5 if seed % 2 else 10)
    _, combos, _ = attack(frames)
    assert combos != []
    assert all(0 <= valid < frames.min_group_size for _, _, valid in combos)


@pytest.mark.parametrize("seed", range(4))
def test_random_rounds_give_nothing_away(seed):
    from tests.analysis.factory import random_round

    atoms, combos, _ = attack(random_round(300 + seed))
    assert atoms == []
    assert combos == []
