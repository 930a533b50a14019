"""Shared column helpers."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql


def utcnow() -> datetime:
    """Naive UTC now, stored in every ``created_at`` style column."""
    return datetime.now(UTC).replace(tzinfo=None)


#: A JSON column that is JSONB on PostgreSQL.
JSONType = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def one_of(
    column: str, values: Iterable[str], *, nullable: bool = False, name: str | None = None
) -> sa.CheckConstraint:
    """A CHECK that ``column`` holds one of ``values`` (an enum's), written from the enum so the
    two cannot drift apart."""
    listed = []
    for value in values:
        if "'" in value:
            raise ValueError(f"{value!r} cannot be listed in a CHECK constraint")
        listed.append(f"'{value}'")
    sql = f"{column} IN ({', '.join(listed)})"
    return sa.CheckConstraint(
        f"{column} IS NULL OR {sql}" if nullable else sql, name=name or column
    )
