"""The win probability assets through Dagster (dagster.materialize) on temporary lakes.

One lake is built for the module from the replay recordings: the sample date 2023-01-02 (game
0022200552, with its box score) and six real bulk 2022-23 games served on two earlier dates with
conftest.add_bulk_game (their actions unchanged; they have no box score). Every test works on its
own copy of that lake.
"""

import hashlib
import json
import shutil

import dagster as dg
import polars as pl
import pytest

from nba_lakehouse.definitions import all_assets, all_checks, per_game_date
from nba_lakehouse.lake import BUNDLED_WIN_PROBABILITY_MODEL, Lake
from nba_lakehouse.resources import build_resources
from nba_lakehouse.schemas import BOX_SCORE_PLAYERS, EVENT_STATE, PLAY_BY_PLAY, PLAYER_GAME_WPA, WIN_PROBABILITY
from nba_lakehouse_tests.conftest import REPLAY, add_bulk_game

pytestmark = pytest.mark.slow  # whole game dates materialized

ASSETS = [*all_assets, *all_checks]
SAMPLE_DATE, SAMPLE_GAME = "2023-01-02", "0022200552"
BULK_DATES = {"2022-12-20": [1, 134, 193, 256], "2022-12-21": [313, 494]}
DATES = [*BULK_DATES, SAMPLE_DATE]
MODEL = dg.AssetSelection.assets("win_probability_model")


def _run(lake_root, replay, selection, partition_key=None, run_config=None, instance=None) -> dg.ExecuteInProcessResult:
    resources = build_resources(lake_root=str(lake_root), mode="replay", replay_dir=str(replay))
    return dg.materialize(ASSETS, selection=selection, partition_key=partition_key, resources=resources, run_config=run_config,
                          instance=instance, raise_on_error=False)


def _model_config(**config) -> dict:
    return {"ops": {"win_probability_model": {"config": config}}}


def _materialized(result) -> set[str]:
    return {e.asset_key.to_user_string() for e in result.get_asset_materialization_events()}


def _checks(result) -> dict[str, dg.AssetCheckEvaluation]:
    return {e.check_name: e for e in result.get_asset_check_evaluations()}


def _failure(result) -> str:
    (failure,) = [e for e in result.all_events if e.is_step_failure]
    return failure.step_failure_data.user_failure_data.description


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """The module's lake, every date through the per-game-date job, with no model: (folder, replay, logs of each date's run)."""
    base = tmp_path_factory.mktemp("wp_lake")
    replay = base / "replay"
    shutil.copytree(REPLAY, replay)
    for date, numbers in BULK_DATES.items():
        for number in numbers:
            add_bulk_game(replay, number, date)
    runs = {}
    for date in DATES:
        with dg.instance_for_test() as instance:
            result = _run(base / "lake", replay, per_game_date, date, instance=instance)
            logs = [entry.user_message for entry in instance.all_logs(result.run_id)]
        runs[date] = (result, logs)
    return base, replay, runs


@pytest.fixture
def lake(built, tmp_path):
    """A copy of the module's lake for one test: (Lake, its folder, the replay)."""
    base, replay, _ = built
    shutil.copytree(base / "lake", tmp_path / "lake")
    return Lake(str(tmp_path / "lake")), tmp_path / "lake", replay


def test_without_a_model_win_probability_materializes_nothing_and_the_run_goes_on(built):
    base, _, runs = built
    store = Lake(str(base / "lake"))
    for date, (result, logs) in runs.items():
        assert result.success, date
        materialized = _materialized(result)
        assert "event_state" in materialized and "win_probability" not in materialized, (date, materialized)
        assert any("no win probability model at" in message for message in logs), date
    assert not store.exists(store.model_path("win_probability_model"))
    assert store.read_table(WIN_PROBABILITY).is_empty()
    assert store.read_table(EVENT_STATE)["game_id"].n_unique() == 1 + sum(len(n) for n in BULK_DATES.values())


def _publish_bundled(root, replay) -> None:
    """The bundled model into the lake (its calibration check is the next test's)."""
    result = _run(root, replay, MODEL.without_checks(), run_config=_model_config(bundled=True))
    assert result.success and _materialized(result) == {"win_probability_model"}


