"""Responses, their answers, drafts in progress, submission receipts and import batches.

A response carries no link to an invitation: its id is random (so id order says nothing about
submission order), its date is a day, and one-response-per-person is enforced by
:class:`SubmissionReceipt`, a separate table keyed by the invitation or open-link session.
"""

from __future__ import annotations

import enum
import functools
import secrets
from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
import sqlalchemy.orm as so

from surveyapp.extensions import Model
from surveyapp.instruments import Instrument
from surveyapp.instruments.about import RoleLevel, Training
from surveyapp.instruments.scales import DONT_KNOW
from surveyapp.models.base import JSONType, one_of, utcnow
from surveyapp.models.reference import Locality, PartnerType


class Channel(enum.StrEnum):
    """How a response arrived."""

    INVITE = "invite"
    OPEN = "open"
    IMPORT = "import"


CHANNELS = tuple(Channel)
ROLE_LEVELS = tuple(RoleLevel)
TRAINING_ANSWERS = tuple(Training)


def random_id() -> int:
    """A random positive 62-bit id that fits a signed BIGINT."""
    return secrets.randbits(62) or 1


#: A response's statement answers packed into integers (the ``packed_answers_*`` columns): each
#: item's answer is a 3-bit code (0 none, 1-5 the value, 6 "don't know") at the item's place in
#: the round instrument's item order, 20 items to a signed 64-bit integer (60 bits used). Reports
#: read a round as one row per response instead of one per answer (``reporting/frames.py``).
PACKED_BITS = 3
PACKED_ITEMS = 20
PACKED_DONT_KNOW = 6
#: Items 1-20 and 21-40; an instrument's items after the 40th are read from the answers.
PACKED_COLUMNS = ("packed_answers_1", "packed_answers_2")


#: One stored answer as the packer reads it: (item id, value 1-5 or None, dont know).
StoredAnswer = tuple[str, int | None, bool]


class AnswerPacker:
    """Packs one response's answers for an instrument's items (in its order) into the values
    of :data:`PACKED_COLUMNS`; a column past the instrument's last item is NULL."""

    def __init__(self, item_ids: Sequence[str]) -> None:
        self.used = min(len(PACKED_COLUMNS), -(-len(item_ids) // PACKED_ITEMS))
        self._places = {
            item: (k // PACKED_ITEMS, PACKED_BITS * (k % PACKED_ITEMS))
            for k, item in enumerate(item_ids)
            if k < PACKED_ITEMS * self.used
        }

    def pack(self, answers: Iterable[StoredAnswer]) -> tuple[int | None, ...]:
        """The packed values of one response's answers, one per answered item, as the answers
        table holds them (its CHECK keeps a value 1-5 when not "don't know"); items the
        instrument does not have add nothing, as in the report's own reading of the answers."""
        packed: list[int] = [0] * self.used
        places = self._places
        for item, value, dont_know in answers:
            place = places.get(item)
            if place is not None:
                packed[place[0]] += (PACKED_DONT_KNOW if dont_know else value or 0) << place[1]
        return (*packed, *[None] * (len(PACKED_COLUMNS) - self.used))

    def pack_each(
        self, answers: Iterable[tuple[int, str, int | None, bool]]
    ) -> dict[int, dict[str, int | None]]:
        """The packed columns of many responses by response id, from (response id, item id,
        value, dont know) rows in any order; a response with no row here is not in it."""
        by_response: dict[int, list[StoredAnswer]] = {}
        for response_id, item, value, dont_know in answers:
            by_response.setdefault(response_id, []).append((item, value, dont_know))
        return {
            response_id: dict(zip(PACKED_COLUMNS, self.pack(rows), strict=True))
            for response_id, rows in by_response.items()
        }

    def empty(self) -> dict[str, int | None]:
        """The packed columns of a response with no answers."""
        return dict(zip(PACKED_COLUMNS, self.pack(()), strict=True))


@functools.lru_cache(maxsize=16)
def packer(item_ids: tuple[str, ...]) -> AnswerPacker:
    """The :class:`AnswerPacker` for these items (built once per process)."""
    return AnswerPacker(item_ids)


def instrument_packer(instrument: Instrument) -> AnswerPacker:
    """The :class:`AnswerPacker` for a round's instrument (its snapshot's item order)."""
    return packer(tuple(item.id for item in instrument.items))


def packed_columns(instrument: Instrument, answers: Mapping[str, str]) -> dict[str, int | None]:
    """The ``packed_answers_*`` values of a response answered on the form: ``answers`` maps
    item id to "1".."5" or "dk" (an item left out adds nothing)."""
    packed = instrument_packer(instrument).pack(
        (item, None, True) if answer == DONT_KNOW else (item, int(answer), False)
        for item, answer in answers.items()
    )
    return dict(zip(PACKED_COLUMNS, packed, strict=True))


class Response(Model):
    __tablename__ = "responses"
    __table_args__ = (
        one_of("channel", Channel),
        one_of("role_level", RoleLevel, nullable=True),
        one_of("training", Training, nullable=True),
        # counts per link, and the identical-answers check at each open-link submission
        sa.Index("ix_responses_open_link_id_pattern", "open_link_id", "pattern"),
    )

    id: so.Mapped[int] = so.mapped_column(
        sa.BigInteger, primary_key=True, autoincrement=False, default=random_id
    )
    round_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("rounds.id", ondelete="CASCADE"), index=True
    )
    partner_type_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("partner_types.id"))
    locality_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("localities.id"))
    role_level: so.Mapped[str | None] = so.mapped_column(sa.String(20))
    training: so.Mapped[str | None] = so.mapped_column(sa.String(20))
    channel: so.Mapped[str] = so.mapped_column(sa.String(10))
    #: A day, not a time.
    submitted_on: so.Mapped[date]
    #: "What one thing would most help...": visible to leads only, never in reports.
    comment: so.Mapped[str | None] = so.mapped_column(sa.Text)
    import_batch_id: so.Mapped[int | None] = so.mapped_column(
        sa.ForeignKey("import_batches.id", ondelete="CASCADE")
    )
    #: The open link (channel) it came through: a link, not a person; never a report filter.
    open_link_id: so.Mapped[int | None] = so.mapped_column(
        sa.ForeignKey("open_links.id", ondelete="SET NULL")
    )
    #: Why an open-link response looks automated (:mod:`surveyapp.services.anomalies`):
    #: ``burst`` or ``identical``; a fact about the response, never about a person.
    flag: so.Mapped[str | None] = so.mapped_column(sa.String(20))
    #: SHA-256 of the about-you and statement answers (open links only), to find identical
    #: responses on the same link; it says nothing the answers themselves do not.
    pattern: so.Mapped[str | None] = so.mapped_column(sa.String(64))
    #: Left out of every report by a lead (a flagged batch); audited, reversible.
    excluded: so.Mapped[bool] = so.mapped_column(default=False, server_default=sa.false())
    #: The answers packed (:data:`PACKED_COLUMNS`), written with them (answers never change
    #: after their insert); NULL where a writer did not fill them: reports then fold the
    #: answers themselves.
    packed_answers_1: so.Mapped[int | None] = so.mapped_column(sa.BigInteger)
    packed_answers_2: so.Mapped[int | None] = so.mapped_column(sa.BigInteger)

    partner_type: so.Mapped[PartnerType] = so.relationship()
    locality: so.Mapped[Locality | None] = so.relationship()
    answers: so.Mapped[list[Answer]] = so.relationship(
        back_populates="response", cascade="all, delete-orphan", passive_deletes=True
    )


