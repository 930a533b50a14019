"""The gap report as an XLSX workbook (openpyxl): findings, item table, domain gaps,
differences and change, formatted for reading.

Like every export it only formats what the :class:`~surveyapp.analysis.report.Report` holds, so
suppressed cells stay empty; text cells that a spreadsheet would read as a formula are
neutralised with the same rule as the CSV.
"""

from __future__ import annotations

import io
from typing import Any

import pandas as pd
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from surveyapp.analysis.export import CSV_COLUMNS, neutralise
from surveyapp.analysis.report import Report

#: Columns holding percentages (or percentage points), stored as fractions with a % format.
PERCENT_COLUMNS = {
    "pct_strongly_disagree",
    "pct_disagree",
    "pct_neutral",
    "pct_agree",
    "pct_strongly_agree",
    "pct_positive",
    "pct_negative",
    "gap",
    "positive_ci_low",
    "positive_ci_high",
    "pct_dont_know",
    "others_pct_positive",
    "compared_pct_positive",
    "difference",
    "ci_low",
    "ci_high",
    "pct_a",
    "pct_b",
    "value",
}
DECIMAL_FORMATS = {"mean": "0.00", "z": "0.00", "p_value": "0.0000", "p_adjusted": "0.0000"}
#: Internal columns that say nothing to a reader.
HIDDEN_COLUMNS = {"n_label"}
HEADER_FILL = PatternFill("solid", fgColor="DDE7F0")
MAX_WIDTH = 80


def _cell_value(value: Any, column: str) -> object:
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return None
    if isinstance(value, str):
        return neutralise(value)
    if hasattr(value, "item"):
        value = value.item()
    if isinstance(value, bool):
        return "true" if value else "false"
    if column in PERCENT_COLUMNS:
        return float(value) / 100
    return value


def _write_sheet(
    workbook: Workbook,
    title: str,
    frame: pd.DataFrame,
    columns: list[str] | None = None,
    intro: str | None = None,
) -> None:
    sheet = workbook.create_sheet(title)
    columns = columns or [c for c in frame.columns if c not in HIDDEN_COLUMNS]
    first = 1
    if intro:
        sheet.cell(row=1, column=1, value=neutralise(intro)).font = Font(italic=True)
        first = 3
    widths = [len(c) for c in columns]
    for j, column in enumerate(columns, start=1):
        cell = sheet.cell(row=first, column=j, value=column)
        cell.font = Font(bold=True)
        cell.fill = HEADER_FILL
        cell.alignment = Alignment(wrap_text=False)
    for i, row in enumerate(frame[columns].itertuples(index=False), start=first + 1):
        for j, (column, value) in enumerate(zip(columns, row, strict=True), start=1):
            cell = sheet.cell(row=i, column=j, value=_cell_value(value, column))
            if column in PERCENT_COLUMNS:
                cell.number_format = "0.0%"
            elif column in DECIMAL_FORMATS:
                cell.number_format = DECIMAL_FORMATS[column]
            if cell.value is not None:
                widths[j - 1] = max(widths[j - 1], len(str(cell.value)))
    for j, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(j)].width = min(width + 2, MAX_WIDTH)
    sheet.freeze_panes = sheet.cell(row=first + 1, column=1)


def report_xlsx(report: Report, shows: str | None = None) -> bytes:
    """The workbook's bytes; ``shows`` names the one group a filtered report is narrowed to."""
    workbook = Workbook()
    if workbook.active is not None:
        workbook.remove(workbook.active)
    group = f"One group only: {shows}. " if shows else ""
    suppression = (
        f"{group}Groups with fewer than {report.min_group_size} valid answers, and any group "
        f"hidden to protect them, are left empty (suppressed)."
    )
    _write_sheet(
        workbook,
        "Findings",
        report.findings,
        ["rank", "kind", "text"],
        intro=f"{report.title}: findings, biggest gaps first. {suppression}",
    )
    items = report.items.assign(round_id=report.round_id)
    _write_sheet(workbook, "Item table", items, list(CSV_COLUMNS), intro=suppression)
    _write_sheet(workbook, "Domain gaps", report.domains, intro=suppression)
    _write_sheet(
        workbook,
        "Differences",
        report.differences,
        intro="Each partner type against all other respondents; p adjusted by "
        "Benjamini-Hochberg across the report.",
    )
    if report.change is not None:
        _write_sheet(
            workbook, "Change", report.change, intro=f"Change since {report.compared_title}."
        )
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
