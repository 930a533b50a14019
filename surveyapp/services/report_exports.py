"""A round's gap report as a view (figures and charts, cached in each process) and as files:
CSV, XLSX, a self-contained HTML page and an A4 PDF.

The report page, its download routes and the ``report`` command all come through here, so each
output shows the same figures for the same group. Every figure comes from
:func:`surveyapp.services.reports.round_report` (suppression already applied); a view may be
narrowed to ONE of locality, role level or training, through the analysis's own filter, so a
small group is suppressed, never shown smaller.
"""

from __future__ import annotations

import base64
import logging
import re
import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from functools import cached_property
from pathlib import Path
from typing import Any

import pandas as pd
from flask import current_app, render_template

from surveyapp import timeutil
from surveyapp.analysis import charts
from surveyapp.analysis.data import ALL, NOT_STATED, AnalysisError
from surveyapp.analysis.export import item_table_csv
from surveyapp.analysis.metrics import round_half_up
from surveyapp.analysis.report import Report
from surveyapp.analysis.xlsx import report_xlsx
from surveyapp.models import Round
from surveyapp.services import ServiceError
from surveyapp.services.reports import report_key, round_report

#: The dimensions a report can be filtered by, with the label of each in the filter menu.
FILTERS = {"locality": "Locality", "role_level": "Role level", "training": "Early help training"}
#: The report leads with this many of the biggest gaps in words.
GAPS_IN_WORDS = 5
#: Rendered views kept in memory (per process), most recently used last.
CACHE_SIZE = 32
#: Each download format: (MIME type; Flask adds UTF-8 to text types, what the button says).
FORMATS = {
    "csv": ("text/csv", "CSV (item table)"),
    "xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "Excel workbook"),
    "html": ("text/html", "Web page (works offline)"),
    "pdf": ("application/pdf", "PDF (A4)"),
}
#: Stylesheets inlined into the HTML and PDF exports, in cascade order.
EXPORT_STYLESHEETS = ("app.css", "staff.css", "report.css")
BAD_FILTER = "Choose a group from the list"


class ReportExportError(ServiceError):
    """The report cannot be shown or exported as asked (bad filter or format)."""


class ReportView:
    """One report view; its charts are drawn when first asked for (CSV and XLSX exports and
    the filter menu need none) and then kept with the view."""

    def __init__(self, report: Report) -> None:
        self.report = report

    @cached_property
    def heatmap(self) -> charts.Chart:
        return charts.gap_heatmap(self.report)

    @cached_property
    def domains(self) -> list[tuple[str, str, charts.Chart]]:
        domains = self.report.instrument_domains
        return [
            (d, label, charts.domain_bars(self.report, d))
            for d, label in zip(domains["domain"], domains["label"], strict=True)
        ]

    @cached_property
    def contrasts(self) -> list[tuple[str, charts.Chart]]:
        return [
            (key, charts.contrast_chart(self.report, key))
            for key in self.report.contrasts["contrast"].unique()
        ]

    @cached_property
    def change(self) -> charts.Chart | None:
        return charts.change_chart(self.report)


@dataclass(frozen=True)
class ChosenView:
    """The view a page or export shows, with the group it is narrowed to (if any)."""

    view: ReportView
    options: list[tuple[str, list[tuple[str, str]]]]
    chosen: str
    label: str | None


@dataclass(frozen=True)
class ReportFile:
    """An exported report: its bytes, MIME type and a file name to save it under."""

    content: bytes
    mimetype: str
    filename: str


_cache: OrderedDict[tuple[object, ...], ReportView] = OrderedDict()
_cache_lock = threading.Lock()


def report_view(
    round_: Round, dimension: str | None = None, value: str | None = None
) -> ReportView:
    """The view from the in-process cache, rebuilt whenever anything the report is built from
    changes (:func:`surveyapp.services.reports.report_key`: answers, minimum group size, partner
    types, the compared round even when picked automatically, and each round's creation time, as
    SQLite may give an erased round's id to a new one)."""
    key = (*report_key(round_), dimension, value)
    with _cache_lock:
        if key in _cache:
            _cache.move_to_end(key)
            return _cache[key]
    filters = {dimension: value} if dimension is not None and value is not None else {}
    view = ReportView(round_report(round_.id, **filters))
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
        options.append(
            (
                heading,
                [
                    (f"{dimension}:{key}", str(label))
                    for key, label in groups.itertuples(index=False)
                    if key not in (ALL, NOT_STATED)
                ],
            )
        )
    return options


def choose_view(round_: Round, chosen: str = "") -> ChosenView:
    """The whole report, or the one group named by ``chosen`` (``dimension:value`` as offered
    by :func:`filter_options`).

    Raises :class:`ReportExportError` for a group not on offer and
    :class:`~surveyapp.analysis.data.AnalysisError` when the report cannot be built.
    """
    whole = report_view(round_)
    options = filter_options(whole.report)
    if not chosen:
        return ChosenView(whole, options, "", None)
    allowed = {value: f"{heading}: {label}" for heading, group in options for value, label in group}
    if chosen not in allowed:
        raise ReportExportError(BAD_FILTER, field="filter")
    dimension, value = chosen.split(":", 1)
    return ChosenView(report_view(round_, dimension, value), options, chosen, allowed[chosen])


