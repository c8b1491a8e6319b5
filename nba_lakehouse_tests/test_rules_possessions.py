"""Every possession rule of gold/possessions.py, one tiny hand-built play-by-play per test.

pbpstats style: a few silver play_by_play rows with only the columns ``possession_events`` reads
(typed by the schema's own ``PLAY_BY_PLAY.cast``), and the rule's outcome asserted. The home
team (H) has the ball first unless a test says otherwise. test_possession_rules.py keeps the
G League free-throw forms and the real-recording rewrites; this file covers the rest.
"""

import datetime as dt

import polars as pl

from nba_lakehouse.gold.possessions import (
    build_possessions,
    events_in_possessions,
    possession_events,
)
from nba_lakehouse.schemas import PLAY_BY_PLAY

GAME = "0022200001"
H, A = 1610612739, 1610612741
SIDES = pl.DataFrame({"game_id": [GAME], "home_team_id": [H], "away_team_id": [A]})


def ev(kind: str, team: int | None = None, text: str = "", made: bool | None = None, clock: float = 700.0,
       period: int = 1, home: int | None = None, away: int | None = None) -> dict:
    """One event; ``text`` is both the sub type and the description (as V3 writes free throws),
    ``home`` / ``away`` the running score where the feed gives it (scoring rows only)."""
    return {"period": period, "clock_seconds": clock, "team_id": team, "event_type": kind, "event_subtype": text,
            "description": text, "shot_made": made, "home_score": home, "away_score": away}


def pbp(*events: dict) -> pl.DataFrame:
    rows = [{"season": "2022-23", "game_date": dt.date(2022, 10, 18), "game_id": GAME, "event_order": n, **e}
            for n, e in enumerate(events, start=1)]
    return PLAY_BY_PLAY.cast(pl.DataFrame(rows, infer_schema_length=None))


def events(*rows: dict) -> pl.DataFrame:
    return possession_events(pbp(*rows), SIDES).sort("event_order")


def possessions(*rows: dict) -> pl.DataFrame:
    return build_possessions(pbp(*rows), SIDES)


def numbers(*rows: dict) -> list[int]:
    return events(*rows)["possession_number"].to_list()


def teams(*rows: dict) -> list[int]:
    return possessions(*rows)["offense_team_id"].to_list()


MAKE_H = ev("made_shot", H, "Mitchell 12' Jump Shot", True)
MAKE_A = ev("made_shot", A, "LaVine 3PT Jump Shot", True, clock=680)
MISS_H = ev("missed_shot", H, "MISS Mitchell 12' Jump Shot", False)


# ------------------------------------------------------------------------- and-ones
def test_and_one_made_shot_foul_and_one_free_throw_are_one_possession_of_the_shooter():
    rows = events(
        ev("made_shot", H, "Mitchell 12' Jump Shot", True, home=2, away=0),
        ev("foul", A, "Shooting Foul"),
        ev("free_throw", H, "Free Throw 1 of 1", True, home=3, away=0),
        MAKE_A,
    )
    assert rows["ends"].to_list() == [False, False, True, True]
    assert rows["possession_number"].to_list() == [1, 1, 1, 2]
    assert rows["offense_team_id"].to_list() == [H, H, H, A]
    assert possessions(*[
        ev("made_shot", H, "Jump Shot", True, home=2, away=0), ev("foul", A, "Shooting Foul"),
        ev("free_throw", H, "Free Throw 1 of 1", True, home=3, away=0), MAKE_A,
    ])["points"].to_list()[0] == 3


def test_and_one_with_the_free_throw_missed_is_decided_by_the_rebound():
    offense_keeps = numbers(MAKE_H, ev("foul", A, "Shooting Foul"), ev("free_throw", H, "MISS Free Throw 1 of 1", False),
                            ev("rebound", H, "Allen REBOUND", clock=698), ev("made_shot", H, "Allen Layup", True, clock=695))
    defense_takes = events(MAKE_H, ev("foul", A, "Shooting Foul"), ev("free_throw", H, "MISS Free Throw 1 of 1", False),
                           ev("rebound", A, "LaVine REBOUND", clock=698), MAKE_A)
    assert offense_keeps == [1] * 5
    assert defense_takes["possession_number"].to_list() == [1, 1, 1, 1, 2]
    assert defense_takes["ends"].to_list() == [False, False, False, True, True]


