"""Plain-language findings generated from the (already suppressed) report tables.

Biggest gaps first (never one from a heatmap cell that is hidden), then contrasts,
differences between partner types, variation across partner types and changes since the
compared round that survive the Benjamini–Hochberg adjustment within their own family. Plain
words only: tests and interval methods are in the methods appendix. Every number comes from a
shown cell: the inputs are the masked tables, so a suppressed group cannot appear here.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

import numpy as np
import pandas as pd

from surveyapp.analysis.data import ALL, records
from surveyapp.analysis.metrics import round_half_up

FINDING_COLUMNS = ("rank", "kind", "partner_type", "item_id", "contrast", "figure", "text")
#: Kinds of finding, in the order they are listed.
KINDS = ("gap", "contrast", "difference", "variation", "change")

#: First person in an item's statement → third person in a finding about respondents.
_PRONOUNS = (
    (re.compile(r"\bI am\b"), "they are"),
    (re.compile(r"\bI'm\b"), "they're"),
    (re.compile(r"\bI was\b"), "they were"),
    (re.compile(r"\bI\b"), "they"),
    (re.compile(r"\bmyself\b"), "themselves"),
    (re.compile(r"\bmy\b"), "their"),
    (re.compile(r"\bme\b"), "them"),
    (re.compile(r"\bour\b"), "their"),
    (re.compile(r"\bwe\b"), "they"),
    (re.compile(r"\bus\b"), "them"),
)
_JOINING_WORDS = frozenset({"for", "to", "with", "about", "in", "on", "of", "at", "from", "by"})


def statement_clause(text: str) -> str:
    """An item's statement as a clause after "agree that": "I know where…" → "they know where…".

    Lower-cases the first word unless it is an acronym and turns first-person words into
    third person; the statements are written in the first person or impersonally, so this
    simple rule reads naturally for them.
    """
    words = text.strip().rstrip(".").split(" ")
    first = words[0]
    if first not in ("I", "I'm") and not (len(first) > 1 and first[1].isupper()):
        words[0] = first[:1].lower() + first[1:]
    clause = " ".join(words)
    for pattern, replacement in _PRONOUNS:
        clause = pattern.sub(replacement, clause)
    return clause


def group_phrase(key: str, label: str) -> str:
    """How a group is named mid-sentence: "police respondents", "GP respondents"."""
    if key == ALL:
        return "respondents"
    words = [w[:1].lower() + w[1:] if w[1:] == w[1:].lower() else w for w in label.split()]
    return " ".join(words) + " respondents"


def _subject(key: str, label: str) -> str:
    """How a group starts a sentence: "Partners", "Police respondents"."""
    phrase = "partners" if key == ALL else group_phrase(key, label)
    return phrase[:1].upper() + phrase[1:]


def _whole(value: float) -> int:
    return int(round_half_up(value))


def _then_now(then: float, now: float) -> str:
    """ "from 33% to 39%": whole percentages, or as many decimals (up to two) as it takes for
    the two to differ, so a clear change never reads "from 54% to 54%"."""
    for places in (0, 1, 2):
        a, b = round_half_up(then, places), round_half_up(now, places)
        if a != b:
            break
    return f"from {a:.{places}f}% to {b:.{places}f}%"


def _comparison(text_a: str, text_b: str) -> str:
    """ "that <a> than <b>" for two statements, sharing their common beginning if they have
    one: "…services in the local area for children than for parents"."""
    a, b = text_a.strip().rstrip(".").split(), text_b.strip().rstrip(".").split()
    common = 0
    while common < min(len(a), len(b)) and a[common] == b[common]:
        common += 1
    if 0 < common < min(len(a), len(b)):
        if a[common - 1].lower() in _JOINING_WORDS and common > 1:
            common -= 1
        return f"{statement_clause(' '.join(a))} than {' '.join(b[common:])}"
    return f"{statement_clause(text_a)} than that {statement_clause(text_b)}"


def _gap_findings(
    items: pd.DataFrame, texts: Mapping[str, str], domains: pd.DataFrame | None
) -> list[dict[str, object]]:
    """Every shown group × item, biggest gap first, except where the heatmap hides the
    group's domain (so no sentence quotes a figure from a cell the heatmap withholds)."""
    shown = items.loc[~items["suppressed"]]
    if domains is not None:
        hidden = domains.loc[domains["suppressed"].astype(bool), ["partner_type", "domain"]]
        cells = set(hidden.itertuples(index=False, name=None))
        keep = [
            (g, d) not in cells for g, d in zip(shown["partner_type"], shown["domain"], strict=True)
        ]
        shown = shown.loc[keep]
    shown = shown.sort_values("gap", ascending=False, kind="stable")
    out = []
    for row in records(shown):
        low, high = _whole(100 - row.positive_ci_high), _whole(100 - row.positive_ci_low)
        text = (
            f"{_whole(row.gap)}% of {group_phrase(row.partner_type, row.group_label)} do "
            f"not agree that {statement_clause(texts[row.item_id])} "
            f"({row.n_valid} people answered; likely between {low}% and {high}%)"
        )
        out.append(
            {
                "kind": "gap",
                "partner_type": row.partner_type,
                "item_id": row.item_id,
                "figure": row.gap,
                "text": text,
            }
        )
    return out


