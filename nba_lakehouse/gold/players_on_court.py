"""Who is on the floor at every play-by-play event, for the V2, V3 and CDN feeds alike.

The feeds log substitutions three ways: V2 has the outgoing player in PLAYER1 and the incoming one
in PLAYER2; V3 has the outgoing player in ``personId`` and the incoming one only in the description
("SUB: Okoro FOR LeVert"), sometimes a family name two teammates share ("Holiday"), which the
game's own rows must settle or leave unresolved; CDN logs a separate "out" row and "in" row.
Substitutions made between periods are not logged at all, so each period's starters are inferred:
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

from nba_lakehouse.game_clock import period_length, spans

PLAYERS_PER_SIDE = 5
V3_SUBSTITUTION = r"^SUB: (.+?) FOR (.+)$"
# Fouls, ejections and delays a player can be charged with from the bench: they say nothing
# about who is on the floor.
BENCH_ACTION = r"(?i)technical|non-unsportsmanlike|t\.foul|tech\.|ejection|delay|double personal"
GAME_KEY = ["game_id", "period"]


# ----------------------------------------------------------------------------- rosters
def player_teams(pbp: pl.DataFrame, box_players: pl.DataFrame) -> pl.DataFrame:
    """(game_id, player_id, team_id): the box score's, else the team the player acted for."""
    from_pbp = (
        pbp.filter(pl.col("player_id").is_not_null() & pl.col("team_id").is_not_null())
        .group_by("game_id", "player_id").agg(team_id=pl.col("team_id").mode().first())
    )
    from_box = box_players.select("game_id", "player_id", "team_id")
    return pl.concat([from_box, from_pbp.join(from_box, on=["game_id", "player_id"], how="anti")])


def _name_keys(pbp: pl.DataFrame, box_players: pl.DataFrame, v3_subs: pl.DataFrame) -> pl.DataFrame:
    """Every way a V3 description may name a player: (game_id, team_id, name, player_id, rank).

    Lower rank wins. The outgoing names of substitutions are written exactly as incoming names are
    ("J. Green", "Jal. Williams"), so they come first; then the feed's own playerName; then the
    box score's family name and initial form.
    """
    outgoing = v3_subs.select("game_id", "team_id", name="out_name", player_id="player_id", rank=pl.lit(0))
    acting = pbp.filter(pl.col("player_id").is_not_null() & pl.col("player_name").is_not_null()).select(
        "game_id", "team_id", name="player_name", player_id="player_id", rank=pl.lit(1)
    )
    full = pl.col("player_name").str.strip_chars()
    family = full.str.splitn(" ", 2).struct.field("field_1")
    # Only players who played: a DNP teammate sharing the surname must not make it ambiguous.
    box = box_players.filter(family.is_not_null() & pl.col("played"))
    by_family = box.select("game_id", "team_id", name=family, player_id="player_id", rank=pl.lit(2))
    by_initial = box.select(
        "game_id", "team_id", name=pl.format("{}. {}", full.str.slice(0, 1), family),
        player_id="player_id", rank=pl.lit(2),
    )
    return pl.concat([outgoing, acting, by_family, by_initial], how="vertical_relaxed").unique()


def _folded_name(name: pl.Expr) -> pl.Expr:
    """A name with case, accents and a generational suffix folded away, so that a description's
    "Foster Jr." meets a playerName "Foster" and "Vučević" meets "Vucevic"."""
    return (
        name.str.normalize("NFKD").str.replace_all(r"\p{M}", "").str.to_lowercase()
        .str.replace(r"[\s,]+(jr\.?|sr\.?|ii|iii|iv)$", "").str.strip_chars()
    )


def _game_order(pbp: pl.DataFrame) -> pl.DataFrame:
    """(game_id, game_order): the frame's games in calendar order, ties broken by game id."""
    games = pbp.select("game_date", "game_id").unique().sort("game_date", "game_id")
    return games.select("game_id", game_order=pl.int_range(pl.len(), dtype=pl.Int64))