def test_a_one_shot_trip_of_the_other_team_at_the_same_clock_is_no_and_one():
    """The made basket ends H's possession; A's 1-of-1 at the same clock (an away-from-play foul
    by H) starts A's, which A keeps (the made free throw's "end" is merged away, see below)."""
    rows = events(MAKE_H, ev("foul", H, "Away From Play Foul"), ev("free_throw", A, "Free Throw 1 of 1", True), MAKE_A)
    assert rows["ends"].to_list() == [True, False, True, True]
    assert rows["offense_team_id"].to_list() == [H, A, A, A]
    assert rows["possession_number"].to_list() == [1, 2, 2, 2]


# ---------------------------------------------------------------- free-throw trips
def test_first_free_throw_of_two_does_not_end_the_possession_the_made_last_does():
    rows = events(ev("foul", A, "Shooting Foul"), ev("free_throw", H, "Free Throw 1 of 2", True),
                  ev("free_throw", H, "Free Throw 2 of 2", True), MAKE_A)
    assert rows["ends"].to_list() == [False, False, True, True]
    assert rows["possession_number"].to_list() == [1, 1, 1, 2]


def test_trip_position_is_read_from_the_description_when_the_sub_type_has_none():
    """V2 gives a numeric sub type; the "N of M" is in the description."""
    trip = [ev("foul", A, "Shooting Foul"), ev("free_throw", H, "Mitchell Free Throw 1 of 2", True),
            ev("free_throw", H, "Mitchell Free Throw 2 of 2", True), MAKE_A]
    frame = pbp(*trip).with_columns(event_subtype=pl.lit("11"))
    assert possession_events(frame, SIDES).sort("event_order")["ends"].to_list() == [False, False, True, True]


def test_missed_last_free_throw_then_defensive_rebound_ends_at_the_rebound():
    rows = events(ev("free_throw", H, "Free Throw 1 of 2", True), ev("free_throw", H, "MISS Free Throw 2 of 2", False),
                  ev("rebound", A, "LaVine REBOUND"), MAKE_A)
    assert rows["ends"].to_list() == [False, False, True, True]
    assert rows["offense_team_id"].to_list() == [H, H, H, A]


def test_team_rebound_after_the_missed_last_free_throw():
    """A team rebound (team id, no player) counts like a player's: the defense's ends the
    possession, the shooters' keeps it going."""
    defense = events(ev("free_throw", H, "MISS Free Throw 1 of 1", False), ev("rebound", A, "Team Rebound"), MAKE_A)
    offense = events(ev("free_throw", H, "MISS Free Throw 1 of 1", False), ev("rebound", H, "Team Rebound"),
                     ev("made_shot", H, "Layup", True, clock=690))
    assert defense["ends"].to_list() == [False, True, True] and defense["possession_number"].to_list() == [1, 1, 2]
    assert offense["ends"].to_list() == [False, False, True] and offense["possession_number"].to_list() == [1, 1, 1]


def test_a_placeholder_rebound_credited_to_the_defense_between_two_free_throws_does_not_split_the_trip():
    """The feeds log a team rebound after a missed first free throw; credited to the defense it
    reads as a defensive rebound, and the two possessions of H it leaves in a row become one."""
    rows = events(ev("foul", A, "Shooting Foul"), ev("free_throw", H, "MISS Free Throw 1 of 2", False),
                  ev("rebound", A, "Team Rebound"), ev("free_throw", H, "Free Throw 2 of 2", True), MAKE_A)
    assert rows["ends"][2]  # the rule on its own ends the possession at the rebound...
    assert rows["possession_number"].to_list() == [1, 1, 1, 1, 2]  # ...the merge of H's two undoes it
    assert rows["offense_team_id"].to_list() == [H, H, H, H, A]


