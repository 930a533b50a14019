"""Reference data admins maintain: partner types and localities."""

from __future__ import annotations

import sqlalchemy as sa
import sqlalchemy.orm as so

from surveyapp.extensions import Model

#: The partner types seeded by the first migration (slug, label), in display order.
SEED_PARTNER_TYPES: tuple[tuple[str, str], ...] = (
    ("school", "School"),
    ("police", "Police"),
    ("health_visiting", "Health visiting"),
    ("housing", "Housing"),
    ("gp", "GP"),
    ("hospital", "Hospital"),
    ("school_nursing", "School nursing"),
    ("early_years", "Early years"),
    ("voluntary_sector", "Voluntary sector"),
    ("adult_mental_health", "Adult mental health"),
    ("substance_misuse", "Substance misuse service"),
    ("domestic_abuse_service", "Domestic abuse service"),
    ("youth_service", "Youth service"),
    ("other", "Other"),
)


class PartnerType(Model):
    __tablename__ = "partner_types"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    #: Stable machine name used in CSV files and URLs.
    slug: so.Mapped[str] = so.mapped_column(sa.String(60), unique=True)
    label: so.Mapped[str] = so.mapped_column(sa.String(120))
    position: so.Mapped[int] = so.mapped_column(default=0)
    active: so.Mapped[bool] = so.mapped_column(default=True)

    def __repr__(self) -> str:
        return f"<PartnerType {self.slug}>"


class Locality(Model):
    __tablename__ = "localities"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    slug: so.Mapped[str] = so.mapped_column(sa.String(60), unique=True)
    name: so.Mapped[str] = so.mapped_column(sa.String(120), unique=True)
    active: so.Mapped[bool] = so.mapped_column(default=True)

    def __repr__(self) -> str:
        return f"<Locality {self.slug}>"
