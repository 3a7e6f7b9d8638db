"""Kills between renames leave the old output or the new one; two writers lose nothing."""

from __future__ import annotations

import hashlib
import os
import shutil
import signal
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from palmares.cli import main
from palmares.demo.output import write_demo
from palmares.io import atomic, read_dataset, write_dataset
from palmares.io.atomic import OutputBusy, target_lock

from .worlds import METHOD, payload_world

PALMARES = (sys.executable, "-c", "from palmares.cli import main; main()")
BASE = Path(__file__).parent.parent / "malformed" / "base"
THE = (
    "world_rank,university_name,country,teaching,international,research,citations,income,"
    "total_score,num_students,year\n"
    '1,Harvard University,USA,99.7,72.4,98.7,98.8,34.5,96.1,"20,152",{year}\n'
    '2,California Institute of Technology,USA,97.7,54.6,98,99.9,83.7,96,"2,243",{year}\n'
)


def state(path: Path) -> str:
    """A digest of what a user sees at ``path`` (files and their bytes; hidden files aside)."""
    if not (path.exists() or path.is_symlink()):
        return "absent"
    digest = hashlib.sha256()
    if path.is_file():
        digest.update(path.read_bytes())
        return digest.hexdigest()
    for entry in sorted(path.rglob("*")):
        if entry.is_file() and not any(p.startswith(".") for p in entry.relative_to(path).parts):
            digest.update(str(entry.relative_to(path)).encode() + b"\0" + entry.read_bytes())
    return digest.hexdigest()


def _patched(real: Any, kill_at: int, when: str, calls: list[int]) -> Any:
    def rename(*args: Any, **kwargs: Any) -> Any:
        calls[0] += 1
        if calls[0] == kill_at and when == "before":
            os.kill(os.getpid(), signal.SIGKILL)
        done = real(*args, **kwargs)
        if calls[0] == kill_at and when == "after":
            os.kill(os.getpid(), signal.SIGKILL)
        return done

    return rename


def run(kill_at: int, when: str, *args: str, env: dict[str, str] | None = None) -> int:
    """Run ``palmares ARGS`` (or ``demo-write FOLDER``) in a forked child whose renames and
    exchanges SIGKILL it at the ``kill_at``-th one (``before`` or ``after`` it; 0: never).
    The exit status, or -9 when killed."""
    pid = os.fork()
    if pid == 0:  # the child: never returns into pytest
        code = 1
        try:
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, 1)
            os.dup2(devnull, 2)
            os.environ.update(env or {})
            calls = [0]
            os.replace = _patched(os.replace, kill_at, when, calls)  # type: ignore[assignment]
            os.rename = _patched(os.rename, kill_at, when, calls)  # type: ignore[assignment]
            atomic._exchange = _patched(atomic._exchange, kill_at, when, calls)
            if args[0] == "demo-write":
                _demo_write(Path(args[1]))
                code = 0
            else:
                sys.argv = ["palmares", *args]
                try:
                    main()
                    code = 0
                except SystemExit as stop:
                    code = int(stop.code or 0)
        finally:
            os._exit(code)
    _, status = os.waitpid(pid, 0)
    return -os.WTERMSIG(status) if os.WIFSIGNALED(status) else os.WEXITSTATUS(status)


def _demo_write(folder: Path) -> None:
    def chart(new: Path) -> list[Path]:
        (new / "charts").mkdir()
        path = new / "charts" / "trajectory-s.png"
        path.write_bytes(os.environ.get("DEMO_CHART", "chart").encode())
        return [path]

    write_demo(payload_world(), folder, seed=int(os.environ.get("DEMO_SEED", "0")), extra=chart)


def leftovers(path: Path) -> list[str]:
    return sorted(p.name for p in path.parent.iterdir() if p.name.startswith(f".{path.name}."))


def check_old_or_new(
    target: Path,
    make_old: Callable[[], None],
    args: tuple[str, ...],
    env: dict[str, str] | None = None,
    rerun: tuple[str, ...] = (),
) -> None:
    """Kill at the first and second rename (before and after each): the target is old or new,
    never absent or mixed; the next run (``args`` plus ``rerun``) cleans what was left."""
    make_old()
    old = state(target)
    assert run(0, "-", *args, env=env) == 0
    new = state(target)
    assert new != old
    kills = 0
    for kill_at in (1, 2):
        for when in ("before", "after"):
            if target.is_dir():
                shutil.rmtree(target)
            target.unlink(missing_ok=True)
            make_old()
            code = run(kill_at, when, *args, env=env)
            if code == 0:
                continue  # fewer renames than kill_at
            kills += 1
            assert code == -9
            assert state(target) in (old, new), (kill_at, when)
            assert run(0, "-", *args, *rerun, env=env) == 0
            assert state(target) == new
            assert leftovers(target) == []
    assert kills >= 2


def test_convert_is_old_or_new_at_every_kill(tmp_path: Path) -> None:
    source = tmp_path / "src"
    shutil.copytree(BASE, source)
    target = tmp_path / "out"

    def make_old() -> None:
        write_dataset(read_dataset(BASE).with_tables(), target, format="parquet", force=True)

    check_old_or_new(target, make_old, ("convert", str(source), str(target), "--force"))


