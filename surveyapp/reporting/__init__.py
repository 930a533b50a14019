"""A round's report: ``frames`` (the one database → DataFrame boundary), ``build`` (one entry
point and one cache keyed by report versions), ``views`` (page context and charts), ``exports``
(CSV, XLSX, HTML, PDF), ``findings`` (headlines for the published summary) and ``trends``.

``surveyapp.analysis`` is pure pandas below this package; ``surveyapp.web`` reaches reports
only through here.
"""

from surveyapp.analysis.basics import AnalysisError

__all__ = ["AnalysisError"]
