"""Headline figures for the published summary, from the analysis engine (suppression applied)."""

from __future__ import annotations

from surveyapp.analysis.data import AnalysisError
from surveyapp.models import Round
from surveyapp.reporting.build import build

#: The summary leads with this many of the biggest gaps, then what changed most.
GAPS_SHOWN = 3
CHANGES_SHOWN = 2


def headline_findings(round_: Round) -> list[str]:
    """Plain-language headline findings, biggest gaps first, then changes since the compared
    round for all partners; an empty list when the round has too little to report."""
    try:
        findings = build(round_).findings
    except AnalysisError:
        return []
    gaps = findings[findings["kind"] == "gap"].head(GAPS_SHOWN)
    changes = findings[(findings["kind"] == "change") & (findings["partner_type"] == "all")].head(
        CHANGES_SHOWN
    )
    return [str(text) for text in [*gaps["text"], *changes["text"]]]
