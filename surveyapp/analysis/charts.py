"""Charts of a gap report as SVG, each with a one-sentence alt text.

Pure: no Flask, no pyplot (each chart is its own ``Figure`` on the Agg canvas, so charts can be
drawn in threads and nothing leaks between requests). The charts read only the report's
already-suppressed tables: a suppressed cell has no figure to draw, so it is drawn as hatched
grey with the word "suppressed", never coloured by value or labelled with a number. Text stays
text in the SVG (``svg.fonttype: none``) so it can be searched, scaled and tested.
"""

from __future__ import annotations

import io
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import seaborn as sns  # noqa: E402
from matplotlib.axes import Axes  # noqa: E402
from matplotlib.collections import PolyCollection  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.font_manager import FontProperties  # noqa: E402
from matplotlib.patches import Patch, Rectangle  # noqa: E402
from matplotlib.textpath import TextToPath  # noqa: E402
from matplotlib.typing import RcKeyType  # noqa: E402

from surveyapp.analysis.data import ALL  # noqa: E402
from surveyapp.analysis.metrics import LEVEL_COLUMNS, round_half_up  # noqa: E402
from surveyapp.analysis.report import Report  # noqa: E402
from surveyapp.instruments.scales import AGREE5, DONT_KNOW_LABEL  # noqa: E402

#: ColorBrewer RdBu (5 classes; colour-blind safe) with a grey middle that shows on white.
LEVEL_COLOURS = ("#ca0020", "#f4a582", "#cccccc", "#92c5de", "#0571b0")
DONT_KNOW_COLOUR = "#737373"
SUPPRESSED_COLOUR = "#e0e0e0"
SUPPRESSED_TEXT = "suppressed"
#: Characters of a statement per line above its bars (more would run under "Don't know").
HEADING_WIDTH = 75
RC: dict[RcKeyType, Any] = {
    "svg.fonttype": "none",
    "font.size": 9,
    "font.family": "DejaVu Sans",
    "svg.hashsalt": "surveyapp",
}


@dataclass(frozen=True)
class Chart:
    """One rendered chart: the SVG document and the sentence that describes it."""

    svg: str
    alt: str


def pct(value: float) -> str:
    """A percentage for a chart label: whole numbers, rounded half up."""
    return f"{round_half_up(value):.0f}%"


def points(value: float) -> str:
    """A signed difference in percentage points for a chart label."""
    rounded = round_half_up(value)
    return f"{rounded:+.0f}" if rounded else "0"


def _svg(fig: Figure) -> str:
    buffer = io.StringIO()
    with matplotlib.rc_context(RC):
        fig.savefig(buffer, format="svg", metadata={"Date": None})
    return buffer.getvalue()


def _figure(width: float, height: float) -> Figure:
    """A figure laid out by :func:`_margins`: a layout engine measures every label around the
    axes on each of its passes, which cost as much as drawing the chart."""
    with matplotlib.rc_context(RC):
        return Figure(figsize=(width, height))


_TEXT = TextToPath()
#: Inches: a tick and its padding, a line of 9-point text, the edge of the figure.
TICK, LINE, EDGE = 0.1, 0.17, 0.08


def _inches(labels: Sequence[str], size: float, weight: str = "normal") -> float:
    """Width in inches of the widest line of ``labels`` at ``size`` points, plus a tenth:
    browsers draw small text a little wider than FreeType measures it unhinted."""
    prop = FontProperties(family=RC["font.family"], size=size, weight=weight)
    return (
        1.1
        * max(
            (
                _TEXT.get_text_width_height_descent(line, prop, ismath=False)[0]
                for label in labels
                for line in str(label).split("\n")
                if line
            ),
            default=0.0,
        )
        / 72
    )


def _margins(
    fig: Figure, *, left: float, right: float, bottom: float, top: float
) -> dict[str, float]:
    """Margins in inches as the figure fractions ``subplots_adjust`` and grids take."""
    width, height = fig.get_size_inches()
    return {
        "left": left / width,
        "right": 1 - right / width,
        "bottom": bottom / height,
        "top": 1 - top / height,
    }


def _point_labels(ax: Axes) -> list[str]:
    """The "+n pts" labels beside the points: the right margin has to fit them."""
    return [t.get_text() for t in ax.texts if t.get_text().endswith(" pts")]


def _label(ax: Axes, x: float, y: float, text: str, **kwargs: Any) -> None:
    """A label inside the axes (a figure, a suppressed cell's words)."""
    ax.text(x, y, text, **kwargs).set_in_layout(False)


def _hatch(
    ax: Axes,
    x: float,
    y: float,
    width: float,
    height: float,
    *,
    text: str = SUPPRESSED_TEXT,
    text_x: float | None = None,
) -> None:
    """A hatched grey box with ``text``: how every chart draws a suppressed cell."""
    # add_artist, not add_patch: every chart sets its own limits, and add_patch's autoscaling
    # bookkeeping is slow.
    ax.add_artist(
        Rectangle(
            (x, y),
            width,
            height,
            facecolor=SUPPRESSED_COLOUR,
            edgecolor="#9e9e9e",
            hatch="///",
            linewidth=0.5,
        )
    )
    if text:
        _label(
            ax,
            x + width / 2 if text_x is None else text_x,
            y + height / 2,
            text,
            ha="center",
            va="center",
            fontsize=8,
            color="#333333",
        )


