"""Synthetic rounds of the standard instrument, for tests, the benchmark and the demo.

Answers come from a simple latent-variable model: each respondent has a general confidence,
each item a baseline, each partner type a few domain effects; a logistic draw is cut into the
five scale points, with some "don't know" and a few skipped items. The defaults reproduce the
shape of the seed survey: about two thirds not agreeing on ``comm_partners``, parents'
services less known than children's, police and housing less sure of thresholds than
schools, and a few partner types small enough to be suppressed in a round of a few hundred.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd
from scipy.stats import norm

from surveyapp.analysis.data import Contrast, RoundFrames
from surveyapp.instruments import get_instrument
from surveyapp.instruments.about import RoleLevel, Training

#: The standard instrument ``early-help-pathways`` v1 (product.md section 3).
STANDARD_INSTRUMENT = get_instrument("early-help-pathways@1")
STANDARD_CONTRASTS: tuple[Contrast, ...] = tuple(
    Contrast(c.key, c.label, c.item_a, c.item_b) for c in STANDARD_INSTRUMENT.contrasts
)
#: The seeded partner types (slug, label), in display order.
STANDARD_PARTNER_TYPES: Mapping[str, str] = {
    "school": "School",
    "police": "Police",
    "health_visiting": "Health visiting",
    "housing": "Housing",
    "gp": "GP",
    "hospital": "Hospital",
    "school_nursing": "School nursing",
    "early_years": "Early years",
    "voluntary_sector": "Voluntary sector",
    "adult_mental_health": "Adult mental health",
    "substance_misuse": "Substance misuse service",
    "domestic_abuse_service": "Domestic abuse service",
    "youth_service": "Youth service",
    "other": "Other",
}
#: Share of responses per partner type; the last few are small on purpose.
DEFAULT_PARTNER_WEIGHTS: Mapping[str, float] = {
    "school": 0.24,
    "police": 0.12,
    "health_visiting": 0.10,
    "housing": 0.07,
    "gp": 0.06,
    "hospital": 0.05,
    "school_nursing": 0.05,
    "early_years": 0.08,
    "voluntary_sector": 0.10,
    "adult_mental_health": 0.04,
    "substance_misuse": 0.012,
    "domestic_abuse_service": 0.018,
    "youth_service": 0.04,
    "other": 0.02,
}
LOCALITIES: Mapping[str, float] = {"North": 0.30, "South": 0.30, "East": 0.25, "West": 0.15}

#: Share agreeing per item before partner-type effects.
_TARGET_POSITIVE: Mapping[str, float] = {
    "comm_partners": 0.31,
    "comm_feedback": 0.36,
    "comm_roles": 0.60,
    "path_children": 0.60,
    "path_parents": 0.47,
    "path_request": 0.58,
    "path_advice": 0.60,
    "thr_next_steps": 0.46,
    "thr_guidance": 0.52,
    "thr_step": 0.50,
    "info_share": 0.64,
    "par_domestic_abuse": 0.55,
    "par_substance": 0.44,
    "par_mental_health": 0.50,
    "lead_role": 0.46,
}
#: (partner type, item-id prefix) -> shift on the latent scale.
_PARTNER_EFFECTS: Mapping[tuple[str, str], float] = {
    ("police", "thr_"): -0.9,
    ("housing", "thr_"): -0.8,
    ("school", "thr_"): 0.5,
    ("health_visiting", "thr_"): 0.3,
    ("gp", "thr_"): -0.3,
    ("gp", "path_"): -0.4,
    ("hospital", "path_"): -0.5,
    ("health_visiting", "path_"): 0.3,
    ("early_years", "path_"): 0.3,
    ("gp", "comm_"): -0.3,
    ("police", "comm_"): -0.2,
    ("school", "par_"): -0.3,
    ("domestic_abuse_service", "par_domestic_abuse"): 0.9,
    ("substance_misuse", "par_substance"): 0.9,
    ("adult_mental_health", "par_mental_health"): 0.9,
    ("school", "lead_"): 0.4,
    ("health_visiting", "lead_"): 0.4,
    ("police", "lead_"): -0.8,
    ("gp", "lead_"): -0.6,
}
_DONT_KNOW_RATE: Mapping[str, float] = {"thr_": 0.07, "path_parents": 0.06, "info_": 0.05}
_LATENT_SD = float(np.sqrt(1 + (0.9 * np.pi) ** 2 / 3))
_CUTS = np.array([-2.4, -0.8, 0.0, 2.0])


def _prefixed(
    table: Mapping[tuple[str, str], float] | Mapping[str, float],
    item_id: str,
    partner: str | None = None,
) -> float:
    """The entry whose key (or key's item part) is a prefix of ``item_id``; 0 if none."""
    for key, value in table.items():
        if isinstance(key, tuple):
            if key[0] == partner and item_id.startswith(key[1]):
                return value
        elif item_id.startswith(key):
            return value
    return 0.0


def _choice(
    rng: np.random.Generator, n: int, options: Mapping[str, float], missing: float
) -> np.ndarray:
    """n draws from ``options`` (weights), with share ``missing`` left as None."""
    keys = np.array(list(options) + [None], dtype=object)
    weights = np.array(list(options.values()), dtype=np.float64)
    weights = np.append(weights / weights.sum() * (1 - missing), missing)
    return keys[rng.choice(len(keys), size=n, p=weights)]


def synthetic_round(
    n_responses: int,
    seed: int = 0,
    *,
    round_id: int = 1,
    title: str | None = None,
    min_group_size: int = 10,
    partner_weights: Mapping[str, float] | None = None,
    item_shift: Mapping[str, float] | None = None,
    first_response_id: int = 1,
) -> RoundFrames:
    """A round of ``n_responses`` synthetic responses to the standard instrument.

    ``partner_weights`` chooses which partner types take part and their shares (only those
    appear in ``partner_type_labels``); ``item_shift`` moves items on the latent scale (about
    +0.5 raises agreement by 10 points), for a compared round that improved. The same
    arguments always give the same round.
    """
    rng = np.random.default_rng(seed)
    weights = dict(partner_weights if partner_weights is not None else DEFAULT_PARTNER_WEIGHTS)
    unknown = set(weights) - set(STANDARD_PARTNER_TYPES)
    if unknown:
        raise ValueError(f"unknown partner types: {', '.join(sorted(unknown))}")
    slugs = [s for s in STANDARD_PARTNER_TYPES if weights.get(s, 0) > 0]
    shares = np.array([weights[s] for s in slugs], dtype=np.float64)
    partner_code = rng.choice(len(slugs), size=n_responses, p=shares / shares.sum())
    partner = np.array(slugs, dtype=object)[partner_code]
    role = _choice(
        rng, n_responses, {RoleLevel.FRONTLINE.value: 0.75, RoleLevel.MANAGER.value: 0.25}, 0.04
    )
    training = _choice(
        rng,
        n_responses,
        {Training.YES.value: 0.4, Training.NO.value: 0.48, Training.NOT_SURE.value: 0.12},
        0.04,
    )
    responses = pd.DataFrame(
        {
            "response_id": first_response_id + rng.permutation(n_responses).astype(np.int64),
            "partner_type": pd.array(partner, dtype="str"),
            "locality": pd.array(_choice(rng, n_responses, LOCALITIES, 0.06), dtype="str"),
            "role_level": pd.array(role, dtype="str"),
            "training": pd.array(training, dtype="str"),
        }
    )

    item_ids = [item.id for item in STANDARD_INSTRUMENT.items]
    shift = item_shift or {}
    baseline = np.array(
        [_LATENT_SD * norm.ppf(_TARGET_POSITIVE[i]) + shift.get(i, 0.0) for i in item_ids]
    )
    effects = np.array([[_prefixed(_PARTNER_EFFECTS, i, s) for i in item_ids] for s in slugs])
    person = (
        rng.standard_normal(n_responses)
        + np.where(
            training == Training.YES, 0.35, np.where(training == Training.NOT_SURE, -0.1, 0.0)
        )
        + np.where(role == RoleLevel.MANAGER, 0.2, 0.0)
    )
    latent = (
        baseline
        + effects[partner_code]
        + person[:, None]
        + rng.logistic(0.0, 0.9, size=(n_responses, len(item_ids)))
    )
    values = np.searchsorted(_CUTS, latent) + 1
    dk_rate = np.array([_prefixed(_DONT_KNOW_RATE, i) or 0.03 for i in item_ids])
    dont_know = rng.random(latent.shape) < dk_rate * np.exp(-0.5 * person[:, None])
    answered = rng.random(latent.shape) >= 0.01

    rows, cols = np.nonzero(answered)
    dk = dont_know[rows, cols]
    answers = pd.DataFrame(
        {
            "response_id": responses["response_id"].to_numpy()[rows],
            "item_id": pd.array(np.array(item_ids, dtype=object)[cols], dtype="str"),
            "value": pd.arrays.IntegerArray(values[rows, cols].astype(np.int64), dk),
            "dont_know": dk,
        }
    )
    return RoundFrames(
        round_id=round_id,
        title=title or f"Synthetic round {round_id}",
        min_group_size=min_group_size,
        responses=responses,
        answers=answers,
        items=pd.DataFrame(
            {
                "item_id": item_ids,
                "domain": [item.domain for item in STANDARD_INSTRUMENT.items],
                "text": [item.text for item in STANDARD_INSTRUMENT.items],
                "position": np.arange(len(item_ids)),
            }
        ),
        domains=pd.DataFrame(
            {
                "domain": [d.key for d in STANDARD_INSTRUMENT.domains],
                "label": [d.label for d in STANDARD_INSTRUMENT.domains],
                "position": np.arange(len(STANDARD_INSTRUMENT.domains)),
            }
        ),
        contrasts=STANDARD_CONTRASTS,
        partner_type_labels={s: STANDARD_PARTNER_TYPES[s] for s in slugs},
    )
