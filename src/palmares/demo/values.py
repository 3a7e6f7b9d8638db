"""The value model: the values institutions report in each edition, and their statuses.

Every value comes from a standard normal latent through a marginal (a Gaussian copula):

    z[i, l, t] = 0.55 q[i, t] + 0.45 p[i, dim(l)] + size(l) s[i] + 0.45 e[i, l] + 0.42 w[i, l, t]

standardised per leaf, where ``q`` is the institution's quality (with a yearly trend), ``p`` its
profile in the leaf's dimension, ``s`` its size (for absolute counts), ``e`` a persistent
leaf-specific term and ``w`` an AR(1) term (phi = 0.5) that makes values drift between editions.
Counts, money and ratios are lognormal (median x exp(sigma z)); rates are beta quantiles of
Phi(z). Missing values follow a persistent latent that also reads the institution's reporting
diligence; a few values are ``estimated`` (less precise). Everything is vectorised over
institutions x leaves x editions; only systems, editions and leaves are looped over. Who is
in each edition comes from :mod:`palmares.demo.participation`.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pandas as pd
from scipy import special

from palmares.demo.participation import fields, submissions
from palmares.demo.systems import THE_IMPACT, Leaf, System
from palmares.demo.world import World
from palmares.schema import STATUSES

REPORTED = STATUSES.index("reported")
MISSING = STATUSES.index("missing")
NOT_APPLICABLE = STATUSES.index("not_applicable")
ESTIMATED = STATUSES.index("estimated")

LOAD_QUALITY, LOAD_PROFILE, LOAD_OWN, LOAD_DRIFT = 0.55, 0.45, 0.45, 0.42
DRIFT_PHI = 0.5
ESTIMATED_SHARE = 0.03
ESTIMATE_NOISE = 0.35
TREND_ORIGIN = 2020


@dataclass(frozen=True)
class Block:
    """The observation rows of one edition: field x existing leaves, in id order."""

    system: str
    year: int
    institutions: npt.NDArray[np.intp]
    leaves: tuple[str, ...]
    values: npt.NDArray[np.float64]
    status: npt.NDArray[np.int8]


def _latent(
    world: World, system: System, rng: np.random.Generator
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """Standardised latents z (institutions x leaves x editions) and the dimension profiles."""
    n, leaves, years = len(world.ids), system.leaves, system.years
    dims = [d.id for d in system.dimensions]
    dim_of = np.array([dims.index(leaf.parent) for leaf in leaves])
    size_load = np.array([leaf.size for leaf in leaves])
    profile = world.inherit(rng.standard_normal((n, len(dims))))
    own = world.inherit(rng.standard_normal((n, len(leaves))))
    shocks = rng.standard_normal((n, len(leaves), len(years)))
    drift = np.empty_like(shocks)
    drift[:, :, 0] = shocks[:, :, 0]
    for t in range(1, len(years)):
        drift[:, :, t] = (
            DRIFT_PHI * drift[:, :, t - 1] + np.sqrt(1 - DRIFT_PHI**2) * shocks[:, :, t]
        )
    drift = world.inherit(drift)
    offsets = np.array(years, dtype=float) - TREND_ORIGIN
    quality = world.quality[:, None] + world.trend[:, None] * offsets[None, :]
    z = (
        LOAD_QUALITY * quality[:, None, :]
        + LOAD_PROFILE * profile[:, dim_of][:, :, None]
        + (size_load[None, :] * world.size[:, None])[:, :, None]
        + LOAD_OWN * own[:, :, None]
        + LOAD_DRIFT * drift
    )
    z = (z - z.mean(axis=(0, 2), keepdims=True)) / z.std(axis=(0, 2), keepdims=True)
    return z, profile


#: Beta quantiles are tabulated on this grid of latents and interpolated (exact to far below
#: the published decimals, and a hundred times faster than ``betaincinv`` on every cell).
_GRID = np.linspace(-8.0, 8.0, 4001)


@functools.cache
def _beta_table(a: float, b: float) -> npt.NDArray[np.float64]:
    table: npt.NDArray[np.float64] = special.betaincinv(a, b, special.ndtr(_GRID))
    return table


def _marginal(leaves: Sequence[Leaf], g: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    """Values from oriented latents (institutions x leaves), rounded per leaf."""
    out = np.empty_like(g)
    for k, leaf in enumerate(leaves):
        x = g[:, k]
        if leaf.marginal == "lognormal":
            v = leaf.a * np.exp(leaf.b * x)
        else:
            v = leaf.scale * np.interp(x, _GRID, _beta_table(leaf.a, leaf.b))
        out[:, k] = np.round(v, leaf.decimals)
    return out


def _statuses(
    world: World, system: System, rng: np.random.Generator
) -> tuple[npt.NDArray[np.bool_], npt.NDArray[np.bool_]]:
    """Missing and estimated masks (institutions x leaves x editions), persistent over time."""
    n, k, t = len(world.ids), len(system.leaves), len(system.years)
    rates = np.array([leaf.missing for leaf in system.leaves])
    persistent = world.inherit(rng.standard_normal((n, k)))
    latent = (
        -0.5 * world.diligence[:, None, None]
        + 0.6 * persistent[:, :, None]
        + 0.62 * rng.standard_normal((n, k, t))
    )
    missing = latent > special.ndtri(1 - rates)[None, :, None]
    est_latent = 0.7 * world.inherit(rng.standard_normal((n, k)))[
        :, :, None
    ] + 0.71 * rng.standard_normal((n, k, t))
    estimated = (est_latent > special.ndtri(1 - ESTIMATED_SHARE)) & ~missing
    return missing, estimated


def _not_applicable(
    world: World, system: System, submitted: npt.NDArray[np.bool_] | None
) -> npt.NDArray[np.bool_]:
    n, k, t = len(world.ids), len(system.leaves), len(system.years)
    if system.id == THE_IMPACT.id and submitted is not None:
        goal_of = np.array([int(leaf.parent[-2:]) - 1 for leaf in system.leaves])
        return ~submitted[:, goal_of, :]
    na = np.zeros((n, k, t), dtype=bool)
    bachelor = np.array([leaf.bachelor for leaf in system.leaves])
    post_prepa = world.column("intake") == "post-prepa"
    na[np.ix_(post_prepa, bachelor)] = True
    return na


def system_blocks(world: World, system: System, rng: np.random.Generator) -> list[Block]:
    """Every edition of one system as blocks of observation rows."""
    field = fields(world, system, rng)
    z, profile = _latent(world, system, rng)
    sign = np.array([1.0 if leaf.direction == "higher" else -1.0 for leaf in system.leaves])
    g = z * sign[None, :, None]
    noise = ESTIMATE_NOISE * rng.standard_normal(g.shape)
    missing, estimated = _statuses(world, system, rng)
    # An estimate is the true value seen through noise.
    g = np.where(estimated, g + noise, g)
    submitted = submissions(world, profile, field, rng) if system.id == THE_IMPACT.id else None
    na = _not_applicable(world, system, submitted)
    status = np.full(z.shape, REPORTED, dtype=np.int8)
    status[estimated] = ESTIMATED
    status[missing] = MISSING
    status[na] = NOT_APPLICABLE
    order = np.argsort([leaf.id for leaf in system.leaves], kind="stable")
    blocks = []
    for t, year in enumerate(system.years):
        columns = np.array([k for k in order if system.leaves[int(k)].exists(year)], dtype=np.intp)
        rows = np.flatnonzero(field[t])
        cells = np.ix_(rows, columns)
        edition_status = status[:, :, t][cells]
        values = _marginal([system.leaves[int(k)] for k in columns], g[:, :, t][cells])
        values[(edition_status == MISSING) | (edition_status == NOT_APPLICABLE)] = np.nan
        blocks.append(
            Block(
                system.id,
                year,
                rows,
                tuple(system.leaves[int(k)].id for k in columns),
                values,
                edition_status,
            )
        )
    return blocks


def observations_frame(ids: npt.NDArray[np.str_], blocks: list[Block]) -> pd.DataFrame:
    """observations.csv from blocks, rows sorted by (system, year, institution, indicator)."""
    blocks = sorted(blocks, key=lambda b: (b.system, b.year))
    institution_ids = np.asarray(ids, dtype=object)
    statuses = np.array(STATUSES, dtype=object)
    parts: dict[str, list[npt.NDArray[np.generic]]] = {
        k: [] for k in ("institution", "indicator", "system", "year", "value", "status")
    }
    for b in blocks:
        n_rows, n_leaves = b.values.shape
        parts["institution"].append(np.repeat(institution_ids[b.institutions], n_leaves))
        parts["indicator"].append(np.tile(np.array(b.leaves, dtype=object), n_rows))
        parts["system"].append(np.full(n_rows * n_leaves, b.system, dtype=object))
        parts["year"].append(np.full(n_rows * n_leaves, b.year, dtype=np.int64))
        parts["value"].append(b.values.ravel())
        parts["status"].append(statuses[b.status.ravel()])
    columns: Mapping[str, npt.NDArray[np.generic]] = {
        k: np.concatenate(v) for k, v in parts.items()
    }
    frame = pd.DataFrame(columns)
    frame["year"] = frame["year"].astype("Int64")
    return frame
