"""The Postgres instance (dagster.postgres.yaml) on a real PostgreSQL, and run monitoring as configured.

* dagster.postgres.yaml loads against the session's PostgreSQL (``service_postgres``): every storage
  is Postgres, a run written is read back, and without its ``scheme: postgresql+psycopg2`` the same
  file does not load (SQLAlchemy 2.1 would look for psycopg 3).
* dagster.yaml and dagster.postgres.yaml configure the run monitoring the daemon runs: the
  MONITORING daemon is required, its settings are the files', and resuming stays off since the
  default run launcher cannot check or resume a worker.
* Pools hold across processes on Postgres: two runs in two processes, one step each in the
  ``nba_api`` pool, never inside their steps at the same time; eight claims made at the same moment
  on a pool of one give it to one of them (``instance_storage``'s lock; without it, several).
* A daemon-launched run worker killed with SIGKILL is marked failed and its pool slot freed by
  Dagster alone: a real ``dagster-daemon`` (its queue launches the run in its code server, its
  monitoring frees the slot) on the Postgres instance, with the file's monitoring timings shortened.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import dagster as dg
import pytest
import yaml

from nba_lakehouse.instance_storage import PoolSafePostgresEventLogStorage
from nba_lakehouse.lake import PROJECT_ROOT
from nba_lakehouse_tests.dagster_ui import signal_group
from nba_lakehouse_tests.service_postgres import postgres_home, postgres_server  # noqa: F401

WAIT_S = 120  # a busy 2-core machine
BIN = Path(sys.executable).parent


def _file_config(name: str) -> dict:
    return yaml.safe_load((PROJECT_ROOT / name).read_text())


def test_dagster_postgres_yaml_loads_on_postgres(postgres_home):
    with dg.DagsterInstance.from_config(str(postgres_home)) as instance:
        storages = {type(s).__module__.split(".")[0] for s in
                    (instance.run_storage, instance.event_log_storage, instance.schedule_storage)}
        assert storages == {"dagster_postgres", "nba_lakehouse"}, storages
        assert isinstance(instance.event_log_storage, PoolSafePostgresEventLogStorage)
        run = instance.add_run(dg.DagsterRun(job_name="game_date_job", run_id="a" * 32, tags={"k": "v"}))
        assert instance.event_log_storage.supports_global_concurrency_limits
        assert instance.global_op_concurrency_default_limit == _file_config("dagster.postgres.yaml")["concurrency"]["pools"]["default_limit"]
    with dg.DagsterInstance.from_config(str(postgres_home)) as instance:  # another connection reads it back
        assert instance.get_run_by_id(run.run_id).tags == {"k": "v"}

    config = _file_config("dagster.postgres.yaml")
    for storage in ("run_storage", "event_log_storage", "schedule_storage"):  # one block behind an anchor
        config[storage]["config"]["postgres_db"].pop("scheme", None)
    (postgres_home / "dagster.yaml").write_text(yaml.safe_dump(config))
    with pytest.raises(ModuleNotFoundError, match="psycopg"):
        with dg.DagsterInstance.from_config(str(postgres_home)) as instance:
            instance.get_runs(limit=1)


@pytest.mark.parametrize("name", ["dagster.yaml", "dagster.postgres.yaml"])
def test_the_daemon_runs_run_monitoring_as_the_file_configures_it(name, tmp_path, request):
    home = tmp_path / "home"
    if name == "dagster.postgres.yaml":
        home = request.getfixturevalue("postgres_home")
    else:
        home.mkdir()
        (home / "dagster.yaml").write_text((PROJECT_ROOT / name).read_text())
    configured = _file_config(name)["run_monitoring"]
    with dg.DagsterInstance.from_config(str(home)) as instance:
        assert "MONITORING" in instance.get_required_daemon_types()
        assert instance.run_monitoring_settings == configured
        assert configured["free_slots_after_run_end_seconds"] > 0  # slots of a killed worker come back
        # The default run launcher has no health check and no resume: Dagster refuses resume attempts.
        assert not instance.run_launcher.supports_check_run_worker_health
        assert not instance.run_launcher.supports_resume_run
        assert configured["max_resume_run_attempts"] == 0


# --------------------------------------------------------------------------- pools across processes
POOL_RUN = textwrap.dedent("""
    import json, pathlib, sys, time
    import dagster as dg

    go = pathlib.Path(sys.argv[1])

    @dg.asset(pool="nba_api")
    def fetch():
        time.sleep(1.0)

    until = time.monotonic() + 120
    while not go.exists() and time.monotonic() < until:
        time.sleep(0.005)
    with dg.DagsterInstance.get() as instance:
        result = dg.materialize([fetch], instance=instance)
    print(json.dumps({"run_id": result.run_id, "success": result.success}))
