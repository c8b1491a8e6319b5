"""``nba-lakehouse status``: what the lake holds per season and date, the bronze fetches, the check results.

Silver and gold are counted from the Parquet itself (a column projection per table: partition
columns and ``game_id``), bronze from its manifests, so the lake part is the truth whatever the
Dagster instance remembers. Check results come from the instance: the latest evaluation of every
declared check per partition.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import polars as pl
import pyarrow.fs as pafs

from nba_lakehouse.lake import PROJECT_ROOT, Lake
from nba_lakehouse.partitions import season_label, season_start_year, seasons_possibly_containing
from nba_lakehouse.schemas import GAME_ISSUES, TABLES

NO_SEASON = "-"  # reference tables and responses that belong to no season
FIRST_NBA_SEASON_START_YEAR = 1946  # the BAA's 1946-47, the league's first season
_SEASON = re.compile(r"(\d{4})-(\d{2})")


def parse_season(text: str) -> str:
    """``2022-23`` as given, after checking it names one season; ValueError naming the input otherwise."""
    start = season_start_year(text)
    if start is None:
        raise ValueError(f"--season {text!r} is not a season: write it like 2022-23 (start year, dash, next year's last two digits)")
    if start < FIRST_NBA_SEASON_START_YEAR:
        raise ValueError(f"--season {text.strip()} is before the first NBA season, "
                         f"{season_label(FIRST_NBA_SEASON_START_YEAR)}")
    return text.strip()


def lake_seasons(lake: Lake) -> list[str]:
    """The seasons the lake holds anything for: the ``season=`` folders of every table and endpoint."""
    found = {
        name.split("=", 1)[1]
        for layer in ("bronze", "silver", "gold")
        for folder in _subdirs(lake, lake.path(layer))
        for name in _subdirs(lake, lake.path(layer, folder))
        if name.startswith("season=")
    }
    return sorted(found)


def require_season_in_lake(lake: Lake, season: str) -> None:
    """ValueError naming the season and the seasons the lake does hold, when it holds nothing for ``season``."""
    held = lake_seasons(lake)
    if season not in held:
        holds = f"it holds {', '.join(held)}" if held else "it holds no season yet"
        raise ValueError(f"no season {season} in the lake at {lake.root_uri}: {holds}")


def open_lake(root: str) -> Lake:
    """The lake at ``root``; ValueError when there is none."""
    lake = Lake(root)
    if lake.fs.get_file_info(lake.base).type == pafs.FileType.NotFound:
        raise ValueError(f"no lake at {root}: the folder does not exist (set NBA_LAKE_ROOT, or run `nba-lakehouse demo`)")
    layers = [layer for layer in ("bronze", "silver", "gold") if _is_dir(lake, lake.path(layer))]
    if not layers:
        raise ValueError(f"no lake at {root}: no bronze/, silver/ or gold/ folder in it (set NBA_LAKE_ROOT, or run `nba-lakehouse demo`)")
    return lake


def _is_dir(lake: Lake, path: str) -> bool:
    return lake.fs.get_file_info(path).type == pafs.FileType.Directory


def _subdirs(lake: Lake, path: str) -> list[str]:
    info = lake.fs.get_file_info(pafs.FileSelector(path, allow_not_found=True))
    return sorted(i.base_name for i in info if i.type == pafs.FileType.Directory and not i.base_name.startswith("."))


# ------------------------------------------------------------------------------- silver, gold
def table_summary(lake: Lake, seasons: Sequence[str] | None = None) -> pl.DataFrame:
    """One row per season and partitioned table: partitions, date range, rows, distinct games.

    Each table is read once, projected to its partition columns and ``game_id``.
    """
    rows = []
    for table in TABLES.values():
        if not table.partition_by:
            continue
        columns = [*table.partition_by, *(["game_id"] if "game_id" in table.column_index else [])]
        df = lake.read_table(table, seasons=seasons, columns=columns)
        if df.is_empty():
            continue
        dated = "game_date" in table.partition_by
        aggregates = [
            (pl.col("game_date").n_unique() if dated else pl.lit(1, pl.UInt32)).alias("partitions"),
            (pl.col("game_date").min() if dated else pl.lit(None, pl.Date)).alias("first_date"),
            (pl.col("game_date").max() if dated else pl.lit(None, pl.Date)).alias("last_date"),
            pl.len().alias("rows"),
            (pl.col("game_id").n_unique() if "game_id" in df.columns else pl.lit(None, pl.UInt32)).alias("games"),
        ]
        summary = df.group_by("season").agg(aggregates).with_columns(table=pl.lit(f"{table.layer}.{table.name}"))
        rows.append(summary.select(
            "season", "table", pl.col("partitions").cast(pl.Int64), "first_date", "last_date",
            pl.col("rows").cast(pl.Int64), pl.col("games").cast(pl.Int64),
        ))
    if not rows:
        return pl.DataFrame(schema={"season": pl.String, "table": pl.String, "partitions": pl.Int64, "first_date": pl.Date,
                                    "last_date": pl.Date, "rows": pl.Int64, "games": pl.Int64})
    order = {f"{t.layer}.{t.name}": i for i, t in enumerate(sorted(TABLES.values(), key=lambda t: (t.layer != "silver", t.name)))}
    return pl.concat(rows).with_columns(_order=pl.col("table").replace_strict(order)).sort("season", "_order").drop("_order")


def reference_summary(lake: Lake) -> pl.DataFrame:
    """Rows of the unpartitioned tables (teams, players)."""
    rows = []
    for table in TABLES.values():
        if table.partition_by:
            continue
        if lake.partition_files(table):
            rows.append({"table": f"{table.layer}.{table.name}", "rows": lake.read_table(table, columns=[table.key[0]]).height})
    return pl.DataFrame(rows, schema={"table": pl.String, "rows": pl.Int64})


def game_issue_summary(lake: Lake, seasons: Sequence[str] | None = None) -> pl.DataFrame:
    """Every game held back or flagged, as silver.game_issues holds it now (latest run per asset)."""
    issues = lake.read_table(GAME_ISSUES, seasons=seasons)
    return issues.sort("season", "game_date", "game_id", "recorded_by", "rule").select(
        "season", "game_date", "game_id", "action", "recorded_by", "rule", "detail", run=pl.col("run_id").str.slice(0, 8)
    )


# ------------------------------------------------------------------------------------ bronze
BRONZE_COLUMNS = ["season", "endpoint", "responses", "last_fetch", "mode"]


def bronze_summary(lake: Lake, seasons: Sequence[str] | None = None) -> pl.DataFrame:
    """One row per endpoint and season: archived responses (manifests), the last fetch and its mode."""
    bronze = lake.path("bronze")
    found: list[dict] = []
    for endpoint in _subdirs(lake, bronze):
        roots = [f"{bronze}/{endpoint}"] if seasons is None else [f"{bronze}/{endpoint}/season={s}" for s in seasons]
        for root in roots:
            info = lake.fs.get_file_info(pafs.FileSelector(root, recursive=True, allow_not_found=True))
            for i in info:
                if i.type != pafs.FileType.File or not i.base_name.endswith(".manifest.json"):
                    continue
                manifest = json.loads(lake.read_bytes(i.path))
                season = next((p.split("=", 1)[1] for p in i.path.split("/") if p.startswith("season=")), NO_SEASON)
                found.append({
                    "season": season, "endpoint": endpoint,
                    "fetched_at": dt.datetime.fromisoformat(manifest["fetched_at"]).astimezone(dt.UTC),
                    "mode": manifest.get("source_mode", "?"),
                })
    if not found:
        return pl.DataFrame(schema={c: pl.Int64 if c == "responses" else pl.String for c in BRONZE_COLUMNS})
    df = pl.DataFrame(found)
    last_mode = pl.col("mode").sort_by("fetched_at").last()
    out = (
        df.group_by("season", "endpoint")
        .agg(responses=pl.len(), last=pl.col("fetched_at").max(), mode=last_mode, others=(pl.col("mode") != last_mode).sum())
        .sort("season", "endpoint")
    )
    return out.select(
        "season", "endpoint", pl.col("responses").cast(pl.Int64),
        last_fetch=pl.col("last").dt.strftime("%Y-%m-%d %H:%M:%S UTC"),
        mode=pl.when(pl.col("others") > 0)
        .then(pl.format("{} ({} earlier responses in another mode)", "mode", "others"))
        .otherwise(pl.col("mode")),
    )


# ------------------------------------------------------------------------------ asset checks
@dataclass(frozen=True)
class CheckOutcome:
    check: str  # asset.check_name
    partition: str | None
    status: str  # passed, failed, not evaluated, running
    run_id: str
    description: str = ""
    evaluated_at: float | None = None


def default_dagster_home() -> str:
    """$DAGSTER_HOME, else the project's .dagster_home (where the demo and `tasks.py ui` keep runs)."""
    return os.environ.get("DAGSTER_HOME") or str(PROJECT_ROOT / ".dagster_home")


