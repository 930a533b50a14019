"""Disclosure control across views: which cells of which views a round may show.

Every figure the app shows for a round is a figure of one *cell*: a set of respondents picked
by at most two "about you" answers. The unfiltered report shows the whole round and its groups
by partner type, locality, role level and training; a view filtered to one value of locality,
role level or training shows that value and, inside it, the groups of every other dimension.
So the cells a round can show are exactly the cells of its six two-way tables (every pair of
:data:`~surveyapp.analysis.data.DIMENSIONS`) with their totals; they are few (a few hundred
at most), so this module works them all out at once, for the round, and every view, chart,
export, finding, trend and change reads its decisions (through
:func:`surveyapp.analysis.suppression.visibility`).

What a reader can subtract. For a cell shown on an item, the page and every export give its
responses, valid answers, "don't know" answers and the count of each answer level (directly,
or as percentages of a shown ``n``); a domain figure pools the item counts; a contrast, a
difference from all other partners, a trend and a change are built from the same counts of
the same cells. Any two shown cells A and B can therefore be subtracted, giving the counts of
the people in A but not in B minus those in B but not in A.

The rule. For every item, no two cells shown on it, and no shown cell and the whole round,
may differ by between 1 and N−1 people in either direction: the people in A and not in B
must be none, or hold at least N valid answers to that item (as a shown cell must); and
the number of *respondents* in A but not B must be 0 or at least N wherever both show
their response counts. Within one table this is what small-group suppression already does
(:mod:`surveyapp.analysis.suppression`: a cell below N is hidden, and hidden cells in a row
or column of a table must together hold N answers); across tables, where filtering on one
dimension and filtering on another pick nearly the same people, it is checked pair by pair.

Deciding. Suppression runs on the six two-way tables; then every pair of cells shown on the
same item is checked. Where a pair breaks the rule the finer cell (more dimensions; then the
smaller; then the later) is hidden on that item, or on every item when the response counts
break it, and suppression runs again from the start with those cells hidden, so that hiding
one cell hides whatever would let it be worked out from its row or column. When no pair
breaks the rule, every *triple* of shown cells is checked the same way (A − B − C and
A + B − C, by valid answers per item and by respondents): where one is exactly a set of
people holding answers but fewer than N valid ones (or 1 to N−1 respondents), its finest
cell other than the whole round is hidden and everything runs again. Last, every *class* of
people (alike in every shown cell) under N whose counts any combination of the shown cells
gives exactly (its indicator lies in their span) has a cell of that combination hidden, and
everything runs again. This repeats until nothing is found (it must end: each round only
hides more). The whole round is never hidden for this. A filtered view whose total ends up
hidden on every item only because of these checks is *refused*: it is not offered in the
menu, and asking for it by name (page, download, ``report --filter``) gets :data:`REFUSED`
instead of an empty report.

What it does not claim. The pair, triple and class checks and the row-and-column rule are
not a proof that nothing can be worked out. What is checked: every difference of two shown
cells, every sum and difference of three, and every single class of people, for every item
and for response counts. What is not: a sum and difference of four or more cells that
gives a *union* of two or more small classes (each class alone is checked, however many
cells it takes). An adversarial test (``tests/analysis/attacker.py``) collects every
figure every view shows and solves for single atoms of people from all of them at once, and
searches pairs and triples of shown cells for small groups; on 24 random rounds whose
dimensions nearly coincide (built to be easy to difference) and four ordinary random rounds
it recovers nothing, and with the triple check switched off it finds the rounds that leaked
before it. That is evidence, not a proof, which is one reason views filter on one dimension
at a time.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from itertools import combinations
from typing import Any

import numpy as np

from surveyapp.analysis.data import DIMENSIONS, N_LEVELS, AnalysisError, Encoded, RoundFrames

#: Why a view is refused; ``{n}`` is the round's minimum group size.
REFUSED = (
    "This view is not shown because it could be compared with another view to reveal fewer "
    "than {n} people's answers."
)
#: The tables every view is a slice of: each pair of dimensions, with their totals.
FAMILIES: tuple[tuple[str, str], ...] = tuple(combinations(DIMENSIONS, 2))

#: A cell: (dimension position in DIMENSIONS, group code) for each dimension it fixes.
Cell = tuple[tuple[int, int], ...]


class DisclosureError(AnalysisError):
    """A view that is not shown because it could be subtracted from another one."""


@dataclass(frozen=True)
class Decision:
    """The round's decisions: ``hidden[c, i]`` is True where cell ``c`` is hidden on item ``i``.

    ``cells`` lists every cell (the whole round first); ``index[family]`` maps each position
    of a table with totals (shape K1+1, K2+1; index Kd is that dimension's total) to its cell.
    ``refused`` holds the cells hidden on every item only by the check between views.
    """

    cells: tuple[Cell, ...]
    index: Mapping[tuple[str, ...], np.ndarray]
    hidden: np.ndarray
    refused: frozenset[Cell]
    min_group_size: int


def decision(enc: Encoded, n: int) -> Decision:
    """The decisions for the unfiltered round ``enc`` and minimum group size ``n`` (memoised)."""
    key = ("disclosure", n)
    if key not in enc.memo:
        enc.memo[key] = _decide(enc, n)
    return enc.memo[key]  # type: ignore[return-value]


def family_hidden(enc: Encoded, family: tuple[str, ...], n: int) -> np.ndarray:
    """Hidden cells of the table crossing ``family`` (one or two dimensions, in
    DIMENSIONS order), shape (items, K1 + 1, ...): index Kd on an axis is that total."""
    decided = decision(enc, n)
    if family not in decided.index:
        raise AnalysisError(f"no view crosses {', '.join(family)}")
    return np.moveaxis(decided.hidden[decided.index[family]], -1, 0)


def refusal(frames: RoundFrames) -> str | None:
    """Why the filtered view ``frames`` may not be shown at all, or None if it may."""
    if not frames.filters:
        return None
    root = frames.root
    decided = decision(root.encoded, root.min_group_size)
    if _filter_cell(root.encoded, frames.filters) in decided.refused:
        return REFUSED.format(n=root.min_group_size)
    return None


def check_view(frames: RoundFrames) -> None:
    """Raise :class:`DisclosureError` (with the reader's message) if ``frames`` is refused."""
    reason = refusal(frames)
    if reason is not None:
        raise DisclosureError(reason)


def refused_filters(frames: RoundFrames) -> frozenset[tuple[str, str]]:
    """(dimension, group key) of every single-filter view of ``frames``' round that is refused."""
    root = frames.root
    enc = root.encoded
    decided = decision(enc, root.min_group_size)
    out = set()
    for cell in decided.refused:
        ((d, code),) = cell
        out.add((DIMENSIONS[d], enc.dims[DIMENSIONS[d]].keys[code]))
    return frozenset(out)


def _filter_cell(enc: Encoded, filters: tuple[tuple[str, str], ...]) -> Cell | None:
    parts = []
    for name, value in filters:
        keys = enc.dims[name].keys
        if value not in keys:
            return None
        parts.append((DIMENSIONS.index(name), keys.index(value)))
    return tuple(sorted(parts))


def _cell_index(enc: Encoded, family: tuple[str, ...], number: dict[Cell, int]) -> np.ndarray:
    """For each position of ``family``'s table with totals, its cell's number (new cells are
    numbered as they are met)."""
    sizes = [len(enc.dims[name].keys) for name in family]
    out = np.zeros([k + 1 for k in sizes], dtype=np.int64)
    for position in np.ndindex(*out.shape):
        cell = tuple(
            (DIMENSIONS.index(name), code)
            for name, code, size in zip(family, position, sizes, strict=True)
            if code < size
        )
        out[position] = number.setdefault(cell, len(number))
    return out


def _decide(enc: Encoded, n: int) -> Decision:
    number: dict[Cell, int] = {(): 0}
    index: dict[tuple[str, ...], np.ndarray] = {}
    for family in FAMILIES:
        index[family] = _cell_index(enc, family, number)
    for name in DIMENSIONS:
        index[(name,)] = _cell_index(enc, (name,), number)
    cells = tuple(sorted(number, key=number.__getitem__))
    pairs = _pair_tables(enc, cells)
    atoms = _atoms(enc, cells)

    seeds = np.zeros((len(cells), enc.n_items), dtype=bool)
    first: np.ndarray | None = None
    while True:
        hidden = np.zeros_like(seeds)
        for family in FAMILIES:
            at = index[family]
            hidden[at] |= np.moveaxis(_protect_family(enc, family, n, seeds[at]), 0, -1)
        if first is None:
            first = hidden.copy()
        victims = _differencing_victims(pairs, cells, hidden, n)
        if not (victims & ~hidden).any():
            victims = _triple_victims(atoms, cells, pairs, hidden, n)
        if not (victims & ~hidden).any():
            victims = _span_victims(atoms, cells, pairs, hidden, n)
            if not (victims & ~hidden).any():
                break
        seeds |= victims
    everywhere = hidden.all(axis=1) & ~first.all(axis=1)
    refused = frozenset(
        cells[c] for c in np.flatnonzero(everywhere) if len(cells[c]) == 1 and cells[c][0][0] > 0
    )
    return Decision(cells, index, hidden, refused, n)


@dataclass(frozen=True)
class _Atoms:
    """The round's non-empty atoms (people alike in every dimension): which cells hold each
    (``members``, cells × atoms) and each atom's valid answers and answers per item (atoms ×
    items) and responses."""

    members: np.ndarray
    valid: np.ndarray
    answered: np.ndarray
    people: np.ndarray


def _atoms(enc: Encoded, cells: tuple[Cell, ...]) -> _Atoms:
    counts, per_atom = enc.crossed_counts(DIMENSIONS)
    present = np.flatnonzero(per_atom)
    shape = tuple(len(enc.dims[name].keys) for name in DIMENSIONS)
    codes = np.unravel_index(present, shape) if shape else ()
    members = np.ones((len(cells), present.size), dtype=bool)
    for c, cell in enumerate(cells):
        for d, code in cell:
            members[c] &= codes[d] == code
    level = counts[present]
    return _Atoms(
        members,
        level[..., : N_LEVELS - 1].sum(axis=-1),
        level.sum(axis=-1),
        per_atom[present],
    )


def _span_victims(
    atoms: _Atoms, cells: tuple[Cell, ...], pairs: _Pairs, hidden: np.ndarray, n: int
) -> np.ndarray:
    """(cells, items): cells to hide so that no combination of shown cells, however many,
    gives exactly the people of one *class* (atoms that every shown cell holds all or none
    of, which no combination can tell apart) when that class is non-empty but under N.

    A class's counts follow from the shown cells exactly when its indicator lies in their
    span, i.e. when its row of an orthonormal basis of the span has length 1. For each such
    class, of the cells one combination giving it uses (the whole round aside), the finest,
    then smallest, is hidden.
    """
    victims = np.zeros_like(hidden)
    depth = np.array([len(c) for c in cells])
    solved: dict[tuple[bytes, bytes], tuple[np.ndarray, np.ndarray, np.ndarray, Any]] = {}

    def check(shown: np.ndarray, weight: np.ndarray, valid: np.ndarray) -> list[int]:
        """Cells to hide, given which cells are shown, each atom's answers and valid ones."""
        holds = weight > 0
        rows = np.flatnonzero(shown)
        if rows.size == 0 or not holds.any():
            return []
        key = (rows.tobytes(), holds.tobytes())
        if key not in solved:
            member = atoms.members[np.ix_(rows, np.flatnonzero(holds))]
            classes, of_atom = unique_rows(member.T)
            matrix = classes.astype(np.float64)
            solved[key] = (classes, of_atom, matrix, None)
        classes, of_atom, matrix, inverse = solved[key]
        class_valid = np.bincount(of_atom.ravel(), weights=valid[holds])
        small = np.flatnonzero(class_valid < n)
        if small.size == 0:
            return []
        # e_k's projection on the span is A G⁺ a_k (G = AᵀA, a_k row k): its k-th entry
        # a_k G⁺ a_k is 1 exactly when e_k lies in the span, and G⁺ a_k combines it
        if inverse is None:
            inverse = np.linalg.pinv(matrix.T @ matrix, hermitian=True)
            solved[key] = (classes, of_atom, matrix, inverse)
        combine = inverse @ matrix[small].T
        leaked = (matrix[small] * combine.T).sum(axis=1) > 1 - 1e-9
        out = []
        for used in combine.T[leaked]:
            needed = [int(c) for c, w in zip(rows, used, strict=True) if abs(w) > 1e-9 and c]
            if needed:
                out.append(max(needed, key=lambda c: (depth[c], -size(c), c)))
        return out

    size = pairs.own_people.__getitem__
    for c in check(np.asarray(~hidden.all(axis=1)), atoms.people, atoms.people):
        victims[c] = True
    if victims.any():
        return victims
    for item in range(hidden.shape[1]):
        size = pairs.own_valid[:, item].__getitem__
        for c in check(~hidden[:, item], atoms.answered[:, item], atoms.valid[:, item]):
            victims[c, item] = True
    return victims


def unique_rows(rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The distinct rows of a 2-D boolean array in sorted order and each row's index among them:
    exactly ``np.unique(rows, axis=0, return_inverse=True)`` (the inverse flattened), about 100
    times faster. Each row's bits are packed into bytes, first column in the highest bit, so that
    comparing the packed bytes (as ``np.unique`` compares a void type, byte by byte) orders rows
    as comparing their values column by column does."""
    width = rows.shape[1]
    packed = np.ascontiguousarray(np.packbits(rows, axis=1))
    keys = packed.view(np.dtype((np.void, packed.shape[1]))).ravel()
    distinct, inverse = np.unique(keys, return_inverse=True)
    classes = np.unpackbits(
        distinct.view(np.uint8).reshape(-1, packed.shape[1]), axis=1, count=width
    ).astype(bool)
    return classes, inverse.ravel()


def _triples(
    on: np.ndarray,
    left_valid: np.ndarray,
    left_answered: np.ndarray,
    own_valid: np.ndarray,
    own_answered: np.ndarray,
    members: np.ndarray,
    weight: np.ndarray,
    n: int,
) -> list[tuple[int, int, int]]:
    """Triples of the cells ``on`` (numbers) whose sum and difference is exactly a set of
    people holding answers (``weight`` per atom) but fewer than ``n`` valid ones.

    ``left_x[a, b]`` is x of the people in cell a and not in b, ``own_x[a]`` of cell a;
    ``members`` is (cells × atoms). Counting only people with answers (weight > 0):

    * A − B − C is such a set exactly when B and C lie in A and do not meet: it is
      A \\ (B ∪ C). All three conditions are pairwise, read from ``left_answered``.
    * A + B − C is such a set exactly when A ∩ B ⊆ C ⊆ A ∪ B: it is (A ∪ B) \\ C, which holds
      A \\ C and B \\ C, so both must be under ``n`` valid answers; the candidates this
      leaves are few and are checked atom by atom.

    (A − B alone is the pairwise rule's; −A − B + C is C − A − B.)
    """
    found: list[tuple[int, int, int]] = []
    if on.size < 3:
        return found
    lv = left_valid[np.ix_(on, on)]
    la = left_answered[np.ix_(on, on)]
    ov, oa = own_valid[on], own_answered[on]
    holds = oa > 0
    inside = (la == 0) & holds[:, None]  # inside[b, a]: b's answering people all lie in a
    apart = la == oa[:, None]  # apart[b, c]: b and c share nobody who answered
    np.fill_diagonal(inside, False)
    upper = np.triu(np.ones((on.size, on.size), dtype=bool), 1)
    for a in range(on.size):
        sub = np.flatnonzero(inside[:, a])
        if sub.size < 2:
            continue
        ok = apart[np.ix_(sub, sub)] & upper[: sub.size, : sub.size]
        rest_valid = ov[a] - ov[sub][:, None] - ov[sub][None, :]
        rest_answered = oa[a] - oa[sub][:, None] - oa[sub][None, :]
        bad = ok & (rest_answered > 0) & (rest_valid < n)
        for b, c in zip(*np.nonzero(bad), strict=True):
            found.append((int(on[a]), int(on[sub[b]]), int(on[sub[c]])))
    near = (lv < n) & ~np.eye(on.size, dtype=bool)  # near[x, c]: x \\ c is under n valid
    for c in range(on.size):
        xs = np.flatnonzero(near[:, c] & holds)
        if xs.size < 2:
            continue
        ok = upper[: xs.size, : xs.size].copy()
        rest_valid = ov[xs][:, None] + ov[xs][None, :] - ov[c]
        rest_answered = oa[xs][:, None] + oa[xs][None, :] - oa[c]
        ok &= (rest_answered > 0) & (rest_valid < n) & (rest_valid >= 0)
        if not ok.any():
            continue
        first, second = np.nonzero(ok)
        ma, mb, mc = members[on[xs[first]]], members[on[xs[second]]], members[on[c]]
        stray = ((mc & ~ma & ~mb) | (ma & mb & ~mc)) @ weight
        for i in np.flatnonzero(stray == 0):
            found.append((int(on[xs[first[i]]]), int(on[xs[second[i]]]), int(on[c])))
    return found


def _triple_victims(
    atoms: _Atoms, cells: tuple[Cell, ...], pairs: _Pairs, hidden: np.ndarray, n: int
) -> np.ndarray:
    """(cells, items): cells to hide so that no sum and difference of three shown cells (A −
    B − C or A + B − C) is a set of people holding answers but fewer than N valid ones, or
    (by response counts, over cells shown anywhere) of 1 to N−1 respondents. Of each such
    triple the finest, then smallest, then latest cell other than the whole round is hidden."""
    victims = np.zeros_like(hidden)
    depth = [len(c) for c in cells]

    def finest(triple: tuple[int, int, int], size: np.ndarray) -> int | None:
        candidates = [c for c in triple if c]
        if not candidates:
            return None
        return max(candidates, key=lambda c: (depth[c], -size[c], c))

    people = pairs.people[..., None]
    on = np.flatnonzero(~hidden.all(axis=1))
    for triple in _triples(
        on,
        people[..., 0],
        people[..., 0],
        pairs.own_people,
        pairs.own_people,
        atoms.members,
        atoms.people,
        n,
    ):
        c = finest(triple, pairs.own_people)
        if c is not None:
            victims[c] = True
    if victims.any():
        return victims
    for item in range(hidden.shape[1]):
        for triple in _triples(
            np.flatnonzero(~hidden[:, item]),
            pairs.valid[..., item],
            pairs.answered[..., item],
            pairs.own_valid[:, item],
            pairs.own_answered[:, item],
            atoms.members,
            atoms.answered[:, item],
            n,
        ):
            c = finest(triple, pairs.own_valid[:, item])
            if c is not None:
                victims[c, item] = True
    return victims


@dataclass(frozen=True)
class _Pairs:
    """For every ordered pair of cells (A, B), the people in A and not in B: as valid answers
    and as answers (valid or "don't know") per item, shape (cells, cells, items), and as
    responses, shape (cells, cells); and each cell's own valid answers and responses."""

    valid: np.ndarray
    answered: np.ndarray
    people: np.ndarray
    own_valid: np.ndarray
    own_answered: np.ndarray
    own_people: np.ndarray


def _pair_tables(enc: Encoded, cells: tuple[Cell, ...]) -> _Pairs:
    """The :class:`_Pairs` of ``cells``.

    A and B each fix at most two dimensions, so A ∩ B fixes at most four: it is one cell of
    the table crossing every dimension, with totals, and is read from there.
    """
    counts, responses = enc.crossed_counts(DIMENSIONS)
    shape = tuple(len(enc.dims[name].keys) for name in DIMENSIONS)
    valid = counts[..., : N_LEVELS - 1].sum(-1).T.reshape((enc.n_items,) + shape)
    answered = counts.sum(-1).T.reshape((enc.n_items,) + shape)
    people = responses.reshape((1,) + shape)
    # a position per dimension: the group's code, or the total (index K); -1 marks a clash
    place = np.tile(np.array(shape, dtype=np.int64), (len(cells), 1))
    for c, cell in enumerate(cells):
        for d, code in cell:
            place[c, d] = code
    a, b = place[:, None, :], place[None, :, :]
    total = np.array(shape)
    both = np.where(a == total, b, np.where((b == total) | (a == b), a, -1))
    clash = np.asarray((both < 0).any(axis=-1))
    both = np.where(both < 0, 0, both)
    at = tuple(both[..., d] for d in range(len(DIMENSIONS)))
    own = tuple(place[:, d] for d in range(len(DIMENSIONS)))

    def outside(table: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        full = np.moveaxis(_with_totals(table), 0, -1)
        inside = np.where(clash[..., None], 0, full[at])
        return full[own][:, None, :] - inside, full[own]

    left_valid, own_valid = outside(valid)
    left_answered, own_answered = outside(answered)
    left_people, own_people = outside(people)
    return _Pairs(
        left_valid, left_answered, left_people[..., 0], own_valid, own_answered, own_people[:, 0]
    )


def _differencing_victims(
    pairs: _Pairs, cells: tuple[Cell, ...], hidden: np.ndarray, n: int
) -> np.ndarray:
    """(cells, items): the cells to hide so that no pair of shown cells breaks the rule."""
    n_cells, n_items = hidden.shape
    shown = ~hidden
    victims = np.zeros_like(hidden)
    depth = [len(c) for c in cells]

    def pick(small: np.ndarray, size: np.ndarray) -> np.ndarray:
        """One cell of each pair flagged in ``small`` (cells × cells, symmetric): the finer,
        then the smaller, then the later cell. Hiding a whole round's group or a filtered
        view's total hides much else through its row and column, so when one of those is
        due, only the first is taken and the pairs are checked again after suppression."""
        taken = np.zeros(n_cells, dtype=bool)
        order = []
        for a, b in zip(*np.nonzero(np.triu(small, 1)), strict=True):
            key_a = (depth[a], -size[a], a)
            key_b = (depth[b], -size[b], b)
            order.append(max(key_a, key_b))
        shallow = [key for key in order if key[0] <= 1]
        if shallow:
            taken[max(shallow)[2]] = True
            return taken
        for key in order:
            taken[key[2]] = True
        return taken

    seen = np.asarray(shown.any(axis=1))
    few = pairs.people < n
    small = few & few.T & ((pairs.people > 0) | (pairs.people.T > 0))
    small &= seen[:, None] & seen[None, :]
    by_people = pick(small, pairs.own_people)
    victims[by_people] = True
    if any(depth[c] <= 1 for c in np.flatnonzero(by_people)):
        return victims
    for item in range(n_items):
        few = pairs.valid[..., item] < n
        holds = pairs.answered[..., item] > 0
        on = shown[:, item] & ~victims[:, item]
        small = few & few.T & (holds | holds.T) & on[:, None] & on[None, :]
        victims[:, item] |= pick(small, pairs.own_valid[:, item])
    return victims


def _protect_family(enc: Encoded, family: tuple[str, ...], n: int, seeds: np.ndarray) -> np.ndarray:
    """Small-group suppression of one table with totals, starting from ``seeds`` hidden
    (shape K1+1, ..., items), returned as (items, K1+1, ...)."""
    shape = tuple(len(enc.dims[name].keys) for name in family)
    counts, responses = enc.crossed_counts(family)
    n_valid = counts[..., : N_LEVELS - 1].sum(-1).T.reshape((enc.n_items,) + shape)
    answered = counts.sum(-1).T.reshape((enc.n_items,) + shape)
    n_resp = _with_totals(responses.reshape((1,) + shape))
    seeded = np.moveaxis(seeds, -1, 0)
    by_responses = _protect(n_resp, n_resp, np.asarray(seeded.all(axis=0, keepdims=True)), n)
    return _protect(
        _with_totals(n_valid),
        _with_totals(answered),
        seeded | by_responses,
        n,
    )


def _with_totals(x: np.ndarray) -> np.ndarray:
    """Append each group axis's total (axis 0 is items and is left alone)."""
    for axis in range(1, x.ndim):
        x = np.concatenate([x, x.sum(axis=axis, keepdims=True)], axis=axis)
    return x


def _protect(count: np.ndarray, answered: np.ndarray, hidden: np.ndarray, n: int) -> np.ndarray:
    """Small-group suppression (rules 1 and 2 of :mod:`surveyapp.analysis.suppression`) of a
    table with totals, shape (items, K1 + 1, ...), starting from ``hidden``.

    Cells are settled bottom-up by how many dimensions they break down: the grand total
    first, then one-way tables against it, then two-way tables against those; each level
    repeats its line rule along every axis until nothing changes.
    """
    hidden = hidden | (count < n)
    n_dims = count.ndim - 1
    for size in range(1, n_dims + 1):
        for subset in combinations(range(n_dims), size):
            changed = True
            while changed:
                changed = False
                for axis in subset:
                    index = tuple(
                        [slice(None)]
                        + [
                            slice(None) if d == axis else slice(0, -1) if d in subset else -1
                            for d in range(n_dims)
                        ]
                    )
                    position = 1 + sum(1 for d in subset if d < axis)
                    view = np.moveaxis(hidden[index], position, -1)
                    width = view.shape[-1]
                    before = view.reshape(-1, width)
                    after = _protect_lines(
                        np.moveaxis(count[index], position, -1).reshape(-1, width),
                        np.moveaxis(answered[index], position, -1).reshape(-1, width),
                        before,
                        n,
                    )
                    if (after != before).any():
                        view[...] = after.reshape(view.shape)
                        changed = True
    return hidden


def _protect_lines(
    count: np.ndarray, answered: np.ndarray, hidden: np.ndarray, n: int
) -> np.ndarray:
    """The line rule, for many lines at once: rows are lines, the last column their total."""
    inner = hidden[:, :-1] | hidden[:, -1:]
    sizes = count[:, :-1]
    holds_answers = answered[:, :-1] > 0
    never = np.iinfo(np.int64).max
    while True:
        exposed = (inner & holds_answers).sum(axis=1)
        hidden_total = np.where(inner, sizes, 0).sum(axis=1)
        need = (exposed > 0) & ((hidden_total < n) | (exposed == 1)) & ~inner.all(axis=1)
        if not need.any():
            break
        rows = np.flatnonzero(need)
        candidates = np.where(inner[rows], never, sizes[rows])
        inner[rows, candidates.argmin(axis=1)] = True
    return np.concatenate([inner, hidden[:, -1:]], axis=1)
