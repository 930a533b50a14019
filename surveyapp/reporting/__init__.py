"""A round's report: ``frames`` (the one database → DataFrame boundary), ``build`` (one entry
point and one cache keyed by report versions), ``views`` (page context and charts), ``exports``
(CSV, XLSX, HTML, PDF), ``findings`` (headlines for the published summary) and ``trends``.

``surveyapp.analysis`` is pure pandas below this package; ``surveyapp.web`` reaches reports
only through here.
"""

import importlib

from surveyapp.analysis.basics import AnalysisError

__all__ = ["AnalysisError", "preload"]

#: What a report page or export imports on first use: pandas, SciPy and Matplotlib
#: through ``views`` and ``exports``, and WeasyPrint, which ``exports`` imports only to lay out
#: a PDF (so a command that writes CSV does not load it).
MACHINERY = ("surveyapp.reporting.views", "surveyapp.reporting.exports", "weasyprint")


def preload() -> None:
    """Import the report machinery now (gunicorn's master does, before it forks its workers,
    so no worker's first report or PDF pays for the imports); commands still import it lazily
    and start fast."""
    for name in MACHINERY:
        importlib.import_module(name)
