"""Quotes a lead publishes from a round's comments ("In their own words").

The lead chooses one comment, may edit it to take out names and places (the edited text is what
is published; the comment itself is never changed), and may also let it appear on the round's
public summary. Where a quote is shown, and with which group, is decided by
:mod:`surveyapp.reporting.quotes`. Every change is audited and bumps the round's report version,
so no cached report keeps a withdrawn quote.
"""

from __future__ import annotations

import sqlalchemy as sa

from surveyapp.extensions import db
from surveyapp.models import PublishedQuote, Response, Round, User
from surveyapp.services import Problems, ServiceError
from surveyapp.services.audit import record
from surveyapp.services.report_version import bump_report_version

#: The longest quote a lead may publish, in characters.
MAX_QUOTE = 1000
NO_COMMENT = "There is no such comment in this round"


def comment_of(round_: Round, response_id: int) -> Response:
    """The round's response with this id, if it has a comment.

    Raises :class:`ServiceError` when there is none.
    """
    response = db.session.scalar(
        sa.select(Response).where(Response.id == response_id, Response.round_id == round_.id)
    )
    if response is None or not (response.comment or "").strip():
        raise ServiceError(NO_COMMENT, field="response")
    return response


def quote_for(response_id: int) -> PublishedQuote | None:
    """The quote published from this response's comment, if any."""
    return db.session.scalar(
        sa.select(PublishedQuote).where(PublishedQuote.response_id == response_id)
    )


def round_quotes(round_: Round) -> list[PublishedQuote]:
    """The round's published quotes, oldest first."""
    return list(
        db.session.scalars(
            sa.select(PublishedQuote)
            .where(PublishedQuote.round_id == round_.id)
            .order_by(PublishedQuote.id)
        )
    )


def publish_quote(
    round_: Round, response_id: int, text: str, *, public: bool, by: User | None
) -> PublishedQuote:
    """Publish (or change) the quote of one comment: ``text`` as the lead edited it.

    Raises :class:`ServiceError` (every problem at once) for a comment not in the round, or
    a text that is empty or too long. Flushes.
    """
    problems = Problems()
    response: Response | None = None
    try:
        response = comment_of(round_, response_id)
    except ServiceError as exc:
        problems.collect(exc)
    text = text.replace("\r\n", "\n").strip()
    if not text:
        problems.add("Enter the words to publish", field="text")
    elif len(text) > MAX_QUOTE:
        problems.add(
            f"The quote must be {MAX_QUOTE} characters or fewer (it has {len(text)})", field="text"
        )
    problems.raise_any()
    assert response is not None
    quote = quote_for(response.id)
    action = "quote.publish" if quote is None else "quote.update"
    if quote is None:
        quote = PublishedQuote(round_id=round_.id, response_id=response.id)
        db.session.add(quote)
    quote.text = text
    quote.public = public
    db.session.flush()
    record(
        action,
        user=by,
        round_id=round_.id,
        quote_id=quote.id,
        edited=text != (response.comment or "").strip(),
        public=public,
    )
    bump_report_version(round_.id)
    return quote


def withdraw_quote(round_: Round, quote_id: int, *, by: User | None) -> None:
    """Withdraw a published quote from every report (the comment stays, unpublished).

    Raises :class:`ServiceError` for a quote not in this round. Flushes.
    """
    quote = db.session.get(PublishedQuote, quote_id)
    if quote is None or quote.round_id != round_.id:
        raise ServiceError("There is no such published quote in this round", field="quote")
    db.session.delete(quote)
    record("quote.withdraw", user=by, round_id=round_.id, quote_id=quote_id)
    bump_report_version(round_.id)
