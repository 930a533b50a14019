"""Change since a compared round, per group × item, matched by item id.

A change figure is computed only where the group is shown in both rounds, each round under
its own suppression: a shown "now" minus a change would otherwise reveal a hidden "then".
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from surveyapp.analysis import suppression
from surveyapp.analysis.data import RoundFrames
from surveyapp.analysis.differences import two_proportion_ztest
from surveyapp.analysis.metrics import group_counts, newcombe_interval, safe_ratio

COMPARED = "compared"
#: Why a row has no change figure.
NEW_ITEM, DROPPED_ITEM = "new", "dropped"
SUPPRESSED = "suppressed"
NOT_IN_COMPARED, NOT_IN_CURRENT = "not in compared round", "not in this round"


def change_table(
    current: RoundFrames, compared: RoundFrames, by: str = "partner_type"
) -> pd.DataFrame:
    """Per group (both rounds' groups, ``all`` first) × item (this round's, then dropped ones).

    Columns: <by>, group_label, item_id, domain, n_valid, pct_positive, compared_n_valid,
    compared_pct_positive, difference (points, now − then), ci_low, ci_high (Newcombe hybrid
    score 95%), z, p_value, status. ``status`` is ``compared``, or why not: ``new`` /
    ``dropped`` (item in one round only), ``not in compared round`` / ``not in this round``
    (group in one round only), or ``suppressed`` (hidden in either round). Figures are
    missing unless ``status`` is ``compared``. Call :func:`describe_changes` after the
    p-values have been adjusted to get the words.
    """
    now, then = group_counts(current, by), group_counts(compared, by)
    now_hidden = suppression.visibility(current, by).hidden
    then_hidden = suppression.visibility(compared, by).hidden
    now_enc, then_enc = current.encoded, compared.encoded

    keys = list(now.keys) + [k for k in then.keys if k not in now.keys]
    labels = dict(zip(then.keys, then.labels, strict=True)) | dict(
        zip(now.keys, now.labels, strict=True)
    )
    items = list(now_enc.item_ids) + [i for i in then_enc.item_ids if i not in now_enc.item_ids]
    domains = dict(
        zip(then_enc.item_ids, np.array(then_enc.domain_ids)[then_enc.item_domain], strict=True)
    )
    domains |= dict(
        zip(now_enc.item_ids, np.array(now_enc.domain_ids)[now_enc.item_domain], strict=True)
    )

    g_now = pd.Index(now.keys).get_indexer(pd.Index(keys))
    g_then = pd.Index(then.keys).get_indexer(pd.Index(keys))
    i_now = pd.Index(now_enc.item_ids).get_indexer(pd.Index(items))
    i_then = pd.Index(then_enc.item_ids).get_indexer(pd.Index(items))
    gn, it = np.meshgrid(g_now, i_now, indexing="ij")
    gt, jt = np.meshgrid(g_then, i_then, indexing="ij")
    in_now, in_then = (gn >= 0) & (it >= 0), (gt >= 0) & (jt >= 0)
    hidden = np.ones(gn.shape, dtype=bool)
    both = in_now & in_then
    hidden[both] = now_hidden[gn[both], it[both]] | then_hidden[gt[both], jt[both]]

    status = np.full(gn.shape, SUPPRESSED, dtype=object)
    status[(gn >= 0) & (gt < 0)] = NOT_IN_COMPARED
    status[(gn < 0) & (gt >= 0)] = NOT_IN_CURRENT
    status[:, (i_now >= 0) & (i_then < 0)] = NEW_ITEM
    status[:, (i_now < 0) & (i_then >= 0)] = DROPPED_ITEM
    compared_cells = both & ~hidden
    status[compared_cells] = COMPARED

    def pick(values: np.ndarray, g: np.ndarray, i: np.ndarray) -> np.ndarray:
        out = np.zeros(g.shape, dtype=np.int64)
        out[compared_cells] = values[g[compared_cells], i[compared_cells]]
        return out

    x1, n1 = pick(now.n_positive, gn, it), pick(now.n_valid, gn, it)
    x2, n2 = pick(then.n_positive, gt, jt), pick(then.n_valid, gt, jt)
    low, high = newcombe_interval(x1, n1, x2, n2)
    z, p = two_proportion_ztest(x1, n1, x2, n2)
    p1, p2 = 100 * safe_ratio(x1, n1), 100 * safe_ratio(x2, n2)
    table = pd.DataFrame(
        {
            by: np.repeat(np.array(keys, dtype=object), len(items)),
            "group_label": np.repeat(np.array([labels[k] for k in keys], dtype=object), len(items)),
            "item_id": np.tile(np.array(items, dtype=object), len(keys)),
            "domain": np.tile(np.array([domains[i] for i in items], dtype=object), len(keys)),
            "n_valid": pd.array(n1.ravel(), dtype="Int64"),
            "pct_positive": p1.ravel(),
            "compared_n_valid": pd.array(n2.ravel(), dtype="Int64"),
            "compared_pct_positive": p2.ravel(),
            "difference": (p1 - p2).ravel(),
            "ci_low": 100 * low.ravel(),
            "ci_high": 100 * high.ravel(),
            "z": z.ravel(),
            "p_value": p.ravel(),
            "status": status.ravel(),
        }
    )
    figures = [
        "n_valid",
        "pct_positive",
        "compared_n_valid",
        "compared_pct_positive",
        "difference",
        "ci_low",
        "ci_high",
        "z",
        "p_value",
    ]
    shown = compared_cells.ravel()
    for column in figures:
        table[column] = table[column].where(shown)
    return table


def describe_changes(table: pd.DataFrame) -> pd.DataFrame:
    """Add ``change``: "improved" / "worsened" where the adjusted p < 0.05, else "no clear
    change"; rows not compared carry their ``status`` instead. Needs ``significant`` from
    :func:`surveyapp.analysis.differences.adjust_family`.
    """
    out = table.copy()
    compared = (out["status"] == COMPARED).to_numpy()
    significant = out["significant"].to_numpy(dtype=bool) & compared
    difference = out["difference"].to_numpy(dtype=np.float64, na_value=np.nan)
    words = np.where(
        significant & (difference > 0),
        "improved",
        np.where(significant & (difference < 0), "worsened", "no clear change"),
    )
    out["change"] = np.where(compared, words, out["status"].to_numpy(dtype=object))
    return out
