"""``palmares serve`` in a child process on a free loopback port, stopped at the end."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def served(
    db: str, *, workers: int = 1, token: str | None = None, log: Path | None = None
) -> Iterator[str]:
    """The base URL of a server on ``db``; the server is stopped (and its workers) on exit."""
    with serving(db, workers=workers, token=token, log=log) as (url, _):
        yield url


@contextmanager
def serving(
    db: str, *, workers: int = 1, token: str | None = None, log: Path | None = None
) -> Iterator[tuple[str, int]]:
    """:func:`served`, with the server's process id (its CPU time is the benchmark's cost)."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k not in ("PALMARES_DB", "PALMARES_DATA")}
    if token:
        env["PALMARES_TOKEN"] = token
    command = [
        sys.executable,
        "-c",
        "from palmares.cli import main; main()",
        "serve",
        "--db",
        db,
        "--port",
        str(port),
        "--workers",
        str(workers),
        "--log-level",
        "warning",
    ]
    out = open(log, "wb") if log is not None else subprocess.DEVNULL  # noqa: SIM115
    process = subprocess.Popen(
        command, stdin=subprocess.DEVNULL, stdout=out, stderr=out, env=env, start_new_session=True
    )
    try:
        with answering(process, f"http://127.0.0.1:{port}") as url:
            yield url, process.pid
    finally:
        if log is not None:
            out.close()  # type: ignore[union-attr]


@contextmanager
def answering(
    process: subprocess.Popen[bytes], url: str, what: str = "palmares serve"
) -> Iterator[str]:
    """``url`` once the server ``process`` answers there (within 180 s); stopped on exit."""
    try:
        deadline = time.monotonic() + 180
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"{what} exited with {process.returncode}")
            try:
                if httpx.get(f"{url}/openapi.json", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"{what} did not answer within 180 s")
            time.sleep(0.3)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=20)
