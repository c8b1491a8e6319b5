"""One row per game, assembled from the box score (teams, points) and the play-by-play (sides, end)."""

from __future__ import annotations

import polars as pl

from nba_lakehouse.game_clock import REGULATION_PERIODS
from nba_lakehouse.partitions import season_of_game_expr, season_type_expr


def with_partition_columns(df: pl.DataFrame, game_date) -> pl.DataFrame:
    """Add the hive partition columns: season from the game id, the partition's game date.

    ``game_date`` is one date for every row, or a ``{game_id: date}`` mapping.
    """
    date = (
        pl.col("game_id").replace_strict(game_date, return_dtype=pl.Date)
        if isinstance(game_date, dict)
        else pl.lit(game_date, pl.Date)
    )
    return df.with_columns(season=season_of_game_expr(pl.col("game_id")), game_date=date)


def play_by_play_summary(pbp: pl.DataFrame) -> pl.DataFrame:
    """Per game: feed, periods, sides seen in the feed, last known score, and whether it ended."""
    ordered = pbp.sort("game_id", "event_order")
    last_period_end = (
        ordered.group_by("game_id")
        .agg(
            periods=pl.col("period").max(),
            ended=(
                (pl.col("event_type").is_in(["period_end", "game_end"]))
                & (pl.col("period") == pl.col("period").max())
            ).any(),
        )
    )
    sides = (
        ordered.filter(pl.col("location").is_not_null() & pl.col("team_id").is_not_null())
        .group_by("game_id", "location")
        .agg(pl.col("team_id").mode().first())
        .pivot(on="location", index="game_id", values="team_id")
    )
    for side in ("home", "away"):
        if side not in sides.columns:
            sides = sides.with_columns(pl.lit(None, pl.Int64).alias(side))
    scores = ordered.group_by("game_id", maintain_order=True).agg(
        play_by_play_source=pl.col("source").first(),
        pbp_home_score=pl.col("home_score").drop_nulls().last(),
        pbp_away_score=pl.col("away_score").drop_nulls().last(),
    )
    return (
        scores.join(last_period_end, on="game_id")
        .join(sides.select("game_id", pbp_home_team_id="home", pbp_away_team_id="away"), on="game_id", how="left")
    )


def build_games(box_teams: pl.DataFrame, pbp: pl.DataFrame) -> pl.DataFrame:
    """``box_teams`` and ``pbp`` are silver frames (with season and game_date)."""
    summary = play_by_play_summary(pbp)
    teams = box_teams.join(summary.select("game_id", "pbp_home_team_id"), on="game_id", how="left").with_columns(
        is_home=pl.coalesce(pl.col("is_home"), pl.col("team_id") == pl.col("pbp_home_team_id"))
    )
    home = teams.filter(pl.col("is_home")).select(
        "game_id", "season", "game_date", home_team_id="team_id", home_team_tricode="team_tricode",
        home_score="points", box_score_source="source",
    )
    away = teams.filter(~pl.col("is_home")).select(
        "game_id", away_team_id="team_id", away_team_tricode="team_tricode", away_score="points",
    )
    games = home.join(away, on="game_id", how="full", coalesce=True).join(summary, on="game_id", how="full", coalesce=True)
    # Games with play-by-play but no box score still get a row (season and date from pbp).
    pbp_keys = pbp.select("game_id", "season", "game_date").unique("game_id")
    games = games.join(pbp_keys, on="game_id", how="left", suffix="_pbp").with_columns(
        season=pl.coalesce("season", "season_pbp"), game_date=pl.coalesce("game_date", "game_date_pbp"),
    )
    decided = pl.col("home_score").is_not_null() & pl.col("away_score").is_not_null() & (pl.col("home_score") != pl.col("away_score"))
    final = pl.col("ended").fill_null(False) & (pl.col("periods") >= REGULATION_PERIODS) & decided
    return games.select(
        "season",
        "game_date",
        "game_id",
        season_type=season_type_expr(pl.col("game_id")),
        home_team_id=pl.coalesce("home_team_id", "pbp_home_team_id"),
        home_team_tricode="home_team_tricode",
        away_team_id=pl.coalesce("away_team_id", "pbp_away_team_id"),
        away_team_tricode="away_team_tricode",
        home_score="home_score",
        away_score="away_score",
        winner_team_id=pl.when(final).then(
            pl.when(pl.col("home_score") > pl.col("away_score")).then(pl.col("home_team_id")).otherwise(pl.col("away_team_id"))
        ),
        periods="periods",
        status=pl.when(final).then(pl.lit("final")).otherwise(pl.lit("in_progress")),
        play_by_play_source="play_by_play_source",
        box_score_source="box_score_source",
    ).sort("game_id")
