"""A round's report as a view: its figures (from :func:`surveyapp.reporting.build.build`,
suppression already applied), its charts drawn when first asked for, and the context the report
templates need, for the page and every export alike.

A view may be narrowed to ONE of locality, role level or training
(:func:`surveyapp.reporting.build.select_view`), so a small group is suppressed, never shown
smaller.
"""

from __future__ import annotations

import base64
import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import pandas as pd
from flask import render_template
from markupsafe import Markup

from surveyapp.analysis import charts, disclosure
from surveyapp.analysis.data import ALL, NOT_STATED
from surveyapp.analysis.metrics import round_half_up
from surveyapp.analysis.report import Report
from surveyapp.models import Round
from surveyapp.reporting.build import build, cached, version_key
from surveyapp.reporting.quotes import report_quotes
from surveyapp.services import ServiceError

#: The dimensions a report can be filtered by, with the label of each in the filter menu.
FILTERS = {"locality": "Locality", "role_level": "Role level", "training": "Early help training"}
#: The report leads with this many of the biggest gaps in words, then lists more up to
#: GAPS_IN_WORDS, and says what changed most for all partners.
HEADLINES = 3
GAPS_IN_WORDS = 5
CHANGES_IN_WORDS = 2
BAD_FILTER = "Choose a group from the list"


class ReportExportError(ServiceError):
    """The report cannot be shown or exported as asked (bad filter or format)."""


def drawn_report(report: Report) -> Report:
    """The report without the partner types nobody answered as, for the charts: an empty
    group carries no figure (and hides none), so it is listed once instead of drawn."""
    empty = set(report.empty_groups)
    if not empty:
        return report

    def keep(table: pd.DataFrame) -> pd.DataFrame:
        return table.loc[~table["partner_type"].isin(empty)].reset_index(drop=True)

    return dataclasses.replace(
        report,
        items=keep(report.items),
        domains=keep(report.domains),
        contrasts=keep(report.contrasts),
        partner_type_labels={k: v for k, v in report.partner_type_labels.items() if k not in empty},
    )


class ReportView:
    """One report view; its charts are drawn when first asked for (CSV and XLSX exports and
    the filter menu need none) and then kept with the view. Charts leave out the partner
    types nobody answered as (:func:`drawn_report`)."""

    def __init__(self, report: Report) -> None:
        self.report = report

    @cached_property
    def drawn(self) -> Report:
        return drawn_report(self.report)

    @cached_property
    def heatmap(self) -> charts.Chart:
        return charts.gap_heatmap(self.drawn)

    @cached_property
    def domains(self) -> list[tuple[str, str, charts.Chart]]:
        domains = self.report.instrument_domains
        return [
            (d, label, charts.domain_bars(self.drawn, d))
            for d, label in zip(domains["domain"], domains["label"], strict=True)
        ]

    @cached_property
    def contrasts(self) -> list[tuple[str, charts.Chart]]:
        return [
            (key, charts.contrast_chart(self.drawn, key))
            for key in self.report.contrasts["contrast"].unique()
        ]

    @cached_property
    def change(self) -> charts.Chart | None:
        return charts.change_chart(self.drawn)

    @cached_property
    def picture(self) -> list[tuple[str, str]]:
        return response_picture(self.report)

    @cached_property
    def figures(self) -> dict[str, Any]:
        """The parts of :func:`report_context` read from the report alone, worked out once
        per view (a page view reuses them; only who was invited is read afresh)."""
        report = self.report
        findings = report.findings
        return {
            "people": dict(self.picture),
            "nobody": [report.partner_type_labels[k] for k in report.empty_groups],
            "headlines": findings.loc[findings["kind"] == "gap"].head(HEADLINES),
            "gaps": findings.loc[findings["kind"] == "gap"].iloc[HEADLINES:GAPS_IN_WORDS],
            "changed": findings.loc[
                (findings["kind"] == "change") & (findings["partner_type"] == ALL)
            ].head(CHANGES_IN_WORDS),
            "other_findings": findings.loc[findings["kind"] != "gap"],
            "domain_labels": dict(
                zip(
                    report.instrument_domains["domain"],
                    report.instrument_domains["label"],
                    strict=True,
                )
            ),
            "item_texts": dict(
                zip(
                    report.instrument_items["item_id"],
                    report.instrument_items["text"],
                    strict=True,
                )
            ),
            "group_change": group_change(report),
        }


@dataclass(frozen=True)
class ChosenView:
    """The view a page or export shows, with the group it is narrowed to (if any)."""

    view: ReportView
    options: list[tuple[str, list[tuple[str, str]]]]
    chosen: str
    label: str | None


def report_view(
    round_: Round, dimension: str | None = None, value: str | None = None
) -> ReportView:
    """The view from the one report cache, rebuilt whenever the report version of the round or
    of the round it is compared with changes (:func:`surveyapp.reporting.build.version_key`)."""
    filters = {dimension: value} if dimension is not None and value is not None else {}
    return cached(
        ("view", *version_key(round_), dimension, value),
        lambda: ReportView(build(round_, **filters)),
    )


