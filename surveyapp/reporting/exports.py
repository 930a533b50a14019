"""A round's gap report as files: CSV, XLSX, a self-contained HTML page and an A4 PDF.

The report page, its download routes and the ``report`` command all come through
:mod:`surveyapp.reporting.views`, so each output shows the same figures for the same group.
"""

from __future__ import annotations

import gc
import logging
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from flask import current_app, render_template

from surveyapp import timeutil
from surveyapp.analysis.data import ALL, AnalysisError
from surveyapp.analysis.export import item_table_csv
from surveyapp.analysis.xlsx import report_xlsx
from surveyapp.models import Round
from surveyapp.reporting.build import cached, version_key
from surveyapp.reporting.views import (
    ChosenView,
    ReportExportError,
    choose_view,
    report_context,
    who_answered,
)

#: Each download format: (MIME type; Flask adds UTF-8 to text types, what the button says).
FORMATS = {
    "csv": ("text/csv", "CSV (item table)"),
    "xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "Excel workbook"),
    "html": ("text/html", "Web page (works offline)"),
    "pdf": ("application/pdf", "PDF (A4)"),
    "summary-pdf": ("application/pdf", "Board summary (PDF, 2 pages)"),
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


def report_html(
    round_: Round, chosen: ChosenView, generated: datetime | None = None, for_print: bool = False
) -> str:
    """The report as one self-contained HTML document: styles inlined, charts as ``data:``
    URIs, no scripts and no links out, so it opens offline anywhere (and WeasyPrint needs
    nothing else to make the PDF).

    ``for_print`` is the PDF's source: "Each statement in detail" there shows the answers at
    each level for all respondents and only the partner types' changes that are clear, and
    says that every partner type's figures are in the web page and the workbook (2,600
    figures and 13 of 44 pages at 100,000 responses, a third of the time to lay it out)."""
    generated = generated or datetime.now(timeutil.council_tz())
    return render_template(
        "reports/export.html",
        css=_stylesheets(),
        tables_open=True,
        for_print=for_print,
        generated=timeutil.format_date(generated),
        **report_context(round_, chosen),
    )


def next_steps(context: dict[str, Any]) -> list[str]:
    """Where to start, in plain words, from the three biggest gaps: each partner type and
    area once, biggest first."""
    report = context["report"]
    domain_of = dict(
        zip(report.instrument_items["item_id"], report.instrument_items["domain"], strict=True)
    )
    labels = context["domain_labels"]
    steps: list[str] = []
    seen: set[tuple[str, str]] = set()
    for f in context["headlines"].itertuples():
        domain = domain_of.get(f.item_id, "")
        group = report.partner_type_labels.get(f.partner_type, "all partners")
        if (f.partner_type, domain) in seen:
            continue
        seen.add((f.partner_type, domain))
        who = "all partners" if f.partner_type == ALL else f"{group} partners"
        steps.append(
            f"Ask {who} what would help with “{labels.get(domain, domain)}”, and agree one "
            "change to make before the next round."
        )
    return steps


def summary_html(round_: Round, chosen: ChosenView, generated: datetime | None = None) -> str:
    """The two-page board summary as one self-contained HTML document (the source of its PDF)."""
    generated = generated or datetime.now(timeutil.council_tz())
    context = report_context(round_, chosen)
    return render_template(
        "reports/summary.html",
        css=_stylesheets(),
        generated=timeutil.format_date(generated),
        next_steps=next_steps(context),
        **context,
    )


def report_pdf(html: str) -> bytes:
    """The HTML export laid out on A4 by WeasyPrint (its print styles are in report.css), as a
    tagged PDF so screen readers get the headings, tables and each chart's alt text."""
    from weasyprint import HTML
    from weasyprint.urls import URLFetcher

    from surveyapp.reporting import svgtext

    svgtext.install()  # charts' labels a string at a time (see svgtext)

    # WeasyPrint logs each CSS rule it does not support (the page's screen styles have a few)
    # as a warning: nothing a reader of the app's logs can act on.
    for name in ("weasyprint", "fontTools"):
        logging.getLogger(name).setLevel(logging.ERROR)
    # data: URIs only, and a failure stops the render: an export never makes a request.
    fetcher = URLFetcher(allowed_protocols=["data"], fail_on_errors=True)
    with gc_paused():
        pdf: bytes = HTML(string=html, url_fetcher=fetcher).write_pdf(pdf_tags=True)
    return pdf


class _GCPause:
    """How many renders have the cyclic garbage collector paused, and whether it ran before."""

    lock = threading.Lock()
    holders = 0
    was_enabled = False


@contextmanager
def gc_paused() -> Iterator[None]:
    """Pause Python's cyclic garbage collector for the block, then let it run as before.

    Laying out a 44-page report, WeasyPrint builds several hundred thousand long-lived boxes;
    each time their count grows by a quarter the collector walks them all (about 14 full
    collections a PDF), which at 100,000 responses was 2 of its 7 seconds. Reference counting
    still frees what it can meanwhile; the cycles left (about 12 MB at 100,000 responses) wait
    for the collector's next run. Threads may render at once: the collector resumes when the
    last one leaves, and only if it was running when the first came in.
    """
    with _GCPause.lock:
        if _GCPause.holders == 0:
            _GCPause.was_enabled = gc.isenabled()
            gc.disable()
        _GCPause.holders += 1
    try:
        yield
    finally:
        with _GCPause.lock:
            _GCPause.holders -= 1
            if _GCPause.holders == 0 and _GCPause.was_enabled:
                gc.enable()


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:60].strip("-")


