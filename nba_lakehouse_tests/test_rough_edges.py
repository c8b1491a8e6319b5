"""The rough edges a new user hit (issue 15): an unknown season, the Dagster CLI, the demo's last
date, the game-date partitions, and a DuckDB view made while its table was empty."""

import os
import subprocess
import sys
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from nba_lakehouse.cli import main as cli
from nba_lakehouse.definitions import all_assets, all_checks, defs
from nba_lakehouse.demo import demo_date_order
from nba_lakehouse.lake import PROJECT_ROOT
from nba_lakehouse.partitions import (
    DEFAULT_FIRST_SEASON,
    first_season_start_year,
    game_date_partitions,
    season_partitions,
)
from nba_lakehouse.resources import build_resources
from nba_lakehouse.sources.replay import recorded_games, recorded_partitions
from nba_lakehouse_tests.conftest import REPLAY

ASSETS = [*all_assets, *all_checks]


# ------------------------------------------------------------------------------ unknown seasons
def _small_lake(root: Path) -> Path:
    (root / "silver" / "games" / "season=2022-23").mkdir(parents=True)
    (root / "bronze" / "leaguegamelog" / "season=2016-17").mkdir(parents=True)
    return root


@pytest.mark.parametrize(
    "season, message",
    [
        ("1890-91", "nba-lakehouse status: --season 1890-91 is before the first NBA season, 1946-47"),
        ("1999-00", "nba-lakehouse status: no season 1999-00 in the lake at {lake}: it holds 2016-17, 2022-23"),
        ("2022-2023", "nba-lakehouse status: --season '2022-2023' is not a season"),
    ],
)
def test_status_reports_an_unknown_season_in_one_line(tmp_path, monkeypatch, capsys, season, message):
    """Not "1 passed" (the unpartitioned checks belong to every season): the season is named as unknown."""
    root = _small_lake(tmp_path / "lake")
    monkeypatch.setenv("NBA_LAKE_ROOT", str(root))
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path / "home"))
    with pytest.raises(SystemExit) as raised:
        cli(["status", "--season", season])
    text = str(raised.value.code)
    assert text.startswith(message.format(lake=root)), text
    assert "\n" not in text and capsys.readouterr().out == ""


# ---------------------------------------------------------------------------------- Dagster CLI
def test_the_documented_dagster_cli_lists_and_materializes_on_a_temporary_lake(tmp_path):
    """README, "Dagster CLI": the commands with ``-m nba_lakehouse.definitions`` run as written."""
    home = tmp_path / "home"
    home.mkdir()
    (home / "dagster.yaml").write_text((PROJECT_ROOT / "dagster.yaml").read_text())
    env = {**os.environ, "DAGSTER_HOME": str(home), "NBA_LAKE_ROOT": str(tmp_path / "lake"),
           "NBA_LAKEHOUSE_MODE": "replay", "PYTHONPATH": str(PROJECT_ROOT)}
    dagster = [str(Path(sys.executable).with_name("dagster")), "asset"]
    listed = subprocess.run([*dagster, "list", "-m", "nba_lakehouse.definitions"],
                            env=env, capture_output=True, text=True, timeout=300, check=True)
    assert {"play_by_play", "event_state", "duckdb_catalog"} <= set(listed.stdout.split())
    subprocess.run([*dagster, "materialize", "-m", "nba_lakehouse.definitions", "--select",
                    "bronze_play_by_play,play_by_play", "--partition", "2023-01-02"],
                   env=env, capture_output=True, text=True, timeout=300, check=True)
    assert list((tmp_path / "lake" / "silver" / "play_by_play").glob("season=2022-23/game_date=2023-01-02/*.parquet"))


