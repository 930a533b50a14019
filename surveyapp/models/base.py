"""Shared column helpers."""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql


def utcnow() -> datetime:
    """Naive UTC now, stored in every ``created_at`` style column."""
    return datetime.now(UTC).replace(tzinfo=None)


#: A JSON column that is JSONB on PostgreSQL.
JSONType = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
