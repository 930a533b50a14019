"""A round's gap report as files: CSV, XLSX, a self-contained HTML page and an A4 PDF.

The report page, its download routes and the ``report`` command all come through
:mod:`surveyapp.reporting.views`, so each output shows the same figures for the same group.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from flask import current_app, render_template

from surveyapp import timeutil
from surveyapp.analysis.data import AnalysisError
from surveyapp.analysis.export import item_table_csv
from surveyapp.analysis.xlsx import report_xlsx
from surveyapp.models import Round
from surveyapp.reporting.views import ChosenView, ReportExportError, choose_view, report_context

#: Each download format: (MIME type; Flask adds UTF-8 to text types, what the button says).
FORMATS = {
    "csv": ("text/csv", "CSV (item table)"),
    "xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "Excel workbook"),
    "html": ("text/html", "Web page (works offline)"),
    "pdf": ("application/pdf", "PDF (A4)"),
}
#: Stylesheets inlined into the HTML and PDF exports, in cascade order.
EXPORT_STYLESHEETS = ("app.css", "staff.css", "report.css")


@dataclass(frozen=True)
class ReportFile:
    """An exported report: its bytes, MIME type and a file name to save it under."""

    content: bytes
    mimetype: str
    filename: str


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
