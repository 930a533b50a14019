"""Gap analysis of partner-survey rounds: pure pandas/numpy, no Flask and no database.

``frames.py`` reads a round into :class:`RoundFrames`; :func:`build_report` turns it into a
:class:`Report` (every figure already suppressed) that pages, the CLI and exports share.

The package imports pandas only when one of its pandas names is first used (PEP 562), so that
importing ``surveyapp.analysis.basics`` (the models, the CLI) does not pay for it.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from surveyapp.analysis.basics import AnalysisError, neutralise

if TYPE_CHECKING:
    from surveyapp.analysis.data import Contrast, RoundFrames, filter_frames, tidy_answers
    from surveyapp.analysis.export import item_table_csv
    from surveyapp.analysis.report import Report, build_report

_LAZY = {
    "Contrast": "surveyapp.analysis.data",
    "RoundFrames": "surveyapp.analysis.data",
    "filter_frames": "surveyapp.analysis.data",
    "tidy_answers": "surveyapp.analysis.data",
    "item_table_csv": "surveyapp.analysis.export",
    "Report": "surveyapp.analysis.report",
    "build_report": "surveyapp.analysis.report",
}

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


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
