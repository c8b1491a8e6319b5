"""Stints: stretches of a game in which neither team changed its five, with what happened in them.

The unit of lineup models such as RAPM: one row per stint with both lineups, the game time it
covered, the points each side scored and the possessions each side started.
"""

from __future__ import annotations

import polars as pl

from nba_lakehouse.frames import cum_sum_in_run, starts_run
from nba_lakehouse.game_clock import run_spans
from nba_lakehouse.gold.possessions import events_in_possessions


def build_stints(pbp: pl.DataFrame, on_court: pl.DataFrame, possessions: pl.DataFrame) -> pl.DataFrame:
    """The stints table as the asset writes it: ``pbp`` silver play_by_play, ``on_court`` gold
    players_on_court and ``possessions`` gold possessions of the same games (each event's
    possession is read back from that table, not inferred again)."""
    return _stints(on_court.lazy(), events_in_possessions(pbp.lazy(), possessions.lazy())).collect(engine="in-memory")


def stints_from_events(on_court: pl.DataFrame, possession_events: pl.DataFrame) -> pl.DataFrame:
    """``on_court`` is gold players_on_court, ``possession_events`` each event's points and
    possession (``possessions.possession_events`` or ``events_in_possessions``) for the same games."""
    return _stints(on_court.lazy(), possession_events.lazy()).collect(engine="in-memory")


def _stints(on_court: pl.LazyFrame, possession_events: pl.LazyFrame) -> pl.LazyFrame:
    """``stints_from_events`` as one plan: on one game its fixed cost per step and per collect is
    most of the time."""
    # The lineups travel as one hash per event; each stint's two lists are joined back at the end
    # (sorting and grouping a season's list columns is most of this table's memory).
    lineup = pl.struct("home_player_ids", "away_player_ids").hash()
    events = on_court.select(
        "season", "game_date", "game_id", "event_order", "period", "home_team_id", "away_team_id", lineup=lineup,
    ).join(
        possession_events.select(
            "game_id", "event_order", "clock_seconds", "home_points", "away_points",
            "possession_number", "offense_team_id",
        ),
        on=["game_id", "event_order"],
    ).sort("game_id", "event_order")
    # The rows are in game and event order: each is compared with the row before, unless it is
    # its game's first (shifts, not windows per game, which cost several times more).
    game_start = starts_run("game_id")
    lineup_changed = pl.col("lineup") != pl.col("lineup").shift(1)
    changed = game_start | (pl.col("period") != pl.col("period").shift(1)) | lineup_changed
    starts_possession = game_start | (pl.col("possession_number") != pl.col("possession_number").shift(1))
    events = events.with_columns(
        game_start=game_start, changed=changed.fill_null(True).cast(pl.Int32), starts_possession=starts_possession.fill_null(True),
    ).with_columns(stint_number=cum_sum_in_run(pl.col("changed"), pl.col("game_start")))
    rows = events.group_by("game_id", "stint_number").agg(
        pl.col("season", "game_date", "period", "home_team_id", "away_team_id").first(),
        start_event_order=pl.col("event_order").min(),
        end_event_order=pl.col("event_order").max(),
        home_points=pl.col("home_points").sum(),
        away_points=pl.col("away_points").sum(),
        home_possessions=(pl.col("starts_possession") & (pl.col("offense_team_id") == pl.col("home_team_id"))).sum(),
        away_possessions=(pl.col("starts_possession") & (pl.col("offense_team_id") == pl.col("away_team_id"))).sum(),
        # A stint's rows are in event order (and in one period): its last is its last event.
        last_clock=pl.col("clock_seconds").last(),
    ).sort("game_id", "stint_number")
    players = on_court.select("game_id", "home_player_ids", "away_player_ids", start_event_order="event_order")
    return run_spans(rows, "stint_number").join(
        players, on=["game_id", "start_event_order"], how="left", maintain_order="left",
    ).select(
        "season", "game_date", "game_id", "stint_number", "period",
        "home_team_id", "away_team_id", "home_player_ids", "away_player_ids",
        "start_event_order", "end_event_order",
        start_seconds="start", end_seconds="end", duration_seconds=pl.col("end") - pl.col("start"),
        home_points="home_points", away_points="away_points",
        home_possessions="home_possessions", away_possessions="away_possessions",
    )


def player_stint_seconds(stints: pl.DataFrame) -> pl.DataFrame:
    """(game_id, team_id, player_id, seconds): time on the floor summed over stints."""
    sides = [
        stints.select("game_id", team_id=f"{side}_team_id", player_id=f"{side}_player_ids", seconds="duration_seconds")
        for side in ("home", "away")
    ]
    return pl.concat(sides).explode("player_id").group_by("game_id", "team_id", "player_id").agg(pl.col("seconds").sum())
