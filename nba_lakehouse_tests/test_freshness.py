"""Gold freshness per partition, in season only: one small test per rule, then the check on the real
2023-24 schedule through Dagster."""

import datetime as dt
import json

import dagster as dg
import polars as pl
import pytest

from nba_lakehouse.automation import freshness
from nba_lakehouse.definitions import defs
from nba_lakehouse.gold import assets as gold_assets
from nba_lakehouse.gold import checks as gold_checks
from nba_lakehouse.lake import Lake
from nba_lakehouse.resources import LakeResource
from nba_lakehouse.schemas import SCHEDULE
from nba_lakehouse.silver.schedule import schedule_from_payload
from nba_lakehouse_tests.conftest import REPLAY

UTC = dt.UTC
GAME_DATE = dt.date(2024, 1, 10)


def _dates(*dates: dt.date, season: str = "2023-24") -> pl.DataFrame:
    return pl.DataFrame({"game_date": list(dates), "season": [season] * len(dates)}, schema={"game_date": pl.Date, "season": pl.String})


def test_a_partition_never_built_is_stale():
    stale = freshness.stale_partitions(_dates(GAME_DATE), {}, "game_date")
    assert stale["partition"].to_list() == [GAME_DATE.isoformat()]
    assert stale["last_built_at"].to_list() == [None]


def test_a_partition_built_before_the_nights_games_were_over_is_stale():
    before = freshness.games_over_at(GAME_DATE) - dt.timedelta(minutes=1)
    assert freshness.stale_partitions(_dates(GAME_DATE), {GAME_DATE.isoformat(): before}, "game_date").height == 1


def test_a_partition_built_after_the_games_is_fresh():
    after = freshness.games_over_at(GAME_DATE) + dt.timedelta(minutes=1)
    assert freshness.stale_partitions(_dates(GAME_DATE), {GAME_DATE.isoformat(): after}, "game_date").is_empty()


def test_games_are_over_at_3am_and_gold_due_at_noon_eastern_the_morning_after():
    # January is EST (UTC-5): 03:00 and 12:00 Eastern on the 11th.
    assert freshness.games_over_at(GAME_DATE).astimezone(UTC) == dt.datetime(2024, 1, 11, 8, tzinfo=UTC)
    assert freshness.due_at(GAME_DATE).astimezone(UTC) == dt.datetime(2024, 1, 11, 17, tzinfo=UTC)
    due = freshness.stale_partitions(_dates(GAME_DATE), {}, "game_date")["due_at"].to_list()
    assert due == [freshness.due_at(GAME_DATE).astimezone(UTC)]


def test_a_season_table_is_due_for_each_game_date_of_its_season():
    dates = _dates(GAME_DATE, GAME_DATE + dt.timedelta(days=1))
    built_between = freshness.games_over_at(GAME_DATE) + dt.timedelta(hours=1)
    stale = freshness.stale_partitions(dates, {"2023-24": built_between}, "season")
    assert stale["game_date"].to_list() == [GAME_DATE + dt.timedelta(days=1)]
    assert stale["partition"].to_list() == ["2023-24"]
    # Another season's build does not count.
    assert freshness.stale_partitions(dates, {"2022-23": dt.datetime(2030, 1, 1, tzinfo=UTC)}, "season").height == 2


def test_a_date_whose_gold_is_not_due_yet_is_not_judged():
    before_noon = freshness.due_at(GAME_DATE) - dt.timedelta(minutes=1)
    at_noon = freshness.due_at(GAME_DATE)
    assert freshness.dates_to_judge(before_noon)[1] == GAME_DATE - dt.timedelta(days=1)
    assert freshness.dates_to_judge(at_noon)[1] == GAME_DATE
    first, last = freshness.dates_to_judge(at_noon)
    assert (last - first).days + 1 == freshness.LOOKBACK_DAYS


def test_postponed_games_make_no_date_due_and_a_final_on_a_scoreboard_does():
    schedule = SCHEDULE.empty().select("game_date", "season", "postponed_status").vstack(pl.DataFrame(
        {"game_date": [GAME_DATE, GAME_DATE + dt.timedelta(days=1)], "season": ["2023-24"] * 2, "postponed_status": ["A", "P"]},
        schema={"game_date": pl.Date, "season": pl.String, "postponed_status": pl.String},
    ))
    board = pl.DataFrame(
        {"game_date": [GAME_DATE + dt.timedelta(days=2), GAME_DATE + dt.timedelta(days=3)], "season": ["2023-24"] * 2,
         "status": ["final", "scheduled"]},
    )
    dates = freshness.game_dates_with_games(schedule, board)
    assert dates["game_date"].to_list() == [GAME_DATE, GAME_DATE + dt.timedelta(days=2)]


