"""Who is on the floor at every play-by-play event, for the V2, V3 and CDN feeds alike.

Silver play_by_play names who comes in and goes out on every substitution row
(``sub_in_player_id``, ``sub_out_player_id``; V3's incoming name is resolved there, by
``silver.names``). Substitutions made between periods are not logged at all, so each period's starters are inferred:
a player who acts in a period, or is substituted out, before he is substituted in was on the
floor when it began. The box score's starters are authoritative for period 1. A player who starts
a period and neither acts nor leaves is invisible to that rule; he is found from the box score
minutes nobody else explains, or, without a box score, from the lineup that ended the previous
period.

Everything works on whole frames of many games; the only grouping keys are game, period, team and
the lineup segment (the events between two batches of substitutions).
"""

from __future__ import annotations

import polars as pl

from nba_lakehouse.frames import Frame, cum_sum_in_run, starts_run
from nba_lakehouse.game_clock import period_length, spans
from nba_lakehouse.silver.names import BENCH_ACTION, PLAYERS_PER_SIDE
from nba_lakehouse.silver.play_by_play import SECONDARY_COLUMNS

GAME_KEY = ["game_id", "period"]
AnyFrame = pl.DataFrame | pl.LazyFrame
# Secondary players of an event who are on the floor while it happens: all but the substitutes.
ON_FLOOR_ROLES = tuple(c for c in SECONDARY_COLUMNS if c not in ("sub_in_player_id", "sub_out_player_id"))
# The play-by-play columns build_players_on_court reads.
READS = ("season", "game_date", "game_id", "event_order", "period", "clock_seconds", "event_type", "description",
         "team_id", "player_id", *SECONDARY_COLUMNS)


# ----------------------------------------------------------------------------- rosters
def player_teams(pbp: Frame, box_players: Frame) -> Frame:
    """(game_id, player_id, team_id): the box score's, else the team the player acted for."""
    from_pbp = (
        pbp.select("game_id", "player_id", "team_id").filter(pl.col("player_id").is_not_null() & pl.col("team_id").is_not_null())
        .group_by("game_id", "player_id").agg(team_id=pl.col("team_id").mode().first())
    )
    from_box = box_players.select("game_id", "player_id", "team_id")
    return pl.concat([from_box, from_pbp.join(from_box, on=["game_id", "player_id"], how="anti")])


def substitutions(pbp: Frame) -> Frame:
    """One row per player entering or leaving: (game_id, period, event_order, team_id, player_id, entering).

    From silver's ``sub_in_player_id`` / ``sub_out_player_id`` (V2 and V3 rows carry both, CDN
    rows one each). An incoming V3 name no roster rule settled is null there, left out here and
    reported by ``unresolved_substitutions``; the five-per-team check then fails for that stretch.
    """
    base = ["game_id", "period", "event_order", "team_id"]
    subs = pbp.select(*base, "event_type", "sub_in_player_id", "sub_out_player_id").filter(pl.col("event_type") == "substitution")
    rows = [
        subs.select(*base, player_id="sub_out_player_id", entering=pl.lit(False)),
        subs.select(*base, player_id="sub_in_player_id", entering=pl.lit(True)),
    ]
    return pl.concat(rows).filter(pl.col("player_id").is_not_null()).sort("game_id", "event_order", "entering")


def unresolved_substitutions(pbp: pl.DataFrame) -> pl.DataFrame:
    """Substitution rows whose entering or leaving player could not be identified."""
    subs = pbp.filter(pl.col("event_type") == "substitution")
    complete = (
        pl.when(pl.col("source") == "cdn").then(pl.col("sub_in_player_id").is_not_null() | pl.col("sub_out_player_id").is_not_null())
        .otherwise(pl.col("sub_in_player_id").is_not_null() & pl.col("sub_out_player_id").is_not_null())
    )
    return subs.filter(~complete).select("game_id", "period", "event_order", "team_id", "description")


# ---------------------------------------------------------------------------- segments
def lineup_segments(pbp: pl.DataFrame) -> pl.DataFrame:
    """(game_id, event_order, period, segment): lineups can only change between segments.

    A segment ends after a batch of consecutive substitution rows; the rows of a batch still see
    the lineup from before it, so CDN's separate out and in rows never show four or six players.
    """
    return _segments_of(pbp.select("game_id", "event_order", "period", "event_type").sort("game_id", "event_order"))


