"""A real PostgreSQL server for the tests: the machine's server binaries, a cluster in a folder
the postgres user owns, listening on 127.0.0.1 on a free port, stopped at the end."""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

INSTALL_HINT = (
    "PostgreSQL server binaries not found under /usr/lib/postgresql/*/bin: install them "
    "(`apt-get install -y postgresql`; `make test` does it)"
)


def server_binaries() -> Path | None:
    """The newest /usr/lib/postgresql/<version>/bin that has initdb and pg_ctl."""
    found = sorted(
        glob.glob("/usr/lib/postgresql/*/bin/initdb"),
        key=lambda p: (
            int(Path(p).parent.parent.name) if Path(p).parent.parent.name.isdigit() else 0
        ),
    )
    return Path(found[-1]).parent if found else None


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class Server:
    root: Path
    bin: Path
    port: int
    as_postgres: bool

    @property
    def url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/palmares"

    def _run(self, *args: str) -> None:
        command = [str(a) for a in args]
        if self.as_postgres:
            command = ["runuser", "-u", "postgres", "--", *command]
        subprocess.run(command, check=True, capture_output=True, stdin=subprocess.DEVNULL)

    def stop(self) -> None:
        try:
            self._run(self.bin / "pg_ctl", "-D", str(self.root / "data"), "-m", "immediate", "stop")
        finally:
            shutil.rmtree(self.root, ignore_errors=True)


def start_server() -> Server:
    """initdb + pg_ctl start (as the postgres user when running as root, as CI does)."""
    binaries = server_binaries()
    if binaries is None:
        raise RuntimeError(INSTALL_HINT)
    as_postgres = os.geteuid() == 0
    # Under /tmp (mode 1777, enterable by all), never pytest's root-only temporary folders.
    root = Path(tempfile.mkdtemp(prefix=f"palmares-pg-{os.getpid()}-", dir="/tmp"))
    root.chmod(0o755)
    if as_postgres:
        shutil.chown(root, "postgres", "postgres")
    port = _free_port()
    server = Server(root, binaries, port, as_postgres)
    data = root / "data"
    server._run(
        binaries / "initdb",
        "-D",
        str(data),
        "-U",
        "postgres",
        "-A",
        "trust",
        "-E",
        "UTF8",
        "--locale",
        "C",
        "--no-sync",
    )
    options = (
        f"-h 127.0.0.1 -p {port} -k {root} -c fsync=off -c synchronous_commit=off "
        "-c full_page_writes=off -c max_connections=40 -c shared_buffers=64MB"
    )
    server._run(
        binaries / "pg_ctl",
        "-D",
        str(data),
        "-o",
        options,
        "-l",
        str(root / "log"),
        "-w",
        "-t",
        "60",
        "start",
    )
    import psycopg

    with psycopg.connect(
        f"postgresql://postgres@127.0.0.1:{port}/postgres", autocommit=True
    ) as admin:
        admin.execute("CREATE DATABASE palmares")
    return server
