"""Backfills of game dates that cost what their games cost: only the dates that hold games.

Orchestration on a sqlite instance costs per **partition and asset key**, not per game: a single-run
backfill of ``game_date_job`` writes one materialization event per per-date asset (23) per date,
and by default one planned event per asset per date too, each a sqlite transaction of roughly
10-25 ms on a 2-core machine. A date with no game does no work but still pays ~0.5-1 s of events.
So a season (or history) backfill here:

1. **targets only the dates that hold games** (from the season's ``silver.schedule`` when it is
   there, else the recorded games in replay mode), grouped into as few contiguous ranges as they
   make (a gap of ``merge_gap_days`` or fewer empty dates is run through rather than split, since
   a run costs more to start than a few empty dates cost to carry); each range is one single-run
   backfill, exactly what the UI launches for a range;
2. asks Dagster for **one planned event per asset for the whole range** instead of one per asset
   and date (``DAGSTER_EMIT_PARTITION_SUBSET_IN_PLANNED_EVENTS``, set only while these runs are
   created). Dagster's own caveat: a range run that *fails* does not mark its dates as failed in
   the UI (they stay "missing", and re-running the range fetches only what is missing); the run
   itself shows the failure. Per-date runs from the UI and the sensors do not go through here and
   keep Dagster's default per-date planned events.

Only public Dagster APIs: ``JobDefinition.execute_in_process`` with the documented
``dagster/asset_partition_range_start``/``_end`` tags of a single-run backfill.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass

import dagster as dg
import polars as pl

from nba_lakehouse.lake import Lake
from nba_lakehouse.partitions import game_date_range, season_label, today_eastern
from nba_lakehouse.recovery import worker_tags
from nba_lakehouse.schemas import SCHEDULE
from nba_lakehouse.sources.replay import recorded_games

RANGE_START_TAG = "dagster/asset_partition_range_start"
RANGE_END_TAG = "dagster/asset_partition_range_end"
PLANNED_SUBSET_ENV = "DAGSTER_EMIT_PARTITION_SUBSET_IN_PLANNED_EVENTS"
# Measured (benchmarks/README.md): starting a run costs ~2-3 s of events, an empty date carried
# in a range ~0.3-0.5 s. Gaps up to this many empty dates are carried, longer ones split the run.
MERGE_GAP_DAYS = 3


@dataclass(frozen=True)
class DateRange:
    start: dt.date
    end: dt.date
    game_dates: int  # dates in the range that hold games
    days: int  # every date of the range, empty ones included

    @property
    def tags(self) -> dict[str, str]:
        return {RANGE_START_TAG: self.start.isoformat(), RANGE_END_TAG: self.end.isoformat()}

    def __str__(self) -> str:
        return f"{self.start}..{self.end} ({self.game_dates} game dates of {self.days})"


def contiguous_ranges(dates: Iterable[dt.date], merge_gap_days: int = MERGE_GAP_DAYS) -> list[DateRange]:
    """Sorted runs of dates, a gap of at most ``merge_gap_days`` missing dates carried inside a run."""
    ordered = sorted(set(dates))
    ranges: list[DateRange] = []
    if not ordered:
        return ranges
    start = prev = ordered[0]
    count = 1
    for d in ordered[1:]:
        if (d - prev).days - 1 > merge_gap_days:
            ranges.append(DateRange(start, prev, count, (prev - start).days + 1))
            start, count = d, 0
        prev = d
        count += 1
    ranges.append(DateRange(start, prev, count, (prev - start).days + 1))
    return ranges


def scheduled_game_dates(lake: Lake, seasons: Sequence[str]) -> set[dt.date] | None:
    """Dates of the seasons' games in ``silver.schedule`` (materialize ``season_job`` first), or None."""
    df = lake.read_table(SCHEDULE, seasons=list(seasons), columns=["game_date"])
    return set(df["game_date"].to_list()) if df.height else None


