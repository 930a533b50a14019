"""Tests of difference between partner types, and the report-wide false discovery control.

Only shown groups are tested (see :mod:`surveyapp.analysis.suppression`): a test on a hidden
group, or one that let a hidden group be worked out, would defeat suppression. Every
function returns raw p-values; :func:`adjust_within` adds Benjamini–Hochberg adjusted ones
within families declared in advance (:data:`FAMILIES`), and only ``p_adjusted < 0.05`` is
called a difference. A family never depends on what else the report holds, so adding a
compared round cannot change which partner differences are called.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.stats import chi2, fisher_exact, norm
from statsmodels.stats.multitest import multipletests

from surveyapp.analysis import suppression
from surveyapp.analysis.data import DONT_KNOW, RoundFrames
from surveyapp.analysis.metrics import group_counts, newcombe_interval, safe_ratio

SIGNIFICANCE = 0.05
#: Below this expected count in any cell of a 2 × 2 table, a proportion test is exact (Fisher).
MIN_EXPECTED = 5
#: The families of tests, each adjusted on its own (Benjamini–Hochberg), as the methods say.
FAMILIES = {
    "difference": "each statement's partner-type differences (one family per statement)",
    "variation": "the across-partner-type tests, one per statement",
    "change": "the changes since the compared round, all groups and statements together",
    "contrast": "the paired contrasts (e.g. children's vs parents' services), all groups",
}


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


def compare_proportions(
    x1: np.ndarray, n1: np.ndarray, x2: np.ndarray, n2: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(z, p, exact): the pooled z-test, or Fisher's exact test (two-sided) where any expected
    count of the 2 × 2 table is below :data:`MIN_EXPECTED`, as the normal approximation is poor
    there. ``exact`` says which rows used Fisher's test; p is NaN where the z-test is undefined.
    """
    x1, n1, x2, n2 = (np.asarray(v, dtype=np.int64) for v in (x1, n1, x2, n2))
    z, p = two_proportion_ztest(x1, n1, x2, n2)
    pooled = safe_ratio(x1 + x2, n1 + n2)
    smallest = np.minimum(np.minimum(n1, n2) * pooled, np.minimum(n1, n2) * (1 - pooled))
    exact = np.isfinite(z) & (smallest < MIN_EXPECTED)
    p = p.copy()
    for k in zip(*np.nonzero(exact), strict=True):
        table = np.array([[x1[k], n1[k] - x1[k]], [x2[k], n2[k] - x2[k]]])
        p[k] = fisher_exact(table, alternative="two-sided").pvalue
    return z, p, exact


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
    z, p, exact = compare_proportions(x1, n1, x2, n2)
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
            "exact": exact,
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


def epsilon_squared(h: np.ndarray, n: np.ndarray) -> np.ndarray:
    """The Kruskal–Wallis effect size ε² = H / (n − 1) (Tomczak & Tomczak 2014): the share of
    the rank variance that lies between groups, on the same answers and groups as H."""
    return safe_ratio(np.asarray(h, dtype=np.float64), np.asarray(n, dtype=np.float64) - 1)


def variation_table(frames: RoundFrames, by: str = "partner_type") -> pd.DataFrame:
    """Per item: do the groups differ? Kruskal–Wallis on the five answer levels, with its
    effect size ε² on the same levels and groups.

    The groups are the shown ones plus, as one more group, the hidden ones taken together
    (which together hold at least the minimum group size): the same respondents as the
    pairwise tests' "all other respondents", so every answer takes part and none is shown.
    Columns: item_id, domain, n_groups (shown), n_valid, h, df, p_value, epsilon_squared.
    Rows with fewer than two groups, or no spread, have no test.
    """
    gc = group_counts(frames, by)
    vis = suppression.visibility(frames, by)
    enc = frames.encoded
    shown = ~vis.hidden[1:]
    counts = gc.counts[1:, :, :DONT_KNOW]
    levels = np.where(shown[:, :, None], counts, 0)
    hidden_together = np.where(shown[:, :, None], 0, counts).sum(axis=0, keepdims=True)
    # hidden groups join the test only where ``all`` is shown (else nothing is tested)
    hidden_together = np.where(~vis.hidden[0][None, :, None], hidden_together, 0)
    groups = np.concatenate([levels, hidden_together], axis=0).transpose(1, 0, 2)
    h, df, p = kruskal_wallis(groups)
    n_valid = groups.sum(axis=(1, 2))
    return pd.DataFrame(
        {
            "item_id": list(enc.item_ids),
            "domain": np.array(enc.domain_ids, dtype=object)[enc.item_domain],
            "n_groups": shown.sum(axis=0),
            "n_valid": n_valid,
            "h": h,
            "df": df,
            "p_value": p,
            "epsilon_squared": np.where(np.isfinite(h), epsilon_squared(h, n_valid), np.nan),
        }
    )


def adjust_within(table: pd.DataFrame | None, by: str | None = None) -> pd.DataFrame | None:
    """Benjamini–Hochberg within each family of ``table``: its rows grouped by column ``by``
    (one family per value), or all its rows as one family. Adds ``p_adjusted`` (missing where
    there was no test) and ``significant`` (``p_adjusted < 0.05``); ``None`` passes through."""
    if table is None:
        return None
    table = table.copy()
    pvalues = table["p_value"].to_numpy(dtype=np.float64)
    adjusted = np.full(pvalues.shape, np.nan)
    keys = table[by].to_numpy() if by is not None else np.zeros(len(table))
    for key in pd.unique(keys):
        rows = np.flatnonzero((keys == key) & np.isfinite(pvalues))
        if len(rows):
            adjusted[rows] = multipletests(pvalues[rows], method="fdr_bh")[1]
    table["p_adjusted"] = adjusted
    table["significant"] = np.nan_to_num(adjusted, nan=1.0) < SIGNIFICANCE
    return table
