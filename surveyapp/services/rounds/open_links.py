"""Open links: shareable survey addresses, optionally fixed to a partner type and locality,
each with a name (the channel leads see in response counts) and a shared-device setting."""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa

from surveyapp.extensions import db
from surveyapp.models import Draft, OpenLink, Response, Round, User
from surveyapp.services import ServiceError
from surveyapp.services.audit import record
from surveyapp.services.rounds.lookups import get_or_create_locality, partner_types_by_slug
from surveyapp.services.tokens import new_slug, sha256


def create_open_link(
    round_: Round,
    *,
    partner_type_slug: str | None = None,
    locality_name: str | None = None,
    name: str | None = None,
    shared_device: bool = False,
    by: User | None = None,
) -> OpenLink:
    """A shareable link, optionally fixed to one of the round's partner types and localities
    (blank means not fixed), named ``name`` (blank: "Open link N")."""
    name = _check_name(round_, name, None)
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
    link = OpenLink(
        round=round_,
        slug=new_slug(),
        partner_type=partner_type,
        locality=locality,
        name=name,
        shared_device=shared_device,
    )
    db.session.add(link)
    db.session.flush()
    record(
        "open_link.create",
        user=by,
        round_id=round_.id,
        slug=link.slug,
        partner_type=partner_type_slug or None,
        locality=locality_name or None,
        name=name,
        shared_device=shared_device,
    )
    return link


NAME_MAX = 120


def _check_name(round_: Round, name: str | None, link: OpenLink | None) -> str:
    """The name, stripped, unique among the round's links ignoring case; blank gives the
    first free "Open link N"."""
    name = " ".join((name or "").split())
    taken = {
        (other.name or "").casefold()
        for other in round_.open_links
        if other is not link and other.name
    }
    if not name:
        n = len(round_.open_links) + (1 if link is None else 0)
        while f"open link {n}" in taken:
            n += 1
        return f"Open link {n}"
    if len(name) > NAME_MAX:
        raise ServiceError(f"the name must be {NAME_MAX} characters or fewer", "name")
    if name.casefold() in taken:
        raise ServiceError(f"another open link of this round is called {name!r}", "name")
    return name


def update_open_link(
    link: OpenLink, *, name: str | None, shared_device: bool, by: User | None = None
) -> None:
    """Rename a link and set whether one device may send several responses; audited."""
    new_name = _check_name(link.round, name, link)
    changes: dict[str, str | bool] = {}
    if new_name != link.name:
        changes["name"] = new_name
    if shared_device != link.shared_device:
        changes["shared_device"] = shared_device
    if not changes:
        return
    link.name = new_name
    link.shared_device = shared_device
    record("open_link.update", user=by, round_id=link.round_id, slug=link.slug, **changes)


@dataclass(frozen=True)
class LinkCount:
    """Responses through one open link (counts only)."""

    link: OpenLink
    responses: int
    flagged: int
    excluded: int

    @property
    def label(self) -> str:
        return self.link.name or f"Open link {self.link.id}"

    @property
    def partner_type(self) -> str:
        return self.link.partner_type.label if self.link.partner_type else "Any"

    @property
    def locality(self) -> str:
        return self.link.locality.name if self.link.locality else "Any"


def open_link_counts(round_: Round) -> list[LinkCount]:
    """Responses, flagged and excluded responses per open link of the round, in link order."""
    counts = {
        link_id: (n, flagged, excluded)
        for link_id, n, flagged, excluded in db.session.execute(
            sa.select(
                Response.open_link_id,
                sa.func.count(),
                sa.func.count(Response.flag),
                sa.func.count(sa.case((Response.excluded, 1))),
            )
            .where(Response.round_id == round_.id, Response.open_link_id.is_not(None))
            .group_by(Response.open_link_id)
        )
    }
    return [
        LinkCount(link, *counts.get(link.id, (0, 0, 0)))
        for link in sorted(round_.open_links, key=lambda link: link.id)
    ]


def deactivate_open_link(link: OpenLink, *, by: User | None = None) -> None:
    """Stop an open link taking answers; its QR codes then lead to a "not available" page."""
    if not link.active:
        raise ServiceError("this link is already switched off")
    link.active = False
    record("open_link.deactivate", user=by, round_id=link.round_id, slug=link.slug)


def format_link_counts(counts: list[LinkCount]) -> str:
    """Responses per open link as plain text for the command line."""
    header = ("Open link", "Partner type", "Locality", "Responses", "Flagged", "Excluded")
    rows = [
        (
            c.label + ("" if c.link.active else " (off)"),
            c.partner_type,
            c.locality,
            str(c.responses),
            str(c.flagged),
            str(c.excluded),
        )
        for c in counts
    ]
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]

    def fmt(row: tuple[str, ...]) -> str:
        return "  ".join(
            cell.ljust(widths[i]) if i < 3 else cell.rjust(widths[i]) for i, cell in enumerate(row)
        ).rstrip()

    return "\n".join([fmt(header), fmt(tuple("-" * w for w in widths)), *map(fmt, rows)])


def shared_device(slug: str) -> bool:
    """Whether the open link with this slug is on and lets one device answer several times."""
    return bool(
        len(slug) <= 40
        and db.session.scalar(
            sa.select(OpenLink.id).where(
                OpenLink.slug == slug, OpenLink.active, OpenLink.shared_device
            )
        )
    )


def start_next_person(slug: str, session_key: str) -> bool:
    """On a shared-device link, forget this browser's draft (the previous person's unsent
    answers, if any) so the next person starts blank; the caller then gives the browser a new
    key. False (nothing done) when the link is not a shared-device link."""
    if not shared_device(slug):
        return False
    db.session.execute(
        sa.delete(Draft).where(Draft.key_hash == sha256("draft:open:" + session_key))
    )
    return True
