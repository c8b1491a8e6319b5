"""Sweeping does not fail a live run whose worker is on another host or in another PID namespace.

Each run here is what an in-process launcher (the CLI's backfill) leaves in the instance: a STARTED
run tagged with its worker's identity (``recovery.worker_tags``: host, boot id, PID namespace, pid)
and holding the ``nba_api`` pool slot, written by a real process:

* a local worker killed with SIGKILL: the sweeper must fail it and free its slot;
* a LIVE worker started in its own PID namespace (``unshare --pid --fork --mount-proc``, as a
  container's): its pid means nothing on this side, so it must be left alone, slot kept;
* runs whose recorded worker is another host, or this host in another PID namespace, with a pid
  that is dead here: a pid-only sweeper would fail them; they must be left alone;
* a run without a worker identity (what the daemon's launcher starts): left to Dagster.

Then a run left NOT_STARTED by an interrupted launcher is canceled by ``nba-lakehouse recover``,
which finds the instance without DAGSTER_HOME the way ``status`` and ``demo`` do.
The instance is the project's dagster.yaml (sqlite): what is judged is the same on any storage
(test_resume and test_postgres_instance run the recovery and the pools on Postgres).
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
import pytest

from nba_lakehouse import demo as demo_module
from nba_lakehouse.automation.sensors import dead_run_sweeper
from nba_lakehouse.cli import main as cli
from nba_lakehouse.lake import PROJECT_ROOT
from nba_lakehouse.recovery import HOST_TAG, PID_NS_TAG, PID_TAG, local_worker_pid, worker_tags

WAIT_S = 120  # a busy 2-core machine

# A worker: creates its STARTED run tagged with its own identity (or the one given), claims the
# nba_api slot as a step's first claim does, prints its run id and identity, and waits to be killed.
WORKER = textwrap.dedent("""
    import json, os, sys, time, uuid
    import dagster as dg
    from nba_lakehouse.recovery import worker_tags

    home, status, override = sys.argv[1], sys.argv[2], json.loads(sys.argv[3])
    tags = {**worker_tags(), **override} if override is not None else {}
    with dg.DagsterInstance.from_config(home) as instance:
        run = instance.add_run(dg.DagsterRun(
            job_name="game_date_job", run_id=str(uuid.uuid4()), status=dg.DagsterRunStatus[status],
            tags={"dagster/partition": "2023-01-02", **tags},
        ))
        if status == "STARTED":
            storage = instance.event_log_storage
            if "nba_api" not in storage.get_concurrency_keys():  # as a step's first claim does
                storage.initialize_concurrency_limit_to_default("nba_api")
            # The first worker takes the slot, the others queue for it (a limit of 1).
            storage.claim_concurrency_slot("nba_api", run.run_id, "bronze_play_by_play")
    print(json.dumps({"run_id": run.run_id, "tags": tags}), flush=True)
    time.sleep(600)
