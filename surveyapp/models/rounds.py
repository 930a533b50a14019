"""Survey rounds and their open links."""

from __future__ import annotations

import enum
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
import sqlalchemy.orm as so

from surveyapp.analysis.basics import SMALLEST_MIN_GROUP_SIZE
from surveyapp.extensions import Model, db
from surveyapp.models.base import JSONType, one_of, utcnow
from surveyapp.models.instruments import InstrumentSnapshot
from surveyapp.models.reference import Locality, PartnerType

DEFAULT_MIN_GROUP_SIZE = 10


class RoundStatus(enum.StrEnum):
    DRAFT = "draft"
    OPEN = "open"
    CLOSED = "closed"


round_partner_types = sa.Table(
    "round_partner_types",
    db.metadata,
    sa.Column("round_id", sa.ForeignKey("rounds.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("partner_type_id", sa.ForeignKey("partner_types.id"), primary_key=True),
)

round_localities = sa.Table(
    "round_localities",
    db.metadata,
    sa.Column("round_id", sa.ForeignKey("rounds.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("locality_id", sa.ForeignKey("localities.id"), primary_key=True),
)


class Round(Model):
    __tablename__ = "rounds"
    __table_args__ = (
        sa.CheckConstraint(f"min_group_size >= {SMALLEST_MIN_GROUP_SIZE}", name="min_group_size"),
        one_of("status", RoundStatus),
        sa.CheckConstraint(
            "closes_on IS NULL OR opens_on IS NULL OR closes_on >= opens_on", name="dates_in_order"
        ),
        sa.CheckConstraint("reminder_gap_days >= 1", name="reminder_gap"),
        sa.CheckConstraint("max_reminders >= 0", name="max_reminders"),
        # an erased round's id is never given to a new one (SQLite would reuse the highest),
        # so (database, round id, report version) keys a cached report unambiguously
        {"sqlite_autoincrement": True},
    )

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    title: so.Mapped[str] = so.mapped_column(sa.String(200))
    instrument_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("instrument_snapshots.id"))
    #: draft -> open -> closed.
    status: so.Mapped[str] = so.mapped_column(sa.String(10), default=RoundStatus.DRAFT.value)
    #: First and last day answers are accepted (council time zone); either may be unset.
    opens_on: so.Mapped[date | None]
    closes_on: so.Mapped[date | None]
    min_group_size: so.Mapped[int] = so.mapped_column(default=DEFAULT_MIN_GROUP_SIZE)
    #: The round this one is compared with; unset means the latest closed round of the instrument.
    compared_round_id: so.Mapped[int | None] = so.mapped_column(
        sa.ForeignKey("rounds.id", ondelete="SET NULL")
    )
    #: Domain key -> {"label": ..., "url": ...}: the local offer shown after submitting.
    signposts: so.Mapped[dict[str, Any]] = so.mapped_column(JSONType, default=dict)
    thank_you_message: so.Mapped[str] = so.mapped_column(sa.Text, default="")
    #: When and how results will be shared, told to respondents on the thank-you page.
    results_message: so.Mapped[str] = so.mapped_column(sa.Text, default="")
    reminder_gap_days: so.Mapped[int] = so.mapped_column(default=7)
    max_reminders: so.Mapped[int] = so.mapped_column(default=2)
    invitation_subject: so.Mapped[str] = so.mapped_column(sa.String(200), default="")
    invitation_body: so.Mapped[str] = so.mapped_column(sa.Text, default="")
    reminder_subject: so.Mapped[str] = so.mapped_column(sa.String(200), default="")
    reminder_body: so.Mapped[str] = so.mapped_column(sa.Text, default="")
    #: "You said, we did": the lead's actions, shown in the published summary.
    actions_text: so.Mapped[str] = so.mapped_column(sa.Text, default="")
    published_at: so.Mapped[datetime | None]
    opened_at: so.Mapped[datetime | None]
    closed_at: so.Mapped[datetime | None]
    created_at: so.Mapped[datetime] = so.mapped_column(default=utcnow)
    created_by_id: so.Mapped[int | None] = so.mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )
    #: Bumped whenever responses change, so cached reports know they are stale.
    data_version: so.Mapped[int] = so.mapped_column(default=0)

    instrument: so.Mapped[InstrumentSnapshot] = so.relationship(lazy="joined")
    partner_types: so.Mapped[list[PartnerType]] = so.relationship(
        secondary=round_partner_types, order_by=PartnerType.position
    )
    localities: so.Mapped[list[Locality]] = so.relationship(
        secondary=round_localities, order_by=Locality.name
    )
    compared_round: so.Mapped[Round | None] = so.relationship(remote_side=[id])
    open_links: so.Mapped[list[OpenLink]] = so.relationship(
        back_populates="round", cascade="all, delete-orphan"
    )

    def __repr__(self) -> str:
        return f"<Round {self.id} {self.status}>"


class OpenLink(Model):
    __tablename__ = "open_links"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    round_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("rounds.id", ondelete="CASCADE"), index=True
    )
    #: Random, URL-safe: ``/o/<slug>``.
    slug: so.Mapped[str] = so.mapped_column(sa.String(40), unique=True)
    partner_type_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("partner_types.id"))
    locality_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("localities.id"))
    active: so.Mapped[bool] = so.mapped_column(default=True)
    created_at: so.Mapped[datetime] = so.mapped_column(default=utcnow)
    #: The lead's name for the channel ("Team briefing 3 March"), unique per round ignoring case
    #: (checked by the service; links made before names existed have none).
    name: so.Mapped[str | None] = so.mapped_column(sa.String(120))
    #: Several responses may come from one browser, one after the other (a shared tablet).
    shared_device: so.Mapped[bool] = so.mapped_column(default=False, server_default=sa.false())

    round: so.Mapped[Round] = so.relationship(back_populates="open_links")
    partner_type: so.Mapped[PartnerType | None] = so.relationship()
    locality: so.Mapped[Locality | None] = so.relationship()
