"""Rounds filled with every kind of row the data protection features deal with."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date, datetime

import sqlalchemy as sa

from surveyapp.extensions import db
from surveyapp.models import Draft, Invitation, OutboxMessage, Round, SubmissionReceipt
from surveyapp.services import imports, invitations, rounds

#: Three statements of the standard instrument: every imported row answers all three.
ITEMS = ("comm_partners", "path_children", "path_parents")
IMPORT_ROWS = ("school,North,5,Agree,DK", "police,,2,Disagree,4", "school,North,3,DK,1")


@dataclass(frozen=True)
class Filled:
    """What :func:`fill_round` put in, to compare with what is found later."""

    round_id: int
    invitations: int
    messages: int
    drafts: int
    responses: int
    answers: int
    receipts: int
    open_links: int
    partner_types: int
    localities: int


def fill_round(
    title: str,
    emails: list[str],
    *,
    closed_at: datetime | None = None,
    completed: int = 1,
    drafts: int = 2,
    compared_round_id: int | None = None,
    publish: bool = False,
) -> Filled:
    """An open round (closed at ``closed_at`` if given) with invitations to ``emails`` (all
    sent, the first ``completed`` of them completed), a reminder to the first person who has not
    completed, ``drafts`` unfinished answers, three imported responses, one submission receipt
    and an open link. Call inside an app context; commits."""
    round_ = rounds.create_round(
        instrument_ref="early-help-pathways@1",
        title=title,
        partner_type_slugs=["school", "police"],
        locality_names=["North"],
        compared_round_id=compared_round_id,
    )
    rounds.open_round(round_)
    csv = "email,partner_type,locality\n" + "".join(
        f"{email},{'school' if i % 2 == 0 else 'police'},{'North' if i % 3 == 0 else ''}\n"
        for i, email in enumerate(emails)
    )
    invitations.add_invitations(round_, csv.encode(), "people.csv")
    invitations.send_invitations(round_)
    invited = db.session.scalars(
        sa.select(Invitation).where(Invitation.round_id == round_.id).order_by(Invitation.id)
    ).all()
    for inv in invited[:completed]:
        inv.started_on = inv.completed_on = date(2026, 1, 5)
    reminded = invited[completed : completed + 1]
    for inv in reminded:
        db.session.add(
            OutboxMessage(
                kind="reminder",
                round_id=round_.id,
                invitation_id=inv.id,
                to_addr=inv.email,
                subject=f"Reminder: {title}",
                body_text="Answer the survey: {link}",
                status="sent",
            )
        )
        inv.reminder_count, inv.last_reminded_at = 1, datetime(2026, 1, 8, 9)
    for n in range(drafts):
        db.session.add(
            Draft(
                round_id=round_.id,
                key_hash=_key(f"{title} draft {n}"),
                data={"answers": {"comm_partners": "4"}, "page": 1},
            )
        )
    db.session.add(
        SubmissionReceipt(
            key_hash=_key(f"{title} receipt"), round_id=round_.id, submitted_on=date(2026, 1, 5)
        )
    )
    # Blank lines are skipped by the import; they make each round's file different, because
    # the same file cannot be imported twice.
    content = (
        "partner_type,locality,"
        + ",".join(ITEMS)
        + "\n"
        + "\n".join(IMPORT_ROWS)
        + "\n" * (round_.id + 1)
    )
    imports.import_responses(round_, content.encode(), f"{title}.csv")
    rounds.create_open_link(round_)
    if closed_at is not None:
        rounds.close_round(round_)
        round_.closed_at = closed_at
        if publish:
            rounds.publish_round(round_, "We will run two briefings for schools.")
    db.session.commit()
    return Filled(
        round_id=round_.id,
        invitations=len(emails),
        messages=len(emails) + len(reminded),
        drafts=drafts,
        responses=len(IMPORT_ROWS),
        answers=len(IMPORT_ROWS) * len(ITEMS),
        receipts=1,
        open_links=1,
        partner_types=2,
        localities=1,
    )


def _key(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def table_counts() -> dict[str, int]:
    """Rows in every table of the schema."""
    return {
        table.name: db.session.scalar(sa.select(sa.func.count()).select_from(table))
        for table in db.metadata.sorted_tables
    }


def rows_of_round(round_id: int) -> dict[str, int]:
    """Rows that name the round in any table with a ``round_id`` or compared-round column."""
    found = {}
    for table in db.metadata.sorted_tables:
        for column in ("round_id", "compared_round_id"):
            if column in table.c:
                n = db.session.scalar(
                    sa.select(sa.func.count()).select_from(table).where(table.c[column] == round_id)
                )
                if n:
                    found[f"{table.name}.{column}"] = n
    found["rounds"] = db.session.scalar(
        sa.select(sa.func.count()).select_from(Round).where(Round.id == round_id)
    )
    return {k: v for k, v in found.items() if v}
