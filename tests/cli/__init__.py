"""The command line (``flask`` / ``python -m surveyapp`` commands), one file per command group."""
