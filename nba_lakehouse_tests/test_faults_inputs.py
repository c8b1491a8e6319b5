"""Bad inputs at the doors: SQL that would write or read outside the lake, impossible partitions,
a relaunch behind a pool slot held by a dead run.

The lake here is the real recordings of 2023-01-02 (game 0022200552) materialized in replay mode,
with its DuckDB catalog; nothing in it is changed. The expectations are read from that lake
independently of the door (pyarrow over the Parquet files).
"""

import os
import shutil
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import dagster as dg
import pyarrow.parquet as pq
import pytest

from nba_lakehouse import backfill as backfill_module
from nba_lakehouse.automation.sensors import dead_run_sweeper
from nba_lakehouse.backfill import DateRange, backfill_ranges, game_date_job_with
from nba_lakehouse.cli import main as cli
from nba_lakehouse.definitions import all_assets, all_checks, per_game_date
from nba_lakehouse.lake import PROJECT_ROOT
from nba_lakehouse.partitions import (
    FIRST_SEASON_START_YEAR,
    game_date_partitions,
    game_date_range,
    parse_game_date,
    season_label,
)
from nba_lakehouse.resources import build_resources
from nba_lakehouse_tests.fake_nba import run_dates
from nba_lakehouse_tests.test_cli import parse_tables

QUIET = {"loggers": {"console": {"config": {"log_level": "WARNING"}}}}
GAME_DATE = "2023-01-02"
PBP_FILE = f"silver/play_by_play/season=2022-23/game_date={GAME_DATE}/part-0.parquet"
FIRST_DATE = game_date_partitions.start.date().isoformat()


def files_of(root: Path) -> dict[str, bytes]:
    """Every file under root, byte for byte (the catalog included)."""
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def sql_lake(tmp_path_factory):
    """(lake root, a folder outside it holding a Parquet file and a text file, the lake's files)."""
    base = tmp_path_factory.mktemp("sql")
    lake = base / "lake"
    resources = build_resources(lake_root=str(lake), mode="replay")
    assets = [*all_assets, *all_checks]
    with dg.instance_for_test() as instance:
        # The play-by-play, what it needs and gold's event state: enough for views of both layers.
        pbp_to_gold = dg.AssetSelection.assets("event_state").upstream() & per_game_date
        for selection, key in ((pbp_to_gold, GAME_DATE), (["duckdb_catalog"], None)):
            dg.materialize(assets, selection=selection, partition_key=key, resources=resources,
                           instance=instance, run_config=QUIET)
    outside = base / "outside"
    outside.mkdir()
    shutil.copyfile(lake / PBP_FILE, outside / "play_by_play.parquet")
    (outside / "secret.txt").write_text("not the lake's\n")
    # A sibling whose name starts with the lake's: a prefix match without the slash would let it in.
    (base / "lake2").mkdir()
    (base / "lake2" / "secret.txt").write_text("not the lake's either\n")
    return lake, outside, files_of(lake)


def run_sql(monkeypatch, capsys, lake: Path, query: str) -> str:
    monkeypatch.setenv("NBA_LAKE_ROOT", str(lake))
    cli(["sql", query])
    return capsys.readouterr().out


def refused(monkeypatch, capsys, lake: Path, query: str) -> str:
    with pytest.raises(SystemExit) as raised:
        run_sql(monkeypatch, capsys, lake, query)
    message = str(raised.value.code)
    assert message.startswith("nba-lakehouse sql: refused") and "\n" not in message, message
    return message