""")


def _unshare_works() -> bool:
    if not shutil.which("unshare"):
        return False
    try:
        return subprocess.run(["unshare", "--pid", "--fork", "--mount-proc", "true"], timeout=30,
                              capture_output=True).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False


class Worker:
    def __init__(self, home: Path, status: str = "STARTED", override: dict | None = None, prefix: list[str] = ()):
        env = {**os.environ, "PYTHONPATH": str(PROJECT_ROOT), "PYTHONUNBUFFERED": "1"}
        self.process = subprocess.Popen(
            [*prefix, sys.executable, "-c", WORKER, str(home), status, json.dumps(override)],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, cwd=PROJECT_ROOT,
        )
        line = self.process.stdout.readline()  # the worker blocks in sleep once it printed
        if not line:
            self.process.wait(timeout=WAIT_S)
            pytest.fail(f"the worker did not create its run: {self.process.stderr.read()[-3000:]}")
        started = json.loads(line)
        self.run_id, self.tags = started["run_id"], started["tags"]

    def kill(self) -> None:
        if self.process.poll() is None:
            # The unshare'd worker is unshare's child: --kill-child takes it down with unshare.
            self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=WAIT_S)
        self.process.stdout.close()
        self.process.stderr.close()


def _dead_pid() -> int:
    """A pid that was a process here and is gone."""
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait(timeout=WAIT_S)
    return gone.pid


@pytest.fixture
def home(tmp_path) -> Path:
    home = tmp_path / "dagster_home"
    home.mkdir()
    shutil.copyfile(PROJECT_ROOT / "dagster.yaml", home / "dagster.yaml")
    return home


def test_sweeping_fails_only_dead_workers_of_this_host_and_pid_namespace(home):
    if not _unshare_works():
        pytest.skip("`unshare --pid --fork --mount-proc` does not work here (needs root or user namespaces; util-linux)")
    with dg.DagsterInstance.from_config(str(home)):
        pass  # create the storage once, before the workers race to
    workers: list[Worker] = []
    try:
        contained = Worker(home, override={}, prefix=["unshare", "--pid", "--fork", "--mount-proc", "--kill-child"])
        workers.append(contained)
        dead = Worker(home, override={})
        workers.append(dead)
        dead.kill()  # SIGKILL: its run stays STARTED, queued for the slot
        gone = str(_dead_pid())
        other_host = Worker(home, override={HOST_TAG: "another-host.example", PID_TAG: gone})
        other_ns = Worker(home, override={PID_NS_TAG: "pid:[1]", PID_TAG: gone})
        untagged = Worker(home, override=None)  # as the daemon's launcher starts a run
        workers += [other_host, other_ns, untagged]
        for worker in (other_host, other_ns, untagged):
            worker.kill()  # what they recorded is all that matters now

        # The contained worker is alive in its own namespace: its recorded pid is its pid there.
        assert contained.tags[PID_NS_TAG] != worker_tags()[PID_NS_TAG]
        assert local_worker_pid(contained.tags) is None and local_worker_pid(dead.tags) == dead.process.pid
        spared = [contained.run_id, other_host.run_id, other_ns.run_id, untagged.run_id]

        with dg.DagsterInstance.from_config(str(home)) as instance:
            reason = dead_run_sweeper(dg.build_sensor_context(instance=instance)).skip_message
            assert reason.startswith(
                f"1 dead runs marked failed, their pool slots freed: run {dead.run_id} (game_date_job, partition "
                f"2023-01-02, holds or is queued for the nba_api pool slot; worker pid {dead.process.pid} gone); "
                f"4 active runs whose worker is not known to be on this host and PID namespace"
            ), reason
            assert "left to Dagster's run monitoring: " in reason and all(r in reason for r in spared), reason
            statuses = {r.run_id: r.status for r in instance.get_runs()}
            assert statuses[dead.run_id] == dg.DagsterRunStatus.FAILURE
            assert {statuses[r] for r in spared} == {dg.DagsterRunStatus.STARTED}, statuses
            pool = instance.event_log_storage.get_concurrency_info("nba_api")
            assert dead.run_id not in pool.active_run_ids | pool.pending_run_ids
            assert contained.run_id in pool.active_run_ids  # the live run keeps the slot it holds
            assert contained.process.poll() is None  # and is still running
    finally:
        for worker in workers:
            worker.kill()


def test_recover_cancels_a_run_an_interrupted_launcher_left_not_started(tmp_path, monkeypatch, capsys):
    """No DAGSTER_HOME: recover uses the project's .dagster_home (here a copy of the project root)."""
    root = tmp_path / "project"
    root.mkdir()
    shutil.copyfile(PROJECT_ROOT / "dagster.yaml", root / "dagster.yaml")
    monkeypatch.setattr(demo_module, "PROJECT_ROOT", root)
    monkeypatch.delenv("DAGSTER_HOME", raising=False)
    home = root / ".dagster_home"
    home.mkdir()
    shutil.copyfile(root / "dagster.yaml", home / "dagster.yaml")
    interrupted = Worker(home, status="NOT_STARTED", override={})
    interrupted.kill()  # as Ctrl-C between creating the run and starting it
    elsewhere = Worker(home, status="NOT_STARTED", override={HOST_TAG: "another-host.example"})
    elsewhere.kill()

    cli(["recover"])
    out = capsys.readouterr().out
    assert out == (
        f"marked canceled: run {interrupted.run_id} (game_date_job, partition 2023-01-02), NOT_STARTED, "
        f"its launcher pid {interrupted.process.pid} gone\n1 dead runs recovered\n"
    )
    assert os.environ["DAGSTER_HOME"] == str(home)
    with dg.DagsterInstance.from_config(str(home)) as instance:
        assert instance.get_run_by_id(interrupted.run_id).status == dg.DagsterRunStatus.CANCELED
        assert instance.get_run_by_id(elsewhere.run_id).status == dg.DagsterRunStatus.NOT_STARTED
    cli(["recover"])
    assert capsys.readouterr().out == "no dead runs: nothing to recover\n"
