"""Managers, leads and admins: whether gaps are closing, round after round, for one instrument.

Every figure comes from :func:`surveyapp.services.trends.instrument_trend` (each round's own
suppressed domain table); this module only caches the built view and lays it out.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache

import pandas as pd
from flask import Blueprint, abort, current_app, render_template

from surveyapp.analysis import charts
from surveyapp.analysis.data import AnalysisError
from surveyapp.analysis.trends import METHODS, NOT_IN_ROUND, SHOWN, round_order
from surveyapp.extensions import db
from surveyapp.models import Round
from surveyapp.services.report_exports import figure, signed, svg_src
from surveyapp.services.trends import closed_rounds, instrument_title, instrument_trend
from surveyapp.web.access import READ_REPORTS, roles_required

bp = Blueprint("trends", __name__, template_folder="templates")

#: A trend needs at least this many closed rounds.
MIN_ROUNDS = 2


@dataclass(frozen=True, eq=False)
class TrendView:
    """One instrument's trend with its chart, drawn wide (three panels a row) and narrow."""

    trend: pd.DataFrame
    rounds: pd.DataFrame
    wide: charts.Chart
    narrow: charts.Chart


@lru_cache(maxsize=16)
def _build(database: str, key: str, versions: tuple[tuple[int, datetime, int], ...]) -> TrendView:
    """Built once per process for each set of (round id, created at, data version): new answers
    in any round change the key (closed rounds change in nothing else), and so does a new round
    given an erased round's id by SQLite. ``database`` keeps apps on different databases apart."""
    rounds = [db.session.get(Round, round_id) for round_id, _, _ in versions]
    trend = instrument_trend([r for r in rounds if r is not None])
    return TrendView(
        trend=trend,
        rounds=round_order(trend),
        wide=charts.trend_chart(trend, columns=3),
        narrow=charts.trend_chart(trend, columns=1),
    )


def trend_view(key: str, rounds: list[Round]) -> TrendView:
    return _build(
        str(current_app.config["SQLALCHEMY_DATABASE_URI"]),
        key,
        tuple((r.id, r.created_at, r.data_version) for r in rounds),
    )


def _cell(row) -> tuple[str, str, str, str]:
    """(status, gap or why there is none, n, change) for one group × round cell."""
    if row.status == SHOWN:
        change = "" if pd.isna(row.change) else f"{signed(row.change)} points"
        return SHOWN, figure(row.gap), f"n={row.n_valid}", change
    if row.status == NOT_IN_ROUND:
        return NOT_IN_ROUND, "not asked", "", ""
    return row.status, str(row.n_label), "", ""


def domain_tables(trend: pd.DataFrame) -> list[tuple[str, str, list, list[str]]]:
    """Per domain: (key, label, [(group label, cells)], labels of groups never shown).

    A group shown in none of the rounds gets no row of empty cells, only its name in a list.
    """
    tables = []
    for domain, rows in trend.groupby("domain", sort=False):
        shown, never = [], []
        for _, group in rows.groupby("group", sort=False):
            label = str(group["group_label"].iloc[0])
            if (group["status"] == SHOWN).any():
                shown.append((label, [_cell(r) for r in group.itertuples()]))
            else:
                never.append(label)
        tables.append((str(domain), str(rows["domain_label"].iloc[0]), shown, never))
    return tables


@bp.get("/instruments/<key>/trends")
@roles_required(*READ_REPORTS)
def show(key: str):
    title = instrument_title(key)
    if title is None:
        abort(404)
    rounds = closed_rounds(key)
    if len(rounds) < MIN_ROUNDS:
        return render_template(
            "trends/trends.html", title=title, rounds=rounds, view=None, problem=None
        )
    try:
        view = trend_view(key, rounds)
    except AnalysisError as exc:
        return render_template(
            "trends/trends.html", title=title, rounds=rounds, view=None, problem=str(exc)
        )
    tables = domain_tables(view.trend)
    versions = sorted(set(view.rounds["instrument_version"]))
    return render_template(
        "trends/trends.html",
        title=title,
        rounds=rounds,
        view=view,
        tables=tables,
        versions=versions,
        methods=METHODS,
        not_asked=(view.trend["status"] == NOT_IN_ROUND).any(),
        min_sizes=sorted(set(view.rounds["min_group_size"])),
        svg_src=svg_src,
        reports={r.id: r for r in rounds},
    )
