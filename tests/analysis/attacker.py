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
