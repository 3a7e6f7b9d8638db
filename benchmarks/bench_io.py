"""Benchmark: load 1,000,000 observations with every validation check, and the edition matrix.

2,000 institutions x 100 indicators x 5 editions. Each load runs in a fresh subprocess, so peak
resident memory is that of one load of one format (interpreter and libraries included); the time
is the best of ``--repeats`` such loads.

    python benchmarks/bench_io.py [--institutions 2000] [--indicators 100] [--editions 5] [--json]

Targets (issue 2): Parquet < 1 s, CSV < 3 s, peak RSS < 600 MB, matrix 2,000 x 100 < 20 ms.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

TARGETS = {"parquet_s": 1.0, "csv_s": 3.0, "peak_rss_mb": 600.0, "matrix_ms": 20.0}
SYSTEM = "bench"


def make_frames(
    institutions: int, indicators: int, editions: int, seed: int = 0
) -> dict[str, pd.DataFrame]:
    """A synthetic bundle: every institution observed on every leaf in every edition."""
    rng = np.random.default_rng(seed)
    inst_ids = np.array([f"inst-{i:05d}" for i in range(institutions)], dtype=object)
    leaf_ids = np.array([f"ind-{j:03d}" for j in range(indicators)], dtype=object)
    years = np.arange(2020, 2020 + editions)
    countries = np.array(["FR", "DE", "NA", "US", "JP", "BR"], dtype=object)
    n = institutions * indicators * editions
    year_col = np.repeat(years, institutions * indicators)
    inst_col = np.tile(np.repeat(inst_ids, indicators), editions)
    ind_col = np.tile(leaf_ids, institutions * editions)
    values = rng.normal(50.0, 15.0, n).round(3)
    status = np.where(rng.random(n) < 0.05, "missing", "reported").astype(object)
    values[status == "missing"] = np.nan
    return {
        "institutions": pd.DataFrame(
            {
                "id": inst_ids,
                "name": [f"Université {i}" for i in range(institutions)],
                "country": countries[np.arange(institutions) % len(countries)],
            }
        ),
        "indicators": pd.DataFrame(
            {
                "id": [SYSTEM, *leaf_ids],
                "label_en": ["Bench", *leaf_ids],
                "label_fr": ["Banc", *leaf_ids],
                "parent": [None, *([SYSTEM] * indicators)],
                "direction": [None, *(["higher", "lower"] * indicators)[:indicators]],
            }
        ),
        "editions": pd.DataFrame({"system": SYSTEM, "year": years}),
        "observations": pd.DataFrame(
            {
                "institution": inst_col,
                "indicator": ind_col,
                "system": SYSTEM,
                "year": year_col,
                "value": values,
                "status": status,
            }
        ),
    }


def _peak_rss_kb() -> float:
    """Peak resident memory of this process image.

    ``ru_maxrss`` survives ``exec`` and so would count the parent's memory copied at fork;
    Linux's VmHWM belongs to the new image only.
    """
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return float(line.split()[1])
    except OSError:
        pass
    return float(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)


def child(path: str) -> None:
    """Load ``path`` once in this fresh process; print seconds and peak RSS as JSON."""
    from palmares.io import read_dataset

    start = time.perf_counter()
    ds = read_dataset(path)
    seconds = time.perf_counter() - start
    peak_kb = _peak_rss_kb()
    rows = len(ds.table("observations"))
    print(json.dumps({"seconds": seconds, "peak_rss_mb": peak_kb / 1024, "observations": rows}))


def _measure(path: Path, repeats: int) -> dict[str, float]:
    """Best load time and the largest peak RSS over ``repeats`` fresh processes."""
    runs = []
    for _ in range(repeats):
        result = subprocess.run(
            [sys.executable, __file__, "--child", str(path)],
            check=True,
            capture_output=True,
            text=True,
        )
        runs.append(json.loads(result.stdout.strip().splitlines()[-1]))
    return {
        "seconds": min(r["seconds"] for r in runs),
        "peak_rss_mb": max(r["peak_rss_mb"] for r in runs),
    }


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--institutions", type=int, default=2000)
    parser.add_argument("--indicators", type=int, default=100)
    parser.add_argument("--editions", type=int, default=5)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child)
        return

    from palmares.dataset import Dataset
    from palmares.io import write_dataset

    dataset = Dataset.from_frames(make_frames(args.institutions, args.indicators, args.editions))
    n = len(dataset.table("observations"))
    results: dict[str, float] = {}
    with tempfile.TemporaryDirectory(prefix="palmares-bench-") as tmp:
        for fmt in ("parquet", "csv"):
            path = Path(tmp) / fmt
            write_dataset(dataset, path, format=fmt)  # type: ignore[arg-type]
            measured = _measure(path, args.repeats)
            results[f"{fmt}_s"] = measured["seconds"]
            results[f"{fmt}_peak_rss_mb"] = measured["peak_rss_mb"]
    results["peak_rss_mb"] = max(results["parquet_peak_rss_mb"], results["csv_peak_rss_mb"])
    year = int(dataset.edition_years(SYSTEM)[-1])
    timings = []
    for _ in range(20):
        start = time.perf_counter()
        matrix = dataset.matrix(SYSTEM, year)
        _ = matrix.mask
        timings.append(time.perf_counter() - start)
    results["matrix_ms"] = min(timings) * 1000
    shape = matrix.shape
    machine = {
        "cpu": _cpu_model(),
        "cores": os.cpu_count(),
        "python": platform.python_version(),
        "platform": platform.platform(),
    }
    if args.json:
        document = {
            "benchmark": "io",
            "observations": n,
            "institutions": args.institutions,
            "indicators": args.indicators,
            "editions": args.editions,
            "matrix_shape": list(shape),
            "results": results,
            "targets": TARGETS,
            "meets_targets": {k: results[k] < v for k, v in TARGETS.items()},
            "machine": machine,
        }
        print(json.dumps(document, indent=2))
        return
    print(f"{n:,} observations; machine: {machine['cpu']}, {machine['cores']} cores")
    lines = (
        ("load Parquet, every check", results["parquet_s"], "s", TARGETS["parquet_s"]),
        ("load CSV, every check", results["csv_s"], "s", TARGETS["csv_s"]),
        ("peak RSS (Parquet run)", results["parquet_peak_rss_mb"], "MB", TARGETS["peak_rss_mb"]),
        ("peak RSS (CSV run)", results["csv_peak_rss_mb"], "MB", TARGETS["peak_rss_mb"]),
        (f"matrix {shape[0]} x {shape[1]}", results["matrix_ms"], "ms", TARGETS["matrix_ms"]),
    )
    for label, value, unit, target in lines:
        verdict = "ok" if value < target else "OVER"
        print(f"{label:<28} {value:9.3f} {unit:<2}  target < {target:g} {unit}  {verdict}")


if __name__ == "__main__":
    main()
