"""Personal invitations: completion is tracked here, never on the response."""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
import sqlalchemy.orm as so

from surveyapp.extensions import Model
from surveyapp.models.base import utcnow
from surveyapp.models.reference import Locality, PartnerType


class Invitation(Model):
    __tablename__ = "invitations"
    __table_args__ = (
        sa.UniqueConstraint("round_id", "email"),
        sa.CheckConstraint("reminder_count >= 0", name="reminder_count"),
    )

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    round_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("rounds.id", ondelete="CASCADE"), index=True
    )
    #: Lower-cased; erased (set to NULL) after the retention period.
    email: so.Mapped[str | None] = so.mapped_column(sa.String(320))
    partner_type_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("partner_types.id"))
    locality_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("localities.id"))
    #: SHA-256 of the link token; the token itself is never stored.
    token_hash: so.Mapped[str] = so.mapped_column(sa.String(64), unique=True)
    #: Random nonce from which, with the secret key, the token is re-derived for reminders.
    token_nonce: so.Mapped[str] = so.mapped_column(sa.String(64))
    created_at: so.Mapped[datetime] = so.mapped_column(default=utcnow)
    sent_at: so.Mapped[datetime | None]
    last_reminded_at: so.Mapped[datetime | None]
    reminder_count: so.Mapped[int] = so.mapped_column(default=0)
    #: Days, not times: less to link an invitation to a response.
    started_on: so.Mapped[date | None]
    completed_on: so.Mapped[date | None]

    partner_type: so.Mapped[PartnerType] = so.relationship()
    locality: so.Mapped[Locality | None] = so.relationship()