# Each is refused before anything runs, by its statement type (named in the message, as here).
STATEMENTS = {
    "copy_to_a_lake_file": ("COPY (SELECT * FROM silver.play_by_play LIMIT 10) TO '{lake}/" + PBP_FILE + "'", "(COPY:"),
    "copy_to_outside": ("COPY silver.games TO '{outside}/games.csv'", "(COPY:"),
    "copy_from": ("COPY silver.games FROM '{outside}/secret.txt'", "(COPY:"),
    "export_database": ("EXPORT DATABASE '{outside}/export'", "(EXPORT:"),
    "install": ("INSTALL spatial", "(LOAD:"),
    "install_from_community": ("INSTALL h3 FROM community", "(LOAD:"),
    "load": ("LOAD httpfs", "(LOAD:"),
    "attach": ("ATTACH '{outside}/other.duckdb' AS other", "(ATTACH:"),
    "detach": ("DETACH lakehouse", "(DETACH:"),
    "set": ("SET enable_external_access = true", "(SET:"),
    "reset": ("RESET allowed_directories", "(SET:"),
    "create": ("CREATE TABLE silver.copy AS SELECT * FROM silver.games", "(CREATE:"),
    "insert": ("INSERT INTO silver.games SELECT * FROM silver.games", "(INSERT:"),
    "update": ("UPDATE silver.games SET home_score = 0", "(UPDATE:"),
    "delete": ("DELETE FROM silver.games", "(DELETE:"),
    "drop": ("DROP VIEW silver.games", "(DROP:"),
    "pragma_setting_a_file_to_write": ("PRAGMA profiling_output = '{outside}/profile.json'", "(SET:"),  # DuckDB parses it as SET
    "pragma_forcing_a_checkpoint": ("PRAGMA force_checkpoint", "(PRAGMA:"),
    "checkpoint": ("CHECKPOINT", "(CALL:"),
    "explain_analyze_runs_a_copy": ("EXPLAIN ANALYZE COPY silver.games TO '{lake}/" + PBP_FILE + "'", "(EXPLAIN of COPY:"),
    "hidden_after_a_good_one": ("SELECT count(*) FROM silver.games; COPY silver.games TO '{lake}/" + PBP_FILE + "'",
                                "statement 2 of 2 (COPY:"),
}


@pytest.mark.parametrize("query, refusal", STATEMENTS.values(), ids=STATEMENTS.keys())
def test_sql_refuses_every_statement_that_is_not_a_read(sql_lake, monkeypatch, capsys, query, refusal):
    lake, outside, before = sql_lake
    outside_before = files_of(outside)
    message = refused(monkeypatch, capsys, lake, query.format(lake=lake, outside=outside))
    assert refusal in message and "read-only" in message and "nothing was run" in message
    assert files_of(lake) == before
    assert files_of(outside) == outside_before


# SELECTs that read outside the lake: refused by DuckDB's file access settings, naming the file.
READS = {
    "read_csv_of_etc_passwd": "SELECT * FROM read_csv('/etc/passwd', sep = ':')",
    "read_parquet_outside": "SELECT count(*) FROM read_parquet('{outside}/play_by_play.parquet')",
    "read_text_outside": "SELECT * FROM read_text('{outside}/secret.txt')",
    "read_text_through_dot_dot": "SELECT * FROM read_text('{lake}/../outside/secret.txt')",
    "read_text_of_a_sibling_named_like_the_lake": "SELECT * FROM read_text('{lake}2/secret.txt')",
    "glob_outside": "SELECT * FROM glob('{outside}/*')",
    "http": "SELECT * FROM read_parquet('https://example.com/x.parquet')",
    # DuckDB 1.5 expands PRAGMA import_database while parsing, reading <dir>/schema.sql: the file
    # lock refuses that read (inside the lake, the statements it expands to are refused instead).
    "pragma_importing_a_database": "PRAGMA import_database('{outside}')",
}


@pytest.mark.parametrize("query", READS.values(), ids=READS.keys())
def test_sql_reads_no_file_outside_the_lake(sql_lake, monkeypatch, capsys, query):
    lake, outside, before = sql_lake
    message = refused(monkeypatch, capsys, lake, query.format(lake=lake, outside=outside))
    assert "Cannot access file" in message and f"the lake under {lake} only" in message
    assert files_of(lake) == before