class Answer(Model):
    __tablename__ = "answers"
    __table_args__ = (
        sa.CheckConstraint(
            "(dont_know AND value IS NULL) OR "
            "(NOT dont_know AND value IS NOT NULL AND value BETWEEN 1 AND 5)",
            name="value_or_dont_know",
        ),
    )

    response_id: so.Mapped[int] = so.mapped_column(
        sa.BigInteger, sa.ForeignKey("responses.id", ondelete="CASCADE"), primary_key=True
    )
    #: Stable item id from the instrument, e.g. ``comm_partners``.
    item_id: so.Mapped[str] = so.mapped_column(sa.String(80), primary_key=True)
    #: 1 Strongly disagree ... 5 Strongly agree; NULL when "Don't know".
    value: so.Mapped[int | None] = so.mapped_column(sa.SmallInteger)
    dont_know: so.Mapped[bool] = so.mapped_column(default=False)

    response: so.Mapped[Response] = so.relationship(back_populates="answers")


class SubmissionReceipt(Model):
    """One row per submitted invitation or open-link session: the database's guarantee of
    one response per open-link browser (an invitation's guard is its draft and claim, see
    :func:`~surveyapp.services.submissions.submit`). It names no response."""

    __tablename__ = "submission_receipts"

    #: SHA-256 of the invitation token or of the open-link session key.
    key_hash: so.Mapped[str] = so.mapped_column(sa.String(64), primary_key=True)
    round_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("rounds.id", ondelete="CASCADE"), index=True
    )
    submitted_on: so.Mapped[date]


class Draft(Model):
    """Answers saved page by page, so a dropped signal never loses them; deleted on submit."""

    __tablename__ = "drafts"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    round_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("rounds.id", ondelete="CASCADE"), index=True
    )
    #: SHA-256 of the invitation token or the open-link session key.
    key_hash: so.Mapped[str] = so.mapped_column(sa.String(64), unique=True)
    #: The invitation whose draft this is (open links: none). Deleted with the response's
    #: insert, so a drafted invitation without a draft has its response in.
    invitation_id: so.Mapped[int | None] = so.mapped_column(
        sa.ForeignKey("invitations.id", ondelete="CASCADE"), index=True
    )
    #: {"about": {...}, "answers": {item_id: "1".."5"|"dk"}, "page": n}
    data: so.Mapped[dict[str, Any]] = so.mapped_column(JSONType, default=dict)
    updated_at: so.Mapped[datetime] = so.mapped_column(default=utcnow, onupdate=utcnow)


class ImportBatch(Model):
    """A CSV file imported with ``responses import``; the same file is refused a second time."""

    __tablename__ = "import_batches"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    round_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("rounds.id", ondelete="CASCADE"), index=True
    )
    content_sha256: so.Mapped[str] = so.mapped_column(sa.String(64), unique=True)
    filename: so.Mapped[str] = so.mapped_column(sa.String(255))
    row_count: so.Mapped[int]
    created_at: so.Mapped[datetime] = so.mapped_column(default=utcnow)
