"""The one boundary between the database and the analysis: a round as :class:`RoundFrames`.

``surveyapp.analysis`` is pure pandas below it; this module alone takes a SQLAlchemy session
(passed in, never imported from Flask) and reads a round's responses, each with its answers
packed into an integer or two, in one query. Caching is :mod:`surveyapp.reporting.build`'s.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import sqlalchemy as sa
import sqlalchemy.orm as so

from surveyapp.analysis.compared import default_compared_round
from surveyapp.analysis.data import AnalysisError, Contrast, RoundFrames
from surveyapp.instruments import Instrument
from surveyapp.models import Answer, InstrumentSnapshot, Locality, PartnerType, Response, Round
from surveyapp.models.responses import (
    PACKED_BITS,
    PACKED_COLUMNS,
    PACKED_DONT_KNOW,
    PACKED_ITEMS,
)
from surveyapp.models.rounds import RoundStatus

# Answers packed per response: each item's answer is a 3-bit code (0 none, 1-5 the value,
# 6 "don't know") at its own place in a 64-bit integer, 20 items to an integer; the
# ``packed_answers_*`` columns hold the same, written with the answers (models/responses.py).


def _packed_answers(item_ids: list[str], *, stored: bool = True) -> list[sa.ColumnElement[Any]]:
    """One column per 20 items: the response's stored packed answers where written, else a
    scalar subquery summing each answer's code at its item's place.

    A round can hold well over a million answers; one row per response (the primary key
    allows one answer per item) is ~10x cheaper than a Python object for each, and a stored
    value skips the answers altogether (COALESCE evaluates the subquery only for a response
    whose value is NULL: one written by something that did not pack it). Answers to items
    outside ``item_ids`` add nothing. ``stored=False`` always folds the answers (tests).
    """
    code = sa.case((Answer.dont_know, PACKED_DONT_KNOW), else_=Answer.value)
    columns: list[sa.ColumnElement[Any]] = []
    for n, start in enumerate(range(0, len(item_ids), PACKED_ITEMS)):
        chunk = item_ids[start : start + PACKED_ITEMS]
        place = sa.case(
            {item: 1 << (PACKED_BITS * k) for k, item in enumerate(chunk)},
            value=Answer.item_id,
            else_=0,
        )
        # BIGINT throughout: PostgreSQL would otherwise type small places as INTEGER and
        # overflow on the product
        total = sa.func.sum(sa.cast(place, sa.BigInteger) * code)
        folded = (
            sa.select(sa.cast(total, sa.BigInteger))
            .where(Answer.response_id == Response.id)
            .scalar_subquery()
        )
        if stored and n < len(PACKED_COLUMNS):
            columns.append(sa.func.coalesce(getattr(Response, PACKED_COLUMNS[n]), folded))
        else:
            columns.append(folded)
    return columns


def _unpack(packed: np.ndarray, n_items: int) -> np.ndarray:
    """The (responses × items) matrix of answer codes from the packed columns."""
    codes = np.zeros((packed.shape[0], n_items), dtype=np.int8)
    for k in range(n_items):
        column, place = divmod(k, PACKED_ITEMS)
        codes[:, k] = (packed[:, column] >> (PACKED_BITS * place)) & ((1 << PACKED_BITS) - 1)
    return codes


def _fetchall(
    session: so.Session | so.scoped_session[Any], statement: sa.Select[Any]
) -> list[tuple[Any, ...]]:
    """Run ``statement`` on the session's own DBAPI connection and return plain tuples: a
    SQLAlchemy row object per response costs more than the database's own work."""
    connection = session.connection()
    compiled = statement.compile(dialect=connection.dialect)
    params = compiled.params
    dbapi_connection = connection.connection.dbapi_connection
    if dbapi_connection is None:
        raise AnalysisError("the database connection was closed while reading a round")
    cursor = dbapi_connection.cursor()
    try:
        if connection.dialect.name == "postgresql":
            # The answers' fallback sum is a correlated subquery priced per row, so a round of
            # any size passes jit_above_cost, and compiling the plan (150-300 ms at 100,000
            # responses) took longer than running it. Off for this transaction only.
            cursor.execute("SET LOCAL jit = off")
        cursor.execute(
            str(compiled),
            tuple(params[name] for name in compiled.positiontup or ())
            if compiled.positional
            else params,
        )
        return list(cursor.fetchall())
    finally:
        cursor.close()


