"""Benchmark: the vectorised Monte Carlo of ranks against a loop over draws.

    python benchmarks/bench_uncertainty.py [--institutions 2000] [--indicators 50]
        [--draws 10000] [--naive-draws 200] [--large-draws 100000] [--seed 0] [--json]

Data: lognormal values with 8 % missing, a 2-level tree (root -> 5 pillars -> indicators),
min-max normalisation, Dirichlet weight draws around the nominal weights, top = 100, 1-decimal
half-up rounding, competition ranks (contracts section 7).

- ``vectorised_s``: one call of :func:`palmares.uncertainty.uncertainty` for all draws,
  producing every output (median, mean, q05, q95, top-k, band probabilities), data loaded.
- ``naive_s``: :func:`palmares.engine.run` once per draw with the drawn weights, timed on
  ``--naive-draws`` draws and scaled to ``--draws``.
- ``loop_floor_s``: a Python loop over draws doing only a numpy weighted sum, rounding and
  competition ranking, timed and scaled the same way.
- ``large_s`` / ``large_peak_rss_mb``: ``--large-draws`` draws in a fresh process.
The vectorised call and the floor loop are each the best of 3 runs (the machine is shared).
Targets: vectorised_s <= 5, ratio_floor >= 1.3, large_s <= 60, large_peak_rss_mb < 1024.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time
from typing import Any

import numpy as np
import pandas as pd

from palmares.dataset import Dataset
from palmares.engine import run
from palmares.methodology import load_methodology
from palmares.ranking import competition_rank
from palmares.uncertainty import UncertaintySpec, uncertainty
from palmares.uncertainty.draws import all_draws

TARGETS = {"vectorised_s": 5.0, "ratio_floor": 1.3, "large_s": 60.0, "large_peak_rss_mb": 1024}
PILLARS = 5
#: Timed runs of the vectorised call and of the floor loop; the best counts.
REPEAT = 5  # best of five for both the vectorised call and the floor: the machine is shared


def machine() -> dict[str, Any]:
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as handle:
            for line in handle:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    return {"cpu": cpu, "cores": os.cpu_count(), "python": platform.python_version()}


def peak_rss_mb() -> float:
    """Peak resident set size of this process (VmHWM), in MB."""
    with open("/proc/self/status", encoding="utf-8") as handle:
        for line in handle:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def make_dataset(n: int, k: int, seed: int) -> Dataset:
    """System ``u``: root -> 5 pillars -> k leaves; one edition, 2024; 8 % missing."""
    rng = np.random.default_rng(seed)
    ids = np.array([f"i{i:06d}" for i in range(n)], dtype=object)
    pillars = [f"u.p{p}" for p in range(PILLARS)]
    leaves = [f"u.p{j % PILLARS}.x{j:03d}" for j in range(k)]
    nodes = ["u", *pillars, *leaves]
    parents = ["", *["u"] * PILLARS, *[f"u.p{j % PILLARS}" for j in range(k)]]
    quality = rng.normal(size=(n, 1))
    values = np.exp(0.5 * quality + 0.6 * rng.normal(size=(n, k)))
    missing = rng.random((n, k)) < 0.08
    observations = pd.DataFrame(
        {
            "institution": np.repeat(ids, k),
            "indicator": np.tile(np.array(leaves, dtype=object), n),
            "system": "u",
            "year": 2024,
            "value": np.where(missing.ravel(), np.nan, values.ravel()),
            "status": np.where(missing.ravel(), "missing", "reported"),
        }
    )
    tables = {
        "institutions": pd.DataFrame({"id": ids, "name": ids, "country": "FR"}),
        "indicators": pd.DataFrame(
            {
                "id": nodes,
                "label_en": nodes,
                "label_fr": nodes,
                "parent": parents,
                "direction": ["" if i <= PILLARS else "higher" for i in range(len(nodes))],
            }
        ),
        "editions": pd.DataFrame({"system": ["u"], "year": [2024]}),
        "observations": observations,
    }
    return Dataset(tables)


METHOD = """
[methodology]
id = "bench-uncertainty"
system = "u"
version = "1"
label_en = "uncertainty benchmark"
editions = [2024]

[weights]
"u.p0" = 0.3
"u.p1" = 0.25
"u.p2" = 0.2
"u.p3" = 0.15
"u.p4" = 0.1

[[steps]]
type = "normalise"
method = "minmax"

[[steps]]
type = "aggregate"
method = "arithmetic"

[[steps]]
type = "rescale"
method = "top100"

[[steps]]
type = "round"
method = "half_up"
decimals = 1

[ranking]
ties = "equals"