def _teammates_at_the_time(candidates: pl.DataFrame, pbp: pl.DataFrame) -> pl.DataFrame:
    """Keep the (game_id, team_id, player_id) candidates who belonged to the team at that game.

    A name the team used in another game may belong to a player traded away before this one
    (Justin Holiday left the 2022-23 Hawks for Dallas in February, Aaron stayed), so a candidate
    counts only if the game he played nearest before this one (this one included) or nearest
    after it was for this team.
    """
    order = _game_order(pbp)
    played = (
        pbp.filter(pl.col("player_id").is_in(candidates["player_id"].unique().implode()) & pl.col("team_id").is_not_null())
        .group_by("game_id", "player_id").agg(played_for=pl.col("team_id").mode().first())
        .join(order, on="game_id").sort("game_order")
    )
    timed = candidates.join(order, on="game_id").sort("game_order")
    for strategy, column in (("backward", "before"), ("forward", "after")):
        timed = timed.join_asof(
            played.select("player_id", "game_order", pl.col("played_for").alias(column)),
            on="game_order", by="player_id", strategy=strategy, allow_exact_matches=strategy == "backward",
            check_sortedness=False,  # both sides are sorted by game_order just above
        )
    return timed.filter((pl.col("before") == pl.col("team_id")) | (pl.col("after") == pl.col("team_id"))).drop(
        "game_order", "before", "after"
    )


def _namesakes(pending: pl.DataFrame, team_names: pl.DataFrame, pbp: pl.DataFrame) -> pl.DataFrame:
    """(game_id, event_order, team_id, player_id): every teammate an incoming name may mean.

    ``team_names`` (team_id, name, player_id) are all the names the feed spells for the team
    anywhere in the frame, as playerName or as the outgoing name of a substitution, shared or not.
    An exact spelling wins; a name seen nowhere but in SUB descriptions ("Foster Jr.") falls back
    to the same folded family name.
    """
    rows = pending.select("game_id", "event_order", "team_id", "in_name")
    exact = rows.join(team_names, left_on=["team_id", "in_name"], right_on=["team_id", "name"])
    folded = (
        rows.join(exact, on=["game_id", "event_order"], how="anti").with_columns(key=_folded_name(pl.col("in_name")))
        .join(team_names.with_columns(key=_folded_name(pl.col("name"))), on=["team_id", "key"])
    )
    columns = ["game_id", "event_order", "team_id", "player_id"]
    return _teammates_at_the_time(pl.concat([exact.select(columns), folded.select(columns)]).unique(), pbp)


