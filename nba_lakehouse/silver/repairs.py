"""Repairs of known play-by-play feed defects, each a named rule over whole frames.

The NBA feeds log some events out of order or stamp rows with a wrong running score (pbpstats
fixes event order the same way before it builds possessions). Every rule here is a polars
expression over all games at once; nothing loops over games or events. A repaired row names its
rule(s) in ``repair_rule`` and keeps the value it replaced in ``original_*``, so nothing changes
silently and a repaired frame can be told apart from the feed.

``game_rule_violations`` then judges each game as a whole: a game that still breaks one of its
rules after the repairs is not fit to publish.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import polars as pl

from nba_lakehouse import game_issues
from nba_lakehouse.frames import first_after_in_run, last_before_in_run, with_values_per_distinct
from nba_lakehouse.game_clock import REGULATION_PERIODS
from nba_lakehouse.schemas import BOX_SCORE_PLAYERS, PLAY_BY_PLAY
from nba_lakehouse.silver import audits
from nba_lakehouse.silver.games import play_by_play_summary, with_partition_columns
from nba_lakehouse.silver.names import folded_spelling
from nba_lakehouse.silver.play_by_play import REPAIR_COLUMNS, parse_play_by_play
from nba_lakehouse.silver.secondary_players import unresolved_name_violations, with_v3_secondary_players
from nba_lakehouse.sources.payloads import Body

REPAIR_RULES: dict[str, str] = {
    "same_clock_scoring_order": "scoring rows at one game clock are put in the order of their stated scores "
    "(an and-one or technical free throw logged before the basket or free throw it follows)",
    "substitution_before_free_throw": "a substitution logged after a free throw shot at the same clock by the player "
    "it brings in is moved before that free throw",
    "isolated_score_jump": "a score above what its row can score that comes back (the next stated score is lower, "
    "or is what the next scoring row adds to the score before the jump) becomes the score before plus the row's points",
    "isolated_score_drop": "a score below the score before it that comes back at the next stated score becomes the "
    "score before plus the row's points (an instant-replay correction the game then continues from is kept)",
    "free_throw_made_by_score": "a free throw whose text lacks MISS while its side's score did not go up is missed: "
    "the score fields decide",
    "instant_replay_overturn": "where the score drops at an instant_replay row by exactly the points of the side's "
    "last scoring row, that shot or free throw no longer counts as made",
}

SIDES = ("home", "away")
GAME_RULES = ("scores_never_decrease", "final_score_matches_scoring_events", "event_keys_unique", "clock_within_period")
# Inside repair_play_by_play each game is a small integer, its place in the input: windows over it
# are cheaper than over the game id string, and games come out in the order they came in.
_GAME = "_game"
_SAME_CLOCK = [_GAME, "period", "clock_seconds"]


# --------------------------------------------------------------------------- shared pieces
def _previous_stated(column: str, game: str = _GAME) -> pl.Expr:
    """The last value the feed stated before this row (scores are only on some rows)."""
    return pl.col(column).forward_fill().shift(1).over(game)


def _last_before(value: pl.Expr) -> pl.Expr:
    """``value`` on the game's last row before this one where it is not null (the frame is sorted
    by game then event, so a game's rows are one run)."""
    return last_before_in_run(value, _GAME)


def _first_after(value: pl.Expr) -> pl.Expr:
    """``value`` on the game's first row after this one where it is not null."""
    return first_after_in_run(value, _GAME)


def _sorted_by_game_and_event(frame: pl.DataFrame) -> pl.DataFrame:
    """``frame`` sorted by (_GAME, event_order); not sorted again when it already is (the common case)."""
    game_step, order_step = pl.col(_GAME).diff(), pl.col("event_order").diff()
    in_order = frame.select(
        ((game_step > 0) | ((game_step == 0) & (order_step > 0))).all() & pl.col("event_order").is_not_null().all()
    ).item()
    return frame if in_order else frame.sort(_GAME, "event_order")


def _points(side: str) -> pl.Expr:
    """Points the row scores for ``side``: a made field goal or free throw of a team on that side."""
    return (
        pl.when(pl.col("shot_made").fill_null(False) & (pl.col("side") == side))
        .then(pl.col("shot_value").cast(pl.Int32))
        .otherwise(0)
    )