# ------------------------------------------------------------------------------ demo's last date
def test_the_demo_materializes_a_date_with_games_last():
    """The UI opens every per-date asset on its latest materialization: a game date, not "Row count 0"."""
    recorded = recorded_partitions(REPLAY)
    games = set(recorded_games(REPLAY).values())
    order = demo_date_order(recorded.dates, games)
    assert sorted(order) == recorded.dates and set(recorded.dates) - games  # the recordings hold gameless dates
    assert order[-1] == max(games)
    assert order[-len(games):] == sorted(games)  # the game dates last, in order


# ------------------------------------------------------------- a view made while its table was empty
def test_the_catalog_rebuilds_itself_once_an_empty_table_gains_files(tmp_path):
    """The catalog is built over a lake without play-by-play (an empty typed view); the table's
    first files are written; the automation sensor's evaluation (what runs by itself, every
    minute) requests duckdb_catalog, and the rebuilt view returns the rows."""
    resources = build_resources(lake_root=str(tmp_path / "lake"), mode="replay")
    catalog = dg.AssetSelection.assets("duckdb_catalog")
    database = resources["duckdb"].database

    def play_by_play_rows() -> int:
        with duckdb.connect(database, read_only=True) as conn:
            return conn.execute("SELECT count(*) FROM silver.play_by_play").fetchall()[0][0]

    with dg.instance_for_test() as instance:
        dg.materialize(ASSETS, selection=catalog, resources=resources, instance=instance)
        assert play_by_play_rows() == 0
        baseline = dg.evaluate_automation_conditions(defs=defs, instance=instance, asset_selection=catalog)
        assert baseline.total_requested == 0  # nothing changed since the catalog was built
        dg.materialize(ASSETS, selection=["bronze_play_by_play", "play_by_play"], partition_key="2023-01-02",
                       resources=resources, instance=instance)
        assert play_by_play_rows() == 0  # the view made while the table was empty
        evaluation = dg.evaluate_automation_conditions(defs=defs, instance=instance, asset_selection=catalog,
                                                       cursor=baseline.cursor)
        assert evaluation.total_requested == 1
        dg.materialize(ASSETS, selection=catalog, resources=resources, instance=instance)
        assert play_by_play_rows() > 0
        after = dg.evaluate_automation_conditions(defs=defs, instance=instance, asset_selection=catalog,
                                                  cursor=evaluation.cursor)
        assert after.total_requested == 0  # handled: not rebuilt again until a table changes


# ---------------------------------------------------------------------------- game-date partitions
def test_the_partitions_start_at_the_earliest_recorded_season_by_default():
    """Not 11,019 dates since 1996: the lake's first season's August 1 on, every recorded date a key."""
    recorded = recorded_partitions(REPLAY)
    assert "NBA_FIRST_SEASON" not in os.environ
    assert DEFAULT_FIRST_SEASON == recorded.seasons[0] == season_partitions.get_partition_keys()[0]
    assert game_date_partitions.get_first_partition_key() == "2016-08-01"
    assert all(game_date_partitions.has_partition_key(d.isoformat()) for d in recorded.dates)
    assert not game_date_partitions.has_partition_key("2016-07-31")


def test_history_back_to_1996_is_a_setting_in_every_process():
    code = ("from nba_lakehouse.partitions import game_date_partitions as d, season_partitions as s; "
            "print(d.get_first_partition_key(), s.get_partition_keys()[0])")
    out = subprocess.run([sys.executable, "-c", code], env={**os.environ, "NBA_FIRST_SEASON": "1996-97"},
                         capture_output=True, text=True, timeout=120, check=True).stdout
    assert out.split() == ["1996-08-01", "1996-97"]


@pytest.mark.parametrize(
    "setting, message",
    [
        ("2016", "NBA_FIRST_SEASON='2016' is not a season: write it like 2016-17"),
        ("1990-91", "NBA_FIRST_SEASON=1990-91 is outside the seasons with play-by-play: 1996-97 to "),
    ],
)
def test_a_bad_first_season_setting_is_named(setting, message):
    with pytest.raises(ValueError) as raised:
        first_season_start_year(setting)
    assert str(raised.value).startswith(message)
