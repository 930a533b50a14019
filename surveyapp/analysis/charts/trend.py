"""Trends across closed rounds: small multiples of each domain's gap per partner type."""

from __future__ import annotations

import math
from datetime import date

import matplotlib
import numpy as np
import pandas as pd

from surveyapp.analysis.charts.layout import (
    RC,
    Chart,
    _figure,
    _svg,
    _wrap,
    pct,
)
from surveyapp.analysis.data import ALL

#: Okabe–Ito colours (colour-blind safe; yellow left out, too pale on white); black is ``all``.
TREND_COLOURS = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#8C510A")
TREND_MARKERS = ("o", "s", "^", "D", "v", "P", "X")


def _round_label(closed_on: date, duplicate: bool) -> str:
    """A round's x-axis label: its closing month, or the whole date when two share a month."""
    day = pd.Timestamp(closed_on)
    return f"{day.day} {day:%b %Y}" if duplicate else f"{day:%b %Y}"


def trend_chart(trend: pd.DataFrame, columns: int = 3) -> Chart:
    """Small multiples of a :func:`surveyapp.analysis.trends.trend_table`: one panel per domain,
    the gap per round, one line per partner type and a thick black line for all respondents.

    Suppressed (and missing) points are left out, so the line breaks there; nothing is drawn
    or written for them. ``columns`` panels per row: 3 for a wide screen, 1 for a phone.
    """
    from matplotlib.lines import Line2D

    rounds = trend.drop_duplicates("round_id")
    months = [f"{pd.Timestamp(d):%Y-%m}" for d in rounds["closed_on"]]
    ticks = [
        _round_label(d, months.count(m) > 1)
        for d, m in zip(rounds["closed_on"], months, strict=True)
    ]
    domains = list(dict.fromkeys(trend["domain"]))
    groups = list(dict.fromkeys(trend["group"]))
    drawn = [g for g in groups if (trend.loc[trend["group"] == g, "status"] == "shown").any()]
    styles = {
        g: (
            TREND_COLOURS[n % len(TREND_COLOURS)],
            TREND_MARKERS[(n // len(TREND_COLOURS) + n) % len(TREND_MARKERS)],
        )
        for n, g in enumerate(g for g in drawn if g != ALL)
    }
    rows = math.ceil(len(domains) / columns)
    narrow = columns == 1
    fig = _figure(
        4.2 if narrow else 3.7 * columns, (2.5 if narrow else 2.9) * rows + (2.2 if narrow else 1.1)
    )
    x = np.arange(len(rounds))
    labels = dict(zip(trend["group"], trend["group_label"], strict=True))
    with matplotlib.rc_context(RC | {"font.size": 10}):
        axes = fig.subplots(rows, columns, sharex=True, sharey=True, squeeze=False).ravel()
        for ax, domain in zip(axes, domains, strict=True):
            panel = trend.loc[trend["domain"] == domain]
            for group in drawn:
                gaps = panel.loc[panel["group"] == group, "gap"].to_numpy(
                    dtype=np.float64, na_value=np.nan
                )
                if group == ALL:
                    ax.plot(
                        x, gaps, color="#000000", linewidth=3, marker="o", markersize=7, zorder=3
                    )
                    for xi, gap in zip(x, gaps, strict=True):
                        if not math.isnan(gap):
                            ax.annotate(
                                pct(gap),
                                (xi, gap),
                                textcoords="offset points",
                                xytext=(0, 8),
                                ha="center",
                                fontsize=9,
                                fontweight="bold",
                                zorder=4,
                                bbox={
                                    "boxstyle": "round,pad=0.1",
                                    "facecolor": "white",
                                    "edgecolor": "none",
                                    "alpha": 0.8,
                                },
                            )
                else:
                    colour, marker = styles[group]
                    ax.plot(
                        x, gaps, color=colour, linewidth=1.5, marker=marker, markersize=5, alpha=0.9
                    )
            ax.set_title(
                _wrap(str(panel["domain_label"].iloc[0]), 30 if narrow else 34),
                loc="left",
                fontsize=10,
                fontweight="bold",
            )
            ax.set_ylim(0, 105)
            ax.set_yticks([0, 25, 50, 75, 100])
            ax.set_xlim(-0.35, len(x) - 0.65)
            ax.set_xticks(
                x,
                ticks,
                rotation=0 if len(x) <= (3 if narrow else 4) else 45,
                ha="center" if len(x) <= (3 if narrow else 4) else "right",
            )
            ax.tick_params(labelbottom=True)
            ax.grid(axis="y", color="#dddddd", linewidth=0.6)
            ax.spines[["top", "right"]].set_visible(False)
        for ax in axes[len(domains) :]:
            ax.set_visible(False)
        for ax in axes[::columns]:
            ax.set_ylabel("Gap (% not agreeing)")
        handles = [
            Line2D(
                [],
                [],
                color="#000000",
                linewidth=3,
                marker="o",
                label=labels.get(ALL, "All respondents"),
            )
        ]
        handles += [
            Line2D(
                [], [], color=styles[g][0], marker=styles[g][1], linewidth=1.5, label=str(labels[g])
            )
            for g in drawn
            if g != ALL
        ]
        # On a phone the legend comes first, so it is read before six panels of lines.
        fig.legend(
            handles=handles,
            loc="outside upper center" if narrow else "outside lower center",
            ncols=2 if narrow else 5,
            frameon=False,
            fontsize=9,
        )
    return Chart(_svg(fig), _trend_alt(trend, domains, ticks))


def _trend_alt(trend: pd.DataFrame, domains: list[str], ticks: list[str]) -> str:
    """One or two sentences: what is drawn, and where the gap for everyone moved most."""
    head = (
        f"Line charts of the gap (% not agreeing) in each of {len(domains)} domains across "
        f"{len(ticks)} closed rounds, {ticks[0]} to {ticks[-1]}, one line per partner type "
        f"with all respondents in bold; suppressed groups are left out."
    )
    moves: list[tuple[float, str, float, float]] = []
    for domain in domains:
        line = trend.loc[
            (trend["domain"] == domain) & (trend["group"] == ALL) & (trend["status"] == "shown")
        ]
        if len(line) >= 2:
            first, last = float(line["gap"].iloc[0]), float(line["gap"].iloc[-1])
            moves.append((last - first, str(line["domain_label"].iloc[0]), first, last))
    if not moves:
        return head + " All respondents are shown in fewer than two rounds in every domain."
    fall, rise = min(moves), max(moves)
    parts = []
    if fall[0] < 0:
        parts.append(
            f"the gap for all respondents fell most on {fall[1]}, from {pct(fall[2])} "
            f"to {pct(fall[3])}"
        )
    if rise[0] > 0:
        parts.append(f"it rose most on {rise[1]}, from {pct(rise[2])} to {pct(rise[3])}")
    if not parts:
        return head + " The gap for all respondents did not change in any domain."
    return head + " Between the first and last round shown, " + "; ".join(parts) + "."
