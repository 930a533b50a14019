"""The outbox: emails are queued in the same transaction as what caused them."""

from __future__ import annotations

import enum
from datetime import datetime

import sqlalchemy as sa
import sqlalchemy.orm as so

from surveyapp.extensions import Model
from surveyapp.models.base import one_of, utcnow


class OutboxStatus(enum.StrEnum):
    PENDING = "pending"
    SENT = "sent"
    FAILED = "failed"


class OutboxMessage(Model):
    __tablename__ = "outbox"
    __table_args__ = (one_of("status", OutboxStatus),)

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    created_at: so.Mapped[datetime] = so.mapped_column(default=utcnow)
    #: ``invitation`` or ``reminder``.
    kind: so.Mapped[str] = so.mapped_column(sa.String(20))
    round_id: so.Mapped[int | None] = so.mapped_column(
        sa.ForeignKey("rounds.id", ondelete="CASCADE"), index=True
    )
    invitation_id: so.Mapped[int | None] = so.mapped_column(
        sa.ForeignKey("invitations.id", ondelete="CASCADE")
    )
    to_addr: so.Mapped[str] = so.mapped_column(sa.String(320))
    subject: so.Mapped[str] = so.mapped_column(sa.String(255))
    body_text: so.Mapped[str] = so.mapped_column(sa.Text)
    body_html: so.Mapped[str] = so.mapped_column(sa.Text, default="")
    #: pending -> sent, or failed after the last retry.
    status: so.Mapped[str] = so.mapped_column(sa.String(10), default="pending", index=True)
    attempts: so.Mapped[int] = so.mapped_column(default=0)
    next_attempt_at: so.Mapped[datetime] = so.mapped_column(default=utcnow)
    last_error: so.Mapped[str | None] = so.mapped_column(sa.Text)
    sent_at: so.Mapped[datetime | None]
