"""Data protection: erasing respondents' email addresses after the retention period, erasing a
round entirely, and finding everything held about one email address (subject access).

Responses never name a person (see :mod:`surveyapp.models.responses`), so the only personal data
about partner staff is in invitations (the email address) and the outbox (emails to them).
After a round ends, ``RETENTION_DAYS`` later, :func:`erase_expired_emails` clears the addresses
but keeps each invitation's partner type, locality and times, so response rates stay right.
The audit log records each erasure; it is also the record of when a round's emails went.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import sqlalchemy as sa
from flask import current_app

from surveyapp import timeutil
from surveyapp.analysis.basics import neutralise
from surveyapp.extensions import db
from surveyapp.models import (
    Answer,
    AuditEvent,
    Draft,
    ImportBatch,
    Invitation,
    OpenLink,
    OutboxMessage,
    Response,
    Round,
    SubmissionReceipt,
    User,
)
from surveyapp.models.base import utcnow
from surveyapp.models.rounds import RoundStatus, round_localities, round_partner_types
from surveyapp.services import ServiceError
from surveyapp.services.audit import record
from surveyapp.services.users import normalise_email, valid_email

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


# --- retention -------------------------------------------------------------------------------
def round_ended_at(round_: Round, now: datetime | None = None) -> datetime | None:
    """When the retention clock starts (naive UTC): when the round was closed, or, for a round
    still marked open whose closing date has passed, the end of that day in the council's zone
    (answers stop then, so a lead who forgets to close it does not keep emails for ever).
    ``None`` while the round can still take answers."""
    if round_.status == RoundStatus.CLOSED.value:
        return round_.closed_at or utcnow()
    if round_.status == RoundStatus.OPEN.value and round_.closes_on is not None:
        midnight = datetime.combine(
            round_.closes_on + timedelta(days=1), time(0), tzinfo=timeutil.council_tz()
        )
        ended = midnight.astimezone(UTC).replace(tzinfo=None)
        return ended if ended <= (now or utcnow()) else None
    return None


@dataclass(frozen=True)
class EmailRetention:
    """What the round and data protection pages say about a round's invitation emails."""

    days: int
    #: When the addresses were erased, if they have been.
    erased_at: datetime | None
    #: When they will be (or were due to be) erased; ``None`` while the round has not ended.
    due_at: datetime | None
    #: Invitations of the round that still hold an address.
    emails_held: int

    @property
    def overdue(self) -> bool:
        """Due, but the daily erasing run has not erased the addresses yet."""
        return self.due_at is not None and self.due_at <= utcnow()


def _retention(round_: Round, erased_at: datetime | None, held: int) -> EmailRetention:
    days = retention_days()
    ended = round_ended_at(round_)
    return EmailRetention(
        days=days,
        erased_at=erased_at,
        due_at=ended + timedelta(days=days) if ended else None,
        emails_held=held,
    )


def email_retention(round_: Round) -> EmailRetention:
    """When the round's invitation emails were or will be erased."""
    return _retention(
        round_,
        emails_erased_at(round_.id),
        _count(Invitation, Invitation.round_id == round_.id, Invitation.email.is_not(None)),
    )


def retention_overview() -> list[tuple[Round, EmailRetention]]:
    """Every round, newest first, with when its invitation emails were or will be erased."""
    held = dict(
        db.session.execute(
            sa.select(Invitation.round_id, sa.func.count())
            .where(Invitation.email.is_not(None))
            .group_by(Invitation.round_id)
        ).all()
    )
    erased = erased_rounds()
    rounds = db.session.scalars(sa.select(Round).order_by(Round.created_at.desc(), Round.id.desc()))
    return [(r, _retention(r, erased.get(r.id), held.get(r.id, 0))) for r in rounds]


def emails_erased_at(round_id: int) -> datetime | None:
    """When the round's invitation emails were first erased, from the audit log."""
    return db.session.scalar(
        sa.select(sa.func.min(AuditEvent.at)).where(
            AuditEvent.action == ERASE_EMAILS, AuditEvent.round_id == round_id
        )
    )