# --------------------------------------------- free throws that keep the ball where it was
def test_technical_free_throw_by_the_defense_changes_nothing():
    rows = events(MISS_H, ev("rebound", H, "Mitchell REBOUND"), ev("foul", H, "T.FOUL Mitchell"),
                  ev("free_throw", A, "Free Throw Technical", True), ev("made_shot", H, "Layup", True, clock=690))
    assert rows["ends"].to_list() == [False, False, False, False, True]
    assert rows["possession_number"].to_list() == [1] * 5
    assert rows["offense_team_id"].to_list() == [H] * 5


def test_technical_free_throw_by_the_offense_does_not_end_its_possession_even_made():
    rows = events(ev("foul", A, "T.FOUL Coach"), ev("free_throw", H, "Free Throw Technical", True),
                  ev("turnover", H, "Bad Pass Turnover"), MAKE_A)
    assert rows["ends"].to_list() == [False, False, True, True]
    assert rows["possession_number"].to_list() == [1, 1, 1, 2]


def test_a_technical_free_throw_is_no_shot_for_the_rebound_that_follows():
    """H misses, A shoots a technical free throw, H rebounds: the rebound is offensive (the
    latest shot was H's), not a defensive one after A's free throw."""
    rows = events(MISS_H, ev("foul", H, "T.FOUL"), ev("free_throw", A, "Free Throw Technical", True),
                  ev("rebound", H, "Allen REBOUND"), ev("made_shot", H, "Layup", True, clock=690))
    assert rows["ends"].to_list() == [False, False, False, False, True]
    assert rows["possession_number"].to_list() == [1] * 5


def test_defensive_three_seconds_technical_free_throw_keeps_the_ball_with_the_offense():
    rows = events(ev("foul", A, "Defense 3 Second Foul"), ev("free_throw", H, "Free Throw Technical", True, clock=700),
                  ev("missed_shot", H, "MISS Jump Shot", False, clock=690), ev("rebound", H, "REBOUND"),
                  ev("made_shot", H, "Layup", True, clock=685), MAKE_A)
    assert rows["possession_number"].to_list() == [1, 1, 1, 1, 1, 2]
    assert rows["offense_team_id"].to_list() == [H] * 5 + [A]


def test_flagrant_free_throws_the_fouled_team_keeps_the_ball():
    """A flagrant on H's possession: H shoots two and keeps the ball, one possession throughout."""
    rows = events(ev("foul", A, "Flagrant Type 1"), ev("free_throw", H, "Free Throw Flagrant 1 of 2", True),
                  ev("free_throw", H, "Free Throw Flagrant 2 of 2", True), ev("made_shot", H, "Layup", True, clock=690),
                  MAKE_A)
    assert rows["ends"].to_list() == [False, False, False, True, True]
    assert rows["possession_number"].to_list() == [1, 1, 1, 1, 2]


def test_flagrant_free_throws_against_the_offense_give_the_ball_to_the_fouled_defense():
    rows = events(MISS_H, ev("rebound", H, "REBOUND"), ev("foul", H, "Flagrant Type 2"),
                  ev("free_throw", A, "Free Throw Flagrant 1 of 2", True),
                  ev("free_throw", A, "Free Throw Flagrant 2 of 2", True),
                  MAKE_A)
    assert rows["offense_team_id"].to_list() == [H, H, H, H, H, A]
    assert possessions(*[MISS_H, ev("rebound", H, "REBOUND"), ev("foul", H, "Flagrant Type 2"),
                         ev("free_throw", A, "Free Throw Flagrant 1 of 2", True),
                         ev("free_throw", A, "Free Throw Flagrant 2 of 2", True), MAKE_A])["start_type"].to_list() == [
        "period_start", "change_of_offense"]


def test_clear_path_free_throws_keep_the_ball():
    rows = events(ev("foul", A, "Clear Path Foul"), ev("free_throw", H, "Free Throw Clear Path 1 of 2", True),
                  ev("free_throw", H, "Free Throw Clear Path 2 of 2", True), ev("turnover", H, "Traveling Turnover"), MAKE_A)
    assert rows["ends"].to_list() == [False, False, False, True, True]
    assert rows["possession_number"].to_list() == [1, 1, 1, 1, 2]


