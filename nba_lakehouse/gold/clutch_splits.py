"""Per player per season: what he did in clutch time.

Clutch time is the NBA's definition: the last five minutes of the fourth period or any overtime,
with the score within five points. The margin is the one before the event, so the basket that
stretches a lead to seven still counts.
"""

from __future__ import annotations

from typing import Any

import polars as pl

from nba_lakehouse.game_clock import REGULATION_PERIODS
from nba_lakehouse.gold.possessions import events_in_possessions

CLUTCH_SECONDS = 300.0
CLUTCH_MARGIN = 5


def clutch_events(state: pl.DataFrame) -> pl.DataFrame:
    """Gold event_state rows with ``clutch``, the margin before the event and the seconds until the
    next event (the time credited to the lineup on the floor)."""
    by_game: dict[str, Any] = {"partition_by": "game_id", "order_by": "event_order"}
    margin_before = pl.col("point_differential").shift(1).over(**by_game).fill_null(0)
    next_elapsed = pl.col("seconds_elapsed_game").shift(-1).over(**by_game)
    return state.with_columns(
        clutch=(pl.col("period") >= REGULATION_PERIODS)
        & (pl.col("seconds_remaining_period") <= CLUTCH_SECONDS)
        & (margin_before.abs() <= CLUTCH_MARGIN),
        seconds_to_next=(next_elapsed - pl.col("seconds_elapsed_game")).fill_null(0.0).clip(lower_bound=0.0),
    )


def build_clutch_splits(
    pbp: pl.DataFrame, state: pl.DataFrame, on_court: pl.DataFrame, possessions: pl.DataFrame,
    box_players: pl.DataFrame,
) -> pl.DataFrame:
    """``pbp`` silver play_by_play, ``state`` gold event_state, ``on_court`` gold players_on_court,
    ``possessions`` gold possessions (points per event are read back with it) and silver
    box_score_players (for full names), all of the same games."""
    possession_events = events_in_possessions(pbp, possessions)
    events = (
        clutch_events(state).select("game_id", "event_order", "clutch", "seconds_to_next")
        .join(pbp.select("season", "game_id", "event_order", "event_type", "team_id", "player_id", "assist_player_id",
                         "shot_made", "shot_value", "description"), on=["game_id", "event_order"])
        .filter("clutch")
    )
    kind, made, value = pl.col("event_type"), pl.col("shot_made"), pl.col("shot_value")
    is_fg = kind.is_in(["made_shot", "missed_shot"])
    acted = events.filter(pl.col("player_id").is_not_null()).group_by("season", "player_id").agg(
        points=(pl.when(made).then(value).otherwise(0)).sum().cast(pl.Int32),
        field_goals_made=(is_fg & made).sum().cast(pl.Int32),
        field_goals_attempted=is_fg.sum().cast(pl.Int32),
        three_pointers_made=(is_fg & made & (value == 3)).sum().cast(pl.Int32),
        three_pointers_attempted=(is_fg & (value == 3)).sum().cast(pl.Int32),
        free_throws_made=((kind == "free_throw") & made).sum().cast(pl.Int32),
        free_throws_attempted=(kind == "free_throw").sum().cast(pl.Int32),
        rebounds=(kind == "rebound").sum().cast(pl.Int32),
        turnovers=(kind == "turnover").sum().cast(pl.Int32),
        fouls=(kind == "foul").sum().cast(pl.Int32),
    )
    assists = (
        events.filter((kind == "made_shot") & pl.col("assist_player_id").is_not_null())
        .group_by("season", player_id="assist_player_id").agg(assists=pl.len().cast(pl.Int32))
    )
    floor = (
        on_court.join(events.select("game_id", "event_order", "seconds_to_next"), on=["game_id", "event_order"])
        .join(possession_events.select("game_id", "event_order", "home_points", "away_points"), on=["game_id", "event_order"])
    )
    sides = [
        floor.select("season", "game_id", "seconds_to_next", player_id=f"{side}_player_ids",
                     plus_minus=pl.col(f"{side}_points") - pl.col(f"{other}_points"))
        for side, other in (("home", "away"), ("away", "home"))
    ]
    time_on_floor = pl.concat(sides).explode("player_id").group_by("season", "player_id").agg(
        games=pl.col("game_id").n_unique().cast(pl.Int32),
        minutes=(pl.col("seconds_to_next").sum() / 60),
        plus_minus=pl.col("plus_minus").sum().cast(pl.Int32),
    )
    names = (
        pl.concat([
            pbp.filter(pl.col("player_name").is_not_null()).select("season", "game_date", "player_id", "player_name", rank=pl.lit(1)),
            box_players.select("season", "game_date", "player_id", "player_name", rank=pl.lit(0)),
        ])
        .sort("rank", "game_date", descending=[True, False])
        .group_by("season", "player_id").agg(player_name=pl.col("player_name").last())
    )
    return (
        time_on_floor.join(acted, on=["season", "player_id"], how="full", coalesce=True)
        .join(assists, on=["season", "player_id"], how="left")
        .join(names, on=["season", "player_id"], how="left")
        .filter(pl.col("player_id").is_not_null())
        # A player who only acted (or was only on the floor) has zeros for the other side.
        .with_columns(pl.col("minutes").fill_null(0.0), pl.selectors.by_dtype(pl.Int32).fill_null(0))
        .sort("season", "player_id")
    )
