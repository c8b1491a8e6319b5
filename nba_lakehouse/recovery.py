"""Recovering from a killed run: fail the runs whose worker process is gone, free their pool slots.

A run killed with SIGKILL (or lost with its machine) stays STARTED in the instance and keeps its
``nba_api`` pool slot, so every later NBA-calling step waits forever. Who can tell that a worker is
gone depends on who launched it:

* **Runs the daemon launched** (the default run launcher: a subprocess of the code server): the
  code server sees its subprocess die and marks the run failed; the daemon's run monitoring
  (``run_monitoring`` in dagster.yaml) frees the slots of ended runs after
  ``free_slots_after_run_end_seconds`` and fails runs stuck starting or canceling.
* **Runs launched in-process** (``nba-lakehouse backfill`` and ``demo``, ``dg.materialize``,
  ``execute_in_process``): nothing watches them. Their launcher tags each run with the identity of
  its worker (``worker_tags``: host name, boot id, PID namespace, pid). A process id means something
  only on its own host, in its own boot and PID namespace: the pid of a worker in a container or on
  another machine may well be a dead (or another live) process here. So a run is judged by its pid
  only where all three match this process's; every other run is left to Dagster's run monitoring.

The lake itself needs no repair: every file is written whole or not at all, and a relaunched
backfill reuses everything archived.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache

import dagster as dg

from nba_lakehouse.lake import process_alive

ACTIVE = [dg.DagsterRunStatus.STARTING, dg.DagsterRunStatus.STARTED, dg.DagsterRunStatus.CANCELING]
# Created but never started: an in-process launch interrupted (Ctrl-C) between creating its run and
# starting it. QUEUED runs wait for the daemon's run queue and are its business unless a local
# in-process launcher tagged them.
UNSTARTED = [dg.DagsterRunStatus.NOT_STARTED, dg.DagsterRunStatus.QUEUED]

HOST_TAG = "nba_lakehouse/worker_host"
BOOT_TAG = "nba_lakehouse/worker_boot_id"
PID_NS_TAG = "nba_lakehouse/worker_pid_namespace"
PID_TAG = "nba_lakehouse/worker_pid"


def _read(path: str) -> str:
    try:
        with open(path) as f:
            return f.read().strip()
    except OSError:
        return ""


@cache
def _this_host() -> tuple[str, str, str]:
    """(host name, boot id, PID namespace) of this process; the last two empty where /proc lacks them."""
    try:
        pid_ns = os.readlink("/proc/self/ns/pid")  # "pid:[4026531836]"
    except OSError:
        pid_ns = ""
    return socket.gethostname(), _read("/proc/sys/kernel/random/boot_id"), pid_ns


def worker_tags() -> dict[str, str]:
    """Run tags naming this process as the run's worker: every in-process launcher adds them."""
    host, boot, pid_ns = _this_host()
    return {HOST_TAG: host, BOOT_TAG: boot, PID_NS_TAG: pid_ns, PID_TAG: str(os.getpid())}


def local_worker_pid(tags: Mapping[str, str]) -> int | None:
    """The worker pid of a run whose tags place its worker on this host, boot and PID namespace; else None."""
    host, boot, pid_ns = _this_host()
    if not (boot and pid_ns):  # no /proc (not Linux): a pid cannot be placed, judge none
        return None
    if (tags.get(HOST_TAG), tags.get(BOOT_TAG), tags.get(PID_NS_TAG)) != (host, boot, pid_ns):
        return None
    pid = tags.get(PID_TAG, "")
    return int(pid) if pid.isdigit() else None


@dataclass(frozen=True)
class DeadRun:
    run_id: str
    job_name: str
    pid: int
    partition: str | None
    # The pools it holds a slot of or has a step queued for: a queued step of a dead run is handed
    # the slot when it frees up, and never gives it back.
    pools: tuple[str, ...]
    status: str = "STARTED"  # NOT_STARTED / QUEUED: its launcher died before the run started

    @property
    def started(self) -> bool:
        return self.status not in {s.value for s in UNSTARTED}

    def __str__(self) -> str:
        held = f", holds or is queued for the {', '.join(self.pools)} pool slot" if self.pools else ""
        gone = f"worker pid {self.pid} gone" if self.started else f"{self.status}, its launcher pid {self.pid} gone"
        return f"run {self.run_id} ({self.job_name}, partition {self.partition}{held}; {gone})"


