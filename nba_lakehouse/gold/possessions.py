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

from typing import Any, TypeVar

import polars as pl

from nba_lakehouse.frames import last_before_in_run
from nba_lakehouse.game_clock import spans
from nba_lakehouse.silver.play_by_play import ONE_SHOT_FREE_THROW

GAME_KEY = ["game_id", "period"]
Frame = TypeVar("Frame", pl.DataFrame, pl.LazyFrame)
FREE_THROW_TRIP = r"(\d) of (\d)"
# Free throws that leave possession where it was: technicals, and flagrant or clear-path trips
# (the fouled team keeps the ball afterwards).
KEEPS_BALL = r"(?i)technical|flagrant|clear path"


def running_score(column: str) -> pl.Expr:
    """A side's score after every event: the feeds give it on scoring rows only."""
    return pl.col(column).forward_fill().over("game_id", order_by="event_order").fill_null(0)


def _event_points(pbp: Frame) -> Frame:
    """Home and away points scored on each event, from the forward-filled running score."""
    by_game: dict[str, Any] = {"partition_by": "game_id", "order_by": "event_order"}
    return pbp.with_columns(home_running=running_score("home_score"), away_running=running_score("away_score")).with_columns(
        home_points=pl.col("home_running") - pl.col("home_running").shift(1).over(**by_game).fill_null(0),
        away_points=pl.col("away_running") - pl.col("away_running").shift(1).over(**by_game).fill_null(0),
    )


def _free_throws(pbp: pl.DataFrame) -> pl.DataFrame:
    """The free throws of ``pbp``, in its order: trip_index / trip_size (from the sub type, else
    the description) and whether the throw keeps the ball with the shooting team. A G League
    one-shot free throw ("Free Throw 2PT") is a trip of one: made, it ends the possession; missed,
    the rebound decides. (The patterns run on these rows only: a tenth of the events.)"""
    text = pl.concat_str([pl.col("event_subtype").fill_null(""), pl.col("description").fill_null("")], separator=" ")
    one_shot = text.str.contains(ONE_SHOT_FREE_THROW)
    return pbp.lazy().filter(pl.col("event_type") == "free_throw").select(
        *GAME_KEY, "clock_seconds", "team_id",
        trip_index=pl.when(one_shot).then(pl.lit(1, pl.Int8)).otherwise(text.str.extract(FREE_THROW_TRIP, 1).cast(pl.Int8)),
        trip_size=pl.when(one_shot).then(pl.lit(1, pl.Int8)).otherwise(text.str.extract(FREE_THROW_TRIP, 2).cast(pl.Int8)),
        keeps_ball=text.str.contains(KEEPS_BALL),
    ).collect(engine="in-memory")


def _spread(rows: pl.Series, where: pl.Expr) -> pl.Expr:
    """``rows`` (one value per row of the frame where ``where`` holds, in order) on those rows, null elsewhere."""
    if rows.is_empty():
        return pl.lit(None, rows.dtype)
    at = (where.cast(pl.Int64).cum_sum() - 1).clip(lower_bound=0)
    return pl.when(where).then(pl.lit(rows).gather(at))


def _free_throw_parts(pbp: pl.DataFrame, shots: pl.DataFrame) -> pl.DataFrame:
    """``pbp`` with each free throw's trip_index / trip_size / keeps_ball (``shots``, the
    ``_free_throws`` of ``pbp``)."""
    is_ft = pl.col("event_type") == "free_throw"
    return pbp.with_columns(
        trip_index=_spread(shots["trip_index"], is_ft),
        trip_size=_spread(shots["trip_size"], is_ft),
        keeps_ball=is_ft & _spread(shots["keeps_ball"], is_ft),
    )


def possession_events(pbp: pl.DataFrame, sides: pl.DataFrame) -> pl.DataFrame:
    """Every event with its possession: ``possession_number`` (1.. within the game),
    ``offense_team_id`` and the points each side scored on the event.

    ``sides`` is (game_id, home_team_id, away_team_id).

    The rules read neighbouring rows of a period or a possession. They run on the rows in game
    and event order, as shifts and fills over runs of consecutive rows (a period is a run of rows
    of one period number), not as windows over every period and possession: a window over
    ~250,000 small groups costs seconds on a season. Only the columns they read, in one lazy query.
    """
    ordered = pbp.sort("game_id", "event_order")
    return ordered.hstack(_possession_columns(ordered, sides.lazy()).collect(engine="in-memory"))