def _bars(
    ax: Axes, y: Sequence[float], left: np.ndarray, width: np.ndarray, height: float, **style: Any
) -> None:
    """Horizontal bars as one collection: the same shapes as ``barh`` without an artist (and
    its autoscaling) per bar."""
    middle = np.asarray(y, dtype=np.float64)
    x0, x1 = left, left + width
    y0, y1 = middle - height / 2, middle + height / 2
    corners = np.stack(
        [
            np.stack([x0, y0], -1),
            np.stack([x0, y1], -1),
            np.stack([x1, y1], -1),
            np.stack([x1, y0], -1),
        ],
        axis=1,
    )
    # An (N, 4, 2) array is PolyCollection's fast path; its stubs only admit a sequence.
    ax.add_collection(PolyCollection(corners, **style), autolim=False)  # type: ignore[arg-type]


def _group_order(report: Report, keys: Iterable[str]) -> list[str]:
    """``all`` first, then partner types in the instrument's order."""
    order = [ALL, *report.partner_type_labels]
    return [k for k in order if k in set(keys)]


def gap_heatmap(report: Report) -> Chart:
    """Partner type × domain heatmap of the domain gap (% not agreeing)."""
    domains = report.domains
    by = domains.columns[0]
    rows = _group_order(report, domains[by].unique())
    columns = list(report.instrument_domains["domain"])
    col_labels = list(report.instrument_domains["label"])
    table = domains.set_index([by, "domain"])
    gap = np.full((len(rows), len(columns)), np.nan)
    hidden = np.zeros(gap.shape, dtype=bool)
    row_labels = []
    for r, key in enumerate(rows):
        row_labels.append(str(table.loc[(key, columns[0]), "group_label"]))
        for c, domain in enumerate(columns):
            cell = table.loc[(key, domain)]
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


def _wrap(text: str, width: int = 16) -> str:
    """Break a label into lines of about ``width`` characters at spaces."""
    lines: list[str] = []
    for word in text.split():
        if lines and len(lines[-1]) + 1 + len(word) <= width:
            lines[-1] += " " + word
        else:
            lines.append(word)
    return "\n".join(lines)


def _wrap_all(labels: Sequence[str], width: int = 16) -> list[str]:
    return [_wrap(label, width) for label in labels]


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
    domain_items = [
        i
        for i in report.instrument_items["item_id"]
        if report.instrument_items.set_index("item_id").loc[i, "domain"] == domain
    ]
    groups = _group_order(report, items[by].unique())
    table = items.set_index([by, "item_id"])
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
    with matplotlib.rc_context(RC):
        for item in domain_items:
            headings.append((y + extra[item] / 2, wrapped[item]))
            y += 1 + extra[item]
            for key in groups:
                row = table.loc[(key, item)]
                label = str(row["group_label"])
                if bool(row["suppressed"]):
                    _hatch(ax, -100, y - 0.4, 200, 0.8, text=str(row["n_label"]), text_x=0)
                    _hatch(ax_dk, 0, y - 0.4, 100, 0.8, text="")
                    labels.append(label)
                else:
                    shown_y.append(y)
                    shares.append([float(row[c]) for c in LEVEL_COLUMNS])
                    _label(ax, 101, y, pct(float(row["pct_positive"])), va="center", fontsize=7)
                    _label(
                        ax,
                        -101,
                        y,
                        pct(float(row["pct_negative"])),
                        va="center",
                        ha="right",
                        fontsize=7,
                    )
                    dk = float(row["pct_dont_know"])
                    dont_know.append(dk)
                    if dk > 75:  # no room right of a long bar: white on the bar's end
                        _label(
                            ax_dk,
                            dk - 2,
                            y,
                            pct(dk),
                            va="center",
                            ha="right",
                            fontsize=7,
                            color="white",
                        )
                    else:
                        _label(ax_dk, dk + 2, y, pct(dk), va="center", fontsize=7)
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
            _label(ax, -118, top, heading, fontsize=8, fontweight="bold", va="center", ha="left")
        ax.set_yticks(ticks, labels)
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
        ax.axvline(0, color="#333333", linewidth=0.8)
        ax.set_xlabel("← disagree   |   agree →")
        ax_dk.set_xlim(0, 100)
        ax_dk.set_yticks([])
        ax_dk.set_ylim(y - 0.4, -0.8)
        ax_dk.set_xlabel(DONT_KNOW_LABEL)
        ax_dk.set_xticks([0, 50, 100], ["0", "50%", "100%"])
        legend = [
            Patch(facecolor=c, label=lab)
            for c, lab in zip(LEVEL_COLOURS, AGREE5.short_labels, strict=True)
        ]
        legend.append(
            Patch(facecolor=SUPPRESSED_COLOUR, hatch="///", edgecolor="#9e9e9e", label="Suppressed")
        )
        fig.legend(handles=legend, loc="lower center", ncols=6, frameon=False, fontsize=8)
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
        ax.set_yticks(range(len(groups)), [str(rows.loc[k, "group_label"]) for k in groups])
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
