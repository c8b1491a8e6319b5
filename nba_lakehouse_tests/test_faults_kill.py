"""SIGKILL at every kind of write boundary of bronze, silver and gold, then recover and relaunch.

Every byte the lake stores goes through ``Lake.write_bytes`` (one atomic rename) or is removed by
``Lake.delete_file``. A clean live run of 2023-01-02 (play-by-play and one gold table built from it) against the fake NBA (the real recordings of
0022200552) is traced first: the sequence of those calls, each classified by layer and by what it
writes (a bronze body, a bronze manifest, a table file, a table file's checksum record, a removal).
For the first call of every class, a run in a child process is killed with SIGKILL just before that
call, and once just after the run's very last call. After each kill the operator's recovery is done
(``recovery.fail_dead_runs``: the killed run is marked failed and its pool slot freed) and the same
date is run again in the same instance: it must succeed, and the lake must equal the clean run's
(``lake_snapshot``), nothing left in staging.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import dagster as dg

from nba_lakehouse.lake import PROJECT_ROOT, STAGING_DIR, Lake
from nba_lakehouse.recovery import fail_dead_runs
from nba_lakehouse_tests.fake_nba import lake_snapshot, run_dates

DATE = "2023-01-02"
# The scoreboard that discovers the game, its play-by-play in bronze and silver, and one gold table:
# every kind of write of every layer. The other assets of the date write the same kinds of files again,
# and each costs its step in the traced run, in every killed run and in every relaunch.
SELECTION = dg.AssetSelection.assets("bronze_scoreboard", "bronze_play_by_play", "play_by_play", "possessions")
CHILD_TIMEOUT_S = 300  # a loaded 2-core machine; a hang fails the test rather than CI

# The child: counts the lake's write calls and kills itself with SIGKILL at the chosen one.
CHILD = textwrap.dedent(
    """
    import json, os, signal, sys
    cfg = json.loads(sys.argv[1])
    import dagster as dg
    from nba_lakehouse_tests.fake_nba import live_client, run_dates
    from nba_lakehouse_tests.test_faults_kill import SELECTION, traced

    def kill_at(index, op, path):
        if index == cfg["kill_before"]:
            os.kill(os.getpid(), signal.SIGKILL)

    traced(kill_at)
    client = live_client(cfg["base"])
    with dg.DagsterInstance.get() as instance:  # $DAGSTER_HOME
        result = run_dates(cfg["lake"], client, cfg["date"], instance=instance, selection=SELECTION)
    print(json.dumps({"success": result.success}))
    # Reached when the kill point lies after the run's last write: killed once it is all done.
    os.kill(os.getpid(), signal.SIGKILL)
    """
)


def traced(on_call) -> None:
    """Call ``on_call(index, op, path)`` before each ``Lake.write_bytes`` / ``Lake.delete_file``."""
    counter = iter(range(10**9))
    write_bytes, delete_file = Lake.write_bytes, Lake.delete_file

    def write(self, path, data):
        on_call(next(counter), "write", path)
        return write_bytes(self, path, data)

    def delete(self, path):
        if self.exists(path):
            on_call(next(counter), "delete", path)
        return delete_file(self, path)

    Lake.write_bytes, Lake.delete_file = write, delete


def boundary_class(lake_root: Path, op: str, path: str) -> str:
    """``bronze body write``, ``silver table write``, ``gold record write``...: what a call does."""
    relative = Path(path).relative_to(lake_root)
    layer = relative.parts[0]
    if layer == "bronze":
        kind = "manifest" if relative.name.endswith(".manifest.json") else "body"
    elif relative.name.endswith(".parquet"):
        kind = "table"
    else:
        kind = "record"
    return f"{layer} {kind} {op}"


def dagster_home(root: Path) -> Path:
    root.mkdir(parents=True)
    shutil.copy(PROJECT_ROOT / "dagster.yaml", root / "dagster.yaml")
    return root


def traced_clean_run(root: Path, fake) -> tuple[dict[str, bytes], int, dict[str, int]]:
    """The clean lake's snapshot, its number of write calls, and the first call of each class."""
    calls: list[tuple[str, str]] = []
    original = (Lake.write_bytes, Lake.delete_file)
    traced(lambda index, op, path: calls.append((op, path)))
    try:
        assert run_dates(root, fake.client(), DATE, selection=SELECTION).success
    finally:
        Lake.write_bytes, Lake.delete_file = original
    firsts: dict[str, int] = {}
    for index, (op, path) in enumerate(calls):
        firsts.setdefault(boundary_class(root.resolve(), op, path), index)
    return lake_snapshot(root), len(calls), firsts


def killed_child(case: Path, base: str, kill_before: int) -> subprocess.Popen:
    cfg = {"lake": str(case / "lake"), "base": base, "date": DATE, "kill_before": kill_before}
    env = {k: v for k, v in os.environ.items() if not k.startswith("NBA_")}
    env.update(DAGSTER_HOME=str(dagster_home(case / "home")), PYTHONUNBUFFERED="1")
    return subprocess.Popen(
        [sys.executable, "-c", CHILD, json.dumps(cfg)], cwd=PROJECT_ROOT, env=env,
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
    )


def test_a_run_killed_at_any_write_boundary_recovers_to_the_clean_lake(tmp_path, fake_nba):
    clean, total, firsts = traced_clean_run(tmp_path / "clean", fake_nba)
    # The trace covers every layer, else the kills below would miss one.
    assert {"bronze body write", "bronze manifest write", "silver table write", "gold table write"} <= firsts.keys()
    points = {**firsts, "the end of the run": total}
    # The killed runs go side by side (each in its own lake and instance); recovery is sequential.
    children = {name: killed_child(tmp_path / name.replace(" ", "_"), fake_nba.base, index)
                for name, index in points.items()}
    for name, child in children.items():
        output, _ = child.communicate(timeout=CHILD_TIMEOUT_S)
        assert child.returncode == -signal.SIGKILL, (name, output.decode(errors="replace")[-4000:])
    failures = []
    for name in children:
        case = tmp_path / name.replace(" ", "_")
        with dg.DagsterInstance.from_config(str(case / "home")) as instance:
            fail_dead_runs(instance)  # what `nba-lakehouse recover` does
            result = run_dates(case / "lake", fake_nba.client(), DATE, instance=instance, selection=SELECTION)
        if not result.success:
            failures.append(f"killed before the first {name}: the relaunch failed")
            continue
        resumed = lake_snapshot(case / "lake")
        different = sorted(p for p in clean.keys() | resumed.keys() if clean.get(p) != resumed.get(p))
        if different:
            failures.append(f"killed before the first {name}: {len(different)} files differ from the clean lake, "
                            f"e.g. {different[:3]}")
        if any((case / "lake" / STAGING_DIR).rglob("*.tmp")):
            failures.append(f"killed before the first {name}: staged files left behind")
    assert not failures, "\n".join(failures)
