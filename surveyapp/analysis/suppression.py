"""Small-group suppression: the one place that decides what any output may show.

Rules (product.md section 4, made exact):

1. *Primary.* A group × item cell whose ``n_valid`` is below the round's ``min_group_size``
   (N) is hidden: counts show only as :func:`suppressed_label`, with no percentages, mean,
   interval or test. If ``all`` is below N everything is hidden.
2. *Complementary.* Within every "line" (the groups that add up to one total, e.g. the
   partner types adding up to ``all`` for one item), if the hidden cells that hold any answer
   total fewer than N valid answers, or only one of them holds answers, the smallest visible
   cell (ties: first in group order) is hidden too, and so on until they total at least N and
   at least two of them hold answers (or everything but the total is hidden). A cell nobody
   answered (no valid and no "don't know" answer) is hidden but needs no partner: there is
   nothing in it to reveal.
3. *Responses.* ``n_responses`` is a group-level count repeated on every item row, so groups
   get the same two rules on their number of responses first; a group hidden that way is
   hidden on every item and in every output.
4. *Filters and breakdowns.* A filtered view (``filter_frames``, one dimension at a time)
   or a breakdown (``by='locality'`` …) is one slice of the table that crosses the breakdown
   dimension with the filter dimension. Suppression runs on every such table, built from the
   unfiltered round, bottom-up: the total first, then each one-way table against it, then
   the two-way table line by line along both dimensions, repeating until no line changes. A
   total is never hidden by a finer table. Views cut along *different* dimensions can still
   pick nearly the same people (training ``yes`` and locality North), so
   :mod:`surveyapp.analysis.disclosure` checks every pair of cells any view can show and
   hides more until no two differ by 1 to N−1 people; it owns these tables and the line
   rule, and this module reads its decisions.
5. *Derived outputs.* A domain figure for a group is shown only if the group is shown on every
   item of the domain (otherwise the pooled figure minus the shown items would reveal the
   hidden one); a contrast only if both items are shown and at least N respondents answered
   both; a difference from all other partners only for a shown group of a shown ``all``; a
   change only where the group is shown in both rounds; tests, rankings and findings use
   shown groups only; Cronbach's alpha needs N+ complete respondents. Those callers ask
   this module through :func:`domain_hidden`, :func:`contrast_hidden`,
   :func:`reliability_hidden` and :class:`Visibility`.

The line rule is the usual heuristic of statistical disclosure control; the pairwise check
between views is the other half (see :mod:`surveyapp.analysis.disclosure` for what it claims
and what it does not). Three-way tables (two filters at once) are not offered, which is why
``filter_frames`` takes one filter at a time.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from surveyapp.analysis import disclosure
from surveyapp.analysis.data import ALL, DIMENSIONS, AnalysisError, RoundFrames


def suppressed_label(min_group_size: int) -> str:
    """The text shown instead of a suppressed group's count.

    The same words for a small group and for one hidden to protect it, so the label itself
    never tells which of two hidden groups is the small one.
    """
    return f"fewer than {min_group_size} or withheld"


@dataclass(frozen=True)
class Visibility:
    """Which group × item cells of one view may be shown.

    ``keys`` are the group keys, ``all`` first then the groups of ``by`` in order; ``hidden``
    has shape (groups, items) and is True where the cell is suppressed.
    """

    by: str
    keys: tuple[str, ...]
    hidden: np.ndarray
    min_group_size: int

    @property
    def label(self) -> str:
        return suppressed_label(self.min_group_size)


def visibility(frames: RoundFrames, by: str = "partner_type") -> Visibility:
    """The suppression decisions for the view ``frames`` broken down by ``by``."""
    if by not in DIMENSIONS:
        raise AnalysisError(f"cannot break down by {by!r}; choose one of {', '.join(DIMENSIONS)}")
    filters = dict(frames.filters)
    if by in filters:
        raise AnalysisError(
            f"this view is filtered to one {by}; break it down by another dimension"
        )
    enc = frames.encoded
    key = ("visibility", by)
    if key not in enc.memo:
        enc.memo[key] = _visibility(frames, by, filters)
    return enc.memo[key]  # type: ignore[return-value]


def _visibility(frames: RoundFrames, by: str, filters: dict[str, str]) -> Visibility:
    root = frames.root.encoded
    n = frames.min_group_size
    family = tuple(d for d in DIMENSIONS if d == by or d in filters)
    keys = (ALL,) + root.dims[by].keys
    index: list[int | slice] = [slice(None)]
    for name in family:
        dim_keys = root.dims[name].keys
        if name == by:
            index.append(slice(None))
        elif filters[name] in dim_keys:
            index.append(dim_keys.index(filters[name]))
        else:
            hidden = np.ones((len(keys), root.n_items), dtype=bool)
            return Visibility(by, keys, hidden, n)
    line = disclosure.family_hidden(root, family, n)[tuple(index)]
    hidden = np.concatenate([line[:, -1:], line[:, :-1]], axis=1).T
    return Visibility(by, keys, np.ascontiguousarray(hidden), n)


def domain_hidden(vis: Visibility, item_domain: np.ndarray, n_domains: int) -> np.ndarray:
    """(groups, domains): a pooled domain figure is hidden if any of its items is hidden.

    The count that matters for a pooled figure is each item's ``n_valid``, not the pooled
    number of answers: pooled minus the shown items would otherwise give the hidden item.
    A domain with no items has nothing to show and is hidden.
    """
    out = np.ones((vis.hidden.shape[0], n_domains), dtype=bool)
    for d in range(n_domains):
        members = item_domain == d
        if members.any():
            out[:, d] = vis.hidden[:, members].any(axis=1)
    return out


def contrast_hidden(
    vis: Visibility, pairs: Sequence[tuple[int, int]], n_both: np.ndarray
) -> np.ndarray:
    """(groups, contrasts): hidden unless both items are shown and N+ respondents answered both.

    ``n_both`` (groups, contrasts) counts respondents with a valid answer to both items; the
    paired interval depends on their joint answers, so fewer than N of them is too few.
    """
    out = n_both < vis.min_group_size
    for c, (a, b) in enumerate(pairs):
        out[:, c] |= vis.hidden[:, a] | vis.hidden[:, b]
    return out


def reliability_hidden(vis: Visibility, members: np.ndarray, n_respondents: int) -> bool:
    """Cronbach's alpha for a domain (items ``members``) is hidden unless at least N
    respondents answered all its items and ``all`` is shown on each of them."""
    return n_respondents < vis.min_group_size or bool(vis.hidden[0, members].any())


def mask(
    table: pd.DataFrame,
    hidden: np.ndarray,
    columns: Sequence[str],
    min_group_size: int,
    n_column: str | None = None,
) -> pd.DataFrame:
    """Blank ``columns`` on hidden rows and add ``suppressed`` (and ``n_label``).

    ``n_label`` is the shown count of ``n_column`` as text, or :func:`suppressed_label`.
    Every table that can hold a group's figures goes through here before it is returned.
    """
    out = table.copy()
    for column in columns:
        out[column] = out[column].mask(hidden)
    out["suppressed"] = hidden
    if n_column is not None:
        counts = table[n_column].to_numpy(dtype=np.int64, na_value=0).astype(str)
        out["n_label"] = np.where(hidden, suppressed_label(min_group_size), counts)
    return out