def _round_rows(
    session: so.Session | so.scoped_session[Any],
    round_id: int,
    item_ids: list[str],
    *,
    stored: bool = True,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The round's responses and answers in the analysis contract, from one query
    (``stored``: see :func:`_packed_answers`)."""
    packed_columns = _packed_answers(item_ids, stored=stored)
    statement = (
        sa.select(
            Response.id,
            PartnerType.slug,
            Locality.name,
            Response.role_level,
            Response.training,
            *packed_columns,
        )
        .join(PartnerType, PartnerType.id == Response.partner_type_id)
        .outerjoin(Locality, Locality.id == Response.locality_id)
        .where(Response.round_id == round_id, Response.excluded.is_(False))
    )
    rows = _fetchall(session, statement)
    # one object array, sliced by column: five times faster than transposing with zip
    table = np.array(rows, dtype=object).reshape(len(rows), 5 + len(packed_columns))
    response_ids = table[:, 0].astype(np.int64)
    responses = pd.DataFrame(
        {
            "response_id": response_ids,
            "partner_type": pd.Series(table[:, 1], dtype="str"),
            "locality": pd.Series(table[:, 2], dtype="string"),
            "role_level": pd.Series(table[:, 3], dtype="string"),
            "training": pd.Series(table[:, 4], dtype="string"),
        }
    )
    stored_packed = table[:, 5:]  # a response with no answers sums to NULL
    packed = np.where(pd.isna(stored_packed), 0, stored_packed).astype(np.int64)
    codes = _unpack(packed, len(item_ids))
    which, items = np.nonzero(codes)
    values = codes[which, items].astype(np.int64)
    dont_know = values == PACKED_DONT_KNOW
    answers = pd.DataFrame(
        {
            "response_id": response_ids[which],
            "item_id": pd.Categorical.from_codes(items, categories=pd.Index(item_ids)),
            "value": pd.arrays.IntegerArray(np.where(dont_know, 0, values), dont_know),
            "dont_know": dont_know,
        }
    )
    return responses, answers


def load_round_frames(session: so.Session | so.scoped_session[Any], round_id: int) -> RoundFrames:
    """Read one round's responses and answers into the analysis contract.

    Raises :class:`~surveyapp.analysis.data.AnalysisError` when there is no such round.
    """
    round_ = session.get(Round, round_id)
    if round_ is None:
        raise AnalysisError(f"there is no round {round_id}")
    instrument: Instrument = round_.instrument.instrument()
    item_ids = [i.id for i in instrument.items]
    responses, answers = _round_rows(session, round_id, item_ids)

    # The round's partner types in display order, plus any that answered without being
    # targeted (imports of older data); the order here is the order of every table.
    present = set(responses["partner_type"].unique())
    targeted = {p.slug for p in round_.partner_types}
    labels = {
        slug: label
        for slug, label in session.execute(
            sa.select(PartnerType.slug, PartnerType.label).order_by(PartnerType.position)
        )
        if slug in targeted or slug in present
    }
    items = pd.DataFrame(
        [(i.id, i.domain, i.text, n) for n, i in enumerate(instrument.items)],
        columns=["item_id", "domain", "text", "position"],
    )
    domains = pd.DataFrame(
        [(d.key, d.label, n) for n, d in enumerate(instrument.domains)],
        columns=["domain", "label", "position"],
    )
    return RoundFrames(
        round_id=round_.id,
        title=round_.title,
        min_group_size=round_.min_group_size,
        responses=responses,
        answers=answers,
        items=items,
        domains=domains,
        contrasts=tuple(Contrast(c.key, c.label, c.item_a, c.item_b) for c in instrument.contrasts),
        partner_type_labels=labels,
        excluded_by_lead=session.scalar(
            sa.select(sa.func.count())
            .select_from(Response)
            .where(Response.round_id == round_id, Response.excluded)
        )
        or 0,
    )


def compared_round_id(session: so.Session | so.scoped_session[Any], round_id: int) -> int | None:
    """The round this one is compared with: the one set on it, else the latest closed round of
    the same instrument key closed before it (never itself)."""
    round_ = session.get(Round, round_id)
    if round_ is None:
        raise AnalysisError(f"there is no round {round_id}")
    if round_.compared_round_id is not None:
        return round_.compared_round_id
    closed = session.execute(
        sa.select(Round.id, Round.closes_on)
        .join(Round.instrument)
        .where(
            InstrumentSnapshot.key == round_.instrument.key,
            Round.status == RoundStatus.CLOSED.value,
            Round.id != round_.id,
        )
    )
    return default_compared_round(round_.closes_on, ((rid, ends) for rid, ends in closed))
