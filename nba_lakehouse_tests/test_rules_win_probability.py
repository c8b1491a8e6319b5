"""Every rule of the win probability code (gold/win_probability_model.py, gold/win_probability.py),
one tiny hand-built gold event_state per test.

pbpstats style: a few event_state rows with only the columns the code reads (typed by the schema's
own ``EVENT_STATE.cast``), and the rule's outcome asserted. H is at home, A away; a game is
finished when its play-by-play has a ``game_end`` in the 4th period or later with a non-zero margin.
The tests that need a model use the bundled one (data/models/win_probability.json).
"""

import datetime as dt

import numpy as np
import polars as pl
import pytest

from nba_lakehouse.gold.win_probability import (
    build_player_game_wpa,
    build_win_probability,
    certainty_violations,
    wpa_sum_violations,
)
from nba_lakehouse.gold.win_probability_model import (
    PROBABILITY_FLOOR,
    STRENGTH_PRIOR_GAMES,
    WinProbabilityModel,
    event_features,
    game_results,
    pregame_strength,
)
from nba_lakehouse.lake import BUNDLED_WIN_PROBABILITY_MODEL
from nba_lakehouse.schemas import EVENT_STATE, PLAY_BY_PLAY

GAME = "0022200001"
SEASON = "2022-23"
DAY = dt.date(2022, 12, 1)
H, A, C = 1610612739, 1610612741, 1610612738  # home, away, a third team
HOME, AWAY = 0, 1  # possession_side / final_winning_team


def ev(kind: str = "made_shot", period: int = 1, clock: float = 700.0, home: int = 0, away: int = 0,
       side: int | None = None, team: int | None = None) -> dict:
    """The state after one event: running score ``home``-``away``, ``side`` the team with the ball
    during the event (0 home, 1 away, None unknown)."""
    return {"event_type": kind, "period": period, "seconds_remaining_period": clock, "home_score": home,
            "away_score": away, "possession_side": side, "team_id": team}


def state(*events: dict, game: str = GAME, day: dt.date = DAY, season: str = SEASON, home_team: int = H,
          away_team: int = A, final: int | None = None) -> pl.DataFrame:
    """Gold event_state of one game; ``final`` is the box score's winner (final_winning_team)."""
    rows = [{
        "season": season, "game_date": day, "game_id": game, "event_order": n, "home_team_id": home_team,
        "away_team_id": away_team, "final_winning_team": final, **e,
        "seconds_remaining_game": e["seconds_remaining_period"] + max(0, 4 - e["period"]) * 720.0,
        "point_differential": e["home_score"] - e["away_score"],
    } for n, e in enumerate(events, start=1)]
    return EVENT_STATE.cast(pl.DataFrame(rows, infer_schema_length=None))