def instance_exists(home: str) -> bool:
    path = Path(home)
    return path.is_dir() and ((path / "dagster.yaml").exists() or (path / "storage").is_dir())


def declared_checks():
    """``{check key: partitioned?}`` of every check in the code location."""
    from nba_lakehouse.definitions import defs

    graph = defs.resolve_asset_graph()
    return {key: graph.get(key).partitions_def is not None for key in graph.asset_check_keys}


def check_outcomes(instance, checks=None) -> list[CheckOutcome]:
    """The latest evaluation of every check per partition, from the instance's check records.

    ``event_log_storage.get_asset_check_partition_info`` gives, per check and partition, the
    latest record: SUCCEEDED or FAILED for an evaluation, PLANNED for a run that planned the check.
    A run over a range of dates (a single-run backfill) plans each date but records its one
    evaluation without a partition: a PLANNED date is resolved to its run's evaluation of that
    check, else reported as not evaluated (the run ended without it: an upstream step failed) or
    running.
    """
    import dagster as dg

    checks = declared_checks() if checks is None else checks
    infos = instance.event_log_storage.get_asset_check_partition_info(list(checks))
    evaluations_of_run: dict[str, dict] = {}

    def evaluations(run_id: str) -> dict:
        if run_id not in evaluations_of_run:
            found = {}
            records = instance.get_records_for_run(run_id, of_type=dg.DagsterEventType.ASSET_CHECK_EVALUATION).records
            for record in records:
                evaluation = record.event_log_entry.dagster_event.event_specific_data
                key = dg.AssetCheckKey(evaluation.asset_key, evaluation.check_name)
                found[(key, evaluation.partition)] = (evaluation, record.event_log_entry.timestamp)
            evaluations_of_run[run_id] = found
        return evaluations_of_run[run_id]

    outcomes = []
    for info in infos:
        key, partition, run_id = info.check_key, info.partition_key, info.latest_planned_run_id
        if partition is None and checks.get(key):
            continue  # the evaluation of a range run: attributed to the dates it planned, below
        name = f"{key.asset_key.to_user_string()}.{key.name}"
        status = info.latest_execution_status.value  # SUCCEEDED, FAILED or PLANNED
        if status == "SUCCEEDED":
            outcomes.append(CheckOutcome(name, partition, "passed", run_id))
            continue
        run_evaluations = evaluations(run_id)
        found = run_evaluations.get((key, partition)) or run_evaluations.get((key, None))
        if found:
            evaluation, timestamp = found
            outcomes.append(CheckOutcome(
                name, partition, "passed" if evaluation.passed else "failed", run_id,
                evaluation.description or "", timestamp,
            ))
        elif status == "FAILED":
            outcomes.append(CheckOutcome(name, partition, "failed", run_id))
        else:
            run = instance.get_run_by_id(run_id)
            status = "running" if run is not None and not run.is_finished else "not evaluated"
            outcomes.append(CheckOutcome(name, partition, status, run_id))
    return outcomes


