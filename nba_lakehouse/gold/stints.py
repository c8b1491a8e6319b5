"""Stints: stretches of a game in which neither team changed its five, with what happened in them.

The unit of lineup models such as RAPM: one row per stint with both lineups, the game time it
covered, the points each side scored and the possessions each side started.
"""

from __future__ import annotations

from typing import Any

import polars as pl

from nba_lakehouse.game_clock import spans
from nba_lakehouse.gold.possessions import events_in_possessions


def build_stints(pbp: pl.DataFrame, on_court: pl.DataFrame, possessions: pl.DataFrame) -> pl.DataFrame:
    """The stints table as the asset writes it: ``pbp`` silver play_by_play, ``on_court`` gold
    players_on_court and ``possessions`` gold possessions of the same games (each event's
    possession is read back from that table, not inferred again)."""
    return stints_from_events(on_court, events_in_possessions(pbp, possessions))


def stints_from_events(on_court: pl.DataFrame, possession_events: pl.DataFrame) -> pl.DataFrame:
    """``on_court`` is gold players_on_court, ``possession_events`` each event's points and
    possession (``possessions.possession_events`` or ``events_in_possessions``) for the same games."""
    events = on_court.join(
        possession_events.select(
            "game_id", "event_order", "clock_seconds", "home_points", "away_points",
            "possession_number", "offense_team_id",
        ),
        on=["game_id", "event_order"],
    ).sort("game_id", "event_order")
    lineup = pl.struct("home_player_ids", "away_player_ids").hash()
    by_game: dict[str, Any] = {"partition_by": "game_id", "order_by": "event_order"}
    changed = (pl.col("period") != pl.col("period").shift(1).over(**by_game)) | (lineup != lineup.shift(1).over(**by_game))
    events = events.with_columns(stint_number=changed.fill_null(True).cast(pl.Int32).cum_sum().over(**by_game))
    starts_possession = pl.col("possession_number") != pl.col("possession_number").shift(1).over(**by_game)
    events = events.with_columns(starts_possession=starts_possession.fill_null(True))
    rows = events.group_by("game_id", "stint_number").agg(
        pl.col("season", "game_date", "period", "home_team_id", "away_team_id", "home_player_ids", "away_player_ids").first(),
        start_event_order=pl.col("event_order").min(),
        end_event_order=pl.col("event_order").max(),
        home_points=pl.col("home_points").sum(),
        away_points=pl.col("away_points").sum(),
        home_possessions=(pl.col("starts_possession") & (pl.col("offense_team_id") == pl.col("home_team_id"))).sum(),
        away_possessions=(pl.col("starts_possession") & (pl.col("offense_team_id") == pl.col("away_team_id"))).sum(),
    ).join(spans(events, "stint_number"), on=["game_id", "period", "stint_number"])
    return rows.select(
        "season", "game_date", "game_id", "stint_number", "period",
        "home_team_id", "away_team_id", "home_player_ids", "away_player_ids",
        "start_event_order", "end_event_order",
        start_seconds="start", end_seconds="end", duration_seconds=pl.col("end") - pl.col("start"),
        home_points="home_points", away_points="away_points",
        home_possessions="home_possessions", away_possessions="away_possessions",
    ).sort("game_id", "stint_number")


def player_stint_seconds(stints: pl.DataFrame) -> pl.DataFrame:
    """(game_id, team_id, player_id, seconds): time on the floor summed over stints."""
    sides = [
        stints.select("game_id", team_id=f"{side}_team_id", player_id=f"{side}_player_ids", seconds="duration_seconds")
        for side in ("home", "away")
    ]
    return pl.concat(sides).explode("player_id").group_by("game_id", "team_id", "player_id").agg(pl.col("seconds").sum())
