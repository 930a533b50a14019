"""A differencing attacker: what can be solved for from everything a report shows?

Each shown figure is a sum of answer counts over some set of "atoms" (responses sharing
partner type, locality, role level and training) and items. Stacking every shown figure as
a row of a 0/1 matrix, a hidden cell's counts can be worked out exactly if and only if its
own 0/1 row lies in the span of the shown rows. The attacker is deliberately strong: it
knows which atoms exist (which combinations have any response at all).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import numpy as np
import pandas as pd
from scipy.linalg import orth

from surveyapp.analysis.data import ALL, DIMENSIONS, NOT_STATED, RoundFrames


class Attacker:
    """Collects shown figures of one round (as 0/1 rows) and tests hidden cells against them."""

    def __init__(self, frames: RoundFrames) -> None:
        root = frames.root
        self.items = list(root.items.sort_values("position")["item_id"])
        self.item_domain = dict(zip(root.items["item_id"], root.items["domain"], strict=True))
        about = (
            root.responses[list(DIMENSIONS)]
            .astype(object)
            .where(root.responses[list(DIMENSIONS)].notna(), NOT_STATED)
        )
        self.atoms = about.drop_duplicates().reset_index(drop=True)
        self.n_units = len(self.atoms) * len(self.items)
        self.rows: list[np.ndarray] = []
        self.response_rows: list[np.ndarray] = []
        #: each item's shown cells, as 0/1 atom masks (for :func:`small_combinations`)
        self.cells: dict[str, set[tuple[bool, ...]]] = {}

    def atom_mask(self, group: Mapping[str, str]) -> np.ndarray:
        """Atoms matching every (dimension, key) in ``group``."""
        mask = np.ones(len(self.atoms), dtype=bool)
        for name, key in group.items():
            mask &= (self.atoms[name] == key).to_numpy()
        return mask

    def vector(self, group: Mapping[str, str], items: Iterable[str]) -> np.ndarray:
        out = np.zeros((len(self.atoms), len(self.items)))
        atoms = self.atom_mask(group)
        for item in items:
            out[atoms, self.items.index(item)] = 1
        return out.ravel()

    @staticmethod
    def cell(by: str, key: str, filters: Mapping[str, str]) -> dict[str, str]:
        group = dict(filters)
        if key != ALL:
            group[by] = key
        return group

    def add(self, row: np.ndarray) -> None:
        self.rows.append(row)

    def add_item_table(self, table: pd.DataFrame, by: str, filters: Mapping[str, str]) -> None:
        """Shown rows of an item table (any figure shown counts as the cell's counts)."""
        for row in table.loc[table["n_valid"].notna()].itertuples(index=False):
            group = self.cell(by, getattr(row, by), filters)
            self.add(self.vector(group, [row.item_id]))
            self.response_rows.append(self.atom_mask(group).astype(float))
            self.cells.setdefault(row.item_id, set()).add(tuple(self.atom_mask(group)))

    def add_domain_table(self, table: pd.DataFrame, by: str, filters: Mapping[str, str]) -> None:
        for row in table.loc[table["n_valid"].notna()].itertuples(index=False):
            items = [i for i in self.items if self.item_domain[i] == row.domain]
            self.add(self.vector(self.cell(by, getattr(row, by), filters), items))

    def add_differences(self, table: pd.DataFrame, by: str, filters: Mapping[str, str]) -> None:
        for row in table.itertuples(index=False):
            group = self.vector(self.cell(by, getattr(row, by), filters), [row.item_id])
            everyone = self.vector(dict(filters), [row.item_id])
            self.add(group)
            self.add(everyone - group)

    def add_contrasts(self, table: pd.DataFrame, by: str, filters: Mapping[str, str]) -> None:
        for row in table.loc[~table["suppressed"]].itertuples(index=False):
            group = self.cell(by, getattr(row, by), filters)
            self.add(self.vector(group, [row.item_a]))
            self.add(self.vector(group, [row.item_b]))

    @staticmethod
    def _basis(rows: list[np.ndarray]) -> np.ndarray:
        """Orthonormal basis (as columns) of the span of ``rows``."""
        if not rows:
            return np.zeros((0, 0))
        return orth(np.unique(np.vstack(rows), axis=0).T)

    @staticmethod
    def _in_span(target: np.ndarray, basis: np.ndarray) -> bool:
        if basis.size == 0:
            return False
        residual = target - basis @ (basis.T @ target)
        return bool(np.linalg.norm(residual) < 1e-8 * max(1.0, np.linalg.norm(target)))

    def leaked_cells(
        self,
        raw_answered: Mapping[tuple[str, str, str, tuple], int],
    ) -> list[tuple]:
        """Hidden cells holding answers whose counts the shown rows determine.

        ``raw_answered`` maps (by, key, item, filters) of each hidden cell to how many
        answers it holds (from the raw data, which the attacker does not see).
        """
        basis = self._basis(self.rows)
        leaks = []
        for (by, key, item, filters), answered in raw_answered.items():
            if answered == 0:
                continue
            target = self.vector(self.cell(by, key, dict(filters)), [item])
            if self._in_span(target, basis):
                leaks.append((by, key, item, filters))
        return leaks


def leaked_atoms(attacker: Attacker, frames: RoundFrames) -> list[tuple]:
    """Atoms (people alike in every dimension) holding answers to an item but fewer than N
    valid ones, whose counts on that item the shown rows determine."""
    root = frames.root
    n = root.min_group_size
    valid, answered, _ = atom_counts(attacker, frames)
    basis = attacker._basis(attacker.rows)
    leaks = []
    for a in range(len(attacker.atoms)):
        for i, item in enumerate(attacker.items):
            if answered[a, i] == 0 or valid[a, i] >= n:
                continue
            target = np.zeros((len(attacker.atoms), len(attacker.items)))
            target[a, i] = 1
            if attacker._in_span(target.ravel(), basis):
                leaks.append((tuple(attacker.atoms.iloc[a]), item))
    return leaks


def atom_counts(
    attacker: Attacker, frames: RoundFrames
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Valid answers and answers per (atom, item), and responses per atom, from the raw data
    (which the attacker does not see; the tests use it to judge what was recovered)."""
    root = frames.root
    about = (
        root.responses[list(DIMENSIONS)]
        .astype(object)
        .where(root.responses[list(DIMENSIONS)].notna(), NOT_STATED)
    )
    atom_of = pd.MultiIndex.from_frame(attacker.atoms).get_indexer(pd.MultiIndex.from_frame(about))
    rows = pd.Index(root.responses["response_id"]).get_indexer(root.answers["response_id"])
    items = pd.Index(attacker.items).get_indexer(root.answers["item_id"].astype(object))
    valid = np.zeros((len(attacker.atoms), len(attacker.items)))
    answered = np.zeros_like(valid)
    np.add.at(answered, (atom_of[rows], items), 1)
    np.add.at(valid, (atom_of[rows], items), (~root.answers["dont_know"].to_numpy()).astype(float))
    people = np.bincount(atom_of, minlength=len(attacker.atoms)).astype(float)
    return valid, answered, people


def small_combinations(
    cells: Mapping[str, set[tuple[bool, ...]]],
    valid: np.ndarray,
    answered: np.ndarray,
    items: list[str],
    n: int,
) -> list[tuple]:
    """Pairs and triples of cells shown on the same item whose difference (A − B, A − B − C)
    or sum-and-difference (A + B − C) is exactly a set of people holding answers to the item
    but fewer than N valid ones. ``cells[item]`` holds each shown cell as a 0/1 atom mask."""
    leaks = []
    for item, masks in cells.items():
        i = items.index(item)
        shown = np.array(sorted(masks), dtype=np.int8)
        if len(shown) < 2:
            continue
        for a in range(len(shown)):
            pairs = shown[a] - shown  # A − B for every B
            candidates = [pairs]
            candidates.append(pairs[:, None, :] - shown[None, :, :])  # A − B − C
            candidates.append((shown[a] + shown)[:, None, :] - shown[None, :, :])  # A + B − C
            for weights in candidates:
                w = weights.reshape(-1, shown.shape[1])
                is_set = ((w == 0) | (w == 1)).all(axis=1) & (w == 1).any(axis=1)
                if not is_set.any():
                    continue
                sets = w[is_set].astype(float)
                got_answers = sets @ answered[:, i]
                got_valid = sets @ valid[:, i]
                bad = (got_answers > 0) & (got_valid < n)
                if bad.any():
                    leaks.append((item, a, int(got_valid[bad][0])))
    return leaks
