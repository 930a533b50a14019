"""Synthetic rounds written into a real database, shared by the benchmarks.

``fresh_app`` builds an empty schema (from the models) in the database at a URL; ``store_round``
writes one :func:`surveyapp.demo.synthetic.synthetic_round` into it as responses and answers,
with their localities, so that ``reporting/frames.py`` and the report page read it back exactly as
they read a real round.
"""

from __future__ import annotations

import argparse
from datetime import date
from typing import Any

from surveyapp.analysis.data import RoundFrames


def add_database_option(parser: argparse.ArgumentParser) -> None:
    """``--database-url``: where a benchmark stores its rounds."""
    parser.add_argument(
        "--database-url",
        default=None,
        help="where to store the rounds (default: a temporary SQLite file); "
        "its tables are dropped and rebuilt",
    )


def fresh_app(database_url: str) -> Any:
    """An app on ``database_url`` with every table dropped and rebuilt, partner types seeded."""
    from surveyapp import create_app
    from surveyapp.extensions import db
    from surveyapp.services.reference import seed_partner_types

    app = create_app({"SQLALCHEMY_DATABASE_URI": database_url, "SECRET_KEY": "benchmark"})
    with app.app_context():
        db.drop_all()
        db.create_all()
        seed_partner_types()
        db.session.commit()
    return app


def _none(value: object) -> object:
    """``None`` for a missing value (pandas' NA or NaN), else the value."""
    return None if value is None or value != value else value


def _bulk_insert(table: str, columns: tuple[str, ...], rows: list[tuple]) -> None:
    """Insert plain tuples on the session's DBAPI connection: COPY on PostgreSQL, executemany
    elsewhere (millions of rows through the ORM would take minutes)."""
    from surveyapp.extensions import db

    connection = db.session.connection()
    cursor = connection.connection.dbapi_connection.cursor()
    names = ", ".join(columns)
    try:
        if connection.dialect.name == "postgresql":
            with cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
        else:
            marks = ", ".join("?" for _ in columns)
            cursor.executemany(f"INSERT INTO {table} ({names}) VALUES ({marks})", rows)
    finally:
        cursor.close()


def store_round(
    app: Any, frames: RoundFrames, *, title: str | None = None, compared_round_id: int | None = None
) -> int:
    """Write ``frames`` as a new round (closed, dated by its id) and return the round's id.

    Response ids are taken from the frames, so two stored rounds need disjoint ids
    (``synthetic_round(first_response_id=...)``).
    """
    import sqlalchemy as sa

    from surveyapp.extensions import db
    from surveyapp.models import Answer, Locality, PartnerType, Response
    from surveyapp.models.responses import PACKED_COLUMNS, instrument_packer
    from surveyapp.services.rounds import create_round

    responses, answers = frames.responses, frames.answers
    localities = sorted(str(v) for v in responses["locality"].dropna().unique())
    with app.app_context():
        round_ = create_round(
            instrument_ref="early-help-pathways@1",
            title=title or frames.title,
            locality_names=localities,
            min_group_size=frames.min_group_size,
            compared_round_id=compared_round_id,
        )
        round_.status = "closed"
        round_.closes_on = date(2026, 1, 1 + frames.round_id % 28)
        db.session.flush()
        types = dict(db.session.execute(sa.select(PartnerType.slug, PartnerType.id)).all())
        places = dict(db.session.execute(sa.select(Locality.name, Locality.id)).all())
        packer = instrument_packer(round_.instrument.instrument())
        answer_rows = [
            (int(rid), item, None if dk else int(v), bool(dk))
            for rid, item, v, dk in zip(
                answers["response_id"],
                answers["item_id"],
                answers["value"].astype(object),
                answers["dont_know"],
                strict=True,
            )
        ]
        packed = packer.pack_each(answer_rows)
        empty = packer.empty()
        response_rows = [
            (
                int(rid),
                round_.id,
                types[pt],
                places.get(_none(loc)),
                _none(rl),
                _none(tr),
                "open",
                date(2026, 11, 23),
                *(packed.get(int(rid)) or empty).values(),
            )
            for rid, pt, loc, rl, tr in zip(
                responses["response_id"],
                responses["partner_type"],
                responses["locality"].astype(object),
                responses["role_level"].astype(object),
                responses["training"].astype(object),
                strict=True,
            )
        ]
        _bulk_insert(
            Response.__tablename__,
            (
                "id",
                "round_id",
                "partner_type_id",
                "locality_id",
                "role_level",
                "training",
                "channel",
                "submitted_on",
                *PACKED_COLUMNS,
            ),
            response_rows,
        )
        _bulk_insert(
            Answer.__tablename__, ("response_id", "item_id", "value", "dont_know"), answer_rows
        )
        db.session.commit()
        return round_.id
