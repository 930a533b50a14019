"""Gap analysis of partner-survey rounds: pure pandas/numpy, no Flask and no database.

``frames.py`` reads a round into :class:`RoundFrames`; :func:`build_report` turns it into a
:class:`Report` (every figure already suppressed) that pages, the CLI and exports share.
"""

from surveyapp.analysis.data import (
    AnalysisError,
    Contrast,
    RoundFrames,
    filter_frames,
    tidy_answers,
)
from surveyapp.analysis.export import item_table_csv, neutralise
from surveyapp.analysis.report import Report, build_report

__all__ = [
    "AnalysisError",
    "Contrast",
    "Report",
    "RoundFrames",
    "build_report",
    "filter_frames",
    "item_table_csv",
    "neutralise",
    "tidy_answers",
]
