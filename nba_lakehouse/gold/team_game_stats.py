"""Per team per game: box score totals, Dean Oliver's four factors, pace and ratings.

Totals and shooting come from the box score; possessions come from the play-by-play possessions
table, so pace and ratings count real possessions rather than the FGA + 0.44 FTA estimate.
"""

from __future__ import annotations

import polars as pl

from nba_lakehouse.game_clock import (
    OVERTIME_PERIOD_SECONDS,
    REGULATION_PERIOD_SECONDS,
    REGULATION_PERIODS,
)

TOTALS = {
    "points": "points", "field_goals_made": "field_goals_made", "field_goals_attempted": "field_goals_attempted",
    "three_pointers_made": "three_pointers_made", "three_pointers_attempted": "three_pointers_attempted",
    "free_throws_made": "free_throws_made", "free_throws_attempted": "free_throws_attempted",
    "rebounds_offensive": "rebounds_offensive", "rebounds_defensive": "rebounds_defensive",
    "assists": "assists", "turnovers": "turnovers",
}


def _ratio(numerator: pl.Expr, denominator: pl.Expr) -> pl.Expr:
    return pl.when(denominator > 0).then(numerator.cast(pl.Float64) / denominator)


def build_team_game_stats(box_teams: pl.DataFrame, possessions: pl.DataFrame) -> pl.DataFrame:
    """``box_teams`` silver box_score_teams, ``possessions`` gold possessions of the same games."""
    counted = possessions.group_by("game_id", team_id="offense_team_id").agg(
        possessions=pl.len().cast(pl.Int32), periods=pl.col("period").max(),
    )
    teams = box_teams.select("season", "game_date", "game_id", "team_id", "team_tricode", "is_home", *TOTALS)
    opponent = box_teams.select(
        "game_id", opponent_team_id="team_id", opponent_points="points",
        opponent_rebounds_defensive="rebounds_defensive", opponent_rebounds_offensive="rebounds_offensive",
    )
    joined = (
        teams.join(opponent, on="game_id").filter(pl.col("team_id") != pl.col("opponent_team_id"))
        .join(counted, on=["game_id", "team_id"], how="left")
        .join(counted.select("game_id", opponent_team_id="team_id", opponent_possessions="possessions"),
              on=["game_id", "opponent_team_id"], how="left")
        .with_columns(periods=pl.col("periods").max().over("game_id"))
    )
    game_seconds = (
        REGULATION_PERIODS * REGULATION_PERIOD_SECONDS
        + (pl.col("periods") - REGULATION_PERIODS).clip(lower_bound=0) * OVERTIME_PERIOD_SECONDS
    )
    fga, fta, tov = pl.col("field_goals_attempted"), pl.col("free_throws_attempted"), pl.col("turnovers")
    return joined.select(
        "season", "game_date", "game_id", "team_id", "team_tricode", "opponent_team_id", "is_home",
        *TOTALS, "opponent_points", "possessions", "opponent_possessions",
        effective_fg_pct=_ratio(pl.col("field_goals_made") + 0.5 * pl.col("three_pointers_made"), fga),
        turnover_pct=_ratio(tov, fga + 0.44 * fta + tov),
        offensive_rebound_pct=_ratio(pl.col("rebounds_offensive"), pl.col("rebounds_offensive") + pl.col("opponent_rebounds_defensive")),
        free_throw_rate=_ratio(fta, fga),
        pace=_ratio((pl.col("possessions") + pl.col("opponent_possessions")) / 2 * 48 * 60, game_seconds),
        offensive_rating=_ratio(100 * pl.col("points"), pl.col("possessions")),
        defensive_rating=_ratio(100 * pl.col("opponent_points"), pl.col("opponent_possessions")),
    ).sort("game_id", "team_id")
