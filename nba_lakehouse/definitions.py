"""The code location: every asset, check, job and resource of the lakehouse."""

import os

import dagster as dg

from nba_lakehouse.automation.schedules import build_schedules
from nba_lakehouse.automation.sensors import bronze_per_date, build_new_games_sensor, dead_run_sweeper
from nba_lakehouse.bronze import assets as bronze_assets
from nba_lakehouse.bronze import checks as bronze_checks
from nba_lakehouse.gold import assets as gold_assets
from nba_lakehouse.gold import checks as gold_checks
from nba_lakehouse.partitions import game_date_partitions, season_partitions
from nba_lakehouse.resources import build_resources
from nba_lakehouse.silver import assets as silver_assets
from nba_lakehouse.silver import checks as silver_checks
from nba_lakehouse.warehouse import assets as warehouse_assets

# Every module defines its assets with @dg.asset: all of them are AssetsDefinitions.
all_assets = [a for a in dg.load_assets_from_modules([bronze_assets, silver_assets, gold_assets, warehouse_assets])
              if isinstance(a, dg.AssetsDefinition)]
all_checks = dg.load_asset_checks_from_modules([bronze_checks, silver_checks, gold_checks])

# Freshness is judged by its own schedule, after the runs that build the partitions: a run never
# waits for or reports on it.
gold_freshness = dg.AssetSelection.checks(gold_checks.gold_freshness)

# Everything per game date, bronze to gold: what a user launches for one date or a season range.
per_game_date = dg.AssetSelection.assets(
    *[key for a in all_assets if a.partitions_def == game_date_partitions for key in a.keys]
) - gold_freshness
# Everything per season: schedule, game logs, season stats, the reconciled games, season gold.
per_season = dg.AssetSelection.assets(
    *[key for a in all_assets if a.partitions_def == season_partitions for key in a.keys]
) - gold_freshness
gold_freshness_job = dg.define_asset_job(
    "gold_freshness_job",
    selection=gold_freshness,
    description="Judge gold freshness: every recent game date with games built after its games were over",
)

game_date_job = dg.define_asset_job(
    "game_date_job",
    selection=per_game_date,
    description="Fetch, archive, normalize and derive every per-game table for the selected game dates",
)

# The per-date tables that play-by-play alone makes (no box score or detail feed): for seasons or
# replays that have nothing else, such as the bulk 2022-23 season. A single-run backfill writes one
# event per asset and date on the instance, so leaving out the 14 assets of feeds that hold nothing
# takes ~60% of a season's orchestration off (benchmarks/README.md, "A season through Dagster").
PLAY_BY_PLAY_DATE_ASSETS = (
    "bronze_scoreboard", "bronze_play_by_play", "scoreboard_games", "play_by_play",
    "players_on_court", "possessions", "stints", "event_state", "win_probability",
)
play_by_play_date_job = dg.define_asset_job(
    "play_by_play_date_job",
    selection=dg.AssetSelection.assets(*PLAY_BY_PLAY_DATE_ASSETS) - gold_freshness,
    description="Scoreboards, play-by-play and the gold tables derived from play-by-play alone (lineups with "
    "inferred starters, possessions, stints, event state) for the selected game dates: for seasons without box scores",
)

win_probability_job = dg.define_asset_job(
    "win_probability_job",
    selection=dg.AssetSelection.assets("win_probability") - gold_freshness,
    description="Score every event of the selected game dates with the lake's win probability model"
    " (after win_probability_model is trained or replaced)",
)

season_job = dg.define_asset_job(
    "season_job",
    selection=per_season,
    description="Fetch and build every season-level table (schedule, game logs, season stats, games) for a season",
)

reference_job = dg.define_asset_job(
    "reference_job",
    selection=["bronze_team_years", "teams", "players"],
    description="Fetch CommonTeamYears and rebuild the teams and players reference tables",
)

automation = dg.AutomationConditionSensorDefinition(
    "lakehouse_automation",
    target=dg.AssetSelection.all(),
    default_status=dg.DefaultSensorStatus.RUNNING,
    minimum_interval_seconds=60,
    description="Evaluates the assets' automation conditions: per-date silver and gold follow bronze",
)


def build_executor() -> dg.ExecutorDefinition:
    """In-process by default; Celery on the broker in ``NBA_CELERY_BROKER_URL`` when it is set.

    One process per run: a date's 20-odd steps take seconds instead of a process start each, and
    the pools still hold (in-process steps claim their slots in the instance too). With a broker,
    every step is a Celery task that any worker started with the same broker takes (README,
    "Celery workers"); the run's process still claims the pools' slots, and the broker and result
    backend are read from the environment when the run starts, never stored in the run config.
    """
    if not os.environ.get("NBA_CELERY_BROKER_URL"):
        return dg.in_process_executor
    from dagster_celery import celery_executor

    backend = "NBA_CELERY_BACKEND_URL" if os.environ.get("NBA_CELERY_BACKEND_URL") else "NBA_CELERY_BROKER_URL"
    return celery_executor.configured(
        {"broker": {"env": "NBA_CELERY_BROKER_URL"}, "backend": {"env": backend}}, name="celery"
    )


defs = dg.Definitions(
    assets=[*all_assets, silver_assets.game_issues_spec],
    asset_checks=all_checks,
    jobs=[game_date_job, play_by_play_date_job, win_probability_job, season_job, reference_job, gold_freshness_job],
    sensors=[build_new_games_sensor(bronze_per_date(all_assets)), automation, dead_run_sweeper],
    schedules=build_schedules(season_job, reference_job, gold_freshness_job),
    executor=build_executor(),
    resources=build_resources(),
)