def game_dates_between(
    start: dt.date, end: dt.date, lake: Lake, replay_dir: str | None = None
) -> tuple[list[dt.date], str]:
    """The dates of [start, end] that hold games, and where that came from.

    The season schedule when archived and parsed; else, in replay mode, the recorded games
    (``games.csv``); else every date (nothing tells which are empty).
    """
    seasons = sorted({season_label(y) for y in range(start.year - 1, end.year + 1)})
    known = scheduled_game_dates(lake, seasons)
    if known is not None and not any(start <= d <= end for d in known):
        known = None  # the schedule parsed holds other seasons only: it tells nothing about this window
    source = "silver.schedule"
    if known is None and replay_dir is not None:
        recorded = set(recorded_games(replay_dir).values())
        known, source = (recorded, "recorded games (games.csv)") if recorded else (None, "")
    if known is None:
        days = (end - start).days + 1
        return [start + dt.timedelta(days=i) for i in range(days)], "every date (no schedule to tell empty dates)"
    last = min(end, today_eastern())
    return sorted(d for d in known if start <= d <= last), source


def season_window(season: str) -> tuple[dt.date, dt.date]:
    """The widest window a season's games fall in: August 1 to the next July 31 (2019-20 ended in October
    2020, so its window runs on to October 31)."""
    start_year = int(season[:4])
    end = dt.date(start_year + 1, 10, 31) if season == "2019-20" else dt.date(start_year + 1, 7, 31)
    return dt.date(start_year, 8, 1), end


@contextmanager
def planned_events_per_range() -> Iterator[None]:
    """One ASSET_MATERIALIZATION_PLANNED event per asset per run instead of per asset and date."""
    previous = os.environ.get(PLANNED_SUBSET_ENV)
    os.environ[PLANNED_SUBSET_ENV] = "true"
    try:
        yield
    finally:
        if previous is None:
            os.environ.pop(PLANNED_SUBSET_ENV, None)
        else:
            os.environ[PLANNED_SUBSET_ENV] = previous


def backfill_ranges(
    job: dg.JobDefinition,
    ranges: Sequence[DateRange],
    instance: dg.DagsterInstance,
    run_config: dict | None = None,
    log=print,
) -> list[dg.ExecuteInProcessResult]:
    """One single-run backfill of ``job`` per range, in this process; stops at the first failed run."""
    results = []
    for date_range in ranges:
        game_date_range(date_range.start.isoformat(), date_range.end.isoformat())  # Dagster would run a bad one green
        with planned_events_per_range():
            result = job.execute_in_process(
                instance=instance, run_config=run_config or {}, raise_on_error=False,
                # this process is the run's worker: `recover` and the sweeper can judge it by pid
                tags={**date_range.tags, **worker_tags()},
            )
        results.append(result)
        if log:
            log(f"{job.name} {date_range}: run {result.run_id} {'succeeded' if result.success else 'FAILED'}")
        if not result.success:
            break
    return results


def plan(start: dt.date, end: dt.date, lake: Lake, replay_dir: str | None = None, merge_gap_days: int = MERGE_GAP_DAYS):
    """(ranges, source, game dates): what ``backfill`` would launch for [start, end]."""
    dates, source = game_dates_between(start, end, lake, replay_dir)
    return contiguous_ranges(dates, merge_gap_days), source, dates


def frame_of_ranges(ranges: Sequence[DateRange]) -> pl.DataFrame:
    return pl.DataFrame(
        {"start": [r.start for r in ranges], "end": [r.end for r in ranges],
         "game_dates": [r.game_dates for r in ranges], "days": [r.days for r in ranges]}
    )


def game_date_job_with(resources: dict) -> dg.JobDefinition:
    """``game_date_job`` bound to other resources (a test's or a benchmark's lake) than the code location's."""
    from nba_lakehouse.definitions import all_assets, all_checks, game_date_job

    defs = dg.Definitions(
        assets=all_assets, asset_checks=all_checks, jobs=[game_date_job], executor=dg.in_process_executor,
        resources=resources,
    )
    return defs.resolve_job_def(game_date_job.name)
