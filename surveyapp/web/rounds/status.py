"""Response rates while a round runs, kept live by the page refetching its table."""

from __future__ import annotations

from flask import Response, render_template
from flask.typing import ResponseReturnValue
from flask_login import current_user

from surveyapp.models.base import utcnow
from surveyapp.timeutil import format_datetime
from surveyapp.web.access import READ_REPORTS, RUN_ROUNDS, roles_required
from surveyapp.web.rounds.blueprint import bp, get_round


@bp.get("/rounds/<int:round_id>/status")
@roles_required(*READ_REPORTS)
def status(round_id: int) -> ResponseReturnValue:
    # Imported here: the counts come from the report (pandas, SciPy), which start-up should not
    # pay for.
    from surveyapp.analysis.suppression import suppressed_label
    from surveyapp.reporting.counts import status_for

    round_ = get_round(round_id)
    return render_template(
        "rounds/status.html",
        round=round_,
        table=status_for(round_, exact=current_user.has_role(*RUN_ROUNDS)),
        hidden_label=suppressed_label(round_.min_group_size),
        updated=format_datetime(utcnow()),
    )


@bp.get("/rounds/<int:round_id>/status/table")
@roles_required(*READ_REPORTS)
def status_table(round_id: int) -> ResponseReturnValue:
    """Just the tables, fetched every few seconds by the status page to keep it live."""
    from surveyapp.analysis.suppression import suppressed_label
    from surveyapp.reporting.counts import status_for

    round_ = get_round(round_id)
    response = Response(
        render_template(
            "rounds/_status_table.html",
            round=round_,
            table=status_for(round_, exact=current_user.has_role(*RUN_ROUNDS)),
            hidden_label=suppressed_label(round_.min_group_size),
            updated=format_datetime(utcnow()),
        )
    )
    response.headers["Cache-Control"] = "no-store"
    return response
