"""HTTP API under load, on loopback only (issue 16's targets; figures in docs/benchmarks.md).

    python benchmarks/bench_api.py [--duration 10] [--connections 8] [--skip-postgres] [--json]

Serves the demo world with ``palmares serve`` (a DuckDB store, one worker; then a PostgreSQL
store, two workers) and drives it with Debian's ``wrk`` (installed here with apt-get when it is
missing and we are root), so the load generator is not the bottleneck: one C thread per core,
new weights in every personalised request (Lua). Each scenario is bounded in time; every
answer's ``Server-Timing`` is collected to report the server's own time beside the end-to-end
latency. Without wrk, a multi-process Python client takes its place (and says so).

Scenarios: personalised ranking of U-Multirank 2022 (about 2,000 institutions), a ranking
page of 50 rows, an institution profile and its highlights (computed once, then kept).
Targets: personalise p95 <= 50 ms end to end and server p95 <= 15 ms with 0 errors; profile +
highlights server p95 <= 40 ms; ranking page server p95 <= 15 ms; PostgreSQL with 2 workers
within 1.5x of DuckDB.
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

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))  # tests/api/served.py, tests/store/postgres.py

INSTITUTIONS = (
    "fr-mines-rodez",
    "fr-mines-epinal",
    "fr-mines-valence",
    "fr-gnacbouet-tarbes",
    "fr-lansarrail-lorient",
    "de-migarzan-berlin",
    "nl-marfen-delft",
    "it-aldan-florence",
)

LUA_COMMON = r"""
timings = {}
function response(status, headers, body)
  local st = headers["Server-Timing"] or headers["server-timing"]
  if st then
    local d = string.match(st, "dur=([%d%.]+)")
    if d then timings[#timings + 1] = tonumber(d) end
  end
  if status >= 400 then bad = (bad or 0) + 1 end
end
local threads = {}
function setup(thread) threads[#threads + 1] = thread end
function done(summary, latency, requests)
  local all = {}
  local bad_total = 0
  for _, t in ipairs(threads) do
    for _, v in ipairs(t:get("timings")) do all[#all + 1] = v end
    bad_total = bad_total + (t:get("bad") or 0)
  end
  table.sort(all)
  local function pct(p)
    if #all == 0 then return -1 end
    return all[math.max(1, math.ceil(#all * p / 100))]
  end
  local e = summary.errors
  io.write(string.format(
    'WRKJSON {"requests": %d, "seconds": %.3f, "p50_ms": %.3f, "p95_ms": %.3f, ' ..
    '"p99_ms": %.3f, "server_p50_ms": %.3f, "server_p95_ms": %.3f, "errors": %d}\n',
    summary.requests, summary.duration / 1e6, latency:percentile(50) / 1000,
    latency:percentile(95) / 1000, latency:percentile(99) / 1000, pct(50), pct(95),
    e.connect + e.read + e.write + e.status + e.timeout + bad_total))
end
"""

LUA_PERSONALISE = r"""
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
math.randomseed(os.time() + math.floor(os.clock() * 1000000))
local dims = {"research", "teaching", "international", "regional", "transfer"}
function request()
  local parts = {}
  for i, d in ipairs(dims) do
    parts[i] = string.format('"u-multirank.%s": %.4f', d, math.random() * 4)
  end
  local body = '{"system": "u-multirank", "edition": 2022, "weights": {' ..
    table.concat(parts, ", ") .. '}, "filters": {}}'
  return wrk.format("POST", "/api/v1/personalise", nil, body)
end
"""

LUA_RANKING = r"""
local n = 0
function request()
  n = n + 1
  local path = string.format(
    "/api/v1/systems/u-multirank/editions/2022/ranking?view=producer&per_page=50&page=%d",
    (n % 40) + 1)
  return wrk.format("GET", path)
end
"""

LUA_PROFILE = (
    "local ids = {"
    + ", ".join(f'"{i}"' for i in INSTITUTIONS)
    + "}\n"
    + r"""
local n = 0
function request()
  n = n + 1
  local id = ids[(n % #ids) + 1]
  if n % 2 == 0 then
    return wrk.format("GET", "/api/v1/institutions/" .. id)
  end
  return wrk.format("GET", "/api/v1/institutions/" .. id ..
    "/highlights?system=the-impact&edition=2024&lang=fr")
end
"""
)

SCENARIOS = {
    "personalise": LUA_PERSONALISE,
    "ranking_page": LUA_RANKING,
    "profile_highlights": LUA_PROFILE,
}


def ensure_wrk() -> str | None:
    """Debian's wrk: already there, or installed with apt-get when we are root."""
    found = shutil.which("wrk")
    if found or os.geteuid() != 0 or not shutil.which("apt-get"):
        return found
    print("installing wrk (apt-get install -y wrk)", file=sys.stderr)
    quiet = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL}
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    if subprocess.run(
        ["apt-get", "install", "-y", "wrk"], env=env, check=False, **quiet
    ).returncode:
        subprocess.run(["apt-get", "update"], env=env, check=False, **quiet)
        subprocess.run(["apt-get", "install", "-y", "wrk"], env=env, check=False, **quiet)
    return shutil.which("wrk")


def run_wrk(wrk: str, url: str, script: str, duration: int, connections: int) -> dict[str, Any]:
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as handle:
        handle.write(script + LUA_COMMON)
        path = handle.name
    try:
        out = subprocess.run(
            [
                wrk,
                "-t",
                "2",
                "-c",
                str(connections),
                "-d",
                f"{duration}s",
                "--timeout",
                "10s",
                "-s",
                path,
                url,
            ],
            capture_output=True,
            text=True,
            timeout=duration + 60,
            check=True,
        )
    finally:
        os.unlink(path)
    line = next(x for x in out.stdout.splitlines() if x.startswith("WRKJSON "))
    figures: dict[str, Any] = json.loads(line[len("WRKJSON ") :])
    figures["throughput_rps"] = round(figures["requests"] / figures["seconds"], 1)
    figures["generator"] = "wrk"
    return figures


def _python_client(args: tuple[str, str, float, int]) -> tuple[list[float], list[float], int]:
    import random

    import httpx

    url, scenario, seconds, seed = args
    rng = random.Random(seed)
    total: list[float] = []
    server: list[float] = []
    errors = 0
    with httpx.Client(base_url=url, timeout=10) as http:
        end = time.monotonic() + seconds
        n = 0
        while time.monotonic() < end:
            n += 1
            start = time.perf_counter()
            if scenario == "personalise":
                dims = ("research", "teaching", "international", "regional", "transfer")
                weights = {f"u-multirank.{d}": rng.random() * 4 for d in dims}
                body = {"system": "u-multirank", "edition": 2022, "weights": weights}
                answer = http.post("/api/v1/personalise", json=body)
            elif scenario == "ranking_page":
                answer = http.get(
                    "/api/v1/systems/u-multirank/editions/2022/ranking"
                    f"?view=producer&per_page=50&page={n % 40 + 1}"
                )
            else:
                who = INSTITUTIONS[n % len(INSTITUTIONS)]
                path = f"/api/v1/institutions/{who}"
                if n % 2:
                    path += "/highlights?system=the-impact&edition=2024&lang=fr"
                answer = http.get(path)
            total.append((time.perf_counter() - start) * 1000)
            timing = answer.headers.get("server-timing", "")
            if "dur=" in timing:
                server.append(float(timing.split("dur=")[1]))
            errors += answer.status_code >= 400
    return total, server, errors


def run_python(url: str, scenario: str, duration: int, connections: int) -> dict[str, Any]:
    import multiprocessing

    import numpy as np

    jobs = [(url, scenario, float(duration), k) for k in range(connections)]
    with multiprocessing.get_context("spawn").Pool(connections) as pool:
        parts = pool.map(_python_client, jobs)
    total = np.concatenate([np.asarray(p[0]) for p in parts])
    server = np.concatenate([np.asarray(p[1]) for p in parts])
    return {
        "requests": int(total.size),
        "seconds": float(duration),
        "p50_ms": round(float(np.percentile(total, 50)), 3),
        "p95_ms": round(float(np.percentile(total, 95)), 3),
        "p99_ms": round(float(np.percentile(total, 99)), 3),
        "server_p50_ms": round(float(np.percentile(server, 50)), 3),
        "server_p95_ms": round(float(np.percentile(server, 95)), 3),
        "errors": int(sum(p[2] for p in parts)),
        "throughput_rps": round(total.size / duration, 1),
        "generator": f"python x{connections} processes",
    }


def warm(url: str) -> None:
    """Compute once what the scenarios read (tables, highlights): they are kept after that."""
    from concurrent.futures import ThreadPoolExecutor

    import httpx

    def one_round(_: int) -> None:
        # A new connection each round: connections spread over the workers, and each worker
        # keeps its own computed answers; parallel rounds reach every worker.
        with httpx.Client(base_url=url, timeout=300) as http:
            http.post("/api/v1/personalise", json={"system": "u-multirank", "edition": 2022})
            http.get("/api/v1/systems/u-multirank/editions/2022/ranking?view=producer")
            for who in INSTITUTIONS:
                http.get(f"/api/v1/institutions/{who}")
                http.get(
                    f"/api/v1/institutions/{who}/highlights?system=the-impact&edition=2024&lang=fr"
                )

    with ThreadPoolExecutor(8) as pool:
        list(pool.map(one_round, range(16)))


def server_cpu_seconds(pid: int) -> float:
    """User + system CPU time of the server and its worker processes so far."""
    import psutil

    root = psutil.Process(pid)
    total = 0.0
    for process in (root, *root.children(recursive=True)):
        try:
            times = process.cpu_times()
        except psutil.NoSuchProcess:
            continue
        total += times.user + times.system
    return total


def measure(url: str, pid: int, duration: int, connections: int, wrk: str | None) -> dict[str, Any]:
    warm(url)
    out = {}
    for name, script in SCENARIOS.items():
        before = server_cpu_seconds(pid)
        if wrk:
            out[name] = run_wrk(wrk, url, script, duration, connections)
        else:
            out[name] = run_python(url, name, duration, connections)
        spent = server_cpu_seconds(pid) - before
        # The server's CPU per answer: what the code costs, whatever else shares the machine
        # (the end-to-end latencies above depend on that load too).
        out[name]["server_cpu_ms_per_request"] = round(
            spent * 1000 / max(out[name]["requests"], 1), 3
        )
        out[name]["load_average"] = [round(x, 2) for x in os.getloadavg()]
        print(f"  {name}: {out[name]}", file=sys.stderr)
    return out


def machine() -> dict[str, Any]:
    return {
        "cpu_count": os.cpu_count(),
        "processor": platform.processor() or platform.machine(),
        "python": platform.python_version(),
        "system": platform.system(),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=int, default=10, help="seconds per scenario")
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--skip-postgres", action="store_true")
    parser.add_argument(
        "--duckdb-workers", type=int, default=1, help="worker processes on the DuckDB store"
    )
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()

    from api.served import serving

    from palmares.demo import generate
    from palmares.store import open_store

    wrk = ensure_wrk()
    if wrk is None:
        print("wrk not available: a multi-process Python client drives the load", file=sys.stderr)
    world = generate(0)
    report: dict[str, Any] = {"machine": machine(), "connections": args.connections}
    with tempfile.TemporaryDirectory(prefix="palmares-bench-api-") as tmp:
        db = str(Path(tmp) / "demo.duckdb")
        with open_store(db, write=True) as store:
            store.load(world)
        print(f"duckdb, {args.duckdb_workers} worker(s)", file=sys.stderr)
        with serving(db, workers=args.duckdb_workers) as (url, pid):
            report["duckdb_1_worker"] = measure(url, pid, args.duration, args.connections, wrk)
        report["duckdb_workers"] = args.duckdb_workers
    if not args.skip_postgres:
        from store.postgres import server_binaries, start_server

        if server_binaries() is None and os.geteuid() == 0 and shutil.which("apt-get"):
            print("installing PostgreSQL (apt-get install -y postgresql)", file=sys.stderr)
            env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
            quiet = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL}
            subprocess.run(["apt-get", "update"], env=env, check=False, **quiet)
            subprocess.run(
                ["apt-get", "install", "-y", "postgresql"], env=env, check=False, **quiet
            )
        server = start_server()
        try:
            with open_store(server.url, write=True) as store:
                store.load(world)
            print("postgresql, 2 workers", file=sys.stderr)
            with serving(server.url, workers=2) as (url, pid):
                report["postgresql_2_workers"] = measure(
                    url, pid, args.duration, args.connections, wrk
                )
        finally:
            server.stop()
    duck = report["duckdb_1_worker"]
    checks = {
        "personalise_p95_le_50ms": duck["personalise"]["p95_ms"] <= 50,
        "personalise_server_p95_le_15ms": duck["personalise"]["server_p95_ms"] <= 15,
        "personalise_no_errors": duck["personalise"]["errors"] == 0,
        "profile_highlights_server_p95_le_40ms": duck["profile_highlights"]["server_p95_ms"] <= 40,
        "ranking_page_server_p95_le_15ms": duck["ranking_page"]["server_p95_ms"] <= 15,
    }
    if "postgresql_2_workers" in report:
        pg = report["postgresql_2_workers"]
        checks["postgresql_within_1_5x"] = all(
            pg[s]["p95_ms"] <= 1.5 * duck[s]["p95_ms"] for s in SCENARIOS
        )
    report["targets_met"] = checks
    if args.json:
        print(json.dumps(report, indent=2))
        return
    for backend in ("duckdb_1_worker", "postgresql_2_workers"):
        if backend not in report:
            continue
        for name, f in report[backend].items():
            print(
                f"{backend:22s} {name:20s} {f['throughput_rps']:8.1f} req/s  "
                f"p50 {f['p50_ms']:6.1f}  p95 {f['p95_ms']:6.1f} ms  "
                f"server p50 {f['server_p50_ms']:6.2f}  p95 {f['server_p95_ms']:6.2f} ms  "
                f"errors {f['errors']}  server CPU {f['server_cpu_ms_per_request']:.2f} ms/req  "
                f"load {f['load_average'][0]:.1f}  ({f['generator']})"
            )
    print("targets: " + ", ".join(f"{k}={'yes' if v else 'NO'}" for k, v in checks.items()))


if __name__ == "__main__":
    main()
