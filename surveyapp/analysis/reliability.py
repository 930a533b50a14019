"""Internal consistency of each domain (Cronbach's alpha), for the report's methods section."""

from __future__ import annotations

import numpy as np
import pandas as pd

from surveyapp.analysis import suppression
from surveyapp.analysis.data import DONT_KNOW, RoundFrames


def cronbach_alpha(values: np.ndarray) -> float:
    """Cronbach's alpha of a (respondents × items) array of complete answers.

    alpha = k / (k − 1) × (1 − Σ item variances / variance of the total), sample variances.
    NaN when it is undefined (fewer than two items or respondents, or no spread in totals).
    """
    values = np.asarray(values, dtype=np.float64)
    n, k = values.shape
    if k < 2 or n < 2:
        return float("nan")
    total_variance = values.sum(axis=1).var(ddof=1)
    if total_variance == 0:
        return float("nan")
    return float(k / (k - 1) * (1 - values.var(axis=0, ddof=1).sum() / total_variance))


def reliability_table(frames: RoundFrames) -> pd.DataFrame:
    """Cronbach's alpha per domain with two or more items, listwise.

    Listwise: only respondents with a 1–5 answer to every item of the domain count (a "don't
    know" or a skipped item leaves the respondent out). Reliability describes the instrument
    in this round, so a filtered view reports its whole round's figure. Columns: domain,
    domain_label, n_items, n_respondents, alpha, suppressed; a domain whose listwise count is
    below the minimum group size, or whose items are hidden for ``all``, is suppressed.
    """
    root = frames.root
    enc = root.encoded
    vis = suppression.visibility(root, "partner_type")
    rows = []
    for d, (domain, label) in enumerate(zip(enc.domain_ids, enc.domain_labels, strict=True)):
        members = np.flatnonzero(enc.item_domain == d)
        if len(members) < 2:
            continue
        answers = enc.matrix[:, members]
        complete = ((answers >= 0) & (answers < DONT_KNOW)).all(axis=1)
        n = int(complete.sum())
        hidden = suppression.reliability_hidden(vis, members, n)
        rows.append(
            {
                "domain": domain,
                "domain_label": label,
                "n_items": len(members),
                "n_respondents": n,
                "alpha": cronbach_alpha(answers[complete] + 1.0),
                "hidden": hidden,
            }
        )
    table = pd.DataFrame(
        rows, columns=["domain", "domain_label", "n_items", "n_respondents", "alpha", "hidden"]
    )
    table["n_respondents"] = table["n_respondents"].astype("Int64")
    hidden_rows = table.pop("hidden").to_numpy(dtype=bool)
    return suppression.mask(table, hidden_rows, ("n_respondents", "alpha"), root.min_group_size)
