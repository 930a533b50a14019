"""Trends across the closed rounds of one instrument: which rounds, and their gap tables."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

import pandas as pd
import sqlalchemy as sa

from surveyapp import timeutil
from surveyapp.analysis.frames import load_round_frames
from surveyapp.analysis.metrics import domain_table
from surveyapp.analysis.trends import RoundGaps, trend_table
from surveyapp.extensions import db
from surveyapp.models import InstrumentSnapshot, Round
from surveyapp.models.rounds import RoundStatus


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
                domains=domain_table(load_round_frames(db.session, r.id)),
            )
            for r in rounds
        ]
    )
