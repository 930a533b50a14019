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


def _frame(session: so.Session, query: sa.Select, columns: list[str]) -> pd.DataFrame:
    rows = session.execute(query).all()
    return pd.DataFrame.from_records(rows, columns=columns)


def load_round_frames(session: so.Session, round_id: int) -> RoundFrames:
    """Read one round's responses and answers into the analysis contract."""
    round_ = session.get(Round, round_id)
    if round_ is None:
        raise AnalysisError(f"there is no round {round_id}")
    instrument: Instrument = round_.instrument.instrument()

    responses = _frame(
        session,
        sa.select(Response.id, PartnerType.slug, Locality.name, Response.role_level,
                  Response.training)
        .join(PartnerType, PartnerType.id == Response.partner_type_id)
        .outerjoin(Locality, Locality.id == Response.locality_id)
        .where(Response.round_id == round_id),
        ["response_id", "partner_type", "locality", "role_level", "training"],
    )
    answers = _frame(
        session,
        sa.select(Answer.response_id, Answer.item_id, Answer.value, Answer.dont_know)
        .join(Response, Response.id == Answer.response_id)
        .where(Response.round_id == round_id),
        ["response_id", "item_id", "value", "dont_know"],
    )
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
               Round.id != round_.id)
        .order_by(Round.closes_on.desc().nulls_last(), Round.id.desc())
        .limit(1))