# -------------------------------------------------------------------------- rebounds
def test_offensive_rebound_continues_the_possession():
    rows = events(MISS_H, ev("rebound", H, "Allen REBOUND"), ev("made_shot", H, "Allen Layup", True, clock=695))
    assert rows["ends"].to_list() == [False, False, True]
    assert rows["possession_number"].to_list() == [1, 1, 1]


def test_defensive_rebound_ends_the_possession_and_belongs_to_it():
    rows = events(MISS_H, ev("rebound", A, "LaVine REBOUND"), MAKE_A)
    assert rows["ends"].to_list() == [False, True, True]
    assert rows["offense_team_id"].to_list() == [H, H, A]  # the rebound is the end of H's possession
    assert possessions(MISS_H, ev("rebound", A, "LaVine REBOUND"), MAKE_A)["start_type"].to_list() == [
        "period_start", "after_defensive_rebound"]


def test_a_blocked_shot_rebounded_by_the_shooters_after_the_block_is_offensive():
    """The rebound is judged against the team of the latest shot, whatever happened between."""
    rows = events(MISS_H, ev("foul", A, "Loose Ball Foul"), ev("rebound", H, "REBOUND"),
                  ev("made_shot", H, "Dunk", True, clock=690))
    assert rows["possession_number"].to_list() == [1] * 4


def test_a_rebound_without_a_team_ends_nothing():
    """A feed row with no team to credit (a rebound at a deadball) is neither side's rebound."""
    rows = events(MISS_H, ev("rebound", None, "Deadball Rebound"), ev("made_shot", H, "Layup", True, clock=690))
    assert rows["ends"].to_list() == [False, False, True]
    assert rows["possession_number"].to_list() == [1, 1, 1]


# ------------------------------------------------------------------------- turnovers
def test_turnover_ends_the_possession():
    rows = events(ev("turnover", H, "Bad Pass Turnover"), MAKE_A)
    assert rows["ends"].to_list() == [True, True]
    assert possessions(ev("turnover", H, "Bad Pass Turnover"), MAKE_A)["start_type"].to_list() == [
        "period_start", "after_turnover"]


def test_a_no_turnover_row_ends_nothing():
    rows = events(ev("turnover", H, "No Turnover"), ev("made_shot", H, "Layup", True, clock=690))
    assert rows["ends"].to_list() == [False, True]
    assert rows["possession_number"].to_list() == [1, 1]


def test_a_turnover_without_a_team_ends_nothing():
    rows = events(ev("turnover", None, "Turnover: Shot Clock"), ev("made_shot", H, "Layup", True, clock=690))
    assert rows["ends"].to_list() == [False, True]
    assert rows["possession_number"].to_list() == [1, 1]


def test_a_made_basket_ends_the_possession_the_next_starts_after_make():
    assert possessions(MAKE_H, MAKE_A)["start_type"].to_list() == ["period_start", "after_make"]


# ------------------------------------------------------------ periods and jump balls
def test_end_of_period_ends_the_possession_even_for_the_same_team():
    """H has the last possession of Q1 and the first of Q2: two possessions, not one."""
    rows = possessions(ev("missed_shot", H, "MISS", False, clock=2, period=1), ev("period_end", None, "End", clock=0, period=1),
                       ev("period_start", None, "Start", clock=720, period=2),
                       ev("made_shot", H, "Layup", True, clock=700, period=2))
    assert rows["offense_team_id"].to_list() == [H, H]
    assert rows["period"].to_list() == [1, 2]
    assert rows["start_type"].to_list() == ["period_start", "period_start"]
    assert rows["end_seconds"].to_list() == [720.0, 1440.0]  # the period's last possession runs to its end


def test_opening_jump_ball_belongs_to_the_first_possession_of_the_team_that_wins_it():
    rows = events(ev("period_start", None, "Start", clock=720), ev("jump_ball", H, "Jump Ball Allen vs. Vucevic", clock=719),
                  ev("made_shot", A, "LaVine 3PT Jump Shot", True, clock=700), MAKE_H)
    assert rows["possession_number"].to_list() == [1, 1, 1, 2]
    assert rows["offense_team_id"].to_list() == [A, A, A, H]