def in_seasons(partition: str | None, seasons: Sequence[str] | None) -> bool:
    """Whether a check partition (a game date or a season; None for unpartitioned) is in ``seasons``."""
    if seasons is None or partition is None:
        return True
    if _SEASON.fullmatch(partition):
        return partition in seasons
    return any(s in seasons for s in seasons_possibly_containing(dt.date.fromisoformat(partition)))


def check_summary(outcomes: Iterable[CheckOutcome], check_names: Iterable[str]) -> pl.DataFrame:
    counts = {name: {"passed": 0, "failed": 0, "not evaluated": 0, "running": 0} for name in check_names}
    for o in outcomes:
        counts.setdefault(o.check, {"passed": 0, "failed": 0, "not evaluated": 0, "running": 0})[o.status] += 1
    return pl.DataFrame(
        [{"check": name, "partitions": sum(c.values()), **c} for name, c in sorted(counts.items())],
        schema={"check": pl.String, "partitions": pl.Int64, "passed": pl.Int64, "failed": pl.Int64,
                "not evaluated": pl.Int64, "running": pl.Int64},
    )


def _partition_span(partitions: list[str | None]) -> str:
    named = sorted(p for p in partitions if p is not None) or ["(unpartitioned)"]
    if len(named) == 1:
        return named[0]
    return f"{named[0]}..{named[-1]} ({len(named)} partitions)"