# ---------------------------------------------------------------------------------------- Dagster
@pytest.fixture(scope="module")
def schedule_lake(tmp_path_factory):
    """A lake holding the real recorded 2023-24 schedule (ScheduleLeagueV2 from the CDN)."""
    payload = json.loads((REPLAY / "cdn/staticData/scheduleLeagueV2.json").read_text(encoding="utf-8"))
    schedule = schedule_from_payload(payload, "cdn_scheduleleaguev2")
    root = tmp_path_factory.mktemp("freshness_lake")
    Lake(str(root)).write_table(SCHEDULE, schedule, seasons=["2023-24"])
    return str(root), schedule


def _judge(lake_root: str, instance, monkeypatch, now: dt.datetime) -> dict[str, dg.AssetCheckEvaluation]:
    monkeypatch.setattr(freshness, "evaluation_time", lambda: now)
    result = dg.materialize(
        [gold_assets.event_state, gold_assets.starter_splits, gold_checks.gold_freshness],
        selection=dg.AssetSelection.checks(gold_checks.gold_freshness),
        instance=instance,
        resources={"lake": LakeResource(root=lake_root)},
        raise_on_error=False,
    )
    assert result.success, [e.message for e in result.all_events if e.is_failure]
    return {e.asset_key.path[-1]: e for e in result.get_asset_check_evaluations()}


def test_the_check_names_the_game_date_never_built_and_passes_the_season_built_after_it(schedule_lake, monkeypatch):
    lake_root, schedule = schedule_lake
    now = freshness.due_at(dt.date(2024, 1, 10)) + dt.timedelta(hours=1)
    first, last = freshness.dates_to_judge(now)
    with_games = sorted(set(schedule.filter(pl.col("game_date").is_between(first, last))["game_date"].to_list()))
    assert len(with_games) >= 2, with_games  # a January week of the real schedule
    missing = with_games[len(with_games) // 2]
    with dg.instance_for_test() as instance:
        for game_date in with_games:
            if game_date != missing:
                instance.report_runless_asset_event(dg.AssetMaterialization("event_state", partition=game_date.isoformat()))
        instance.report_runless_asset_event(dg.AssetMaterialization("starter_splits", partition="2023-24"))
        evaluations = _judge(lake_root, instance, monkeypatch, now)
    # Reported "now" (2026 and later), after every 2024 night was over.
    assert evaluations["starter_splits"].passed, evaluations["starter_splits"].description
    event_state = evaluations["event_state"]
    assert not event_state.passed
    assert event_state.severity == dg.AssetCheckSeverity.WARN
    assert event_state.metadata["stale"].value == 1
    assert event_state.metadata["game_dates_judged"].value == len(with_games)
    assert f"first {missing} (partition {missing})" in event_state.description


def test_the_check_passes_a_week_without_games(schedule_lake, monkeypatch):
    lake_root, schedule = schedule_lake
    now = dt.datetime(2024, 8, 15, 18, tzinfo=UTC)  # August: after the recorded season's last game
    first, last = freshness.dates_to_judge(now)
    assert schedule.filter(pl.col("game_date").is_between(first, last)).is_empty()
    with dg.instance_for_test() as instance:
        evaluations = _judge(lake_root, instance, monkeypatch, now)
    for name in ("event_state", "starter_splits"):
        assert evaluations[name].passed, evaluations[name].description
        assert "nothing due" in evaluations[name].description
        assert evaluations[name].metadata["game_dates_judged"].value == 0


def test_freshness_runs_on_its_own_schedule_not_inside_the_runs_that_build_gold():
    assert "check_gold_freshness" in {s.name for s in defs.get_repository_def().schedule_defs}
    assert {n.name for n in defs.resolve_job_def("gold_freshness_job").nodes} == {"gold_freshness"}
    for job in ("game_date_job", "play_by_play_date_job", "season_job"):
        assert "gold_freshness" not in {n.name for n in defs.resolve_job_def(job).nodes}, job
    graph = defs.resolve_asset_graph()
    assert graph.get(dg.AssetKey("event_state")).freshness_policy is None  # no per-asset window that fails each summer
