"""Possessions inferred from play-by-play, the same way for the V2, V3 and CDN feeds.

A possession ends with a made field goal (unless an and-one free throw follows), the last free
throw of a trip when it is made (a G League one-shot free throw is a trip of one; technical and
flagrant free throws keep the ball where it was), a defensive rebound, a turnover, or the end of
the period. When the team that acts changes without any of those (a held ball, a missed log
entry), a new possession starts at the first event of the new offense. Each event belongs to
exactly one possession; the ending event belongs to the possession it ends. Nothing here loops
over events.
"""

from __future__ import annotations

from typing import Any

import polars as pl

from nba_lakehouse.game_clock import spans
from nba_lakehouse.silver.play_by_play import ONE_SHOT_FREE_THROW

GAME_KEY = ["game_id", "period"]
FREE_THROW_TRIP = r"(\d) of (\d)"
# Free throws that leave possession where it was: technicals, and flagrant or clear-path trips
# (the fouled team keeps the ball afterwards).
KEEPS_BALL = r"(?i)technical|flagrant|clear path"


def running_score(column: str) -> pl.Expr:
    """A side's score after every event: the feeds give it on scoring rows only."""
    return pl.col(column).forward_fill().over("game_id", order_by="event_order").fill_null(0)


def _event_points(pbp: pl.DataFrame) -> pl.DataFrame:
    """Home and away points scored on each event, from the forward-filled running score."""
    by_game: dict[str, Any] = {"partition_by": "game_id", "order_by": "event_order"}
    return pbp.with_columns(home_running=running_score("home_score"), away_running=running_score("away_score")).with_columns(
        home_points=pl.col("home_running") - pl.col("home_running").shift(1).over(**by_game).fill_null(0),
        away_points=pl.col("away_running") - pl.col("away_running").shift(1).over(**by_game).fill_null(0),
    )


def _free_throw_parts(pbp: pl.DataFrame) -> pl.DataFrame:
    """trip_index / trip_size of each free throw (from the sub type, else the description) and
    whether it keeps the ball with the shooting team. A G League one-shot free throw ("Free Throw
    2PT") is a trip of one: made, it ends the possession; missed, the rebound decides."""
    text = pl.concat_str([pl.col("event_subtype").fill_null(""), pl.col("description").fill_null("")], separator=" ")
    is_ft = pl.col("event_type") == "free_throw"
    one_shot = text.str.contains(ONE_SHOT_FREE_THROW)
    return pbp.with_columns(
        trip_index=pl.when(is_ft & one_shot).then(pl.lit(1, pl.Int8))
        .when(is_ft).then(text.str.extract(FREE_THROW_TRIP, 1).cast(pl.Int8)),
        trip_size=pl.when(is_ft & one_shot).then(pl.lit(1, pl.Int8))
        .when(is_ft).then(text.str.extract(FREE_THROW_TRIP, 2).cast(pl.Int8)),
        keeps_ball=is_ft & text.str.contains(KEEPS_BALL),
    )


