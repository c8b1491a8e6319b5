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


def _spec(name: str, asset: str, description: str, additional_deps=()) -> dg.AssetCheckSpec:
    return dg.AssetCheckSpec(
        name, asset=asset, description=description, additional_deps=list(additional_deps), **_blocking
    )


# The checks on one table share a step, so the run's partitions are read once, not per check.
@dg.multi_asset_check(
    specs=[
        _spec("scores_never_decrease", "play_by_play", "Scores never go down within a game (a review row may take points off)"),
        _spec("event_keys_unique", "play_by_play", "(game_id, event_order) is unique"),
        _spec("clock_within_period", "play_by_play", "The clock stays within the period: 12 minutes, 5 in overtime"),
    ],
)
def play_by_play_audit(context: dg.AssetCheckExecutionContext, lake: LakeResource):
    pbp = lake.lake().read_table(PLAY_BY_PLAY, game_dates=partition_dates(context))
    for name, violations, what in (
        ("scores_never_decrease", audits.decreasing_scores(pbp), "events where a score went down"),
        ("event_keys_unique", audits.duplicate_event_keys(pbp), "duplicate (game_id, event_order) keys"),
        ("clock_within_period", audits.clock_out_of_bounds(pbp), "events with the clock outside the period"),
    ):
        yield audit_result(violations, pbp.height, what, check_name=name, asset_key="play_by_play")


@dg.multi_asset_check(
    specs=[
        _spec("final_score_matches_box_score", "games",
              "The play-by-play's last score and its scoring events both equal the box score points", ["play_by_play"]),
        _spec("completed_games_have_scores", "games", "Every game whose play-by-play ended has both final scores",
              ["play_by_play"]),
    ],
)
def games_audit(context: dg.AssetCheckExecutionContext, lake: LakeResource):
    store, dates = lake.lake(), partition_dates(context)
    games = store.read_table(GAMES, game_dates=dates)
    pbp = store.read_table(PLAY_BY_PLAY, game_dates=dates)
    yield audit_result(audits.final_score_mismatches(pbp, games), games.height,
                       "games whose play-by-play and box score disagree",
                       check_name="final_score_matches_box_score", asset_key="games")
    yield audit_result(audits.completed_games_missing_scores(pbp, games), games.height,
                       "completed games without both scores",
                       check_name="completed_games_have_scores", asset_key="games")
