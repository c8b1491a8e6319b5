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
from dagster._core.events import DagsterEventType

from nba_lakehouse.lake import process_alive

ACTIVE = [dg.DagsterRunStatus.STARTING, dg.DagsterRunStatus.STARTED, dg.DagsterRunStatus.CANCELING]


@dataclass(frozen=True)
class RecoveredRun:
    run_id: str
    job_name: str
    pid: int
    partition: str | None


def _worker_pid(instance: dg.DagsterInstance, run_id: str) -> int | None:
    records = instance.get_records_for_run(run_id, of_type=DagsterEventType.RUN_START, limit=1).records
    event = records[0].event_log_entry.dagster_event if records else None
    return event.pid if event else None


def fail_dead_runs(instance: dg.DagsterInstance) -> list[RecoveredRun]:
    """Mark failed every active run whose worker (on this machine) is gone, and free its pool slots."""
    recovered = []
    for run in instance.get_runs(filters=dg.RunsFilter(statuses=ACTIVE)):
        pid = _worker_pid(instance, run.run_id)
        if pid is None or process_alive(pid):
            continue  # not started yet, or still working (a reused pid errs on the safe side)
        instance.report_run_failed(run, f"run worker (pid {pid}) is gone: marked failed so its pool slots are freed")
        instance.event_log_storage.free_concurrency_slots_for_run(run.run_id)
        recovered.append(RecoveredRun(run.run_id, run.job_name, pid, run.tags.get("dagster/partition")))
    return recovered