def test_sql_still_reads_the_catalog_and_the_lake(sql_lake, monkeypatch, capsys):
    lake, _, before = sql_lake
    rows = pq.read_metadata(lake / PBP_FILE).num_rows  # independent of DuckDB
    query = (f"SELECT count(*) AS n FROM silver.play_by_play; "
             f"SELECT count(*) AS n FROM read_parquet('{lake}/{PBP_FILE}'); "
             f"FROM gold.event_state SELECT count(DISTINCT game_id) AS games; "
             f"DESCRIBE silver.games; SUMMARIZE silver.games; EXPLAIN ANALYZE SELECT count(*) FROM silver.play_by_play")
    # Each result printed as a polars table: a header row, then "---" and the types, then the rows.
    tables = [rows[2:] for _, rows in parse_tables(run_sql(monkeypatch, capsys, lake, query))]
    assert [t[0]["n"] for t in tables[:2]] == [str(rows), str(rows)]
    assert tables[2] == [{"games": "1"}]
    assert "game_id" in {r["column_name"] for r in tables[3]}
    assert len(tables) == 6
    assert files_of(lake) == before


# ---------------------------------------------------------------------------------- partitions
BAD_KEYS = ["2023-02-30", "2023-1-5", "20230105", "1990-01-01", "2023-13-01", "yesterday"]


@pytest.mark.parametrize("key", BAD_KEYS)
def test_an_impossible_game_date_names_the_format_and_the_range(key):
    with pytest.raises(ValueError) as raised:
        parse_game_date(key)
    assert str(raised.value) == (
        f"game date {key!r} is not a game-date partition: write YYYY-MM-DD, a real date from {FIRST_DATE} to "
        f"{game_date_partitions.get_last_partition_key()} (NBA_FIRST_SEASON sets the first season)"
    )


def test_a_range_is_every_date_from_start_to_end_and_a_reversed_one_is_refused(tmp_path):
    dates = game_date_range("2023-01-02", "2023-01-04")
    assert [d.isoformat() for d in dates] == game_date_partitions.get_partition_keys_in_range(
        dg.PartitionKeyRange("2023-01-02", "2023-01-04"))
    # What the dagster/asset_partition_range_start/_end tags of a reversed single-run backfill hold.
    reversed_range = DateRange(parse_game_date("2023-01-04"), parse_game_date("2023-01-02"), 0, 0)
    with pytest.raises(ValueError, match=r"game-date range 2023-01-04\.\.2023-01-02 is reversed: its start is after its end"):
        game_date_range(*reversed_range.tags.values())
    job = game_date_job_with(build_resources(lake_root=str(tmp_path / "lake"), mode="replay"))
    with dg.DagsterInstance.ephemeral() as instance:
        with pytest.raises(ValueError, match="is reversed"):
            backfill_ranges(job, [reversed_range], instance, log=None)
        assert instance.get_runs() == []


def test_a_run_of_a_reversed_range_fails_naming_it_and_fetches_nothing(tmp_path, fake_nba):
    """Launched with the range tags as the API and the UI set them, start after end: Dagster alone
    would run no date and succeed."""
    result = run_dates(tmp_path / "lake", fake_nba.client(), "2023-01-03", "2023-01-01")
    assert not result.success
    failures = [e for e in result.all_events if e.is_step_failure]
    assert failures and all("game-date range 2023-01-03..2023-01-01 is reversed" in
                            e.event_specific_data.error.message for e in failures)
    assert fake_nba.seen == []
    assert not (tmp_path / "lake" / "bronze").exists()