def _team_sides(pbp: pl.DataFrame) -> pl.DataFrame:
    """(game_id, team_id) -> home or away.

    V2 and V3 rows say their side (``location``). Games without it (CDN) are voted: a team's side
    is the score that goes up on its made shots, most often.
    """
    # Only the columns read here: each filter below would copy every column of the rows it keeps.
    pbp = pbp.select("game_id", "event_order", "team_id", "location", "shot_made", "home_score", "away_score")
    located = (
        pbp.filter(pl.col("team_id").is_not_null() & pl.col("location").is_in(SIDES))
        .group_by("game_id", "team_id")
        .agg(side=pl.col("location").mode().sort().first())
    )
    unlocated = pbp.join(located, on="game_id", how="anti").sort("game_id", "event_order")
    voted = (
        unlocated.with_columns(
            prev_home=_previous_stated("home_score", game="game_id"),
            prev_away=_previous_stated("away_score", game="game_id"),
        )
        .filter(pl.col("shot_made").fill_null(False) & pl.col("team_id").is_not_null())
        .with_columns(
            side=pl.when(pl.col("home_score") > pl.col("prev_home")).then(pl.lit("home"))
            .when(pl.col("away_score") > pl.col("prev_away")).then(pl.lit("away"))
        )
        .drop_nulls("side")
        .group_by("game_id", "team_id")
        .agg(pl.col("side").mode().sort().first())
    )
    return pl.concat([located, voted])


def _rule_added(changed: pl.Expr, rule: str) -> pl.Expr:
    listed = pl.col("repair_rule").str.split(",").list.contains(pl.lit(rule)).fill_null(False)
    return (
        pl.when(changed & pl.col("repair_rule").is_null()).then(pl.lit(rule))
        .when(changed & ~listed).then(pl.col("repair_rule") + "," + rule)
        .otherwise(pl.col("repair_rule"))
        .alias("repair_rule")
    )


def _changed(frame: pl.DataFrame, rule: str, changed: pl.Expr, **new_values: pl.Expr) -> pl.DataFrame:
    """Set fields where ``changed``, keeping the feed's value in ``original_<field>`` (first change wins)."""
    frame = frame.with_columns(_changed_flag=changed.fill_null(False))
    flag = pl.col("_changed_flag")
    updates = []
    for field, value in new_values.items():
        original = f"original_{field}"
        updates += [
            pl.when(flag).then(value).otherwise(pl.col(field)).alias(field),
            pl.when(flag & pl.col(original).is_null()).then(pl.col(field)).otherwise(pl.col(original)).alias(original),
        ]
    return frame.with_columns(*updates, _rule_added(flag, rule)).drop("_changed_flag")


def _placed(frame: pl.DataFrame, rule: str, sort_key: pl.DataFrame) -> pl.DataFrame:
    """Number each game 1..n again in the order of ``sort_key`` (a ``_sort_key`` column, one row per
    row of ``frame``); rows whose number changed name ``rule``.

    Only the numbers change: the rows are not moved (``repair_play_by_play`` sorts once, after
    both placing rules). The numbering is worked out on the three columns it needs.
    """
    keyed = frame.select(_GAME, "event_order").hstack(sort_key).with_row_index("_pos")
    ordered = keyed.sort(_GAME, "_sort_key", "event_order")
    first = (pl.col(_GAME) != pl.col(_GAME).shift(1)).fill_null(True)
    row = pl.int_range(pl.len(), dtype=pl.Int64)
    numbered = ordered.select(
        "_pos", _new_order=(row - pl.when(first).then(row).forward_fill() + 1).cast(pl.Int32)
    ).sort("_pos")
    moved = frame.with_columns(_new_order=numbered["_new_order"])
    return _changed(moved, rule, pl.col("_new_order") != pl.col("event_order"), event_order=pl.col("_new_order")).drop("_new_order")


# ------------------------------------------------------------------------------ the rules
def _same_clock_scoring_order(frame: pl.DataFrame) -> pl.DataFrame:
    """Scoring rows of one clock take that clock's scoring slots in the order of their stated totals.

    The other rows of the clock keep their places: only the scoring rows trade places. A review
    may lower the score, so an instant_replay row closes the group: rows never cross it.
    """
    # Reviews so far: counted over the whole (sorted) frame, the count differs from the game's own
    # by a constant within each game, so (game, ..., _reviews) groups the same rows.
    frame = frame.with_columns(_reviews=(pl.col("event_type") == "instant_replay").cum_sum())
    same_clock = [*_SAME_CLOCK, "_reviews"]
    scoring = pl.col("shot_made").fill_null(False) & pl.col("home_score").is_not_null() & pl.col("away_score").is_not_null()
    slots = (
        frame.filter(scoring)
        .select(*same_clock, "event_order", total=pl.col("home_score") + pl.col("away_score"))
        .sort(*same_clock, "total", "event_order")
        # The group's slots ascending, handed out to its rows in stated-score order.
        .with_columns(slot=pl.col("event_order").sort().over(same_clock))
        .select(_GAME, "event_order", "slot")
    )
    key = frame.select(_GAME, "event_order").join(slots, on=[_GAME, "event_order"], how="left", maintain_order="left").select(
        _sort_key=pl.coalesce("slot", "event_order").cast(pl.Float64)
    )
    return _placed(frame.drop("_reviews"), "same_clock_scoring_order", key)


