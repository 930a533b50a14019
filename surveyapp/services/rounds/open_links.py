"""Open links: shareable survey addresses, optionally fixed to a partner type and locality."""

from __future__ import annotations

from surveyapp.extensions import db
from surveyapp.models import OpenLink, Round, User
from surveyapp.services import ServiceError
from surveyapp.services.audit import record
from surveyapp.services.rounds.lookups import get_or_create_locality, partner_types_by_slug
from surveyapp.services.tokens import new_slug


def create_open_link(
    round_: Round,
    *,
    partner_type_slug: str | None = None,
    locality_name: str | None = None,
    by: User | None = None,
) -> OpenLink:
    """A shareable link, optionally fixed to one of the round's partner types and localities
    (blank means not fixed)."""
    partner_type_slug = (partner_type_slug or "").strip()
    locality_name = (locality_name or "").strip()
    partner_type = None
    if partner_type_slug:
        partner_type = partner_types_by_slug([partner_type_slug])[0]
        if partner_type not in round_.partner_types:
            raise ServiceError(
                f"partner type {partner_type_slug} is not part of this round", "partner_type"
            )
    locality = None
    if locality_name:
        locality = get_or_create_locality(locality_name)
        if round_.localities and locality not in round_.localities:
            raise ServiceError(f"locality {locality_name} is not part of this round", "locality")
    link = OpenLink(round=round_, slug=new_slug(), partner_type=partner_type, locality=locality)
    db.session.add(link)
    db.session.flush()
    record(
        "open_link.create",
        user=by,
        round_id=round_.id,
        slug=link.slug,
        partner_type=partner_type_slug or None,
        locality=locality_name or None,
    )
    return link


def deactivate_open_link(link: OpenLink, *, by: User | None = None) -> None:
    """Stop an open link taking answers; its QR codes then lead to a "not available" page."""
    if not link.active:
        raise ServiceError("this link is already switched off")
    link.active = False
    record("open_link.deactivate", user=by, round_id=link.round_id, slug=link.slug)