def possession_events(pbp: pl.DataFrame, sides: pl.DataFrame) -> pl.DataFrame:
    """Every event with its possession: ``possession_number`` (1.. within the game),
    ``offense_team_id`` and the points each side scored on the event.

    ``sides`` is (game_id, home_team_id, away_team_id).
    """
    events = _free_throw_parts(_event_points(pbp.sort("game_id", "event_order")))
    events = events.join(sides.select("game_id", "home_team_id", "away_team_id"), on="game_id", how="left")
    kind = pl.col("event_type")
    team = pl.col("team_id")
    in_period: dict[str, Any] = {"partition_by": GAME_KEY, "order_by": "event_order"}

    # The team of the latest shot decides whether a rebound is offensive.
    is_shot = kind.is_in(["missed_shot", "made_shot"]) | ((kind == "free_throw") & ~pl.col("keeps_ball"))
    last_shooter = pl.when(is_shot).then(team).forward_fill().shift(1).over(**in_period)
    offensive_rebound = (kind == "rebound") & (team == last_shooter)
    defensive_rebound = (kind == "rebound") & team.is_not_null() & last_shooter.is_not_null() & (team != last_shooter)

    # An and-one: a made basket followed by a single free throw for the same team on the same clock.
    and_ones = (
        events.filter((kind == "free_throw") & (pl.col("trip_size") == 1) & ~pl.col("keeps_ball"))
        .select(*GAME_KEY, "clock_seconds", "team_id", and_one=pl.lit(True)).unique()
    )
    events = events.join(and_ones, on=[*GAME_KEY, "clock_seconds", "team_id"], how="left")
    no_turnover = pl.col("description").fill_null("").str.contains("(?i)no turnover")
    last_free_throw = (kind == "free_throw") & (pl.col("trip_index") == pl.col("trip_size")) & ~pl.col("keeps_ball")
    ends = (
        ((kind == "made_shot") & pl.col("and_one").is_null())
        | (last_free_throw & pl.col("shot_made").fill_null(False))
        | defensive_rebound
        | ((kind == "turnover") & team.is_not_null() & ~no_turnover)
    )
    reveals = (
        pl.when(kind.is_in(["made_shot", "missed_shot", "turnover"]) | ((kind == "free_throw") & ~pl.col("keeps_ball")))
        .then(team)
        .when(offensive_rebound).then(team)
    )
    events = events.with_columns(
        ends=ends.fill_null(False), reveals=reveals, ending_kind=pl.when(ends).then(
            pl.when(defensive_rebound).then(pl.lit("after_defensive_rebound"))
            .when(kind == "turnover").then(pl.lit("after_turnover"))
            .otherwise(pl.lit("after_make"))
        ),
    )
    # Pass 1: split after ending events; pass 2: also split where the acting offense changes.
    after_end = pl.col("ends").shift(1).over(**in_period).fill_null(False)
    events = events.with_columns(first_pass=after_end.cast(pl.Int32).cum_sum().over(**in_period))
    earlier_offense = pl.col("reveals").forward_fill().shift(1).over(*GAME_KEY, "first_pass", order_by="event_order")
    switched = pl.col("reveals").is_not_null() & earlier_offense.is_not_null() & (pl.col("reveals") != earlier_offense)
    new_possession = (pl.col("period") != pl.col("period").shift(1)) | after_end.fill_null(False) | switched
    events = events.with_columns(
        possession_number=new_possession.fill_null(True).cast(pl.Int32).cum_sum().over("game_id", order_by="event_order"),
        start_type=pl.when((pl.col("period") != pl.col("period").shift(1).over("game_id", order_by="event_order")).fill_null(True))
        .then(pl.lit("period_start"))
        .when(after_end).then(pl.col("ending_kind").shift(1).over(**in_period))
        .when(switched).then(pl.lit("change_of_offense")),
    )
    events = events.with_columns(offense_team_id=pl.col("reveals").drop_nulls().first().over("game_id", "possession_number"))
    # A possession where nobody acted (the ball changed hands, then the period ended) belongs to
    # the team that did not have the previous one (or, failing that, the next one).
    def other_than(team: pl.Expr) -> pl.Expr:
        return pl.when(team == pl.col("home_team_id")).then("away_team_id").when(team == pl.col("away_team_id")).then("home_team_id")

    possessions = (
        events.group_by("game_id", "possession_number")
        .agg(pl.col("period", "offense_team_id", "home_team_id", "away_team_id").first())
        .sort("game_id", "possession_number")
        .with_columns(
            offense_team_id=pl.coalesce(
                "offense_team_id",
                other_than(pl.col("offense_team_id").shift(1).over("game_id")),
                other_than(pl.col("offense_team_id").shift(-1).over("game_id")),
            )
        )
    )
    # Two possessions in a row for one team in a period are one: the "end" between them kept the
    # ball with the offense (an away-from-play free throw, a rebound credited to the wrong side).
    merged = possessions.with_columns(
        merged_number=(pl.col("offense_team_id").ne_missing(pl.col("offense_team_id").shift(1).over("game_id", "period")))
        .cast(pl.Int32).cum_sum().over("game_id", order_by="possession_number")
    ).select("game_id", "possession_number", "merged_number", "offense_team_id")
    return (
        events.drop("offense_team_id")
        .join(merged, on=["game_id", "possession_number"], how="left")
        .with_columns(
            possession_number="merged_number",
            # A possession's start type is the one on its first event (the others are null).
            start_type=pl.col("start_type").first().over("game_id", "merged_number", order_by="event_order"),
        )
        .drop("merged_number", "first_pass", "and_one", "reveals", "ending_kind")
    )


def build_possessions(pbp: pl.DataFrame, sides: pl.DataFrame) -> pl.DataFrame:
    """One row per possession: (season, game_date, game_id, possession_number, period,
    offense/defense team, start and end event, start type, points, start/end/duration seconds)."""
    events = possession_events(pbp, sides)
    offense_is_home = pl.col("offense_team_id") == pl.col("home_team_id")
    offense_is_away = pl.col("offense_team_id") == pl.col("away_team_id")
    rows = events.group_by("game_id", "possession_number").agg(
        pl.col("season", "game_date", "period", "home_team_id", "away_team_id", "offense_team_id", "start_type").first(),
        start_event_order=pl.col("event_order").min(),
        end_event_order=pl.col("event_order").max(),
        home_points=pl.col("home_points").sum(),
        away_points=pl.col("away_points").sum(),
    ).join(spans(events, "possession_number"), on=["game_id", "period", "possession_number"])
    return rows.select(
        "season", "game_date", "game_id", "possession_number", "period",
        "offense_team_id",
        defense_team_id=pl.when(offense_is_home).then("away_team_id").when(offense_is_away).then("home_team_id"),
        offense_side=pl.when(offense_is_home).then(pl.lit("home")).when(offense_is_away).then(pl.lit("away")),
        start_event_order="start_event_order",
        end_event_order="end_event_order",
        start_type="start_type",
        points=pl.when(offense_is_home).then("home_points").when(offense_is_away).then("away_points"),
        start_seconds="start",
        end_seconds="end",
        duration_seconds=pl.col("end") - pl.col("start"),
    ).sort("game_id", "possession_number")


def with_possession(events: pl.DataFrame, possessions: pl.DataFrame, *columns: str) -> pl.DataFrame:
    """Add the given columns of each event's possession (gold possessions) to ``events``.

    Possessions cover each game's events without gaps, so the latest one started is the event's.
    """
    starts = possessions.select("game_id", *columns, event_order="start_event_order").sort("game_id", "event_order")
    return events.sort("game_id", "event_order").join_asof(starts, on="event_order", by="game_id", check_sortedness=False)


def events_in_possessions(pbp: pl.DataFrame, possessions: pl.DataFrame) -> pl.DataFrame:
    """Each event's points and possession, read back from the gold possessions table, so tables
    built after it (stints, clutch splits) need not infer possessions again."""
    points = _event_points(pbp.sort("game_id", "event_order")).select(
        "game_id", "event_order", "clock_seconds", "home_points", "away_points"
    )
    return with_possession(points, possessions, "possession_number", "offense_team_id")