@dataclass(frozen=True)
class Survey:
    dead: list[DeadRun]
    # Active runs this host cannot judge by pid (daemon-launched, another host, a container):
    # Dagster's run monitoring watches them.
    elsewhere: list[str]

    @property
    def elsewhere_note(self) -> str:
        if not self.elsewhere:
            return ""
        return (f"{len(self.elsewhere)} active runs whose worker is not known to be on this host and PID "
                f"namespace ({socket.gethostname()}) left to Dagster's run monitoring: {', '.join(self.elsewhere)}")


def _pools_by_run(instance: dg.DagsterInstance) -> dict[str, tuple[str, ...]]:
    storage = instance.event_log_storage
    if not storage.supports_global_concurrency_limits:  # an in-memory instance has no pools
        return {}
    held: dict[str, list[str]] = {}
    for pool in sorted(storage.get_concurrency_keys()):
        info = storage.get_concurrency_info(pool)
        for run_id in info.active_run_ids | info.pending_run_ids:
            held.setdefault(run_id, []).append(pool)
    return {run_id: tuple(pools) for run_id, pools in held.items()}


def _partition(tags: Mapping[str, str]) -> str | None:
    """The run's partition, or its range (a single-run backfill's) as ``start..end``."""
    start, end = tags.get("dagster/asset_partition_range_start"), tags.get("dagster/asset_partition_range_end")
    return tags.get("dagster/partition") or (f"{start}..{end}" if start and end else None)


def survey(instance: dg.DagsterInstance) -> Survey:
    """The active (and never started) runs whose worker is known to be of this host and gone, and
    the active runs left to Dagster's run monitoring."""
    pools = _pools_by_run(instance)
    dead, elsewhere = [], []
    for run in instance.get_runs(filters=dg.RunsFilter(statuses=ACTIVE + UNSTARTED)):
        pid = local_worker_pid(run.tags)
        if pid is None:
            if run.status in ACTIVE:
                elsewhere.append(run.run_id)
            continue
        if process_alive(pid):
            continue  # still working (a reused pid errs on the safe side)
        dead.append(DeadRun(run.run_id, run.job_name, pid, _partition(run.tags), pools.get(run.run_id, ()), run.status.value))
    return Survey(dead, elsewhere)


def dead_runs(instance: dg.DagsterInstance) -> list[DeadRun]:
    """The runs whose worker (on this host, in this PID namespace) is gone, with the pools they hold or queue for."""
    return survey(instance).dead


def fail_dead_runs(instance: dg.DagsterInstance, found: Survey | None = None) -> list[DeadRun]:
    """Mark failed every active run whose worker (on this host and PID namespace) is gone, and
    canceled every never-started one whose launcher is gone; free their pool slots."""
    recovered = (found or survey(instance)).dead
    for run in recovered:
        dagster_run = instance.get_run_by_id(run.run_id)
        if dagster_run is None:  # deleted since the survey: nothing left to free
            continue
        if run.started:
            instance.report_run_failed(
                dagster_run, f"run worker (pid {run.pid} on {socket.gethostname()}) is gone: marked failed so its pool slots are freed"
            )
        else:
            instance.report_run_canceled(
                dagster_run, f"run {run.run_id} never started and its launcher (pid {run.pid} on "
                f"{socket.gethostname()}) is gone (interrupted): marked canceled"
            )
        instance.event_log_storage.free_concurrency_slots_for_run(run.run_id)
    return recovered


def refuse_if_dead_runs_hold_pools(instance: dg.DagsterInstance) -> None:
    """ValueError naming the dead runs that hold pool slots: a run launched now would wait on them forever."""
    holders = [run for run in dead_runs(instance) if run.pools]
    if holders:
        raise ValueError(
            f"{'; '.join(map(str, holders))}: a new run would wait for that slot forever; "
            "run `nba-lakehouse recover` to mark it failed and free the slot, then relaunch"
        )
