"""The personalised route's server CPU per request, robust on a shared, loaded machine.

    python benchmarks/bench_api_cpu.py [--tree NAME=PATH ...] [--rounds 8] [--requests 200]

Latency under load depends on whatever else runs on the machine; the CPU time the server
process spends per answer does much less. Each tree (a checkout of palmares: its ``src`` is put
first on ``PYTHONPATH``; default: this one) builds its own demo store (seed 0) and is served
by ``palmares serve`` (one worker, DuckDB) on loopback. One sequential client then sends
``--requests`` personalised requests of U-Multirank 2022 (new weights each, the same seeded
series for every tree) per round, the trees ALTERNATED round after round, and reads the
server's user + system CPU time (``/proc/<pid>/stat``) before and after each round. Reported:
the median and spread of the rounds' CPU per request, per tree, and the ratio to the first.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
DIMENSIONS = ("research", "teaching", "international", "regional", "transfer")
TICKS = os.sysconf("SC_CLK_TCK")


def process_times(pid: int) -> tuple[float, float, int]:
    """User and system CPU seconds of process ``pid`` so far, and its minor page faults
    (fields 14, 15 and 10 of its stat)."""
    stat = Path(f"/proc/{pid}/stat").read_text()
    fields = stat[stat.rindex(")") + 2 :].split()
    return int(fields[11]) / TICKS, int(fields[12]) / TICKS, int(fields[7])


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of process ``pid`` so far."""
    user, system, _ = process_times(pid)
    return user + system


def tree_env(tree: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("PALMARES_DB", "PALMARES_DATA")}
    env["PYTHONPATH"] = str(tree / "src")
    return env


def build_store(tree: Path, db: Path) -> None:
    """The demo world (seed 0) in a DuckDB store written by the tree's own code."""
    code = (
        "import sys; from palmares.demo import generate; from palmares.store import open_store\n"
        "with open_store(sys.argv[1], write=True) as s: s.load(generate(0))"
    )
    subprocess.run(
        [sys.executable, "-c", code, str(db)], env=tree_env(tree), check=True, cwd=str(tree)
    )


@contextmanager
def serving(tree: Path, db: Path) -> Iterator[tuple[str, int]]:
    """``palmares serve`` of ``tree`` on ``db`` (one worker): its URL and process id."""

    sys.path.insert(0, str(ROOT / "tests"))
    from api.served import answering, free_port

    port = free_port()
    command = [sys.executable, "-c", "from palmares.cli import main; main()", "serve"]
    options = ["--db", str(db), "--port", str(port), "--workers", "1", "--log-level", "warning"]
    process = subprocess.Popen(
        [*command, *options],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=tree_env(tree),
        cwd=str(tree),
        start_new_session=True,
    )
    with answering(process, f"http://127.0.0.1:{port}", f"{tree}: palmares serve") as url:
        yield url, process.pid


def bodies(n: int, seed: int) -> list[bytes]:
    """``n`` personalised requests with new weights each (the same series for every tree)."""
    rng = random.Random(seed)
    out = []
    for _ in range(n):
        weights = {f"u-multirank.{d}": round(rng.random() * 4, 4) for d in DIMENSIONS}
        document = {"system": "u-multirank", "edition": 2022, "weights": weights, "filters": {}}
        out.append(json.dumps(document).encode())
    return out


@dataclass
class Round:
    """One round's server costs per request: CPU (user + system), system alone, minor page
    faults; and the last answer's size."""

    cpu_ms: float
    system_ms: float
    faults: float
    answer_bytes: int


def costs(pid: int, before: tuple[float, float, int], requests: int, size: int) -> Round:
    user, system, faults = process_times(pid)
    per = 1000 / max(requests, 1)
    return Round(
        cpu_ms=(user + system - before[0] - before[1]) * per,
        system_ms=(system - before[1]) * per,
        faults=(faults - before[2]) / max(requests, 1),
        answer_bytes=size,
    )


def one_round(http: Any, pid: int, requests: list[bytes]) -> Round:
    """The server's costs per request over ``requests`` sent one after the other."""
    headers = {"content-type": "application/json"}
    before = process_times(pid)
    size = 0
    for body in requests:
        answer = http.post("/api/v1/personalise", content=body, headers=headers)
        answer.raise_for_status()
        size = len(answer.content)
    return costs(pid, before, len(requests), size)


