"""Who changed what, and when."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
import sqlalchemy.orm as so

from surveyapp.extensions import Model
from surveyapp.models.base import JSONType, utcnow
from surveyapp.models.users import User


class AuditEvent(Model):
    __tablename__ = "audit_events"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    at: so.Mapped[datetime] = so.mapped_column(default=utcnow, index=True)
    #: NULL for the command line.
    user_id: so.Mapped[int | None] = so.mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )
    #: e.g. ``round.create``, ``round.open``, ``invitations.add``, ``user.create``.
    action: so.Mapped[str] = so.mapped_column(sa.String(60))
    round_id: so.Mapped[int | None] = so.mapped_column(
        sa.ForeignKey("rounds.id", ondelete="SET NULL"), index=True
    )
    detail: so.Mapped[dict[str, Any]] = so.mapped_column(JSONType, default=dict)

    user: so.Mapped[User | None] = so.relationship()
