"""Charts of the gap report: SVG with real text, suppressed cells never drawn as figures."""

import html
import re

import numpy as np
import pytest
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from surveyapp.analysis import charts
from surveyapp.analysis.charts.layout import _Labels, _svg
from surveyapp.analysis.metrics import round_half_up
from surveyapp.analysis.report import build_report
from surveyapp.demo.synthetic import synthetic_round

TEXT = re.compile(r"<text[^>]*>([^<]*)</text>")


def texts(svg: str) -> list[str]:
    return [html.unescape(t) for t in TEXT.findall(svg)]


@pytest.fixture(scope="module")
def report():
    frames = synthetic_round(300, seed=1, round_id=2)
    return build_report(frames, synthetic_round(300, seed=2, round_id=1))


def test_heatmap_draws_suppressed_cells_as_words_and_names_the_biggest_gap(report):
    chart = charts.gap_heatmap(report)
    assert chart.svg.lstrip().startswith("<?xml") and "</svg>" in chart.svg
    words = texts(chart.svg)
    domains = report.domains
    hidden = domains["suppressed"].astype(bool)
    assert hidden.sum() > 0 and (~hidden).sum() > 0
    # one "suppressed" per hidden cell, one whole-number percentage per shown cell
    assert words.count("suppressed") == hidden.sum()
    percents = sorted(w for w in words if w.endswith("%"))
    assert percents == sorted(f"{round_half_up(g):.0f}%" for g in domains.loc[~hidden, "gap"])
    top = report.domain_ranking.iloc[0]
    assert top["group_label"] in chart.alt and top["domain_label"] in chart.alt
    assert f"{round_half_up(top['gap']):.0f}%" in chart.alt


def _raw_percentages(frames, partner_type: str, item: str) -> set[str]:
    """The suppressed cell's figures, worked out from the raw answers."""
    ids = frames.responses.loc[frames.responses["partner_type"] == partner_type, "response_id"]
    answers = frames.answers[
        frames.answers["response_id"].isin(ids) & (frames.answers["item_id"] == item)
    ]
    valid = answers.loc[~answers["dont_know"], "value"].astype(int)
    pos = 100 * (valid >= 4).mean()
    neg = 100 * (valid <= 2).mean()
    return {f"{round_half_up(v):.0f}%" for v in (pos, neg, 100 - pos)}


def test_domain_bars_show_n_and_only_shown_figures(report):
    frames = synthetic_round(300, seed=1, round_id=2)
    chart = charts.domain_bars(report, "communication")
    words = texts(chart.svg)
    rows = report.items[report.items["domain"] == "communication"]
    shown, hidden = rows[~rows["suppressed"]], rows[rows["suppressed"]]
    assert len(hidden) > 0
    expected = {
        f"{round_half_up(v):.0f}%"
        for column in ("pct_positive", "pct_negative", "pct_dont_know")
        for v in shown[column]
    }
    ticks = {"50%", "100%"}
    assert {w for w in words if w.endswith("%")} <= expected | ticks
    # a group hidden on every item of the domain shows no n anywhere in the chart
    hidden_everywhere = rows.groupby("group_label")["suppressed"].all()
    for row in hidden.itertuples():
        raw = _raw_percentages(frames, row.partner_type, row.item_id)
        assert not (raw - expected - ticks) & set(words)
        if hidden_everywhere[row.group_label]:
            assert not any(w.startswith(f"{row.group_label} (n=") for w in words)
    assert words.count(hidden["n_label"].iloc[0]) == len(hidden)
    for row in shown.itertuples():
        assert f"{row.group_label} (n={row.n_valid})" in words
    worst = shown[shown["partner_type"] != "all"].sort_values("gap").iloc[-1]
    assert worst["group_label"] in chart.alt
    assert f"{round_half_up(worst['gap']):.0f}% not agreeing" in chart.alt


def test_contrast_chart_has_intervals_and_hides_suppressed_groups(report):
    chart = charts.contrast_chart(report, "parent_child_gap")
    words = texts(chart.svg)
    rows = report.contrasts[report.contrasts["contrast"] == "parent_child_gap"]
    shown = rows[~rows["suppressed"]]
    assert words.count("suppressed") == rows["suppressed"].sum() > 0
    assert sorted(w for w in words if w.endswith(" pts")) == sorted(
        f"{charts.points(v)} pts" for v in shown["value"]
    )
    biggest = shown[shown["partner_type"] != "all"].set_index("group_label")["value"].abs().idxmax()
    assert biggest in chart.alt


def test_change_chart_is_a_dumbbell_only_when_there_is_a_compared_round(report):
    chart = charts.change_chart(report)
    assert chart is not None
    rows = report.change[
        (report.change["partner_type"] == "all") & (report.change["status"] == "compared")
    ]
    diffs = rows["pct_positive"] - rows["compared_pct_positive"]
    assert sorted(w for w in texts(chart.svg) if w.endswith(" pts")) == sorted(
        f"{charts.points(v)} pts" for v in diffs
    )
    assert f"{charts.points(diffs.loc[diffs.abs().idxmax()])} percentage points" in chart.alt
    alone = build_report(synthetic_round(120, seed=3))
    assert charts.change_chart(alone) is None


