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

import functools

import polars as pl

from nba_lakehouse.frames import Frame, cum_sum_in_run, last_before_in_run, starts_run
from nba_lakehouse.game_clock import run_spans
from nba_lakehouse.silver.play_by_play import ONE_SHOT_FREE_THROW

GAME_KEY = ["game_id", "period"]
FREE_THROW_TRIP = r"(\d) of (\d)"
# Free throws that leave possession where it was: technicals, and flagrant or clear-path trips
# (the fouled team keeps the ball afterwards).
KEEPS_BALL = r"(?i)technical|flagrant|clear path"


def running_score(column: str) -> pl.Expr:
    """A side's score after every event (the feeds give it on scoring rows only), for rows sorted
    by game and event order: the latest score given earlier in the same game, else 0. Fills that
    stop at the game's first row, not a window per game (on one game a window costs several
    times a fill)."""
    game = pl.col("game_id").rle_id()
    score = pl.col(column)
    scored_in_game = pl.when(score.is_not_null()).then(game).forward_fill() == game
    return pl.when(scored_in_game).then(score.forward_fill()).otherwise(0)


# Steps of named expressions, added in turn (each reads the columns of the steps before). The
# steps are built once: on one game, building the possession rules' ~450 polars expressions costs
# about a third of running them.
Steps = tuple[dict[str, pl.Expr], ...]


def _apply(frame: Frame, steps: Steps) -> Frame:
    for step in steps:
        frame = frame.with_columns(**step)
    return frame


def _event_points(ordered: Frame) -> Frame:
    """Home and away points scored on each event, from the forward-filled running score, for rows
    sorted by game and event order."""
    return _apply(ordered, _event_point_steps())


@functools.cache
def _event_point_steps() -> Steps:
    """Each side's ``running_score`` and its change on each row (rows sorted by game and event order)."""
    game_start = starts_run("game_id")
    return (
        {"home_running": running_score("home_score"), "away_running": running_score("away_score")},
        {
            "home_points": pl.when(game_start).then("home_running").otherwise(pl.col("home_running") - pl.col("home_running").shift(1)),
            "away_points": pl.when(game_start).then("away_running").otherwise(pl.col("away_running") - pl.col("away_running").shift(1)),
        },
    )


def _on_rows(where: pl.Expr, values: pl.Expr) -> pl.Expr:
    """``values``, worked out on the rows where ``where`` holds (an expression of
    ``column.filter(where)``), put back on those rows; null elsewhere. (Keep ``values`` to
    elementwise functions: polars 2.1 panics on a when/then over filtered columns.)"""
    return values.gather(pl.when(where).then(where.cast(pl.Int64).cum_sum() - 1))


def _free_throw_columns() -> dict[str, pl.Expr]:
    """Each free throw's trip_index / trip_size (from the sub type, else the description) and
    whether it keeps the ball with the shooting team (null / false on other events). A G League
    one-shot free throw ("Free Throw 2PT") is a trip of one: made, it ends the possession; missed,
    the rebound decides. (The patterns run on the free throws only: a tenth of the events.)"""
    is_ft = pl.col("event_type") == "free_throw"
    text = pl.concat_str([pl.col("event_subtype").fill_null(""), pl.col("description").fill_null("")], separator=" ").filter(is_ft)
    one_shot = _on_rows(is_ft, text.str.contains(ONE_SHOT_FREE_THROW))

    def trip(group: int) -> pl.Expr:
        return pl.when(one_shot).then(pl.lit(1, pl.Int8)).otherwise(_on_rows(is_ft, text.str.extract(FREE_THROW_TRIP, group).cast(pl.Int8)))

    return {"trip_index": trip(1), "trip_size": trip(2), "keeps_ball": is_ft & _on_rows(is_ft, text.str.contains(KEEPS_BALL))}


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
    return ordered.hstack(_possession_columns(ordered.lazy(), sides.lazy()).select(ADDED).collect(engine="in-memory"))


# The columns possession_events adds, in its order.
ADDED = ("home_running", "away_running", "home_points", "away_points", "trip_index", "trip_size", "keeps_ball",
         "home_team_id", "away_team_id", "ends", "possession_number", "start_type", "offense_team_id")


def _possession_columns(ordered: pl.LazyFrame, sides: pl.LazyFrame) -> pl.LazyFrame:
    """``ordered`` (sorted by game and event order) with ``ADDED``: one plan, collected once, as
    its fixed cost per step and per collect is most of the time on one game."""
    events = ordered.join(sides.select("game_id", "home_team_id", "away_team_id"), on="game_id", how="left", maintain_order="left")
    return _apply(events, _possession_steps()).select(*ordered.collect_schema().names(), *ADDED)


