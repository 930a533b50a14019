"""Rounds: creation from an instrument, open links, state changes."""

from __future__ import annotations

from datetime import date
from typing import Any, Iterable

import sqlalchemy as sa

from surveyapp.extensions import db
from surveyapp.instruments import Instrument, InstrumentError, get_instrument
from surveyapp.models import InstrumentSnapshot, Locality, OpenLink, PartnerType, Round, User
from surveyapp.models.rounds import MIN_GROUP_SIZE_FLOOR, RoundStatus
from surveyapp.models.base import utcnow
from surveyapp.services import ServiceError
from surveyapp.services.audit import record
from surveyapp.services.tokens import new_slug


def snapshot_for(instrument: Instrument) -> InstrumentSnapshot:
    """The stored snapshot of exactly this definition, created on first use."""
    digest = instrument.sha256()
    snap = db.session.scalar(
        sa.select(InstrumentSnapshot).where(
            InstrumentSnapshot.key == instrument.key,
            InstrumentSnapshot.version == instrument.version,
            InstrumentSnapshot.content_sha256 == digest,
        )
    )
    if snap is None:
        snap = InstrumentSnapshot(key=instrument.key, version=instrument.version,
                                  title=instrument.title, content_sha256=digest,
                                  definition=instrument.to_dict())
        db.session.add(snap)
        db.session.flush()
    return snap


def partner_types_by_slug(slugs: Iterable[str]) -> list[PartnerType]:
    slugs = [s.strip() for s in slugs if s.strip()]
    found = {p.slug: p for p in db.session.scalars(
        sa.select(PartnerType).where(PartnerType.slug.in_(slugs)))}
    unknown = [s for s in slugs if s not in found]
    if unknown:
        raise ServiceError(f"unknown partner type {', '.join(unknown)}", "partner_types")
    return [found[s] for s in dict.fromkeys(slugs)]


def localities_by_name(names: Iterable[str]) -> list[Locality]:
    """Localities by name or slug, created if new."""
    result = []
    for name in dict.fromkeys(n.strip() for n in names if n.strip()):
        result.append(get_or_create_locality(name))
    return result


def get_or_create_locality(name: str) -> Locality:
    slug = slugify(name)
    if not slug:
        raise ServiceError(f"{name!r} is not a usable locality name", "localities")
    loc = db.session.scalar(sa.select(Locality).where(
        sa.or_(Locality.slug == slug, sa.func.lower(Locality.name) == name.lower())))
    if loc is None:
        loc = Locality(slug=slug, name=name)
        db.session.add(loc)
        db.session.flush()
    return loc


def slugify(text: str) -> str:
    out = "".join(ch if ch.isalnum() else "-" for ch in text.strip().lower())
    return "-".join(part for part in out.split("-") if part)[:60]


def latest_closed_round(instrument_key: str, *, before: Round | None = None) -> Round | None:
    query = (sa.select(Round).join(Round.instrument)
             .where(InstrumentSnapshot.key == instrument_key,
                    Round.status == RoundStatus.CLOSED.value)
             .order_by(Round.closes_on.desc().nulls_last(), Round.id.desc()))
    if before is not None and before.id is not None:
        query = query.where(Round.id != before.id)
    return db.session.scalars(query).first()


def create_round(
    *,
    instrument_ref: str,
    title: str,
    partner_type_slugs: Iterable[str] = (),
    locality_names: Iterable[str] = (),
    min_group_size: int = 10,
    opens_on: date | None = None,
    closes_on: date | None = None,
    compared_round_id: int | None = None,
    signposts: dict[str, Any] | None = None,
    thank_you_message: str = "",
    results_message: str = "",
    by: User | None = None,
) -> Round:
    """A new draft round. No partner types given means every active partner type."""
    title = title.strip()
    if not title:
        raise ServiceError("enter a title for the round", "title")
    if len(title) > 200:
        raise ServiceError("the title must be 200 characters or fewer", "title")
    try:
        instrument = get_instrument(instrument_ref)
    except InstrumentError as exc:
        raise ServiceError(str(exc), "instrument") from exc
    if min_group_size < MIN_GROUP_SIZE_FLOOR:
        raise ServiceError(f"the minimum reporting group size cannot be below "
                           f"{MIN_GROUP_SIZE_FLOOR}", "min_group_size")
    if opens_on and closes_on and closes_on < opens_on:
        raise ServiceError("the closing date must be on or after the opening date", "closes_on")
    slugs = list(partner_type_slugs)
    partner_types = (partner_types_by_slug(slugs) if slugs else list(db.session.scalars(
        sa.select(PartnerType).where(PartnerType.active).order_by(PartnerType.position))))
    compared = None
    if compared_round_id is not None:
        compared = db.session.get(Round, compared_round_id)
        if compared is None:
            raise ServiceError(f"there is no round {compared_round_id} to compare with",
                               "compared_round_id")
    else:
        compared = latest_closed_round(instrument.key)
    round_ = Round(
        title=title,
        instrument=snapshot_for(instrument),
        status=RoundStatus.DRAFT.value,
        min_group_size=min_group_size,
        opens_on=opens_on,
        closes_on=closes_on,
        compared_round=compared,
        signposts=signposts or {},
        thank_you_message=thank_you_message,
        results_message=results_message,
        partner_types=partner_types,
        localities=localities_by_name(locality_names),
        created_by_id=by.id if by else None,
    )
    db.session.add(round_)
    db.session.flush()
    record("round.create", user=by, round_id=round_.id, title=title, instrument=instrument.ref)
    return round_


def open_round(round_: Round, *, by: User | None = None) -> None:
    if round_.status == RoundStatus.CLOSED.value:
        raise ServiceError("a closed round cannot be opened again")
    if round_.status == RoundStatus.OPEN.value:
        return
    round_.status = RoundStatus.OPEN.value
    round_.opened_at = utcnow()
    record("round.open", user=by, round_id=round_.id)


def close_round(round_: Round, *, by: User | None = None) -> None:
    if round_.status != RoundStatus.OPEN.value:
        raise ServiceError("only an open round can be closed")
    round_.status = RoundStatus.CLOSED.value
    round_.closed_at = utcnow()
    record("round.close", user=by, round_id=round_.id)


def create_open_link(round_: Round, *, partner_type_slug: str | None = None,
                     locality_name: str | None = None, by: User | None = None) -> OpenLink:
    """A shareable link, optionally fixed to one of the round's partner types and localities."""
    partner_type = None
    if partner_type_slug:
        partner_type = partner_types_by_slug([partner_type_slug])[0]
        if partner_type not in round_.partner_types:
            raise ServiceError(f"partner type {partner_type_slug} is not part of this round",
                               "partner_type")
    locality = None
    if locality_name:
        locality = get_or_create_locality(locality_name)
        if round_.localities and locality not in round_.localities:
            raise ServiceError(f"locality {locality_name} is not part of this round", "locality")
    link = OpenLink(round=round_, slug=new_slug(), partner_type=partner_type, locality=locality)
    db.session.add(link)
    db.session.flush()
    record("open_link.create", user=by, round_id=round_.id, slug=link.slug,
           partner_type=partner_type_slug, locality=locality_name)
    return link


def response_counts() -> dict[int, int]:
    """Round id -> number of responses."""
    from surveyapp.models import Response

    rows = db.session.execute(
        sa.select(Response.round_id, sa.func.count()).group_by(Response.round_id))
    return {rid: n for rid, n in rows}
