"""What the data-protection features share: audit action names, the retention period, the
anonymity note and the bulk-statement helpers."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import current_app

from surveyapp.extensions import db
from surveyapp.models import (
    Invitation,
    OutboxMessage,
)
from surveyapp.services import ServiceError

#: Audit actions written here.
ERASE_EMAILS = "retention.erase_emails"
ERASE_ROUND = "round.erase"
SUBJECT_ACCESS = "subject_access.export"

#: Said wherever a subject-access export is shown or written.
ANONYMITY_NOTE = (
    "Survey answers are anonymous: a response holds no email address, invitation or link to "
    "one, and records only the day it was sent, so no answers can be found for, or linked to, a "
    "person. What is held about an email address is listed here: the invitations to it (with "
    "whether and when the person started and completed the survey) and the emails sent to it."
)
MAX_REFERENCE_LENGTH = 60
#: Bulk statements here touch rows the session may not hold; it is expired afterwards instead.
NO_SYNC = {"synchronize_session": False}


def retention_days() -> int:
    """Days after a round ends before its invitation emails are erased (``RETENTION_DAYS``)."""
    days = int(current_app.config["RETENTION_DAYS"])
    if days < 0:
        raise ServiceError(f"RETENTION_DAYS must be 0 or more, not {days}")
    return days


def invitation_ids(round_id: int) -> sa.Select:
    return sa.select(Invitation.id).where(Invitation.round_id == round_id)


def messages_of(round_id: int) -> sa.ColumnElement[bool]:
    """The round's outbox messages: queued for it, or to one of its invitations."""
    return sa.or_(
        OutboxMessage.round_id == round_id,
        OutboxMessage.invitation_id.in_(invitation_ids(round_id)),
    )


def count_rows(model: Any, *where: sa.ColumnElement[bool]) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model).where(*where)) or 0