def _substitution_before_free_throw(frame: pl.DataFrame) -> pl.DataFrame:
    """A substitution that brings in a player who already shot a free throw at that clock goes
    just before his first one: he cannot shoot before he is on the floor."""
    # The player coming in: an id where the feed gives one (V2 PLAYER2, CDN 'in' rows), else
    # the name in V3's "SUB: X FOR Y", compared with the shooter's playerName spelled the same
    # once accents and case are folded ("Vucevic" in the text, "Vučević" as playerName), never by
    # family name alone ("Jal. Williams" is not every Williams). The repair runs before V3's names
    # are resolved: the resolver reads the order this rule puts right.
    # (Each distinct name is folded once: the folding is a chain of regular expressions.)
    keys = [*_SAME_CLOCK, "team_id", "player"]
    subs = with_values_per_distinct(
        frame.filter(pl.col("event_type") == "substitution").select(
            *keys[:-1], "event_order", "sub_in_player_id", _named=pl.col("description").str.extract(r"^SUB: (.+?) FOR ", 1)
        ),
        "_named", {"_folded": folded_spelling(pl.col("_named"))},
    ).select(*keys[:-1], "event_order", player=pl.coalesce(pl.col("sub_in_player_id").cast(pl.String), "_folded"))
    free_throws = with_values_per_distinct(
        frame.filter(pl.col("event_type") == "free_throw").select(*keys[:-1], "event_order", "source", "player_name", "player_id"),
        "player_name", {"_folded": folded_spelling(pl.col("player_name"))},
    ).select(
        *keys[:-1], ft_order="event_order",
        player=pl.when(pl.col("source") == "v3").then("_folded").otherwise(pl.col("player_id").cast(pl.String)),
    )
    early = (
        subs.drop_nulls("player")
        .join(free_throws, on=keys)
        .filter(pl.col("ft_order") < pl.col("event_order"))
        .group_by(_GAME, "event_order")
        .agg(before=pl.col("ft_order").min() - 0.5)
    )
    key = frame.select(_GAME, "event_order").join(early, on=[_GAME, "event_order"], how="left", maintain_order="left").select(
        _sort_key=pl.coalesce("before", pl.col("event_order").cast(pl.Float64))
    )
    return _placed(frame, "substitution_before_free_throw", key)


def _isolated_score_jumps(frame: pl.DataFrame) -> pl.DataFrame:
    """Per side: a row stating more than the score before plus its own points, where the next
    stated score shows the jump was not real (lower again, or reached by the next row's points)."""
    for side in SIDES:
        score, points = f"{side}_score", _points(side)
        before = _last_before(pl.col(score))
        expected = before + points
        after = _first_after(pl.col(score))
        # What the next row with a stated score scores for this side.
        after_points = _first_after(pl.when(pl.col(score).is_not_null()).then(points))
        jump = (pl.col(score) > expected) & ((after < pl.col(score)) | (after == expected + after_points))
        frame = _changed(frame, "isolated_score_jump", jump, **{score: expected})
    return frame


def _isolated_score_drops(frame: pl.DataFrame) -> pl.DataFrame:
    """Per side: a row stating less than the score before it, where the next stated score is back
    up (a stale score stamped on the row). Runs after the jumps, whose fixes it reads."""
    for side in SIDES:
        score, points = f"{side}_score", _points(side)
        before, after = _last_before(pl.col(score)), _first_after(pl.col(score))
        after_points = _first_after(pl.when(pl.col(score).is_not_null()).then(points))
        # A review may take points off for good: the next score then builds on the lowered one.
        correction = (pl.col("event_type") == "instant_replay") & (after == pl.col(score) + after_points)
        drop = (pl.col(score) < before) & (after >= before) & ~correction
        frame = _changed(frame, "isolated_score_drop", drop, **{score: pl.min_horizontal(before + points, after)})
    return frame


def _free_throws_made_by_score(frame: pl.DataFrame) -> pl.DataFrame:
    # Unchanged: no score on the row (V2, V3 state scores on scoring rows only) or the same one.
    unchanged = pl.lit(False)
    for side in SIDES:
        score = f"{side}_score"
        same = pl.col(score).is_null() | (pl.col(score) == _last_before(pl.col(score))).fill_null(False)
        unchanged = unchanged | ((pl.col("side") == side) & same)
    unscored = (pl.col("event_type") == "free_throw") & pl.col("shot_made").fill_null(False) & unchanged
    return _changed(frame, "free_throw_made_by_score", unscored, shot_made=pl.lit(False))


