"""Partner types and localities as a round refers to them: lookups by slug or name."""

from __future__ import annotations

from collections.abc import Iterable

import sqlalchemy as sa

from surveyapp.extensions import db
from surveyapp.models import Locality, PartnerType
from surveyapp.services import ServiceError


def partner_types_by_slug(slugs: Iterable[str]) -> list[PartnerType]:
    slugs = [s.strip() for s in slugs if s.strip()]
    found = {
        p.slug: p
        for p in db.session.scalars(sa.select(PartnerType).where(PartnerType.slug.in_(slugs)))
    }
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


#: Longest locality name (the column's size).
LOCALITY_NAME_MAX = 120


def locality_name_problem(name: str) -> str | None:
    """Why ``name`` cannot be a new locality's name, or None."""
    if not slugify(name):
        return f"{name!r} is not a usable locality name"
    if len(name) > LOCALITY_NAME_MAX:
        return f"a locality name must be {LOCALITY_NAME_MAX} characters or fewer"
    return None


def get_or_create_locality(name: str) -> Locality:
    problem = locality_name_problem(name)
    if problem:
        raise ServiceError(problem, "localities")
    slug = slugify(name)
    loc = db.session.scalar(
        sa.select(Locality).where(
            sa.or_(Locality.slug == slug, sa.func.lower(Locality.name) == name.lower())
        )
    )
    if loc is None:
        loc = Locality(slug=slug, name=name)
        db.session.add(loc)
        db.session.flush()
    return loc


def slugify(text: str) -> str:
    out = "".join(ch if ch.isalnum() else "-" for ch in text.strip().lower())
    return "-".join(part for part in out.split("-") if part)[:60]
