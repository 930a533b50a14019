"""Partner staff: the published "you said, we did" summary of a closed round. Public, no login.

Reached from any of the round's open links (``/results/<slug>``), so posters and QR codes that
asked for answers lead to what was done with them.
"""

from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, abort, render_template

from surveyapp.extensions import db
from surveyapp.models import OpenLink

bp = Blueprint("results", __name__, template_folder="templates")


@bp.get("/results/<slug>")
def summary(slug: str):
    # Imported here: they bring pandas and SciPy, which start-up should not pay for.
    from surveyapp.analysis.suppression import suppressed_label
    from surveyapp.reporting.counts import public_response_counts
    from surveyapp.reporting.findings import headline_findings
    from surveyapp.reporting.quotes import public_quotes

    link = db.session.scalar(sa.select(OpenLink).where(OpenLink.slug == slug))
    if link is None or link.round.published_at is None:
        abort(404)
    round_ = link.round
    total, counts = public_response_counts(round_)
    return render_template(
        "results/summary.html",
        round=round_,
        total=total,
        counts=counts,
        hidden_label=suppressed_label(round_.min_group_size),
        findings=headline_findings(round_),
        actions=[p.strip() for p in round_.actions_text.split("\n\n") if p.strip()],
        quotes=public_quotes(round_),
    )