def filter_options(report: Report) -> list[tuple[str, list[tuple[str, str]]]]:
    """(dimension label, [(form value, group label)]) for each filterable dimension."""
    options = []
    for dimension, heading in FILTERS.items():
        table = report.breakdowns.get(dimension)
        if table is None:
            continue
        groups = table[[dimension, "group_label"]].drop_duplicates()
        options.append(
            (
                heading,
                [
                    (f"{dimension}:{key}", str(label))
                    for key, label in groups.itertuples(index=False)
                    if key not in (ALL, NOT_STATED) and (dimension, key) not in report.refused
                ],
            )
        )
    return options


def choose_view(round_: Round, chosen: str = "") -> ChosenView:
    """The whole report, or the one group named by ``chosen`` (``dimension:value`` as offered
    by :func:`filter_options`).

    Raises :class:`ReportExportError` for a group not on offer (with the reason when
    disclosure control refuses it) and :class:`~surveyapp.analysis.data.AnalysisError` when
    the report cannot be built.
    """
    whole = report_view(round_)
    options = filter_options(whole.report)
    if not chosen:
        return ChosenView(whole, options, "", None)
    if tuple(chosen.split(":", 1)) in whole.report.refused:
        raise ReportExportError(
            disclosure.REFUSED.format(n=whole.report.min_group_size), field="refused"
        )
    allowed = {value: f"{heading}: {label}" for heading, group in options for value, label in group}
    if chosen not in allowed:
        raise ReportExportError(BAD_FILTER, field="filter")
    dimension, value = chosen.split(":", 1)
    return ChosenView(report_view(round_, dimension, value), options, chosen, allowed[chosen])


def figure(value: float | None, places: int = 0, suffix: str = "%") -> str:
    """A shown figure rounded half up for display; a dash where there is none."""
    if value is None or pd.isna(value):
        return "–"
    return f"{round_half_up(float(value), places):.{places}f}{suffix}"


def _missing(*values: float | None) -> bool:
    return any(v is None or pd.isna(v) for v in values)


def _signed(value: float, places: int = 0) -> str:
    rounded = round_half_up(value, places)
    return "0" if rounded == 0 else f"{rounded:+.{places}f}".replace("-", "−")


def signed(value: float | None) -> str:
    """A signed difference in points, with a true minus sign; a dash where there is none, and
    a plain 0 where it rounds to nothing (not "−0" or "+0")."""
    return "–" if _missing(value) else _signed(float(value))  # type: ignore[arg-type]


def signed_range(low: float | None, high: float | None) -> str:
    """A likely range of a difference in points, e.g. "−3 to +1": whole points, unless rounding
    would make a range that stays on one side of 0 reach 0 (−1.21 to −0.30 is not "−1 to 0",
    which beside "worsened" reads as no change): then as many decimals (up to two) as keep it
    off 0."""
    if _missing(low, high):
        return "–"
    lo, hi = float(low), float(high)  # type: ignore[arg-type]
    places = 0
    while places < 2 and (lo > 0 or hi < 0):
        if round_half_up(lo, places) > 0 or round_half_up(hi, places) < 0:
            break
        places += 1
    return f"{_signed(lo, places)} to {_signed(hi, places)}"


def pct_range(low: float | None, high: float | None) -> str:
    """A likely range of a percentage, e.g. "39–44%": whole percents, or one decimal where the
    range is narrower than that shows (57.6–58.3% rather than "58–58%")."""
    if _missing(low, high):
        return "–"
    lo, hi = float(low), float(high)  # type: ignore[arg-type]
    places = 1 if lo < hi and round_half_up(lo) == round_half_up(hi) else 0
    return f"{figure(lo, places, '')}–{figure(hi, places)}"


def svg_src(chart: charts.Chart) -> str:
    """The chart as a ``data:`` URI, so the page and every export embed it the same way."""
    return "data:image/svg+xml;base64," + base64.b64encode(chart.svg.encode()).decode("ascii")


@dataclass(frozen=True)
class WhoAnswered:
    """One row of "who answered": people in the view, and for the whole round the people
    invited and the share of them who answered (a dash where there is none to show)."""

    label: str
    people: str
    invited: str
    rate: str


def who_answered(
    round_: Round,
    report: Report,
    whole: bool,
    picture: list[tuple[str, str]] | None = None,
) -> list[WhoAnswered]:
    """All partners first, then each partner type that anyone answered as. Invitations are
    counted for the whole round only (a filtered view has no invitations of its own), and a
    rate only where the group's own count is shown, so no rate narrows a hidden group.
    ``picture`` is :func:`response_picture` of ``report`` when the caller has it already.

    Invitations are read afresh (one aggregate query): sending or answering one does not
    change the report version, so they are never cached."""
    from surveyapp.services.status import invitation_table

    people = dict(response_picture(report) if picture is None else picture)
    status = invitation_table(round_) if whole else None
    invited = {row.label: row for row in status.by_partner_type} if status else {}
    if status is not None:
        invited[report.items["group_label"].iloc[0]] = status.total
    out = []
    for label, count in people.items():
        row = invited.get(label)
        shown = count.isdigit()
        out.append(
            WhoAnswered(
                label=label,
                people=count,
                invited=str(row.invited) if row is not None and row.invited else "–",
                rate=(
                    figure(row.rate) if row is not None and row.rate is not None and shown else "–"
                ),
            )
        )
    return out