""")


def test_the_nba_api_pool_holds_across_processes_on_postgres(postgres_home, tmp_path):
    with dg.DagsterInstance.from_config(str(postgres_home)) as instance:
        instance.event_log_storage.initialize_concurrency_limit_to_default("nba_api")  # once, before the race
    go = tmp_path / "go"
    env = {**os.environ, "DAGSTER_HOME": str(postgres_home)}
    procs = [subprocess.Popen([sys.executable, "-c", POOL_RUN, str(go)], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              text=True, env=env) for _ in range(2)]
    time.sleep(0.5)
    go.touch()
    outs = []
    for proc in procs:
        out, err = proc.communicate(timeout=WAIT_S)
        assert proc.returncode == 0, err[-3000:]
        outs.append(json.loads(out.strip().splitlines()[-1]))
    assert all(o["success"] for o in outs), outs
    windows = []
    with dg.DagsterInstance.from_config(str(postgres_home)) as instance:
        for o in outs:
            records = {r.dagster_event.event_type: r.timestamp for r in instance.all_logs(
                o["run_id"], of_type={dg.DagsterEventType.STEP_START, dg.DagsterEventType.STEP_SUCCESS})}
            windows.append((records[dg.DagsterEventType.STEP_START], records[dg.DagsterEventType.STEP_SUCCESS]))
    (a_start, a_end), (b_start, b_end) = sorted(windows)
    assert b_start >= a_end, f"two nba_api steps ran at once: {windows}"


def test_simultaneous_claims_on_a_pool_of_one_give_it_to_one_step(postgres_home):
    """Rounds of eight claims released at once by a barrier, each on its own connection as separate
    processes' would be; dagster-postgres' autocommit claim hands the one slot to several of them
    in most rounds. After each round every claimer's run frees what it holds."""
    claimers, rounds = 8, 10
    with dg.DagsterInstance.from_config(str(postgres_home)) as instance:
        storage = instance.event_log_storage
        storage.initialize_concurrency_limit_to_default("nba_api")
        assert storage.get_concurrency_info("nba_api").slot_count == 1
        start = threading.Barrier(claimers)

        def claim(run_id: str) -> bool:
            start.wait(timeout=WAIT_S)
            return storage.claim_concurrency_slot("nba_api", run_id=run_id, step_key="fetch").is_claimed

        with ThreadPoolExecutor(claimers) as pool:
            for round_ in range(rounds):
                run_ids = [f"{round_:016x}{i:016x}" for i in range(claimers)]
                claimed = list(pool.map(claim, run_ids))
                assert claimed.count(True) == 1, f"round {round_}: {claimed}"
                assert len(storage.get_concurrency_info("nba_api").claimed_slots) == 1
                for run_id in run_ids:
                    storage.free_concurrency_slots_for_run(run_id)


# --------------------------------------------------------------------------- the daemon
DAEMON_DEFS = textwrap.dedent("""
    import pathlib, time
    import dagster as dg

    @dg.op(pool="nba_api")
    def fetch():
        pathlib.Path(__file__).with_name("started").touch()
        time.sleep(600)

    @dg.job
    def slow_fetch():
        fetch()
""")


def test_a_daemon_launched_worker_killed_with_sigkill_is_failed_and_its_slot_freed(postgres_home, tmp_path):
    config = _file_config("dagster.postgres.yaml")
    # The file's settings, with its waits shortened so the test takes seconds, not minutes.
    config["run_monitoring"].update(free_slots_after_run_end_seconds=1, poll_interval_seconds=1)
    (postgres_home / "dagster.yaml").write_text(yaml.safe_dump(config))
    defs = tmp_path / "defs" / "slow_fetch.py"
    defs.parent.mkdir()
    defs.write_text(DAEMON_DEFS)
    with dg.DagsterInstance.from_config(str(postgres_home)) as instance:  # the schema once, before the processes race
        instance.event_log_storage.initialize_concurrency_limit_to_default("nba_api")
    env = {**os.environ, "DAGSTER_HOME": str(postgres_home)}
    log = (tmp_path / "daemon.log").open("wb")
    daemon = subprocess.Popen([str(BIN / "dagster-daemon"), "run", "-f", str(defs)], env=env, cwd=tmp_path,
                              stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        launched = subprocess.run([str(BIN / "dagster"), "job", "launch", "-f", str(defs), "-j", "slow_fetch"],
                                  env=env, cwd=tmp_path, capture_output=True, text=True, timeout=WAIT_S)
        assert launched.returncode == 0, launched.stderr[-3000:]
        with dg.DagsterInstance.from_config(str(postgres_home)) as instance:
            (run,) = instance.get_runs()
            until = time.monotonic() + WAIT_S
            while not (defs.with_name("started")).exists():  # the daemon's queue launched it, the step runs
                assert time.monotonic() < until and daemon.poll() is None, (tmp_path / "daemon.log").read_text()[-3000:]
                time.sleep(0.1)
            assert instance.event_log_storage.get_concurrency_info("nba_api").active_run_ids == {run.run_id}
            (start,) = instance.get_records_for_run(run.run_id, of_type=dg.DagsterEventType.RUN_START).records
            os.kill(start.event_log_entry.dagster_event.pid, signal.SIGKILL)  # the run worker

            until = time.monotonic() + WAIT_S
            while True:
                status = instance.get_run_by_id(run.run_id).status
                held = instance.event_log_storage.get_concurrency_info("nba_api").active_run_ids
                if status == dg.DagsterRunStatus.FAILURE and not held:
                    break
                assert time.monotonic() < until, (status, held, (tmp_path / "daemon.log").read_text()[-3000:])
                time.sleep(0.2)
    finally:
        signal_group(daemon.pid, signal.SIGTERM)
        try:
            daemon.wait(timeout=30)
        except subprocess.TimeoutExpired:
            signal_group(daemon.pid, signal.SIGKILL)
            daemon.wait(timeout=30)
        log.close()