@pytest.mark.parametrize(
    "args, message",
    [
        (["--start", "2023-02-30", "--end", "2023-03-02"], "game date '2023-02-30' is not a game-date partition: write YYYY-MM-DD"),
        (["--start", "2023-1-5", "--end", "2023-01-07"], "game date '2023-1-5' is not a game-date partition"),
        (["--start", "1990-01-01", "--end", "1990-01-05"], f"a real date from {FIRST_DATE} to "),
        (["--start", "2023-01-05", "--end", "2023-01-02"], "game-date range 2023-01-05..2023-01-02 is reversed"),
        (["--season", "1990-91"], f"--season 1990-91 is not a season partition: seasons run from {season_label(FIRST_SEASON_START_YEAR)} to "),
        (["--season", "2022-24"], "--season '2022-24' is not a season: write it like 2022-23"),
        (["--start", "2023-01-02"], "give --season 2022-23, or --start and --end (YYYY-MM-DD)"),
        (["--season", "2022-23", "--start", "2023-01-02"], "give --season, or --start and --end, not both"),
    ],
)
def test_backfill_refuses_impossible_dates_in_one_line_and_launches_nothing(tmp_path, monkeypatch, capsys, args, message):
    monkeypatch.setenv("NBA_LAKE_ROOT", str(tmp_path / "lake"))
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path / "home"))
    with pytest.raises(SystemExit) as raised:
        cli(["backfill", *args])
    text = str(raised.value.code)
    assert text.startswith("nba-lakehouse backfill: ") and message in text and "\n" not in text
    assert capsys.readouterr().out == ""  # no plan printed
    assert not (tmp_path / "lake").exists() and not (tmp_path / "home").exists()


@pytest.mark.parametrize("command", [["backfill", "--season", "2022-23"], ["demo"]])
def test_a_missing_replay_dir_is_named_in_one_line(tmp_path, monkeypatch, command):
    monkeypatch.setenv("NBA_LAKE_ROOT", str(tmp_path / "lake"))
    monkeypatch.setenv("NBA_LAKEHOUSE_MODE", "replay")
    monkeypatch.setenv("NBA_REPLAY_DIR", str(tmp_path / "no_recordings"))
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path / "home"))
    with pytest.raises(SystemExit) as raised:
        cli(command)
    assert str(raised.value.code) == (
        f"nba-lakehouse {command[0]}: replay_dir {tmp_path / 'no_recordings'} is not a directory: replay mode needs "
        "the recorded responses; set NBA_REPLAY_DIR (or replay_dir) to their directory"
    )
    assert not (tmp_path / "lake").exists()


def test_a_configuration_error_of_the_client_is_reported_in_one_line(monkeypatch):
    """pydantic's ValidationError (a ValueError) spans several lines with a URL: the CLI keeps each error's message."""
    from nba_lakehouse.sources.client import NBAClient

    def resources_with_a_bad_mode(**_):
        return {"nba": NBAClient(mode="sideways")}

    monkeypatch.setattr("nba_lakehouse.resources.build_resources", resources_with_a_bad_mode)
    with pytest.raises(SystemExit) as raised:
        cli(["demo"])
    assert str(raised.value.code) == "nba-lakehouse demo: Input should be 'live' or 'replay'"


# ------------------------------------------------------------------ a slot held by a dead run
DEAD_WORKER = textwrap.dedent("""
    import os, sys, time, uuid
    import dagster as dg
    from nba_lakehouse.recovery import worker_tags

    # What an in-process run worker (the CLI's backfill) leaves behind when killed while its bronze
    # step holds the nba_api slot: a STARTED run tagged with this process as its worker, the slot claimed.
    with dg.DagsterInstance.from_config(sys.argv[1]) as instance:
        run = instance.add_run(dg.DagsterRun(
            job_name="game_date_job", run_id=str(uuid.uuid4()), status=dg.DagsterRunStatus.STARTED,
            tags={"dagster/partition": "2023-01-02", **worker_tags()},
        ))
        instance.report_dagster_event(
            dg.DagsterEvent(dg.DagsterEventType.RUN_START.value, "game_date_job", pid=os.getpid()), run.run_id
        )
        instance.event_log_storage.initialize_concurrency_limit_to_default("nba_api")  # as a step's first claim does
        claim = instance.event_log_storage.claim_concurrency_slot("nba_api", run.run_id, "bronze_play_by_play")
        assert claim.is_claimed, claim
        print(run.run_id, flush=True)
        time.sleep(600)
""")


