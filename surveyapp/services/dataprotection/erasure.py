"""Erasing a round entirely, with everything that hangs off it."""

from __future__ import annotations

from dataclasses import dataclass, field

import sqlalchemy as sa

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
from surveyapp.models.rounds import round_localities, round_partner_types
from surveyapp.services.audit import record
from surveyapp.services.dataprotection.common import (
    ERASE_ROUND,
    NO_SYNC,
    count_rows,
    messages_of,
)


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
        responses=count_rows(Response, Response.round_id == round_.id),
        answers=count_rows(Answer, Answer.response_id.in_(responses)),
        drafts=count_rows(Draft, Draft.round_id == round_.id),
        receipts=count_rows(SubmissionReceipt, SubmissionReceipt.round_id == round_.id),
        invitations=count_rows(Invitation, Invitation.round_id == round_.id),
        messages=count_rows(OutboxMessage, messages_of(round_.id)),
        open_links=count_rows(OpenLink, OpenLink.round_id == round_.id),
        import_batches=count_rows(ImportBatch, ImportBatch.round_id == round_.id),
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
        sa.delete(OutboxMessage).where(messages_of(round_id)),
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
