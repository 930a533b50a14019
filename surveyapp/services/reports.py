"""Building a round's gap report: the one place the web pages, the published summary and the
``report`` command get their figures from."""

from __future__ import annotations

from surveyapp.analysis.data import filter_frames
from surveyapp.analysis.frames import compared_round_id, load_round_frames
from surveyapp.analysis.report import Report, build_report
from surveyapp.extensions import db


def round_report(round_id: int, **filters: str) -> Report:
    """The report of a round, compared with its compared round when it has one; ``filters``
    (one of locality, role_level, training) go through the analysis's own filter, so a small
    filtered group is suppressed, never shown smaller.

    Raises :class:`surveyapp.analysis.data.AnalysisError` for an unknown round or filter.
    """
    frames = load_round_frames(db.session, round_id)
    other = compared_round_id(db.session, round_id)
    compared = load_round_frames(db.session, other) if other is not None else None
    if filters:
        frames = filter_frames(frames, **filters)
    return build_report(frames, compared)
