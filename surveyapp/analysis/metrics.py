"""The figures of product.md section 4: item table, domain gaps, contrasts, and their intervals.

Every table is computed from per-group level counts (one ``bincount``) and passed through
:mod:`surveyapp.analysis.suppression` before it is returned, so no caller ever holds a figure
for a suppressed cell. Percentages are floats in 0..100, unrounded; rounding for display is
:func:`round_half_up`, shared by the exports and the findings.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

import numpy as np
import numpy.typing as npt
import pandas as pd
from scipy.stats import norm

from surveyapp.analysis import suppression
from surveyapp.analysis.data import (
    ALL,
    ALL_LABEL,
    DIMENSIONS,
    DONT_KNOW,
    N_LEVELS,
    NEGATIVE_LEVELS,
    POSITIVE_LEVELS,
    AnalysisError,
    RoundFrames,
)

CONFIDENCE = 0.95
#: Two-sided normal critical value for 95% intervals (as statsmodels computes it).
Z = float(norm.isf((1 - CONFIDENCE) / 2))

LEVEL_COLUMNS = (
    "pct_strongly_disagree",
    "pct_disagree",
    "pct_neutral",
    "pct_agree",
    "pct_strongly_agree",
)
ITEM_COUNT_COLUMNS = ("n_responses", "n_valid", "n_dont_know")
ITEM_FIGURE_COLUMNS = LEVEL_COLUMNS + (
    "pct_positive",
    "pct_negative",
    "gap",
    "positive_ci_low",
    "positive_ci_high",
    "pct_dont_know",
    "mean",
)


@dataclass(frozen=True)
class GroupCounts:
    """Answers per (group, item, level) for one view, ``all`` first.

    Internal: these are raw, unsuppressed counts. Only the table functions below (which mask
    them) and the tests in this package may read them.
    """

    by: str
    keys: tuple[str, ...]
    labels: tuple[str, ...]
    counts: np.ndarray
    n_responses: np.ndarray

    @property
    def n_valid(self) -> np.ndarray:
        return np.asarray(self.counts[..., :DONT_KNOW].sum(axis=-1))

    @property
    def n_positive(self) -> np.ndarray:
        return np.asarray(self.counts[..., list(POSITIVE_LEVELS)].sum(axis=-1))


def group_counts(frames: RoundFrames, by: str = "partner_type") -> GroupCounts:
    """Level counts per group of ``by`` (plus ``all``) for the view ``frames``; memoised."""
    if by not in DIMENSIONS:
        raise AnalysisError(f"cannot break down by {by!r}; choose one of {', '.join(DIMENSIONS)}")
    enc = frames.encoded
    key = ("counts", by)
    if key not in enc.memo:
        dim = enc.dims[by]
        per_group, responses = enc.crossed_counts((by,))
        counts = np.concatenate([per_group.sum(axis=0, keepdims=True), per_group])
        enc.memo[key] = GroupCounts(
            by=by,
            keys=(ALL,) + dim.keys,
            labels=(ALL_LABEL,) + dim.labels,
            counts=counts,
            n_responses=np.concatenate([[responses.sum()], responses]),
        )
    return enc.memo[key]  # type: ignore[return-value]


def round_half_up(value: float, places: int = 0) -> float:
    """Round for display the way people do (2.25 → 2.3), not banker's rounding.

    Works from the float's shortest decimal form, so 100 * 7 / 2000 (0.35) rounds to 0.4.
    """
    quantum = Decimal(1).scaleb(-places)
    return float(Decimal(repr(float(value))).quantize(quantum, rounding=ROUND_HALF_UP))


def safe_ratio(num: npt.ArrayLike, den: npt.ArrayLike) -> np.ndarray:
    """num / den as float, NaN where den is 0 (without a warning)."""
    num_ = np.asarray(num, dtype=np.float64)
    den_ = np.asarray(den, dtype=np.float64)
    out = np.full(np.broadcast(num_, den_).shape, np.nan)
    np.divide(num_, den_, out=out, where=den_ > 0)
    return out


def wilson_interval(x: np.ndarray, n: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Wilson score 95% interval for the proportion x / n (as proportions; NaN where n = 0)."""
    x = np.asarray(x, dtype=np.float64)
    n = np.asarray(n, dtype=np.float64)
    p = safe_ratio(x, n)
    safe_n = np.where(n > 0, n, 1.0)
    z2 = Z * Z
    denom = 1 + z2 / safe_n
    centre = (p + z2 / (2 * safe_n)) / denom
    half = Z * np.sqrt(np.clip(p * (1 - p), 0, None) / safe_n + z2 / (4 * safe_n**2)) / denom
    return centre - half, centre + half


