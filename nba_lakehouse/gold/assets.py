"""Gold assets: analytics tables derived from silver."""

import dagster as dg

from nba_lakehouse.automation.conditions import FOLLOW_UPSTREAM, GOLD_FRESHNESS

from nba_lakehouse.gold.event_state import build_event_state
from nba_lakehouse.gold.starter_splits import build_starter_splits
from nba_lakehouse.partitions import game_date_partitions, season_partitions
from nba_lakehouse.resources import LakeResource
from nba_lakehouse.schemas import (
    BOX_SCORE_PLAYERS,
    BOX_SCORE_TEAMS,
    EVENT_STATE,
    PLAY_BY_PLAY,
    STARTER_SPLITS,
)
from nba_lakehouse.silver.games import game_outcomes
from nba_lakehouse.wiring import (
    partition_dates,
    table_definition_metadata,
    table_result,
)


@dg.asset(
    deps=["play_by_play", "box_score_teams"],
    partitions_def=game_date_partitions,
    automation_condition=FOLLOW_UPSTREAM,
    freshness_policy=GOLD_FRESHNESS,
    backfill_policy=dg.BackfillPolicy.single_run(),
    group_name="gold",
    kinds={"polars", "parquet"},
    description=EVENT_STATE.description,
    metadata=table_definition_metadata(EVENT_STATE),
)
def event_state(context: dg.AssetExecutionContext, lake: LakeResource) -> dg.MaterializeResult:
    store = lake.lake()
    dates = partition_dates(context)
    pbp = store.read_table(PLAY_BY_PLAY, game_dates=dates)
    # Each game's own box score and play-by-play decide its sides and result, so a date's gold
    # does not wait for the season-level games table.
    df = build_event_state(pbp, game_outcomes(store.read_table(BOX_SCORE_TEAMS, game_dates=dates), pbp))
    written = store.write_table(EVENT_STATE, df, dates=dates)
    return table_result(df, written)


@dg.asset(
    # A season is a set of game dates no built-in time mapping can express (2019-20 ended in
    # October 2020), so the season asset depends on all dates and reads its season's folder.
    deps=[dg.AssetDep("box_score_players", partition_mapping=dg.AllPartitionMapping())],
    partitions_def=season_partitions,
    freshness_policy=GOLD_FRESHNESS,
    group_name="gold",
    kinds={"polars", "parquet"},
    description=STARTER_SPLITS.description,
    metadata=table_definition_metadata(STARTER_SPLITS),
)
def starter_splits(context: dg.AssetExecutionContext, lake: LakeResource) -> dg.MaterializeResult:
    store = lake.lake()
    seasons = list(context.partition_keys)
    df = build_starter_splits(store.read_table(BOX_SCORE_PLAYERS, seasons=seasons))
    written = store.write_table(STARTER_SPLITS, df, seasons=seasons)
    return table_result(df, written)
