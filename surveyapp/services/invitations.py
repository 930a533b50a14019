"""Invitations: recipients from a CSV file, personal links, invitation and reminder emails.

A recipient's link token is derived from a random nonce and the secret key
(:func:`surveyapp.services.tokens.invitation_token`); only its SHA-256 is stored, and emails are
queued with a ``{link}`` placeholder that :mod:`surveyapp.services.mail` fills in at send time,
so neither the invitations table nor the outbox ever holds a working link.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app, render_template

from surveyapp import timeutil
from surveyapp.extensions import db
from surveyapp.models import Invitation, OutboxMessage, Round, User
from surveyapp.models.base import utcnow
from surveyapp.models.invitations import completed as invitation_completed
from surveyapp.models.rounds import RoundStatus
from surveyapp.services import ServiceError
from surveyapp.services.audit import record
from surveyapp.services.imports import NUL_MESSAGE, RowProblem
from surveyapp.services.links import invitation_url
from surveyapp.services.rounds import EmailWording, wording_of
from surveyapp.services.tokens import invitation_token, new_nonce, sha256
from surveyapp.services.users import normalise_email, valid_email

MAX_ROWS = 20_000
COLUMNS = ("email", "partner_type", "locality")
LINK_PLACEHOLDER = "{link}"


class RecipientsRejected(ServiceError):
    """The file was refused; ``problems`` lists each bad row with its number."""

    def __init__(self, message: str, problems: list[RowProblem] | None = None) -> None:
        super().__init__(message, "file")
        self.problems = problems or []


@dataclass(frozen=True)
class Recipient:
    email: str
    partner_type_id: int
    locality_id: int | None


@dataclass(frozen=True)
class AddResult:
    added: int
    already_invited: int


#: Other spellings of a column's name that people's spreadsheets use.
COLUMN_ALIASES = {"e_mail": "email", "email_address": "email", "type": "partner_type"}


def column_name(header: str) -> str:
    """A header cell as a column name: case, spaces and hyphens do not matter, so
    ``Partner type`` and ``partner-type`` are ``partner_type``."""
    name = re.sub(r"[\s\-]+", "_", header.strip().lower())
    return COLUMN_ALIASES.get(name, name)


def _key(value: str) -> str:
    """A label or slug reduced to letters and digits, so "Health visiting", "health visiting"
    and ``health_visiting`` match."""
    return re.sub(r"[^0-9a-z]+", "", value.lower())


def read_recipients(round_: Round, content: bytes) -> list[Recipient]:
    """Every row of the file checked against the round: the recipients, or
    :class:`RecipientsRejected` listing each bad or repeated row."""
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise RecipientsRejected(
            "the file is not UTF-8 text; save it as CSV UTF-8 and try again"
        ) from exc
    if "\x00" in text:
        raise RecipientsRejected(NUL_MESSAGE)
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = [column_name(h) for h in next(reader)]
    except StopIteration:
        raise RecipientsRejected("the file is empty") from None
    except csv.Error as exc:
        raise RecipientsRejected(f"row 1 is not a readable CSV row ({exc})") from exc
    missing = [c for c in ("email", "partner_type") if c not in header]
    unknown = [h for h in header if h not in COLUMNS]
    repeated = sorted({h for h in header if header.count(h) > 1})
    header_problems = []
    if missing:
        header_problems.append(RowProblem(1, f"the header has no {' or '.join(missing)} column"))
    if unknown:
        header_problems.append(
            RowProblem(
                1,
                f"unknown column(s) {', '.join(unknown)} (the columns are email, "
                f"partner_type or “Partner type”, and locality)",
            )
        )
    if repeated:
        header_problems.append(RowProblem(1, f"repeated column(s) {', '.join(repeated)}"))
    if header_problems:
        raise RecipientsRejected("the header row is not right; nobody was added", header_problems)

    col = {h: i for i, h in enumerate(header)}
    partner_types = {_key(p.slug): p.id for p in round_.partner_types}
    partner_types.update({_key(p.label): p.id for p in round_.partner_types})
    localities = {_key(loc.name): loc.id for loc in round_.localities}
    localities.update({_key(loc.slug): loc.id for loc in round_.localities})
    accepted_types = ", ".join(f"{p.label} ({p.slug})" for p in round_.partner_types)
    accepted_localities = ", ".join(loc.name for loc in round_.localities) or "none"
    problems: list[RowProblem] = []
    recipients: list[Recipient] = []
    first_row_of: dict[str, int] = {}
    row_number = 1
    try:
        for cells in reader:
            row_number += 1
            if row_number - 1 > MAX_ROWS:
                raise RecipientsRejected(f"the file has more than {MAX_ROWS:,} rows; split it")
            if not any(cell.strip() for cell in cells):
                continue
            if len(cells) != len(header):
                problems.append(
                    RowProblem(row_number, f"has {len(cells)} cells, the header has {len(header)}")
                )
                continue
            reasons = []
            email = normalise_email(cells[col["email"]])
            if not email:
                reasons.append("email is empty")
            elif not valid_email(email):
                reasons.append(f"{email!r} is not an email address")
            elif email in first_row_of:
                reasons.append(f"{email} is already on row {first_row_of[email]}")
            else:
                first_row_of[email] = row_number
            raw_type = cells[col["partner_type"]].strip()
            partner_type_id = partner_types.get(_key(raw_type))
            if not raw_type:
                reasons.append("partner_type is empty")
            elif partner_type_id is None:
                reasons.append(
                    f"partner type {raw_type!r} is not part of this round "
                    f"(use one of: {accepted_types})"
                )
            locality_id = None
            raw_locality = cells[col["locality"]].strip() if "locality" in col else ""
            if raw_locality:
                locality_id = localities.get(_key(raw_locality))
                if locality_id is None:
                    reasons.append(
                        f"locality {raw_locality!r} is not part of this round "
                        f"(use one of: {accepted_localities}, or leave it empty)"
                    )
            if reasons:
                problems.append(RowProblem(row_number, "; ".join(reasons)))
                continue
            assert partner_type_id is not None  # no reasons, so it was found
            recipients.append(Recipient(email, partner_type_id, locality_id))
    except csv.Error as exc:
        problems.append(RowProblem(row_number, f"not a readable CSV row ({exc})"))
    if problems:
        raise RecipientsRejected(
            f"{len(problems)} row(s) have problems; nobody was added", problems
        )
    if not recipients:
        raise RecipientsRejected("the file has no recipients")
    return recipients


def add_invitations(
    round_: Round, content: bytes, filename: str, *, by: User | None = None
) -> AddResult:
    """Add the file's recipients to the round, skipping anyone already invited; all or none."""
    if round_.status == RoundStatus.CLOSED.value:
        raise ServiceError("this round is closed, so nobody more can be invited", "file")
    recipients = read_recipients(round_, content)
    existing = set(
        db.session.scalars(
            sa.select(Invitation.email).where(
                Invitation.round_id == round_.id,
                Invitation.email.in_([r.email for r in recipients]),
            )
        )
    )
    added = 0
    for recipient in recipients:
        if recipient.email in existing:
            continue
        nonce = new_nonce()
        db.session.add(
            Invitation(
                round_id=round_.id,
                email=recipient.email,
                partner_type_id=recipient.partner_type_id,
                locality_id=recipient.locality_id,
                token_nonce=nonce,
                token_hash=sha256(invitation_token(nonce)),
            )
        )
        added += 1
    db.session.flush()
    record(
        "invitations.add",
        user=by,
        round_id=round_.id,
        filename=filename[:255],
        added=added,
        already_invited=len(recipients) - added,
    )
    return AddResult(added=added, already_invited=len(recipients) - added)


