"""The gap report: the one entry point for the web page, the CLI and every export."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, cast

import numpy as np
import pandas as pd

from surveyapp.analysis import disclosure, suppression
from surveyapp.analysis.change import change_table, describe_changes
from surveyapp.analysis.data import AnalysisError, RoundFrames, filter_frames, records
from surveyapp.analysis.differences import (
    FAMILIES,
    SIGNIFICANCE,
    adjust_within,
    difference_table,
    variation_table,
)
from surveyapp.analysis.findings import build_findings
from surveyapp.analysis.metrics import (
    CONFIDENCE,
    contrast_table,
    domain_ranking,
    domain_table,
    item_table,
)
from surveyapp.analysis.reliability import reliability_table

BREAKDOWNS = ("locality", "role_level", "training")


@dataclass(frozen=True, eq=False)
class Report:
    """Every figure of one round's gap report, already suppressed.

    ``items`` is the item table by partner type (the CSV); ``breakdowns`` the same table by
    each other dimension not filtered on; ``differences``, ``variation`` and ``change`` carry
    ``p_adjusted`` and ``significant`` from one Benjamini–Hochberg family. ``instrument_items``
    and ``instrument_domains`` hold the instrument's wording for display.
    """

    round_id: int
    title: str
    min_group_size: int
    filters: Mapping[str, str]
    compared_round_id: int | None
    compared_title: str | None
    instrument_items: pd.DataFrame
    instrument_domains: pd.DataFrame
    partner_type_labels: Mapping[str, str]
    items: pd.DataFrame
    breakdowns: Mapping[str, pd.DataFrame]
    domains: pd.DataFrame
    domain_ranking: pd.DataFrame
    contrasts: pd.DataFrame
    differences: pd.DataFrame
    variation: pd.DataFrame
    change: pd.DataFrame | None
    reliability: pd.DataFrame
    findings: pd.DataFrame
    methods: Mapping[str, Any]
    #: Partner types of the round nobody in this view answered as (listed once, never drawn;
    #: naming them reveals nothing, as hidden groups together still hold the minimum).
    empty_groups: tuple[str, ...] = ()
    #: (dimension, group) of the single-filter views of this round that are refused
    #: (:mod:`surveyapp.analysis.disclosure`): not offered, and refused when asked for.
    refused: frozenset[tuple[str, str]] = frozenset()


def _same_filters(frames: RoundFrames, compared: RoundFrames) -> RoundFrames:
    """The compared round under the same filters as ``frames`` (applied if it has none)."""
    if compared.filters == frames.filters:
        return compared
    if compared.filters:
        raise AnalysisError("the compared round is filtered differently from this round")
    return filter_frames(compared, **dict(frames.filters))


def _methods(frames: RoundFrames, reliability: pd.DataFrame, n_tests: int) -> dict[str, Any]:
    alpha = {
        row.domain: (None if row.suppressed else float(row.alpha)) for row in records(reliability)
    }
    return {
        "min_group_size": frames.min_group_size,
        "excluded_by_lead": frames.excluded_by_lead,
        "excluded_note": (
            f"{frames.excluded_by_lead} response{'s' if frames.excluded_by_lead != 1 else ''} "
            "excluded by the lead (flagged open-link responses), left out of every figure"
            if frames.excluded_by_lead
            else ""
        ),
        "suppressed_label": suppression.suppressed_label(frames.min_group_size),
        "confidence_level": CONFIDENCE,
        "positive": 'Agree or Strongly agree, out of answers 1–5 ("don\'t know" excluded)',
        "gap": "100 − % positive",
        "interval_item": "Wilson score interval",
        "interval_domain": "none: one respondent's answers to a domain's items are not independent",
        "interval_contrast": "Newcombe (1998) method 10 for paired proportions; the "
        "correlation is scaled by n_both / √(n_a·n_b) when some "
        "respondents answered only one of the items",
        "test_contrast": "McNemar's exact test on the respondents who answered both statements",
        "interval_difference": "Newcombe hybrid score interval (method 10)",
        "test_difference": "two-proportion z-test (pooled), each partner type against all "
        "other respondents; Fisher's exact test where an expected count is below 5",
        "test_variation": "Kruskal–Wallis on the five answer levels across the shown partner "
        "types and, as one more group, the hidden ones together (the same respondents as the "
        "differences); effect size ε² = H / (n − 1) on the same answers",
        "test_change": "two-proportion z-test (pooled) between rounds; Fisher's exact test "
        "where an expected count is below 5",
        "multiple_testing": "Benjamini–Hochberg false discovery rate within families declared "
        "in advance: "
        + "; ".join(FAMILIES.values())
        + f". A difference or change is reported in words only at adjusted p < {SIGNIFICANCE}",
        "interval_note": "Intervals are 95% for each figure on its own, not adjusted for the "
        "number of tests: an interval that just excludes 0 can sit beside “no clear change” "
        "when the adjusted test does not call it",
        "n_tests": n_tests,
        "cronbach_alpha": alpha,
        "reliability": "Cronbach's alpha per domain with two or more items, listwise over "
        "the whole round",
        "suppression": suppression.__doc__,
        "disclosure": disclosure.__doc__,
    }


def _empty_groups(frames: RoundFrames) -> tuple[str, ...]:
    """The partner types of ``frames`` nobody answered as (the set of those who did is built
    once: once per key took a second at 100,000 responses)."""
    answered = set(frames.responses["partner_type"].unique())
    return tuple(key for key in frames.partner_type_labels if key not in answered)


def build_report(frames: RoundFrames, compared: RoundFrames | None = None) -> Report:
    """Build the full gap report for ``frames`` (optionally filtered), with change since
    ``compared`` when given (same filters applied to it).

    Raises :class:`~surveyapp.analysis.disclosure.DisclosureError` (an ``AnalysisError``)
    for a filtered view that could be subtracted from another one to reveal a small group.
    """
    disclosure.check_view(frames)
    items = item_table(frames)
    breakdowns = {by: item_table(frames, by) for by in BREAKDOWNS if by not in dict(frames.filters)}
    domains = domain_table(frames)
    contrasts = cast(pd.DataFrame, adjust_within(contrast_table(frames)))
    raw_change = None
    if compared is not None:
        raw_change = change_table(frames, _same_filters(frames, compared))
    # families declared in advance (FAMILIES), each adjusted on its own
    differences = cast(pd.DataFrame, adjust_within(difference_table(frames), "item_id"))
    variation = cast(pd.DataFrame, adjust_within(variation_table(frames)))
    adjusted_change = adjust_within(raw_change)
    change = describe_changes(adjusted_change) if adjusted_change is not None else None
    reliability = reliability_table(frames)
    enc = frames.encoded
    instrument_items = pd.DataFrame(
        {
            "item_id": list(enc.item_ids),
            "domain": np.array(enc.domain_ids, dtype=object)[enc.item_domain],
            "text": list(enc.item_text),
        }
    )
    n_tests = sum(
        int(t["p_value"].notna().sum()) for t in (differences, variation, change) if t is not None
    )
    return Report(
        round_id=frames.round_id,
        title=frames.title,
        min_group_size=frames.min_group_size,
        filters=dict(frames.filters),
        compared_round_id=compared.round_id if compared is not None else None,
        compared_title=compared.title if compared is not None else None,
        instrument_items=instrument_items,
        instrument_domains=pd.DataFrame(
            {"domain": list(enc.domain_ids), "label": list(enc.domain_labels)}
        ),
        partner_type_labels=dict(frames.partner_type_labels),
        items=items,
        breakdowns=breakdowns,
        domains=domains,
        domain_ranking=domain_ranking(domains),
        contrasts=contrasts,
        differences=differences,
        variation=variation,
        change=change,
        reliability=reliability,
        findings=build_findings(
            items,
            contrasts,
            differences,
            variation,
            change,
            dict(zip(enc.item_ids, enc.item_text, strict=True)),
            compared.title if compared is not None else None,
            domains,
        ),
        methods=_methods(frames, reliability, n_tests),
        empty_groups=_empty_groups(frames),
        refused=disclosure.refused_filters(frames),
    )
