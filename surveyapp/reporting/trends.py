"""Trends across the closed rounds of one instrument: which rounds, their gap tables, and the
view (chart and tables) the trends page shows, cached by the rounds' report versions."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

import pandas as pd
import sqlalchemy as sa

from surveyapp import timeutil
from surveyapp.analysis import charts
from surveyapp.analysis.metrics import domain_table
from surveyapp.analysis.trends import (
    METHODS,
    NOT_IN_ROUND,
    SHOWN,
    RoundGaps,
    round_order,
    trend_table,
)
from surveyapp.extensions import db
from surveyapp.models import InstrumentSnapshot, Round
from surveyapp.models.rounds import RoundStatus
from surveyapp.reporting.build import cached, round_frames, round_version
from surveyapp.reporting.views import figure, signed

__all__ = ["METHODS", "MIN_ROUNDS", "NOT_IN_ROUND", "TrendView", "trend_view", "domain_tables"]

#: A trend needs at least this many closed rounds.
MIN_ROUNDS = 2


def closing_date(round_: Round) -> date:
    """When a closed round closed: the day it was really closed, else its planned closing date."""
    if round_.closed_at is not None:
        return timeutil.to_local(round_.closed_at).date()
    if round_.closes_on is not None:
        return round_.closes_on
    return round_.created_at.date()


def instrument_title(key: str) -> str | None:
    """The title of the newest stored version of instrument ``key``; None if none is stored."""
    return db.session.scalar(
        sa.select(InstrumentSnapshot.title)
        .where(InstrumentSnapshot.key == key)
        .order_by(InstrumentSnapshot.version.desc(), InstrumentSnapshot.id.desc())
        .limit(1)
    )


def closed_rounds(key: str) -> list[Round]:
    """The closed rounds of instrument ``key`` (any version), oldest closing date first."""
    rounds = db.session.scalars(
        sa.select(Round)
        .join(Round.instrument)
        .where(InstrumentSnapshot.key == key, Round.status == RoundStatus.CLOSED.value)
    ).all()
    return sorted(rounds, key=lambda r: (closing_date(r), r.id))


def instrument_trend(rounds: Sequence[Round]) -> pd.DataFrame:
    """The trend table (:func:`surveyapp.analysis.trends.trend_table`) of ``rounds``.

    Each round's domain table is the one its own report shows (``Report.domains`` is the same
    :func:`~surveyapp.analysis.metrics.domain_table` of the same frames), so suppression,
    complementary suppression included, is decided per round exactly as in its report.
    """
    return trend_table(
        [
            RoundGaps(
                round_id=r.id,
                title=r.title,
                closed_on=closing_date(r),
                instrument_version=r.instrument.version,
                min_group_size=r.min_group_size,
                domains=domain_table(round_frames(r)),
            )
            for r in rounds
        ]
    )


@dataclass(frozen=True, eq=False)
class TrendView:
    """One instrument's trend with its chart, drawn wide (three panels a row) and narrow."""

    trend: pd.DataFrame
    rounds: pd.DataFrame
    wide: charts.Chart
    narrow: charts.Chart


def trend_view(rounds: list[Round]) -> TrendView:
    """The trend of ``rounds`` with its charts, from the one report cache: keyed by each
    round's report version, so new answers or settings in any of them rebuild it."""

    def make() -> TrendView:
        trend = instrument_trend(rounds)
        return TrendView(
            trend=trend,
            rounds=round_order(trend),
            wide=charts.trend_chart(trend, columns=3),
            narrow=charts.trend_chart(trend, columns=1),
        )

    return cached(("trend", *(round_version(r) for r in rounds)), make)


def _cell(row: Any) -> tuple[str, str, str, str]:
    """(status, gap or why there is none, n, change) for one group × round cell."""
    if row.status == SHOWN:
        change = "" if pd.isna(row.change) else f"{signed(row.change)} points"
        return SHOWN, figure(row.gap), f"n={row.n_valid}", change
    if row.status == NOT_IN_ROUND:
        return NOT_IN_ROUND, "not asked", "", ""
    return row.status, str(row.n_label), "", ""


def domain_tables(
    trend: pd.DataFrame,
) -> list[tuple[str, str, list[tuple[str, list[tuple[str, str, str, str]]]], list[str]]]:
    """Per domain: (key, label, [(group label, cells)], labels of groups never shown).

    A group shown in none of the rounds gets no row of empty cells, only its name in a list.
    """
    tables = []
    for domain, rows in trend.groupby("domain", sort=False):
        shown: list[tuple[str, list[tuple[str, str, str, str]]]] = []
        never: list[str] = []
        for _, group in rows.groupby("group", sort=False):
            label = str(group["group_label"].iloc[0])
            if (group["status"] == SHOWN).any():
                shown.append((label, [_cell(r) for r in group.itertuples()]))
            else:
                never.append(label)
        tables.append((str(domain), str(rows["domain_label"].iloc[0]), shown, never))
    return tables
