"""The one-draw kernel of a level's plain weighted means: every renormalised weighted arithmetic
mean of one tree level (no weight step, no redistribution) through one sparse product.

A run and a personalisation are one draw of the plan (:mod:`palmares.plan.walk`); for them the
plain means of a level go together here, node-major, with each child's share of its parent for
the working. Other parents, and batches of many draws, go through their steps' operations.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

from palmares.steps import BoolArray, FloatArray

if TYPE_CHECKING:
    # imported where a plan is built (0.1-0.3 s, 10 MB): a kept table is read without it
    from scipy import sparse

#: Guards each level's weighted forms (the API calls the engine from threads).
LOCK = threading.Lock()


@dataclass(frozen=True)
class WeightedLevel:
    """One level's weights for one draw (cached: a personalised ranking replays the same
    weights many times)."""

    weights: FloatArray
    #: (parents x children) weights; children are laid out parent by parent, so the CSR row
    #: pointers are the running sizes.
    by_weight: sparse.csr_matrix
    #: (parents x children) 1 where a child's weight is positive (``min_children`` counts them).
    by_count: sparse.csr_matrix
    #: (parents, 1) each parent's weight sum when every child is present, summed child by child
    #: from 0 as the sparse product sums them (so both paths give the same bits).
    full_sum: FloatArray
    #: (parents,) whether a parent is scored when every child is present.
    full_ok: npt.NDArray[np.bool_]
    #: (children, 1) each child's share of its parent when every child is present.
    full_share: FloatArray


@dataclass(frozen=True)
class MeanLevel:
    """What one level's plain weighted means need that depends only on the methodology and
    tree: the parents, their children (tree rows) and the children's weight columns."""

    parents: list[int]
    children: list[int]
    sizes: npt.NDArray[np.int64]
    owner_col: npt.NDArray[np.int64]
    indptr: npt.NDArray[np.int64]
    mins: FloatArray
    renormalise: npt.NDArray[np.bool_]
    columns: npt.NDArray[np.intp]  # each child's column in the plan's weight layout
    parent_rows: npt.NDArray[np.intp]
    child_rows: npt.NDArray[np.intp]
    #: Weighted forms by the bytes of the level's weights.
    weighted: dict[bytes, WeightedLevel] = field(default_factory=dict, compare=False, repr=False)

    def weigh(self, draw: FloatArray) -> WeightedLevel:
        """This level's weights taken from one draw (K,) of the plan's weight layout."""
        w = draw[self.columns]
        key = w.tobytes()
        with LOCK:
            found = self.weighted.get(key)
        if found is not None:
            return found
        from scipy import sparse

        structure = (np.arange(len(self.children)), self.indptr)
        shape = (len(self.parents), len(self.children))
        positive = (w > 0).astype(np.float64)
        sums = np.zeros(len(self.parents))
        counts = np.zeros(len(self.parents))
        for j in range(len(self.parents)):
            total = 0.0
            for value in w[self.indptr[j] : self.indptr[j + 1]].tolist():
                total += value  # in child order, as the sparse row sums add them
            sums[j] = total
            counts[j] = positive[self.indptr[j] : self.indptr[j + 1]].sum()
        # Every child present: no missing weight, so ``renormalise`` cannot fail a parent.
        ok = (sums > 0) & (counts >= self.mins)
        with np.errstate(divide="ignore"):
            inverse = np.where(sums > 0, 1.0 / np.where(sums > 0, sums, 1.0), np.nan)
        out = WeightedLevel(
            weights=w,
            by_weight=sparse.csr_matrix((w, *structure), shape=shape),
            by_count=sparse.csr_matrix((positive, *structure), shape=shape),
            full_sum=sums[:, None],
            full_ok=ok,
            full_share=(w * inverse[self.owner_col])[:, None],
        )
        with LOCK:
            if len(self.weighted) >= 32:
                self.weighted.pop(next(iter(self.weighted)), None)
            return self.weighted.setdefault(key, out)

    @classmethod
    def of(
        cls,
        parents: list[int],
        child_index: Sequence[Sequence[int]],
        columns: list[int],
        mins: FloatArray,
        renormalise: npt.NDArray[np.bool_],
    ) -> MeanLevel:
        """From the parents' tree rows, the tree's children by row, the children's weight
        columns (parent by parent) and each parent's ``min_children`` and ``renormalise``."""
        children = [c for p in parents for c in child_index[p]]
        sizes = np.array([len(child_index[p]) for p in parents], dtype=np.int64)
        return cls(
            parents=parents,
            children=children,
            sizes=sizes,
            owner_col=np.repeat(np.arange(len(parents)), sizes),
            indptr=np.concatenate(([0], np.cumsum(sizes))),
            mins=mins,
            renormalise=renormalise,
            columns=np.array(columns, dtype=np.intp),
            parent_rows=np.array(parents, dtype=np.intp),
            child_rows=np.array(children, dtype=np.intp),
        )

    def means(
        self,
        draw: FloatArray,
        values: FloatArray,
        present: BoolArray,
        weights: FloatArray,
        applicable: BoolArray,
        counts: npt.NDArray[np.int64] | None,
        full: npt.NDArray[np.bool_],
        *,
        redistributes: bool,
        working: bool = True,
    ) -> None:
        """Weighted arithmetic means of the level's parents at once (node-major arrays).

        A sparse (parents x children) matrix S holds each child's weight in its parent's row,
        so S (X M) is every parent's sum w x over present children and S M its renormalising
        weight. Sparse products sum each row's children in order (no BLAS), so results do not
        depend on the machine or its thread count. When every child is present for every
        institution (``full``: the usual case once missing values are imputed), M is all ones:
        the weight sums and shares are the level's constants and only S X is computed.
        """
        parents, children = self.parent_rows, self.child_rows
        mins, renormalise = self.mins, self.renormalise
        level = self.weigh(draw)
        w = level.weights
        by_weight = level.by_weight
        starts = self.indptr[:-1]
        cx = values[children]
        if full[children].all():
            total = np.asarray(by_weight @ cx)
            ok_rows = level.full_ok
            if ok_rows.all():
                scores = np.divide(total, level.full_sum, out=total)
            else:
                scores = np.divide(
                    total, level.full_sum, out=np.full_like(total, np.nan), where=ok_rows[:, None]
                )
            values[parents] = scores
            present[parents] = ok_rows[:, None]
            full[parents] = ok_rows
            if working:
                weights[children] = level.full_share  # NaN: parent unweighted
        else:
            cm = present[children]
            cmf = cm.astype(np.float64)
            # Absent children hold NaN: zero them in the gathered copy (np.nan_to_num is slower).
            np.copyto(cx, 0.0, where=~cm)
            total = np.asarray(by_weight @ cx)
            weight_sum = np.asarray(by_weight @ cmf)
            ok = weight_sum > 0  # with weights >= 0: "at least one weighted child present"
            if (mins > 1).any():
                ok &= np.asarray(level.by_count @ cmf) >= mins[:, None]
            if not renormalise.all():
                missing_weight = np.asarray(by_weight @ (1.0 - cmf))
                ok &= renormalise[:, None] | (missing_weight == 0)
            scores = np.divide(total, weight_sum, out=np.full_like(total, np.nan), where=ok)
            values[parents] = scores
            present[parents] = ok
            full[parents] = ok.all(axis=1)
            if working:
                inverse = np.divide(
                    1.0, weight_sum, out=np.full_like(weight_sum, np.nan), where=weight_sum > 0
                )
                weights[children] = (cmf * w[:, None]) * inverse[self.owner_col]
        if redistributes:
            applicable[parents] = np.logical_or.reduceat(applicable[children], starts, axis=0)
        if counts is not None:
            counts[parents] = np.add.reduceat(counts[children], starts, axis=0)