def nba_api_step_job(lake: Path) -> dg.JobDefinition:
    """One step of game_date_job that takes the nba_api slot (bronze_play_by_play), on this lake."""
    job = dg.define_asset_job("bronze_play_by_play_job", selection=["bronze_play_by_play"])
    return dg.Definitions(
        assets=all_assets, jobs=[job], executor=dg.in_process_executor,
        resources=build_resources(lake_root=str(lake), mode="replay"),
    ).resolve_job_def(job.name)


def test_a_launch_behind_a_slot_held_by_a_dead_run_is_refused_naming_the_run(tmp_path, monkeypatch, capsys):
    home = tmp_path / "home"
    home.mkdir()
    shutil.copyfile(PROJECT_ROOT / "dagster.yaml", home / "dagster.yaml")
    worker = subprocess.Popen([sys.executable, "-c", DEAD_WORKER, str(home)], stdout=subprocess.PIPE, text=True,
                              env={**os.environ, "DAGSTER_HOME": str(home)})
    try:
        run_id = worker.stdout.readline().strip()
    finally:
        worker.send_signal(signal.SIGKILL)
        worker.wait()
        worker.stdout.close()
    assert run_id, "the worker did not start its run"

    lake = tmp_path / "lake"
    monkeypatch.setenv("NBA_LAKE_ROOT", str(lake))
    monkeypatch.setenv("DAGSTER_HOME", str(home))
    monkeypatch.setenv("NBA_LAKEHOUSE_MODE", "replay")
    monkeypatch.delenv("NBA_REPLAY_DIR", raising=False)
    launched, swept = [], []

    def backfill_on_this_lake(job, ranges, instance, **kwargs):
        """The CLI's backfill, on this test's lake rather than the code location's."""
        launched.append(ranges)
        assert swept, "launched behind the dead run's slot: it would wait forever"
        return backfill_ranges(nba_api_step_job(lake), ranges, instance, run_config=QUIET, log=None)

    monkeypatch.setattr(backfill_module, "backfill_ranges", backfill_on_this_lake)
    expected = (f"run {run_id} (game_date_job, partition 2023-01-02, holds or is queued for the nba_api pool slot; worker pid "
                f"{worker.pid} gone): a new run would wait for that slot forever; run `nba-lakehouse recover` "
                "to mark it failed and free the slot, then relaunch")
    for command in (["backfill", "--season", "2022-23"], ["demo"]):
        with pytest.raises(SystemExit) as raised:
            cli(command)
        assert str(raised.value.code) == f"nba-lakehouse {command[0]}: {expected}"
    assert launched == []
    with dg.DagsterInstance.from_config(str(home)) as instance:
        assert [r.run_id for r in instance.get_runs()] == [run_id]  # nothing launched

        # In Dagster itself: the sweeper sensor's tick names the run and the slot it freed.
        reason = dead_run_sweeper(dg.build_sensor_context(instance=instance))
        assert reason.skip_message == (
            f"1 dead runs marked failed, their pool slots freed: run {run_id} (game_date_job, partition 2023-01-02, "
            f"holds or is queued for the nba_api pool slot; worker pid {worker.pid} gone)"
        )
        assert instance.get_run_by_id(run_id).status == dg.DagsterRunStatus.FAILURE
        pool = instance.event_log_storage.get_concurrency_info("nba_api")
        assert not pool.active_run_ids and not pool.pending_run_ids
        swept.append(run_id)

    # The slot free, the same command launches and its run takes the slot in turn.
    capsys.readouterr()
    cli(["recover"])
    assert capsys.readouterr().out == "no dead runs: nothing to recover\n"
    cli(["backfill", "--season", "2022-23"])
    ((date_range,),) = launched
    assert (date_range.start.isoformat(), date_range.end.isoformat()) == (GAME_DATE, GAME_DATE)
    with dg.DagsterInstance.from_config(str(home)) as instance:
        (relaunched,) = [r for r in instance.get_runs() if r.run_id != run_id]
        assert relaunched.status == dg.DagsterRunStatus.SUCCESS
    assert list((lake / "bronze").rglob(f"{GAME_DATE}_0022200552.*.json.gz"))