def _pick_namesake(candidates: pl.DataFrame, v3_subs: pl.DataFrame, pbp: pl.DataFrame) -> pl.DataFrame:
    """(game_id, event_order, picked_id): the one candidate the game's own rows say came in.

    A lone candidate is the one. Among namesakes, ``v3_subs`` (carrying the incoming players
    matched so far) decides: within the period, a candidate's last row before the substitution
    tells whether he was already on the floor (he acted or came in: he cannot be the one
    entering) and his first row after it whether he came in (he acts or leaves before entering
    again). One namesake left over is the one; among several, the only one proven to have been on
    the bench and then on the floor is. Anything else stays unresolved.
    """
    sub = ["game_id", "event_order"]
    several = pl.len().over(sub) > 1
    alone = candidates.filter(~several).select(*sub, picked_id="player_id")
    candidates = candidates.filter(several)
    if candidates.is_empty():
        return alone
    candidates = candidates.join(v3_subs.select(*sub, "period"), on=sub)
    # Only the periods of these substitutions are read.
    periods = candidates.select(GAME_KEY).unique()
    subs = v3_subs.join(periods, on=GAME_KEY, how="semi")
    plays = pbp.join(periods, on=GAME_KEY, how="semi").filter(
        (pl.col("event_type") != "substitution") & pl.col("player_id").is_not_null()
        & ~pl.col("description").fill_null("").str.contains(BENCH_ACTION)
    )
    rows = pl.concat([
        plays.select(*GAME_KEY, "event_order", "team_id", "player_id", kind=pl.lit("acts")),
        subs.select(*GAME_KEY, "event_order", "team_id", "player_id", kind=pl.lit("leaves")),
        subs.filter(pl.col("in_player_id").is_not_null()).select(
            *GAME_KEY, "event_order", "team_id", player_id="in_player_id", kind=pl.lit("enters")),
    ]).sort("event_order")
    seen = candidates.sort("event_order")
    for strategy, column in (("backward", "before"), ("forward", "after")):
        seen = seen.join_asof(
            rows.select(*GAME_KEY, "player_id", "event_order", pl.col("kind").alias(column)),
            on="event_order", by=[*GAME_KEY, "player_id"], strategy=strategy, allow_exact_matches=False,
            check_sortedness=False,  # both sides are sorted by event_order just above
        )
    # Five teammates other than the candidates who started the period (acted or left before
    # entering) prove a candidate silent until then was on the bench.
    first_rows = rows.unique([*GAME_KEY, "player_id"], keep="first", maintain_order=True)
    starters = first_rows.filter(pl.col("kind") != "enters").select(*GAME_KEY, "team_id", "player_id", started=pl.lit(True))
    n_started = starters.group_by(*GAME_KEY, "team_id").agg(n_started=pl.len())
    seen = (
        seen.join(starters, on=[*GAME_KEY, "team_id", "player_id"], how="left")
        .join(n_started, on=[*GAME_KEY, "team_id"], how="left")
        .with_columns(
            others_started=pl.col("n_started").fill_null(0)
            - pl.col("started").fill_null(False).sum().over("game_id", "event_order")
        )
    )
    judged = seen.with_columns(
        remaining=~(pl.col("before").is_in(["acts", "enters"]).fill_null(False) | (pl.col("after") == "enters").fill_null(False)),
        off_before=(pl.col("before") == "leaves").fill_null(False)
        | (pl.col("before").is_null() & (pl.col("others_started") >= PLAYERS_PER_SIDE)),
        on_after=pl.col("after").is_in(["acts", "leaves"]).fill_null(False),
    ).with_columns(came_in=pl.col("remaining") & pl.col("off_before") & pl.col("on_after"))
    one_left = pl.col("remaining").sum().over(sub) == 1
    one_came_in = pl.col("came_in").sum().over(sub) == 1
    picked = judged.filter((one_left & pl.col("remaining")) | (~one_left & one_came_in & pl.col("came_in")))
    return pl.concat([alone, picked.select(*sub, picked_id="player_id")])


def _resolve_incoming_v3(v3_subs: pl.DataFrame, keys: pl.DataFrame, pbp: pl.DataFrame) -> pl.DataFrame:
    """Add ``in_player_id`` to V3 substitution rows by matching the description's incoming name,
    first within the game, then among the team's namesakes in the whole frame.

    A name the team shares ("Holiday" for either Hawk) is judged among the namesakes by the game's
    own rows, which overrule the game's match when they single one out. Where they cannot tell,
    the game's match stands: the feed writes initials ("A. Holiday") when both namesakes play, so
    a bare name the game ties to the one who played is his (over 2022-23 the rules settle 695 of
    the 769 shared-name rows and never disagree with it). A row nothing matches stays unresolved.
    """
    # A name two players share at the same rank identifies neither within the game.
    unambiguous = keys.filter(pl.col("player_id").n_unique().over("game_id", "team_id", "name", "rank") == 1)
    in_game = (
        v3_subs.join(unambiguous, left_on=["game_id", "team_id", "in_name"], right_on=["game_id", "team_id", "name"])
        .sort("rank").unique(["game_id", "event_order"], keep="first")
        .select("game_id", "event_order", in_player_id=pl.col("player_id_right"))
    )
    team_names = keys.filter(pl.col("rank") <= 1).select("team_id", "name", "player_id").unique()
    shared = team_names.filter(pl.col("player_id").n_unique().over("team_id", "name") > 1).select("team_id", "name").unique()
    matched = v3_subs.join(in_game, on=["game_id", "event_order"], how="left")
    is_shared = matched.join(shared, left_on=["team_id", "in_name"], right_on=["team_id", "name"], how="semi")
    pending = pl.concat([matched.filter(pl.col("in_player_id").is_null()), is_shared]).unique(["game_id", "event_order"])
    picked = _pick_namesake(_namesakes(pending, team_names, pbp), matched, pbp)
    return (
        matched.join(picked, on=["game_id", "event_order"], how="left")
        .with_columns(in_player_id=pl.coalesce("picked_id", "in_player_id"))
        .drop("picked_id")
    )


