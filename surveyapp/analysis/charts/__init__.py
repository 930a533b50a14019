"""Charts of a gap report as SVG, each with a one-sentence alt text: one module per chart, the
layout they share in :mod:`~surveyapp.analysis.charts.layout`.

The charts read only the report's already-suppressed tables: a suppressed cell has no figure
to draw, so it is drawn as hatched grey with the word "suppressed", never coloured by value or
labelled with a number.
"""

import matplotlib

# before anything imports pyplot: never a GUI backend in a server
matplotlib.use("Agg")

from surveyapp.analysis.charts.change import change_chart  # noqa: E402
from surveyapp.analysis.charts.contrast import contrast_chart  # noqa: E402
from surveyapp.analysis.charts.domain_bars import domain_bars  # noqa: E402
from surveyapp.analysis.charts.heatmap import gap_heatmap  # noqa: E402
from surveyapp.analysis.charts.layout import Chart, pct, points  # noqa: E402
from surveyapp.analysis.charts.trend import trend_chart  # noqa: E402

__all__ = [
    "Chart",
    "change_chart",
    "contrast_chart",
    "domain_bars",
    "gap_heatmap",
    "pct",
    "points",
    "trend_chart",
]