def newcombe_interval(
    x1: np.ndarray, n1: np.ndarray, x2: np.ndarray, n2: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Newcombe hybrid score 95% interval (method 10) for p1 − p2, independent samples."""
    p1, p2 = safe_ratio(x1, n1), safe_ratio(x2, n2)
    l1, u1 = wilson_interval(x1, n1)
    l2, u2 = wilson_interval(x2, n2)
    d = p1 - p2
    return (
        d - np.sqrt((p1 - l1) ** 2 + (u2 - p2) ** 2),
        d + np.sqrt((u1 - p1) ** 2 + (p2 - l2) ** 2),
    )


def newcombe_paired_interval(
    x_a: np.ndarray, n_a: np.ndarray, x_b: np.ndarray, n_b: np.ndarray, paired: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """95% interval for p_a − p_b where the two proportions come from the same respondents.

    Newcombe's (1998) method 10 for paired proportions: the Wilson interval of each
    proportion combined with the correlation phi of the 2 x 2 table ``paired`` (last axis:
    both positive, a only, b only, neither), with Newcombe's correction of phi towards 0.
    Respondents who answered only one of the items (the other "don't know" or skipped)
    still count in that item's proportion; the correlation between the two estimates is then
    phi * n_both / sqrt(n_a * n_b) (MOVER, Zou & Donner 2008), which is exactly method 10
    when everyone answered both items.
    """
    paired = np.asarray(paired, dtype=np.float64)
    both, a_only, b_only, neither = (paired[..., k] for k in range(4))
    n_both = paired.sum(axis=-1)
    margins = (both + a_only) * (b_only + neither) * (both + b_only) * (a_only + neither)
    cross = both * neither - a_only * b_only
    corrected = np.where(cross > n_both / 2, cross - n_both / 2, np.where(cross < 0, cross, 0.0))
    phi = safe_ratio(corrected, np.sqrt(margins))
    phi = np.where(margins > 0, phi, 0.0)
    r = phi * safe_ratio(n_both, np.sqrt(np.asarray(n_a, dtype=np.float64) * n_b))
    r = np.nan_to_num(r)
    pa, pb = safe_ratio(x_a, n_a), safe_ratio(x_b, n_b)
    la, ua = wilson_interval(x_a, n_a)
    lb, ub = wilson_interval(x_b, n_b)
    d = pa - pb
    low = d - np.sqrt(
        np.clip((pa - la) ** 2 - 2 * r * (pa - la) * (ub - pb) + (ub - pb) ** 2, 0, None)
    )
    high = d + np.sqrt(
        np.clip((ua - pa) ** 2 - 2 * r * (ua - pa) * (pb - lb) + (pb - lb) ** 2, 0, None)
    )
    return low, high


def _group_frame(gc: GroupCounts, inner: tuple[str, ...], inner_name: str) -> pd.DataFrame:
    """The (group, inner) key columns of a long table, groups outermost."""
    n_inner = len(inner)
    return pd.DataFrame(
        {
            gc.by: np.repeat(np.array(gc.keys, dtype=object), n_inner),
            "group_label": np.repeat(np.array(gc.labels, dtype=object), n_inner),
            inner_name: np.tile(np.array(inner, dtype=object), len(gc.keys)),
        }
    )


def item_table(frames: RoundFrames, by: str = "partner_type") -> pd.DataFrame:
    """Per group (``all`` first, then each group of ``by``) × item (instrument order).

    Columns: <by>, group_label, item_id, domain, n_responses, n_valid, n_dont_know,
    pct_strongly_disagree … pct_strongly_agree, pct_positive, pct_negative, gap,
    positive_ci_low, positive_ci_high (Wilson 95%, percent), pct_dont_know, mean,
    suppressed, n_label. Suppressed rows have every count and figure missing.
    """
    gc = group_counts(frames, by)
    enc = frames.encoded
    counts = gc.counts.reshape(-1, N_LEVELS)
    n_valid = counts[:, :DONT_KNOW].sum(axis=1)
    n_dk = counts[:, DONT_KNOW]
    positive = counts[:, list(POSITIVE_LEVELS)].sum(axis=1)
    negative = counts[:, list(NEGATIVE_LEVELS)].sum(axis=1)
    low, high = wilson_interval(positive, n_valid)
    table = _group_frame(gc, enc.item_ids, "item_id")
    table["domain"] = np.tile(np.array(enc.domain_ids, dtype=object)[enc.item_domain], len(gc.keys))
    table["n_responses"] = pd.array(np.repeat(gc.n_responses, enc.n_items), dtype="Int64")
    table["n_valid"] = pd.array(n_valid, dtype="Int64")
    table["n_dont_know"] = pd.array(n_dk, dtype="Int64")
    for level, column in enumerate(LEVEL_COLUMNS):
        table[column] = safe_ratio(100 * counts[:, level], n_valid)
    table["pct_positive"] = safe_ratio(100 * positive, n_valid)
    table["pct_negative"] = safe_ratio(100 * negative, n_valid)
    table["gap"] = safe_ratio(100 * (n_valid - positive), n_valid)
    table["positive_ci_low"] = 100 * low
    table["positive_ci_high"] = 100 * high
    table["pct_dont_know"] = safe_ratio(100 * n_dk, n_valid + n_dk)
    table["mean"] = safe_ratio(counts[:, :DONT_KNOW] @ np.arange(1, DONT_KNOW + 1), n_valid)
    vis = suppression.visibility(frames, by)
    return suppression.mask(
        table,
        vis.hidden.ravel(),
        ITEM_COUNT_COLUMNS + ITEM_FIGURE_COLUMNS,
        frames.min_group_size,
        n_column="n_valid",
    )


def domain_table(frames: RoundFrames, by: str = "partner_type") -> pd.DataFrame:
    """Domain gap per group × domain: 100 − pooled % positive over all valid answers.

    Columns: <by>, group_label, domain, domain_label, n_items, n_valid (valid answers pooled
    over the domain's items, not respondents), pct_positive, gap, suppressed, n_label. No
    interval: one respondent's answers to a domain's items are not independent.
    """
    gc = group_counts(frames, by)
    enc = frames.encoded
    n_domains = len(enc.domain_ids)
    membership = np.zeros((enc.n_items, n_domains), dtype=np.int64)
    membership[np.arange(enc.n_items), enc.item_domain] = 1
    n_valid = (gc.n_valid @ membership).ravel()
    positive = (gc.n_positive @ membership).ravel()
    table = _group_frame(gc, enc.domain_ids, "domain")
    table["domain_label"] = np.tile(np.array(enc.domain_labels, dtype=object), len(gc.keys))
    table["n_items"] = np.tile(membership.sum(axis=0), len(gc.keys))
    table["n_valid"] = pd.array(n_valid, dtype="Int64")
    table["pct_positive"] = safe_ratio(100 * positive, n_valid)
    table["gap"] = safe_ratio(100 * (n_valid - positive), n_valid)
    vis = suppression.visibility(frames, by)
    hidden = suppression.domain_hidden(vis, enc.item_domain, n_domains)
    return suppression.mask(
        table,
        hidden.ravel(),
        ("n_valid", "pct_positive", "gap"),
        frames.min_group_size,
        n_column="n_valid",
    )


def domain_ranking(domains: pd.DataFrame) -> pd.DataFrame:
    """Shown group × domain cells (``all`` excluded) from the largest gap down, ranked 1, 2, …

    Takes a :func:`domain_table`; suppressed cells are left out, never ranked.
    """
    by = domains.columns[0]
    shown = domains.loc[~domains["suppressed"] & (domains[by] != ALL)]
    ranked = shown.sort_values("gap", ascending=False, kind="stable").reset_index(drop=True)
    ranked.insert(0, "rank", ranked["gap"].rank(ascending=False, method="min").astype("int64"))
    return ranked.drop(columns=["suppressed", "n_label"])


def paired_counts(frames: RoundFrames, by: str, item_a: int, item_b: int) -> np.ndarray:
    """Per group (``all`` first): respondents positive on both, a only, b only, neither.

    Only respondents with a valid (1–5) answer to both items count. Internal and raw: the
    contrast table masks what it shows.
    """
    enc = frames.encoded
    dim = enc.dims[by]
    a, b = enc.matrix[:, item_a], enc.matrix[:, item_b]
    valid = (a >= 0) & (a < DONT_KNOW) & (b >= 0) & (b < DONT_KNOW)
    pos_a, pos_b = a >= POSITIVE_LEVELS[0], b >= POSITIVE_LEVELS[0]
    cell = np.where(pos_a, np.where(pos_b, 0, 1), np.where(pos_b, 2, 3))
    flat = np.bincount((dim.codes * 4 + cell)[valid], minlength=len(dim.keys) * 4)
    per_group = flat.reshape(len(dim.keys), 4)
    return np.concatenate([per_group.sum(axis=0, keepdims=True), per_group])


def contrast_table(frames: RoundFrames, by: str = "partner_type") -> pd.DataFrame:
    """Every instrument contrast per group: value = % positive on item_a − on item_b (points).

    Columns: <by>, group_label, contrast, label, item_a, item_b, pct_a, pct_b, value, ci_low,
    ci_high (95%, see :func:`newcombe_paired_interval`), suppressed.
    """
    gc = group_counts(frames, by)
    enc = frames.encoded
    keys = tuple(c.key for c in frames.contrasts)
    pairs = [(enc.item_ids.index(c.item_a), enc.item_ids.index(c.item_b)) for c in frames.contrasts]
    table = _group_frame(gc, keys, "contrast")
    n_groups, n_contrasts = len(gc.keys), len(pairs)
    columns = {
        name: np.full((n_groups, n_contrasts), np.nan)
        for name in ("pct_a", "pct_b", "value", "ci_low", "ci_high")
    }
    n_both = np.zeros((n_groups, n_contrasts), dtype=np.int64)
    for c, (a, b) in enumerate(pairs):
        paired = paired_counts(frames, by, a, b)
        n_both[:, c] = paired.sum(axis=1)
        x_a, n_a = gc.n_positive[:, a], gc.n_valid[:, a]
        x_b, n_b = gc.n_positive[:, b], gc.n_valid[:, b]
        low, high = newcombe_paired_interval(x_a, n_a, x_b, n_b, paired)
        columns["pct_a"][:, c] = 100 * safe_ratio(x_a, n_a)
        columns["pct_b"][:, c] = 100 * safe_ratio(x_b, n_b)
        columns["value"][:, c] = columns["pct_a"][:, c] - columns["pct_b"][:, c]
        columns["ci_low"][:, c] = 100 * low
        columns["ci_high"][:, c] = 100 * high
    table["label"] = np.tile(np.array([c.label for c in frames.contrasts], dtype=object), n_groups)
    table["item_a"] = np.tile(
        np.array([c.item_a for c in frames.contrasts], dtype=object), n_groups
    )
    table["item_b"] = np.tile(
        np.array([c.item_b for c in frames.contrasts], dtype=object), n_groups
    )
    for name, values in columns.items():
        table[name] = values.ravel()
    vis = suppression.visibility(frames, by)
    hidden = suppression.contrast_hidden(vis, pairs, n_both)
    return suppression.mask(table, hidden.ravel(), tuple(columns), frames.min_group_size)
