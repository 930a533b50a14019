"""Managers, leads and admins: a round's gap report in the browser.

Every figure comes from :func:`surveyapp.analysis.report.build_report` (suppression already
applied); this module only picks a view, renders charts and lays the tables out. A view may be
filtered by ONE of locality, role level or training: the analysis refuses two at once.
"""

from __future__ import annotations

import base64
import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

import pandas as pd
from flask import Blueprint, abort, render_template, request

from surveyapp.analysis import charts
from surveyapp.analysis.data import ALL, NOT_STATED, AnalysisError
from surveyapp.analysis.metrics import round_half_up
from surveyapp.analysis.report import Report
from surveyapp.extensions import db
from surveyapp.models import Round
from surveyapp.services.reports import round_report
from surveyapp.web.access import READ_REPORTS, roles_required

bp = Blueprint("reports", __name__, template_folder="templates")

#: The dimensions a report can be filtered by, with the label of each in the filter menu.
FILTERS = {"locality": "Locality", "role_level": "Role level", "training": "Early help training"}
#: The report page leads with this many of the biggest gaps in words.
GAPS_IN_WORDS = 5
#: Rendered views kept in memory (per process), most recently used last.
CACHE_SIZE = 32


@dataclass(frozen=True)
class ReportView:
    """One report view with its charts, ready to render."""

    report: Report
    heatmap: charts.Chart
    domains: list[tuple[str, str, charts.Chart]]
    contrasts: list[tuple[str, charts.Chart]]
    change: charts.Chart | None


_cache: OrderedDict[tuple[object, ...], ReportView] = OrderedDict()
_cache_lock = threading.Lock()


def _build(round_id: int, dimension: str | None, value: str | None) -> ReportView:
    """The report of ``round_id`` (filtered when ``dimension`` is given) and its charts."""
    report = round_report(round_id, **({dimension: value} if dimension is not None else {}))
    domains = report.instrument_domains
    return ReportView(
        report=report,
        heatmap=charts.gap_heatmap(report),
        domains=[(d, label, charts.domain_bars(report, d))
                 for d, label in zip(domains["domain"], domains["label"])],
        contrasts=[(key, charts.contrast_chart(report, key))
                   for key in report.contrasts["contrast"].unique()],
        change=charts.change_chart(report),
    )


def report_view(round_: Round, dimension: str | None = None,
                value: str | None = None) -> ReportView:
    """The view from the in-process cache, rebuilt when the round's (or the compared round's)
    answers change: the key holds each round's ``data_version``."""
    compared = round_.compared_round
    key = (round_.id, round_.data_version, compared.id if compared else None,
           compared.data_version if compared else None, dimension, value)
    with _cache_lock:
        if key in _cache:
            _cache.move_to_end(key)
            return _cache[key]
    view = _build(round_.id, dimension, value)
    with _cache_lock:
        _cache[key] = view
        while len(_cache) > CACHE_SIZE:
            _cache.popitem(last=False)
    return view


def filter_options(report: Report) -> list[tuple[str, list[tuple[str, str]]]]:
    """(dimension label, [(form value, group label)]) for each filterable dimension."""
    options = []
    for dimension, heading in FILTERS.items():
        table = report.breakdowns.get(dimension)
        if table is None:
            continue
        groups = table[[dimension, "group_label"]].drop_duplicates()
        options.append((heading, [(f"{dimension}:{key}", str(label))
                                  for key, label in groups.itertuples(index=False)
                                  if key not in (ALL, NOT_STATED)]))
    return options


def _figure(value: object, places: int = 0, suffix: str = "%") -> str:
    """A shown figure rounded half up for display; a dash where there is none."""
    if value is None or pd.isna(value):
        return "–"
    return f"{round_half_up(float(value), places):.{places}f}{suffix}"


def _signed(value: object) -> str:
    if value is None or pd.isna(value):
        return "–"
    return f"{round_half_up(float(value)):+.0f}".replace("-", "−")


def _svg_src(chart: charts.Chart) -> str:
    return "data:image/svg+xml;base64," + base64.b64encode(chart.svg.encode()).decode("ascii")


def response_picture(report: Report) -> list[tuple[str, str]]:
    """(group label, responses or the suppressed label) per partner type, all first."""
    items = report.items
    by = items.columns[0]
    out = []
    for key in [ALL, *report.partner_type_labels]:
        rows = items.loc[items[by] == key]
        if rows.empty:
            continue
        shown = rows.loc[~rows["suppressed"].astype(bool)]
        label = str(rows["group_label"].iloc[0])
        out.append((label, str(int(shown["n_responses"].iloc[0])) if len(shown)
                    else str(rows["n_label"].iloc[0])))
    return out


@bp.get("/rounds/<int:round_id>/report")
@roles_required(*READ_REPORTS)
def show(round_id: int):
    round_ = db.session.get(Round, round_id)
    if round_ is None:
        abort(404)
    helpers: dict[str, Callable[..., str]] = {"figure": _figure, "signed": _signed,
                                               "svg_src": _svg_src}
    try:
        whole = report_view(round_)
    except AnalysisError as exc:
        return render_template("reports/report.html", round=round_, view=None,
                               problem=str(exc), **helpers)
    options = filter_options(whole.report)
    chosen = request.args.get("filter", "")
    allowed = {value: label for _, group in options for value, label in group}
    error, view, status = None, whole, 200
    if chosen and chosen not in allowed:
        error, chosen, status = "Choose a group from the list", "", 400
    elif chosen:
        dimension, value = chosen.split(":", 1)
        view = report_view(round_, dimension, value)
    return render_template(
        "reports/report.html", round=round_, view=view, report=view.report, options=options,
        chosen=chosen, chosen_label=allowed.get(chosen), error=error, problem=None,
        picture=response_picture(view.report),
        gaps=view.report.findings.loc[view.report.findings["kind"] == "gap"].head(GAPS_IN_WORDS),
        other_findings=view.report.findings.loc[view.report.findings["kind"] != "gap"],
        domain_labels=dict(zip(view.report.instrument_domains["domain"],
                               view.report.instrument_domains["label"])),
        item_texts=dict(zip(view.report.instrument_items["item_id"],
                            view.report.instrument_items["text"])),
        ALL=ALL, **helpers), status
