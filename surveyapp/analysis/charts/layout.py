"""The layout every chart shares: the figure and its SVG, text measured once for margins,
labels, hatched "suppressed" cells, bars, group order and colours.

Pure: no Flask, no pyplot (each chart is its own ``Figure`` on the Agg canvas, so charts can be
drawn in threads and nothing leaks between requests). Text stays text in the SVG
(``svg.fonttype: none``) so it can be searched, scaled and tested.
"""

from __future__ import annotations

import io
from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from matplotlib import transforms as mtransforms  # noqa: E402
from matplotlib.artist import Artist  # noqa: E402
from matplotlib.axes import Axes  # noqa: E402
from matplotlib.backends.backend_svg import RendererSVG  # noqa: E402
from matplotlib.collections import PolyCollection  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.font_manager import FontProperties  # noqa: E402
from matplotlib.patches import Rectangle  # noqa: E402
from matplotlib.textpath import TextToPath  # noqa: E402
from matplotlib.typing import RcKeyType  # noqa: E402

from surveyapp.analysis.data import ALL  # noqa: E402
from surveyapp.analysis.metrics import round_half_up  # noqa: E402
from surveyapp.analysis.report import Report  # noqa: E402

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


def _row_labels(fig: Figure, ax: Axes, y: Sequence[float], labels: Sequence[str]) -> None:
    """Labels left of the axes at heights ``y``, drawn as plain text: what ``set_yticks``
    shows, without a tick object (two texts, two lines and a grid line) per row, which cost
    more than the rest of a chart of many rows to make and to draw."""
    ax.set_yticks([])
    pad = mtransforms.offset_copy(
        mtransforms.blended_transform_factory(ax.transAxes, ax.transData),
        fig=fig,
        x=-TICK * 72,
        units="points",
    )
    for height, label in zip(y, labels, strict=True):
        ax.text(0, height, label, transform=pad, ha="right", va="center").set_in_layout(False)


class _Anchor:
    """What the SVG backend reads of a Text to anchor it: its point, and ``text-anchor``
    from its horizontal alignment (so a browser aligns the label with its own font)."""

    def __init__(self, x: float, y: float, ha: str) -> None:
        self._point, self._ha = (x, y), ha

    def get_rotation_mode(self) -> str:
        return "default"

    def get_transform(self) -> mtransforms.Transform:
        return mtransforms.IdentityTransform()

    def get_unitless_position(self) -> tuple[float, float]:
        return self._point

    def get_ha(self) -> str:
        return self._ha


class _Labels(Artist):
    """Short one-line labels of one size (a bar's percentage), each at a point in data
    coordinates, aligned left, right or centre on it and with its digits centred on it
    vertically. One artist draws them all: a Text per label, laid out and measured on its own,
    cost a third of a chart of 15 partner types. Add it to the axes whose data it is in."""

    zorder = 3

    def __init__(self, size: float) -> None:
        super().__init__()
        self.size = size
        self.rows: list[tuple[float, float, str, str, str]] = []

    def add(
        self, x: float, y: float, text: str, *, ha: str = "left", color: str = "#000000"
    ) -> None:
        self.rows.append((x, y, text, ha, color))

    def draw(self, renderer: Any) -> None:
        if not self.get_visible() or not self.rows:
            return
        prop = FontProperties(family=RC["font.family"], size=self.size)
        # a digit's height, as the chart's text measures it: its middle goes on the point
        digit = _TEXT.get_text_width_height_descent("0", prop, ismath=False)[1]
        lift = renderer.points_to_pixels(digit / 2)
        points = self.get_transform().transform([(x, y) for x, y, *_ in self.rows])
        canvas_height = renderer.get_canvas_width_height()[1]
        # an SVG is drawn through a MixedModeRenderer, which hands text to the SVG renderer
        svg = isinstance(getattr(renderer.draw_text, "__self__", None), RendererSVG)
        renderer.open_group("labels", self.get_gid())
        gc = renderer.new_gc()
        for (_, _, text, ha, colour), (x, y) in zip(self.rows, points, strict=True):
            gc.set_foreground(colour)
            baseline = y - lift
            if renderer.flipy():
                baseline = canvas_height - baseline
            if svg:  # the backend anchors the text itself (text-anchor)
                renderer.draw_text(gc, x, baseline, text, prop, 0, mtext=_Anchor(x, y, ha))
            else:
                width = renderer.get_text_width_height_descent(text, prop, ismath=False)[0]
                shift = {"left": 0.0, "center": width / 2, "right": width}[ha]
                renderer.draw_text(gc, x - shift, baseline, text, prop, 0)
        gc.restore()
        renderer.close_group("labels")
        self.stale = False


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


def _legend(fig: Figure, entries: Sequence[tuple[str, dict[str, Any]]], size: float = 8) -> None:
    """A one-row key centred at the foot of the figure: a swatch (a rectangle drawn with the
    entry's style) and its label per entry, laid out as ``fig.legend(loc="lower center",
    frameon=False)`` lays out a single row, without its packing boxes (which cost a fifth
    of a chart of many rows to draw)."""
    width, height = fig.get_size_inches()
    em = size / 72
    swatch, pad, gap = 2.0 * em, 0.8 * em, 2.0 * em
    label_widths = [_inches([label], size) for label, _ in entries]
    x = (width - sum(swatch + pad + w for w in label_widths) - gap * (len(entries) - 1)) / 2
    middle = 1.25 * em
    for (label, style), label_width in zip(entries, label_widths, strict=True):
        fig.add_artist(
            Rectangle(
                (x / width, (middle - 0.35 * em) / height),
                swatch / width,
                0.7 * em / height,
                transform=fig.transFigure,
                **style,
            )
        )
        fig.text((x + swatch + pad) / width, middle / height, label, fontsize=size, va="center")
        x += swatch + pad + label_width + gap


def _rows_by(table: pd.DataFrame, *keys: str) -> dict[tuple[Any, ...], dict[Hashable, Any]]:
    """The rows of ``table`` as dicts keyed by the values of ``keys``: a chart reads one row
    per bar, and a MultiIndex lookup per bar cost more than drawing it."""
    return {tuple(row[k] for k in keys): row for row in table.to_dict(orient="records")}


def _group_order(report: Report, keys: Iterable[str]) -> list[str]:
    """``all`` first, then partner types in the instrument's order."""
    order = [ALL, *report.partner_type_labels]
    return [k for k in order if k in set(keys)]


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
