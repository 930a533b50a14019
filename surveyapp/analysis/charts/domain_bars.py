"""Diverging stacked bars per domain: neutral centred, don't know set apart."""

from __future__ import annotations

from typing import Any

import matplotlib
import numpy as np

from surveyapp.analysis.charts.layout import (
    DONT_KNOW_COLOUR,
    EDGE,
    HEADING_WIDTH,
    LEVEL_COLOURS,
    LINE,
    RC,
    SUPPRESSED_COLOUR,
    TICK,
    Chart,
    _bars,
    _figure,
    _group_order,
    _hatch,
    _inches,
    _label,
    _Labels,
    _legend,
    _margins,
    _row_labels,
    _rows_by,
    _svg,
    _wrap,
    pct,
)
from surveyapp.analysis.data import ALL
from surveyapp.analysis.metrics import LEVEL_COLUMNS
from surveyapp.analysis.report import Report
from surveyapp.instruments.scales import AGREE5, DONT_KNOW_LABEL


def domain_bars(report: Report, domain: str) -> Chart:
    """Diverging stacked bars of one domain: a bar per item × partner type.

    Disagreement runs left of zero, agreement right, the neutral share is split across zero;
    "don't know" sits in its own panel to the right. Each bar is labelled with its group and
    n (valid answers); a suppressed bar is hatched grey and labelled with its ``n_label``.
    """
    items = report.items
    by = items.columns[0]
    texts = dict(
        zip(report.instrument_items["item_id"], report.instrument_items["text"], strict=True)
    )
    instrument = report.instrument_items
    domain_items = list(instrument.loc[instrument["domain"] == domain, "item_id"])
    groups = _group_order(report, items[by].unique())
    table = _rows_by(items, by, "item_id")
    # A statement too long for the bars' width is wrapped, and gets a row per extra line.
    wrapped = {item: _wrap(texts[item], HEADING_WIDTH) for item in domain_items}
    extra = {item: 0.6 * wrapped[item].count("\n") for item in domain_items}
    n_rows = len(domain_items) * (len(groups) + 1) + sum(extra.values())
    fig = _figure(9.5, 0.26 * n_rows + 1.6)
    grid = fig.add_gridspec(1, 2, width_ratios=(5, 1))
    ax, ax_dk = fig.add_subplot(grid[0]), fig.add_subplot(grid[1], sharey=None)
    y, ticks, labels, headings = 0.0, [], [], []
    worst: tuple[float, str, str] | None = None
    shown_y: list[float] = []
    shares: list[list[float]] = []
    dont_know: list[float] = []
    values, dk_values = _Labels(7), _Labels(7)
    #: (top, bottom) of each statement's rows: the line at 0 runs beside them, not through
    #: the statement's heading above them
    blocks: list[tuple[float, float]] = []
    ax.add_artist(values)
    ax_dk.add_artist(dk_values)
    with matplotlib.rc_context(RC):
        for item in domain_items:
            headings.append((y + extra[item] / 2, wrapped[item]))
            y += 1 + extra[item]
            blocks.append((y - 0.5, y + len(groups) - 0.5))
            for key in groups:
                row = table[(key, item)]
                label = str(row["group_label"])
                if bool(row["suppressed"]):
                    _hatch(ax, -100, y - 0.4, 200, 0.8, text=str(row["n_label"]), text_x=0)
                    _hatch(ax_dk, 0, y - 0.4, 100, 0.8, text="")
                    labels.append(label)
                else:
                    shown_y.append(y)
                    shares.append([float(row[c]) for c in LEVEL_COLUMNS])
                    values.add(101, y, pct(float(row["pct_positive"])))
                    values.add(-101, y, pct(float(row["pct_negative"])), ha="right")
                    dk = float(row["pct_dont_know"])
                    dont_know.append(dk)
                    if dk > 75:  # no room right of a long bar: white on the bar's end
                        dk_values.add(dk - 2, y, pct(dk), ha="right", color="#ffffff")
                    else:
                        dk_values.add(dk + 2, y, pct(dk))
                    labels.append(f"{label} (n={int(row['n_valid'])})")
                    gap = float(row["gap"])
                    if key != ALL and (worst is None or gap > worst[0]):
                        worst = (gap, label, item)
                ticks.append(y)
                y += 1
        if shown_y:
            level = np.array(shares)
            left = -(level[:, 0] + level[:, 1] + level[:, 2] / 2)
            for k, colour in enumerate(LEVEL_COLOURS):
                _bars(
                    ax,
                    shown_y,
                    left,
                    level[:, k],
                    0.8,
                    facecolor=colour,
                    edgecolor="white",
                    linewidth=0.3,
                )
                left = left + level[:, k]
            _bars(
                ax_dk,
                shown_y,
                np.zeros(len(shown_y)),
                np.array(dont_know),
                0.8,
                facecolor=DONT_KNOW_COLOUR,
                edgecolor="none",
            )
        for axis in (ax, ax_dk):
            axis.set_ylim(y - 0.4, -0.8)
            axis.spines[["top", "right"]].set_visible(False)
        for top, heading in headings:
            _label(ax, -116, top, heading, fontsize=8, fontweight="bold", va="center", ha="left")
        _row_labels(fig, ax, ticks, labels)
        frame = _margins(
            fig,
            left=_inches(labels, 9) + TICK + EDGE,
            right=0.3,
            bottom=2 * (LINE + TICK) + 0.4,
            top=EDGE,
        )
        between = 0.3  # inches from the bars to the "don't know" panel
        panels = (frame["right"] - frame["left"]) * fig.get_size_inches()[0] - between
        fig.subplots_adjust(wspace=between / (panels / 2), **frame)
        ax.set_xlim(-118, 118)
        ax.set_xticks([-100, -50, 0, 50, 100], ["100%", "50%", "0", "50%", "100%"])
        ax.vlines(
            [0.0] * len(blocks),
            [top for top, _ in blocks],
            [bottom for _, bottom in blocks],
            color="#333333",
            linewidth=0.8,
        )
        ax.set_xlabel("← disagree   |   agree →")
        ax_dk.set_xlim(0, 100)
        ax_dk.set_yticks([])
        ax_dk.set_ylim(y - 0.4, -0.8)
        ax_dk.set_xlabel(DONT_KNOW_LABEL)
        ax_dk.set_xticks([0, 50, 100], ["0", "50%", "100%"])
        swatches: list[tuple[str, dict[str, Any]]] = [
            (label, {"facecolor": colour})
            for colour, label in zip(LEVEL_COLOURS, AGREE5.short_labels, strict=True)
        ]
        swatches.append(
            ("Suppressed", {"facecolor": SUPPRESSED_COLOUR, "hatch": "///", "edgecolor": "#9e9e9e"})
        )
        _legend(fig, swatches)
    domain_label = dict(
        zip(report.instrument_domains["domain"], report.instrument_domains["label"], strict=True)
    )[domain]
    if worst is None:
        alt = f"Answers to the {domain_label} statements by partner type; all are suppressed."
    else:
        alt = (
            f"Answers to the {domain_label} statements by partner type, disagreement left "
            f'and agreement right; the biggest gap is {worst[1]} on "{texts[worst[2]]}", '
            f"{pct(worst[0])} not agreeing."
        )
    return Chart(_svg(fig), alt)
