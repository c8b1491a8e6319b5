"""Audits of the lineup and possession tables: plain functions returning the offending rows.

``gold/checks.py`` wraps them as Dagster asset checks; tests call them directly.
"""

from __future__ import annotations

import polars as pl

from nba_lakehouse import game_issues
from nba_lakehouse.game_clock import REGULATION_PERIODS
from nba_lakehouse.gold.players_on_court import PLAYERS_PER_SIDE
from nba_lakehouse.gold.stints import player_stint_seconds


def lineup_size_violations(on_court: pl.DataFrame) -> pl.DataFrame:
    """Events where either team does not have exactly five players on the floor."""
    sizes = {f"{side}_players": pl.col(f"{side}_player_ids").list.len() for side in ("home", "away")}
    return (
        on_court.with_columns(**sizes)
        .filter((pl.col("home_players") != PLAYERS_PER_SIDE) | (pl.col("away_players") != PLAYERS_PER_SIDE))
        .select("game_id", "event_order", "period", "home_players", "away_players")
    )


def stint_points_vs_final(stints: pl.DataFrame, box_teams: pl.DataFrame) -> pl.DataFrame:
    """(game, team) whose points summed over stints differ from the box score's final points."""
    per_team = pl.concat([
        stints.select("game_id", team_id=f"{side}_team_id", points=f"{side}_points") for side in ("home", "away")
    ]).group_by("game_id", "team_id").agg(stint_points=pl.col("points").sum())
    final = box_teams.join(stints.select("game_id").unique(), on="game_id", how="semi").select("game_id", "team_id", box_points="points")
    # A game without a box score has no final to compare with (it is flagged where its lineups are built).
    per_team = per_team.join(final.select("game_id").unique(), on="game_id", how="semi")
    return (
        per_team.join(final, on=["game_id", "team_id"], how="full", coalesce=True)
        .filter(pl.col("stint_points").ne_missing(pl.col("box_points")))
        .sort("game_id", "team_id")
    )


def stint_minutes_vs_box(stints: pl.DataFrame, box_players: pl.DataFrame, tolerance_seconds: float = 60.0) -> pl.DataFrame:
    """(game, player) whose time on the floor over stints is more than a minute off the box score."""
    boxed = box_players.join(stints.select("game_id").unique(), on="game_id", how="semi").select(
        "game_id", "player_id", "player_name", box_seconds=pl.col("minutes").fill_null(0.0) * 60
    )
    # Only games with a box score have minutes to compare with.
    on_floor = player_stint_seconds(stints).select("game_id", "player_id", stint_seconds="seconds").join(
        boxed.select("game_id").unique(), on="game_id", how="semi"
    )
    return (
        on_floor.join(boxed, on=["game_id", "player_id"], how="full", coalesce=True)
        .with_columns(pl.col("stint_seconds", "box_seconds").fill_null(0.0))
        .with_columns(difference_seconds=pl.col("stint_seconds") - pl.col("box_seconds"))
        .filter(pl.col("difference_seconds").abs() > tolerance_seconds)
        .sort("game_id", "player_id")
    )


def lineups_vs_rotation(stints: pl.DataFrame, rotations: pl.DataFrame) -> pl.DataFrame:
    """Stints whose lineups differ from GameRotation's at the stint's midpoint (games in both).

    GameRotation times are the official check-in and check-out times, so a stint's midpoint is
    never on a boundary of either source.
    """
    games = stints.select("game_id").unique().join(rotations.select("game_id").unique(), on="game_id")
    timed = stints.join(games, on="game_id").filter(pl.col("duration_seconds") > 0).with_columns(
        midpoint=(pl.col("start_seconds") + pl.col("end_seconds")) / 2
    )
    on_floor = (
        timed.select("game_id", "stint_number", "midpoint")
        .join(rotations.select("game_id", "team_id", "player_id", "in_seconds", "out_seconds"), on="game_id")
        .filter((pl.col("in_seconds") < pl.col("midpoint")) & (pl.col("midpoint") < pl.col("out_seconds")))
        .group_by("game_id", "stint_number", "team_id").agg(rotation_ids=pl.col("player_id").sort())
    )
    compared = timed
    for side in ("home", "away"):
        compared = compared.join(
            on_floor.rename({"team_id": f"{side}_team_id", "rotation_ids": f"{side}_rotation_ids"}),
            on=["game_id", "stint_number", f"{side}_team_id"], how="left",
        )
    differs = pl.lit(False)
    for side in ("home", "away"):
        differs = differs | pl.col(f"{side}_player_ids").ne_missing(pl.col(f"{side}_rotation_ids"))
    return compared.filter(differs).select(
        "game_id", "stint_number", "period", "midpoint", "home_player_ids", "home_rotation_ids",
        "away_player_ids", "away_rotation_ids",
    )


def possession_imbalance(possessions: pl.DataFrame, allowed: int = 2) -> pl.DataFrame:
    """Games whose two teams' possession counts differ by more than ``allowed`` plus one per
    overtime period (each period start can hand one team an extra possession)."""
    counts = possessions.group_by("game_id").agg(
        home=(pl.col("offense_side") == "home").sum(),
        away=(pl.col("offense_side") == "away").sum(),
        periods=pl.col("period").max(),
    )
    limit = allowed + (pl.col("periods") - REGULATION_PERIODS).clip(lower_bound=0)
    return counts.with_columns(difference=(pl.col("home").cast(pl.Int64) - pl.col("away")).abs(), limit=limit).filter(
        pl.col("difference") > pl.col("limit")
    )


# Game-level rules: a game that breaks one is held back from the table, the others published ----
def players_on_court_rule_violations(on_court: pl.DataFrame) -> pl.DataFrame:
    return game_issues.per_game(lineup_size_violations(on_court), "five_players_per_team", "events without five players a team")


def games_without_box_score(pbp: pl.DataFrame, box_players: pl.DataFrame) -> pl.DataFrame:
    """Games whose lineups were built without a box score: starters inferred from the play-by-play."""
    missing = pbp.select("game_id").unique().join(box_players.select("game_id").unique(), on="game_id", how="anti")
    detail = "no box score: game starters inferred from who acts first, minutes not checked"
    return game_issues.violations([(g, "starters_inferred_without_box_score", detail) for g in sorted(missing["game_id"])])


def possessions_rule_violations(possessions: pl.DataFrame) -> pl.DataFrame:
    return game_issues.per_game(possession_imbalance(possessions), "possession_counts_balanced", "games with unbalanced possessions")


def stints_rule_violations(stints: pl.DataFrame, box_teams: pl.DataFrame, box_players: pl.DataFrame) -> pl.DataFrame:
    return game_issues.combine(
        game_issues.per_game(stint_points_vs_final(stints, box_teams), "stint_points_match_final_score",
                             "team-games whose stint points differ from the final score"),
        game_issues.per_game(stint_minutes_vs_box(stints, box_players), "stint_minutes_match_box_score",
                             "players more than a minute off their box score minutes"),
    )