@functools.cache
def _possession_steps() -> Steps:
    """The possession rules, as steps (see ``Steps``) for rows sorted by game and event order, with
    their game's home_team_id and away_team_id."""
    kind = pl.col("event_type")
    team = pl.col("team_id")
    game_start = starts_run("game_id")
    period_start = starts_run("game_id", "period")
    # An and-one: a made basket followed by a single free throw for the same team on the same clock
    # (a throw with a null key matches no basket, as in a join).
    and_one_keys = [*GAME_KEY, "clock_seconds", "team_id"]
    key = pl.struct(and_one_keys)
    and_one_throw = (pl.col("trip_size") == 1) & ~pl.col("keeps_ball") & pl.all_horizontal(pl.col(and_one_keys).is_not_null())
    is_make = kind == "made_shot"
    steps = [
        _free_throw_columns(),
        *_event_point_steps(),
        dict(and_one=_on_rows(is_make, key.filter(is_make).is_in(key.filter(and_one_throw).implode()))),
    ]
    is_shot = kind.is_in(["missed_shot", "made_shot"]) | ((kind == "free_throw") & ~pl.col("keeps_ball"))
    steps += [
        dict(period_start=period_start, game_start=game_start, shooter=pl.when(is_shot).then(team)),
        dict(period_run=pl.col("period_start").cum_sum()),
    ]
    # The team of the latest shot decides whether a rebound is offensive.
    steps.append(dict(last_shooter=last_before_in_run(pl.col("shooter"), "period_run")))
    last_shooter = pl.col("last_shooter")
    steps.append(dict(
        offensive_rebound=(kind == "rebound") & (team == last_shooter),
        defensive_rebound=(kind == "rebound") & team.is_not_null() & last_shooter.is_not_null() & (team != last_shooter),
    ))
    no_turnover = pl.col("description").fill_null("").str.contains("(?i)no turnover")
    last_free_throw = (kind == "free_throw") & (pl.col("trip_index") == pl.col("trip_size")) & ~pl.col("keeps_ball")
    ends = (
        ((kind == "made_shot") & ~pl.col("and_one"))
        | (last_free_throw & pl.col("shot_made").fill_null(False))
        | pl.col("defensive_rebound")
        | ((kind == "turnover") & team.is_not_null() & ~no_turnover)
    ).fill_null(False)
    reveals = (
        pl.when(kind.is_in(["made_shot", "missed_shot", "turnover"]) | ((kind == "free_throw") & ~pl.col("keeps_ball")))
        .then(team)
        .when("offensive_rebound").then(team)
    )
    steps += [dict(ends=ends, reveals=reveals), dict(
        ending_kind=pl.when("ends").then(
            pl.when("defensive_rebound").then(pl.lit("after_defensive_rebound"))
            .when(kind == "turnover").then(pl.lit("after_turnover"))
            .otherwise(pl.lit("after_make"))
        ),
        # Pass 1: split after ending events; pass 2: also split where the acting offense changes.
        after_end=pl.col("ends").shift(1).fill_null(False) & ~pl.col("period_start"),
    )]
    steps += [
        dict(first_pass=(pl.col("period_start") | pl.col("after_end")).cum_sum()),
        dict(earlier_offense=last_before_in_run(pl.col("reveals"), "first_pass")),
        dict(switched=pl.col("reveals").is_not_null() & pl.col("earlier_offense").is_not_null() & (pl.col("reveals") != pl.col("earlier_offense"))),
    ]
    new_possession = ((pl.col("period") != pl.col("period").shift(1)) | pl.col("after_end") | pl.col("switched")).fill_null(True).cast(pl.Int32)
    steps += [dict(
        new_possession=new_possession,
        start_type=pl.when(pl.col("period_start")).then(pl.lit("period_start"))
        .when(pl.col("after_end")).then(pl.col("ending_kind").shift(1))
        .when("switched").then(pl.lit("change_of_offense")),
    ), dict(
        possession_number=cum_sum_in_run(pl.col("new_possession"), pl.col("game_start")),
    )]
    # Each possession's values sit on its first row and are spread over its rows by index; the
    # rows of a possession, of a merged possession and of a game are consecutive.
    starts = pl.col("game_start") | (pl.col("possession_number") != pl.col("possession_number").shift(1))
    steps += [dict(starts=starts, row=pl.int_range(pl.len())), dict(
        first_row=pl.when("starts").then("row").forward_fill(),
        last_row=pl.when(pl.col("starts").shift(-1, fill_value=True)).then("row").backward_fill(),
        possession_run=pl.col("starts").cum_sum(),
    )]
    # The first team that acted in each possession.
    acted = pl.when(pl.col("reveals").is_not_null()).then("possession_run").backward_fill()
    first_acted = pl.when(acted == pl.col("possession_run")).then(pl.col("reveals").backward_fill())
    steps.append(dict(acted=first_acted.gather(pl.col("first_row"))))
    # A possession where nobody acted (the ball changed hands, then the period ended) belongs to
    # the team that did not have the previous one (or, failing that, the next one).
    previous_last = (pl.col("first_row") - 1).clip(lower_bound=0)
    next_first = (pl.col("last_row") + 1).clip(upper_bound=pl.len() - 1)
    next_in_game = (pl.col("last_row") < pl.len() - 1) & (pl.col("game_id").gather(next_first) == pl.col("game_id"))
    steps.append(dict(
        previous_acted=pl.when(~pl.col("game_start").gather(pl.col("first_row"))).then(pl.col("acted").gather(previous_last)),
        next_acted=pl.when(next_in_game).then(pl.col("acted").gather(next_first)),
    ))

    def other_than(team: pl.Expr) -> pl.Expr:
        return pl.when(team == pl.col("home_team_id")).then("away_team_id").when(team == pl.col("away_team_id")).then("home_team_id")

    steps.append(dict(offense_team_id=pl.coalesce("acted", other_than(pl.col("previous_acted")), other_than(pl.col("next_acted")))))
    # Two possessions in a row for one team in a period are one: the "end" between them kept the
    # ball with the offense (an away-from-play free throw, a rebound credited to the wrong side).
    # (Read on each possession's first row, where the row before is the previous possession's last.)
    previous_offense = pl.when(~pl.col("period_start")).then(pl.col("offense_team_id").shift(1))
    changed = pl.when("starts").then(pl.col("offense_team_id").ne_missing(previous_offense).cast(pl.Int32)).otherwise(0)
    steps += [
        dict(changed=changed),
        dict(possession_number=cum_sum_in_run(pl.col("changed"), pl.col("game_start"))),
    ]
    merged_start = pl.when(pl.col("game_start") | (pl.col("possession_number") != pl.col("possession_number").shift(1))).then("row").forward_fill()
    # A possession's start type is the one on its first event (the others are null).
    steps.append(dict(start_type=pl.col("start_type").gather(merged_start)))
    return tuple(steps)


