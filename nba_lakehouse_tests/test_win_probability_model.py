"""The win probability model (gold/win_probability_model.py): its bundle, training, leakage,
monotonicity and calibration, and the bundled model on the real games the repo holds.

Real data: the 11 bulk 2022-23 games (nba_lakehouse_tests/data/bulk_2022_23, PlayByPlayV3 actions,
no box score; the silver repairs hold back 0022200466's corrupted 4th quarter, as they should) and
the four recorded sample games with their box scores, taken to gold event_state the way the
assets do it. Hand-made arrays for the calibration arithmetic, computed again here by hand.
"""

import datetime as dt
import json

import numpy as np
import polars as pl
import pytest

from nba_lakehouse.gold import win_probability_model as wpm
from nba_lakehouse.gold.event_state import build_event_state
from nba_lakehouse.gold.players_on_court import build_players_on_court
from nba_lakehouse.gold.possessions import build_possessions
from nba_lakehouse.gold.win_probability import build_player_game_wpa, build_win_probability
from nba_lakehouse.gold.win_probability_model import (
    CALIBRATION_SLOPE_RANGE,
    FEATURES,
    MAX_CALIBRATION_GAP,
    MIN_EVENTS_PER_BIN,
    WinProbabilityModel,
    calibration_bins,
    calibration_failures,
    calibration_report,
    event_features,
    game_results,
    pregame_strength,
    train_model,
    training_set,
)
from nba_lakehouse.lake import BUNDLED_WIN_PROBABILITY_MODEL
from nba_lakehouse.schemas import BOX_SCORE_PLAYERS, BOX_SCORE_TEAMS, EVENT_STATE, PLAY_BY_PLAY, PLAYERS_ON_COURT, POSSESSIONS
from nba_lakehouse.silver.games import game_outcomes
from nba_lakehouse.silver.repairs import publishable_play_by_play
from nba_lakehouse_tests.conftest import BULK, SAMPLE_GAMES, bulk_game, load_recorded

WHERE = "/lake/gold/win_probability_model/model.json"


# ------------------------------------------------------------------------ real games
def _gold_event_state(pbp: pl.DataFrame, box_teams: pl.DataFrame, box_players: pl.DataFrame) -> pl.DataFrame:
    """Gold event_state the way the event_state asset builds it from a date's silver tables."""
    sides = game_outcomes(box_teams, pbp)
    possessions = POSSESSIONS.enforce(build_possessions(pbp, sides))
    on_court = PLAYERS_ON_COURT.enforce(build_players_on_court(pbp, box_players, sides))
    return EVENT_STATE.enforce(build_event_state(pbp, sides, possessions, on_court, box_players))