def erased_rounds() -> dict[int, datetime]:
    """Round id -> when its invitation emails were first erased."""
    rows = db.session.execute(
        sa.select(AuditEvent.round_id, sa.func.min(AuditEvent.at))
        .where(AuditEvent.action == ERASE_EMAILS, AuditEvent.round_id.is_not(None))
        .group_by(AuditEvent.round_id)
    )
    return {round_id: at for round_id, at in rows if round_id is not None}


@dataclass(frozen=True)
class ErasedEmails:
    """One round's erasure: how many addresses, emails and unfinished drafts went."""

    round_id: int
    title: str
    ended_at: datetime
    emails: int
    messages: int
    drafts: int


def _invitation_ids(round_id: int) -> sa.Select:
    return sa.select(Invitation.id).where(Invitation.round_id == round_id)


def _messages_of(round_id: int) -> sa.ColumnElement[bool]:
    """The round's outbox messages: queued for it, or to one of its invitations."""
    return sa.or_(
        OutboxMessage.round_id == round_id,
        OutboxMessage.invitation_id.in_(_invitation_ids(round_id)),
    )


def _count(model: Any, *where: sa.ColumnElement[bool]) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model).where(*where)) or 0


def expired_rounds(now: datetime) -> list[tuple[Round, datetime]]:
    """Rounds that ended more than ``RETENTION_DAYS`` before ``now``, with when they ended."""
    cutoff = now - timedelta(days=retention_days())
    candidates = db.session.scalars(
        sa.select(Round)
        .where(
            sa.or_(
                Round.status == RoundStatus.CLOSED.value,
                sa.and_(Round.status == RoundStatus.OPEN.value, Round.closes_on.is_not(None)),
            )
        )
        .order_by(Round.id)
    )
    expired = []
    for round_ in candidates:
        ended = round_ended_at(round_, now)
        if ended is not None and ended <= cutoff:
            expired.append((round_, ended))
    return expired


def erase_expired_emails(
    now: datetime | None = None, *, dry_run: bool = False
) -> list[ErasedEmails]:
    """For every round that ended more than ``RETENTION_DAYS`` ago: set its invitations' email
    to NULL (their partner type, locality and times stay, so response rates stay right), delete
    every outbox message of the round (sent or not), and delete its unfinished drafts, which
    nobody can submit any more. One audit event per round.

    Idempotent: a round already erased with nothing new to erase is left alone and not listed.
    With ``dry_run`` nothing is written; the list says what a real run would erase.
    """
    now = now or utcnow()
    done = erased_rounds()
    results = []
    for round_, ended in expired_rounds(now):
        emails = _count(Invitation, Invitation.round_id == round_.id, Invitation.email.is_not(None))
        messages = _count(OutboxMessage, _messages_of(round_.id))
        drafts = _count(Draft, Draft.round_id == round_.id)
        if round_.id in done and not (emails or messages or drafts):
            continue
        results.append(ErasedEmails(round_.id, round_.title, ended, emails, messages, drafts))
        if dry_run:
            continue
        for statement in (
            sa.update(Invitation).where(Invitation.round_id == round_.id).values(email=None),
            sa.delete(OutboxMessage).where(_messages_of(round_.id)),
            sa.delete(Draft).where(Draft.round_id == round_.id),
        ):
            db.session.execute(statement, execution_options=NO_SYNC)
        record(
            ERASE_EMAILS,
            round_id=round_.id,
            emails=emails,
            messages=messages,
            drafts=drafts,
            retention_days=retention_days(),
            ended_on=timeutil.to_local(ended).date().isoformat(),
        )
    db.session.flush()
    if not dry_run and results:
        db.session.expire_all()
    return results


