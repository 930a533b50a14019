"""The one boundary between the database and the analysis: a round as :class:`RoundFrames`.

Everything else in ``surveyapp.analysis`` is pure pandas; this module alone takes a SQLAlchemy
session (passed in, never imported from Flask) and runs two queries per round: its responses
and its answers.
"""

from __future__ import annotations

import pandas as pd
import sqlalchemy as sa
import sqlalchemy.orm as so

from surveyapp.analysis.data import AnalysisError, Contrast, RoundFrames
from surveyapp.instruments import Instrument
from surveyapp.models import (Answer, InstrumentSnapshot, Locality, PartnerType, Response,
                              Round)


def _fetch(session: so.Session, sql: str, round_id: int, columns: list[str]) -> pd.DataFrame:
    """Run one read on the session's own DBAPI connection.

    A round can hold well over a million answers; building a SQLAlchemy row object for each
    costs ~5x the database's own time, so this boundary reads plain tuples instead.
    """
    connection = session.connection()
    marker = "?" if connection.dialect.paramstyle == "qmark" else "%s"
    cursor = connection.connection.dbapi_connection.cursor()
    try:
        cursor.execute(sql.replace(":round_id", marker), (round_id,))
        rows = cursor.fetchall()
    finally:
        cursor.close()
    return pd.DataFrame.from_records(rows, columns=columns)


_RESPONSES_SQL = (
    f"SELECT r.id, p.slug, l.name, r.role_level, r.training "
    f"FROM {Response.__tablename__} r "
    f"JOIN {PartnerType.__tablename__} p ON p.id = r.partner_type_id "
    f"LEFT JOIN {Locality.__tablename__} l ON l.id = r.locality_id "
    f"WHERE r.round_id = :round_id"
)
_ANSWERS_SQL = (
    f"SELECT a.response_id, a.item_id, a.value, a.dont_know "
    f"FROM {Answer.__tablename__} a JOIN {Response.__tablename__} r ON r.id = a.response_id "
    f"WHERE r.round_id = :round_id"
)


def load_round_frames(session: so.Session, round_id: int) -> RoundFrames:
    """Read one round's responses and answers into the analysis contract."""
    round_ = session.get(Round, round_id)
    if round_ is None:
        raise AnalysisError(f"there is no round {round_id}")
    instrument: Instrument = round_.instrument.instrument()

    responses = _fetch(session, _RESPONSES_SQL, round_id,
                       ["response_id", "partner_type", "locality", "role_level", "training"])
    answers = _fetch(session, _ANSWERS_SQL, round_id,
                     ["response_id", "item_id", "value", "dont_know"])
    responses = responses.astype({"response_id": "int64"})
    for column in ("locality", "role_level", "training"):
        responses[column] = responses[column].astype("string")
    answers = answers.astype({"response_id": "int64", "value": "Int64", "dont_know": "bool"})
    # Answers to items that are not in the snapshot cannot be placed; the snapshot decides.
    answers = answers[answers["item_id"].isin([i.id for i in instrument.items])]

    items = pd.DataFrame(
        [(i.id, i.domain, i.text, n) for n, i in enumerate(instrument.items)],
        columns=["item_id", "domain", "text", "position"],
    )
    domains = pd.DataFrame(
        [(d.key, d.label, n) for n, d in enumerate(instrument.domains)],
        columns=["domain", "label", "position"],
    )
    # The round's partner types in display order, plus any that answered without being
    # targeted (imports of older data); the order here is the order of every table.
    present = set(responses["partner_type"])
    targeted = {p.slug for p in round_.partner_types}
    labels = {slug: label for slug, label in session.execute(
        sa.select(PartnerType.slug, PartnerType.label).order_by(PartnerType.position))
        if slug in targeted or slug in present}
    return RoundFrames(
        round_id=round_.id,
        title=round_.title,
        min_group_size=round_.min_group_size,
        responses=responses.reset_index(drop=True),
        answers=answers.reset_index(drop=True),
        items=items,
        domains=domains,
        contrasts=tuple(Contrast(c.key, c.label, c.item_a, c.item_b)
                        for c in instrument.contrasts),
        partner_type_labels=labels,
    )


def compared_round_id(session: so.Session, round_id: int) -> int | None:
    """The round this one is compared with: the one set on it, else the latest closed round of
    the same instrument key closed before it (never itself)."""
    round_ = session.get(Round, round_id)
    if round_ is None:
        raise AnalysisError(f"there is no round {round_id}")
    if round_.compared_round_id is not None:
        return round_.compared_round_id
    return session.scalar(
        sa.select(Round.id).join(Round.instrument)
        .where(InstrumentSnapshot.key == round_.instrument.key, Round.status == "closed",
               Round.id != round_.id,
               sa.true() if round_.closes_on is None
               else sa.or_(Round.closes_on < round_.closes_on, Round.closes_on.is_(None)))
        .order_by(Round.closes_on.desc().nulls_last(), Round.id.desc())
        .limit(1))
