"""Retention: a round's invitation email addresses (and emails to them) are erased
``RETENTION_DAYS`` after it ends; the invitations keep their partner type, locality and times."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta

import sqlalchemy as sa

from surveyapp import timeutil
from surveyapp.extensions import db
from surveyapp.models import (
    AuditEvent,
    Draft,
    Invitation,
    OutboxMessage,
    Round,
)
from surveyapp.models.base import utcnow
from surveyapp.models.rounds import RoundStatus
from surveyapp.services.audit import record
from surveyapp.services.dataprotection.common import (
    ERASE_EMAILS,
    NO_SYNC,
    count_rows,
    messages_of,
    retention_days,
)


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
        count_rows(Invitation, Invitation.round_id == round_.id, Invitation.email.is_not(None)),
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
        emails = count_rows(
            Invitation, Invitation.round_id == round_.id, Invitation.email.is_not(None)
        )
        messages = count_rows(OutboxMessage, messages_of(round_.id))
        drafts = count_rows(Draft, Draft.round_id == round_.id)
        if round_.id in done and not (emails or messages or drafts):
            continue
        results.append(ErasedEmails(round_.id, round_.title, ended, emails, messages, drafts))
        if dry_run:
            continue
        for statement in (
            sa.update(Invitation).where(Invitation.round_id == round_.id).values(email=None),
            sa.delete(OutboxMessage).where(messages_of(round_.id)),
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