# --- erasing a round -------------------------------------------------------------------------
@dataclass(frozen=True)
class RoundContents:
    """Everything stored for a round, counted before it is erased."""

    responses: int
    answers: int
    drafts: int
    receipts: int
    invitations: int
    messages: int
    open_links: int
    import_batches: int
    published: bool
    #: Other rounds compared with this one (id, title): their comparison is cleared.
    compared_by: list[tuple[int, str]] = field(default_factory=list)


def round_contents(round_: Round) -> RoundContents:
    responses = sa.select(Response.id).where(Response.round_id == round_.id)
    return RoundContents(
        responses=_count(Response, Response.round_id == round_.id),
        answers=_count(Answer, Answer.response_id.in_(responses)),
        drafts=_count(Draft, Draft.round_id == round_.id),
        receipts=_count(SubmissionReceipt, SubmissionReceipt.round_id == round_.id),
        invitations=_count(Invitation, Invitation.round_id == round_.id),
        messages=_count(OutboxMessage, _messages_of(round_.id)),
        open_links=_count(OpenLink, OpenLink.round_id == round_.id),
        import_batches=_count(ImportBatch, ImportBatch.round_id == round_.id),
        published=round_.published_at is not None,
        compared_by=[
            (r.id, r.title)
            for r in db.session.execute(
                sa.select(Round.id, Round.title)
                .where(Round.compared_round_id == round_.id)
                .order_by(Round.id)
            )
        ],
    )


def title_confirmed(round_: Round, typed: str | None) -> bool:
    """Whether what was typed is the round's title (spaces at either end ignored)."""
    return (typed or "").strip() == round_.title.strip()


def erase_round(round_: Round, *, by: User | None = None) -> RoundContents:
    """Delete the round and everything of it: answers, responses, drafts, submission receipts,
    invitations, outbox messages, open links, import records and its published summary (held on
    the round). Rounds compared with it lose that link (their reports then fall back to the latest
    other closed round); its older audit events stay, no longer linked to it. Leaves one audit
    event naming the round's id and title (no personal data). Every statement is in the caller's
    transaction: all or nothing."""
    contents = round_contents(round_)
    round_id, title = round_.id, round_.title
    response_ids = sa.select(Response.id).where(Response.round_id == round_id)
    statements: list[sa.Executable] = [
        sa.update(Round).where(Round.compared_round_id == round_id).values(compared_round_id=None),
        sa.delete(Answer).where(Answer.response_id.in_(response_ids)),
        sa.delete(Response).where(Response.round_id == round_id),
        sa.delete(ImportBatch).where(ImportBatch.round_id == round_id),
        sa.delete(Draft).where(Draft.round_id == round_id),
        sa.delete(SubmissionReceipt).where(SubmissionReceipt.round_id == round_id),
        sa.delete(OutboxMessage).where(_messages_of(round_id)),
        sa.delete(Invitation).where(Invitation.round_id == round_id),
        sa.delete(OpenLink).where(OpenLink.round_id == round_id),
        sa.delete(round_partner_types).where(round_partner_types.c.round_id == round_id),
        sa.delete(round_localities).where(round_localities.c.round_id == round_id),
        sa.update(AuditEvent).where(AuditEvent.round_id == round_id).values(round_id=None),
    ]
    db.session.flush()
    for statement in statements:
        db.session.execute(statement, execution_options=NO_SYNC)
    db.session.expunge(round_)
    db.session.execute(sa.delete(Round).where(Round.id == round_id), execution_options=NO_SYNC)
    db.session.expire_all()
    record(
        ERASE_ROUND,
        user=by,
        round_id=None,
        erased_round_id=round_id,
        title=title,
        responses=contents.responses,
        invitations=contents.invitations,
        messages=contents.messages,
        open_links=contents.open_links,
        drafts=contents.drafts,
        published=contents.published,
        comparison_cleared_for=[rid for rid, _ in contents.compared_by],
    )
    db.session.flush()
    return contents


# --- subject access --------------------------------------------------------------------------
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