# The columns possession_events adds, in its order, and the ones it reads.
ADDED = ("home_running", "away_running", "home_points", "away_points", "trip_index", "trip_size", "keeps_ball",
         "home_team_id", "away_team_id", "ends", "possession_number", "start_type", "offense_team_id")
READS = ("game_id", "event_order", "period", "clock_seconds", "team_id", "event_type", "event_subtype", "description",
         "shot_made", "home_score", "away_score")


def _possession_columns(ordered: pl.DataFrame, sides: pl.LazyFrame) -> pl.LazyFrame:
    """``ADDED`` for ``ordered`` (sorted by game and event order)."""
    kind = pl.col("event_type")
    team = pl.col("team_id")
    game_start = pl.col("game_id").ne_missing(pl.col("game_id").shift(1))
    period_start = game_start | pl.col("period").ne_missing(pl.col("period").shift(1))
    free_throws = _free_throws(ordered)
    # An and-one: a made basket followed by a single free throw for the same team on the same clock.
    and_one_keys = [*GAME_KEY, "clock_seconds", "team_id"]
    and_ones = (
        free_throws.filter((pl.col("trip_size") == 1) & ~pl.col("keeps_ball"))
        .select(*and_one_keys, and_one=pl.lit(True)).unique()
    )
    is_make = kind == "made_shot"
    makes = ordered.lazy().filter(is_make).select(and_one_keys).join(and_ones.lazy(), on=and_one_keys, how="left", maintain_order="left")
    and_one = makes.select("and_one").collect(engine="in-memory")["and_one"]
    events = (
        _event_points(_free_throw_parts(ordered.select(READS), free_throws).lazy())
        .with_columns(and_one=_spread(and_one, is_make))
        .join(sides.select("game_id", "home_team_id", "away_team_id"), on="game_id", how="left", maintain_order="left")
    )
    is_shot = kind.is_in(["missed_shot", "made_shot"]) | ((kind == "free_throw") & ~pl.col("keeps_ball"))
    events = events.with_columns(period_start=period_start, game_start=game_start, shooter=pl.when(is_shot).then(team)).with_columns(
        period_run=pl.col("period_start").cum_sum(),
    )
    # The team of the latest shot decides whether a rebound is offensive.
    events = events.with_columns(last_shooter=last_before_in_run(pl.col("shooter"), "period_run"))
    last_shooter = pl.col("last_shooter")
    events = events.with_columns(
        offensive_rebound=(kind == "rebound") & (team == last_shooter),
        defensive_rebound=(kind == "rebound") & team.is_not_null() & last_shooter.is_not_null() & (team != last_shooter),
    )
    no_turnover = pl.col("description").fill_null("").str.contains("(?i)no turnover")
    last_free_throw = (kind == "free_throw") & (pl.col("trip_index") == pl.col("trip_size")) & ~pl.col("keeps_ball")
    ends = (
        ((kind == "made_shot") & pl.col("and_one").is_null())
        | (last_free_throw & pl.col("shot_made").fill_null(False))
        | pl.col("defensive_rebound")
        | ((kind == "turnover") & team.is_not_null() & ~no_turnover)
    ).fill_null(False)
    reveals = (
        pl.when(kind.is_in(["made_shot", "missed_shot", "turnover"]) | ((kind == "free_throw") & ~pl.col("keeps_ball")))
        .then(team)
        .when("offensive_rebound").then(team)
    )
    events = events.with_columns(ends=ends, reveals=reveals).with_columns(
        ending_kind=pl.when("ends").then(
            pl.when("defensive_rebound").then(pl.lit("after_defensive_rebound"))
            .when(kind == "turnover").then(pl.lit("after_turnover"))
            .otherwise(pl.lit("after_make"))
        ),
        # Pass 1: split after ending events; pass 2: also split where the acting offense changes.
        after_end=pl.col("ends").shift(1).fill_null(False) & ~pl.col("period_start"),
    )
    events = events.with_columns(first_pass=(pl.col("period_start") | pl.col("after_end")).cum_sum())
    events = events.with_columns(earlier_offense=last_before_in_run(pl.col("reveals"), "first_pass"))
    events = events.with_columns(
        switched=pl.col("reveals").is_not_null() & pl.col("earlier_offense").is_not_null() & (pl.col("reveals") != pl.col("earlier_offense"))
    )
    new_possession = ((pl.col("period") != pl.col("period").shift(1)) | pl.col("after_end") | pl.col("switched")).fill_null(True).cast(pl.Int32)
    in_game = pl.col("new_possession").cum_sum()
    events = events.with_columns(
        new_possession=new_possession,
        start_type=pl.when(pl.col("period_start")).then(pl.lit("period_start"))
        .when(pl.col("after_end")).then(pl.col("ending_kind").shift(1))
        .when("switched").then(pl.lit("change_of_offense")),
    ).with_columns(
        possession_number=in_game - pl.when("game_start").then(in_game - pl.col("new_possession")).forward_fill(),
    )
    # Each possession's values sit on its first row and are spread over its rows by index; the
    # rows of a possession, of a merged possession and of a game are consecutive.
    starts = pl.col("game_start") | (pl.col("possession_number") != pl.col("possession_number").shift(1))
    events = events.with_columns(starts=starts, row=pl.int_range(pl.len())).with_columns(
        first_row=pl.when("starts").then("row").forward_fill(),
        last_row=pl.when(pl.col("starts").shift(-1, fill_value=True)).then("row").backward_fill(),
        possession_run=pl.col("starts").cum_sum(),
    )
    # The first team that acted in each possession.
    acted = pl.when(pl.col("reveals").is_not_null()).then("possession_run").backward_fill()
    first_acted = pl.when(acted == pl.col("possession_run")).then(pl.col("reveals").backward_fill())
    events = events.with_columns(acted=first_acted.gather(pl.col("first_row")))
    # A possession where nobody acted (the ball changed hands, then the period ended) belongs to
    # the team that did not have the previous one (or, failing that, the next one).
    previous_last = (pl.col("first_row") - 1).clip(lower_bound=0)
    next_first = (pl.col("last_row") + 1).clip(upper_bound=pl.len() - 1)
    next_in_game = (pl.col("last_row") < pl.len() - 1) & (pl.col("game_id").gather(next_first) == pl.col("game_id"))
    events = events.with_columns(
        previous_acted=pl.when(~pl.col("game_start").gather(pl.col("first_row"))).then(pl.col("acted").gather(previous_last)),
        next_acted=pl.when(next_in_game).then(pl.col("acted").gather(next_first)),
    )

    def other_than(team: pl.Expr) -> pl.Expr:
        return pl.when(team == pl.col("home_team_id")).then("away_team_id").when(team == pl.col("away_team_id")).then("home_team_id")

    events = events.with_columns(offense_team_id=pl.coalesce("acted", other_than(pl.col("previous_acted")), other_than(pl.col("next_acted"))))
    # Two possessions in a row for one team in a period are one: the "end" between them kept the
    # ball with the offense (an away-from-play free throw, a rebound credited to the wrong side).
    # (Read on each possession's first row, where the row before is the previous possession's last.)
    previous_offense = pl.when(~pl.col("period_start")).then(pl.col("offense_team_id").shift(1))
    changed = pl.when("starts").then(pl.col("offense_team_id").ne_missing(previous_offense).cast(pl.Int32)).otherwise(0)
    events = events.with_columns(changed=changed).with_columns(merged=pl.col("changed").cum_sum())
    events = events.with_columns(possession_number=pl.col("merged") - pl.when("game_start").then(pl.col("merged") - pl.col("changed")).forward_fill())
    merged_start = pl.when(pl.col("game_start") | (pl.col("possession_number") != pl.col("possession_number").shift(1))).then("row").forward_fill()
    # A possession's start type is the one on its first event (the others are null).
    return events.with_columns(start_type=pl.col("start_type").gather(merged_start)).select(ADDED)


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