def test_domain_bars_legend_names_every_point_of_the_scale(report):
    words = texts(charts.domain_bars(report, "communication").svg)
    for label in ("Strongly disagree", "Disagree", "Neither", "Agree", "Strongly agree"):
        assert label in words
    assert "Don't know" in words and "Suppressed" in words


def _labelled(ha: str) -> Figure:
    fig = Figure(figsize=(2, 1), dpi=100)
    ax = fig.add_axes((0, 0, 1, 1))
    ax.set_xlim(0, 100)
    ax.set_ylim(0, 10)
    ax.set_axis_off()
    labels = _Labels(12)
    ax.add_artist(labels)
    labels.add(50, 5, "100%", ha=ha)
    labels.add(50, 5, "42%", ha=ha, color="#ffffff")  # white on white: invisible, but drawn
    return fig


def test_value_labels_anchor_where_a_text_would_in_svg():
    fig = _labelled("right")
    svg = _svg(fig)  # as every chart is saved: text stays text
    found = [
        (dict(re.findall(r'(\w+)="([^"]*)"', attrs)), text)
        for attrs, text in re.findall(r"<text([^>]*)>([^<]*)</text>", svg)
    ]
    assert [text for _, text in found] == ["100%", "42%"]
    (first, _), (second, _) = found
    x1, y1, style1 = first["x"], first["y"], first["style"]
    x2, y2, style2 = second["x"], second["y"], second["style"]
    # anchored at the point (x = half of 144 pt), the browser aligns the end of the text there
    assert float(x1) == float(x2) == 72 and "text-anchor: end" in style1
    assert "fill: #ffffff" in style2
    # the digits' middle on the point (y = 36 pt from the top): the baseline a little below
    assert y1 == y2 and 36 < float(y1) < 36 + 12 / 2


@pytest.mark.parametrize("ha", ["left", "right", "center"])
def test_value_labels_align_in_a_raster_too(ha):
    fig = _labelled(ha)
    fig.canvas = FigureCanvasAgg(fig)
    fig.canvas.draw()
    ink = np.asarray(fig.canvas.buffer_rgba())[..., :3].min(axis=2) < 128
    columns = np.flatnonzero(ink.any(axis=0))
    rows = np.flatnonzero(ink.any(axis=1))
    assert columns.size and rows.size
    middle = 100  # x = 50 of 0-100 on a 200-pixel-wide figure
    if ha == "left":
        assert columns.min() >= middle - 1
    elif ha == "right":
        assert columns.max() <= middle + 1
    else:
        assert columns.min() < middle < columns.max()
    assert rows.min() < 50 < rows.max()  # centred on y = 5 of 0-10 (50 pixels from the top)


def test_heatmap_figures_have_at_least_4_5_to_1_contrast_on_every_cell_colour():
    """WCAG 1.4.3 for the heatmap's numbers: on any colour the gap can give a cell, the ink
    chosen (black or white) contrasts at least 4.5:1, worked out with WCAG's own formula."""
    import matplotlib
    from matplotlib.colors import to_rgb

    from surveyapp.analysis.charts.heatmap import _ink

    def luminance(rgb):
        linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in rgb]
        return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]

    worst = 21.0
    for gap in np.linspace(0, 100, 1001):
        cell = matplotlib.colormaps["Oranges"](gap / 100)
        ink = luminance(to_rgb(_ink(cell)))
        back = luminance(cell[:3])
        worst = min(worst, (max(ink, back) + 0.05) / (min(ink, back) + 0.05))
    assert worst >= 4.5, worst


def test_the_line_at_zero_runs_beside_the_rows_never_through_a_statement_heading(report):
    """Each statement's heading sits above its rows, starting clear of the axis: the line
    marking 0 is drawn once per statement, beside its rows only."""
    svg = charts.domain_bars(report, "communication").svg
    collection = svg.split('id="LineCollection_1">')[1].split("</g>")[0]
    segments = [
        (float(y1), float(y2))
        for y1, y2 in re.findall(r"M [\d.]+ ([\d.]+)\s*L [\d.]+ ([\d.]+)", collection)
    ]
    items = report.items[report.items["domain"] == "communication"]["item_id"].nunique()
    assert len(segments) == items
    headings = [
        float(y)
        for y in re.findall(
            r'<text style="font-weight: 700[^"]*"[^>]*?(?:y="|translate\([\d.]+ )([\d.]+)', svg
        )
    ]
    assert len(headings) >= items
    for y in headings:
        assert not any(top - 4 <= y <= bottom + 4 for top, bottom in segments), y
    # the headings start right of the axes' left edge (its spine is the first vertical path)
    spine_x = float(re.search(r'id="patch_\d+">\s*<path d="M ([\d.]+) [\d.]+\s*L \1', svg)[1])
    starts = re.findall(r'<text style="font-weight: 700[^>]*?(?:x="|translate\()([\d.]+)', svg)
    assert starts and all(float(x) > spine_x + 2 for x in starts)
