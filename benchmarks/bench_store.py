"""Benchmark: the store (issue 15). Every figure is a whole process (interpreter, imports and
all) run as a user would, timed by wall clock, with its own peak resident memory (wait4).

    python benchmarks/bench_store.py [--seeds DIR] [--pg URL] [--skip-pg] [--skip-wide]
                                     [--repeats 5] [--json]

- load the seed world into DuckDB (<= 5 s, peak RSS < 600 MB) and PostgreSQL (<= 20 s);
- 1,000,000 observations from Parquet into DuckDB (<= 3 s);
- from the DuckDB store, best of ``--repeats``: ``palmares --help`` (<= 0.3 s); ``history``,
  ``highlights``, ``rank --top 20`` on the seed world (<= 0.6 s, < 250 MB), PostgreSQL
  (<= 0.8 s); the first (cold) run of each is reported beside the best one; a second
  ``highlights`` has ``cached: true`` on every fact; a ``highlights`` of another edition after
  ``history`` reads the tables history kept (no engine run), and so do ``highlights`` of other
  institutions (new answers on kept tables: <= 0.6 s DuckDB, 0.8 s PostgreSQL); ``network`` and
  ``communique --system letudiant`` first runs (< 250 MB); ``uncertainty --db`` (2,000 draws)
  first (draws, keeps the run) and second (``cached: true``, no draws);
- the 20,000 x 300 wide CSV: ``db load FILE --layout wide --bundle DIR`` (<= 10 s, < 1.5 GB)
  and ``rank`` from the store (<= 2 s).

Without ``--pg`` a temporary PostgreSQL server is started from the machine's binaries (as in
the tests) and stopped at the end.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
PALMARES = [sys.executable, "-c", "from palmares.cli import main; main()"]

TARGETS = {
    "load_seeds_duckdb_s": 5.0,
    "load_seeds_duckdb_rss_mb": 600.0,
    "load_seeds_postgresql_s": 20.0,
    "load_1m_parquet_duckdb_s": 3.0,
    "help_s": 0.3,
    "query_duckdb_s": 0.6,
    "query_rss_mb": 250.0,
    "query_postgresql_s": 0.8,
    "new_question_duckdb_s": 0.6,
    "new_question_postgresql_s": 0.8,
    "first_run_rss_mb": 250.0,
    "wide_load_s": 10.0,
    "wide_load_rss_mb": 1500.0,
    "wide_rank_s": 2.0,
}


#: CPU seconds (user + system) of each measured process, by the order they ran.
CPU: list[float] = []


#: Measured processes may write and read Python's bytecode cache, as an installed palmares
#: does (pip compiles it at install; a session with PYTHONDONTWRITEBYTECODE=1 would otherwise
#: compile every imported module from source in every process, 0.3-1 s each).
ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}

#: Modules the measured commands import, compiled once before anything is timed.
WARM_UP = (
    "import palmares.cli, palmares.history, palmares.highlights.facts, palmares.store.load, "
    "palmares.result_store, palmares.io, palmares.io.wide, palmares.engine, duckdb, psycopg, "
    "pyarrow.csv, pyarrow.parquet, rich.table, typer.rich_utils, rapidfuzz"
)


def run_measured(args: list[str]) -> tuple[float, float, str]:
    """(wall seconds, peak RSS MB, stdout) of one palmares process, which runs under
    ``/usr/bin/time`` for its own peak RSS and CPU time (kept in :data:`CPU`: on a shared,
    busy machine the CPU time is the steadier figure); fails on a non-zero exit."""
    timer = shutil.which("time") or "/usr/bin/time"
    started = time.perf_counter()
    process = subprocess.run(
        [timer, "-f", "%M %U %S", *PALMARES, *args],
        capture_output=True,
        stdin=subprocess.DEVNULL,
        check=False,
        env=ENV,
    )
    wall = time.perf_counter() - started
    if process.returncode:
        raise SystemExit(f"palmares {' '.join(args)} failed:\n{process.stderr.decode()[-2000:]}")
    rss_kb, user, system = process.stderr.decode().strip().splitlines()[-1].split()
    CPU.append(float(user) + float(system))
    return wall, float(rss_kb) / 1024, process.stdout.decode()


def best_of(args: list[str], repeats: int) -> dict[str, float]:
    runs = []
    cpu = []
    for _ in range(repeats):
        runs.append(run_measured(args))
        cpu.append(CPU[-1])
    return {
        "first_s": round(runs[0][0], 3),
        "best_s": round(min(r[0] for r in runs), 3),
        "first_cpu_s": round(cpu[0], 2),
        "best_cpu_s": round(min(cpu), 2),
        "peak_rss_mb": round(max(r[1] for r in runs), 1),
    }


def best_of_each(commands: list[list[str]]) -> dict[str, float]:
    """Like :func:`best_of`, over several different commands run once each."""
    runs = [run_measured(args) for args in commands]
    cpu = CPU[-len(runs) :]
    return {
        "first_s": round(runs[0][0], 3),
        "best_s": round(min(r[0] for r in runs), 3),
        "first_cpu_s": round(cpu[0], 2),
        "best_cpu_s": round(min(cpu), 2),
        "peak_rss_mb": round(max(r[1] for r in runs), 1),
    }


def other_institutions(seeds: Path, count: int) -> list[str]:
    """``count`` institutions of the letudiant 2024 edition other than imt-mines-ales."""
    import csv

    found: list[str] = []
    with (seeds / "observations.csv").open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            who = row["institution"]
            edition = (row["system"], row["year"]) == ("letudiant", "2024")
            if edition and who not in found and who != "imt-mines-ales":
                found.append(who)
            if len(found) == count:
                break
    return found


def once(args: list[str]) -> dict[str, float]:
    wall, rss, _ = run_measured(args)
    return {"s": round(wall, 3), "cpu_s": round(CPU[-1], 2), "peak_rss_mb": round(rss, 1)}


def seeds_bundle(folder: Path) -> Path:
    if not (folder / "observations.csv").exists():
        run_measured(["demo", "--world", "seeds", "--out", str(folder)])
    return folder


def parquet_million(folder: Path) -> Path:
    sys.path.insert(0, str(HERE))
    from bench_io import make_frames

    from palmares.dataset import Dataset
    from palmares.io import write_dataset

    target = folder / "million"
    if not target.exists():
        write_dataset(Dataset(make_frames(2000, 100, 5)), target, format="parquet")
    return target


def wide_inputs(folder: Path, rows: int = 20_000, columns: int = 300) -> tuple[Path, Path]:
    """A wide CSV of ``rows`` x ``columns`` indicators (4,000 institutions x 5 years) and the
    bundle giving its other tables."""
    import numpy as np

    from palmares.dataset import Dataset
    from palmares.io import write_dataset

    sys.path.insert(0, str(HERE))
    from bench_io import make_frames

    wide, bundle = folder / "wide.csv", folder / "wide-bundle"
    if wide.exists() and bundle.exists():
        return wide, bundle
    institutions = rows // 5
    frames = make_frames(institutions, columns, 5)
    obs = frames["observations"]
    frames["observations"] = obs.iloc[:0]
    write_dataset(Dataset(frames), bundle, force=True)
    rng = np.random.default_rng(1)
    leaves = sorted(set(obs["indicator"]))
    with wide.open("w", encoding="utf-8") as handle:
        handle.write("institution,system,year," + ",".join(leaves) + "\n")
        ids = sorted(set(obs["institution"]))
        years = sorted(set(obs["year"]))
        system = str(obs["system"].iloc[0])
        for inst in ids:
            for year in years:
                values = rng.uniform(0, 100, size=len(leaves)).round(2)
                cells = ",".join(repr(float(v)) for v in values)
                handle.write(f"{inst},{system},{year},{cells}\n")
    return wide, bundle


class _Progress(dict[str, Any]):
    """The figures, each also shown on stderr as soon as measured."""

    def __setitem__(self, key: str, value: Any) -> None:
        sys.stderr.write(f"{key}: {value}\n")
        super().__setitem__(key, value)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seeds", type=Path, help="the seed world bundle (made when absent)")
    parser.add_argument("--pg", help="a PostgreSQL URL (default: start a temporary server)")
    parser.add_argument("--skip-pg", action="store_true")
    parser.add_argument("--skip-wide", action="store_true")
    parser.add_argument(
        "--only-wide", action="store_true", help="only the wide CSV's load and rank"
    )
    parser.add_argument(
        "--wide-dir", type=Path, help="keep the wide inputs here (made when absent)"
    )
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--json", action="store_true")
    options = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="palmares-bench-store-"))
    server = None
    figures: dict[str, Any] = _Progress()
    figures |= {
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, {platform.python_version()}",
        "load_average": os.getloadavg()[0],
    }
    subprocess.run([sys.executable, "-c", WARM_UP], check=True, env=ENV)
    figures["bytecode"] = "cached (warmed once; PYTHONDONTWRITEBYTECODE unset when measuring)"
    try:
        if options.only_wide:
            _wide_figures(figures, options.wide_dir or work, work)
            return _report(figures, options.json)
        seeds = seeds_bundle(options.seeds or work / "seeds")
        store = str(work / "seeds.duckdb")
        figures["load_seeds_duckdb"] = once(["db", "load", str(seeds), "--db", store])
        million = parquet_million(work)
        figures["load_1m_parquet_duckdb"] = once(
            ["db", "load", str(million), "--db", str(work / "m.duckdb")]
        )
        figures["help"] = best_of(["--help"], options.repeats)
        queries = {
            "history": ["history", "imt-mines-ales", "--system", "letudiant", "--json"],
            "highlights": [
                "highlights",
                "imt-mines-ales",
                "--system",
                "letudiant",
                "--edition",
                "2024",
                "--json",
            ],
            "rank_top20": [
                "rank",
                "--system",
                "letudiant",
                "--edition",
                "2024",
                "--top",
                "20",
                "--json",
            ],
            "network": ["network", "imt", "--system", "letudiant", "--edition", "2024", "--json"],
        }
        backends = {"duckdb": store}
        if not options.skip_pg:
            url = options.pg
            if url is None:
                sys.path.insert(0, str(ROOT / "tests"))
                from store.postgres import start_server

                server = start_server()
                url = server.url
            figures["load_seeds_postgresql"] = once(
                ["db", "load", str(seeds), "--db", url, "--replace"]
            )
            backends["postgresql"] = url
        for backend, db in backends.items():
            # First runs: nothing kept (the store's cache cleared before each), the engine runs.
            release = ["communique", "imt-mines-ales", "--system", "letudiant"]
            release += ["--edition", "2024", "--out", str(work / "first.md"), "--force", "--json"]
            for name, args in [*queries.items(), ("communique", release)]:
                run_measured(["db", "clear-cache", "--db", db])
                figures[f"first_{name}_{backend}"] = once([*args, "--db", db])
            run_measured(["db", "clear-cache", "--db", db])
            for name, args in queries.items():
                figures[f"{name}_{backend}"] = best_of([*args, "--db", db], options.repeats)
            _, _, out = run_measured([*queries["highlights"], "--db", db])
            facts = json.loads(out)
            figures[f"highlights_cached_{backend}"] = bool(facts) and all(
                f.get("cached") is True for f in facts
            )
            # A new question on editions history computed: the kept tables, no engine run.
            other = [*queries["highlights"][:-2], "2023", "--json", "--db", db]
            figures[f"highlights_2023_after_history_{backend}"] = once(other)
            # New questions on a kept edition: other institutions' highlights (each a new
            # answer, read from the kept tables), best of ``--repeats``.
            figures[f"highlights_other_institutions_{backend}"] = best_of_each(
                [
                    ["highlights", who, *queries["highlights"][2:], "--db", db]
                    for who in other_institutions(seeds, options.repeats)
                ]
            )
            communique = work / f"communique-{backend}.md"  # on the kept tables
            release[release.index("--out") + 1] = str(communique)
            figures[f"communique_{backend}"] = once([*release, "--db", db])
            # uncertainty --db: the first call draws and keeps the run; the second reads it.
            drawn = ["uncertainty", "--system", "letudiant", "--edition", "2024"]
            drawn += ["--draws", "2000", "--seed", "0", "--json", "--db", db]
            figures[f"uncertainty_first_{backend}"] = once(drawn)
            wall, rss, out = run_measured(drawn)
            figures[f"uncertainty_second_{backend}"] = {
                "s": round(wall, 3),
                "cpu_s": round(CPU[-1], 2),
                "peak_rss_mb": round(rss, 1),
                "cached": json.loads(out).get("cached"),
            }
        for name, args in queries.items():
            figures[f"{name}_data"] = best_of([*args, "--data", str(seeds)], 1)
        if not options.skip_wide:
            _wide_figures(figures, options.wide_dir or work, work)
    finally:
        if server is not None:
            server.stop()
        shutil.rmtree(work, ignore_errors=True)
    figures["load_average_end"] = os.getloadavg()[0]
    _report(figures, options.json)


def _wide_figures(figures: dict[str, Any], inputs: Path, work: Path) -> None:
    """The 20,000 x 300 wide CSV: its load, then a first ``rank`` from that store."""
    inputs.mkdir(parents=True, exist_ok=True)
    wide, bundle = wide_inputs(inputs)
    wide_store = str(work / "wide.duckdb")
    load_args = ["db", "load", str(wide), "--layout", "wide", "--bundle", str(bundle)]
    figures["wide_load"] = once([*load_args, "--db", wide_store])
    figures["load_average_after_wide_load"] = os.getloadavg()[0]
    method = work / "wide.toml"
    method.write_text(WIDE_METHOD, encoding="utf-8")
    rank_args = ["rank", "--method", str(method), "--edition", "2024", "--top", "20"]
    figures["wide_rank"] = once([*rank_args, "--db", wide_store, "--json"])


def _report(figures: dict[str, Any], as_json: bool) -> None:
    figures["targets"] = TARGETS
    if as_json:
        print(json.dumps(figures, indent=2))
    else:
        for key, value in figures.items():
            print(f"{key:<28} {value}")


WIDE_METHOD = """\
[methodology]
id = "bench-wide"
system = "bench"
version = "1"
label_en = "wide benchmark"
editions = { from = 2020 }

[[steps]]
type = "normalise"
method = "minmax"
range = [0, 100]

[[steps]]
type = "aggregate"
method = "arithmetic"

[ranking]
rank_on = "unrounded"
"""

if __name__ == "__main__":
    main()
