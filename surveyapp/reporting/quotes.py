"""The published quotes a report may show ("In their own words"), decided against the report's
own suppression, never recomputed from raw counts.

A quote is shown only when its partner type is shown in this view of the report (some of the
group's figures are not suppressed), and then with that partner type's name. A locality, role
level or training is never attached: the combination with the partner type could name a group
smaller than the minimum. A view narrowed to one group shows only the quotes of that group (it is
offered only when that group is large enough). Managers' outputs show every published quote that
passes; the public summary only those the lead also marked public. A comment that is not
published never reaches any of them.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd
import sqlalchemy as sa

from surveyapp.analysis.data import AnalysisError
from surveyapp.analysis.report import Report
from surveyapp.extensions import db
from surveyapp.models import Locality, PartnerType, PublishedQuote, Response, Round
from surveyapp.reporting.build import build, cached, version_key


@dataclass(frozen=True)
class ShownQuote:
    """A quote as a report shows it: the published words and the partner type's name."""

    text: str
    partner_type: str


def shown_partner_types(report: Report) -> set[str]:
    """Partner types (keys) with at least one figure shown in the report's item table."""
    items = report.items
    by = items.columns[0]
    shown = items.loc[~items["suppressed"].astype(bool), by]
    return {str(k) for k in shown.unique()} & set(report.partner_type_labels)


def _quote_rows(round_id: int) -> pd.DataFrame:
    rows = db.session.execute(
        sa.select(
            PublishedQuote.text,
            PublishedQuote.public,
            PartnerType.slug,
            Locality.name,
            Response.role_level,
            Response.training,
        )
        .join(Response, Response.id == PublishedQuote.response_id)
        .join(PartnerType, PartnerType.id == Response.partner_type_id)
        .outerjoin(Locality, Locality.id == Response.locality_id)
        .where(PublishedQuote.round_id == round_id)
        .order_by(PublishedQuote.id)
    ).all()
    return pd.DataFrame(
        rows, columns=["text", "public", "partner_type", "locality", "role_level", "training"]
    )


def select_quotes(rows: pd.DataFrame, report: Report, public: bool) -> list[ShownQuote]:
    """The quotes of ``rows`` this report may show (see the module's rules)."""
    shown = shown_partner_types(report)
    keep = rows["partner_type"].isin(shown)
    if public:
        keep &= rows["public"].astype(bool)
    for dimension, value in report.filters.items():
        keep &= rows[dimension].astype("string").fillna("") == value
    return [
        ShownQuote(text=str(text), partner_type=str(report.partner_type_labels[str(slug)]))
        for text, slug in rows.loc[keep, ["text", "partner_type"]].itertuples(index=False)
    ]


def report_quotes(round_: Round, report: Report, *, public: bool = False) -> list[ShownQuote]:
    """The quotes shown with ``report`` (a view of ``round_``, perhaps narrowed to one group);
    cached with the report's version, which publishing or withdrawing a quote bumps."""
    key = ("quotes", *version_key(round_), tuple(sorted(report.filters.items())), public)
    return cached(key, lambda: select_quotes(_quote_rows(round_.id), report, public))


def public_quotes(round_: Round) -> list[ShownQuote]:
    """The quotes the lead also marked public, for the round's public summary, under the
    whole round's report suppression; none when the round has too little to report."""
    try:
        report = build(round_)
    except AnalysisError:
        return []
    return report_quotes(round_, report, public=True)