[ranking.bands.default]
individual_until = 100
bands = [[101, 150], [151, 200], [201, 300], [301, 500], [501, 1000], [1001, inf]]
"""

SPEC = UncertaintySpec.model_validate(
    {"chunk": 2500, "top_k": 100, "weights": {"method": "dirichlet", "concentration": 50}}
)


def large_run(args: argparse.Namespace) -> dict[str, float]:
    """The large run, in this (fresh) process: seconds and peak RSS."""
    ds = make_dataset(args.institutions, args.indicators, args.seed)
    method = load_methodology(METHOD)
    start = time.perf_counter()
    uncertainty(ds, method, 2024, args.large_draws, seed=args.seed, spec=SPEC, data_hash="x")
    return {"large_s": time.perf_counter() - start, "large_peak_rss_mb": peak_rss_mb()}


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--institutions", type=int, default=2_000)
    parser.add_argument("--indicators", type=int, default=50)
    parser.add_argument("--draws", type=int, default=10_000)
    parser.add_argument("--naive-draws", type=int, default=200)
    parser.add_argument("--large-draws", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--large-only", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.large_only:
        print(json.dumps(large_run(args)))
        return
    log = sys.stderr.write

    log("building the data ...\n")
    ds = make_dataset(args.institutions, args.indicators, args.seed)
    method = load_methodology(METHOD)
    nominal = run(ds, method, 2024, data_hash="pre-hashed")

    log(f"vectorised: {args.draws:,} draws ...\n")
    uncertainty(ds, method, 2024, 10, seed=args.seed, spec=SPEC, data_hash="pre-hashed")
    vectorised_s = float("inf")
    for _ in range(REPEAT):  # the machine is shared: best of a few runs, like the floor
        start = time.perf_counter()
        done = uncertainty(ds, method, 2024, args.draws, seed=args.seed, spec=SPEC, data_hash="x")
        vectorised_s = min(vectorised_s, time.perf_counter() - start)
    peak = peak_rss_mb()

    log(f"naive engine loop: {args.naive_draws} draws ...\n")
    draws = all_draws(done.weights, SPEC, args.seed, args.naive_draws)
    start = time.perf_counter()
    for i in range(args.naive_draws):
        drawn = dict(zip(done.weights.nodes, draws.weights[i].tolist(), strict=True))
        m = method.model_copy(update={"weights": drawn})
        run(ds, m, 2024, data_hash="pre-hashed").ranking.rank  # noqa: B018
    naive_s = (time.perf_counter() - start) / args.naive_draws * args.draws

    log("numpy loop floor ...\n")
    x = np.nan_to_num(nominal.leaf_values)
    leaf_weight = np.full((args.naive_draws, x.shape[1]), 1.0 / x.shape[1])
    loop_floor_s = float("inf")
    for _ in range(REPEAT):
        start = time.perf_counter()
        for i in range(args.naive_draws):
            s = x @ leaf_weight[i]
            competition_rank(np.round(s / s.max() * 100, 1))
        elapsed = (time.perf_counter() - start) / args.naive_draws * args.draws
        loop_floor_s = min(loop_floor_s, elapsed)

    log(f"large: {args.large_draws:,} draws in a fresh process ...\n")
    command = [sys.executable, __file__, "--large-only", "--institutions", str(args.institutions)]
    command += ["--indicators", str(args.indicators), "--large-draws", str(args.large_draws)]
    command += ["--seed", str(args.seed)]
    large = json.loads(subprocess.run(command, capture_output=True, text=True, check=True).stdout)

    figures = {
        "institutions": args.institutions,
        "indicators": args.indicators,
        "draws": args.draws,
        "seed": args.seed,
        "naive_draws_timed": args.naive_draws,
        "naive_s": round(naive_s, 3),
        "loop_floor_s": round(loop_floor_s, 3),
        "vectorised_s": round(vectorised_s, 3),
        "ratio": round(naive_s / vectorised_s, 2),
        "ratio_floor": round(loop_floor_s / vectorised_s, 2),
        "peak_rss_mb": round(peak, 1),
        "large_draws": args.large_draws,
        "large_s": round(large["large_s"], 3),
        "large_peak_rss_mb": round(large["large_peak_rss_mb"], 1),
        "machine": machine(),
    }
    if args.json:
        print(json.dumps(figures, indent=2))
        return
    n, k, d = args.institutions, args.indicators, args.draws
    print(f"uncertainty {n:,} x {k} x {d:,} draws")
    print(f"  vectorised   {vectorised_s:8.3f} s   (target <= {TARGETS['vectorised_s']} s)")
    print(f"  engine loop  {naive_s:8.3f} s   (x{figures['ratio']} slower)")
    print(f"  numpy floor  {loop_floor_s:8.3f} s   (ratio {figures['ratio_floor']}, target >= 1.3)")
    print(
        f"  large {args.large_draws:,} draws {large['large_s']:.3f} s, peak RSS "
        f"{large['large_peak_rss_mb']:.0f} MB (targets <= 60 s, < 1024 MB)"
    )
    print(f"  peak RSS {peak:.0f} MB on {figures['machine']['cpu']}")


if __name__ == "__main__":
    main()
