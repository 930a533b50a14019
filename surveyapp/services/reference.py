"""Reference data admins maintain: partner types and localities (add, rename, retire, restore).

Names are unique whatever their case or spacing (``North`` and ``NORTH`` are one locality). Nothing
is ever deleted: a retired entry is no longer offered for new rounds, and the rounds, invitations
and responses that use it keep it. A partner type's slug never changes, since CSV files use it.
"""

from __future__ import annotations

import re

import sqlalchemy as sa

from surveyapp.extensions import db
from surveyapp.models import Locality, PartnerType, User
from surveyapp.models.reference import SEED_PARTNER_TYPES
from surveyapp.services import ServiceError
from surveyapp.services.audit import record
from surveyapp.services.report_version import bump_every_report_version
from surveyapp.services.rounds.lookups import LOCALITY_NAME_MAX, slugify

LABEL_MAX = 120


def seed_partner_types() -> None:
    """Insert any seeded partner type that is missing (for databases built without migrations)."""
    present = set(db.session.scalars(sa.select(PartnerType.slug)))
    for position, (slug, label) in enumerate(SEED_PARTNER_TYPES):
        if slug not in present:
            db.session.add(PartnerType(slug=slug, label=label, position=position))
    db.session.flush()


def _clean(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def _key(text: str) -> str:
    return re.sub(r"[^0-9a-z]+", "", text.lower())


# --- partner types -------------------------------------------------------------------------
def _checked_label(label: str, current: PartnerType | None = None) -> str:
    label = _clean(label)
    if not label:
        raise ServiceError("enter the partner type's name", "label")
    if len(label) > LABEL_MAX:
        raise ServiceError(f"the name must be {LABEL_MAX} characters or fewer", "label")
    if not _key(label):
        raise ServiceError("the name needs at least one letter or digit", "label")
    for other in db.session.scalars(sa.select(PartnerType)):
        if other is not current and _key(label) in (_key(other.label), _key(other.slug)):
            raise ServiceError(
                f"there is already a partner type called {other.label} "
                f"({'retired' if not other.active else 'in use'}); names must differ by more "
                "than case or spacing",
                "label",
            )
    return label


def partner_type_by_slug(slug: str) -> PartnerType:
    found = db.session.scalar(sa.select(PartnerType).where(PartnerType.slug == slug.strip()))
    if found is None:
        raise ServiceError(f"there is no partner type {slug.strip()!r}")
    return found


def add_partner_type(label: str, *, by: User | None = None) -> PartnerType:
    """A new partner type, offered for new rounds; its slug is made from the name."""
    label = _checked_label(label)
    slug = slugify(label).replace("-", "_")[:60]
    position = db.session.scalar(sa.select(sa.func.max(PartnerType.position))) or 0
    partner_type = PartnerType(slug=slug, label=label, position=position + 1, active=True)
    db.session.add(partner_type)
    db.session.flush()
    record("partner_type.add", user=by, slug=slug, label=label)
    return partner_type


def rename_partner_type(partner_type: PartnerType, label: str, *, by: User | None = None) -> None:
    """A new name everywhere it is shown, past rounds included; the slug stays."""
    old = partner_type.label
    partner_type.label = _checked_label(label, partner_type)
    db.session.flush()
    bump_every_report_version()
    record("partner_type.rename", user=by, slug=partner_type.slug, old=old, new=partner_type.label)


def set_partner_type_active(
    partner_type: PartnerType, active: bool, *, by: User | None = None
) -> None:
    """Retire (no longer offered for new rounds) or restore a partner type."""
    if partner_type.active == active:
        raise ServiceError(f"{partner_type.label} is already {'in use' if active else 'retired'}")
    partner_type.active = active
    record(
        "partner_type.restore" if active else "partner_type.retire",
        user=by,
        slug=partner_type.slug,
    )


# --- localities ----------------------------------------------------------------------------
def _checked_name(name: str, current: Locality | None = None) -> str:
    name = _clean(name)
    if not name:
        raise ServiceError("enter the locality's name", "name")
    if len(name) > LOCALITY_NAME_MAX:
        raise ServiceError(f"the name must be {LOCALITY_NAME_MAX} characters or fewer", "name")
    if not slugify(name):
        raise ServiceError("the name needs at least one letter or digit", "name")
    for other in db.session.scalars(sa.select(Locality)):
        if other is not current and (_key(name) == _key(other.name) or slugify(name) == other.slug):
            raise ServiceError(
                f"there is already a locality called {other.name}; names must differ by more "
                "than case or spacing",
                "name",
            )
    return name


def locality_by_name(name: str) -> Locality:
    key = _key(name)
    for locality in db.session.scalars(sa.select(Locality)):
        if key and key in (_key(locality.name), _key(locality.slug)):
            return locality
    raise ServiceError(f"there is no locality {name.strip()!r}")


def add_locality(name: str, *, by: User | None = None) -> Locality:
    name = _checked_name(name)
    locality = Locality(slug=slugify(name), name=name, active=True)
    db.session.add(locality)
    db.session.flush()
    record("locality.add", user=by, name=name)
    return locality


def rename_locality(locality: Locality, name: str, *, by: User | None = None) -> None:
    """A new name everywhere it is shown, past rounds included."""
    old = locality.name
    locality.name = _checked_name(name, locality)
    db.session.flush()
    bump_every_report_version()
    record("locality.rename", user=by, old=old, new=locality.name)


def set_locality_active(locality: Locality, active: bool, *, by: User | None = None) -> None:
    """Retire (no longer offered for new rounds) or restore a locality."""
    if locality.active == active:
        raise ServiceError(f"{locality.name} is already {'in use' if active else 'retired'}")
    locality.active = active
    record("locality.restore" if active else "locality.retire", user=by, name=locality.name)