def test_the_bundled_model_scores_the_sample_date(lake):
    store, root, replay = lake
    _publish_bundled(root, replay)
    published = json.loads(store.read_bytes(store.model_path("win_probability_model")))
    assert published == json.loads(BUNDLED_WIN_PROBABILITY_MODEL.read_bytes())

    result = _run(root, replay, dg.AssetSelection.assets("win_probability"), SAMPLE_DATE)
    assert result.success and _materialized(result) == {"win_probability"}
    checks = _checks(result)
    assert {"certain_only_when_over", "wpa_sums_to_result_minus_opening"} <= set(checks)
    assert all(e.passed for e in checks.values()), {n: e.description for n, e in checks.items()}

    rows = store.read_table(WIN_PROBABILITY, game_dates=[SAMPLE_DATE])
    events = store.read_table(EVENT_STATE, game_dates=[SAMPLE_DATE])
    assert rows.height == events.height > 0
    assert rows.select("game_id", "event_order").sort("event_order").equals(events.select("game_id", "event_order").sort("event_order"))
    (model_id,) = rows["model_id"].unique().to_list()
    sha = hashlib.sha256(published["lightgbm_model"].encode()).hexdigest()
    assert published["metadata"]["cutoff_date"] in model_id and sha[:12] in model_id
    # Only the scored date: the other dates were not asked for.
    assert set(store.read_table(WIN_PROBABILITY)["game_id"]) == {SAMPLE_GAME}


def test_player_game_wpa_credits_the_top_scorer_of_a_win(lake):
    """Donovan Mitchell's 71 points won 0022200552 in overtime: whoever the box score's top
    scorer is, on the winning side, his own events added win probability for his team."""
    store, root, replay = lake
    _publish_bundled(root, replay)
    assert _run(root, replay, dg.AssetSelection.assets("win_probability"), SAMPLE_DATE).success
    result = _run(root, replay, dg.AssetSelection.assets("player_game_wpa"), "2022-23")
    assert result.success and _materialized(result) == {"player_game_wpa"}

    box = store.read_table(BOX_SCORE_PLAYERS, game_dates=[SAMPLE_DATE])
    top = box.sort("points", descending=True).row(0, named=True)
    assert "Mitchell" in top["player_name"]
    final = store.read_table(WIN_PROBABILITY, game_dates=[SAMPLE_DATE]).sort("event_order").row(-1, named=True)
    winner = final["home_team_id"] if final["home_score"] > final["away_score"] else final["away_team_id"]
    assert top["team_id"] == winner

    wpa = store.read_table(PLAYER_GAME_WPA, seasons=["2022-23"])
    row = wpa.filter((pl.col("game_id") == SAMPLE_GAME) & (pl.col("player_id") == top["player_id"])).row(0, named=True)
    assert row["team_id"] == top["team_id"] and row["wpa"] > 0
    pbp = store.read_table(PLAY_BY_PLAY, game_dates=[SAMPLE_DATE])
    acted = pbp.filter((pl.col("player_id") == top["player_id"]) & (pl.col("event_type") != "substitution"))
    assert row["events"] == acted.height > 0
    # Every player of the table played in the game (the box score says so).
    played = set(box.filter("played")["player_id"])
    assert set(wpa.filter(pl.col("game_id") == SAMPLE_GAME)["player_id"]) <= played


def test_training_on_too_few_games_fails_saying_how_many_are_needed(lake):
    store, root, replay = lake
    result = _run(root, replay, MODEL)
    assert not result.success
    message = _failure(result)
    assert "finished games before the cutoff" in message and "at least 200 are needed" in message
    assert not store.exists(store.model_path("win_probability_model"))


def test_a_model_trained_on_the_lake_with_few_held_out_events_is_only_warned_about(lake):
    store, root, replay = lake
    cutoff = "2022-12-21"
    result = _run(root, replay, MODEL, run_config=_model_config(min_training_games=1, cutoff_date=cutoff))
    assert result.success and _materialized(result) == {"win_probability_model"}
    model = json.loads(store.read_bytes(store.model_path("win_probability_model")))
    events = store.read_table(EVENT_STATE)
    before = events.filter(pl.col("game_date").cast(pl.String) < cutoff)
    assert model["metadata"]["cutoff_date"] == cutoff
    assert model["metadata"]["training_games"] == before["game_id"].n_unique() == len(BULK_DATES["2022-12-20"])
    assert model["metadata"]["held_out_events"] == events.height - before.height

    check = _checks(result)["calibrated_on_held_out_games"]
    assert not check.passed and check.severity == dg.AssetCheckSeverity.WARN
    assert "too few to judge calibration" in check.description

    # ... and the date is scored with it.
    scored = _run(root, replay, dg.AssetSelection.assets("win_probability"), SAMPLE_DATE)
    assert scored.success
    assert all(e.passed for e in _checks(scored).values())
    (model_id,) = store.read_table(WIN_PROBABILITY, game_dates=[SAMPLE_DATE])["model_id"].unique().to_list()
    assert cutoff in model_id


def test_the_bundled_model_on_a_lake_with_no_later_game_is_only_warned_about(lake):
    store, root, replay = lake
    assert store.read_table(EVENT_STATE)["game_date"].max().isoformat() < "2023-01-30"
    result = _run(root, replay, MODEL, run_config=_model_config(bundled=True))
    assert result.success
    check = _checks(result)["calibrated_on_held_out_games"]
    assert not check.passed and check.severity == dg.AssetCheckSeverity.WARN
