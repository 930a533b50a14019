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
    #: The day this invitation's one draft was made (when its first answers were saved).
    #: From then on a missing draft means the response is in: see :func:`completed`.
    drafted_on: so.Mapped[date | None]
    #: Set only for responses imported or submitted before drafts marked completion; a
    #: submission writes nothing here (it would tie the response to the invitation in time).
    completed_on: so.Mapped[date | None]

    partner_type: so.Mapped[PartnerType] = so.relationship()
    locality: so.Mapped[Locality | None] = so.relationship()


def completed() -> sa.ColumnElement[bool]:
    """SQL: the invitation's response is in. Its draft is deleted in the response's own
    transaction, and a drafted invitation never gets another draft, so "drafted and no draft
    left" is completion without any write to the invitation when the response goes in."""
    from surveyapp.models.responses import Draft

    draft_left = sa.select(Draft.id).where(Draft.invitation_id == Invitation.id).exists()
    return sa.or_(
        Invitation.completed_on.is_not(None),
        sa.and_(Invitation.drafted_on.is_not(None), ~draft_left),
    )
