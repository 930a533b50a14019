"""Trends: each domain's gap per group across the closed rounds of one instrument.

Built only from each round's own domain table (:func:`surveyapp.analysis.metrics.domain_table`,
suppression already applied, complementary suppression included), never from raw answers: a
figure hidden in a round's report stays hidden here, and a change is shown only between two
figures that are both shown, so nothing in the trend can be subtracted to reveal a hidden group.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd

from surveyapp.analysis.data import ALL, AnalysisError

#: Why a trend cell has no figure.
SHOWN, SUPPRESSED, NOT_IN_ROUND = "shown", "suppressed", "not in round"
#: Interval columns carried through when a domain table has them.
INTERVAL_COLUMNS = ("ci_low", "ci_high")
TREND_COLUMNS = (
    "domain",
    "domain_label",
    "group",
    "group_label",
    "round_id",
    "round_title",
    "closed_on",
    "instrument_version",
    "min_group_size",
    "status",
    "suppressed",
    "n_valid",
    "n_label",
    "gap",
    "previous_round_id",
    "change",
)

METHODS = (
    "Each point is a domain's gap (100 − % agreeing, pooled over the domain's statements) in "
    "one closed round, exactly as that round's own report shows it. Only rounds of the same "
    "questionnaire are combined, ordered by closing date; domains are matched by their key, "
    "so where a new version of the questionnaire changed a domain's statements the figures "
    "either side of the change are not strictly comparable. Change is this round's gap minus "
    "the previous round's, in percentage points (a fall means the gap is closing), shown only "
    "where the group is shown in both rounds. A group hidden in a round's report, because it "
    "was small or to protect another small group, is hidden here too, with each round's own "
    "minimum group size."
)


@dataclass(frozen=True, eq=False)
class RoundGaps:
    """One closed round's domain table (already suppressed) with what the trend needs to know
    about the round."""

    round_id: int
    title: str
    closed_on: date
    instrument_version: int
    min_group_size: int
    domains: pd.DataFrame


def _order(keys_by_round: Sequence[Sequence[str]]) -> list[str]:
    """Keys in the latest round's order, then any seen only earlier (latest first)."""
    seen: dict[str, None] = {}
    for keys in reversed(keys_by_round):
        seen.update(dict.fromkeys(keys))
    return list(seen)


def _check(gaps: RoundGaps) -> None:
    table = gaps.domains
    missing = {
        "domain",
        "domain_label",
        "group_label",
        "n_valid",
        "gap",
        "suppressed",
        "n_label",
    } - set(table.columns)
    if missing:
        raise AnalysisError(
            f"round {gaps.round_id}'s domain table lacks {', '.join(sorted(missing))}"
        )
    shown = ~table["suppressed"].astype(bool)
    if table.loc[~shown, ["n_valid", "gap"]].notna().any(axis=None):
        raise AnalysisError(
            f"round {gaps.round_id}'s domain table holds figures for suppressed groups"
        )


def trend_table(rounds: Sequence[RoundGaps]) -> pd.DataFrame:
    """The tidy trend: domain × group (``all`` first) × round (by closing date, then id).

    Columns: domain, domain_label, group, group_label, round_id, round_title, closed_on,
    instrument_version, min_group_size, status (``shown``, ``suppressed`` or ``not in round``
    for a group or domain the round did not have), suppressed, n_valid (pooled valid answers),
    n_label (the count, or the round's suppressed label), gap, ci_low / ci_high when the domain
    tables carry them, previous_round_id and change (gap minus the previous round's gap, in
    points, only where both are shown). Every figure is taken from a round's domain table as
    it stands; suppressed cells stay empty.
    """
    ordered = sorted(rounds, key=lambda r: (r.closed_on, r.round_id))
    if len({r.round_id for r in ordered}) != len(ordered):
        raise AnalysisError("a round appears twice in the trend")
    for gaps in ordered:
        _check(gaps)
    intervals = [
        c for c in INTERVAL_COLUMNS if ordered and all(c in r.domains.columns for r in ordered)
    ]
    columns = list(TREND_COLUMNS[:-2]) + intervals + list(TREND_COLUMNS[-2:])
    if not ordered:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in columns})

    tables = [r.domains.rename(columns={r.domains.columns[0]: "group"}) for r in ordered]
    domains = _order([list(dict.fromkeys(t["domain"])) for t in tables])
    groups = _order([list(dict.fromkeys(t["group"])) for t in tables])
    groups = [ALL] + [g for g in groups if g != ALL] if ALL in groups else groups
    domain_labels: dict[str, str] = dict(
        pd.concat([t[["domain", "domain_label"]] for t in tables])
        .drop_duplicates("domain", keep="last")
        .itertuples(index=False)
    )
    group_labels: dict[str, str] = dict(
        pd.concat([t[["group", "group_label"]] for t in tables])
        .drop_duplicates("group", keep="last")
        .itertuples(index=False)
    )

    grid = pd.MultiIndex.from_product(
        [domains, groups, range(len(ordered))], names=["domain", "group", "position"]
    ).to_frame(index=False)
    found = pd.concat([t.assign(position=p) for p, t in enumerate(tables)], ignore_index=True)[
        ["domain", "group", "position", "n_valid", "n_label", "gap", "suppressed", *intervals]
    ]
    out = grid.merge(found, on=["domain", "group", "position"], how="left", validate="1:1")
    present = out["suppressed"].notna()
    hidden = out["suppressed"].fillna(False).astype(bool)
    out["status"] = np.where(~present, NOT_IN_ROUND, np.where(hidden, SUPPRESSED, SHOWN))
    out["suppressed"] = hidden.to_numpy()
    figures = ["n_valid", "gap", *intervals]
    for column in figures:
        out[column] = out[column].where(out["status"] == SHOWN)
    out["n_valid"] = out["n_valid"].astype("Int64")
    out["gap"] = out["gap"].astype("float64")
    out["n_label"] = out["n_label"].where(present, "").astype(object)

    pos = out["position"].to_numpy()
    out["domain_label"] = out["domain"].map(domain_labels)
    out["group_label"] = out["group"].map(group_labels)
    out["round_id"] = np.array([r.round_id for r in ordered])[pos]
    out["round_title"] = np.array([r.title for r in ordered], dtype=object)[pos]
    out["closed_on"] = np.array([r.closed_on for r in ordered], dtype=object)[pos]
    out["instrument_version"] = np.array([r.instrument_version for r in ordered])[pos]
    out["min_group_size"] = np.array([r.min_group_size for r in ordered])[pos]

    # Rows are domain × group × position, so the previous round is the row before.
    first = pos == 0
    previous_gap = out["gap"].shift(1).where(~first)
    out["change"] = out["gap"] - previous_gap
    previous_ids = [None] + [r.round_id for r in ordered[:-1]]
    out["previous_round_id"] = pd.array([previous_ids[p] for p in pos], dtype="Int64")
    return out[columns].reset_index(drop=True)


def round_order(trend: pd.DataFrame) -> pd.DataFrame:
    """The trend's rounds in order: round_id, round_title, closed_on, instrument_version,
    min_group_size."""
    return (
        trend[["round_id", "round_title", "closed_on", "instrument_version", "min_group_size"]]
        .drop_duplicates("round_id")
        .reset_index(drop=True)
    )