def _instant_replay_overturns(frame: pl.DataFrame) -> pl.DataFrame:
    """A review that lowers a side's score for good (the drops that came back are repaired by now)
    takes off that side's last scoring row, when the drop is exactly its points."""
    overturned = []
    for side in SIDES:
        score, points = f"{side}_score", _points(side)
        scoring = points > 0
        last = frame.with_columns(
            before=_last_before(pl.col(score)),
            last_order=_last_before(pl.when(scoring).then(pl.col("event_order"))),
            last_points=_last_before(pl.when(scoring).then(points)),
            # The score stated on that last scoring row: it must be the one the review takes down.
            last_score=_last_before(pl.when(scoring).then(pl.col(score))),
        )
        overturned.append(
            last.filter(
                (pl.col("event_type") == "instant_replay")
                & (pl.col("before") > pl.col(score))
                & (pl.col("before") - pl.col(score) == pl.col("last_points"))
                & (pl.col("last_score") == pl.col("before"))
            ).select(_GAME, event_order="last_order")
        )
    targets = pl.concat(overturned).unique().with_columns(_overturned=pl.lit(True))
    keyed = frame.join(targets, on=[_GAME, "event_order"], how="left", maintain_order="left")
    return _changed(keyed, "instant_replay_overturn", pl.col("_overturned"), shot_made=pl.lit(False)).drop("_overturned")


# --------------------------------------------------------------------------- entry points
def repair_play_by_play(pbp: pl.DataFrame) -> pl.DataFrame:
    """Silver play-by-play rows (with or without season / game_date) with every rule applied.

    Order first (score rules read neighbouring rows), then the score values, then what the
    repaired scores say about made shots. Each game's events are numbered 1..n again; games keep
    their order in ``pbp``. Repairing a repaired frame changes nothing.
    """
    frame = pbp
    for name, dtype in REPAIR_COLUMNS.items():
        if name not in frame.columns:
            frame = frame.with_columns(pl.lit(None, dtype).alias(name))
    games = frame.select("game_id").unique(maintain_order=True).with_row_index(_GAME)
    frame = _sorted_by_game_and_event(frame.join(games, on="game_id", how="left", maintain_order="left")).join(
        _team_sides(frame), on=["game_id", "team_id"], how="left", maintain_order="left"
    )
    # The two placing rules renumber the events; the rows are sorted once, after both.
    frame = _substitution_before_free_throw(_same_clock_scoring_order(frame))
    frame = _sorted_by_game_and_event(frame)
    frame = _isolated_score_jumps(frame)
    frame = _isolated_score_drops(frame)
    frame = _free_throws_made_by_score(frame)
    frame = _instant_replay_overturns(frame)
    return PLAY_BY_PLAY.cast(frame.drop(_GAME, "side"))


def repairs_by_rule(repaired: pl.DataFrame) -> pl.DataFrame:
    """Rows and games each rule repaired (every rule listed, 0 where it repaired nothing)."""
    named = (
        repaired.filter(pl.col("repair_rule").is_not_null())
        .select("game_id", rule=pl.col("repair_rule").str.split(","))
        .explode("rule")
        .group_by("rule")
        .agg(rows=pl.len(), games=pl.col("game_id").n_unique())
    )
    return pl.DataFrame({"rule": list(REPAIR_RULES)}).join(named, on="rule", how="left").with_columns(
        pl.col("rows", "games").fill_null(0)
    )


