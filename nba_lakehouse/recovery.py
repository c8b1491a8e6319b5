"""Recovering from a killed run: fail the runs whose worker process is gone, free their pool slots.

A run killed with SIGKILL (or lost with its machine) stays STARTED in the instance and keeps its
``nba_api`` pool slot, so every later NBA-calling step waits forever. Dagster's run monitoring
cannot see local run workers (the default run launcher has no health check), so this looks at
the worker's pid recorded with the run's start event. The lake itself needs no repair: every
file is written whole or not at all, and a relaunched backfill reuses everything archived.
"""

from __future__ import annotations

from dataclasses import dataclass

import dagster as dg

from nba_lakehouse.lake import process_alive

ACTIVE = [dg.DagsterRunStatus.STARTING, dg.DagsterRunStatus.STARTED, dg.DagsterRunStatus.CANCELING]


@dataclass(frozen=True)
class DeadRun:
    run_id: str
    job_name: str
    pid: int
    partition: str | None
    # The pools it holds a slot of or has a step queued for: a queued step of a dead run is handed
    # the slot when it frees up, and never gives it back.
    pools: tuple[str, ...]

    def __str__(self) -> str:
        held = f", holds or is queued for the {', '.join(self.pools)} pool slot" if self.pools else ""
        return f"run {self.run_id} ({self.job_name}, partition {self.partition}{held}; worker pid {self.pid} gone)"


def _worker_pid(instance: dg.DagsterInstance, run_id: str) -> int | None:
    records = instance.get_records_for_run(run_id, of_type=dg.DagsterEventType.RUN_START, limit=1).records
    event = records[0].event_log_entry.dagster_event if records else None
    return event.pid if event else None


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


def dead_runs(instance: dg.DagsterInstance) -> list[DeadRun]:
    """The active runs whose worker (on this machine) is gone, with the pools they hold or queue for."""
    pools = _pools_by_run(instance)
    dead = []
    for run in instance.get_runs(filters=dg.RunsFilter(statuses=ACTIVE)):
        pid = _worker_pid(instance, run.run_id)
        if pid is None or process_alive(pid):
            continue  # not started yet, or still working (a reused pid errs on the safe side)
        dead.append(DeadRun(run.run_id, run.job_name, pid, run.tags.get("dagster/partition"), pools.get(run.run_id, ())))
    return dead


def fail_dead_runs(instance: dg.DagsterInstance) -> list[DeadRun]:
    """Mark failed every active run whose worker (on this machine) is gone, and free its pool slots."""
    recovered = dead_runs(instance)
    for run in recovered:
        dagster_run = instance.get_run_by_id(run.run_id)
        instance.report_run_failed(dagster_run, f"run worker (pid {run.pid}) is gone: marked failed so its pool slots are freed")
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
