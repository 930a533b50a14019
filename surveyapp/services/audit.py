"""Recording staff actions."""

from __future__ import annotations

from typing import Any

from surveyapp.extensions import db
from surveyapp.models import AuditEvent, User


def record(
    action: str, *, user: User | None = None, round_id: int | None = None, **detail: Any
) -> AuditEvent:
    """Add an audit event to the current transaction."""
    event = AuditEvent(
        action=action, user_id=user.id if user else None, round_id=round_id, detail=detail
    )
    db.session.add(event)
    return event
