"""What answering reads of a round, as plain values read in the same statement that finds the
respondent (no ORM objects on the answering path).

:data:`COLUMNS` are the round's answering settings, its instrument's content hash and its
partner types and localities (each aggregated into one string), selected alongside whatever
finds the link or invitation. :func:`from_row` turns them into a :class:`RoundInfo`, kept per
process under those very values: a round whose settings, lists or names change reads
differently, so it gets a new entry, and nothing cached can be stale. The instrument is parsed
once per snapshot (:meth:`surveyapp.models.InstrumentSnapshot.instrument`).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa

from surveyapp.extensions import db
from surveyapp.instruments import Instrument
from surveyapp.models import InstrumentSnapshot, Locality, PartnerType, Round
from surveyapp.models.rounds import round_localities, round_partner_types

#: Separators of the aggregated lists: fields within a choice, and choices.
FIELD_SEP = "\x1f"
ROW_SEP = "\x1e"
#: Bound on the per-process cache (cleared when full; an entry is a few kilobytes).
CACHE_MAX = 256


@dataclass(frozen=True)
class Choice:
    """A partner type or locality as answering sees it (``label`` is a locality's name)."""

    id: int
    slug: str
    label: str
    active: bool = True


@dataclass(frozen=True)
class RoundInfo:
    """A round's answering settings; attribute names match :class:`surveyapp.models.Round`,
    so templates read either."""

    id: int
    title: str
    instrument_id: int
    status: str
    opens_on: date | None
    closes_on: date | None
    min_group_size: int
    signposts: Mapping[str, Any]
    thank_you_message: str
    results_message: str
    published_at: datetime | None
    instrument: Instrument
    #: The round's partner types in their display order, and its localities by name;
    #: retired ones included (``active`` False), as on :class:`Round`.
    partner_types: tuple[Choice, ...]
    localities: tuple[Choice, ...]
    #: The values it was built from: equal keys, equal settings (a key for what is drawn
    #: from them, such as the blank form).
    key: tuple[Any, ...] = field(default=(), repr=False, compare=False)


def _text(column: Any) -> Any:
    return sa.cast(column, sa.String)


def _aggregated(*fields: Any) -> Any:
    joined = fields[0]
    for f in fields[1:]:
        joined = joined + FIELD_SEP + f
    return sa.func.aggregate_strings(joined, ROW_SEP)


def _flag(column: Any) -> Any:
    return sa.case((column, "1"), else_="0")


_PARTNER_TYPES = (
    sa.select(
        _aggregated(
            _text(PartnerType.id),
            PartnerType.slug,
            PartnerType.label,
            _flag(PartnerType.active),
            _text(PartnerType.position),
        )
    )
    .select_from(round_partner_types)
    .join(PartnerType, PartnerType.id == round_partner_types.c.partner_type_id)
    .where(round_partner_types.c.round_id == Round.id)
    .scalar_subquery()
)
_LOCALITIES = (
    sa.select(_aggregated(_text(Locality.id), Locality.slug, Locality.name, _flag(Locality.active)))
    .select_from(round_localities)
    .join(Locality, Locality.id == round_localities.c.locality_id)
    .where(round_localities.c.round_id == Round.id)
    .scalar_subquery()
)

#: The round's columns, in the order :func:`from_row` reads them. Select them with the round
#: and its instrument snapshot joined (:func:`joined`).
COLUMNS: tuple[Any, ...] = (
    Round.id,
    Round.title,
    Round.instrument_id,
    InstrumentSnapshot.content_sha256,
    Round.status,
    Round.opens_on,
    Round.closes_on,
    Round.min_group_size,
    _text(Round.signposts),
    Round.thank_you_message,
    Round.results_message,
    Round.published_at,
    _PARTNER_TYPES,
    _LOCALITIES,
)

_CACHE: dict[tuple[Any, ...], RoundInfo] = {}


def joined(select: Any, on: Any) -> Any:
    """``select`` (a :class:`sqlalchemy.Select`) joined to the round (``on``: the join
    condition) and its instrument snapshot."""
    return select.join(Round, on).join(
        InstrumentSnapshot, InstrumentSnapshot.id == Round.instrument_id
    )


def _choices(text: str | None, position: bool) -> tuple[Choice, ...]:
    rows = [r.split(FIELD_SEP) for r in text.split(ROW_SEP)] if text else []
    choices = [
        (int(r[4]) if position else 0, r[2], Choice(int(r[0]), r[1], r[2], r[3] in ("1", "true")))
        for r in rows
    ]
    # Round.partner_types is ordered by position, Round.localities by name
    return tuple(c for *_, c in sorted(choices, key=lambda t: (t[0], t[1], t[2].id)))


def from_row(values: Sequence[Any]) -> RoundInfo:
    """The :class:`RoundInfo` of the :data:`COLUMNS` values ``values`` (a row's slice)."""
    key = tuple(values)
    info = _CACHE.get(key)
    if info is not None:
        return info
    (rid, title, instrument_id, _sha, status, opens_on, closes_on, min_size, signposts) = key[:9]
    snapshot = db.session.get(InstrumentSnapshot, instrument_id)
    if snapshot is None:  # pragma: no cover - the foreign key forbids it
        raise LookupError(f"instrument snapshot {instrument_id} is missing")
    info = RoundInfo(
        id=rid,
        title=title,
        instrument_id=instrument_id,
        status=status,
        opens_on=opens_on,
        closes_on=closes_on,
        min_group_size=min_size,
        signposts=json.loads(signposts) if signposts else {},
        thank_you_message=key[9] or "",
        results_message=key[10] or "",
        published_at=key[11],
        instrument=snapshot.instrument(),
        partner_types=_choices(key[12], position=True),
        localities=_choices(key[13], position=False),
        key=key,
    )
    if len(_CACHE) >= CACHE_MAX:
        _CACHE.clear()
    _CACHE[key] = info
    return info


def choice(choice_id: int | None, slug: str | None, label: str | None) -> Choice | None:
    """A link's or invitation's fixed partner type or locality (read with it), or None."""
    return None if choice_id is None else Choice(choice_id, slug or "", label or "")
