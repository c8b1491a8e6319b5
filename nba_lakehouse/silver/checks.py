"""The data audit on silver tables: blocking asset checks over the partitions a run wrote."""

from typing import Any

import dagster as dg
import polars as pl

from nba_lakehouse.partitions import game_date_partitions, season_partitions
from nba_lakehouse.resources import LakeResource
from nba_lakehouse.schemas import (
    BOX_SCORE_PLAYERS,
    BOX_SCORE_TEAMS,
    GAME_ROTATIONS,
    GAMES,
    LINE_SCORES,
    PLAY_BY_PLAY,
    SHOTS,
    TABLES,
    TEAMS,
    Table,
)
from nba_lakehouse.silver import audits
from nba_lakehouse.silver.reference import unresolved_team_ids
from nba_lakehouse.wiring import audit_result, held_back_check, partition_dates

_blocking: dict[str, Any] = dict(blocking=True, partitions_def=game_date_partitions)


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
    can_subset=True,
)
def play_by_play_audit(context: dg.AssetCheckExecutionContext, lake: LakeResource):
    pbp = lake.lake().read_table(PLAY_BY_PLAY, game_dates=partition_dates(context))
    audits_by_name = {
        "scores_never_decrease": (audits.decreasing_scores, "events where a score went down"),
        "event_keys_unique": (audits.duplicate_event_keys, "duplicate (game_id, event_order) keys"),
        "clock_within_period": (audits.clock_out_of_bounds, "events with the clock outside the period"),
    }
    for name in selected_checks(context, audits_by_name):
        audit, what = audits_by_name[name]
        yield audit_result(audit(pbp), pbp.height, what, check_name=name, asset_key="play_by_play")


def selected_checks(context: dg.AssetCheckExecutionContext, names) -> list[str]:
    """The checks of a shared step this run asked for (a run may select just one)."""
    chosen = {key.name for key in context.selected_asset_check_keys}
    return [name for name in names if name in chosen]


def _against_reference(context, lake: LakeResource, table: Table, reference: Table, audit, what: str) -> dg.AssetCheckResult:
    """Audit the run's partitions of ``table`` against the same dates of another source's table."""
    store, dates = lake.lake(), partition_dates(context)
    checked = store.read_table(table, game_dates=dates)
    return audit_result(audit(checked, store.read_table(reference, game_dates=dates)), checked["game_id"].n_unique(), what)


@dg.asset_check(asset="box_score_teams", additional_deps=["box_score_players"], **_blocking)
def player_points_sum_to_team_points(context: dg.AssetCheckExecutionContext, lake: LakeResource) -> dg.AssetCheckResult:
    """Every game: each team's player points add up to the team's points."""
    return _against_reference(
        context, lake, BOX_SCORE_PLAYERS, BOX_SCORE_TEAMS, audits.player_points_vs_team_points,
        "team-games whose player points do not add up",
    )


@dg.asset_check(asset="shots", additional_deps=["box_score_players"], **_blocking)
def shots_match_box_score(context: dg.AssetCheckExecutionContext, lake: LakeResource) -> dg.AssetCheckResult:
    """Made (and attempted) shots per player per game equal the box score's FGM (FGA)."""
    return _against_reference(
        context, lake, SHOTS, BOX_SCORE_PLAYERS, audits.shots_vs_box_score_fgm,
        "player-games whose shots disagree with the box score",
    )


# Not blocking: the box score and the play-by-play are two feeds, and where they disagree the
# game's other tables are still right; the check shows which players and statistics differ.
@dg.asset_check(asset="play_by_play", additional_deps=["box_score_players"], blocking=False, partitions_def=game_date_partitions)
def secondary_players_match_box_score(context: dg.AssetCheckExecutionContext, lake: LakeResource) -> dg.AssetCheckResult:
    """Per game and player, the assists, steals and blocks credited to secondary players in the
    play-by-play equal the box score's AST, STL and BLK (games with a box score)."""
    return _against_reference(
        context, lake, PLAY_BY_PLAY, BOX_SCORE_PLAYERS, audits.secondary_stats_vs_box_score,
        "player-game statistics where the play-by-play's secondary players and the box score differ",
    )


@dg.asset_check(asset="game_rotations", additional_deps=["box_score_players"], **_blocking)
def rotation_minutes_match_box_score(context: dg.AssetCheckExecutionContext, lake: LakeResource) -> dg.AssetCheckResult:
    """Each player's stints add up to the box score minutes, within one second."""
    return _against_reference(
        context, lake, GAME_ROTATIONS, BOX_SCORE_PLAYERS, audits.rotation_minutes_vs_box_score,
        "player-games whose stints and box score minutes differ by more than a second",
    )


