"""Game state after every event: the feature table for win-probability and game-flow work."""

from __future__ import annotations

import polars as pl

from nba_lakehouse.game_clock import (
    REGULATION_PERIOD_SECONDS,
    REGULATION_PERIODS,
    seconds_elapsed,
)
from nba_lakehouse.gold.possessions import build_possessions, running_score, with_possession

HOME, AWAY = 0, 1


def _side(team: pl.Expr) -> pl.Expr:
    return (
        pl.when(team == pl.col("home_team_id")).then(pl.lit(HOME, pl.Int8))
        .when(team == pl.col("away_team_id")).then(pl.lit(AWAY, pl.Int8))
    )


def build_event_state(
    pbp: pl.DataFrame,
    games: pl.DataFrame,
    possessions: pl.DataFrame | None = None,
    on_court: pl.DataFrame | None = None,
    box_players: pl.DataFrame | None = None,
) -> pl.DataFrame:
    """``pbp`` is silver play_by_play, ``games`` silver games (for sides and the final result).

    ``possessions`` is gold possessions of those games (built here when not given): V2 and V3
    state no possession, so ``possession_side`` is the offense of the event's possession, by the
    same rules as gold.possessions; the CDN's own possession field is kept. With gold
    ``on_court`` (players_on_court) and silver ``box_players`` the starter counts are filled;
    without them they are null.
    """
    if possessions is None:
        possessions = build_possessions(pbp, games)
    period = pl.col("period").cast(pl.Float64)
    clock = pl.col("clock_seconds")
    in_overtime = pl.col("period") > REGULATION_PERIODS
    feed_possession = _side(pl.col("possession_team_id"))
    final_winner = (
        pl.when(pl.col("status") != "final").then(None)
        .when(pl.col("winner_team_id") == pl.col("home_team_id")).then(pl.lit(HOME, pl.Int8))
        .when(pl.col("winner_team_id") == pl.col("away_team_id")).then(pl.lit(AWAY, pl.Int8))
    )
    # One lazy plan over only the columns read here, so a season's intermediate frames are dropped
    # as it goes (a full-width copy of the play-by-play was its largest allocation).
    joined = pbp.lazy().select(
        "season", "game_date", "game_id", "event_order", "period", "event_type", "team_id", "source", "clock_seconds",
        "possession_team_id", "home_score", "away_score",
    ).sort("game_id", "event_order").join(
        games.lazy().select("game_id", "home_team_id", "away_team_id", "status", "winner_team_id"),
        on="game_id", how="left", maintain_order="left",
    )
    state = joined.with_columns(home_score=running_score("home_score"), away_score=running_score("away_score")).with_columns(
        point_differential=pl.col("home_score") - pl.col("away_score"),
    )
    return state.select(
        "season",
        "game_date",
        "game_id",
        "event_order",
        "period",
        "event_type",
        "team_id",
        "source",
        "home_team_id",
        "away_team_id",
        seconds_remaining_period=clock,
        seconds_remaining_game=pl.when(in_overtime).then(clock)
        .otherwise(clock + (REGULATION_PERIODS - period) * REGULATION_PERIOD_SECONDS),
        seconds_elapsed_game=seconds_elapsed(pl.col("period"), clock),
        home_score="home_score",
        away_score="away_score",
        point_differential="point_differential",
        feed_possession_side=feed_possession,
        team_side=_side(pl.col("team_id")),
        current_winning_team=pl.when(pl.col("point_differential") > 0).then(pl.lit(HOME, pl.Int8))
        .when(pl.col("point_differential") < 0).then(pl.lit(AWAY, pl.Int8)),
        final_winning_team=final_winner,
    # (with_possession leaves the events in game and event order; the starter counts keep it.)
    ).pipe(_with_possessions, possessions.lazy()).pipe(_with_starters_on_court, on_court, box_players).collect(engine="in-memory")


def _with_possessions(state: pl.LazyFrame, possessions: pl.LazyFrame) -> pl.LazyFrame:
    sides = possessions.with_columns(
        offense_side=pl.col("offense_side").replace_strict({"home": HOME, "away": AWAY}, default=None, return_dtype=pl.Int8)
    )
    joined = with_possession(state, sides, "possession_number", "offense_side", "start_seconds")
    return joined.with_columns(
        seconds_into_possession=pl.col("seconds_elapsed_game") - pl.col("start_seconds"),
        # A rebound is its team's ball, as the CDN states it; in gold.possessions a defensive
        # rebound still belongs to the possession it ends.
        possession_side=pl.when(pl.col("source") == "cdn").then("feed_possession_side")
        .when((pl.col("event_type") == "rebound") & pl.col("team_side").is_not_null()).then("team_side")
        .otherwise("offense_side"),
    ).drop("start_seconds", "feed_possession_side", "team_side", "source")


def _with_starters_on_court(state: pl.LazyFrame, on_court: pl.DataFrame | None, box_players: pl.DataFrame | None) -> pl.LazyFrame:
    if on_court is None or box_players is None:
        return state.with_columns(home_starters_on_court=pl.lit(None, pl.Int8), away_starters_on_court=pl.lit(None, pl.Int8))
    starters = box_players.filter("starter").group_by("game_id").agg(starter_ids=pl.col("player_id"))
    counts = on_court.lazy().join(starters.lazy(), on="game_id", how="left").select(
        "game_id", "event_order",
        **{
            f"{side}_starters_on_court": pl.col(f"{side}_player_ids").list.set_intersection(pl.col("starter_ids"))
            .list.len().cast(pl.Int8)
            for side in ("home", "away")
        },
    )
    return state.join(counts, on=["game_id", "event_order"], how="left", maintain_order="left")
