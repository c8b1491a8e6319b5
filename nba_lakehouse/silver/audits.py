"""The data audit as plain functions: each returns the offending rows (empty frame = pass).

The Dagster asset checks in ``checks.py`` are thin wrappers around these, so the same audit can
be run on any frame, including deliberately corrupted copies in tests.
"""

from __future__ import annotations

import polars as pl

from nba_lakehouse.game_clock import REGULATION_PERIODS, period_length
from nba_lakehouse.silver.games import play_by_play_summary



def box_score_row_counts(box_teams: pl.DataFrame, box_players: pl.DataFrame) -> pl.DataFrame:
    """Games without exactly two team rows, or with a team that has no player rows."""
    team_rows = box_teams.group_by("game_id").agg(team_rows=pl.len(), teams=pl.col("team_id"))
    players_per_team = box_players.group_by("game_id", "team_id").agg(player_rows=pl.len())
    per_team = (
        box_teams.select("game_id", "team_id")
        .join(players_per_team, on=["game_id", "team_id"], how="left")
        .group_by("game_id")
        .agg(teams_without_players=pl.col("player_rows").is_null().sum())
    )
    # Player rows whose game has no team rows at all.
    orphan = box_players.select("game_id").unique().join(box_teams.select("game_id").unique(), on="game_id", how="anti")
    bad = team_rows.join(per_team, on="game_id", how="left").filter(
        (pl.col("team_rows") != 2) | (pl.col("teams_without_players") > 0)
    ).select("game_id", "team_rows", "teams_without_players")
    return pl.concat(
        [bad, orphan.with_columns(team_rows=pl.lit(0, pl.UInt32), teams_without_players=pl.lit(None, pl.UInt32))],
        how="vertical_relaxed",
    )


def starters_per_team(box_players: pl.DataFrame) -> pl.DataFrame:
    """(game, team) pairs that do not have exactly five starters."""
    return (
        box_players.group_by("game_id", "team_id")
        .agg(starters=pl.col("starter").sum())
        .filter(pl.col("starters") != 5)
        .sort("game_id", "team_id")
    )


def final_score_mismatches(pbp: pl.DataFrame, games: pl.DataFrame) -> pl.DataFrame:
    """Games whose play-by-play final differs from the box score team points.

    The play-by-play final is checked two ways: the last score the feed states, and the points
    of its scoring events added up. The second catches a missing scoring event even where the
    feed's running score (or a period-end row) still carries the right total.
    """
    summary = play_by_play_summary(pbp).select("game_id", "pbp_home_score", "pbp_away_score")
    scored = (
        pbp.filter(pl.col("shot_made").fill_null(False))
        .group_by("game_id", "team_id")
        .agg(points=pl.col("shot_value").cast(pl.Int32).sum())
    )
    sides = games.select("game_id", "home_team_id", "away_team_id", "home_score", "away_score")
    for side in ("home", "away"):
        sides = sides.join(
            scored.rename({"team_id": f"{side}_team_id", "points": f"{side}_points"}),
            on=["game_id", f"{side}_team_id"], how="left",
        )
    return (
        sides.join(summary, on="game_id", how="full", coalesce=True)
        .filter(
            pl.col("pbp_home_score").ne_missing(pl.col("home_score"))
            | pl.col("pbp_away_score").ne_missing(pl.col("away_score"))
            | pl.col("home_points").fill_null(0).ne_missing(pl.col("home_score"))
            | pl.col("away_points").fill_null(0).ne_missing(pl.col("away_score"))
        )
        .select("game_id", "home_score", "pbp_home_score", "home_points", "away_score", "pbp_away_score", "away_points")
        .sort("game_id")
    )


def decreasing_scores(pbp: pl.DataFrame) -> pl.DataFrame:
    """Events after which a team's score is lower than before (scores only ever go up).

    An instant-replay row may lower the score: a review that takes a basket off is a real
    correction (36 of them in the 2022-23 season), not a feed error.
    """
    scored = pbp.sort("game_id", "event_order").with_columns(
        prev_home=pl.col("home_score").forward_fill().shift(1).over("game_id"),
        prev_away=pl.col("away_score").forward_fill().shift(1).over("game_id"),
    )
    return scored.filter(
        ((pl.col("home_score") < pl.col("prev_home")) | (pl.col("away_score") < pl.col("prev_away")))
        & (pl.col("event_type") != "instant_replay")
    ).select("game_id", "event_order", "period", "prev_home", "home_score", "prev_away", "away_score", "description")


def duplicate_event_keys(pbp: pl.DataFrame) -> pl.DataFrame:
    return pbp.group_by("game_id", "event_order").agg(rows=pl.len()).filter(pl.col("rows") > 1)


def clock_out_of_bounds(pbp: pl.DataFrame) -> pl.DataFrame:
    """Events whose clock is negative or longer than their period (12 min, 5 min in overtime)."""
    return pbp.filter(
        (pl.col("clock_seconds") < 0) | (pl.col("clock_seconds") > period_length(pl.col("period"))) | (pl.col("period") < 1)
    ).select("game_id", "event_order", "period", "clock_seconds")


def completed_games_missing_scores(pbp: pl.DataFrame, games: pl.DataFrame) -> pl.DataFrame:
    """Games whose play-by-play reached the end of regulation or later, without both final scores."""
    completed = play_by_play_summary(pbp).filter(pl.col("ended") & (pl.col("periods") >= REGULATION_PERIODS)).select("game_id")
    return (
        completed.join(games.select("game_id", "home_score", "away_score"), on="game_id", how="left")
        .filter(pl.col("home_score").is_null() | pl.col("away_score").is_null())
        .sort("game_id")
    )
