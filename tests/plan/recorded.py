"""The results every computation gave before the plan existed, as compact digests.

Each case names a computation (a preset and edition on the demo world, a COINr pipeline on the
ASEM data, a personalisation, a nominal uncertainty replay, a rebuild of published totals) and
maps it to the SHA-256 of the exact bytes of every array it produced (float64 bits, ranks,
bands, groups), plus a few readable rows. ``python tests/plan/recorded.py`` rewrites
``fixtures/recorded.json``: only ever do that on purpose, when a result is meant to change.
"""

from __future__ import annotations

import hashlib
import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

import palmares
from palmares.dataset import Dataset
from palmares.demo import generate
from palmares.engine import run
from palmares.methodology import Methodology, load_methodology, resolve_methodology
from palmares.result import Result

HERE = Path(__file__).resolve().parent
FIXTURES = HERE / "fixtures" / "recorded.json"
TESTS = HERE.parent
ASEM = TESTS / "data" / "asem"
EXAMPLES = TESTS / "methodology" / "examples"

DEMO_PRESETS = ("u-multirank", "letudiant", "the-impact")
#: Presets rebuilt from published tables (reproduce), with the editions of each file.
PUBLISHED_PRESETS = {
    "arwu": (2005, 2016, 2024),
    "cwur": (2012, 2019, 2024),
    "qs": (2012, 2024),
    "the-wur": (2011, 2015, 2017, 2024, 2025),
}

#: COINr pipelines over the ASEM index (the example file and variants of its steps).
ASEM_VARIANTS = {
    "zscore-geometric": """
[[steps]]
type = "treat"
method = "jrc"

[[steps]]
type = "normalise"
method = "minmax"
range = [1, 100]

[[steps]]
type = "aggregate"
method = "geometric"
""",
    "impute-rank-harmonic": """
[[steps]]
type = "impute"
method = "median"

[[steps]]
type = "normalise"
method = "rank"

[[steps]]
type = "aggregate"
method = "harmonic"

[[steps]]
type = "rescale"
method = "top100"

[[steps]]
type = "round"
method = "half_up"
decimals = 1
""",
    "percentile-copeland": """
[[steps]]
type = "normalise"
method = "percentile_rank"

[[steps]]
type = "aggregate"
method = "arithmetic"
level = 2

[[steps]]
type = "aggregate"
method = "arithmetic"
level = 1

[[steps]]
type = "aggregate"
method = "copeland"
level = 0
""",
}


def digest(a: Any) -> str:
    """SHA-256 of an array's dtype, shape and bytes (object arrays through their JSON)."""
    h = hashlib.sha256()
    if a is None:
        h.update(b"None")
        return h.hexdigest()[:20]
    arr = np.asarray(a)
    h.update(str(arr.shape).encode())
    if arr.dtype == object:
        h.update(json.dumps([None if v is None else str(v) for v in arr.ravel().tolist()]).encode())
    else:
        h.update(arr.dtype.str.encode())
        h.update(np.ascontiguousarray(arr).tobytes())
    return h.hexdigest()[:20]


def _num(v: float) -> float | None:
    return None if not np.isfinite(v) else float(v)


def result_digest(result: Result) -> dict[str, Any]:
    """Every array of a Result (and its per-node tables) as digests, plus its top five rows."""
    r = result.ranking
    out: dict[str, Any] = {
        "institutions": digest(np.asarray(result.institutions, dtype=object)),
        "eligible": digest(result.eligible),
        "imputed": digest(result.imputed),
        "leaf_values": digest(result.leaf_values),
        "leaf_mask": digest(result.leaf_mask),
        "grades": digest(result.grades),
        "node_values": digest(result.node_values),
        "node_weights": digest(result.node_weights),
        "grade_counts": digest(result.grade_counts),
        "unscaled": digest(result.unscaled),
        "scored": digest(result.scored),
        "raw_score": digest(result.raw_score),
        "score": digest(result.score),
        "key": digest(r.key),
        "rank": digest(r.rank),
        "tie_size": digest(r.tie_size),
        "field_size": int(r.field_size),
        "bands": digest(np.stack([r.band_lo, r.band_hi])),
        "group": digest(r.group),
        "group_rank": digest(np.stack([r.group_rank, r.group_size, r.top_percent])),
        "group_first_half": digest(r.group_first_half),
        "published_score": digest(r.published_score),
        "display": digest(np.asarray(r.display("en") + r.display("fr"), dtype=object)),
        "records": digest(
            np.asarray(
                [
                    json.dumps(
                        [x.index, x.tag, list(x.nodes), x.facts], sort_keys=True, default=str
                    )
                    for x in result.records
                ],
                dtype=object,
            )
        ),
    }
    inner = [n for n in result.tree.ids if not result.tree.is_leaf[result.tree.index(n)]]
    out["node_ranks"] = digest(np.stack([result.node_ranks(n) for n in inner]))
    order = np.argsort(np.where(r.rank > 0, r.rank, np.iinfo(np.int64).max), kind="stable")[:5]
    out["top"] = [
        [result.institutions[i], int(r.rank[i]), _num(float(result.score[i]))]
        for i in order.tolist()
    ]
    return out


def demo_world() -> Dataset:
    return generate(0)


def asem() -> Dataset:
    return palmares.load([ASEM / "asem_idata.csv", ASEM / "asem_imeta.csv"])


