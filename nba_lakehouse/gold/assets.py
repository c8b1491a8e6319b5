"""Gold assets: analytics tables derived from silver."""

import dagster as dg
import polars as pl

from nba_lakehouse import game_issues
from nba_lakehouse.automation.conditions import FOLLOW_UPSTREAM
from nba_lakehouse.gold.audits import (
    games_without_box_score,
    players_on_court_rule_violations,
    possessions_rule_violations,
    stints_rule_violations,
)
from nba_lakehouse.gold.clutch_splits import build_clutch_splits
from nba_lakehouse.gold.event_state import build_event_state
from nba_lakehouse.gold.players_on_court import build_players_on_court
from nba_lakehouse.gold.possessions import build_possessions
from nba_lakehouse.gold.starter_splits import build_starter_splits
from nba_lakehouse.gold.stints import build_stints
from nba_lakehouse.gold.team_game_stats import build_team_game_stats
from nba_lakehouse.partitions import game_date_partitions, season_partitions
from nba_lakehouse.resources import LakeResource
from nba_lakehouse.schemas import (
    BOX_SCORE_PLAYERS,
    BOX_SCORE_TEAMS,
    CLUTCH_SPLITS,
    EVENT_STATE,
    PLAY_BY_PLAY,
    PLAYERS_ON_COURT,
    POSSESSIONS,
    STARTER_SPLITS,
    STINTS,
    TEAM_GAME_STATS,
    Table,
)
from nba_lakehouse.silver.games import game_outcomes
from nba_lakehouse.wiring import (
    partition_dates,
    record_issues,
    refuse_to_drop_gold_without_silver,
    table_definition_metadata,
    table_result,
    unless_empty,
)


def _per_date(table: Table, deps: list[str]) -> dict:
    """Decorator arguments every per-date gold table shares."""
    return dict(
        deps=deps,
        partitions_def=game_date_partitions,
        automation_condition=FOLLOW_UPSTREAM,
        backfill_policy=dg.BackfillPolicy.single_run(),
        group_name="gold",
        kinds={"polars", "parquet"},
        description=table.description,
        metadata=table_definition_metadata(table),
    )


def _sides(store, dates, pbp):
    """Each game's home and away team from that date's own box score and play-by-play, so a
    date's gold does not wait for the season-level games table."""
    return game_outcomes(store.read_table(BOX_SCORE_TEAMS, game_dates=dates), pbp)


def _write(store, table: Table, df, dates) -> dg.MaterializeResult:
    return table_result(df, store.write_table(table, df, dates=dates))


def _publish(context, store, table: Table, df, dates, failed, flagged=None) -> dg.MaterializeResult:
    """Write ``df`` without the games that broke the table's game-level rules, and file those
    games (and any ``flagged`` ones, published with a caveat) in game_issues."""
    game_dates = df.select("game_id", "game_date")
    issues = game_issues.issue_rows(
        failed, game_dates, recorded_by=context.op_def.name, stage="gold", tables=table.name, run_id=context.run.run_id
    )
    if flagged is not None and flagged.height:
        issues = pl.concat([issues, game_issues.issue_rows(
            flagged, game_dates, recorded_by=context.op_def.name, stage="gold", tables=table.name,
            action=game_issues.FLAGGED, run_id=context.run.run_id,
        )])
    published = game_issues.without_games(df, failed)
    return table_result(
        published, store.write_table(table, published, dates=dates), extra=record_issues(context, store, dates, issues)
    )


@dg.asset(**_per_date(PLAYERS_ON_COURT, ["play_by_play", "box_score_players", "box_score_teams"]))
def players_on_court(context: dg.AssetExecutionContext, lake: LakeResource) -> dg.MaterializeResult:
    store, dates = lake.lake(), partition_dates(context)
    pbp = store.read_table(PLAY_BY_PLAY, game_dates=dates)
    box = store.read_table(BOX_SCORE_PLAYERS, game_dates=dates)
    refuse_to_drop_gold_without_silver(context, store, PLAYERS_ON_COURT, {PLAY_BY_PLAY: pbp}, dates=dates)
    df = build_players_on_court(pbp, box, _sides(store, dates, pbp))
    return _publish(
        context, store, PLAYERS_ON_COURT, df, dates, players_on_court_rule_violations(df),
        flagged=games_without_box_score(pbp, box),
    )


@dg.asset(**_per_date(POSSESSIONS, ["play_by_play", "box_score_teams"]))
def possessions(context: dg.AssetExecutionContext, lake: LakeResource) -> dg.MaterializeResult:
    store, dates = lake.lake(), partition_dates(context)
    pbp = store.read_table(PLAY_BY_PLAY, game_dates=dates)
    refuse_to_drop_gold_without_silver(context, store, POSSESSIONS, {PLAY_BY_PLAY: pbp}, dates=dates)
    df = build_possessions(pbp, _sides(store, dates, pbp))
    return _publish(context, store, POSSESSIONS, df, dates, possessions_rule_violations(df))


