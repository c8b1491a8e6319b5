"""Running by itself: the new-games sensor over a changing scoreboard, schedules, declarative automation.

The changing scoreboard is built from the real ScoreboardV3 of 2025-11-05 (11 final games): before
tip-off every game is shown scheduled with no score; in progress a game shows its real score after
two periods (the sum of its recorded period scores); final is the recording itself. Each tick of the
scenario is a replay folder, read through the same client as live mode.
"""

import copy
import datetime as dt
import json

import dagster as dg
import polars as pl
import pytest

from nba_lakehouse.automation.new_games import NewGamesCursor, plan
from nba_lakehouse.automation.schedules import SEASON_SOURCES, season_refresh_request
from nba_lakehouse.automation.sensors import bronze_per_date, build_new_games_sensor
from nba_lakehouse.definitions import all_assets, all_checks, defs, per_game_date
from nba_lakehouse.lake import Lake
from nba_lakehouse.resources import LakeResource, build_resources
from nba_lakehouse.schemas import PLAY_BY_PLAY
from nba_lakehouse.sources.client import NBAClient
from nba_lakehouse_tests.conftest import (
    load_recorded,
    replay_with_a_lowered_score,
)
from nba_lakehouse_tests.service_postgres import postgres_home, postgres_server  # noqa: F401

BOARD_DATE = dt.date(2025, 11, 5)
BOARD_FILE = f"stats/scoreboardv3/GameDate={BOARD_DATE.isoformat()}.json"


def _stage(game: dict, stage: str) -> dict:
    """One recorded final game as the scoreboard showed it earlier that night."""
    if stage == "final":
        return game
    shown = copy.deepcopy(game)
    through = 0 if stage == "scheduled" else 2
    shown["gameStatus"] = 1 if stage == "scheduled" else 2
    shown["gameStatusText"] = "scheduled" if stage == "scheduled" else "Half"
    shown["period"] = through
    for side in ("homeTeam", "awayTeam"):
        team = shown[side]
        team["score"] = sum(p["score"] for p in team["periods"] if p["period"] <= through)
        for p in team["periods"]:
            if p["period"] > through:
                p["score"] = 0
    return shown


def _write_tick(root, stages: dict[str, str]):
    """A replay folder whose scoreboard shows each game at its stage."""
    payload = load_recorded(BOARD_FILE)
    board = copy.deepcopy(payload)
    board["scoreboard"]["games"] = [_stage(g, stages[g["gameId"]]) for g in payload["scoreboard"]["games"]]
    path = root / BOARD_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(board))
    return root