def build_possessions(pbp: pl.DataFrame, sides: pl.DataFrame) -> pl.DataFrame:
    """One row per possession: (season, game_date, game_id, possession_number, period,
    offense/defense team, start and end event, start type, points, start/end/duration seconds)."""
    events = _possession_columns(pbp.lazy().sort("game_id", "event_order"), sides.lazy())
    offense_is_home = pl.col("offense_team_id") == pl.col("home_team_id")
    offense_is_away = pl.col("offense_team_id") == pl.col("away_team_id")
    rows = events.group_by("game_id", "possession_number").agg(
        pl.col("season", "game_date", "period", "home_team_id", "away_team_id", "offense_team_id", "start_type").first(),
        start_event_order=pl.col("event_order").min(),
        end_event_order=pl.col("event_order").max(),
        home_points=pl.col("home_points").sum(),
        away_points=pl.col("away_points").sum(),
        # A possession's rows are in event order (and in one period): its last is its last event.
        last_clock=pl.col("clock_seconds").last(),
    ).sort("game_id", "possession_number")
    return run_spans(rows, "possession_number").select(
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
    ).collect(engine="in-memory")


def with_possession(events: Frame, possessions: Frame, *columns: str) -> Frame:
    """Add the given columns of each event's possession (gold possessions) to ``events``.

    Possessions cover each game's events without gaps, so the latest one started is the event's.
    """
    starts = possessions.select("game_id", *columns, event_order="start_event_order").sort("game_id", "event_order")
    return events.sort("game_id", "event_order").join_asof(starts, on="event_order", by="game_id", check_sortedness=False)


def events_in_possessions(pbp: Frame, possessions: Frame) -> Frame:
    """Each event's points and possession, read back from the gold possessions table, so tables
    built after it (stints, clutch splits) need not infer possessions again."""
    points = _event_points(pbp.sort("game_id", "event_order")).select(
        "game_id", "event_order", "clock_seconds", "home_points", "away_points"
    )
    return with_possession(points, possessions, "possession_number", "offense_team_id")