def finished(home: int, away: int, **kw) -> pl.DataFrame:
    """A game over at ``home``-``away``: a basket in each half, a close 4th, the final buzzer."""
    return state(ev(home=2, away=0, side=HOME, team=kw.get("home_team", H)), ev(period=3, clock=300, home=home // 2, away=away // 2),
                 ev(period=4, clock=5, home=home, away=away), ev("game_end", period=4, clock=0, home=home, away=away), **kw)


def result(frame: pl.DataFrame) -> dict:
    (row,) = game_results(frame).to_dicts()
    return row


# ------------------------------------------------------------------- game_results
def test_a_game_is_over_once_its_pbp_reached_the_final_buzzer_with_a_margin():
    row = result(finished(101, 99))
    assert row["over"] is True and row["home_won"] is True
    assert result(finished(95, 99))["home_won"] is False


def test_a_period_end_in_the_4th_counts_as_the_end_when_the_margin_is_not_zero():
    row = result(state(ev(period=4, clock=3, home=90, away=88), ev("period_end", period=4, clock=0, home=90, away=88)))
    assert row["over"] is True and row["home_won"] is True


def test_a_game_stopped_before_any_end_is_not_over():
    row = result(state(ev(period=4, clock=0.0, home=120, away=80)))  # no period or game end: the feed is behind
    assert row["over"] is False and row["home_won"] is None


def test_the_end_of_the_3rd_period_is_not_the_end_of_the_game():
    row = result(state(ev(period=3, clock=1, home=80, away=60), ev("period_end", period=3, clock=0, home=80, away=60)))
    assert row["over"] is False and row["home_won"] is None


def test_a_tie_at_the_end_of_the_4th_is_not_over_it_goes_to_overtime():
    tied = state(ev(period=4, clock=2, home=100, away=100), ev("period_end", period=4, clock=0, home=100, away=100))
    assert result(tied)["over"] is False
    decided_in_overtime = state(ev(period=4, clock=2, home=100, away=100), ev("period_end", period=4, clock=0, home=100, away=100),
                                ev(period=5, clock=10, home=100, away=103), ev("game_end", period=5, clock=0, home=100, away=103))
    row = result(decided_in_overtime)
    assert row["over"] is True and row["home_won"] is False


def test_the_box_scores_winner_wins_over_the_last_score():
    """The play-by-play's last score says home (the feed missed the away team's last basket); the
    box score says away."""
    row = result(finished(101, 100, final=AWAY))
    assert row["over"] is True and row["home_won"] is False
    assert result(finished(99, 100, final=HOME))["home_won"] is True


def test_results_carry_the_last_score_and_the_last_event():
    row = result(finished(101, 99))
    assert (row["home_score"], row["away_score"], row["last_event_order"]) == (101, 99, 4)


# ------------------------------------------------------------------ pregame_strength
def results(*games: tuple) -> pl.DataFrame:
    """game_results rows: (game_id, date, home team, away team, home score, away score[, over[, season]])."""
    rows = [{"game_id": g[0], "game_date": g[1], "home_team_id": g[2], "away_team_id": g[3], "home_score": g[4], "away_score": g[5],
             "over": g[6] if len(g) > 6 else True, "season": g[7] if len(g) > 7 else SEASON} for g in games]
    return pl.DataFrame(rows, schema_overrides={"game_date": pl.Date, "home_team_id": pl.Int64, "away_team_id": pl.Int64})


def strength_of(frame: pl.DataFrame, game: str) -> dict:
    (row,) = pregame_strength(frame).filter(pl.col("game_id") == game).to_dicts()
    return row


D1, D2, D3 = DAY, DAY + dt.timedelta(days=1), DAY + dt.timedelta(days=2)


def test_a_team_with_no_earlier_game_is_rated_zero():
    row = strength_of(results(("g1", D1, H, A, 110, 90)), "g1")
    assert row == {"game_id": "g1", "home_strength": 0.0, "away_strength": 0.0, "home_prior_games": 0, "away_prior_games": 0}


def test_strength_is_the_earlier_margins_summed_over_games_plus_the_prior():
    """H won by 10 at home, lost by 4 away, then plays C: (10 - 4) / (2 + prior); C's 0 games: 0."""
    games = results(("g1", D1, H, A, 110, 100), ("g2", D2, A, H, 104, 100), ("g3", D3, H, C, 90, 80))
    row = strength_of(games, "g3")
    assert row["home_strength"] == pytest.approx((10 - 4) / (2 + STRENGTH_PRIOR_GAMES))
    assert row["home_prior_games"] == 2
    assert (row["away_strength"], row["away_prior_games"]) == (0.0, 0)
    away_side = strength_of(games, "g2")  # A lost g1 by 10, rated from the away side's view
    assert away_side["home_strength"] == pytest.approx(-10 / (1 + STRENGTH_PRIOR_GAMES))
    assert away_side["away_strength"] == pytest.approx(10 / (1 + STRENGTH_PRIOR_GAMES))


def test_a_result_of_the_same_date_or_later_never_changes_a_rating():
    alone = results(("g1", D1, H, A, 110, 100), ("g3", D2, H, C, 95, 90))
    with_same_day_and_later = results(("g1", D1, H, A, 110, 100), ("g3", D2, H, C, 95, 90),
                                      ("g4", D2, A, C, 150, 90), ("g5", D3, H, A, 60, 130))
    assert strength_of(alone, "g3") == strength_of(with_same_day_and_later, "g3")
    assert strength_of(with_same_day_and_later, "g4") == {
        "game_id": "g4", "home_strength": pytest.approx(-10 / (1 + STRENGTH_PRIOR_GAMES)), "away_strength": 0.0,
        "home_prior_games": 1, "away_prior_games": 0,
    }


def test_a_game_of_the_same_team_on_the_same_date_does_not_count():
    """Nothing from the game's own date counts, its own result included."""
    row = strength_of(results(("g1", D1, H, A, 140, 80)), "g1")
    assert row["home_strength"] == 0.0 and row["away_strength"] == 0.0


def test_unfinished_games_do_not_count():
    games = results(("g1", D1, H, A, 60, 20, False), ("g2", D2, H, A, 100, 90))
    row = strength_of(games, "g2")
    assert (row["home_strength"], row["home_prior_games"], row["away_strength"], row["away_prior_games"]) == (0.0, 0, 0.0, 0)


def test_seasons_are_rated_separately():
    games = results(("g1", D1, H, A, 130, 90, True, "2021-22"), ("g2", D2, H, A, 100, 90, True, SEASON))
    assert strength_of(games, "g2")["home_strength"] == 0.0
    same_season = results(("g1", D1, H, A, 130, 90), ("g2", D2, H, A, 100, 90))
    assert strength_of(same_season, "g2")["home_strength"] == pytest.approx(40 / (1 + STRENGTH_PRIOR_GAMES))


# --------------------------------------------------------------------- event_features
NO_STRENGTH = pl.DataFrame({"game_id": [GAME], "home_strength": [0.0], "away_strength": [0.0]})


def features(*events: dict) -> pl.DataFrame:
    return event_features(state(*events), NO_STRENGTH).sort("event_order")


def test_home_ball_is_the_next_events_possession_side():
    rows = features(ev(side=HOME), ev(side=AWAY), ev(side=None), ev(side=HOME), ev(side=AWAY))
    assert rows["home_ball"].to_list() == [-1.0, 0.0, 1.0, -1.0, 0.0]  # the last event has no next one: 0


def test_home_ball_is_read_in_event_order_and_within_the_game():
    one = state(ev(side=AWAY), ev(side=HOME))
    other = state(ev(side=HOME), ev(side=HOME), game="0022200002")
    rows = event_features(pl.concat([other, one]).reverse(), NO_STRENGTH.vstack(NO_STRENGTH.with_columns(game_id=pl.lit("0022200002"))))
    by_game = {g: rows.filter(pl.col("game_id") == g).sort("event_order")["home_ball"].to_list() for g in (GAME, "0022200002")}
    assert by_game == {GAME: [1.0, 0.0], "0022200002": [1.0, 0.0]}


def test_the_overtime_flag_is_set_after_the_4th_period():
    rows = features(ev(period=4, clock=1), ev(period=5, clock=200), ev(period=6, clock=100))
    assert rows["overtime"].to_list() == [0.0, 1.0, 1.0]


# ------------------------------------------------------------ build_win_probability
@pytest.fixture(scope="module")
def model() -> WinProbabilityModel:
    return WinProbabilityModel.from_bytes(BUNDLED_WIN_PROBABILITY_MODEL.read_bytes(), str(BUNDLED_WIN_PROBABILITY_MODEL))


def scored(frame: pl.DataFrame, model: WinProbabilityModel) -> pl.DataFrame:
    return build_win_probability(frame, pregame_strength(game_results(frame)), model, "test model")


def a_close_game(home: int, away: int, ending: tuple[str, ...] = ("game_end",)) -> pl.DataFrame:
    """A real-looking finish: tied entering the last minute, the winner scores last."""
    end = [ev(kind, period=4, clock=0, home=home, away=away) for kind in ending]
    return state(ev("period_start", period=1, clock=720), ev(home=2, away=0, side=HOME, team=H), ev(home=2, away=3, side=AWAY, team=A),
                 ev(period=4, clock=60, home=home - 2 if home > away else home, away=away - 2 if away > home else away),
                 ev(period=4, clock=3, home=home, away=away, side=HOME if home > away else AWAY), *end)


def test_exactly_the_result_at_the_last_event_of_a_finished_game(model):
    for home, away in ((100, 98), (98, 100)):
        rows = scored(a_close_game(home, away), model)
        probability = rows["home_win_probability"].to_list()
        assert probability[-1] == (1.0 if home > away else 0.0)
        assert all(PROBABILITY_FLOOR <= p <= 1 - PROBABILITY_FLOOR for p in probability[:-1])
        assert rows["game_over"].to_list() == [False] * (rows.height - 1) + [True]


def test_after_the_buzzer_the_result_waits_for_the_games_last_event(model):
    """Rows the feed logs after the final buzzer: only the very last is certain."""
    rows = scored(a_close_game(100, 98, ending=("game_end", "substitution")), model)
    probability = rows["home_win_probability"].to_list()
    assert probability[-1] == 1.0 and 0.0 < probability[-2] < 1.0  # the game_end row is the model's


def test_never_certain_in_an_unfinished_game_however_big_the_lead(model):
    blowout = state(ev(home=2, away=0), ev(period=4, clock=0.0, home=150, away=60), ev(period=4, clock=0.0, home=152, away=60))
    rows = scored(blowout, model)
    assert not rows["game_over"].any()
    assert rows["home_win_probability"].is_in([0.0, 1.0]).sum() == 0
    assert rows["home_win_probability"].max() <= 1 - PROBABILITY_FLOOR


def test_the_first_events_probability_before_is_the_opening_probability(model):
    """After a period start at 0-0 with the game to play and nobody's ball, the state is tip-off's:
    the probability after it is the opening probability, so before == after for that event."""
    rows = scored(state(ev("period_start", period=1, clock=720), ev(), ev(home=2, side=HOME)), model)
    first = rows.row(0, named=True)
    assert first["home_win_probability_before"] == pytest.approx(first["home_win_probability"], abs=1e-12)
    assert first["home_wpa"] == pytest.approx(0.0, abs=1e-12)


def test_before_is_the_previous_events_after(model):
    rows = scored(a_close_game(100, 98), model)
    before, after = rows["home_win_probability_before"].to_list(), rows["home_win_probability"].to_list()
    assert before[1:] == after[:-1]
    assert rows["home_wpa"].to_list() == [a - b for a, b in zip(after, before, strict=True)]


def test_wpa_telescopes_to_the_result_minus_the_opening(model):
    for home, away in ((100, 98), (98, 100)):
        rows = scored(a_close_game(home, away), model)
        opening = rows["home_win_probability_before"][0]
        assert rows["home_wpa"].sum() == pytest.approx((1.0 if home > away else 0.0) - opening, abs=1e-12)


def test_every_game_is_scored_on_its_own(model):
    both = pl.concat([a_close_game(100, 98), a_close_game(98, 100).with_columns(game_id=pl.lit("0022200002"))])
    rows = scored(both, model)
    last = rows.group_by("game_id").agg(pl.col("home_win_probability").last(), pl.col("game_over").sum()).sort("game_id")
    assert last.rows() == [(GAME, 1.0, 1), ("0022200002", 0.0, 1)]
    # Same date, so neither rates the other: the second game scores as it does alone.
    alone = scored(both.filter(pl.col("game_id") == "0022200002"), model)
    assert rows.filter(pl.col("game_id") == "0022200002").equals(alone)


# ---------------------------------------------------------- build_player_game_wpa
P1, P2, P3, Q1, Q2 = 101, 102, 103, 201, 202  # P: home players, Q: away players
CREDIT_EVENTS = [
    # (event type, acting team, wpa for the home team, acting player, secondary columns)
    ("made_shot", H, 0.05, P1, {"assist_player_id": P2}),
    ("turnover", A, 0.02, Q1, {"steal_player_id": P3}),
    ("missed_shot", A, 0.03, Q2, {"block_player_id": P1}),
    ("foul", H, -0.01, P2, {"foul_drawn_player_id": Q1}),
    ("substitution", H, 0.004, P3, {}),  # P3 going out
    ("timeout", A, 0.001, None, {}),
]


def credit_frames(events=CREDIT_EVENTS) -> tuple[pl.DataFrame, pl.DataFrame]:
    wp = pl.DataFrame([{"season": SEASON, "game_id": GAME, "event_order": n, "team_id": team, "home_team_id": H, "away_team_id": A,
                        "home_wpa": wpa} for n, (_, team, wpa, _, _) in enumerate(events, start=1)])
    pbp = PLAY_BY_PLAY.cast(pl.DataFrame([
        {"game_id": GAME, "event_order": n, "event_type": kind, "player_id": player, "assist_player_id": None, "steal_player_id": None,
         "block_player_id": None, "foul_drawn_player_id": None, **secondary}
        for n, (kind, _, _, player, secondary) in enumerate(events, start=1)
    ], infer_schema_length=None))
    return wp, pbp


def credits() -> dict[int, dict]:
    return {row["player_id"]: row for row in build_player_game_wpa(*credit_frames()).to_dicts()}


def test_a_home_player_is_credited_with_the_home_wpa_of_his_event():
    assert credits()[P1]["wpa"] == pytest.approx(0.05)
    assert credits()[P1]["team_id"] == H


def test_an_away_player_is_credited_with_minus_the_home_wpa():
    assert credits()[Q1]["wpa"] == pytest.approx(-0.02)
    assert credits()[Q2]["wpa"] == pytest.approx(-0.03)
    assert credits()[Q2]["team_id"] == A


def test_a_substitution_credits_nobody_and_is_no_event_of_the_player():
    row = credits()[P3]
    assert row["wpa"] == 0.0 and row["events"] == 0
    assert row["wpa_steals"] == pytest.approx(0.02)  # P3 is in the table for his steal only


def test_an_event_without_a_player_credits_nobody():
    assert set(credits()) == {P1, P2, P3, Q1, Q2}


def test_the_assister_is_on_the_shooters_team():
    row = credits()[P2]
    assert row["wpa_assists"] == pytest.approx(0.05) and row["team_id"] == H


def test_stealer_blocker_and_fouled_player_are_on_the_other_team():
    assert credits()[P3]["wpa_steals"] == pytest.approx(0.02)  # A's turnover, +0.02 for H, P3 is H's
    assert credits()[P1]["wpa_blocks"] == pytest.approx(0.03)  # A's miss blocked by H's P1
    assert credits()[Q1]["wpa_fouls_drawn"] == pytest.approx(0.01)  # H's foul (-0.01 for H) drawn by A's Q1
    assert credits()[Q1]["team_id"] == A


def test_the_roles_are_kept_apart():
    row = credits()[P1]
    assert (row["wpa"], row["wpa_blocks"], row["wpa_assists"], row["wpa_steals"]) == pytest.approx((0.05, 0.03, 0.0, 0.0))
    assert credits()[P2]["wpa"] == pytest.approx(-0.01)  # his own foul, not the assist


def test_events_counts_the_events_a_player_acted_in():
    assert {player: row["events"] for player, row in credits().items()} == {P1: 1, P2: 1, P3: 0, Q1: 1, Q2: 1}
    twice = build_player_game_wpa(*credit_frames(CREDIT_EVENTS + [("made_shot", H, 0.1, P1, {})]))
    assert twice.filter(pl.col("player_id") == P1)["events"].item() == 2
    assert twice.filter(pl.col("player_id") == P1)["wpa"].item() == pytest.approx(0.15)


# ------------------------------------------------------------- the checks' rules
BOX = pl.DataFrame({"game_id": [GAME, GAME], "team_id": [H, A], "points": [100, 98]})


@pytest.fixture(scope="module")
def correct(model) -> pl.DataFrame:
    return scored(a_close_game(100, 98), model)


def test_a_correct_frame_breaks_neither_check(correct):
    assert certainty_violations(correct, BOX).is_empty()
    assert wpa_sum_violations(correct).is_empty()


def test_certainty_check_catches_a_1_before_the_end(correct):
    corrupted = correct.with_columns(home_win_probability=pl.when(pl.col("event_order") == 3).then(1.0).otherwise("home_win_probability"))
    assert certainty_violations(corrupted, BOX).rows() == [(GAME, 3, "0 or 1 before the game is over")]


def test_certainty_check_catches_the_wrong_result_at_the_end(correct):
    corrupted = correct.with_columns(home_win_probability=pl.when("game_over").then(0.0).otherwise("home_win_probability"))
    assert certainty_violations(corrupted, BOX).rows() == [(GAME, correct.height, "last probability is not the result")]


def test_certainty_check_judges_the_end_by_the_box_score_over_the_last_score(correct):
    """The frame ends at 1 (the play-by-play's 100-98); a box score that says A won makes it wrong,
    and without a box score the last score decides."""
    away_won = BOX.with_columns(points=pl.Series([98, 100]))
    assert certainty_violations(correct, away_won)["problem"].to_list() == ["last probability is not the result"]
    assert certainty_violations(correct, BOX.clear()).is_empty()


def test_certainty_check_catches_a_finished_game_whose_end_is_not_flagged(correct):
    """The last row ends a decided fourth quarter: unflagged and left at the model's value, it is caught."""
    assert correct.sort("event_order").row(-1, named=True)["event_type"] in ("period_end", "game_end")
    corrupted = correct.with_columns(
        game_over=pl.lit(False), home_win_probability=pl.when("game_over").then(0.99).otherwise("home_win_probability")
    )
    assert certainty_violations(corrupted, BOX).rows() == [(GAME, correct.height, "game over at its last event but not flagged")]


def test_wpa_sum_check_catches_a_missing_event(correct):
    corrupted = correct.filter(pl.col("event_order") != 4)
    (row,) = wpa_sum_violations(corrupted).to_dicts()
    assert row["game_id"] == GAME
    missing = correct.filter(pl.col("event_order") == 4)["home_wpa"].item()
    assert row["wpa"] == pytest.approx(row["expected"] - missing)


def test_wpa_sum_check_catches_a_changed_wpa(correct):
    corrupted = correct.with_columns(home_wpa=pl.when(pl.col("event_order") == 2).then(pl.col("home_wpa") + 0.01).otherwise("home_wpa"))
    assert wpa_sum_violations(corrupted)["game_id"].to_list() == [GAME]


def test_wpa_sum_check_leaves_unfinished_games_alone(correct):
    unfinished = correct.with_columns(game_over=pl.lit(False), home_wpa=pl.col("home_wpa") + 0.01)
    assert wpa_sum_violations(unfinished).is_empty()


def test_the_probabilities_are_not_all_the_same(correct):
    """A guard for the tests above: the model moves with the state, so they compare real numbers."""
    assert np.unique(np.round(correct["home_win_probability"].to_numpy()[:-1], 6)).size >= 3