def substitutions(pbp: pl.DataFrame, box_players: pl.DataFrame) -> pl.DataFrame:
    """One row per player entering or leaving: (game_id, period, event_order, team_id, player_id, entering).

    An incoming V3 player whose name matches nobody is left out (and reported by
    ``unresolved_substitutions``); the five-per-team check then fails for that stretch.
    """
    subs = pbp.filter(pl.col("event_type") == "substitution")
    base = ["game_id", "period", "event_order", "team_id"]
    v2 = subs.filter(pl.col("source") == "v2")
    cdn = subs.filter(pl.col("source") == "cdn")
    v3 = subs.filter(pl.col("source") == "v3").with_columns(
        in_name=pl.col("description").str.extract(V3_SUBSTITUTION, 1).str.strip_chars(),
        out_name=pl.col("description").str.extract(V3_SUBSTITUTION, 2).str.strip_chars(),
    )
    v3 = _resolve_incoming_v3(v3, _name_keys(pbp, box_players, v3), pbp)
    rows = [
        v2.select(*base, player_id="player_id", entering=pl.lit(False)),
        v2.select(*base, player_id="player2_id", entering=pl.lit(True)),
        v3.select(*base, player_id="player_id", entering=pl.lit(False)),
        v3.select(*base, player_id="in_player_id", entering=pl.lit(True)),
        cdn.select(*base, player_id="player_id", entering=pl.col("event_subtype") == "in"),
    ]
    return pl.concat(rows).filter(pl.col("player_id").is_not_null()).sort("game_id", "event_order", "entering")


def unresolved_substitutions(pbp: pl.DataFrame, box_players: pl.DataFrame) -> pl.DataFrame:
    """Substitution rows whose entering or leaving player could not be identified."""
    subs = pbp.filter(pl.col("event_type") == "substitution")
    found = substitutions(pbp, box_players).group_by("game_id", "event_order").agg(
        n=pl.len(), entering=pl.col("entering").any(), leaving=(~pl.col("entering")).any()
    )
    complete = (
        pl.when(pl.col("source") == "cdn").then(pl.col("n") == 1)
        .otherwise(pl.col("entering").fill_null(False) & pl.col("leaving").fill_null(False))
    )
    return subs.join(found, on=["game_id", "event_order"], how="left").filter(~complete.fill_null(False)).select(
        "game_id", "period", "event_order", "team_id", "description"
    )


# ---------------------------------------------------------------------------- segments
def lineup_segments(pbp: pl.DataFrame) -> pl.DataFrame:
    """(game_id, event_order, period, segment): lineups can only change between segments.

    A segment ends after a batch of consecutive substitution rows; the rows of a batch still see
    the lineup from before it, so CDN's separate out and in rows never show four or six players.
    """
    ordered = pbp.select("game_id", "event_order", "period", "event_type").sort("game_id", "event_order")
    is_sub = pl.col("event_type") == "substitution"
    closes_batch = is_sub & ~is_sub.shift(-1).over(GAME_KEY).fill_null(False)
    return ordered.select(
        "game_id", "event_order", "period",
        segment=closes_batch.cast(pl.Int32).cum_sum().shift(1).over(GAME_KEY).fill_null(0),
    )


