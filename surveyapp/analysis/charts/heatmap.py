"""The gap heatmap: partner type × domain, suppressed cells hatched, never coloured by value.

Drawn with Matplotlib alone: seaborn's heatmap drew the whole figure an extra time to see
whether its tick labels overlapped (two fifths of the chart's time)."""

from __future__ import annotations

import math

import matplotlib
import numpy as np

from surveyapp.analysis.charts.layout import (
    EDGE,
    LINE,
    RC,
    TICK,
    Chart,
    _figure,
    _group_order,
    _hatch,
    _inches,
    _Labels,
    _margins,
    _rows_by,
    _svg,
    _wrap_all,
    pct,
)
from surveyapp.analysis.report import Report

#: Black, not a softer dark grey: with black one of the two inks always reaches 4.5:1.
DARK_INK = "#000000"


def _luminance(colour: tuple[float, ...]) -> float:
    """WCAG's relative luminance of an sRGB colour."""
    rgb = np.asarray(colour[:3], dtype=np.float64)
    linear = np.where(rgb <= 0.03928, rgb / 12.92, ((rgb + 0.055) / 1.055) ** 2.4)
    return float(linear @ [0.2126, 0.7152, 0.0722])


def _ink(colour: tuple[float, ...]) -> str:
    """Dark or white text on a cell of ``colour``: whichever has the higher contrast ratio
    (seaborn's threshold put white on mid oranges at about 2.5:1)."""
    cell = _luminance(colour) + 0.05
    return DARK_INK if cell / _DARK >= 1.05 / cell else "#ffffff"


_DARK = _luminance(matplotlib.colors.to_rgba(DARK_INK)) + 0.05


def gap_heatmap(report: Report) -> Chart:
    """Partner type × domain heatmap of the domain gap (% not agreeing)."""
    domains = report.domains
    by = domains.columns[0]
    rows = _group_order(report, domains[by].unique())
    columns = list(report.instrument_domains["domain"])
    col_labels = list(report.instrument_domains["label"])
    table = _rows_by(domains, by, "domain")
    gap = np.full((len(rows), len(columns)), np.nan)
    hidden = np.zeros(gap.shape, dtype=bool)
    row_labels = []
    for r, key in enumerate(rows):
        row_labels.append(str(table[(key, columns[0])]["group_label"]))
        for c, domain in enumerate(columns):
            cell = table[(key, domain)]
            hidden[r, c] = bool(cell["suppressed"])
            if not hidden[r, c]:
                gap[r, c] = float(cell["gap"])
    fig = _figure(1.4 * len(columns) + 2.5, 0.45 * len(rows) + 1.8)
    ax = fig.add_subplot()
    wrapped = _wrap_all(col_labels)
    lines = max(label.count("\n") + 1 for label in wrapped)
    # the colour bar takes a slim strip on the right of the axes' space; its numbers and
    # label go in the right margin
    fig.subplots_adjust(
        **_margins(
            fig,
            left=_inches(row_labels, 9) + TICK + EDGE,
            right=0.7,
            bottom=lines * LINE + TICK + EDGE,
            top=0.4,
        )
    )
    with matplotlib.rc_context(RC):
        cmap = matplotlib.colormaps["Oranges"]
        mesh = ax.pcolormesh(
            np.ma.masked_invalid(gap), cmap=cmap, vmin=0, vmax=100, edgecolors="white", linewidth=1
        )
        ax.set_xlim(0, len(columns))
        ax.set_ylim(len(rows), 0)  # first row at the top, as in a table
        bar = fig.colorbar(mesh, ax=ax, label="% not agreeing", fraction=0.04, pad=0.02)
        bar.outline.set_linewidth(0)
        ax.spines[:].set_visible(False)
        ax.set_xticks(np.arange(len(columns)) + 0.5, wrapped)
        ax.set_yticks(np.arange(len(rows)) + 0.5, row_labels)
        figures = _Labels(RC["font.size"])
        ax.add_artist(figures)
        for (r, c), value in np.ndenumerate(gap):
            if not math.isnan(value):
                figures.add(
                    c + 0.5, r + 0.5, pct(value), ha="center", color=_ink(cmap(value / 100))
                )
        for r, c in zip(*np.nonzero(hidden), strict=True):
            _hatch(ax, c, r, 1, 1)
        ax.set_title("Gap by partner type and domain (% not agreeing)", loc="left")
    ranking = report.domain_ranking
    if ranking.empty:
        alt = (
            "Heatmap of the gap (% not agreeing) by partner type and domain; every partner "
            "type is suppressed."
        )
    else:
        top = ranking.iloc[0]
        alt = (
            f"Heatmap of the gap (% not agreeing) by partner type and domain; the biggest "
            f"gap is {top['group_label']} on {top['domain_label']}, {pct(top['gap'])} not "
            f"agreeing."
        )
    return Chart(_svg(fig), alt)
