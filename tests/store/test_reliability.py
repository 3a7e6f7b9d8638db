"""A load killed at random moments leaves the store as before or fully loaded (checked by the
data hash of what is read back); two loads at once never mix."""

from __future__ import annotations

import os
import random
import signal
import time
from pathlib import Path

import pytest

import palmares
from palmares.cli import main
from palmares.dataset import Dataset
from palmares.io import data_hash
from palmares.store import open_store
from store.bundles import big_bundle, write_bundle

TRIALS = 30


def _load_in_child(url: str, dataset: Dataset, hold: float = 0.0) -> int:
    """Fork a process that loads ``dataset`` (then sleeps ``hold`` s inside nothing)."""
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child
        code = 0
        try:
            with open_store(url, write=True) as store:
                store.load(dataset, replace=True)
        except BaseException:
            code = 3
        os._exit(code)
    return pid


def _stored_state(url: str) -> tuple[str | None, str | None]:
    """(the hash the store records, the hash of what it holds)."""
    with open_store(url) as store:
        return store.data_hash, data_hash(store.dataset())


def test_sigkill_during_load_leaves_old_or_new(store_url: str, tmp_path: Path) -> None:
    old = palmares.load(write_bundle(tmp_path / "old"))
    new = palmares.load(big_bundle(tmp_path / "new", institutions=300, years=5))
    old_hash, new_hash = data_hash(old), data_hash(new)
    with open_store(store_url, write=True) as store:
        store.load(old)
    started = time.perf_counter()
    pid = _load_in_child(store_url, new)
    assert os.waitpid(pid, 0)[1] == 0
    duration = time.perf_counter() - started
    rng = random.Random(15)
    seen = {old_hash: 0, new_hash: 0}
    for _ in range(TRIALS):
        with open_store(store_url, write=True) as store:  # back to the old data
            store.load(old, replace=True)
        pid = _load_in_child(store_url, new)
        time.sleep(rng.uniform(0.0, duration * 1.2))
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
        recorded, held = _stored_state(store_url)
        assert recorded in seen, recorded
        assert held == recorded  # the rows are exactly those of the recorded bundle
        seen[recorded] += 1
    assert seen[old_hash] > 0  # the kills did land inside loads


def test_two_loads_at_once(
    store_url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    first_folder = big_bundle(tmp_path / "first", institutions=600, years=6)
    first = palmares.load(first_folder)
    second = palmares.load(write_bundle(tmp_path / "second"))
    with open_store(store_url, write=True) as store:
        store.load(second)
    if store_url.startswith("postgresql"):
        # The second load waits for the first (advisory lock), then runs: last one wins.
        with open_store(store_url, write=True) as holder:
            holder._con.begin()
            holder._con.lock_for_load()
            pid = _load_in_child(store_url, first)
            time.sleep(0.5)
            assert os.waitpid(pid, os.WNOHANG) == (0, 0)  # still waiting
            holder._con.commit()
        assert os.waitpid(pid, 0)[1] == 0
        assert _stored_state(store_url)[0] == data_hash(first)
    else:
        # DuckDB: one writer holds the file; another load is refused, clearly, exit 2.
        pid = os.fork()
        if pid == 0:  # pragma: no cover - the child holds the store for a while
            with open_store(store_url, write=True):
                time.sleep(2.5)
            os._exit(0)
        time.sleep(1.0)
        try:
            monkeypatch.setattr(
                "sys.argv",
                ["palmares", "db", "load", str(first_folder), "--db", store_url, "--replace"],
            )
            with pytest.raises(SystemExit) as stopped:
                main()
        finally:
            os.waitpid(pid, 0)
        assert stopped.value.code == 2
        assert "in use by another process" in capsys.readouterr().err
        assert _stored_state(store_url)[0] == data_hash(second)