@dg.asset_check(asset="line_scores", additional_deps=["box_score_teams"], **_blocking)
def line_score_periods_sum_to_final(context: dg.AssetCheckExecutionContext, lake: LakeResource) -> dg.AssetCheckResult:
    """Period points add up to the line's final score and to the box score's team points."""
    return _against_reference(
        context, lake, LINE_SCORES, BOX_SCORE_TEAMS, audits.line_score_mismatches,
        "team-games whose periods do not add up to the final score",
    )


_season_check: dict[str, Any] = dict(blocking=True, partitions_def=season_partitions)


@dg.multi_asset_check(
    specs=[
        dg.AssetCheckSpec(
            "final_score_matches_box_score", asset="games", additional_deps=["play_by_play"], **_season_check,
            description="The play-by-play's last score and its scoring events both equal the games' final score",
        ),
        dg.AssetCheckSpec(
            "completed_games_have_scores", asset="games", additional_deps=["play_by_play"], **_season_check,
            description="Every game whose play-by-play ended has both final scores",
        ),
        dg.AssetCheckSpec(
            "full_regular_season", asset="games", additional_deps=["teams"], **_season_check,
            description=(
                "Once any team has played its whole regular season, the season has teams x games-per-team / 2 "
                "distinct regular-season games (1,230 for 30 teams and 82 games) and every team played them all"
            ),
        ),
    ],
    can_subset=True,
)
def games_audit(context: dg.AssetCheckExecutionContext, lake: LakeResource):
    store, season = lake.lake(), context.partition_key
    selected = selected_checks(context, ["final_score_matches_box_score", "completed_games_have_scores", "full_regular_season"])
    games = store.read_table(GAMES, seasons=[season])
    # The season's play-by-play only for the checks that compare with it (the biggest read here).
    compares_pbp = {"final_score_matches_box_score", "completed_games_have_scores"} & set(selected)
    pbp = store.read_table(PLAY_BY_PLAY, seasons=[season]) if compares_pbp else PLAY_BY_PLAY.empty()
    if "final_score_matches_box_score" in selected:
        yield audit_result(audits.final_score_mismatches(pbp, games), games.height,
                           "games whose play-by-play and final score disagree",
                           check_name="final_score_matches_box_score", asset_key="games")
    if "completed_games_have_scores" in selected:
        yield audit_result(audits.completed_games_missing_scores(pbp, games), games.height,
                           "completed games without both scores",
                           check_name="completed_games_have_scores", asset_key="games")
    if "full_regular_season" not in selected:
        return
    completeness = audits.regular_season_completeness(games, store.read_table(TEAMS), season)
    result = audit_result(completeness.violations, games.height, completeness.what,
                          check_name="full_regular_season", asset_key="games")
    yield dg.AssetCheckResult(
        check_name=result.check_name, asset_key=result.asset_key, passed=result.passed, severity=result.severity,
        description=completeness.summary if result.passed else result.description,
        metadata={**result.metadata, **completeness.metadata},
    )


# Every silver table with team ids, and the columns that hold them.
TEAM_ID_COLUMNS = {
    table: [c for c in table.column_names if c.endswith("team_id") and c != "winner_team_id"]
    for table in TABLES.values()
    if table.layer == "silver" and table is not TEAMS and "season" in table.column_index
}


@dg.asset_check(asset="teams", additional_deps=[t.name for t in TEAM_ID_COLUMNS], blocking=False)
def team_ids_resolve(lake: LakeResource) -> dg.AssetCheckResult:
    """Every team id in every silver table names a ``teams`` identity valid in that row's season."""
    store = lake.lake()
    teams = store.read_table(TEAMS)
    frames, checked = [], 0
    for table, columns in TEAM_ID_COLUMNS.items():
        df = store.read_table(table, columns=["season", *columns])
        checked += df.height
        for column in columns:
            frames.append(
                unresolved_team_ids(df.select("season", team_id=column), teams).with_columns(
                    table=pl.lit(table.name), column=pl.lit(column)
                )
            )
    violations = pl.concat(frames)
    return audit_result(violations, checked, "(table, team id, season) without a valid teams row")


# Games each per-date silver step held back (unusable payloads, game-level rules), by name.
play_by_play_held_back = held_back_check(
    "play_by_play", "play_by_play",
    "a readable payload with events; after the feed repairs, scores never decrease, unique event keys, "
    "the clock within the period, the final equal to the scoring events",
)
box_scores_held_back = held_back_check(
    "box_score_teams", "box_scores",
    "a readable payload; two team rows with players, five starters a team, player points adding up to the team's",
)
