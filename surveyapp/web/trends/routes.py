"""Managers, leads and admins: whether gaps are closing, round after round, for one instrument.

Every figure comes from :mod:`surveyapp.reporting.trends` (each round's own suppressed domain
table, cached there); this module only lays it out.
"""

from __future__ import annotations

from flask import Blueprint, abort, render_template

from surveyapp.web.access import READ_REPORTS, roles_required

bp = Blueprint("trends", __name__, template_folder="templates")


@bp.get("/instruments/<key>/trends")
@roles_required(*READ_REPORTS)
def show(key: str) -> str:
    # Imported here: reporting brings pandas and Matplotlib, which start-up should not pay for.
    from surveyapp.reporting import AnalysisError
    from surveyapp.reporting.trends import (
        METHODS,
        MIN_ROUNDS,
        NOT_IN_ROUND,
        closed_rounds,
        domain_tables,
        instrument_title,
        trend_view,
    )
    from surveyapp.reporting.views import svg_src

    title = instrument_title(key)
    if title is None:
        abort(404)
    rounds = closed_rounds(key)
    if len(rounds) < MIN_ROUNDS:
        return render_template(
            "trends/trends.html", title=title, rounds=rounds, view=None, problem=None
        )
    try:
        view = trend_view(rounds)
    except AnalysisError as exc:
        return render_template(
            "trends/trends.html", title=title, rounds=rounds, view=None, problem=str(exc)
        )
    tables = domain_tables(view.trend)
    versions = sorted(set(view.rounds["instrument_version"]))
    return render_template(
        "trends/trends.html",
        title=title,
        rounds=rounds,
        view=view,
        tables=tables,
        versions=versions,
        methods=METHODS,
        not_asked=(view.trend["status"] == NOT_IN_ROUND).any(),
        min_sizes=sorted(set(view.rounds["min_group_size"])),
        svg_src=svg_src,
        reports={r.id: r for r in rounds},
    )