def report_filename(round_: Round, label: str | None, fmt: str) -> str:
    """E.g. ``gap-report-3-autumn-2026-locality-north.pdf``: the round, and its group if any;
    the board summary is ``board-summary-3-....pdf``."""
    kind, ext = ("board-summary", "pdf") if fmt == "summary-pdf" else ("gap-report", fmt)
    parts = [f"{kind}-{round_.id}", _slug(round_.title), _slug(label or "")]
    return "-".join(p for p in parts if p) + f".{ext}"


def export_report(round_: Round, fmt: str, chosen: str = "") -> ReportFile:
    """The report of ``round_`` (or of the one group ``chosen``) in ``fmt``.

    Raises :class:`ReportExportError` for an unknown format or group, or when the report
    cannot be built.

    The bytes are kept in the one report cache (a second download of a 100,000-response PDF
    would otherwise lay it out again), keyed by the report version of the round and of its
    compared round, the format, the group, the invitation counts the report shows (read
    afresh) and the date it is generated on (the one part of the clock it shows).
    """
    if fmt not in FORMATS:
        raise ReportExportError(
            f"unknown format {fmt!r}: choose one of {', '.join(FORMATS)}", field="format"
        )
    try:
        picked = choose_view(round_, chosen)
    except AnalysisError as exc:
        raise ReportExportError(f"there is no report for this round yet: {exc}") from exc
    generated = datetime.now(timeutil.council_tz())
    key = (
        "export",
        *version_key(round_),
        fmt,
        picked.chosen,
        # invitations are not in the report version (who_answered reads them afresh)
        tuple(who_answered(round_, picked.view.report, not picked.chosen, picked.view.picture)),
        timeutil.format_date(generated),  # the only part of "now" an export shows
    )
    content = cached(key, lambda: _export_bytes(round_, picked, fmt, generated))
    return ReportFile(content, FORMATS[fmt][0], report_filename(round_, picked.label, fmt))


def _export_bytes(round_: Round, picked: ChosenView, fmt: str, generated: datetime) -> bytes:
    report = picked.view.report
    if fmt == "csv":
        return item_table_csv(report).encode("utf-8")
    if fmt == "xlsx":
        return report_xlsx(report, shows=picked.label)
    if fmt == "summary-pdf":
        return report_pdf(summary_html(round_, picked, generated))
    if fmt == "html":
        return report_html(round_, picked, generated).encode("utf-8")
    return report_pdf(report_html(round_, picked, generated, for_print=True))
