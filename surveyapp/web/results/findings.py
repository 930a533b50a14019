"""Headline figures for the published summary, from the analysis engine (suppression applied)."""

from __future__ import annotations

from surveyapp.extensions import db
from surveyapp.models import Round

#: The summary leads with this many of the biggest gaps, then what changed most.
GAPS_SHOWN = 3
CHANGES_SHOWN = 2


def headline_findings(round_: Round) -> list[str] | None:
    """Plain-language headline findings, biggest gaps first, then changes since the compared
    round for all partners; None when the analysis engine is not installed (the summary then
    shows counts only), and an empty list when the round has too little to report."""
    try:
        from surveyapp.analysis.data import AnalysisError
        from surveyapp.analysis.frames import compared_round_id, load_round_frames
        from surveyapp.analysis.report import build_report
    except ImportError:
        return None
    try:
        frames = load_round_frames(db.session, round_.id)
        compared_id = compared_round_id(db.session, round_.id)
        compared = load_round_frames(db.session, compared_id) if compared_id else None
        findings = build_report(frames, compared).findings
    except AnalysisError:
        return []
    gaps = findings[findings["kind"] == "gap"].head(GAPS_SHOWN)
    changes = findings[(findings["kind"] == "change")
                       & (findings["partner_type"] == "all")].head(CHANGES_SHOWN)
    return [str(text) for text in [*gaps["text"], *changes["text"]]]