def figure(value: float | None, places: int = 0, suffix: str = "%") -> str:
    """A shown figure rounded half up for display; a dash where there is none."""
    if value is None or pd.isna(value):
        return "–"
    return f"{round_half_up(float(value), places):.{places}f}{suffix}"


def signed(value: float | None) -> str:
    """A signed difference in points, with a true minus sign; a dash where there is none."""
    if value is None or pd.isna(value):
        return "–"
    return f"{round_half_up(float(value)):+.0f}".replace("-", "−")


def svg_src(chart: charts.Chart) -> str:
    """The chart as a ``data:`` URI, so the page and every export embed it the same way."""
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
        out.append(
            (
                label,
                str(int(shown["n_responses"].iloc[0]))
                if len(shown)
                else str(rows["n_label"].iloc[0]),
            )
        )
    return out


HELPERS: dict[str, Callable[..., str]] = {"figure": figure, "signed": signed, "svg_src": svg_src}


def report_context(round_: Round, chosen: ChosenView) -> dict[str, Any]:
    """What the report body template (``reports/_body.html``) needs, for the page and exports."""
    report = chosen.view.report
    findings = report.findings
    return {
        "round": round_,
        "view": chosen.view,
        "report": report,
        "chosen": chosen.chosen,
        "chosen_label": chosen.label,
        "picture": response_picture(report),
        "gaps": findings.loc[findings["kind"] == "gap"].head(GAPS_IN_WORDS),
        "other_findings": findings.loc[findings["kind"] != "gap"],
        "domain_labels": dict(
            zip(
                report.instrument_domains["domain"],
                report.instrument_domains["label"],
                strict=True,
            )
        ),
        "item_texts": dict(
            zip(report.instrument_items["item_id"], report.instrument_items["text"], strict=True)
        ),
        "ALL": ALL,
        **HELPERS,
    }


def _stylesheets() -> str:
    static = Path(current_app.static_folder or "")
    return "\n".join((static / name).read_text(encoding="utf-8") for name in EXPORT_STYLESHEETS)


def report_html(round_: Round, chosen: ChosenView, generated: datetime | None = None) -> str:
    """The report as one self-contained HTML document: styles inlined, charts as ``data:``
    URIs, no scripts and no links out, so it opens offline anywhere (and WeasyPrint needs
    nothing else to make the PDF)."""
    generated = generated or datetime.now(timeutil.council_tz())
    return render_template(
        "reports/export.html",
        css=_stylesheets(),
        tables_open=True,
        generated=timeutil.format_date(generated),
        **report_context(round_, chosen),
    )


def report_pdf(html: str) -> bytes:
    """The HTML export laid out on A4 by WeasyPrint (its print styles are in report.css), as a
    tagged PDF so screen readers get the headings, tables and each chart's alt text."""
    from weasyprint import HTML
    from weasyprint.urls import URLFetcher

    # WeasyPrint logs each CSS rule it does not support (the page's screen styles have a few)
    # as a warning: nothing a reader of the app's logs can act on.
    for name in ("weasyprint", "fontTools"):
        logging.getLogger(name).setLevel(logging.ERROR)
    # data: URIs only, and a failure stops the render: an export never makes a request.
    fetcher = URLFetcher(allowed_protocols=["data"], fail_on_errors=True)
    return HTML(string=html, url_fetcher=fetcher).write_pdf(pdf_tags=True)


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:60].strip("-")


def report_filename(round_: Round, label: str | None, fmt: str) -> str:
    """E.g. ``gap-report-3-autumn-2026-locality-north.pdf``: the round, and its group if any."""
    parts = [f"gap-report-{round_.id}", _slug(round_.title), _slug(label or "")]
    return "-".join(p for p in parts if p) + f".{fmt}"


def export_report(round_: Round, fmt: str, chosen: str = "") -> ReportFile:
    """The report of ``round_`` (or of the one group ``chosen``) in ``fmt``.

    Raises :class:`ReportExportError` for an unknown format or group, or when the report
    cannot be built.
    """
    if fmt not in FORMATS:
        raise ReportExportError(
            f"unknown format {fmt!r}: choose one of {', '.join(FORMATS)}", field="format"
        )
    try:
        picked = choose_view(round_, chosen)
    except AnalysisError as exc:
        raise ReportExportError(f"there is no report for this round yet: {exc}") from exc
    report = picked.view.report
    if fmt == "csv":
        content = item_table_csv(report).encode("utf-8")
    elif fmt == "xlsx":
        content = report_xlsx(report, shows=picked.label)
    else:
        html = report_html(round_, picked)
        content = html.encode("utf-8") if fmt == "html" else report_pdf(html)
    return ReportFile(content, FORMATS[fmt][0], report_filename(round_, picked.label, fmt))