@pytest.fixture(scope="module")
def bulk() -> dict[str, pl.DataFrame]:
    """The bulk games through silver's repairs (V3 envelope of the 0022200552 recording, as
    conftest.add_bulk_game serves them), a day per 8 game numbers so game-id order is date order."""
    envelope = load_recorded(SAMPLE_GAMES["0022200552"][1])
    responses, dates = [], {}
    for path in sorted(BULK.glob("S2223-G*.json.gz")):
        game_id, actions = bulk_game(int(path.name[7:11]))
        responses.append(({**envelope, "game": {**envelope["game"], "gameId": game_id, "actions": actions}}, "v3", game_id))
        dates[game_id] = dt.date(2022, 10, 18) + dt.timedelta(days=int(game_id[-4:]) // 8)
    pbp, held_back, _ = publishable_play_by_play(responses, dates, BOX_SCORE_PLAYERS.empty())
    assert set(held_back["game_id"]) == {"0022200466"}  # its corrupted Q4 (bulk README) is no game to score
    pbp = PLAY_BY_PLAY.enforce(pbp)
    return {"pbp": pbp, "state": _gold_event_state(pbp, BOX_SCORE_TEAMS.empty(), BOX_SCORE_PLAYERS.empty()),
            "box_teams": BOX_SCORE_TEAMS.empty()}


@pytest.fixture(scope="module")
def sample(sample_frames) -> dict[str, pl.DataFrame]:
    pbp, box_teams = sample_frames["play_by_play"], sample_frames["box_score_teams"]
    return {"pbp": pbp, "state": _gold_event_state(pbp, box_teams, sample_frames["box_score_players"]), "box_teams": box_teams}


@pytest.fixture(scope="module")
def model() -> WinProbabilityModel:
    return WinProbabilityModel.from_bytes(BUNDLED_WIN_PROBABILITY_MODEL.read_bytes(), str(BUNDLED_WIN_PROBABILITY_MODEL))


def _pbp_final(pbp: pl.DataFrame) -> pl.DataFrame:
    """Each game's final score as silver play_by_play writes it: the last score it states."""
    return pbp.sort("game_id", "event_order").group_by("game_id").agg(
        pl.col("home_score").drop_nulls().last(), pl.col("away_score").drop_nulls().last(),
    )


@pytest.mark.parametrize("games", ["bulk", "sample"])
def test_the_bundled_model_on_the_real_games(games, request, model):
    frames = request.getfixturevalue(games)
    state = frames["state"]
    wp = build_win_probability(state, pregame_strength(game_results(state)), model, wpm.model_id(model))
    assert wp.height == state.height

    final = _pbp_final(frames["pbp"])
    assert final.height == state["game_id"].n_unique() >= 4
    assert (final["home_score"] != final["away_score"]).all()  # every recorded game was played to the end
    if frames["box_teams"].height:  # the sample games: the box score agrees with the play-by-play
        points = frames["box_teams"].select("game_id", "team_id", "points")
        sides = state.select("game_id", "home_team_id", "away_team_id").unique()
        box = sides.join(points.rename({"team_id": "home_team_id", "points": "box_home"}), on=["game_id", "home_team_id"]).join(
            points.rename({"team_id": "away_team_id", "points": "box_away"}), on=["game_id", "away_team_id"])
        assert box.height == final.height
        agree = final.join(box, on="game_id").select((pl.col("home_score") > pl.col("away_score")) == (pl.col("box_home") > pl.col("box_away")))
        assert agree.to_series().all()

    ordered = wp.sort("game_id", "event_order")
    per_game = ordered.group_by("game_id", maintain_order=True).agg(
        last=pl.col("home_win_probability").last(), opening=pl.col("home_win_probability_before").first(),
        wpa=pl.col("home_wpa").sum(), over=pl.col("game_over").last(), certain=pl.col("home_win_probability").is_in([0.0, 1.0]).sum(),
    ).join(final, on="game_id")
    for row in per_game.iter_rows(named=True):
        won = 1.0 if row["home_score"] > row["away_score"] else 0.0
        assert row["over"] and row["last"] == won, row
        assert row["certain"] == 1, row  # only the last event
        assert row["wpa"] == pytest.approx(won - row["opening"], abs=1e-9), row
        assert 0.0 < row["opening"] < 1.0


def test_a_ten_point_lead_after_three_quarters_is_more_likely_than_not_won(bulk, sample, model):
    """The state entering the 4th quarter is the one after the 3rd period's last event; which games
    had a 10+ lead there is read from the data, and every such leader is the favourite."""
    state = pl.concat([bulk["state"], sample["state"]])
    wp = build_win_probability(state, pregame_strength(game_results(state)), model, wpm.model_id(model))
    start_of_q4 = wp.filter(pl.col("period") == 3).sort("event_order").group_by("game_id").last()
    leaders = start_of_q4.filter(pl.col("point_differential").abs() >= 10)
    assert leaders.height >= 5, start_of_q4.select("game_id", "point_differential")
    for row in leaders.iter_rows(named=True):
        leader_probability = row["home_win_probability"] if row["point_differential"] > 0 else 1 - row["home_win_probability"]
        assert leader_probability > 0.5, row
    # ... and the probability was read where the 4th starts: the next event's before.
    first_q4 = wp.filter(pl.col("period") == 4).sort("event_order").group_by("game_id").first()
    joined = leaders.join(first_q4, on="game_id", suffix="_q4")
    assert (joined["home_win_probability"] == joined["home_win_probability_before_q4"]).all()


def test_every_credited_player_is_on_his_box_score_team(sample, sample_frames, model):
    """On the four sample games (V2, V3 and cdn feeds): acting, assisting, stealing, blocking and
    fouled players are each credited to the team the box score lists them on, and only players
    the box score has are credited."""
    state = sample["state"]
    wp = build_win_probability(state, pregame_strength(game_results(state)), model, wpm.model_id(model))
    credited = build_player_game_wpa(wp, sample["pbp"])
    box = sample_frames["box_score_players"].select("game_id", "player_id", box_team_id="team_id")
    joined = credited.join(box, on=["game_id", "player_id"], how="left")
    assert joined.height > 4 * 16 and set(joined["game_id"]) == set(SAMPLE_GAMES)
    assert joined["box_team_id"].null_count() == 0
    assert (joined["team_id"] == joined["box_team_id"]).all(), joined.filter(pl.col("team_id") != pl.col("box_team_id"))
    # Each role's WPA is the home WPA of the events naming the player, seen from his box-score team.
    events = wp.select("game_id", "event_order", "home_team_id", "home_wpa").join(sample["pbp"], on=["game_id", "event_order"])
    for role, column in (("wpa_assists", "assist_player_id"), ("wpa_steals", "steal_player_id"), ("wpa_blocks", "block_player_id"),
                         ("wpa_fouls_drawn", "foul_drawn_player_id")):
        by_box = events.filter(pl.col(column).is_not_null()).join(box, left_on=["game_id", column], right_on=["game_id", "player_id"]).group_by(
            "game_id", player_id=column).agg(expected=pl.when(pl.col("box_team_id") == pl.col("home_team_id")).then("home_wpa")
                                            .otherwise(-pl.col("home_wpa")).sum())
        assert by_box.height > 10, role  # every kind of credit is exercised
        compared = by_box.join(joined, on=["game_id", "player_id"])
        assert compared.height == by_box.height
        assert compared[role].to_numpy() == pytest.approx(compared["expected"].to_numpy(), abs=1e-12), role


# ---------------------------------------------------------------------- the bundle
def _payload(model: WinProbabilityModel) -> dict:
    return json.loads(model.to_bytes())


def _refusal(payload: dict) -> str:
    with pytest.raises(ValueError) as error:
        WinProbabilityModel.from_bytes(json.dumps(payload).encode(), WHERE)
    message = str(error.value)
    assert WHERE in message and "\n" not in message, message
    return message


def test_the_bundle_round_trips_with_equal_predictions(model, bulk):
    again = WinProbabilityModel.from_bytes(model.to_bytes(), WHERE)
    assert again == model
    features = event_features(bulk["state"], pregame_strength(game_results(bulk["state"])))
    assert np.array_equal(again.predict(features), model.predict(features))
    assert np.array_equal(again.predict_baseline(features), model.predict_baseline(features))


def test_a_changed_lightgbm_model_is_refused(model):
    payload = _payload(model)
    assert "leaf_value=" in payload["lightgbm_model"]
    payload["lightgbm_model"] = payload["lightgbm_model"].replace("leaf_value=", "leaf_value=9", 1)
    assert "sha256" in _refusal(payload)


def test_a_bundle_of_another_format_is_refused(model):
    payload = _payload(model)
    payload["format"] = "nba_lakehouse.win_probability/2"
    assert "'nba_lakehouse.win_probability/2'" in _refusal(payload)


def test_a_model_trained_on_other_features_is_refused(model):
    payload = _payload(model)
    payload["metadata"]["features"] = list(FEATURES[:-1])
    assert "retrain" in _refusal(payload)


def test_a_truncated_or_incomplete_bundle_is_refused(model):
    with pytest.raises(ValueError, match=WHERE) as error:
        WinProbabilityModel.from_bytes(model.to_bytes()[:100], WHERE)
    assert "\n" not in str(error.value)
    payload = _payload(model)
    del payload["platt"]
    assert "platt" in _refusal(payload)


@pytest.mark.parametrize("data", [b"[]", b'"model"'])
def test_a_bundle_that_is_not_a_json_object_is_refused(data):
    with pytest.raises(ValueError, match=WHERE):
        WinProbabilityModel.from_bytes(data, WHERE)


# --------------------------------------------------------------------- training
CUTOFF = dt.date(2022, 12, 18)  # the date the bulk fixture gives 0022200494: a game on the cutoff itself


def _games_before(state: pl.DataFrame, cutoff: dt.date) -> set[str]:
    return set(state.filter(pl.col("game_date") < cutoff)["game_id"])


def test_training_refuses_fewer_games_than_asked(bulk, one_thread):
    games = len(_games_before(bulk["state"], CUTOFF))
    assert games >= 4
    with pytest.raises(ValueError, match=rf"^win probability model: {games} finished games before the cutoff {CUTOFF}, at least {games + 1} are needed"):
        train_model(training_set(bulk["state"], CUTOFF), min_games=games + 1)
    assert train_model(training_set(bulk["state"], CUTOFF), min_games=games).metadata["training_games"] == games


def test_an_unfinished_game_is_neither_trained_on_nor_held_out(bulk):
    """A game whose play-by-play stops after the 3rd quarter has no result yet."""
    state = bulk["state"]
    unfinished = sorted(_games_before(state, CUTOFF))[0]
    cut = state.filter((pl.col("game_id") != unfinished) | (pl.col("period") <= 3))
    data = training_set(cut, CUTOFF)
    assert unfinished not in set(data.train["game_id"]) | set(data.held_out["game_id"])
    assert set(data.train["game_id"]) == _games_before(state, CUTOFF) - {unfinished}
    with pytest.raises(ValueError, match=f"{len(_games_before(state, CUTOFF)) - 1} finished games"):
        train_model(data, min_games=len(_games_before(state, CUTOFF)))


def test_training_on_fewer_games_than_calibration_folds_says_how_many_are_needed(bulk):
    cutoff = dt.date(2022, 11, 12)
    games = len(_games_before(bulk["state"], cutoff))
    assert games < wpm.CALIBRATION_FOLDS
    with pytest.raises(ValueError, match=f"{games} finished games before the cutoff {cutoff}"):
        train_model(training_set(bulk["state"], cutoff), min_games=1)


def test_training_splits_at_the_cutoff_and_nothing_later_leaks_in(bulk):
    state = bulk["state"]
    data = training_set(state, CUTOFF)
    train, held = set(data.train["game_id"]), set(data.held_out["game_id"])
    assert train == _games_before(state, CUTOFF) and train
    assert held == set(state["game_id"]) - train and held
    assert not train & held
    assert state.filter(pl.col("game_date") == CUTOFF)["game_id"].n_unique() == 1  # the boundary is exercised: held out
    assert data.train["game_date"].max() < CUTOFF <= data.held_out["game_date"].min()
    # The training rows, features and labels, are the same when the later games do not exist.
    alone = training_set(state.filter(pl.col("game_date") < CUTOFF), CUTOFF)
    assert alone.held_out.is_empty()
    key = ["game_id", "event_order"]
    assert alone.train.sort(key).equals(data.train.sort(key))


def test_the_label_is_the_home_teams_result(bulk):
    data = training_set(bulk["state"], CUTOFF)
    labels = pl.concat([data.train, data.held_out]).group_by("game_id").agg(pl.col("label").unique())
    final = _pbp_final(bulk["pbp"])
    joined = labels.join(final, on="game_id")
    assert joined.height == final.height
    for row in joined.iter_rows(named=True):
        assert row["label"] == [1.0 if row["home_score"] > row["away_score"] else 0.0]


@pytest.fixture
def small_leaves(monkeypatch):
    """Leaves of 100 events, so the few bulk games grow real trees (5000 would leave them stumps)."""
    monkeypatch.setitem(wpm.LIGHTGBM_PARAMS, "min_data_in_leaf", 100)


@pytest.fixture
def one_thread(monkeypatch):
    """LightGBM's OpenMP threads slow training twentyfold on a busy machine; one thread is quick."""
    monkeypatch.setitem(wpm.LIGHTGBM_PARAMS, "num_threads", 1)


def _splits(model: WinProbabilityModel) -> int:
    return sum(tree["num_leaves"] - 1 for tree in model.booster().dump_model()["tree_info"])


@pytest.mark.slow  # trained as the asset trains, on every core: seconds, or tens of them on a busy machine
def test_training_is_deterministic(bulk, small_leaves):
    data = training_set(bulk["state"], dt.date(2023, 2, 1))
    first, second = train_model(data, min_games=4), train_model(data, min_games=4)
    assert _splits(first) > 100  # real trees, not a constant
    assert first.metadata["lightgbm_model_sha256"] == second.metadata["lightgbm_model_sha256"]
    assert first.to_bytes() == second.to_bytes()


# ------------------------------------------------------------------- monotonicity
TIMES = [(1, 720.0), (2, 400.0), (3, 100.0), (4, 600.0), (4, 120.0), (4, 30.0), (4, 4.0), (5, 60.0)]
MARGINS = list(range(-30, 31))
STRENGTHS = [(0.0, 0.0), (4.0, -3.0), (-5.0, 2.0)]


def _grid_state(next_side: int | None = None) -> tuple[pl.DataFrame, pl.DataFrame]:
    """One game per (time, strengths, margin): the state, then an event of ``next_side``'s ball."""
    rows, strength = [], []
    for t, (period, clock) in enumerate(TIMES):
        for s, (home, away) in enumerate(STRENGTHS):
            for margin in MARGINS:
                game = f"g{t}-{s}-{margin}"
                strength.append({"game_id": game, "home_strength": home, "away_strength": away})
                for order, side in ((1, None), (2, next_side)):
                    rows.append({
                        "season": "2022-23", "game_date": dt.date(2022, 12, 1), "game_id": game, "event_order": order, "period": period,
                        "event_type": "made_shot", "seconds_remaining_period": clock,
                        "seconds_remaining_game": clock + max(0, 4 - period) * 720.0, "point_differential": margin,
                        "possession_side": side,
                    })
    return EVENT_STATE.cast(pl.DataFrame(rows, infer_schema_length=None)), pl.DataFrame(strength)


def _grid_probability(model: WinProbabilityModel, next_side: int | None = None) -> np.ndarray:
    """Probabilities after the grid's states, shaped (time, strengths, margin)."""
    state, strength = _grid_state(next_side)
    grid_order = strength.select("game_id").with_row_index("cell")  # built time-major, then strengths, then margin
    features = event_features(state, strength).filter(pl.col("event_order") == 1).join(grid_order, on="game_id").sort("cell")
    return model.predict(features).reshape(len(TIMES), len(STRENGTHS), len(MARGINS))


def test_a_bigger_lead_never_lowers_the_probability(model):
    probability = _grid_probability(model)
    assert (np.diff(probability, axis=2) >= 0).all()
    assert (probability[..., -1] > probability[..., 0]).all()  # and the lead matters everywhere


def test_a_model_trained_here_is_monotone_in_the_lead_too(bulk, small_leaves, one_thread):
    trained = train_model(training_set(bulk["state"], dt.date(2023, 2, 1)), min_games=4)
    assert (np.diff(_grid_probability(trained), axis=2) >= 0).all()


def test_the_ball_never_lowers_the_probability_and_matters_when_it_is_close_and_late(model):
    home, nobody, away = (_grid_probability(model, side) for side in (0, None, 1))
    assert (home >= nobody).all() and (nobody >= away).all()
    late, tied = TIMES.index((4, 30.0)), MARGINS.index(0)
    assert home[late, 0, tied] > away[late, 0, tied]


def test_a_stronger_home_team_is_favoured_at_tip_off(model):
    probability = _grid_probability(model)
    first, tied = TIMES.index((1, 720.0)), MARGINS.index(0)
    # STRENGTHS: even, home +4 / away -3, home -5 / away +2
    assert probability[first, 1, tied] > probability[first, 0, tied] > probability[first, 2, tied]


# --------------------------------------------------------------------- calibration
def _arrays(groups: list[tuple[float, int, int]]) -> tuple[np.ndarray, np.ndarray]:
    """(probability, events, home wins) groups to flat probability and outcome arrays."""
    probability = np.concatenate([np.full(n, p) for p, n, _ in groups])
    outcome = np.concatenate([np.r_[np.ones(wins), np.zeros(n - wins)] for _, n, wins in groups])
    return probability, outcome


# Three deciles with enough events (0.2-0.3, 0.5-0.6, 0.7-0.8) and one without (0.9-1.0).
GROUPS = [(0.25, 600, 165), (0.52, 700, 371), (0.75, 800, 560), (0.95, 100, 100)]


def _by_hand(probability: np.ndarray, outcome: np.ndarray) -> dict:
    decile = np.minimum(np.floor(probability * 10), 9).astype(int)
    bins = {}
    for d in np.unique(decile):
        mask = decile == d
        bins[int(d)] = (int(mask.sum()), probability[mask].mean(), outcome[mask].mean())
    judged = {d: v for d, v in bins.items() if v[0] >= MIN_EVENTS_PER_BIN}
    n, x, y = (np.array([v[i] for v in judged.values()]) for i in range(3))
    slope = np.polyfit(x, y, 1, w=np.sqrt(n))[0]  # weighted least squares: polyfit weighs residuals by w
    return {"bins": bins, "judged": judged, "max_gap": max(abs(v[2] - v[1]) for v in judged.values()), "slope": slope,
            "brier": np.mean((probability - outcome) ** 2)}


def test_calibration_bins_count_average_and_compare_each_decile():
    probability, outcome = _arrays(GROUPS)
    hand = _by_hand(probability, outcome)
    bins = calibration_bins(probability, outcome)
    assert bins["bin"].to_list() == sorted(hand["bins"])
    for row in bins.iter_rows(named=True):
        events, predicted, observed = hand["bins"][row["bin"]]
        assert row["events"] == events
        assert row["predicted"] == pytest.approx(predicted) and row["observed"] == pytest.approx(observed)
        assert row["gap"] == pytest.approx(abs(observed - predicted))
        assert row["enough_events"] == (events >= MIN_EVENTS_PER_BIN)


def test_a_probability_of_one_is_in_the_top_decile():
    bins = calibration_bins(np.array([1.0, 0.95, 0.0]), np.array([1.0, 1.0, 0.0]))
    assert dict(zip(bins["bin"].to_list(), bins["events"].to_list(), strict=True)) == {9: 2, 0: 1}


class _Fixed:
    """A stand-in model whose predictions are the hand-made arrays."""

    def __init__(self, probability: np.ndarray, baseline: np.ndarray) -> None:
        self.probability, self.baseline = probability, baseline

    def predict(self, features):
        return self.probability

    def predict_baseline(self, features):
        return self.baseline


def _held_out(outcome: np.ndarray, events_per_game: int = 5) -> pl.DataFrame:
    return pl.DataFrame({"game_id": [f"g{i // events_per_game}" for i in range(len(outcome))], "label": outcome})


def test_calibration_report_gap_slope_and_brier_are_those_computed_by_hand():
    probability, outcome = _arrays(GROUPS)
    hand = _by_hand(probability, outcome)
    report = calibration_report(_Fixed(probability, np.full(len(outcome), 0.5)), _held_out(outcome))
    assert report["bins_judged"] == len(hand["judged"]) == 3
    assert report["held_out_events"] == len(outcome) and report["held_out_games"] == len(set(_held_out(outcome)["game_id"]))
    assert report["max_gap"] == pytest.approx(hand["max_gap"])
    assert report["slope"] == pytest.approx(hand["slope"])
    assert report["brier"] == pytest.approx(hand["brier"])
    assert report["baseline_brier"] == pytest.approx(0.25)
    # The gates, judged by hand: this model's deciles are off by up to 0.05 and its slope is about 0.85.
    low, high = CALIBRATION_SLOPE_RANGE
    expected = []
    if hand["max_gap"] > MAX_CALIBRATION_GAP:
        expected.append("max decile gap")
    if not low <= hand["slope"] <= high:
        expected.append("calibration slope")
    if not hand["brier"] < 0.25:
        expected.append("Brier score")
    assert expected == ["max decile gap", "calibration slope"]
    assert [next(gate for gate in expected if line.startswith(gate)) for line in report["failures"]] == expected
    assert f"{hand['max_gap']:.4f}" in report["failures"][0] and f"{hand['slope']:.4f}" in report["failures"][1]
    assert report["failures"] == calibration_failures(report)


def test_a_calibrated_model_that_beats_the_baseline_has_no_failures():
    groups = [(0.25, 1000, 250), (0.5, 1000, 500), (0.75, 1000, 750)]
    probability, outcome = _arrays(groups)
    report = calibration_report(_Fixed(probability, np.full(len(outcome), 0.5)), _held_out(outcome))
    assert report["max_gap"] == pytest.approx(0.0, abs=1e-12) and report["slope"] == pytest.approx(1.0)
    assert report["failures"] == []
    worse = calibration_report(_Fixed(probability, probability), _held_out(outcome))  # the baseline is as good
    assert [f.split()[0] for f in worse["failures"]] == ["Brier"]


def test_too_few_held_out_games_are_not_judged():
    """Deciles with events enough but from 99 games: one failure saying so, no gate judged."""
    probability, outcome = _arrays(GROUPS)
    games = wpm.MIN_HELD_OUT_GAMES - 1
    held_out = pl.DataFrame({"game_id": [f"g{i % games}" for i in range(len(outcome))], "label": outcome})
    report = calibration_report(_Fixed(probability, np.full(len(outcome), 0.5)), held_out)
    assert report["held_out_games"] == games and report["bins_judged"] == 3
    assert report["failures"] == [f"only {games} held-out games, too few to judge calibration (at least {wpm.MIN_HELD_OUT_GAMES})"]


def test_too_few_held_out_events_is_its_own_failure():
    probability, outcome = _arrays([(0.25, MIN_EVENTS_PER_BIN - 1, 100), (0.75, MIN_EVENTS_PER_BIN, 375)])
    report = calibration_report(_Fixed(probability, np.full(len(outcome), 0.5)), _held_out(outcome))
    assert report["bins_judged"] == 1
    assert report["failures"] == [f"only 1 probability deciles hold {MIN_EVENTS_PER_BIN}+ held-out events"]


def test_no_held_out_event_is_reported_not_raised(model, bulk):
    held_out = training_set(bulk["state"], dt.date(2030, 1, 1)).held_out
    assert held_out.is_empty()
    report = calibration_report(model, held_out)
    assert report["bins_judged"] == 0 and report["failures"] == ["only 0 held-out games, too few to judge calibration (at least 100)"]
