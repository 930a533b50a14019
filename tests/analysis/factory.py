"""Small hand-built rounds for the analysis tests."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from surveyapp.analysis.data import Contrast, RoundFrames

ITEMS: tuple[tuple[str, str, str], ...] = (
    ("q1", "talk", "There is good communication between partners about children"),
    ("q2", "find", "I know where to find early help services in the local area for children"),
    ("q3", "find", "I know where to find early help services in the local area for parents"),
    ("q4", "share", "I feel confident about when and how to share information"),
)
DOMAINS: tuple[tuple[str, str], ...] = (
    ("talk", "Communication"),
    ("find", "Finding help"),
    ("share", "Information sharing"),
)
CONTRASTS = (Contrast("kids_vs_parents", "Children compared with parents", "q2", "q3"),)
LABELS: Mapping[str, str] = {
    "school": "School",
    "police": "Police",
    "housing": "Housing",
    "gp": "GP",
    "health_visiting": "Health visiting",
}


def resp(
    partner: str,
    answers: Mapping[str, int | str],
    locality: str | None = None,
    role_level: str | None = None,
    training: str | None = None,
) -> dict[str, Any]:
    """One response: ``answers`` maps item id to 1..5 or "dk" (missing = not answered)."""
    return {
        "partner_type": partner,
        "answers": dict(answers),
        "locality": locality,
        "role_level": role_level,
        "training": training,
    }


def many(
    count: int, partner: str, answers: Mapping[str, int | str], **about: str | None
) -> list[dict[str, Any]]:
    """``count`` identical responses."""
    return [resp(partner, answers, **about) for _ in range(count)]


def make_frames(
    rows: Sequence[dict[str, Any]],
    *,
    min_group_size: int = 5,
    labels: Mapping[str, str] = LABELS,
    items: Sequence[tuple[str, str, str]] = ITEMS,
    domains: Sequence[tuple[str, str]] = DOMAINS,
    contrasts: tuple[Contrast, ...] = CONTRASTS,
    round_id: int = 1,
    title: str = "Test round",
    first_id: int = 1001,
) -> RoundFrames:
    """A :class:`RoundFrames` with the dtypes ``frames.py`` produces."""
    ids = np.arange(first_id, first_id + len(rows), dtype=np.int64)
    responses = pd.DataFrame(
        {
            "response_id": ids,
            "partner_type": pd.array([r["partner_type"] for r in rows], dtype="str"),
            "locality": pd.array([r["locality"] for r in rows], dtype="str"),
            "role_level": pd.array([r["role_level"] for r in rows], dtype="str"),
            "training": pd.array([r["training"] for r in rows], dtype="str"),
        }
    )
    answer_rows = [
        (rid, item, value)
        for rid, r in zip(ids, rows, strict=True)
        for item, value in r["answers"].items()
    ]
    answers = pd.DataFrame(
        {
            "response_id": pd.array([a[0] for a in answer_rows], dtype="int64"),
            "item_id": pd.array([a[1] for a in answer_rows], dtype="str"),
            "value": pd.array([None if a[2] == "dk" else a[2] for a in answer_rows], dtype="Int64"),
            "dont_know": np.array([a[2] == "dk" for a in answer_rows], dtype=bool),
        }
    )
    return RoundFrames(
        round_id=round_id,
        title=title,
        min_group_size=min_group_size,
        responses=responses,
        answers=answers,
        items=pd.DataFrame(
            {
                "item_id": [i for i, _, _ in items],
                "domain": [d for _, d, _ in items],
                "text": [t for _, _, t in items],
                "position": range(len(items)),
            }
        ),
        domains=pd.DataFrame(
            {
                "domain": [d for d, _ in domains],
                "label": [lab for _, lab in domains],
                "position": range(len(domains)),
            }
        ),
        contrasts=contrasts,
        partner_type_labels=dict(labels),
    )


def random_round(
    seed: int, n: int = 120, *, min_group_size: int = 5, sizes: Mapping[str, float] | None = None
) -> RoundFrames:
    """A random small round with small groups in every dimension, for adversarial tests."""
    rng = np.random.default_rng(seed)
    weights = dict(
        sizes
        or {"school": 0.45, "police": 0.25, "housing": 0.15, "gp": 0.1, "health_visiting": 0.05}
    )
    partners = rng.choice(list(weights), size=n, p=np.array(list(weights.values())))
    localities = rng.choice(["North", "South", "East", None], size=n, p=[0.5, 0.3, 0.15, 0.05])
    roles = rng.choice(["frontline", "manager", None], size=n, p=[0.7, 0.25, 0.05])
    training = rng.choice(["yes", "no", "not_sure", None], size=n, p=[0.4, 0.4, 0.15, 0.05])
    rows = []
    for k in range(n):
        answers: dict[str, int | str] = {}
        for item, _, _ in ITEMS:
            draw = rng.random()
            if draw < 0.05:
                continue
            answers[item] = "dk" if draw < 0.12 else int(rng.integers(1, 6))
        rows.append(resp(str(partners[k]), answers, localities[k], roles[k], training[k]))
    return make_frames(rows, min_group_size=min_group_size, labels={s: LABELS[s] for s in weights})
