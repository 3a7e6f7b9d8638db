"""Benchmark: every preset of the seeds' systems on every edition the demo world holds.

    python benchmarks/bench_presets.py [--seed 0] [--repeat 3] [--json]

For u-multirank (2016-2022), letudiant (2016-2024) and the-impact (2019-2024), runs the preset
on each edition of the demo world (generated in memory, then hashed once, so the figures are
the engine's) and reports the best of ``--repeat`` wall times per edition, with the field size
and, for the-impact, the number of submitters and the time to build every per-SDG table. Also
times a personalised re-ranking per system (a readymade set, a criteria subset with a filter).
Target: under 2 s per edition.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from collections.abc import Callable, Sequence
from functools import partial
from typing import Any

from palmares.demo import generate
from palmares.engine import run
from palmares.io import data_hash

PRESETS = ("u-multirank", "letudiant", "the-impact")
TARGET_S = 2.0


def best_of(repeat: int, fn: Callable[[], Any]) -> tuple[float, Any]:
    best, out = float("inf"), None
    for _ in range(repeat):
        start = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - start)
    return best, out


def sdg_tables(result: Any, sdgs: Sequence[str]) -> list[Any]:
    return [result.node_table(node) for node in sdgs]


def measure(seed: int, repeat: int) -> dict[str, Any]:
    start = time.perf_counter()
    ds = generate(seed=seed)
    generated = time.perf_counter() - start
    start = time.perf_counter()
    digest = data_hash(ds)
    hashed = time.perf_counter() - start
    rows = []
    for preset in PRESETS:
        for year in ds.edition_years(preset):
            seconds, result = best_of(repeat, partial(run, ds, preset, year, data_hash=digest))
            row: dict[str, Any] = {
                "preset": preset,
                "edition": year,
                "methodology": result.methodology.methodology.version,
                "seconds": round(seconds, 4),
                "field_size": result.field_size,
                "ok": seconds < TARGET_S,
            }
            if preset == "the-impact":
                sdgs = list(result.tree.children(result.tree.roots[0]))
                tables_s, _ = best_of(repeat, partial(sdg_tables, result, sdgs))
                row["submitters"] = result.submitters
                row["sdg_tables_seconds"] = round(tables_s, 4)
            if preset == "u-multirank":
                mine_s, _ = best_of(
                    repeat, partial(result.personalise, ["international-orientation"])
                )
                row["readymade_seconds"] = round(mine_s, 4)
            if preset == "letudiant":
                mine_s, _ = best_of(
                    repeat,
                    partial(
                        result.personalise, ["letudiant.companies"], where={"intake": "post-bac"}
                    ),
                )
                row["dynamic_seconds"] = round(mine_s, 4)
            rows.append(row)
    return {
        "machine": {
            "cpu": platform.processor() or platform.machine(),
            "cores": os.cpu_count(),
            "python": platform.python_version(),
        },
        "seed": seed,
        "repeat": repeat,
        "generate_seconds": round(generated, 3),
        "data_hash_seconds": round(hashed, 3),
        "target_seconds_per_edition": TARGET_S,
        "max_seconds": max(r["seconds"] for r in rows),
        "all_ok": all(r["ok"] for r in rows),
        "editions": rows,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--json", action="store_true", help="print one JSON document")
    args = parser.parse_args(argv)
    report = measure(args.seed, max(1, args.repeat))
    if args.json:
        sys.stdout.write(json.dumps(report, indent=2) + "\n")
        return 0
    print(
        f"demo world seed {args.seed}: generated in {report['generate_seconds']} s, "
        f"hashed in {report['data_hash_seconds']} s"
    )
    for row in report["editions"]:
        extra = ", ".join(
            f"{k} {row[k]}"
            for k in ("submitters", "sdg_tables_seconds", "readymade_seconds", "dynamic_seconds")
            if k in row
        )
        print(
            f"{row['preset']:<12} {row['edition']}  {row['seconds'] * 1000:8.1f} ms  "
            f"field {row['field_size']:>5}  {extra}"
        )
    print(f"slowest edition: {report['max_seconds']} s (target < {TARGET_S} s)")
    return 0 if report["all_ok"] else 1


if __name__ == "__main__":
    raise SystemExit(main())
