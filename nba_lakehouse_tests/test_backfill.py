"""Season backfills target only the dates that hold games, with one planned event per asset per run."""

import datetime as dt
import os
from collections import Counter

import dagster as dg

from nba_lakehouse.backfill import (
    PLANNED_SUBSET_ENV,
    backfill_ranges,
    contiguous_ranges,
    game_date_job_with,
    plan,
    season_window,
)
from nba_lakehouse.lake import DEFAULT_REPLAY_DIR, Lake
from nba_lakehouse.resources import build_resources
from nba_lakehouse_tests.conftest import REPLAY

D = dt.date


def test_ranges_split_on_long_gaps_and_carry_short_ones():
    dates = [D(2023, 2, 14), D(2023, 2, 15), D(2023, 2, 16), D(2023, 2, 23), D(2023, 2, 25), D(2023, 2, 26)]
    ranges = contiguous_ranges(dates, merge_gap_days=3)
    # All-Star break (six empty dates) splits; one empty date (Feb 24) is carried.
    assert [(r.start, r.end, r.game_dates, r.days) for r in ranges] == [
        (D(2023, 2, 14), D(2023, 2, 16), 3, 3),
        (D(2023, 2, 23), D(2023, 2, 26), 3, 4),
    ]
    assert contiguous_ranges([]) == []
    assert ranges[1].tags == {
        "dagster/asset_partition_range_start": "2023-02-23",
        "dagster/asset_partition_range_end": "2023-02-26",
    }


def test_plan_finds_the_recorded_game_dates_and_skips_empty_ones(tmp_path):
    start, end = season_window("2022-23")
    ranges, source, dates = plan(start, end, Lake(str(tmp_path)), DEFAULT_REPLAY_DIR)
    assert "games.csv" in source
    assert dates == [D(2023, 1, 2)]
    assert [(r.start, r.end) for r in ranges] == [(D(2023, 1, 2), D(2023, 1, 2))]
    # A window without any game launches nothing.
    assert plan(D(2022, 7, 1), D(2022, 7, 20), Lake(str(tmp_path)), DEFAULT_REPLAY_DIR)[0] == []


def test_backfill_run_plans_once_per_asset_and_materializes_every_date(tmp_path, monkeypatch):
    monkeypatch.delenv(PLANNED_SUBSET_ENV, raising=False)
    job = game_date_job_with(build_resources(lake_root=str(tmp_path / "lake"), mode="replay"))
    # Two dates, the second without games: carried inside the one range run.
    (date_range,) = contiguous_ranges([D(2023, 1, 2), D(2023, 1, 4)], merge_gap_days=3)
    with dg.DagsterInstance.ephemeral() as instance:
        (result,) = backfill_ranges(job, [date_range], instance, log=None)
        assert result.success
        events = Counter(
            (e.dagster_event.event_type_value, e.dagster_event.asset_key)
            for e in instance.all_logs(result.run_id)
            if e.dagster_event and e.dagster_event.asset_key
        )
        assets = {key for _, key in events}
        assert all(events[("ASSET_MATERIALIZATION_PLANNED", key)] == 1 for key in assets)
        # Every asset materializes Jan 2, 3 and 4, but those whose source holds nothing in the range
        # record none: no scoreboard and no shot chart of 0022200552 is recorded, and no win
        # probability model is in the lake, so win_probability scores nothing.
        assert not list((REPLAY / "stats").glob("scoreboardv*/GameDate=2023-01-0*.json"))
        assert not list((REPLAY / "stats/shotchartdetail").glob("*GameID=0022200552*"))
        skipped = {key.to_user_string() for key in assets if events[("ASSET_MATERIALIZATION", key)] == 0}
        assert skipped == {"scoreboard_games", "bronze_shot_chart", "shots", "win_probability"}
        assert all(events[("ASSET_MATERIALIZATION", key)] == 3 for key in assets if key.to_user_string() not in skipped)
        materialized = instance.get_materialized_partitions(dg.AssetKey("event_state"))
        assert materialized == {"2023-01-02", "2023-01-03", "2023-01-04"}
    assert PLANNED_SUBSET_ENV not in os.environ  # only while the runs are created


def test_cli_dry_run_prints_the_plan(tmp_path, monkeypatch, capsys):
    from nba_lakehouse.cli import main

    monkeypatch.setenv("NBA_LAKE_ROOT", str(tmp_path))
    monkeypatch.setenv("NBA_LAKEHOUSE_MODE", "replay")
    monkeypatch.delenv("NBA_REPLAY_DIR", raising=False)
    main(["backfill", "--season", "2022-23", "--dry-run"])
    out = capsys.readouterr().out
    assert "1 dates with games (from recorded games (games.csv)) in 1 single-run backfills" in out
    assert "2023-01-02..2023-01-02" in out


def test_plan_reads_the_game_dates_from_the_season_schedule(tmp_path):
    import polars as pl

    from nba_lakehouse.schemas import SCHEDULE

    lake = Lake(str(tmp_path))
    games = {"0022300001": D(2023, 10, 24), "0022300003": D(2023, 10, 25), "0022300017": D(2023, 10, 30)}
    rows = pl.DataFrame(
        {"game_id": list(games), "game_date": list(games.values()), "season": ["2023-24"] * 3,
         "season_type": ["Regular Season"] * 3, "status": ["final"] * 3, "source": ["scheduleleaguev2"] * 3},
    )
    df = pl.concat([SCHEDULE.empty(), rows], how="diagonal_relaxed")
    lake.write_table(SCHEDULE, df, seasons=["2023-24"])
    ranges, source, dates = plan(*season_window("2023-24"), lake, DEFAULT_REPLAY_DIR)
    assert source == "silver.schedule"
    assert dates == sorted(games.values())
    assert [(r.start, r.end, r.game_dates) for r in ranges] == [(D(2023, 10, 24), D(2023, 10, 25), 2), (D(2023, 10, 30), D(2023, 10, 30), 1)]
    # Another season's window is not told by this schedule: the recorded games are used instead.
    assert plan(*season_window("2022-23"), lake, DEFAULT_REPLAY_DIR)[1] == "recorded games (games.csv)"