def wrk_round(url: str, pid: int, seconds: int, connections: int) -> Round:
    """The server's costs per request under ``wrk`` (bench_api.py's personalise scenario,
    ``connections`` connections at once)."""
    from bench_api import LUA_PERSONALISE, run_wrk

    before = process_times(pid)
    figures = run_wrk("wrk", url, LUA_PERSONALISE, seconds, connections)
    if figures["errors"]:
        raise RuntimeError(f"{url}: {figures['errors']} errors under wrk")
    return costs(pid, before, int(figures["requests"]), 0)


def summary(rounds: list[Round], first: list[Round]) -> dict[str, Any]:
    cpu = [r.cpu_ms for r in rounds]
    return {
        "cpu_ms_per_request_median": round(statistics.median(cpu), 3),
        "cpu_ms_per_request_min": round(min(cpu), 3),
        "cpu_ms_per_request_max": round(max(cpu), 3),
        "system_ms_per_request_median": round(statistics.median(r.system_ms for r in rounds), 3),
        "minor_faults_per_request_median": round(statistics.median(r.faults for r in rounds), 1),
        # Round by round (the same load on every tree): robust to the machine's drift.
        "paired_ratio_to_first": round(
            statistics.median(r.cpu_ms / f.cpu_ms for r, f in zip(rounds, first, strict=True)), 3
        ),
        "answer_bytes": max(r.answer_bytes for r in rounds),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--tree",
        action="append",
        default=[],
        help="NAME=PATH of a palmares checkout (repeat; default: this one)",
    )
    parser.add_argument("--rounds", type=int, default=8)
    parser.add_argument("--requests", type=int, default=200, help="requests per round")
    parser.add_argument(
        "--wrk-seconds",
        type=int,
        default=0,
        help="drive each round with wrk (bench_api.py's personalise scenario) for this many "
        "seconds instead of the sequential client",
    )
    parser.add_argument("--connections", type=int, default=8, help="wrk connections")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()

    import httpx

    sys.path.insert(0, str(ROOT / "benchmarks"))
    from bench_api import warm

    trees = dict(t.split("=", 1) for t in args.tree) or {"this": str(ROOT)}
    rounds: dict[str, list[Round]] = {name: [] for name in trees}
    with tempfile.TemporaryDirectory(prefix="palmares-bench-api-cpu-") as tmp, ExitStack() as stack:
        servers = {}
        for name, path in trees.items():
            db = Path(tmp) / f"{name}.duckdb"
            build_store(Path(path), db)
            url, pid = stack.enter_context(serving(Path(path), db))
            http = stack.enter_context(httpx.Client(base_url=url, timeout=300))
            # Warm as bench_api.py does (the edition, ranking pages, profiles and highlights
            # computed once and kept: what the server holds may change its costs too).
            warm(url)
            one_round(http, pid, bodies(50, seed=-1))
            servers[name] = (url, http, pid)
        for k in range(args.rounds):
            series = bodies(args.requests, seed=k)
            # Alternate, and swap the order every round: drift in the machine's load falls
            # on every tree alike.
            order = list(servers) if k % 2 == 0 else list(reversed(servers))
            for name in order:
                url, http, pid = servers[name]
                if args.wrk_seconds:
                    rounds[name].append(wrk_round(url, pid, args.wrk_seconds, args.connections))
                else:
                    rounds[name].append(one_round(http, pid, series))
            print(
                f"round {k + 1}: "
                + ", ".join(f"{n} {rounds[n][-1].cpu_ms:.3f} ms" for n in servers)
                + f"  (load {os.getloadavg()[0]:.1f})",
                file=sys.stderr,
            )
    first = rounds[next(iter(trees))]
    report = {name: summary(values, first) for name, values in rounds.items()}
    if args.json:
        print(json.dumps(report, indent=2))
        return
    for name, f in report.items():
        print(
            f"{name:10s} server CPU per request: median {f['cpu_ms_per_request_median']:.3f} ms "
            f"(min {f['cpu_ms_per_request_min']:.3f}, max {f['cpu_ms_per_request_max']:.3f}; "
            f"system {f['system_ms_per_request_median']:.3f}), "
            f"paired x{f['paired_ratio_to_first']:.3f}, "
            f"{f['minor_faults_per_request_median']:.1f} page faults, "
            f"answer {f['answer_bytes']} bytes"
        )


if __name__ == "__main__":
    main()
