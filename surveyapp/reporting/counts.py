"""Response counts a reader may see, taken through the report's disclosure decisions.

docs/privacy.md, "Who sees response counts": leads and admins (and operators, who run
``rounds status`` on the command line) see exact invited, started and completed counts; a
manager sees a group's counts on the response-rate page only where the round's report shows
that group's number of respondents; the published summary shows per partner type exactly the
number of respondents the report shows, and the report's one label where it shows none.
"""

from __future__ import annotations

from dataclasses import replace

from surveyapp.analysis.data import ALL, NOT_STATED, AnalysisError
from surveyapp.analysis.report import Report
from surveyapp.models import Round
from surveyapp.reporting.build import build
from surveyapp.services.status import (
    NOT_GIVEN,
    PublicCount,
    RoundStatusTable,
    StatusRow,
    round_status,
)


def shown_counts(report: Report, by: str) -> dict[str, int | None]:
    """Respondents per group of ``by`` (``partner_type`` in ``report.items``, another
    dimension in its breakdowns), keyed by group label, None where the report hides the
    count on every item; ``ALL`` is the whole view. "Not stated" is keyed as the status
    page's :data:`NOT_GIVEN`."""
    table = report.items if by == "partner_type" else report.breakdowns[by]
    out: dict[str, int | None] = {}
    for key, rows in table.groupby(by, sort=False):
        if by == "partner_type" and key in report.empty_groups:
            continue
        shown = rows.loc[~rows["suppressed"].astype(bool)]
        label = (
            ALL
            if key == ALL
            else NOT_GIVEN
            if key == NOT_STATED
            else str(rows["group_label"].iloc[0])
        )
        out[label] = int(shown["n_responses"].iloc[0]) if len(shown) else None
    return out


def status_for(round_: Round, *, exact: bool) -> RoundStatusTable:
    """The response-rate table: ``exact`` for leads and admins (who chase people); otherwise
    (managers), a group whose number of respondents the report hides (or, when no report can
    be built yet, every group that anyone answered in) is marked hidden."""
    table = round_status(round_)
    if exact:
        return table
    try:
        report = build(round_)
    except AnalysisError:
        report = None

    def mask(rows: list[StatusRow], by: str) -> list[StatusRow]:
        shown = (
            shown_counts(report, by)
            if report is not None
            and by
            in (
                "partner_type",
                *report.breakdowns,
            )
            else {}
        )
        out = []
        for row in rows:
            answered = row.completed or row.open_link
            visible = shown.get(row.label) is not None if row.label in shown else not answered
            out.append(row if visible else replace(row, hidden=True))
        return out

    table.by_partner_type = mask(table.by_partner_type, "partner_type")
    table.by_locality = mask(table.by_locality, "locality")
    whole = shown_counts(report, "partner_type").get(ALL) if report is not None else None
    if whole is None and table.responses:
        table.total = replace(table.total, hidden=True)
        table.responses_hidden = True
    return table


def public_response_counts(round_: Round) -> tuple[int | None, list[PublicCount]]:
    """Respondents in total and per partner type that anyone answered as, as the round's
    unfiltered report shows them (None where it hides them)."""
    try:
        report = build(round_)
    except AnalysisError:
        return None, []
    shown = shown_counts(report, "partner_type")
    total = shown.pop(ALL, None)
    return total, [PublicCount(label, count) for label, count in shown.items()]
