"""Change since the compared round: a dumbbell of % agreeing per item."""

from __future__ import annotations

import matplotlib
import numpy as np
from matplotlib.patches import Patch

from surveyapp.analysis.charts.layout import (
    EDGE,
    LINE,
    RC,
    TICK,
    Chart,
    _figure,
    _hatch,
    _inches,
    _margins,
    _point_labels,
    _svg,
    _wrap,
    points,
)
from surveyapp.analysis.data import ALL
from surveyapp.analysis.report import Report


def change_chart(report: Report) -> Chart | None:
    """Dumbbell of % agreeing per item for all respondents, compared round → this round.

    ``None`` when the report has no compared round. Items not compared (new, dropped or
    suppressed) are listed with the reason instead of a dumbbell.
    """
    if report.change is None:
        return None
    change = report.change
    by = change.columns[0]
    rows = change.loc[change[by] == ALL].reset_index(drop=True)
    texts = dict(
        zip(report.instrument_items["item_id"], report.instrument_items["text"], strict=True)
    )
    fig = _figure(9, 0.42 * len(rows) + 1.8)
    ax = fig.add_subplot()
    biggest: tuple[float, str] | None = None
    then_label = report.compared_title or "Compared round"
    pairs: list[tuple[int, float, float]] = []
    with matplotlib.rc_context(RC):
        for y, (_, row) in enumerate(rows.iterrows()):
            if row["status"] != "compared":
                _hatch(ax, 0, y - 0.3, 100, 0.6, text=str(row["status"]))
                continue
            then, now = float(row["compared_pct_positive"]), float(row["pct_positive"])
            pairs.append((y, then, now))
            ax.text(max(then, now) + 2, y, f"{points(now - then)} pts", va="center", fontsize=8)
            if biggest is None or abs(now - then) > abs(biggest[0]):
                biggest = (now - then, str(row["item_id"]))
        if pairs:
            ys, thens, nows = (np.array(column) for column in zip(*pairs, strict=True))
            ax.hlines(ys, thens, nows, color="#9e9e9e", linewidth=2, zorder=1)
            ax.scatter(thens, ys, color="#f4a582", edgecolor="#333333", zorder=2, s=36)
            ax.scatter(nows, ys, color="#0571b0", edgecolor="#333333", zorder=2, s=36)
        ax.set_yticks(
            range(len(rows)), [_wrap(texts.get(i, i), 60) for i in rows["item_id"]], fontsize=7
        )
        ax.set_ylim(len(rows) - 0.5, -0.5)
        ax.set_xlim(0, 110)
        ax.set_xlabel("% agreeing, all respondents")
        ax.spines[["top", "right"]].set_visible(False)
        fig.legend(
            handles=[
                Patch(facecolor="#f4a582", label=then_label),
                Patch(facecolor="#0571b0", label=report.title),
            ],
            loc="lower center",
            ncols=2,
            frameon=False,
        )
        ax.set_title(f"Change since {then_label}", loc="left")
        fig.subplots_adjust(
            **_margins(
                fig,
                left=_inches([t.get_text() for t in ax.get_yticklabels()], 7) + TICK + EDGE,
                right=_inches(_point_labels(ax), 8) + EDGE,
                bottom=2 * (LINE + TICK) + 0.4,
                top=0.4,
            )
        )
    if biggest is None:
        alt = f"Change since {then_label}: no statement could be compared."
    else:
        alt = (
            f"% agreeing per statement in {then_label} and now; the biggest change is "
            f'"{texts.get(biggest[1], biggest[1])}", {points(biggest[0])} percentage '
            f"points."
        )
    return Chart(_svg(fig), alt)
