"""Tests of difference between partner types, and the report-wide false discovery control.

Only shown groups take part (see :mod:`surveyapp.analysis.suppression`): a test on a hidden
group, or one that let a hidden group be worked out, would defeat suppression. Every
function returns raw p-values; :func:`adjust_family` adds Benjamini–Hochberg adjusted ones
across all the report's tests at once, and only ``p_adjusted < 0.05`` is called a difference.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy.stats import chi2, norm
from statsmodels.stats.multitest import multipletests

from surveyapp.analysis import suppression
from surveyapp.analysis.data import DONT_KNOW, NEGATIVE_LEVELS, POSITIVE_LEVELS, RoundFrames
from surveyapp.analysis.metrics import group_counts, newcombe_interval, safe_ratio

SIGNIFICANCE = 0.05


def two_proportion_ztest(
    x1: np.ndarray, n1: np.ndarray, x2: np.ndarray, n2: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Two-sided z-test of p1 = p2 with the pooled variance; (z, p), NaN where undefined.

    Undefined when either sample is empty or everyone (or no one) is positive in both.
    """
    x1, n1, x2, n2 = (np.asarray(v, dtype=np.float64) for v in (x1, n1, x2, n2))
    pooled = safe_ratio(x1 + x2, n1 + n2)
    variance = pooled * (1 - pooled) * (safe_ratio(1, n1) + safe_ratio(1, n2))
    z = safe_ratio(safe_ratio(x1, n1) - safe_ratio(x2, n2), np.sqrt(np.nan_to_num(variance)))
    z = np.where(np.isfinite(variance) & (variance > 0), z, np.nan)
    return z, 2 * norm.sf(np.abs(z))


def difference_table(frames: RoundFrames, by: str = "partner_type") -> pd.DataFrame:
    """Each shown group against all other respondents, per item: difference in % positive.

    Columns: <by>, group_label, item_id, domain, n_valid, pct_positive, others_n_valid,
    others_pct_positive, difference (points), ci_low, ci_high (Newcombe hybrid score 95%),
    z, p_value (two-proportion z-test; missing when undefined). One row per shown group ×
    item whose ``all`` is shown and that has other respondents; "others" is ``all`` minus the
    group, so every figure here follows from shown cells.
    """
    gc = group_counts(frames, by)
    vis = suppression.visibility(frames, by)
    enc = frames.encoded
    n_valid, positive = gc.n_valid, gc.n_positive
    others_n = n_valid[0] - n_valid[1:]
    others_x = positive[0] - positive[1:]
    keep = ~vis.hidden[1:] & ~vis.hidden[0] & (others_n > 0)
    groups, items = np.nonzero(keep)
    x1, n1 = positive[1:][groups, items], n_valid[1:][groups, items]
    x2, n2 = others_x[groups, items], others_n[groups, items]
    low, high = newcombe_interval(x1, n1, x2, n2)
    z, p = two_proportion_ztest(x1, n1, x2, n2)
    return pd.DataFrame(
        {
            by: np.array(gc.keys[1:], dtype=object)[groups],
            "group_label": np.array(gc.labels[1:], dtype=object)[groups],
            "item_id": np.array(enc.item_ids, dtype=object)[items],
            "domain": np.array(enc.domain_ids, dtype=object)[enc.item_domain[items]],
            "n_valid": pd.array(n1, dtype="Int64"),
            "pct_positive": 100 * safe_ratio(x1, n1),
            "others_n_valid": pd.array(n2, dtype="Int64"),
            "others_pct_positive": 100 * safe_ratio(x2, n2),
            "difference": 100 * (safe_ratio(x1, n1) - safe_ratio(x2, n2)),
            "ci_low": 100 * low,
            "ci_high": 100 * high,
            "z": z,
            "p_value": p,
        }
    )


