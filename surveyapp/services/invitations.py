"""Invitations: recipients from a CSV file, personal links, invitation and reminder emails.

A recipient's link token is derived from a random nonce and the secret key
(:func:`surveyapp.services.tokens.invitation_token`); only its SHA-256 is stored, and emails are
queued with a ``{link}`` placeholder that :mod:`surveyapp.services.mail` fills in at send time,
so neither the invitations table nor the outbox ever holds a working link.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app, render_template

from surveyapp import timeutil
from surveyapp.extensions import db
from surveyapp.models import Invitation, OutboxMessage, Round, User
from surveyapp.models.base import utcnow
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
        header = [h.strip().lower() for h in next(reader)]
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
                f"unknown column(s) {', '.join(unknown)} (the "
                f"columns are email, partner_type and locality)",
            )
        )
    if repeated:
        header_problems.append(RowProblem(1, f"repeated column(s) {', '.join(repeated)}"))
    if header_problems:
        raise RecipientsRejected("the header row is not right; nobody was added", header_problems)

    col = {h: i for i, h in enumerate(header)}
    partner_types = {p.slug: p.id for p in round_.partner_types}
    localities = {loc.name.lower(): loc.id for loc in round_.localities}
    localities.update({loc.slug: loc.id for loc in round_.localities})
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
            slug = cells[col["partner_type"]].strip().lower()
            if not slug:
                reasons.append("partner_type is empty")
            elif slug not in partner_types:
                reasons.append(f"partner type {slug!r} is not part of this round")
            locality_id = None
            raw_locality = cells[col["locality"]].strip() if "locality" in col else ""
            if raw_locality:
                locality_id = localities.get(raw_locality.lower())
                if locality_id is None:
                    reasons.append(f"locality {raw_locality!r} is not part of this round")
            if reasons:
                problems.append(RowProblem(row_number, "; ".join(reasons)))
                continue
            recipients.append(Recipient(email, partner_types[slug], locality_id))
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
        Invitation.completed_on.is_(None),
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
            sa.func.count(Invitation.completed_on),
        ).where(Invitation.round_id == round_.id)
    ).one()
    return {
        "invited": row[0],
        "unsent": row[0] - row[1],
        "sent": row[1],
        "reminded": row[2],
        "completed": row[3],
    }