def _segments_of(ordered: pl.DataFrame) -> pl.DataFrame:
    """``lineup_segments`` of play-by-play already sorted by game and event order."""
    # Shifts over the sorted rows with a mask at each period's first row, not windows per period:
    # the same result without grouping (event_type is never null in silver).
    is_sub = pl.col("event_type") == "substitution"
    period_start = starts_run("game_id", "period")
    closes_batch = (is_sub & (period_start.shift(-1, fill_value=True) | ~is_sub.shift(-1, fill_value=False))).cast(pl.Int32)
    # The batches closed on earlier rows of the period.
    return ordered.select(
        "game_id", "event_order", "period", segment=cum_sum_in_run(closes_batch, period_start) - closes_batch,
    )


# ----------------------------------------------------------------------------- starters
def _starter_evidence(pbp: pl.DataFrame, subs: AnyFrame, teams: AnyFrame) -> pl.DataFrame:
    """Per game, period, team and player: whether he certainly started the period (acted or left
    before entering) or certainly did not (entered before doing anything)."""
    # (The description is only searched on the rows of those four types.)
    on_bench = pl.when(pl.col("event_type").is_in(["foul", "ejection", "violation", "other"]))
    acts = pbp.lazy().filter(
        (pl.col("event_type") != "substitution")
        & ~on_bench.then(pl.col("description").fill_null("").str.contains(BENCH_ACTION)).otherwise(False)
    )
    # Every player an event involves, as one row each; substitutions are the rows with `entering`.
    # (The other roles are empty on most events: only the events with one are unpivoted, which
    # keeps a season's unpivot to a sixth of its rows.)
    index = [*GAME_KEY, "event_order"]
    others = (
        acts.filter(pl.any_horizontal(pl.col(ON_FLOOR_ROLES).is_not_null())).select(*index, *ON_FLOOR_ROLES)
        .unpivot(index=index, value_name="player_id").drop("variable")
    )
    involved = (
        pl.concat([acts.select(*index, "player_id"), others])
        .filter(pl.col("player_id").is_not_null())
        .join(teams.lazy(), on=["game_id", "player_id"])
        .select(*GAME_KEY, "team_id", "player_id", "event_order", entering=pl.lit(None, pl.Boolean))
    )
    moves = subs.lazy().select(*GAME_KEY, "team_id", "player_id", "event_order", "entering")
    seen = pl.concat([involved, moves]).group_by(*GAME_KEY, "team_id", "player_id").agg(
        first_action=pl.col("event_order").filter(pl.col("entering").is_null()).min(),
        first_in=pl.col("event_order").filter(pl.col("entering")).min(),
        first_out=pl.col("event_order").filter(~pl.col("entering")).min(),
    )
    before_entering = pl.min_horizontal("first_action", "first_out")
    return seen.select(
        *GAME_KEY, "team_id", "player_id",
        started=before_entering.is_not_null() & (pl.col("first_in").is_null() | (before_entering < pl.col("first_in"))),
        entered=pl.col("first_in").is_not_null() & (before_entering.is_null() | (pl.col("first_in") < before_entering)),
    ).collect(engine="in-memory")


def _intervals(starters: pl.DataFrame, subs: AnyFrame, segments: pl.DataFrame) -> pl.LazyFrame:
    """(game_id, period, team_id, player_id, segment) for every segment a player is on the floor."""
    seg_of_event = segments.lazy().select("game_id", "event_order", "segment")
    # A substitution takes effect in the segment after its batch.
    markers = pl.concat([
        starters.lazy().select(*GAME_KEY, "team_id", "player_id", segment=pl.lit(0, pl.Int32), on=pl.lit(True),
                               order=pl.lit(-1, pl.Int64)),
        subs.lazy().join(seg_of_event, on=["game_id", "event_order"]).select(
            *GAME_KEY, "team_id", "player_id", segment=pl.col("segment") + 1, on="entering",
            order=pl.col("event_order").cast(pl.Int64),
        ),
    ]).sort("order").unique([*GAME_KEY, "team_id", "player_id", "segment"], keep="last")
    n_segments = segments.lazy().group_by(GAME_KEY).agg(last=pl.col("segment").max())
    # Each marker holds from its segment until the player's next marker (or the period's end):
    # the on ones give his stretches on the floor, segment by segment.
    player = [*GAME_KEY, "team_id", "player_id"]
    same_player = ~starts_run(*player).shift(-1, fill_value=True)
    end = pl.col("last") + 1
    until = pl.when(same_player).then(pl.min_horizontal(pl.col("segment").shift(-1), end)).otherwise(end)
    return (
        markers.join(n_segments, on=GAME_KEY).sort(*player, "segment")
        .with_columns(until=until)
        .filter(pl.col("on") & (pl.col("until") > pl.col("segment")))
        .select(*player, segment=pl.int_ranges("segment", "until", dtype=pl.Int32))
        .explode("segment")
    )


