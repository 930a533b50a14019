"""Comments a lead chose to publish as quotes ("In their own words" in managers' reports)."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
import sqlalchemy.orm as so

from surveyapp.extensions import Model
from surveyapp.models.base import utcnow
from surveyapp.models.responses import Response


class PublishedQuote(Model):
    """One published quote per comment. ``text`` is what is published, perhaps edited by the
    lead to take out names and places; the response's own comment is never changed. Removed
    with its response or round."""

    __tablename__ = "published_quotes"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    round_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("rounds.id", ondelete="CASCADE"), index=True
    )
    response_id: so.Mapped[int] = so.mapped_column(
        sa.BigInteger, sa.ForeignKey("responses.id", ondelete="CASCADE"), unique=True
    )
    text: so.Mapped[str] = so.mapped_column(sa.Text)
    #: Also shown on the round's public summary (never without this).
    public: so.Mapped[bool] = so.mapped_column(default=False)
    published_at: so.Mapped[datetime] = so.mapped_column(default=utcnow)

    response: so.Mapped[Response] = so.relationship()