def invitation_link(invitation: Invitation) -> str:
    """The recipient's personal survey link, re-derived from the nonce (never stored)."""
    return invitation_url(invitation_token(invitation.token_nonce))


def _fill(text: str, round_: Round) -> str:
    """Every placeholder but ``{link}``, which is filled in only when the email is sent."""
    closes = timeutil.format_date(round_.closes_on) if round_.closes_on else "the end of the round"
    return (
        text.replace("{title}", round_.title)
        .replace("{closes_on}", closes)
        .replace("{council}", current_app.config["COUNCIL_NAME"])
    )


def text_to_html(text: str) -> str:
    """The HTML part of an email (templates/email/message.html): the text's paragraphs and
    line breaks, escaped, with the link placeholder as a link."""
    paragraphs = [
        [line.split(LINK_PLACEHOLDER) for line in para.strip().split("\n")]
        for para in text.split("\n\n")
        if para.strip()
    ]
    return render_template("email/message.html", paragraphs=paragraphs, link=LINK_PLACEHOLDER)


def _queue(round_: Round, invitation: Invitation, kind: str, subject: str, body: str) -> None:
    body_text = _fill(body, round_)
    db.session.add(
        OutboxMessage(
            kind=kind,
            round_id=round_.id,
            invitation_id=invitation.id,
            to_addr=invitation.email,
            subject=_fill(subject, round_)[:255],
            body_text=body_text,
            body_html=text_to_html(body_text),
        )
    )


