"""One edition's observations as institution x leaf arrays that the seed world can edit."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pandas as pd

from palmares.dataset import Dataset


@dataclass
class Edition:
    """The observations of one (system, year), wide: ``values[i, j]`` and ``status[i, j]``.

    Rows are the edition's participants (every participant has a row per leaf of the edition,
    as in the demo world); editing values, statuses or the participant list and calling
    :meth:`long` gives the rows back in the canonical long layout.
    """

    system: str
    year: int
    institutions: list[str]
    leaves: list[str]
    values: npt.NDArray[np.float64]
    status: npt.NDArray[np.object_]

    @classmethod
    def from_observations(cls, observations: pd.DataFrame, system: str, year: int) -> Edition:
        rows = observations[(observations["system"] == system) & (observations["year"] == year)]
        institutions = sorted(rows["institution"].unique().tolist())
        leaves = sorted(rows["indicator"].unique().tolist())
        i = pd.Index(institutions).get_indexer(rows["institution"])
        j = pd.Index(leaves).get_indexer(rows["indicator"])
        values = np.full((len(institutions), len(leaves)), np.nan)
        status = np.full((len(institutions), len(leaves)), "missing", dtype=object)
        values[i, j] = rows["value"].to_numpy(dtype=float, na_value=np.nan)
        status[i, j] = rows["status"].to_numpy(dtype=object)
        return cls(system, year, institutions, leaves, values, status)

    def row(self, institution: str) -> int:
        return self.institutions.index(institution)

    def col(self, leaf: str) -> int:
        return self.leaves.index(leaf)

    def set(self, institution: str, leaf: str, value: float, status: str = "missing") -> None:
        """Give an institution a reported value, or with ``value`` NaN the status ``status``."""
        i, j = self.row(institution), self.col(leaf)
        self.values[i, j] = value
        self.status[i, j] = status if np.isnan(value) else "reported"

    def add(self, institution: str) -> int:
        """A new participant, every leaf missing until set."""
        if institution in self.institutions:
            return self.row(institution)
        self.institutions.append(institution)
        k = len(self.leaves)
        self.values = np.vstack([self.values, np.full((1, k), np.nan)])
        self.status = np.vstack([self.status, np.full((1, k), "missing", dtype=object)])
        return len(self.institutions) - 1

    def drop(self, institutions: list[str]) -> None:
        keep = [i for i, ident in enumerate(self.institutions) if ident not in set(institutions)]
        self.institutions = [self.institutions[i] for i in keep]
        self.values = self.values[keep]
        self.status = self.status[keep]

    def swap(self, a: str, b: str, leaf: str) -> None:
        """Exchange two institutions' observations of one leaf (the column keeps its values)."""
        i, k, j = self.row(a), self.row(b), self.col(leaf)
        self.values[[i, k], j] = self.values[[k, i], j]
        self.status[[i, k], j] = self.status[[k, i], j]

    def long(self) -> pd.DataFrame:
        n, k = self.values.shape
        return pd.DataFrame(
            {
                "institution": np.repeat(np.array(self.institutions, dtype=object), k),
                "indicator": np.tile(np.array(self.leaves, dtype=object), n),
                "system": self.system,
                "year": self.year,
                "value": self.values.ravel(),
                "status": self.status.ravel(),
                "source": np.nan,
            }
        )


class World:
    """The seed world under construction: the demo world's tables with editable editions."""

    def __init__(self, tables: dict[str, pd.DataFrame]) -> None:
        self.tables = tables
        self._editions: dict[tuple[str, int], Edition] = {}

    def edition(self, system: str, year: int) -> Edition:
        key = (system, year)
        if key not in self._editions:
            self._editions[key] = Edition.from_observations(
                self.tables["observations"], system, year
            )
        return self._editions[key]

    def dataset(self, system: str, year: int) -> Dataset:
        """A dataset holding only this edition's observations: cheap to rebuild and rank."""
        tables = dict(self.tables)
        tables["observations"] = self.edition(system, year).long()
        return Dataset(tables)

    def finish(self) -> Dataset:
        obs = self.tables["observations"]
        keep = np.ones(len(obs), dtype=bool)
        for system, year in self._editions:
            keep &= ~((obs["system"] == system) & (obs["year"] == year)).to_numpy()
        parts = [obs[keep]] + [e.long() for e in self._editions.values()]
        tables = dict(self.tables)
        tables["observations"] = pd.concat(parts, ignore_index=True)
        return Dataset.from_frames(tables)