# ----------------------------------------------------------------------------- starters
def _first_actions(pbp: pl.DataFrame, teams: pl.DataFrame) -> pl.DataFrame:
    """(game_id, period, team_id, player_id, first_action): first event the player took part in."""
    acts = pbp.filter(
        (pl.col("event_type") != "substitution")
        & ~(pl.col("event_type").is_in(["foul", "ejection", "violation", "other"])
            & pl.col("description").fill_null("").str.contains(BENCH_ACTION))
    )
    involved = pl.concat([
        acts.select(*GAME_KEY, "event_order", player_id="player_id"),
        acts.select(*GAME_KEY, "event_order", player_id="player2_id"),
    ]).filter(pl.col("player_id").is_not_null())
    return (
        involved.join(teams, on=["game_id", "player_id"])
        .group_by(*GAME_KEY, "team_id", "player_id").agg(first_action=pl.col("event_order").min())
    )


def _starter_evidence(pbp: pl.DataFrame, subs: pl.DataFrame, teams: pl.DataFrame) -> pl.DataFrame:
    """Per game, period, team and player: whether he certainly started the period (acted or left
    before entering) or certainly did not (entered before doing anything)."""
    sub_firsts = subs.group_by(*GAME_KEY, "team_id", "player_id").agg(
        first_in=pl.col("event_order").filter(pl.col("entering")).min(),
        first_out=pl.col("event_order").filter(~pl.col("entering")).min(),
    )
    seen = _first_actions(pbp, teams).join(sub_firsts, on=[*GAME_KEY, "team_id", "player_id"], how="full", coalesce=True)
    before_entering = pl.min_horizontal("first_action", "first_out")
    return seen.with_columns(
        started=before_entering.is_not_null() & (pl.col("first_in").is_null() | (before_entering < pl.col("first_in"))),
        entered=pl.col("first_in").is_not_null() & (before_entering.is_null() | (pl.col("first_in") < before_entering)),
    ).select(*GAME_KEY, "team_id", "player_id", "started", "entered")


def _intervals(starters: pl.DataFrame, subs: pl.DataFrame, segments: pl.DataFrame) -> pl.DataFrame:
    """(game_id, period, segment, team_id, player_id) for every segment a player is on the floor."""
    seg_of_event = segments.select("game_id", "event_order", "segment")
    # A substitution takes effect in the segment after its batch.
    markers = pl.concat([
        starters.select(*GAME_KEY, "team_id", "player_id", segment=pl.lit(0, pl.Int32), on=pl.lit(True), order=pl.lit(-1, pl.Int64)),
        subs.join(seg_of_event, on=["game_id", "event_order"]).select(
            *GAME_KEY, "team_id", "player_id", segment=pl.col("segment") + 1, on="entering",
            order=pl.col("event_order").cast(pl.Int64),
        ),
    ]).sort("order").unique([*GAME_KEY, "team_id", "player_id", "segment"], keep="last")
    n_segments = segments.group_by(GAME_KEY).agg(last=pl.col("segment").max())
    players = markers.select(*GAME_KEY, "team_id", "player_id").unique()
    grid = (
        players.join(n_segments, on=GAME_KEY)
        .with_columns(segment=pl.int_ranges(0, pl.col("last") + 1, dtype=pl.Int32))
        .explode("segment").drop("last")
    )
    state = grid.join(markers.drop("order"), on=[*GAME_KEY, "team_id", "player_id", "segment"], how="left").with_columns(
        on=pl.col("on").forward_fill().over([*GAME_KEY, "team_id", "player_id"], order_by="segment").fill_null(False)
    )
    return state.filter("on").drop("on")


