"""The gap heatmap: partner type × domain, suppressed cells hatched, never coloured by value."""

from __future__ import annotations

import math

import matplotlib
import numpy as np
import pandas as pd
import seaborn as sns

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
    _margins,
    _rows_by,
    _svg,
    _wrap_all,
    pct,
)
from surveyapp.analysis.report import Report


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
        sns.heatmap(
            pd.DataFrame(gap, index=row_labels, columns=wrapped),
            ax=ax,
            mask=np.isnan(gap),
            cmap="Oranges",
            vmin=0,
            vmax=100,
            linewidths=1,
            linecolor="white",
            annot=np.vectorize(lambda v: "" if math.isnan(v) else pct(v))(gap),
            fmt="",
            cbar_kws={"label": "% not agreeing", "fraction": 0.04, "pad": 0.02},
        )
        for text in ax.texts:
            text.set_in_layout(False)
        for r, c in zip(*np.nonzero(hidden), strict=True):
            _hatch(ax, c, r, 1, 1)
        ax.set_xlabel("")
        ax.set_ylabel("")
        ax.tick_params(axis="x", labelrotation=0)
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