def _clock_text(period: pl.Expr, clock_seconds: pl.Expr) -> pl.Expr:
    """Q4 5:07 / OT1 0:04.3"""
    minutes = (clock_seconds // 60).cast(pl.Int32)
    seconds = clock_seconds - minutes * 60
    whole = seconds.floor().cast(pl.Int32).cast(pl.String).str.zfill(2)
    tenths = pl.when(seconds != seconds.floor()).then(pl.format(".{}", ((seconds - seconds.floor()) * 10).round(0).cast(pl.Int32))).otherwise(pl.lit(""))
    label = pl.when(period <= REGULATION_PERIODS).then(pl.format("Q{}", period)).otherwise(
        pl.format("OT{}", period - REGULATION_PERIODS)
    )
    return pl.format("{} {}:{}{}", label, minutes, whole, tenths)


def _per_game(rows: pl.DataFrame, rule: str, detail: pl.Expr) -> pl.DataFrame:
    """One row per game: the first offending row's detail, and how many more there are."""
    return (
        rows.with_columns(detail=detail)
        .group_by("game_id")
        .agg(pl.col("detail").first(), more=pl.len() - 1)
        .select(
            "game_id",
            rule=pl.lit(rule),
            detail=pl.when(pl.col("more") > 0).then(pl.format("{} (and {} more)", "detail", "more")).otherwise("detail"),
        )
    )


# The play-by-play columns game_rule_violations reads (its audits and play_by_play_summary too).
RULE_COLUMNS = ("game_id", "event_order", "source", "period", "clock_seconds", "event_type", "description",
                "team_id", "location", "shot_made", "shot_value", "home_score", "away_score")


def game_rule_violations(pbp: pl.DataFrame) -> pl.DataFrame:
    """(game_id, rule, detail) for every game breaking a rule it must pass to be published.

    scores_never_decrease: no score goes down except at an instant_replay row.
    final_score_matches_scoring_events: each side's last stated score is the points of its made
    field goals and free throws added up.
    event_keys_unique, clock_within_period: as the silver audits.
    """
    # Only the columns the rules read are sorted: a sorted copy of all of silver's columns is the
    # season's peak memory (a few hundred MB over the frame itself).
    ordered = pbp.select(RULE_COLUMNS).sort("game_id", "event_order")
    clocks = ordered.select("game_id", "event_order", "clock_seconds")
    decreasing = audits.decreasing_scores(ordered).join(clocks, on=["game_id", "event_order"], how="left").sort("game_id", "event_order")
    found = [
        _per_game(
            decreasing, "scores_never_decrease",
            pl.format("{}: {}-{} -> {}-{} at event {}", _clock_text(pl.col("period"), pl.col("clock_seconds")),
                      "prev_home", "prev_away", "home_score", "away_score", "event_order"),
        ),
        _per_game(
            audits.duplicate_event_keys(ordered).sort("game_id", "event_order"), "event_keys_unique",
            pl.format("event {} appears {} times", "event_order", "rows"),
        ),
        _per_game(
            audits.clock_out_of_bounds(ordered).sort("game_id", "event_order"), "clock_within_period",
            pl.format("{} at event {}", _clock_text(pl.col("period"), pl.col("clock_seconds")), "event_order"),
        ),
    ]
    points = (
        ordered.filter(pl.col("shot_made").fill_null(False))
        .join(_team_sides(ordered), on=["game_id", "team_id"], how="left")
        .group_by("game_id")
        .agg(
            home_points=pl.col("shot_value").cast(pl.Int32).filter(pl.col("side") == "home").sum(),
            away_points=pl.col("shot_value").cast(pl.Int32).filter(pl.col("side") == "away").sum(),
        )
    )
    finals = (
        play_by_play_summary(ordered)
        .join(points, on="game_id", how="left")
        .with_columns(pl.col("pbp_home_score", "pbp_away_score", "home_points", "away_points").fill_null(0))
        .filter((pl.col("pbp_home_score") != pl.col("home_points")) | (pl.col("pbp_away_score") != pl.col("away_points")))
    )
    found.append(
        _per_game(
            finals, "final_score_matches_scoring_events",
            pl.format("stated {}-{}, scoring events add up to {}-{}", "pbp_home_score", "pbp_away_score", "home_points", "away_points"),
        )
    )
    return pl.concat(found).sort("game_id", "rule")


def publishable_play_by_play(
    responses: Sequence[tuple[dict | Body, str, str]], game_dates: dict[str, dt.date], box_players: pl.DataFrame | None = None
) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    """Raw responses ``(payload, feed, game_id)`` to the silver rows fit to publish, the
    violations (game_id, rule, detail) of the games held back (unreadable payloads, games still
    breaking a game rule after the repairs) and the flags of published games (V3 names no roster
    rule settles). ``game_dates`` gives each game's date; ``box_players`` (silver
    box_score_players of those games, may be empty) is the roster V3's names resolve through."""
    parsed, unusable = parse_play_by_play(responses)
    repaired = repair_play_by_play(with_partition_columns(parsed, game_dates))
    box = BOX_SCORE_PLAYERS.empty() if box_players is None else box_players
    resolved, unresolved = with_v3_secondary_players(repaired, box.join(repaired.select("game_id").unique(), on="game_id", how="semi"))
    failed = game_issues.combine(unusable, game_rule_violations(resolved))
    published = game_issues.without_games(resolved, failed)
    flagged = game_issues.without_games(unresolved_name_violations(unresolved), failed)
    return published, failed, flagged