@pytest.fixture()
def scenario(tmp_path):
    games = [g["gameId"] for g in load_recorded(BOARD_FILE)["scoreboard"]["games"]]
    early, late = games[: len(games) // 2], games[len(games) // 2:]
    ticks = [
        {g: "scheduled" for g in games},
        {**{g: "in_progress" for g in early}, **{g: "scheduled" for g in late}},
        {**{g: "final" for g in early}, **{g: "in_progress" for g in late}},
        {**{g: "final" for g in early}, **{g: "in_progress" for g in late}},  # nothing changed
        {g: "final" for g in games},
    ]
    return games, early, late, [_write_tick(tmp_path / f"tick{i}", stages) for i, stages in enumerate(ticks)]


def _tick(replay_dir, lake_root, cursor, today):
    sensor = build_new_games_sensor(bronze_per_date(all_assets), today=lambda: today)
    with dg.instance_for_test() as instance:
        context = dg.build_sensor_context(
            instance=instance, cursor=cursor,
            resources={"nba": NBAClient(mode="replay", replay_dir=str(replay_dir)), "lake": LakeResource(root=str(lake_root))},
        )
        result = sensor(context)
    return result.run_requests or [], result.cursor


def test_sensor_requests_each_game_once_when_it_turns_final(scenario, tmp_path):
    games, early, late, ticks = scenario
    cursor = NewGamesCursor(BOARD_DATE - dt.timedelta(days=1)).dumps()  # running until the day before
    seen = []
    for tick in ticks:
        requests, cursor = _tick(tick, tmp_path / "lake", cursor, today=BOARD_DATE)
        seen.append(requests)
    assert [len(r) for r in seen] == [0, 0, 1, 0, 1]
    first, second = seen[2][0], seen[4][0]
    assert first.partition_key == second.partition_key == BOARD_DATE.isoformat()
    assert first.tags["nba_lakehouse/games"].split(",") == sorted(early)
    assert second.tags["nba_lakehouse/games"].split(",") == sorted(late)
    assert first.run_key != second.run_key
    # Today's slate can still grow, so the watermark waits; every game is remembered meanwhile.
    state = json.loads(cursor)
    assert state["watermark"] == (BOARD_DATE - dt.timedelta(days=1)).isoformat()
    assert set(state["picked"]) == set(games)
    # The next morning the date is settled: the watermark passes it and forgets its games.
    requests, cursor = _tick(ticks[-1], tmp_path / "lake", cursor, today=BOARD_DATE + dt.timedelta(days=1))
    assert requests == []
    assert json.loads(cursor) == {"watermark": BOARD_DATE.isoformat(), "picked": {}}


def test_a_date_whose_scoreboard_cannot_be_read_is_never_skipped(scenario, tmp_path):
    """No scoreboard is recorded for 2025-11-04: the sensor stops there and does not jump ahead."""
    *_, ticks = scenario
    start = NewGamesCursor(BOARD_DATE - dt.timedelta(days=2)).dumps()
    requests, cursor = _tick(ticks[-1], tmp_path / "lake", start, today=BOARD_DATE)
    assert requests == [] and json.loads(cursor)["watermark"] == (BOARD_DATE - dt.timedelta(days=2)).isoformat()


def test_games_already_in_bronze_are_not_requested_again():
    board = {BOARD_DATE: {"0022500001": 3, "0022500002": 3, "0022500003": 2}}
    plans, cursor = plan(NewGamesCursor(BOARD_DATE - dt.timedelta(days=1)), board, {"0022500001"}, BOARD_DATE)
    assert [p.new_final_games for p in plans] == [["0022500002"]]
    assert "0022500001" not in cursor.picked  # archived games need no memory: bronze remembers them


def test_a_damaged_cursor_is_refused_with_what_to_do():
    with pytest.raises(ValueError, match="reset the cursor"):
        NewGamesCursor.loads("{not json", BOARD_DATE)


def test_daily_schedule_refreshes_the_current_season():
    scheduled = dt.datetime(2026, 1, 15, 10, tzinfo=dt.UTC)
    request = season_refresh_request(scheduled)
    assert request.partition_key == "2025-26"
    job = defs.resolve_job_def("season_job")
    dg.validate_run_config(job, request.run_config)  # raises if the job refuses the config (it returns it, always truthy)
    assert {k for k, v in request.run_config["ops"].items() if v["config"]["refresh"]} == set(SEASON_SOURCES)
    october = season_refresh_request(dt.datetime(2026, 10, 30, 10, tzinfo=dt.UTC))
    assert october.partition_key == "2026-27"


def test_sensor_schedules_and_automation_are_defined_and_on():
    repo = defs.get_repository_def()
    sensors = {s.name: s for s in repo.sensor_defs}
    assert {"new_final_games", "lakehouse_automation"} <= set(sensors)
    assert all(s.default_status == dg.DefaultSensorStatus.RUNNING for s in sensors.values())
    assert {s.name for s in repo.schedule_defs} == {"refresh_current_season", "refresh_reference_tables", "check_gold_freshness"}
    graph = defs.resolve_asset_graph()
    for key in ("play_by_play", "box_score_players", "shots", "event_state"):
        assert graph.get(dg.AssetKey(key)).automation_condition is not None, key
    freshness_checked = {key.asset_key.path[-1] for key in graph.asset_check_keys if key.name == "built_after_recent_games"}
    assert {"event_state", "starter_splits"} <= freshness_checked


def _requested(result, key: str) -> set[str]:
    return set(result.get_requested_partitions(dg.AssetKey(key)))


def _instance(store: str, request):
    """An ephemeral sqlite instance, or dagster.postgres.yaml's on the session's PostgreSQL."""
    if store == "postgres":
        return dg.DagsterInstance.from_config(str(request.getfixturevalue("postgres_home")))
    return dg.instance_for_test()


@pytest.mark.parametrize("store", ["sqlite", "postgres"])
def test_silver_and_gold_follow_bronze_once_checks_pass(tmp_path, store, request):
    date = "2023-01-02"
    resources = build_resources(lake_root=str(tmp_path / "lake"), mode="replay")
    bronze = bronze_per_date(all_assets)
    silver = dg.AssetSelection.assets("play_by_play", "box_score_players", "box_score_teams")
    lineups = dg.AssetSelection.assets("players_on_court", "possessions")
    watched = silver | lineups | dg.AssetSelection.assets("event_state")
    with _instance(store, request) as instance:
        # The automation sensor reacts to what happened since its previous tick.
        baseline = dg.evaluate_automation_conditions(defs=defs, instance=instance, asset_selection=watched)
        assert baseline.total_requested == 0
        dg.materialize([*all_assets, *all_checks], selection=bronze, partition_key=date, resources=resources, instance=instance)
        first = dg.evaluate_automation_conditions(defs=defs, instance=instance, asset_selection=watched, cursor=baseline.cursor)
        assert date in _requested(first, "box_score_teams")
        # play_by_play resolves V3's names through the box score, so it waits for box_score_players.
        assert _requested(first, "play_by_play") == set()
        assert _requested(first, "event_state") == set()  # its inputs are not there yet
        dg.materialize([*all_assets, *all_checks], selection=silver, partition_key=date, resources=resources, instance=instance)
        second = dg.evaluate_automation_conditions(defs=defs, instance=instance, asset_selection=watched, cursor=first.cursor)
        assert _requested(second, "players_on_court") == {date} and _requested(second, "possessions") == {date}
        assert _requested(second, "event_state") == set()  # it reads the lineups and possessions too
        assert _requested(second, "play_by_play") == set()  # already up to date
        dg.materialize([*all_assets, *all_checks], selection=lineups, partition_key=date, resources=resources, instance=instance)
        third = dg.evaluate_automation_conditions(defs=defs, instance=instance, asset_selection=watched, cursor=second.cursor)
        assert _requested(third, "event_state") == {date}


def test_gold_follows_silver_that_held_a_bad_game_back(tmp_path):
    """A copy of the real V3 play-by-play with the home score lowered from mid-Q2 on: the game is
    held back (a non-blocking check names it), nothing published breaks a rule, so event_state of
    the date is still requested: one bad game never blocks the others."""
    date = "2023-01-02"
    replay = replay_with_a_lowered_score(tmp_path)
    resources = build_resources(lake_root=str(tmp_path / "lake"), mode="replay", replay_dir=str(replay))
    silver = dg.AssetSelection.assets("play_by_play", "box_score_players", "box_score_teams")
    lineups = dg.AssetSelection.assets("players_on_court", "possessions")
    gold = dg.AssetSelection.assets("event_state")
    with dg.instance_for_test() as instance:
        baseline = dg.evaluate_automation_conditions(defs=defs, instance=instance, asset_selection=gold)
        result = dg.materialize(
            [*all_assets, *all_checks], selection=bronze_per_date(all_assets) | silver | lineups, partition_key=date,
            resources=resources, instance=instance,
        )
        failed = {(e.asset_key.to_user_string(), e.check_name) for e in result.get_asset_check_evaluations() if not e.passed}
        assert failed == {("play_by_play", "games_held_back")}
        evaluation = dg.evaluate_automation_conditions(defs=defs, instance=instance, asset_selection=gold, cursor=baseline.cursor)
        assert _requested(evaluation, "event_state") == {date}


def test_gold_does_not_follow_silver_whose_blocking_check_failed(tmp_path):
    """A published game that breaks an invariant is a bug and blocks: the real play-by-play of
    2023-01-02 as silver wrote it, then its home score lowered from mid-Q2 on in the Parquet
    itself (bypassing the asset's rules), fails scores_never_decrease and holds event_state."""
    date = "2023-01-02"
    lake_root = tmp_path / "lake"
    resources = build_resources(lake_root=str(lake_root), mode="replay")
    silver = dg.AssetSelection.assets("play_by_play", "box_score_players", "box_score_teams")
    lineups = dg.AssetSelection.assets("players_on_court", "possessions")
    gold = dg.AssetSelection.assets("event_state")
    with dg.instance_for_test() as instance:
        baseline = dg.evaluate_automation_conditions(defs=defs, instance=instance, asset_selection=gold)
        assets = [*all_assets, *all_checks]
        dg.materialize(assets, selection=bronze_per_date(all_assets) | silver | lineups, partition_key=date,
                       resources=resources, instance=instance)
        store = Lake(str(lake_root))
        pbp = store.read_table(PLAY_BY_PLAY, game_dates=[dt.date.fromisoformat(date)])
        from_row = pbp.filter((pl.col("period") == 2) & pl.col("home_score").is_not_null())["event_order"][0]
        lowered = pbp.with_columns(
            home_score=pl.when(pl.col("event_order") >= from_row).then(pl.col("home_score") - 10).otherwise("home_score")
        )
        store.write_table(PLAY_BY_PLAY, lowered, dates=[dt.date.fromisoformat(date)])
        audit = dg.define_asset_job("audit_play_by_play", selection=dg.AssetSelection.checks_for_assets("play_by_play"))
        job = dg.Definitions(assets=all_assets, asset_checks=all_checks, jobs=[audit], resources=resources).resolve_job_def(audit.name)
        # A checks-only job cannot take partition_key (Dagster finds no asset to take its partitions
        # from); the partition tag is what partition_key would set.
        result = job.execute_in_process(tags={"dagster/partition": date}, instance=instance, raise_on_error=False)
        failed = {e.check_name for e in result.get_asset_check_evaluations() if not e.passed}
        assert failed == {"scores_never_decrease"}
        evaluation = dg.evaluate_automation_conditions(defs=defs, instance=instance, asset_selection=gold, cursor=baseline.cursor)
        assert _requested(evaluation, "event_state") == set()
    assert per_game_date  # the job a user runs by hand still covers the whole date

def test_a_postponed_game_does_not_hold_the_watermark_for_good():
    """A game still scheduled days after its date was postponed; later dates must be polled."""
    day = BOARD_DATE - dt.timedelta(days=10)
    board = {day: {"0022500001": 3, "0022500002": 1}}
    cursor = NewGamesCursor(day - dt.timedelta(days=1))
    _, soon = plan(cursor, board, set(), day + dt.timedelta(days=1))
    assert soon.watermark == cursor.watermark  # the next morning it may still be played late
    _, later = plan(cursor, board, set(), BOARD_DATE)
    assert later.watermark == day
