"""The data audit on silver tables: blocking asset checks over the partitions a run wrote."""

import dagster as dg

from nba_lakehouse.partitions import game_date_partitions
from nba_lakehouse.resources import LakeResource
from nba_lakehouse.schemas import BOX_SCORE_PLAYERS, BOX_SCORE_TEAMS, GAMES, PLAY_BY_PLAY
from nba_lakehouse.silver import audits
from nba_lakehouse.wiring import audit_result, partition_dates

_blocking = dict(blocking=True, partitions_def=game_date_partitions)


@dg.asset_check(asset="box_score_teams", additional_deps=["box_score_players"], **_blocking)
def two_team_rows_with_players(context: dg.AssetCheckExecutionContext, lake: LakeResource) -> dg.AssetCheckResult:
    """Every game has exactly two team box rows and at least one player row per team."""
    store, dates = lake.lake(), partition_dates(context)
    teams = store.read_table(BOX_SCORE_TEAMS, game_dates=dates)
    players = store.read_table(BOX_SCORE_PLAYERS, game_dates=dates)
    return audit_result(audits.box_score_row_counts(teams, players), teams["game_id"].n_unique(), "games with wrong team/player rows")


@dg.asset_check(asset="box_score_players", **_blocking)
def five_starters_per_team(context: dg.AssetCheckExecutionContext, lake: LakeResource) -> dg.AssetCheckResult:
    """Exactly five starters per team per game."""
    players = lake.lake().read_table(BOX_SCORE_PLAYERS, game_dates=partition_dates(context))
    return audit_result(audits.starters_per_team(players), players["game_id"].n_unique(), "team-games without five starters")


@dg.asset_check(asset="play_by_play", **_blocking)
def scores_never_decrease(context: dg.AssetCheckExecutionContext, lake: LakeResource) -> dg.AssetCheckResult:
    pbp = lake.lake().read_table(PLAY_BY_PLAY, game_dates=partition_dates(context))
    return audit_result(audits.decreasing_scores(pbp), pbp.height, "events where a score went down")


@dg.asset_check(asset="play_by_play", **_blocking)
def event_keys_unique(context: dg.AssetCheckExecutionContext, lake: LakeResource) -> dg.AssetCheckResult:
    pbp = lake.lake().read_table(PLAY_BY_PLAY, game_dates=partition_dates(context))
    return audit_result(audits.duplicate_event_keys(pbp), pbp.height, "duplicate (game_id, event_order) keys")


@dg.asset_check(asset="play_by_play", **_blocking)
def clock_within_period(context: dg.AssetCheckExecutionContext, lake: LakeResource) -> dg.AssetCheckResult:
    pbp = lake.lake().read_table(PLAY_BY_PLAY, game_dates=partition_dates(context))
    return audit_result(audits.clock_out_of_bounds(pbp), pbp.height, "events with the clock outside the period")


@dg.asset_check(asset="games", additional_deps=["play_by_play"], **_blocking)
def final_score_matches_box_score(context: dg.AssetCheckExecutionContext, lake: LakeResource) -> dg.AssetCheckResult:
    """The play-by-play's last score equals the box score team points, for every game."""
    store, dates = lake.lake(), partition_dates(context)
    games = store.read_table(GAMES, game_dates=dates)
    pbp = store.read_table(PLAY_BY_PLAY, game_dates=dates)
    return audit_result(audits.final_score_mismatches(pbp, games), games.height, "games whose play-by-play and box score disagree")


@dg.asset_check(asset="games", additional_deps=["play_by_play"], **_blocking)
def completed_games_have_scores(context: dg.AssetCheckExecutionContext, lake: LakeResource) -> dg.AssetCheckResult:
    store, dates = lake.lake(), partition_dates(context)
    games = store.read_table(GAMES, game_dates=dates)
    pbp = store.read_table(PLAY_BY_PLAY, game_dates=dates)
    return audit_result(audits.completed_games_missing_scores(pbp, games), games.height, "completed games without both scores")
