"""Response rates while a round is open: counts only, never who answered what.

Invitations carry started and completed days; responses carry a partner type, a locality and a
channel, but no link to an invitation. So the table counts invitations (invited, started,
completed) and responses that came through open links, side by side, per group.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
import sqlalchemy.orm as so

from surveyapp.extensions import db
from surveyapp.models import Invitation, Locality, PartnerType, Response, Round, invitations

NOT_GIVEN = "Not given"


@dataclass
class StatusRow:
    label: str
    invited: int = 0
    started: int = 0
    completed: int = 0
    open_link: int = 0
    #: True when the reader may not see this group's counts (a manager, for a group the
    #: report hides: :func:`surveyapp.reporting.counts.status_for`).
    hidden: bool = False

    @property
    def rate(self) -> float | None:
        """Completed as a percentage of invited (None when nobody was invited)."""
        return 100 * self.completed / self.invited if self.invited else None

    @property
    def rate_text(self) -> str:
        return "–" if self.rate is None else f"{self.rate:.0f}%"

    def add(self, other: StatusRow) -> None:
        self.invited += other.invited
        self.started += other.started
        self.completed += other.completed
        self.open_link += other.open_link


@dataclass
class RoundStatusTable:
    by_partner_type: list[StatusRow] = field(default_factory=list)
    by_locality: list[StatusRow] = field(default_factory=list)
    total: StatusRow = field(default_factory=lambda: StatusRow("All partners"))
    #: Responses from any channel (invitations, open links and imported files).
    responses: int = 0
    #: True when the reader may not see the number of responses (see ``StatusRow.hidden``).
    responses_hidden: bool = False


def _invitation_counts(round_id: int, column: so.QueryableAttribute[Any]) -> dict:
    rows = db.session.execute(
        sa.select(
            column,
            sa.func.count(),
            sa.func.count(Invitation.started_on),
            sa.func.count(sa.case((invitations.completed(), 1))),
        )
        .where(Invitation.round_id == round_id)
        .group_by(column)
    )
    return {key: (invited, started, completed) for key, invited, started, completed in rows}


def _open_counts(round_id: int, column: so.QueryableAttribute[Any]) -> dict:
    rows = db.session.execute(
        sa.select(column, sa.func.count())
        .where(Response.round_id == round_id, Response.channel == "open")
        .group_by(column)
    )
    return dict(rows.all())


def _rows(shown: dict, names: dict, invitations: dict, open_links: dict) -> list[StatusRow]:
    """One row per group the round targets (``shown``, in order), then any other group that has
    invitations or responses (e.g. a partner type since removed), named from ``names``."""
    rows = []
    extra = sorted(
        (k for k in {*invitations, *open_links} if k not in shown),
        key=lambda k: (k is None, names.get(k, "")),
    )
    for key in [*shown, *extra]:
        invited, started, completed = invitations.get(key, (0, 0, 0))
        label = NOT_GIVEN if key is None else shown.get(key) or names.get(key, str(key))
        rows.append(StatusRow(label, invited, started, completed, open_links.get(key, 0)))
    return rows


def round_status(round_: Round) -> RoundStatusTable:
    """Invited, started, completed, rate and open-link responses per partner type and locality."""
    table = RoundStatusTable()
    table.by_partner_type = _rows(
        {p.id: p.label for p in round_.partner_types},
        dict(db.session.execute(sa.select(PartnerType.id, PartnerType.label)).all()),
        _invitation_counts(round_.id, Invitation.partner_type_id),
        _open_counts(round_.id, Response.partner_type_id),
    )
    locality_rows = _rows(
        {loc.id: loc.name for loc in round_.localities},
        dict(db.session.execute(sa.select(Locality.id, Locality.name)).all()),
        _invitation_counts(round_.id, Invitation.locality_id),
        _open_counts(round_.id, Response.locality_id),
    )
    if round_.localities or any(r.label != NOT_GIVEN for r in locality_rows):
        table.by_locality = locality_rows
    for row in table.by_partner_type:
        table.total.add(row)
    table.responses = (
        db.session.scalar(
            sa.select(sa.func.count()).select_from(Response).where(Response.round_id == round_.id)
        )
        or 0
    )
    return table


def invitation_table(round_: Round) -> RoundStatusTable:
    """Invited, started and completed per partner type, and their total, from one aggregate
    query: the part of :func:`round_status` a report's "who answered" needs (it shows no
    open-link or locality counts), cheap enough to read afresh on every page view, since
    sending or answering an invitation does not change the report version."""
    table = RoundStatusTable()
    table.by_partner_type = _rows(
        {p.id: p.label for p in round_.partner_types},
        dict(db.session.execute(sa.select(PartnerType.id, PartnerType.label)).all()),
        _invitation_counts(round_.id, Invitation.partner_type_id),
        {},
    )
    for row in table.by_partner_type:
        table.total.add(row)
    return table


def format_table(table: RoundStatusTable) -> str:
    """The status table as plain text for the command line."""
    header = ("Group", "Invited", "Started", "Completed", "Rate", "Open link")
    lines: list[tuple[str, ...]] = []

    def add_section(title: str, rows: list[StatusRow]) -> None:
        lines.append((title, "", "", "", "", ""))
        for r in rows:
            lines.append(
                (
                    "  " + r.label,
                    str(r.invited),
                    str(r.started),
                    str(r.completed),
                    r.rate_text,
                    str(r.open_link),
                )
            )

    add_section("By partner type", table.by_partner_type)
    if table.by_locality:
        add_section("By locality", table.by_locality)
    t = table.total
    lines.append(
        (t.label, str(t.invited), str(t.started), str(t.completed), t.rate_text, str(t.open_link))
    )
    widths = [max(len(row[i]) for row in [header, *lines]) for i in range(len(header))]

    def fmt(row: tuple[str, ...]) -> str:
        return "  ".join(
            row[0].ljust(widths[0]) if i == 0 else cell.rjust(widths[i])
            for i, cell in enumerate(row)
        ).rstrip()

    out = [fmt(header), fmt(tuple("-" * w for w in widths))]
    out.extend(fmt(row) for row in lines)
    out.append(f"Responses from every channel: {table.responses}")
    return "\n".join(out)


@dataclass(frozen=True)
class PublicCount:
    """One partner type's respondents on the published summary (built in
    :mod:`surveyapp.reporting.counts`, through the report's disclosure decisions)."""

    label: str
    #: None when the report does not show the group's count.
    count: int | None
