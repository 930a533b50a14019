"""A contrast (e.g. children's minus parents' services) per partner type, with its interval."""

from __future__ import annotations

import matplotlib
import numpy as np
import pandas as pd

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
    _point_labels,
    _svg,
    points,
)
from surveyapp.analysis.data import ALL
from surveyapp.analysis.report import Report


def contrast_chart(report: Report, contrast: str) -> Chart:
    """One contrast (e.g. children's minus parents' services) per partner type, with its 95%
    interval; a point right of zero means more agree on the first item."""
    table = report.contrasts
    by = table.columns[0]
    rows = table.loc[table["contrast"] == contrast].set_index(by)
    groups = _group_order(report, rows.index)
    label = str(rows["label"].iloc[0])
    fig = _figure(8, 0.4 * len(groups) + 1.6)
    ax = fig.add_subplot()
    biggest: tuple[float, str] | None = None
    shown = rows.loc[~rows["suppressed"].astype(bool)]
    span = max(
        10.0,
        float(np.nanmax(np.abs(shown[["ci_low", "ci_high"]].to_numpy(dtype=np.float64)))) + 8
        if len(shown)
        else 10.0,
    )
    points_at: list[tuple[int, float, float, float]] = []
    with matplotlib.rc_context(RC):
        for y, key in enumerate(groups):
            row = rows.loc[key]
            assert isinstance(row, pd.Series)  # one row per group
            if bool(row["suppressed"]):
                _hatch(ax, -span, y - 0.35, 2 * span, 0.7)
                continue
            value = float(row["value"])
            points_at.append((y, value, float(row["ci_low"]), float(row["ci_high"])))
            # in the layout: near the edge, the label decides the right margin
            ax.text(float(row["ci_high"]) + 1, y, f"{points(value)} pts", va="center", fontsize=8)
            if key != ALL and (biggest is None or abs(value) > abs(biggest[0])):
                biggest = (value, str(row["group_label"]))
        if points_at:
            ys, values, lows, highs = (np.array(column) for column in zip(*points_at, strict=True))
            ax.errorbar(
                values,
                ys,
                xerr=[values - lows, highs - values],
                fmt="o",
                color="#0571b0",
                ecolor="#333333",
                capsize=3,
            )
        ax.axvline(0, color="#333333", linewidth=0.8)
        ax.set_yticks(  # at the size the left margin is measured for
            range(len(groups)), [str(rows.loc[k, "group_label"]) for k in groups], fontsize=9
        )
        ax.set_ylim(len(groups) - 0.5, -0.5)
        ax.set_xlim(-span, span)
        ax.set_xlabel("Difference in % agreeing, percentage points (95% interval)")
        ax.set_title(label, loc="left")
        ax.spines[["top", "right"]].set_visible(False)
        fig.subplots_adjust(
            **_margins(
                fig,
                left=_inches([t.get_text() for t in ax.get_yticklabels()], 9) + TICK + EDGE,
                right=_inches(_point_labels(ax), 8) + EDGE,
                bottom=2 * (LINE + TICK) + EDGE,
                top=0.4,
            )
        )
    if biggest is None:
        alt = f"{label}, by partner type; every partner type is suppressed."
    else:
        alt = (
            f"{label}, by partner type with 95% intervals; the biggest difference is "
            f"{biggest[1]}, {points(biggest[0])} percentage points."
        )
    return Chart(_svg(fig), alt)