def test_held_ball_jump_ball_won_by_the_defense_starts_a_possession_at_its_first_action():
    """No ending event: the change of the acting offense splits, at the new offense's first event."""
    rows = events(MISS_H, ev("jump_ball", H, "Jump Ball Allen vs. LaVine: Tip to LaVine", clock=698),
                  ev("made_shot", A, "LaVine Layup", True, clock=690), ev("made_shot", H, "Layup", True, clock=680))
    assert rows["possession_number"].to_list() == [1, 1, 2, 3]
    assert rows["offense_team_id"].to_list() == [H, H, A, H]
    assert possessions(MISS_H, ev("jump_ball", H, "Jump Ball", clock=698), ev("made_shot", A, "Layup", True, clock=690),
                       ev("made_shot", H, "Layup", True, clock=680))["start_type"].to_list() == [
        "period_start", "change_of_offense", "after_make"]


# --------------------------------------------------- possessions nobody acted in, merges
def test_a_possession_nobody_acted_in_belongs_to_the_team_without_the_previous_one():
    """H scores at the buzzer: the last second is A's possession though A never touches the ball."""
    assert teams(ev("made_shot", H, "Layup", True, clock=1), ev("period_end", None, "End", clock=0)) == [H, A]


def test_failing_a_previous_possession_it_belongs_to_the_team_without_the_next_one():
    rows = teams(ev("period_start", None, "Start", clock=720, period=1), ev("period_end", None, "End", clock=0, period=1),
                 ev("period_start", None, "Start", clock=720, period=2), ev("made_shot", H, "Layup", True, clock=700, period=2))
    assert rows == [A, H]


def test_two_possessions_of_one_team_in_a_row_in_a_period_are_one():
    """An away-from-play trip the team keeps the ball after: the made last free throw "ends" a
    possession the same team then carries on."""
    rows = events(ev("foul", A, "Away From Play Foul"), ev("free_throw", H, "Free Throw 2 of 2", True, clock=100),
                  ev("made_shot", H, "Layup", True, clock=95), MAKE_A)
    assert rows["ends"].to_list() == [False, True, True, True]
    assert rows["possession_number"].to_list() == [1, 1, 1, 2]


# -------------------------------------------------------------------- the table rows
def test_possession_rows_carry_the_offense_points_and_game_time():
    table = possessions(
        ev("made_shot", H, "3PT Jump Shot", True, clock=700, home=3, away=0),
        ev("timeout", H, "Timeout", clock=700),  # a row without scores: the running score carries over
        ev("made_shot", A, "Layup", True, clock=680, home=3, away=2),
        ev("turnover", H, "Bad Pass Turnover", clock=650),
    )
    assert table.select("offense_team_id", "defense_team_id", "offense_side", "points").rows() == [
        (H, A, "home", 3), (A, H, "away", 2), (H, A, "home", 0)]
    assert table.select("start_event_order", "end_event_order").rows() == [(1, 1), (2, 3), (4, 4)]
    assert table.select("start_seconds", "end_seconds", "duration_seconds").rows() == [
        (0.0, 20.0, 20.0), (20.0, 40.0, 20.0), (40.0, 720.0, 680.0)]


def test_every_event_belongs_to_exactly_one_possession_in_order():
    rows = [MISS_H, ev("rebound", A, "REBOUND"), ev("turnover", A, "Turnover", clock=690), MAKE_H, MAKE_A]
    table = possessions(*rows)
    assert table["possession_number"].to_list() == list(range(1, table.height + 1))
    covered = table.select(pl.int_ranges("start_event_order", pl.col("end_event_order") + 1).explode())
    assert covered.to_series().to_list() == list(range(1, len(rows) + 1))


def test_events_read_back_from_the_possessions_table_get_each_events_possession():
    frame = pbp(MISS_H, ev("rebound", A, "REBOUND", home=0, away=0),
                ev("made_shot", A, "Layup", True, clock=690, home=0, away=2), MAKE_H)
    read_back = events_in_possessions(frame, build_possessions(frame, SIDES)).sort("event_order")
    assert read_back["possession_number"].to_list() == [1, 1, 2, 3]
    assert read_back["offense_team_id"].to_list() == [H, H, A, H]
    assert read_back["away_points"].to_list() == [0, 0, 2, 0]