def _contrast_findings(
    contrasts: pd.DataFrame, texts: Mapping[str, str]
) -> list[dict[str, object]]:
    shown = contrasts.loc[~contrasts["suppressed"] & contrasts["significant"]]
    not_all = (shown["partner_type"] != ALL).to_numpy()
    order = np.lexsort((-shown["value"].abs().to_numpy(), not_all))
    shown = shown.iloc[order]
    out = []
    for row in records(shown):
        direction = "more" if row.value > 0 else "less"
        text = (
            f"{_subject(row.partner_type, row.group_label)} are {direction} likely to agree "
            f"that {_comparison(texts[row.item_a], texts[row.item_b])} "
            f"({_whole(row.pct_a)}% compared with {_whole(row.pct_b)}%)"
        )
        out.append(
            {
                "kind": "contrast",
                "partner_type": row.partner_type,
                "contrast": row.contrast,
                "figure": row.value,
                "text": text,
            }
        )
    return out


def _difference_findings(
    differences: pd.DataFrame, texts: Mapping[str, str]
) -> list[dict[str, object]]:
    shown = differences.loc[differences["significant"]]
    shown = shown.reindex(
        shown["difference"].abs().sort_values(ascending=False, kind="stable").index
    )
    out = []
    for row in records(shown):
        direction = "more" if row.difference > 0 else "less"
        text = (
            f"{_subject(row.partner_type, row.group_label)} are {direction} likely than "
            f"other partners to agree that {statement_clause(texts[row.item_id])} "
            f"({_whole(row.pct_positive)}% compared with {_whole(row.others_pct_positive)}%)"
        )
        out.append(
            {
                "kind": "difference",
                "partner_type": row.partner_type,
                "item_id": row.item_id,
                "figure": row.difference,
                "text": text,
            }
        )
    return out


def _variation_findings(
    variation: pd.DataFrame, texts: Mapping[str, str]
) -> list[dict[str, object]]:
    shown = variation.loc[variation["significant"]]
    shown = shown.sort_values("epsilon_squared", ascending=False, kind="stable")
    return [
        {
            "kind": "variation",
            "item_id": row.item_id,
            "figure": row.epsilon_squared,
            "text": (
                f"How far partners agree that {statement_clause(texts[row.item_id])} "
                f"differs between partner types"
            ),
        }
        for row in records(shown)
    ]


def _change_findings(
    change: pd.DataFrame, texts: Mapping[str, str], compared_title: str
) -> list[dict[str, object]]:
    shown = change.loc[change["change"].isin(["improved", "worsened"])]
    shown = shown.reindex(
        shown["difference"].abs().sort_values(ascending=False, kind="stable").index
    )
    out = []
    for row in records(shown):
        text = (
            f"Agreement that {statement_clause(texts[row.item_id])} has {row.change} among "
            f"{group_phrase(row.partner_type, row.group_label)} since {compared_title} "
            f"({_then_now(row.compared_pct_positive, row.pct_positive)})"
        )
        out.append(
            {
                "kind": "change",
                "partner_type": row.partner_type,
                "item_id": row.item_id,
                "figure": row.difference,
                "text": text,
            }
        )
    return out


def build_findings(
    items: pd.DataFrame,
    contrasts: pd.DataFrame,
    differences: pd.DataFrame,
    variation: pd.DataFrame,
    change: pd.DataFrame | None,
    item_texts: Mapping[str, str],
    compared_title: str | None = None,
    domains: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """All findings as sentences, in reading order (``rank`` 1 first).

    Takes the partner-type tables of a report after suppression and after
    :func:`~surveyapp.analysis.differences.adjust_within`. Columns: rank, kind (gap,
    contrast, difference, variation, change), partner_type, item_id, contrast, figure (the
    headline number, unrounded), text. Gap findings cover every shown group × item, largest
    first, so the first three are the report's three biggest gaps.
    """
    rows = (
        _gap_findings(items, item_texts, domains)
        + _contrast_findings(contrasts, item_texts)
        + _difference_findings(differences, item_texts)
        + _variation_findings(variation, item_texts)
    )
    if change is not None:
        rows += _change_findings(change, item_texts, compared_title or "the compared round")
    table = pd.DataFrame(rows, columns=list(FINDING_COLUMNS[1:]))
    table.insert(0, "rank", np.arange(1, len(table) + 1))
    return table