def period_starters(
    pbp: pl.DataFrame, box_players: pl.DataFrame, subs: AnyFrame, segments: pl.DataFrame, sides: pl.DataFrame
) -> pl.DataFrame:
    """(game_id, period, team_id, player_id, how): the five each team started each period with.

    ``how`` says where a starter came from: box_score (period 1), inferred (acted or left before
    entering), box_minutes (silent all period, found from minutes nobody else explains) or
    previous_period (silent, on the floor when the previous period ended).
    """
    # Rosters stay a plan: on one game each eager step costs more than the rows it handles.
    teams = player_teams(pbp.lazy(), box_players.lazy())
    evidence = _starter_evidence(pbp, subs, teams)
    periods = segments.lazy().select(*GAME_KEY).unique().join(sides.lazy(), on="game_id")
    team_periods = pl.concat([
        periods.select(*GAME_KEY, team_id="home_team_id"), periods.select(*GAME_KEY, team_id="away_team_id"),
    ]).filter(pl.col("team_id").is_not_null())

    box_starters = box_players.lazy().filter("starter").select("game_id", "team_id", "player_id")
    box_five = box_starters.group_by("game_id", "team_id").agg(n=pl.len()).filter(pl.col("n") == PLAYERS_PER_SIDE)
    first_period = (
        box_starters.join(box_five.drop("n"), on=["game_id", "team_id"])
        .join(team_periods.filter(pl.col("period") == 1), on=["game_id", "team_id"])
        .select(*GAME_KEY, "team_id", "player_id", how=pl.lit("box_score"))
    )
    inferred = (
        evidence.lazy().filter("started")
        .join(first_period, on=[*GAME_KEY, "team_id"], how="anti")
        .select(*GAME_KEY, "team_id", "player_id", how=pl.lit("inferred"))
    )
    known_plan = pl.concat([first_period, inferred])
    missing_plan = (
        team_periods.join(known_plan.group_by(*GAME_KEY, "team_id").agg(n=pl.len()), on=[*GAME_KEY, "team_id"], how="left")
        .with_columns(missing=PLAYERS_PER_SIDE - pl.col("n").fill_null(0))
        .filter(pl.col("missing") > 0).drop("n")
    )
    # One query for both, so the known starters are found once.
    known, missing = pl.collect_all([known_plan, missing_plan], engine="in-memory")
    if missing.is_empty():
        return known

    # Candidates: players of the team who neither started nor entered the period by the evidence.
    roster = teams.join(missing.lazy(), on=["game_id", "team_id"]).collect(engine="in-memory")
    not_candidates = pl.concat([
        known.select(*GAME_KEY, "team_id", "player_id"),
        evidence.filter("entered").select(*GAME_KEY, "team_id", "player_id"),
    ])
    candidates = roster.join(not_candidates, on=[*GAME_KEY, "team_id", "player_id"], how="anti")

    # Seconds each player is on the floor with the starters known so far.
    timing = _segment_seconds(pbp, segments)
    partial = _intervals(known, subs, segments).join(timing.lazy(), on=[*GAME_KEY, "segment"]).collect(engine="in-memory")
    counted = partial.group_by("game_id", "player_id").agg(counted=pl.col("seconds").sum())
    ended_previous = (
        partial.join(partial.group_by(GAME_KEY).agg(pl.col("segment").max()), on=[*GAME_KEY, "segment"])
        .select("game_id", "team_id", "player_id", period=pl.col("period") + 1, was_on=pl.lit(True))
    )
    period_seconds = segments.select(*GAME_KEY).unique().with_columns(length=period_length(pl.col("period")))
    box_seconds = box_players.select("game_id", "player_id", box=pl.col("minutes") * 60)
    scored = (
        candidates.join(counted, on=["game_id", "player_id"], how="left")
        .join(box_seconds, on=["game_id", "player_id"], how="left")
        .join(ended_previous, on=[*GAME_KEY, "team_id", "player_id"], how="left")
        .join(period_seconds, on=GAME_KEY)
        .with_columns(unexplained=pl.col("box") - pl.col("counted").fill_null(0.0))
        # A silent starter plays the whole period, so the box must leave that much unexplained.
        .with_columns(by_minutes=pl.col("unexplained") >= pl.col("length") - 60)
    )
    has_box = pl.col("box").is_not_null().any().over(*GAME_KEY, "team_id")
    ranked = scored.filter(
        pl.when(has_box).then(pl.col("by_minutes").fill_null(False)).otherwise(pl.col("was_on").fill_null(False))
    # Ties (no box score: every "unexplained" is null) go to who has played more so far, then to the
    # lower id, so the same play-by-play always gives the same lineups.
    ).sort(["unexplained", "counted", "player_id"], descending=[True, True, False], nulls_last=True)
    filled = (
        ranked.with_columns(rank=pl.int_range(pl.len()).over(*GAME_KEY, "team_id"))
        .filter(pl.col("rank") < pl.col("missing"))
        .select(*GAME_KEY, "team_id", "player_id",
                how=pl.when(has_box).then(pl.lit("box_minutes")).otherwise(pl.lit("previous_period")))
    )
    return pl.concat([known, filled])


