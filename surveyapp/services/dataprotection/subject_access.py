"""Subject access: everything held about one email address, as JSON or CSV."""

from __future__ import annotations

import csv
import io
import json
from dataclasses import asdict, dataclass
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from flask import current_app

from surveyapp.analysis.basics import neutralise
from surveyapp.extensions import db
from surveyapp.models import (
    Invitation,
    OutboxMessage,
    Round,
    User,
)
from surveyapp.models.base import utcnow
from surveyapp.services import ServiceError
from surveyapp.services.audit import record
from surveyapp.services.dataprotection.common import (
    ANONYMITY_NOTE,
    MAX_REFERENCE_LENGTH,
    SUBJECT_ACCESS,
)
from surveyapp.services.users import normalise_email, valid_email


@dataclass(frozen=True)
class InvitationRecord:
    round_id: int
    round_title: str
    partner_type: str
    locality: str | None
    invited_at: datetime
    sent_at: datetime | None
    last_reminded_at: datetime | None
    reminder_count: int
    started_on: date | None
    completed_on: date | None


@dataclass(frozen=True)
class MessageRecord:
    round_id: int | None
    round_title: str | None
    kind: str
    subject: str
    status: str
    created_at: datetime
    sent_at: datetime | None
    attempts: int
    body_text: str


@dataclass(frozen=True)
class StaffAccountRecord:
    role: str
    active: bool
    created_at: datetime
    last_login_at: datetime | None


@dataclass(frozen=True)
class SubjectAccess:
    """Everything held about one email address."""

    email: str
    exported_at: datetime
    invitations: list[InvitationRecord]
    messages: list[MessageRecord]
    staff_account: StaffAccountRecord | None

    @property
    def found(self) -> bool:
        return bool(self.invitations or self.messages or self.staff_account)


def checked_email(email: str) -> str:
    """The address lower-cased and trimmed, or a :class:`ServiceError` saying what is wrong."""
    email = normalise_email(email or "")
    if not email:
        raise ServiceError("enter the email address to search for", "email")
    if not valid_email(email):
        raise ServiceError(f"{email!r} is not an email address", "email")
    return email


def checked_reference(reference: str | None) -> str:
    reference = (reference or "").strip()
    if len(reference) > MAX_REFERENCE_LENGTH:
        raise ServiceError(
            f"the case reference must be {MAX_REFERENCE_LENGTH} characters or fewer", "reference"
        )
    return reference


def subject_access(
    email: str, *, fmt: str, reference: str = "", by: User | None = None
) -> SubjectAccess:
    """Everything held about ``email`` (any case, exact address): invitations in every round,
    outbox messages to it, and a staff account if it is one. Records an audit event saying that
    a search was made, by whom, its case reference and how much was found, but not the address:
    the audit log is kept for good, and must not keep an address that retention has erased
    everywhere else (a hash would not help: anyone could test a guessed address against it)."""
    email = checked_email(email)
    reference = checked_reference(reference)
    invitations = [
        InvitationRecord(
            round_id=inv.round_id,
            round_title=title,
            partner_type=inv.partner_type.label,
            locality=inv.locality.name if inv.locality else None,
            invited_at=inv.created_at,
            sent_at=inv.sent_at,
            last_reminded_at=inv.last_reminded_at,
            reminder_count=inv.reminder_count,
            started_on=inv.started_on,
            completed_on=inv.completed_on,
        )
        for inv, title in db.session.execute(
            sa.select(Invitation, Round.title)
            .join(Round, Round.id == Invitation.round_id)
            .where(sa.func.lower(Invitation.email) == email)
            .order_by(Invitation.created_at, Invitation.id)
        )
    ]
    messages = [
        MessageRecord(
            round_id=m.round_id,
            round_title=title,
            kind=m.kind,
            subject=m.subject,
            status=m.status,
            created_at=m.created_at,
            sent_at=m.sent_at,
            attempts=m.attempts,
            body_text=m.body_text,
        )
        for m, title in db.session.execute(
            sa.select(OutboxMessage, Round.title)
            .outerjoin(Round, Round.id == OutboxMessage.round_id)
            .where(sa.func.lower(OutboxMessage.to_addr) == email)
            .order_by(OutboxMessage.created_at, OutboxMessage.id)
        )
    ]
    user = db.session.scalar(sa.select(User).where(sa.func.lower(User.email) == email))
    staff = (
        StaffAccountRecord(
            role=user.role,
            active=user.active,
            created_at=user.created_at,
            last_login_at=user.last_login_at,
        )
        if user
        else None
    )
    record(
        SUBJECT_ACCESS,
        user=by,
        format=fmt,
        reference=reference,
        invitations=len(invitations),
        messages=len(messages),
        staff_account=staff is not None,
    )
    return SubjectAccess(
        email=email,
        exported_at=utcnow(),
        invitations=invitations,
        messages=messages,
        staff_account=staff,
    )


def _iso(value: Any) -> Any:
    """Times as ISO 8601 UTC (``...Z``), days as ``YYYY-MM-DD``."""
    if isinstance(value, datetime):
        return value.replace(microsecond=0).isoformat() + "Z"
    if isinstance(value, date):
        return value.isoformat()
    return value


def _plain(obj: Any) -> dict[str, Any]:
    return {k: _iso(v) for k, v in asdict(obj).items()}


def _cells(obj: Any) -> dict[str, Any]:
    """A CSV row: text that a spreadsheet would run as a formula is neutralised."""
    return {k: neutralise(v) if isinstance(v, str) else v for k, v in _plain(obj).items()}


def subject_access_json(found: SubjectAccess) -> str:
    data = {
        "email": found.email,
        "exported_at": _iso(found.exported_at),
        "council": current_app.config["COUNCIL_NAME"],
        "about_responses": ANONYMITY_NOTE,
        "invitations": [_plain(i) for i in found.invitations],
        "emails_sent": [_plain(m) for m in found.messages],
        "staff_account": _plain(found.staff_account) if found.staff_account else None,
    }
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


#: One CSV row per invitation or email; columns that do not apply are empty.
CSV_COLUMNS = (
    "record",
    "round_id",
    "round_title",
    "partner_type",
    "locality",
    "invited_at",
    "sent_at",
    "last_reminded_at",
    "reminder_count",
    "started_on",
    "completed_on",
    "kind",
    "subject",
    "status",
    "created_at",
    "attempts",
)


def subject_access_csv(found: SubjectAccess) -> str:
    """Invitations and emails as one table (email bodies are in the JSON export only)."""
    out = io.StringIO()
    writer = csv.DictWriter(out, CSV_COLUMNS, extrasaction="ignore", lineterminator="\r\n")
    writer.writeheader()
    for inv in found.invitations:
        writer.writerow({"record": "invitation", **_cells(inv)})
    for message in found.messages:
        writer.writerow({"record": "email", **_cells(message)})
    if found.staff_account:
        writer.writerow(
            {"record": "staff account", "created_at": _iso(found.staff_account.created_at)}
        )
    return out.getvalue()