def kruskal_wallis(counts: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Kruskal–Wallis H (tie-corrected), degrees of freedom and p from ordinal level counts.

    ``counts`` has shape (tests, groups, levels); empty groups are ignored. With 1–5 answers
    every answer at one level shares a mid-rank, so the ranks come from the counts directly.
    H is NaN (no test) with fewer than two non-empty groups or when every answer is the same.
    """
    counts = np.asarray(counts, dtype=np.float64)
    n_group = counts.sum(axis=2)
    n = n_group.sum(axis=1)
    at_level = counts.sum(axis=1)
    midrank = np.cumsum(at_level, axis=1) - at_level + (at_level + 1) / 2
    rank_sum = (counts * midrank[:, None, :]).sum(axis=2)
    k = (n_group > 0).sum(axis=1)
    spread = np.where(n_group > 0, safe_ratio(rank_sum**2, n_group), 0.0).sum(axis=1)
    h = safe_ratio(12 * spread, n * (n + 1)) - 3 * (n + 1)
    ties = 1 - safe_ratio((at_level**3 - at_level).sum(axis=1), n**3 - n)
    h = np.where((k >= 2) & (ties > 1e-12), safe_ratio(h, ties), np.nan)
    df = np.where(np.isfinite(h), k - 1, np.nan)
    p = np.where(np.isfinite(h), chi2.sf(np.nan_to_num(h), np.maximum(df, 1)), np.nan)
    return h, df, p


def cramers_v(table: np.ndarray) -> np.ndarray:
    """Cramér's V of each (groups × categories) table in ``table`` (shape tests, rows, cols).

    Empty rows and columns are left out; V is NaN when fewer than two of either remain.
    """
    table = np.asarray(table, dtype=np.float64)
    rows, cols = table.sum(axis=2), table.sum(axis=1)
    n = rows.sum(axis=1)
    expected = rows[:, :, None] * cols[:, None, :] / np.where(n > 0, n, 1.0)[:, None, None]
    chi_square = np.where(expected > 0, safe_ratio((table - expected) ** 2, expected), 0.0)
    chi_square = chi_square.sum(axis=(1, 2))
    k = np.minimum((rows > 0).sum(axis=1), (cols > 0).sum(axis=1)) - 1
    return np.where(k > 0, np.sqrt(safe_ratio(chi_square, n * k)), np.nan)


def variation_table(frames: RoundFrames, by: str = "partner_type") -> pd.DataFrame:
    """Per item: do the shown groups differ? Kruskal–Wallis on the 1–5 answers, and Cramér's V
    on the negative / neutral / positive × group table.

    Columns: item_id, domain, n_groups, n_valid, h, df, p_value, cramers_v. Hidden groups
    are left out; rows with fewer than two shown groups, or no spread, have no test.
    """
    gc = group_counts(frames, by)
    vis = suppression.visibility(frames, by)
    enc = frames.encoded
    shown = ~vis.hidden[1:]
    levels = np.where(shown[:, :, None], gc.counts[1:, :, :DONT_KNOW], 0).transpose(1, 0, 2)
    h, df, p = kruskal_wallis(levels)
    collapsed = np.stack(
        [
            levels[:, :, list(NEGATIVE_LEVELS)].sum(axis=2),
            levels[:, :, 2],
            levels[:, :, list(POSITIVE_LEVELS)].sum(axis=2),
        ],
        axis=2,
    )
    v = np.where(np.isfinite(h), cramers_v(collapsed), np.nan)
    return pd.DataFrame(
        {
            "item_id": list(enc.item_ids),
            "domain": np.array(enc.domain_ids, dtype=object)[enc.item_domain],
            "n_groups": shown.sum(axis=0),
            "n_valid": levels.sum(axis=(1, 2)),
            "h": h,
            "df": df,
            "p_value": p,
            "cramers_v": v,
        }
    )


def adjust_family(tables: Sequence[pd.DataFrame | None]) -> list[pd.DataFrame | None]:
    """Benjamini–Hochberg across every ``p_value`` in ``tables`` taken as one family.

    Returns copies with ``p_adjusted`` (missing where there was no test) and ``significant``
    (``p_adjusted < 0.05``). ``None`` entries (e.g. no compared round) pass through.
    """
    present = [t for t in tables if t is not None]
    pvalues = (
        np.concatenate([t["p_value"].to_numpy(dtype=np.float64) for t in present])
        if present
        else np.array([])
    )
    tested = np.isfinite(pvalues)
    adjusted = np.full(pvalues.shape, np.nan)
    if tested.any():
        adjusted[tested] = multipletests(pvalues[tested], method="fdr_bh")[1]
    out: list[pd.DataFrame | None] = []
    start = 0
    for table in tables:
        if table is None:
            out.append(None)
            continue
        stop = start + len(table)
        table = table.copy()
        table["p_adjusted"] = adjusted[start:stop]
        table["significant"] = np.nan_to_num(adjusted[start:stop], nan=1.0) < SIGNIFICANCE
        out.append(table)
        start = stop
    return out