def _segment_seconds(pbp: pl.DataFrame, segments: pl.DataFrame) -> pl.DataFrame:
    """(game_id, period, segment, seconds): game time each lineup segment covers."""
    if pbp.height == segments.height and pbp["event_order"].equals(segments["event_order"]) and pbp["game_id"].equals(segments["game_id"]):
        # pbp in the segments' order (build_players_on_court passes it sorted): no join needed.
        clock = segments.with_columns(clock_seconds=pbp["clock_seconds"])
    else:
        clock = pbp.select("game_id", "event_order", "clock_seconds").join(segments, on=["game_id", "event_order"])
    return spans(clock, "segment").select(*GAME_KEY, "segment", seconds=pl.col("end") - pl.col("start"))


# ---------------------------------------------------------------------------- the table
def build_players_on_court(pbp: pl.DataFrame, box_players: pl.DataFrame, sides: pl.DataFrame) -> pl.DataFrame:
    """``pbp`` silver play_by_play, ``box_players`` silver box_score_players (may be empty),
    ``sides`` (game_id, home_team_id, away_team_id). One row per event with both lineups."""
    # Only the columns read here, sorted once.
    ordered = pbp.select(READS).sort("game_id", "event_order")
    segments = _segments_of(ordered.select("game_id", "event_order", "period", "event_type"))
    # A plan, run inside the queries that read it (it is a filter of a few hundred rows a game).
    subs = substitutions(ordered.lazy())
    on_floor = _intervals(period_starters(ordered, box_players, subs, segments, sides), subs, segments)
    # Both lineups of each segment in one grouping of who is on the floor, then one join of the events to them.
    teams = sides.lazy().select("game_id", "home_team_id", "away_team_id")
    lineups = on_floor.join(teams, on="game_id").group_by(*GAME_KEY, "segment").agg(
        home_player_ids=pl.col("player_id").filter(pl.col("team_id") == pl.col("home_team_id")).sort(),
        away_player_ids=pl.col("player_id").filter(pl.col("team_id") == pl.col("away_team_id")).sort(),
    )
    events = (
        ordered.lazy().select("season", "game_date", "game_id", "event_order", "period", segment=pl.lit(segments["segment"]))
        .join(teams, on="game_id", how="left", maintain_order="left")
        .join(lineups, on=[*GAME_KEY, "segment"], how="left", maintain_order="left")
    )
    return events.with_columns(
        pl.col("home_player_ids", "away_player_ids").fill_null(pl.lit([], pl.List(pl.Int64))),
    ).collect(engine="in-memory")
