"""Games: each game's outcome from its box score and play-by-play, and the season's games
reconciled from every source that saw them (schedule, scoreboards, game logs, box scores)."""

from __future__ import annotations

import polars as pl

from nba_lakehouse.game_clock import REGULATION_PERIODS
from nba_lakehouse.partitions import season_of_game_expr, season_type_expr
from nba_lakehouse.schemas import GAMES


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


def reached_its_last_period_end() -> pl.Expr:
    """Per game (in an aggregation): the play-by-play logged a period or game end in its last period."""
    return (pl.col("event_type").is_in(["period_end", "game_end"]) & (pl.col("period") == pl.col("period").max())).any()


def play_by_play_summary(pbp: pl.DataFrame) -> pl.DataFrame:
    """Per game: feed, periods, sides seen in the feed, last known score, and whether it ended."""
    # Only the columns read here: a sorted copy of the whole frame is a season's largest allocation.
    ordered = pbp.select(
        "game_id", "event_order", "period", "event_type", "location", "team_id", "source", "home_score", "away_score",
    ).sort("game_id", "event_order")
    last_period_end = (
        ordered.group_by("game_id")
        .agg(
            periods=pl.col("period").max(),
            ended=reached_its_last_period_end(),
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


def game_outcomes(box_teams: pl.DataFrame, pbp: pl.DataFrame) -> pl.DataFrame:
    """Per game from its own box score and play-by-play: sides, final score, periods, whether it ended.

    ``box_teams`` and ``pbp`` are silver frames (with season and game_date). Status is final
    only when the play-by-play reached the end of a decided game, else in_progress.
    """
    summary = play_by_play_summary(pbp)
    teams = box_teams.join(summary.select("game_id", "pbp_home_team_id"), on="game_id", how="left").with_columns(
        is_home=pl.coalesce(pl.col("is_home"), pl.col("team_id") == pl.col("pbp_home_team_id"))
    )
    home = teams.filter(pl.col("is_home")).select(
        "game_id", "season", "game_date", home_team_id="team_id", home_team_tricode="team_tricode",
        home_score="points", box_score_source="source",
    )
    away = teams.filter(~pl.col("is_home")).select(
        "game_id", "season", "game_date", away_team_id="team_id", away_team_tricode="team_tricode",
        away_score="points", away_source="source",
    )
    # A game whose box score has only its away row still keeps its season, date and feed.
    games = (
        home.join(away, on="game_id", how="full", coalesce=True, suffix="_away")
        .with_columns(
            season=pl.coalesce("season", "season_away"),
            game_date=pl.coalesce("game_date", "game_date_away"),
            box_score_source=pl.coalesce("box_score_source", "away_source"),
        )
        .drop("season_away", "game_date_away", "away_source")
        .join(summary, on="game_id", how="full", coalesce=True)
    )
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


STATUS_RANK = {"scheduled": 0, "in_progress": 1, "final": 2}
_RECONCILED = [
    "game_date", "home_team_id", "home_team_tricode", "away_team_id", "away_team_tricode", "home_score",
    "away_score", "arena_name", "game_time_utc",
]


def _team_log_games(team_logs: pl.DataFrame) -> pl.DataFrame:
    """Two team rows per game become one row with home and away sides (a missing row leaves its side null)."""
    def side(home: bool, column: str) -> pl.Expr:
        return pl.col(column).filter(pl.col("is_home") == home).first()

    return team_logs.group_by("game_id").agg(
        game_date=pl.col("game_date").min(),
        home_team_id=side(True, "team_id"), home_team_tricode=side(True, "team_tricode"), home_score=side(True, "points"),
        away_team_id=side(False, "team_id"), away_team_tricode=side(False, "team_tricode"), away_score=side(False, "points"),
    ).with_columns(status=pl.lit("final"))


def _latest_scoreboard(scoreboard: pl.DataFrame) -> pl.DataFrame:
    return scoreboard.sort("fetched_at").group_by("game_id").last()


def build_games(
    schedule: pl.DataFrame,
    scoreboard: pl.DataFrame,
    team_logs: pl.DataFrame,
    box_teams: pl.DataFrame,
    pbp: pl.DataFrame,
) -> pl.DataFrame:
    """One row per game seen by any source, each field from the best source that has it: the
    game's own box score and play-by-play, then the season game log (completed games only), then
    the day's scoreboard, then the schedule (the order of ``frames``)."""
    outcomes = game_outcomes(box_teams, pbp)
    empty_time = pl.lit(None, pl.Datetime("us", "UTC"))
    frames = {
        "box_score": outcomes.select(
            "game_id", "game_date", "status", "home_team_id", "home_team_tricode", "away_team_id",
            "away_team_tricode", "home_score", "away_score", arena_name=pl.lit(None, pl.String), game_time_utc=empty_time,
        ),
        "team_game_logs": _team_log_games(team_logs).with_columns(arena_name=pl.lit(None, pl.String), game_time_utc=empty_time),
        "scoreboard": _latest_scoreboard(scoreboard).with_columns(game_time_utc=empty_time),
        "schedule": schedule,
    }
    long = pl.concat(
        [
            df.select("game_id", "status", *_RECONCILED).cast({c: GAMES.column_index[c].dtype for c in _RECONCILED}).with_columns(
                source=pl.lit(name), priority=pl.lit(rank, pl.Int8),
            )
            for rank, (name, df) in enumerate(frames.items())
        ]
    ).sort("game_id", "priority")
    # Scores travel as a pair from one source, so a game never mixes two sources' numbers.
    scored = long.filter(pl.col("home_score").is_not_null() & pl.col("away_score").is_not_null())
    scores = scored.group_by("game_id").agg(
        pl.col("home_score").first(), pl.col("away_score").first(), score_source=pl.col("source").first()
    )
    games = (
        long.group_by("game_id")
        .agg(
            *[pl.col(c).drop_nulls().first() for c in _RECONCILED if not c.endswith("_score")],
            status_rank=pl.col("status").replace_strict(STATUS_RANK, return_dtype=pl.Int8).max(),
            sources=pl.col("source").unique().sort().str.join(","),
        )
        .join(scores, on="game_id", how="left")
        .join(
            outcomes.select("game_id", "periods", "play_by_play_source", "box_score_source"), on="game_id", how="left"
        )
        .with_columns(
            status=pl.col("status_rank").replace_strict({v: k for k, v in STATUS_RANK.items()}, return_dtype=pl.String),
            season=season_of_game_expr(pl.col("game_id")),
            season_type=season_type_expr(pl.col("game_id")),
        )
    )
    decided = pl.col("home_score") != pl.col("away_score")
    return games.with_columns(
        winner_team_id=pl.when((pl.col("status") == "final") & decided).then(
            pl.when(pl.col("home_score") > pl.col("away_score")).then("home_team_id").otherwise("away_team_id")
        ),
    ).select(GAMES.column_names).sort("game_date", "game_id")