def test_rank_out_is_old_or_new_at_every_kill(tmp_path: Path) -> None:
    bundle = write_dataset(payload_world(), tmp_path / "world")
    method = tmp_path / "m.toml"
    method.write_text(METHOD, encoding="utf-8")
    target = tmp_path / "r.csv"
    args = ("rank", "--data", str(bundle), "--method", str(method), "--edition", "2024")
    check_old_or_new(
        target,
        lambda: target.write_text("old\n"),
        (*args, "--out", str(target), "--force"),
    )


def _the_bundle(folder: Path) -> Path:
    folder.mkdir(exist_ok=True)
    (folder / "institutions.csv").write_text(
        "id,name,country\nharvard,Harvard University,US\n"
        "caltech,California Institute of Technology,US\n",
        encoding="utf-8",
    )
    (folder / "indicators.csv").write_text(
        "id,label_en,label_fr,parent,direction\nx,X,X,,higher\n", encoding="utf-8"
    )
    (folder / "editions.csv").write_text("system,year\nother,2011\n", encoding="utf-8")
    (folder / "observations.csv").write_text(
        "institution,indicator,system,year,value,status\nharvard,x,other,2011,1,reported\n",
        encoding="utf-8",
    )
    return folder


def _import_args(table: Path, bundle: Path, year: int) -> tuple[str, ...]:
    return (
        "import",
        str(table),
        "--data",
        str(bundle),
        "--system",
        "the-wur",
        "--edition",
        str(year),
    )


def test_import_is_old_or_new_at_every_kill(tmp_path: Path) -> None:
    table = tmp_path / "the.csv"
    table.write_text(THE.format(year=2011), encoding="utf-8")
    bundle = tmp_path / "b"
    check_old_or_new(
        bundle, lambda: _the_bundle(bundle), _import_args(table, bundle, 2011), rerun=("--force",)
    )


def test_demo_with_its_charts_is_old_or_new_at_every_kill(tmp_path: Path) -> None:
    target = tmp_path / "demo"

    def make_old() -> None:
        assert run(0, "-", "demo-write", str(target), env={"DEMO_CHART": "old"}) == 0

    check_old_or_new(
        target,
        make_old,
        ("demo-write", str(target)),
        env={"DEMO_CHART": "new", "DEMO_SEED": "1"},
    )


# -- two writers --------------------------------------------------------------------------------


def test_two_imports_of_different_editions_both_land(tmp_path: Path) -> None:
    bundle = _the_bundle(tmp_path / "b")
    tables = []
    for year in (2011, 2012):
        table = tmp_path / f"the-{year}.csv"
        table.write_text(THE.format(year=year), encoding="utf-8")
        tables.append(table)
    env = {**os.environ, "PALMARES_LOCK_WAIT": "120"}
    writers = [
        subprocess.Popen(
            [*PALMARES, *_import_args(t, bundle, y)],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        for t, y in zip(tables, (2011, 2012), strict=True)
    ]
    for writer in writers:
        assert writer.wait(timeout=300) == 0, writer.stderr.read() if writer.stderr else ""
    published = read_dataset(bundle).published
    assert sorted(set(published["year"].tolist())) == [2011, 2012]
    per_year = published.groupby("year").size()
    assert per_year[2011] == per_year[2012] > 0  # each edition's rows whole


def test_a_second_writer_waits_then_names_the_holder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "out"
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys, time\nfrom palmares.io.atomic import target_lock\n"
            f"with target_lock({str(target)!r}):\n    print('held', flush=True)\n"
            "    time.sleep(60)\n",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        monkeypatch.setenv("PALMARES_LOCK_WAIT", "0.5")
        with pytest.raises(OutputBusy) as busy, target_lock(target):
            pass
        assert f"pid {holder.pid}" in str(busy.value)
    finally:
        holder.kill()
        holder.wait()
    with target_lock(target):  # released with its holder
        pass


def test_two_converts_without_force_never_overwrite_each_other(tmp_path: Path) -> None:
    target = tmp_path / "out"
    env = {**os.environ, "PALMARES_LOCK_WAIT": "120"}
    writers = [
        subprocess.Popen(
            [
                *PALMARES,
                "convert",
                str(BASE),
                str(target),
                *extra,
            ],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for extra in ((), ("--format", "parquet"))
    ]
    codes = sorted(w.wait(timeout=300) for w in writers)
    assert codes == [0, 2]


def test_force_never_replaces_a_folder_palmares_did_not_write(tmp_path: Path) -> None:
    from palmares.io.atomic import NotPalmaresOutput

    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "thesis.docx").write_text("precious")
    with pytest.raises(NotPalmaresOutput):
        write_dataset(read_dataset(BASE), mine, force=True)
    result = tmp_path / "r.csv"
    result.mkdir()
    (result / "institutions.csv").write_text("a bundle\n")
    with (
        pytest.raises(NotPalmaresOutput, match="never a folder"),
        atomic.atomic_path(result, force=True),
    ):
        pass
    assert (mine / "thesis.docx").read_text() == "precious"
    assert (result / "institutions.csv").exists()