def _require_open(round_: Round, what: str) -> None:
    if round_.status != RoundStatus.OPEN.value:
        state = "still a draft" if round_.status == RoundStatus.DRAFT.value else "closed"
        raise ServiceError(f"{what} can only be sent while the round is open; it is {state}")


def send_invitations(round_: Round, *, by: User | None = None) -> int:
    """Queue an invitation email to everyone not yet sent one; returns how many."""
    _require_open(round_, "invitations")
    wording: EmailWording = wording_of(round_)
    pending = db.session.scalars(
        sa.select(Invitation)
        .where(
            Invitation.round_id == round_.id,
            Invitation.sent_at.is_(None),
            Invitation.email.is_not(None),
        )
        .order_by(Invitation.id)
    ).all()
    now = utcnow()
    for invitation in pending:
        _queue(
            round_, invitation, "invitation", wording.invitation_subject, wording.invitation_body
        )
        invitation.sent_at = now
    db.session.flush()
    record("invitations.send", user=by, round_id=round_.id, queued=len(pending))
    return len(pending)


def reminder_due_clause(round_: Round, now: datetime) -> sa.ColumnElement[bool]:
    """Who may be reminded now: invited, not completed, under the round's reminder limit, and
    the round's gap past both the invitation and the last reminder."""
    cutoff = now - timedelta(days=round_.reminder_gap_days)
    return sa.and_(
        Invitation.round_id == round_.id,
        Invitation.email.is_not(None),
        Invitation.sent_at.is_not(None),
        Invitation.sent_at <= cutoff,
        ~invitation_completed(),
        Invitation.reminder_count < round_.max_reminders,
        sa.or_(Invitation.last_reminded_at.is_(None), Invitation.last_reminded_at <= cutoff),
    )


def reminders_due(round_: Round, now: datetime | None = None) -> int:
    """How many people a reminder would go to now."""
    clause = reminder_due_clause(round_, now or utcnow())
    return db.session.scalar(sa.select(sa.func.count()).select_from(Invitation).where(clause)) or 0


def send_reminders(round_: Round, *, by: User | None = None, now: datetime | None = None) -> int:
    """Queue a reminder to each person who has not completed and is due one; returns how many."""
    _require_open(round_, "reminders")
    now = now or utcnow()
    wording = wording_of(round_)
    due = db.session.scalars(
        sa.select(Invitation).where(reminder_due_clause(round_, now)).order_by(Invitation.id)
    ).all()
    for invitation in due:
        _queue(round_, invitation, "reminder", wording.reminder_subject, wording.reminder_body)
        invitation.last_reminded_at = now
        invitation.reminder_count += 1
    db.session.flush()
    record("invitations.remind", user=by, round_id=round_.id, queued=len(due))
    return len(due)


def invitation_summary(round_: Round) -> dict[str, int]:
    """Counts for the invitations page: invited, not yet sent, sent, reminded, completed."""
    row = db.session.execute(
        sa.select(
            sa.func.count(),
            sa.func.count(Invitation.sent_at),
            sa.func.count(Invitation.last_reminded_at),
            sa.func.count(sa.case((invitation_completed(), 1))),
        ).where(Invitation.round_id == round_.id)
    ).one()
    return {
        "invited": row[0],
        "unsent": row[0] - row[1],
        "sent": row[1],
        "reminded": row[2],
        "completed": row[3],
    }


# --- the participant table -------------------------------------------------------------------
#: Rows per page of the participant table.
PARTICIPANTS_PER_PAGE = 100