def response_picture(report: Report) -> list[tuple[str, str]]:
    """(group label, responses or the suppressed label) per partner type that anyone
    answered as, all first."""
    items = report.items
    by = items.columns[0]
    out = []
    for key in [ALL, *(k for k in report.partner_type_labels if k not in report.empty_groups)]:
        rows = items.loc[items[by] == key]
        if rows.empty:
            continue
        shown = rows.loc[~rows["suppressed"].astype(bool)]
        label = str(rows["group_label"].iloc[0])
        out.append(
            (
                label,
                str(int(shown["n_responses"].iloc[0]))
                if len(shown)
                else str(rows["n_label"].iloc[0]),
            )
        )
    return out


def group_change(report: Report) -> pd.DataFrame | None:
    """The change table's rows for each partner type that anyone answered as (all partners
    have a table of their own); none without a compared round. Suppressed as the report is."""
    change = report.change
    if change is None:
        return None
    keep = (change["partner_type"] != ALL) & ~change["partner_type"].isin(report.empty_groups)
    return change.loc[keep]


def clear_changes(change: pd.DataFrame) -> tuple[pd.DataFrame, int]:
    """The partner types' changes that were clear (read "improved" or "worsened"), and how
    many changes were compared at all (suppressed and new groups are not): what the full PDF
    lists, leaving every row to the web page and the workbook."""
    compared = change.loc[change["status"] == "compared"]
    return compared.loc[compared["change"] != "no clear change"], len(compared)


def by_statement(table: pd.DataFrame, domain: str | None = None) -> list[tuple[str, pd.DataFrame]]:
    """(item id, its rows) per statement of ``table``, in the table's order (of one domain when
    ``domain`` is given): the long tables show each statement once, above its rows."""
    if domain is not None:
        table = table.loc[table["domain"] == domain]
    return [(str(item), rows) for item, rows in table.groupby("item_id", sort=False, observed=True)]


def gap_matrix(domains: pd.DataFrame, labels: dict[str, str]) -> list[tuple[str, list[Any]]]:
    """(group label, its row of ``domains`` per domain of ``labels`` or None) per group, in
    the table's order: the heatmap's figures in the heatmap's shape."""
    by = domains.columns[0]
    out = []
    for _, rows in domains.groupby(by, sort=False, observed=True):
        cells = {row.domain: row for row in rows.itertuples()}
        out.append((str(rows["group_label"].iloc[0]), [cells.get(d) for d in labels]))
    return out


HELPERS: dict[str, Callable[..., Any]] = {
    "figure": figure,
    "signed": signed,
    "signed_range": signed_range,
    "clear_changes": clear_changes,
    "pct_range": pct_range,
    "svg_src": svg_src,
    "by_statement": by_statement,
    "gap_matrix": gap_matrix,
}


def report_context(round_: Round, chosen: ChosenView) -> dict[str, Any]:
    """What the report body template (``reports/_body.html``) needs, for the page and exports;
    ``page_body(controls)`` renders that body for the page, cached (:func:`page_body`)."""
    view = chosen.view
    report = view.report
    context: dict[str, Any] = {
        "round": round_,
        "view": view,
        "report": report,
        "chosen": chosen.chosen,
        "chosen_label": chosen.label,
        "who_answered": who_answered(round_, report, whole=not chosen.chosen, picture=view.picture),
        **view.figures,
        "ALL": ALL,
        "quotes": report_quotes(round_, report),
        **HELPERS,
    }
    context["page_body"] = lambda controls: page_body(context, controls)
    return context


def page_body(context: dict[str, Any], controls: str) -> Markup:
    """``reports/_body.html`` rendered for the report page with ``controls`` (the filter and
    download section, rendered by the page), kept in the one report cache.

    The key holds everything the body shows that is not a pure function of the view: the
    report version of the round and of its compared round (figures, charts, quotes, titles),
    the group shown, the "who answered" rows (invitations are read afresh on every request, so
    a new invitation or answer to one changes the key) and the controls (the filter menu, the
    group chosen and any error). The body has no links, forms or role-dependent parts
    (``tests/reporting/test_report_page_cache.py`` checks it against a fresh render)."""
    round_ = context["round"]
    key = (
        "body",
        *version_key(round_),
        context["chosen"],
        tuple(context["who_answered"]),
        str(controls),
    )
    return cached(
        key,
        lambda: Markup(render_template("reports/_body.html", **context, controls=controls)),
    )
