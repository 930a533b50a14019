"""Reference data: the seeded partner types (the first migration inserts the same list)."""

from __future__ import annotations

import sqlalchemy as sa

from surveyapp.extensions import db
from surveyapp.models import PartnerType
from surveyapp.models.reference import SEED_PARTNER_TYPES


def seed_partner_types() -> None:
    """Insert any seeded partner type that is missing (for databases built without migrations)."""
    present = set(db.session.scalars(sa.select(PartnerType.slug)))
    for position, (slug, label) in enumerate(SEED_PARTNER_TYPES):
        if slug not in present:
            db.session.add(PartnerType(slug=slug, label=label, position=position))
    db.session.flush()