def failing_checks(outcomes: Iterable[CheckOutcome]) -> pl.DataFrame:
    """The failing checks, one row per check and run that failed it, with the partitions it failed."""
    groups: dict[tuple[str, str, str], list[CheckOutcome]] = {}
    for o in outcomes:
        if o.status == "failed":
            groups.setdefault((o.check, o.run_id, o.description), []).append(o)
    rows = [
        {
            "check": check, "partition": _partition_span([o.partition for o in group]), "run": run_id[:8],
            "evaluated_at": dt.datetime.fromtimestamp(group[0].evaluated_at, dt.UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
            if group[0].evaluated_at else "", "result": description,
        }
        for (check, run_id, description), group in groups.items()
    ]
    schema = {c: pl.String for c in ("check", "partition", "run", "evaluated_at", "result")}
    return pl.DataFrame(rows, schema=schema).sort("check", "partition") if rows else pl.DataFrame(schema=schema)


# ------------------------------------------------------------------------------------ output
def _table_config() -> pl.Config:
    return pl.Config(
        tbl_rows=-1, tbl_cols=-1, tbl_width_chars=220, fmt_str_lengths=100,
        tbl_hide_dataframe_shape=True, tbl_hide_column_data_types=True,
    )


def _display(df: pl.DataFrame) -> pl.DataFrame:
    """Dates as text and nulls as "-", so a table without dates or games says so plainly."""
    return df.with_columns(pl.all().cast(pl.String).fill_null("-"))


def print_status(lake_root: str, season: str | None = None, dagster_home: str | None = None) -> None:
    seasons = [parse_season(season)] if season is not None else None
    lake = open_lake(lake_root)
    if seasons:  # else the unpartitioned checks alone would report as the season's ("1 passed")
        require_season_in_lake(lake, seasons[0])
    tables = table_summary(lake, seasons)
    bronze = bronze_summary(lake, seasons)
    issues = game_issue_summary(lake, seasons)
    with _table_config():
        print(f"Lake {lake.root_uri}: silver and gold counted from the Parquet, bronze from its manifests")
        all_seasons = sorted(set(tables["season"]) | set(bronze["season"]) - {NO_SEASON})
        if seasons and not all_seasons:  # its folders hold no table rows or responses
            print(f"\nnothing in the lake for season {seasons[0]}")
        for s in all_seasons:
            print(f"\nseason {s}: silver and gold tables (partitions = game dates, or the season itself)")
            season_tables = tables.filter(pl.col("season") == s).drop("season")
            print(_display(season_tables) if season_tables.height else "  (none)")
            season_issues = issues.filter(pl.col("season") == s).drop("season")
            held = season_issues.filter(pl.col("action") == "held_back")["game_id"].n_unique()
            print(f"season {s}: games held back ({held}) or flagged, with the reason (silver.game_issues; "
                  "a re-run after the cause is fixed publishes them)")
            print(_display(season_issues) if season_issues.height else "  (none)")
            season_bronze = bronze.filter(pl.col("season") == s).drop("season")
            print(f"season {s}: bronze responses per endpoint")
            print(_display(season_bronze) if season_bronze.height else "  (none)")
        if seasons is None:
            reference = reference_summary(lake)
            unseasoned = bronze.filter(pl.col("season") == NO_SEASON).drop("season")
            if reference.height:
                print("\nno season: reference tables")
                print(_display(reference))
            if unseasoned.height:
                print("no season: bronze responses per endpoint")
                print(_display(unseasoned))
        print_checks(dagster_home or default_dagster_home(), seasons)


def print_checks(home: str, seasons: Sequence[str] | None) -> None:
    if not instance_exists(home):
        print(f"\nAsset checks: no Dagster instance at {home} (DAGSTER_HOME): no check results to show")
        return
    import dagster as dg

    checks = declared_checks()
    with dg.DagsterInstance.from_config(home) as instance:
        outcomes = [o for o in check_outcomes(instance, checks) if in_seasons(o.partition, seasons)]
    names = sorted(f"{k.asset_key.to_user_string()}.{k.name}" for k in checks)
    summary = check_summary(outcomes, names)
    totals = {s: sum(o.status == s for o in outcomes) for s in ("passed", "failed", "not evaluated", "running")}
    scope = f" in season {seasons[0]}" if seasons else ""
    print(f"\nAsset checks{scope}: latest evaluation per partition, Dagster instance {home}")
    print(f"  {totals['passed']} passed, {totals['failed']} failed, {totals['not evaluated']} not evaluated, "
          f"{totals['running']} running, over {len(outcomes)} check partitions")
    print(summary)
    failing = failing_checks(outcomes)
    if failing.height:
        print("failing checks (latest evaluation failed)")
        print(failing)
    else:
        print("no failing checks")
