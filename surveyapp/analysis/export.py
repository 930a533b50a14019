"""Exports of a :class:`~surveyapp.analysis.report.Report` (the CSV of product.md section 5).

Exports only format what the report holds: suppression has already happened, so an export
cannot show more than the page does.
"""

from __future__ import annotations

import csv
import io

import pandas as pd

from surveyapp.analysis.basics import FORMULA_PREFIXES as FORMULA_PREFIXES
from surveyapp.analysis.basics import neutralise as neutralise
from surveyapp.analysis.data import records
from surveyapp.analysis.metrics import round_half_up
from surveyapp.analysis.report import Report

#: The CSV columns, in the contract's order (product.md section 5).
CSV_COLUMNS = (
    "round_id",
    "partner_type",
    "item_id",
    "domain",
    "n_responses",
    "n_valid",
    "n_dont_know",
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
    "mean",
    "suppressed",
)
TEXT_COLUMNS = ("partner_type", "item_id", "domain")
COUNT_COLUMNS = ("n_responses", "n_valid", "n_dont_know")
#: Decimal places per figure column: percentages and the mean 1 (product.md section 4).
DECIMALS = {column: 1 for column in CSV_COLUMNS[7:18]} | {"mean": 1}


#: A spreadsheet treats a cell starting with one of these as a formula (OWASP CSV injection).
def format_figure(value: float | None, places: int) -> str:
    """A figure rounded half up to ``places`` decimals; "" when missing (suppressed)."""
    if value is None or pd.isna(value):
        return ""
    return f"{round_half_up(float(value), places) + 0.0:.{places}f}"


def item_table_csv(report: Report) -> str:
    """The item table as CSV text: one row per group × item, ``all`` first, then partner
    types in order, items in instrument order; suppressed rows blank with ``true``."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    table = report.items
    for row in records(table):
        record = row._asdict()
        cells = [str(report.round_id)]
        for column in CSV_COLUMNS[1:-1]:
            value = record[column]
            if column in TEXT_COLUMNS:
                cells.append(neutralise(str(value)))
            elif column in COUNT_COLUMNS:
                cells.append("" if pd.isna(value) else str(int(value)))
            else:
                cells.append(format_figure(value, DECIMALS[column]))
        cells.append("true" if record["suppressed"] else "false")
        writer.writerow(cells)
    return buffer.getvalue()
