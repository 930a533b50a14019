"""Managers, leads and admins: a round's gap report in the browser, and its downloads.

The views only pick the round and the group; :mod:`surveyapp.reporting` builds the
view (figures from the analysis, suppression already applied, charts cached per process) and
every file, the same way as the ``report`` command.
"""

from __future__ import annotations

import io

from flask import Blueprint, abort, render_template, request, send_file
from werkzeug.wrappers import Response

from surveyapp.extensions import db
from surveyapp.models import Round
from surveyapp.web.access import READ_REPORTS, roles_required

bp = Blueprint("reports", __name__, template_folder="templates")


# surveyapp.reporting is imported inside the views: it brings pandas, SciPy, Matplotlib and
# WeasyPrint, which neither the other pages nor a CLI command should pay for at start-up
# (tests/test_architecture.py).


def _round(round_id: int) -> Round:
    round_ = db.session.get(Round, round_id)
    if round_ is None:
        abort(404)
    return round_


@bp.get("/rounds/<int:round_id>/report")
@roles_required(*READ_REPORTS)
def show(round_id: int):
    from surveyapp.reporting import AnalysisError, views
    from surveyapp.reporting.exports import FORMATS
    from surveyapp.reporting.views import ReportExportError

    round_ = _round(round_id)
    error, status = None, 200
    try:
        picked = views.choose_view(round_, request.args.get("filter", ""))
    except ReportExportError as exc:
        # the whole report was built (and cached) before the group was refused
        error, status = exc.message, 400
        picked = views.choose_view(round_)
    except AnalysisError as exc:
        return render_template(
            "reports/report.html",
            round=round_,
            view=None,
            problem=str(exc),
            **views.HELPERS,
        )
    return render_template(
        "reports/report.html",
        options=picked.options,
        error=error,
        problem=None,
        formats=FORMATS,
        **views.report_context(round_, picked),
    ), status


@bp.get("/rounds/<int:round_id>/report.<fmt>")
@roles_required(*READ_REPORTS)
def download(round_id: int, fmt: str) -> Response:
    """The report (or the one group of ``?filter=``) as a file to save."""
    from surveyapp.reporting import exports
    from surveyapp.reporting.exports import FORMATS
    from surveyapp.reporting.views import ReportExportError

    round_ = _round(round_id)
    if fmt not in FORMATS:
        abort(404)
    try:
        exported = exports.export_report(round_, fmt, request.args.get("filter", ""))
    except ReportExportError as exc:
        if exc.field == "filter":
            abort(
                400,
                description="That group is not in this report, so it cannot be "
                "downloaded. Go back to the report and choose a group from "
                "“Show one group only”.",
            )
        abort(400, description=exc.message)
    response = send_file(
        io.BytesIO(exported.content),
        mimetype=exported.mimetype,
        as_attachment=True,
        download_name=exported.filename,
        max_age=0,
    )
    response.headers["Cache-Control"] = "private, no-store"
    return response