def asem_methods() -> dict[str, Methodology]:
    base = (EXAMPLES / "asem.toml").read_text(encoding="utf-8")
    head, _, rest = base.partition("[[steps]]")
    ranking = rest[rest.index("[ranking]") :]
    out = {"asem": load_methodology(base)}
    for name, steps in ASEM_VARIANTS.items():
        out[name] = load_methodology(head + steps + "\n" + ranking)
    return out


#: Personalisations per preset: criteria, weights, filters, network.
def personalisations(result: Result) -> Iterator[tuple[str, dict[str, Any]]]:
    tree = result.tree
    root = tree.roots[0]
    children = list(tree.children(root))
    yield "nothing", {}
    yield "first-two", {"criteria": children[:2]}
    yield "weights", {"weights": {children[0]: 3.0, children[-1]: 0.5}}
    country = str(result.attributes["country"][0])
    yield "country", {"where": {"country": country}}
    grand = tree.leaves_under(children[0])
    yield "leaves", {"criteria": list(grand[:3]) + children[1:2], "weights": {grand[0]: 2.0}}


def replay_digest(result: Result) -> dict[str, Any]:
    """The nominal uncertainty replay of a result: keys, ranks and aggregated scores."""
    from palmares.uncertainty.replay import aggregate_draws, build_plan, ranking_keys, replay_ranks

    plan = build_plan(result, perturbed=result.system != "u-multirank")
    w = np.tile(plan.weights.nominal, (2, 1))
    key, grid = ranking_keys(plan, w)
    return {
        "aggregate": None if plan.grades is not None else digest(aggregate_draws(plan, w)),
        "key": digest(key),
        "grid": bool(grid),
        "ranks": digest(replay_ranks(plan, w)),
    }


def uncertainty_digest(world: Dataset, preset: str, edition: int) -> dict[str, Any]:
    from palmares.uncertainty import UncertaintySpec, uncertainty

    out = uncertainty(
        world, preset, edition, 40, spec=UncertaintySpec(chunk=16), seed=7, data_hash="x"
    )
    ranks = out.frame()
    return {
        "frame": digest(
            np.asarray(
                json.loads(ranks.to_json(orient="values", double_precision=15)), dtype=object
            )
        ),
        "replay_draw_3": result_digest(out.replay_draw(world, 3))["score"],
    }


def published_components(method: Methodology, edition: int, seed: int) -> npt.NDArray[np.float64]:
    from palmares.io.published_table import component_ids

    rng = np.random.default_rng(seed)
    k = len(component_ids(method))
    x = np.round(rng.uniform(5, 100, size=(300, k)), 1)
    x[rng.random(x.shape) < 0.03] = np.nan
    return x


def rebuild_digest(preset: str, edition: int) -> dict[str, Any]:
    from palmares.reproduce import publish_table, rebuild_totals

    method = resolve_methodology(preset, edition)
    x = published_components(method, edition, edition)
    na = np.zeros(x.shape, dtype=bool)
    if preset == "arwu":
        na[::17, -2 if x.shape[1] > 2 else 0] = True
    rebuilt = rebuild_totals(method, np.where(na, np.nan, x), na)
    names = [f"u{i:03d}" for i in range(x.shape[0])]
    table = publish_table(method, edition, names, np.nan_to_num(x, nan=0.0), not_applicable=na)
    return {
        "total": digest(rebuilt.total),
        "rounded": digest(rebuilt.rounded),
        "floor": rebuilt.floor,
        "published": digest(np.asarray(table.to_numpy().ravel(), dtype=object)),
    }


def record() -> dict[str, Any]:
    """Every case's digest, computed now."""
    out: dict[str, Any] = {}
    world = demo_world()
    for preset in DEMO_PRESETS:
        for year in world.edition_years(preset):
            result = run(world, preset, year, data_hash="x")
            out[f"run/{preset}/{year}"] = result_digest(result)
        latest = max(world.edition_years(preset))
        result = run(world, preset, latest, data_hash="x")
        for name, options in personalisations(result):
            out[f"personalise/{preset}/{latest}/{name}"] = result_digest(
                result.personalise(**options)
            )
    for preset, year in (
        ("the-impact", 2024),
        ("the-impact", 2019),
        ("the-impact", 2021),
        ("letudiant", 2024),
        ("letudiant", 2022),
        ("u-multirank", 2022),
    ):
        out[f"replay/{preset}/{year}"] = replay_digest(run(world, preset, year, data_hash="x"))
    for preset, year in (("letudiant", 2024), ("the-impact", 2022)):
        out[f"uncertainty/{preset}/{year}"] = uncertainty_digest(world, preset, year)
    data = asem()
    for name, method in asem_methods().items():
        result = run(data, method, 2018, data_hash="x")
        out[f"run/asem/{name}"] = result_digest(result)
        if name == "asem":
            out[f"replay/asem/{name}"] = replay_digest(result)
    for preset, years in PUBLISHED_PRESETS.items():
        for year in years:
            out[f"rebuild/{preset}/{year}"] = rebuild_digest(preset, year)
    return out


if __name__ == "__main__":
    recorded = record()
    FIXTURES.write_text(json.dumps(recorded, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    sys.stdout.write(f"{len(recorded)} cases written to {FIXTURES}\n")