def period_starters(
    pbp: pl.DataFrame, box_players: pl.DataFrame, subs: pl.DataFrame, segments: pl.DataFrame, sides: pl.DataFrame
) -> pl.DataFrame:
    """(game_id, period, team_id, player_id, how): the five each team started each period with.

    ``how`` says where a starter came from: box_score (period 1), inferred (acted or left before
    entering), box_minutes (silent all period, found from minutes nobody else explains) or
    previous_period (silent, on the floor when the previous period ended).
    """
    teams = player_teams(pbp, box_players)
    evidence = _starter_evidence(pbp, subs, teams)
    periods = segments.select(*GAME_KEY).unique().join(sides, on="game_id")
    team_periods = pl.concat([
        periods.select(*GAME_KEY, team_id="home_team_id"), periods.select(*GAME_KEY, team_id="away_team_id"),
    ]).filter(pl.col("team_id").is_not_null())

    box_starters = box_players.filter("starter").select("game_id", "team_id", "player_id")
    box_five = box_starters.group_by("game_id", "team_id").agg(n=pl.len()).filter(pl.col("n") == PLAYERS_PER_SIDE)
    first_period = (
        box_starters.join(box_five.drop("n"), on=["game_id", "team_id"])
        .join(team_periods.filter(pl.col("period") == 1), on=["game_id", "team_id"])
        .select(*GAME_KEY, "team_id", "player_id", how=pl.lit("box_score"))
    )
    inferred = (
        evidence.filter("started")
        .join(first_period, on=[*GAME_KEY, "team_id"], how="anti")
        .select(*GAME_KEY, "team_id", "player_id", how=pl.lit("inferred"))
    )
    known = pl.concat([first_period, inferred])
    missing = (
        team_periods.join(known.group_by(*GAME_KEY, "team_id").agg(n=pl.len()), on=[*GAME_KEY, "team_id"], how="left")
        .with_columns(missing=PLAYERS_PER_SIDE - pl.col("n").fill_null(0))
        .filter(pl.col("missing") > 0).drop("n")
    )
    if missing.is_empty():
        return known

    # Candidates: players of the team who neither started nor entered the period by the evidence.
    roster = teams.join(missing, on=["game_id", "team_id"])
    not_candidates = pl.concat([
        known.select(*GAME_KEY, "team_id", "player_id"),
        evidence.filter("entered").select(*GAME_KEY, "team_id", "player_id"),
    ])
    candidates = roster.join(not_candidates, on=[*GAME_KEY, "team_id", "player_id"], how="anti")

    # Seconds each player is on the floor with the starters known so far.
    timing = _segment_seconds(pbp, segments)
    partial = _intervals(known, subs, segments).join(timing, on=[*GAME_KEY, "segment"])
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
    clock = pbp.select("game_id", "event_order", "clock_seconds").join(segments, on=["game_id", "event_order"])
    return spans(clock, "segment").select(*GAME_KEY, "segment", seconds=pl.col("end") - pl.col("start"))


# ---------------------------------------------------------------------------- the table
def build_players_on_court(pbp: pl.DataFrame, box_players: pl.DataFrame, sides: pl.DataFrame) -> pl.DataFrame:
    """``pbp`` silver play_by_play, ``box_players`` silver box_score_players (may be empty),
    ``sides`` (game_id, home_team_id, away_team_id). One row per event with both lineups."""
    segments = lineup_segments(pbp)
    subs = substitutions(pbp, box_players)
    on_floor = _intervals(period_starters(pbp, box_players, subs, segments, sides), subs, segments)
    lineups = on_floor.group_by(*GAME_KEY, "segment", "team_id").agg(player_ids=pl.col("player_id").sort())
    events = (
        pbp.select("season", "game_date", "game_id", "event_order", "period")
        .join(segments.select("game_id", "event_order", "segment"), on=["game_id", "event_order"])
        .join(sides.select("game_id", "home_team_id", "away_team_id"), on="game_id", how="left")
    )
    for side in ("home", "away"):
        events = events.join(
            lineups.rename({"team_id": f"{side}_team_id", "player_ids": f"{side}_player_ids"}),
            on=[*GAME_KEY, "segment", f"{side}_team_id"], how="left",
        )
    return events.with_columns(
        pl.col("home_player_ids", "away_player_ids").fill_null(pl.lit([], pl.List(pl.Int64))),
    ).sort("game_id", "event_order")