# GameRotation is not an input: lineups_match_game_rotation stays a check (a rotation recorded
# later must not hold the stints of its date back, and a date without rotations must not wait).
@dg.asset(**_per_date(STINTS, ["players_on_court", "possessions", "play_by_play", "box_score_teams", "box_score_players"]))
def stints(context: dg.AssetExecutionContext, lake: LakeResource) -> dg.MaterializeResult:
    store, dates = lake.lake(), partition_dates(context)
    on_court, possessions = store.read_table(PLAYERS_ON_COURT, game_dates=dates), store.read_table(POSSESSIONS, game_dates=dates)
    refuse_to_drop_gold_without_silver(context, store, STINTS, {PLAYERS_ON_COURT: on_court, POSSESSIONS: possessions}, dates=dates)
    df = build_stints(store.read_table(PLAY_BY_PLAY, game_dates=dates), on_court, possessions)
    failed = stints_rule_violations(
        df, store.read_table(BOX_SCORE_TEAMS, game_dates=dates), store.read_table(BOX_SCORE_PLAYERS, game_dates=dates)
    )
    return _publish(context, store, STINTS, df, dates, failed)


@dg.asset(**_per_date(TEAM_GAME_STATS, ["box_score_teams", "possessions"]), output_required=False)
def team_game_stats(context: dg.AssetExecutionContext, lake: LakeResource):
    store, dates = lake.lake(), partition_dates(context)
    teams = store.read_table(BOX_SCORE_TEAMS, game_dates=dates)
    refuse_to_drop_gold_without_silver(context, store, TEAM_GAME_STATS, {BOX_SCORE_TEAMS: teams}, dates=dates)
    df = build_team_game_stats(teams, store.read_table(POSSESSIONS, game_dates=dates))
    yield from unless_empty(context, df, store.write_table(TEAM_GAME_STATS, df, dates=dates))


@dg.asset(**_per_date(EVENT_STATE, ["play_by_play", "box_score_teams", "box_score_players", "possessions", "players_on_court"]))
def event_state(context: dg.AssetExecutionContext, lake: LakeResource) -> dg.MaterializeResult:
    store, dates = lake.lake(), partition_dates(context)
    pbp = store.read_table(PLAY_BY_PLAY, game_dates=dates)
    refuse_to_drop_gold_without_silver(context, store, EVENT_STATE, {PLAY_BY_PLAY: pbp}, dates=dates)
    df = build_event_state(
        pbp, _sides(store, dates, pbp),
        possessions=store.read_table(POSSESSIONS, game_dates=dates),
        on_court=store.read_table(PLAYERS_ON_COURT, game_dates=dates),
        box_players=store.read_table(BOX_SCORE_PLAYERS, game_dates=dates),
    )
    return _write(store, EVENT_STATE, df, dates)


def _per_season(table: Table, deps: list[str]) -> dict:
    """Decorator arguments of the season gold tables.

    A season is a set of game dates no built-in time mapping can express (2019-20 ended in
    October 2020), so a season asset depends on all dates and reads its season's folder.
    """
    return dict(
        deps=[dg.AssetDep(name, partition_mapping=dg.AllPartitionMapping()) for name in deps],
        partitions_def=season_partitions,
        group_name="gold",
        kinds={"polars", "parquet"},
        description=table.description,
        metadata=table_definition_metadata(table),
    )


@dg.asset(**_per_season(STARTER_SPLITS, ["box_score_players"]))
def starter_splits(context: dg.AssetExecutionContext, lake: LakeResource) -> dg.MaterializeResult:
    store = lake.lake()
    seasons = list(context.partition_keys)
    box = store.read_table(BOX_SCORE_PLAYERS, seasons=seasons)
    refuse_to_drop_gold_without_silver(context, store, STARTER_SPLITS, {BOX_SCORE_PLAYERS: box}, seasons=seasons)
    df = build_starter_splits(box)
    return table_result(df, store.write_table(STARTER_SPLITS, df, seasons=seasons))


@dg.asset(**_per_season(CLUTCH_SPLITS, ["play_by_play", "box_score_players", "possessions", "event_state", "players_on_court"]))
def clutch_splits(context: dg.AssetExecutionContext, lake: LakeResource) -> dg.MaterializeResult:
    store = lake.lake()
    seasons = list(context.partition_keys)
    pbp = store.read_table(PLAY_BY_PLAY, seasons=seasons)
    refuse_to_drop_gold_without_silver(context, store, CLUTCH_SPLITS, {PLAY_BY_PLAY: pbp}, seasons=seasons)
    df = build_clutch_splits(
        pbp,
        store.read_table(EVENT_STATE, seasons=seasons),
        store.read_table(PLAYERS_ON_COURT, seasons=seasons),
        store.read_table(POSSESSIONS, seasons=seasons),
        store.read_table(BOX_SCORE_PLAYERS, seasons=seasons),
    )
    return table_result(df, store.write_table(CLUTCH_SPLITS, df, seasons=seasons))
