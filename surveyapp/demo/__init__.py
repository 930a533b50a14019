"""Made-up data for tests, benchmarks and demonstrations; never part of a real report.

:mod:`surveyapp.demo.synthetic` builds synthetic rounds of the standard instrument as analysis
frames (pure pandas). Loading the demo into the database is a service:
:mod:`surveyapp.services.demo`.
"""