@dataclass(frozen=True)
class Participant:
    """One invited person as the lead sees them: never anything of their answers."""

    id: int
    email: str | None
    partner_type: str
    locality: str | None
    status: str
    sent_at: datetime | None
    last_reminded_at: datetime | None
    reminder_count: int


def participant_status(invitation: Invitation) -> str:
    """invited (not emailed yet), sent, reminded, started or completed: the furthest reached."""
    if invitation.completed_on is not None:
        return "completed"
    if invitation.started_on is not None:
        return "started"
    if invitation.reminder_count:
        return "reminded"
    if invitation.sent_at is not None:
        return "sent"
    return "invited"


def participants(
    round_: Round, *, search: str = "", page: int = 1
) -> tuple[list[Participant], int]:
    """A page of the round's invited people (by email), and how many match ``search`` in all."""
    where = [Invitation.round_id == round_.id]
    needle = search.strip().lower()
    if needle:
        escaped = needle.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        where.append(Invitation.email.like(f"%{escaped}%", escape="\\"))
    total = db.session.scalar(sa.select(sa.func.count()).select_from(Invitation).where(*where))
    rows = db.session.scalars(
        sa.select(Invitation)
        .where(*where)
        .order_by(Invitation.email.is_(None), Invitation.email, Invitation.id)
        .offset((max(page, 1) - 1) * PARTICIPANTS_PER_PAGE)
        .limit(PARTICIPANTS_PER_PAGE)
    )
    return [
        Participant(
            id=i.id,
            email=i.email,
            partner_type=i.partner_type.label,
            locality=i.locality.name if i.locality else None,
            status=participant_status(i),
            sent_at=i.sent_at,
            last_reminded_at=i.last_reminded_at,
            reminder_count=i.reminder_count,
        )
        for i in rows
    ], total or 0


def invitation_by_email(round_: Round, email: str) -> Invitation:
    """The round's invitation for ``email`` (any case), or a :class:`ServiceError`."""
    invitation = db.session.scalar(
        sa.select(Invitation).where(
            Invitation.round_id == round_.id, Invitation.email == normalise_email(email)
        )
    )
    if invitation is None:
        raise ServiceError(f"{email.strip()} is not invited to this round", "email")
    return invitation


def resend_invitation(round_: Round, invitation: Invitation, *, by: User | None = None) -> None:
    """Queue this person's invitation again (a lost or deleted email); their link is the same."""
    _require_open(round_, "invitations")
    if invitation.email is None:
        raise ServiceError("this person's address has been erased, so they cannot be emailed")
    if invitation.completed_on is not None:
        raise ServiceError("this person has already completed the survey")
    wording = wording_of(round_)
    _queue(round_, invitation, "invitation", wording.invitation_subject, wording.invitation_body)
    invitation.sent_at = invitation.sent_at or utcnow()
    db.session.flush()
    record("invitation.resend", user=by, round_id=round_.id, invitation_id=invitation.id)


def remove_invitation(round_: Round, invitation: Invitation, *, by: User | None = None) -> None:
    """Take someone off the list (wrong person, left the job): their link stops working and
    their unsent emails are dropped. Someone who completed stays counted; erase their address
    instead."""
    if invitation.completed_on is not None:
        raise ServiceError(
            "this person has completed the survey, so they stay in the response rate; "
            "erase their address instead"
        )
    db.session.execute(
        sa.delete(OutboxMessage).where(
            OutboxMessage.invitation_id == invitation.id, OutboxMessage.status == "pending"
        )
    )
    record("invitation.remove", user=by, round_id=round_.id, invitation_id=invitation.id)
    db.session.delete(invitation)
    db.session.flush()


def erase_invitation_email(
    round_: Round, invitation: Invitation, *, by: User | None = None
) -> None:
    """Erase one person's address from the round (their invitation and every email to them);
    the counts stay. The audit log records which invitation, never the address."""
    if invitation.email is None:
        raise ServiceError("this person's address is already erased")
    db.session.execute(sa.delete(OutboxMessage).where(OutboxMessage.invitation_id == invitation.id))
    invitation.email = None
    db.session.flush()
    record("invitation.erase_email", user=by, round_id=round_.id, invitation_id=invitation.id)
