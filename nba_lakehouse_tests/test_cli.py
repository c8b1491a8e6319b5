"""`nba-lakehouse status` on real lakes and instances, and the progress reporting of long work."""

import csv
import json
import shutil
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from nba_lakehouse import progress as progress_module
from nba_lakehouse.cli import main as cli
from nba_lakehouse.definitions import all_assets, all_checks, per_game_date
from nba_lakehouse.lake import PROJECT_ROOT
from nba_lakehouse.partitions import game_date_partitions, season_of_game
from nba_lakehouse.progress import Progress, format_duration
from nba_lakehouse.resources import build_resources
from nba_lakehouse.schemas import TABLES
from nba_lakehouse_tests.conftest import REPLAY, replay_with_a_lowered_score

ASSETS = [*all_assets, *all_checks]
QUIET = {"loggers": {"console": {"config": {"log_level": "WARNING"}}}}
DATE_CHECKS = {
    f"{k.asset_key.to_user_string()}.{k.name}"
    for c in all_checks if isinstance(c.partitions_def, dg.DailyPartitionsDefinition) for k in c.check_keys
}


# ------------------------------------------------------------------------------ output parsing
def parse_tables(out: str) -> list[tuple[str, list[dict]]]:
    """Every polars table printed, with the last plain line before it (its heading) and its rows."""
    tables, heading, current, header = [], "", None, None
    for line in out.splitlines():
        if line.startswith("┌"):
            current, header = [], None
        elif line.startswith("│") and current is not None:
            cells = [c.strip() for c in line.strip("│").split("┆")]
            if header is None:
                header = cells
            else:
                current.append(dict(zip(header, cells, strict=True)))
        elif line.startswith("└") and current is not None:
            tables.append((heading, current))
            current = None
        elif current is None and line.strip():
            heading = line.strip()
    return tables


def lake_rows(tables) -> dict[tuple[str, str], dict]:
    """``{(season, table): row}`` of the per-season silver/gold tables printed."""
    found = {}
    for heading, rows in tables:
        if heading.startswith("season ") and heading.endswith("(partitions = game dates, or the season itself)"):
            season = heading.split()[1].rstrip(":")
            for row in rows:
                found[(season, row["table"])] = row
    return found


def bronze_rows(tables) -> dict[tuple[str, str], dict]:
    found = {}
    for heading, rows in tables:
        if heading.endswith("bronze responses per endpoint"):
            season = "-" if heading.startswith("no season") else heading.split()[1].rstrip(":")
            for row in rows:
                found[(season, row["endpoint"])] = row
    return found


def check_rows(tables) -> dict[str, dict]:
    """The check summary: the table after the "N passed, ... over M check partitions" line."""
    return {r["check"]: r for r in table_after(tables, "", suffix="check partitions")}


def table_after(tables, prefix: str, suffix: str = "") -> list[dict]:
    matches = [rows for heading, rows in tables if heading.startswith(prefix) and heading.endswith(suffix)]
    assert len(matches) == 1, (prefix, [h for h, _ in tables])
    return matches[0]


# --------------------------------------------------------------------------- independent counts
def duckdb_counts(root: Path) -> dict[tuple[str, str], dict]:
    """Rows, games, dates and date range per season and table, counted by DuckDB over the Parquet."""
    counts = {}
    for table in TABLES.values():
        if not table.partition_by or not list(Path(root, table.layer, table.name).rglob("part-0.parquet")):
            continue
        dated = "game_date" in table.partition_by
        games = "count(DISTINCT game_id)" if "game_id" in table.column_index else "NULL"
        dates = "count(DISTINCT game_date), min(game_date)::VARCHAR, max(game_date)::VARCHAR" if dated else "1, NULL, NULL"
        query = (f"SELECT season, count(*), {games}, {dates} FROM read_parquet('{root}/{table.layer}/{table.name}/**/part-0.parquet', "
                 "hive_partitioning = true) GROUP BY season")
        for season, rows, n_games, n_dates, first, last in duckdb.sql(query).fetchall():
            counts[(season, f"{table.layer}.{table.name}")] = {
                "rows": str(rows), "games": "-" if n_games is None else str(n_games), "partitions": str(n_dates),
                "first_date": first or "-", "last_date": last or "-",
            }
    return counts


def manifests_on_disk(root: Path) -> dict[tuple[str, str], list[dict]]:
    found: dict[tuple[str, str], list[dict]] = {}
    for path in Path(root, "bronze").rglob("*.manifest.json"):
        endpoint = path.relative_to(root / "bronze").parts[0]
        season = next((p.split("=", 1)[1] for p in path.parts if p.startswith("season=")), "-")
        found.setdefault((season, endpoint), []).append(json.loads(path.read_text()))
    return found


def games_csv() -> dict[str, str]:
    with (REPLAY / "games.csv").open(newline="") as f:
        return {row["game_id"]: row["game_date"] for row in csv.DictReader(f)}


# --------------------------------------------------------------------------------- fixtures
@pytest.fixture(scope="module")
def check_home(tmp_path_factory):
    """A persistent Dagster instance with real check results, and what each run evaluated.

    In order: 2023-01-02 from the real recordings (every check passes); a single-run backfill of
    2016-11-30..2016-12-01 (one evaluation per check for both dates); 2023-01-02 again from a copy
    whose V3 play-by-play has its home score lowered from mid-Q2 on, so the game is held back and
    the latest play_by_play games_held_back fails there; 2022-01-26 from a copy whose V2 box score
    has no result sets (an unusable payload), so bronze_box_score holds that game back (its games_held_back fails) while
    the play-by-play and everything built from it are published and checked.
    """
    base = tmp_path_factory.mktemp("checks")
    home = base / "dagster_home"
    home.mkdir()
    shutil.copyfile(PROJECT_ROOT / "dagster.yaml", home / "dagster.yaml")
    corrupted = replay_with_a_lowered_score(base)
    no_box_score = base / "no_box_score"
    shutil.copytree(REPLAY, no_box_score)
    (no_box_score / "stats/boxscoretraditionalv2/GameID=0022100732.json").write_text('{"resultSets": []}')
    runs = []
    with dg.DagsterInstance.from_config(str(home)) as instance:
        def run(lake, replay=None, **kwargs):
            resources = build_resources(lake_root=str(base / lake), mode="replay", replay_dir=replay)
            result = dg.materialize(ASSETS, selection=per_game_date, resources=resources, instance=instance,
                                    run_config=QUIET, raise_on_error=False, **kwargs)
            runs.append(result)
            return result

        run("good", partition_key="2023-01-02")
        run("range", tags={"dagster/asset_partition_range_start": "2016-11-30",
                           "dagster/asset_partition_range_end": "2016-12-01"})
        run("corrupted", replay=str(corrupted), partition_key="2023-01-02")
        run("no_box_score", replay=str(no_box_score), partition_key="2022-01-26")
    return home, runs, base


def run_status(monkeypatch, capsys, root, home, *args) -> str:
    monkeypatch.setenv("NBA_LAKE_ROOT", str(root))
    monkeypatch.setenv("DAGSTER_HOME", str(home))
    cli(["status", *args])
    return capsys.readouterr().out


# ----------------------------------------------------------------------------------- status
def test_status_counts_every_table_and_response_of_the_demo_lake(demo_lake, check_home, monkeypatch, capsys):
    root, _ = demo_lake
    out = run_status(monkeypatch, capsys, root, check_home[0])
    tables = parse_tables(out)

    # Silver and gold: every (season, table) with Parquet, and nothing else, with DuckDB's numbers.
    expected = duckdb_counts(Path(root))
    printed = lake_rows(tables)
    assert set(printed) == set(expected)
    for key, counts in expected.items():
        assert {k: printed[key][k] for k in counts} == counts, key

    # The sample games' tables cover exactly the dates of games.csv.
    dates = games_csv()
    pbp = {season: row for (season, table), row in printed.items() if table == "silver.play_by_play"}
    assert set(pbp) == {season_of_game(g) for g in dates}
    for game_id, game_date in dates.items():
        row = pbp[season_of_game(game_id)]
        assert (row["first_date"], row["last_date"], row["partitions"], row["games"]) == (game_date, game_date, "1", "1")

    # Bronze: responses are the manifests on disk, the last fetch their latest fetched_at.
    on_disk = manifests_on_disk(Path(root))
    printed_bronze = bronze_rows(tables)
    assert set(printed_bronze) == set(on_disk)
    for key, manifests in on_disk.items():
        row = printed_bronze[key]
        assert row["responses"] == str(len(manifests)), key
        latest = max(manifests, key=lambda m: m["fetched_at"])
        assert row["last_fetch"] == latest["fetched_at"][:19].replace("T", " ") + " UTC"
        assert row["mode"] == latest["source_mode"] == "replay"

    # Reference tables.
    reference = {r["table"]: r["rows"] for r in table_after(tables, "no season: reference tables")}
    for name in ("teams", "players"):
        count = duckdb.sql(f"SELECT count(*) FROM read_parquet('{root}/silver/{name}/part-0.parquet')").fetchall()[0][0]
        assert reference[f"silver.{name}"] == str(count)


def _expected_check_counts(runs) -> dict[str, dict[str, int]]:
    """The latest outcome per check and partition, from the runs' own results (the last run wins).

    Every run selected every per-date check; one it did not evaluate is "not evaluated".
    """
    latest: dict[tuple[str, str], str] = {}
    for result in runs:
        partition = result.dagster_run.tags.get("dagster/partition")
        start = result.dagster_run.tags.get("dagster/asset_partition_range_start")
        keys = [partition] if partition else ["2016-11-30", "2016-12-01"] if start == "2016-11-30" else []
        assert keys
        outcomes = {f"{e.asset_key.to_user_string()}.{e.check_name}": e.passed for e in result.get_asset_check_evaluations()}
        for check in DATE_CHECKS:
            for key in keys:
                latest[(check, key)] = {True: "passed", False: "failed", None: "not evaluated"}[outcomes.get(check)]
    counts: dict[str, dict[str, int]] = {check: {"passed": 0, "failed": 0, "not evaluated": 0} for check in DATE_CHECKS}
    for (check, _), outcome in latest.items():
        counts[check][outcome] += 1
    return counts


def test_status_reads_the_latest_check_result_per_partition(demo_lake, check_home, monkeypatch, capsys):
    root, _ = demo_lake
    home, runs, _ = check_home
    assert [r.success for r in runs] == [True, True, True, True]  # held-back games fail no run
    out = run_status(monkeypatch, capsys, root, home)
    tables = parse_tables(out)
    summary = check_rows(tables)
    expected = _expected_check_counts(runs)
    per_date_checks = {key for c in all_checks if c.partitions_def == game_date_partitions for key in c.check_keys}
    assert len(expected) == len(per_date_checks)
    for check, counts in expected.items():
        row = summary[check]
        assert {k: int(row[k]) for k in counts} == counts, check
        assert int(row["partitions"]) == 4  # 2023-01-02 (twice: the latest counts once), 2016-11-30, 2016-12-01, 2022-01-26
    # The corrupted run held its game back: what it published passed, the held-back check failed.
    assert expected["play_by_play.scores_never_decrease"] == {"passed": 4, "failed": 0, "not evaluated": 0}
    assert expected["play_by_play.games_held_back"] == {"passed": 3, "failed": 1, "not evaluated": 0}
    # Without a box score the box checks pass on nothing published and bronze names the game.
    assert expected["box_score_players.five_starters_per_team"] == {"passed": 4, "failed": 0, "not evaluated": 0}
    assert expected["bronze_box_score.games_held_back"] == {"passed": 3, "failed": 1, "not evaluated": 0}
    failing = table_after(tables, "failing checks")
    assert [(r["check"], r["partition"], r["run"]) for r in failing] == [
        ("bronze_box_score.games_held_back", "2022-01-26", runs[3].run_id[:8]),
        ("play_by_play.games_held_back", "2023-01-02", runs[2].run_id[:8]),
    ]
    assert "0022100732 (unusable_payload)" in failing[0]["result"]  # an answer without its result sets
    assert "0022200552 (final_score_matches_scoring_events, scores_never_decrease)" in failing[1]["result"]
    # Checks never run in this instance are listed with zero partitions.
    assert summary["games.full_regular_season"]["partitions"] == "0"
    totals = {k: sum(c[k] for c in expected.values()) for k in ("passed", "failed", "not evaluated")}
    assert (f"{totals['passed']} passed, 2 failed, {totals['not evaluated']} not evaluated, 0 running, "
            f"over {sum(totals.values())} check partitions") in out


def test_status_lists_the_games_held_back_with_their_reason(check_home, monkeypatch, capsys):
    home, runs, base = check_home
    out = run_status(monkeypatch, capsys, base / "corrupted", home, "--season", "2022-23")
    rows = table_after(parse_tables(out), "season 2022-23: games held back (1)")
    assert {(r["game_id"], r["recorded_by"], r["rule"], r["action"], r["run"]) for r in rows} >= {
        ("0022200552", "play_by_play", "scores_never_decrease", "held_back", runs[2].run_id[:8]),
    }
    out = run_status(monkeypatch, capsys, base / "good", home, "--season", "2022-23")
    assert "season 2022-23: games held back (0)" in out


def test_status_for_one_season(demo_lake, check_home, monkeypatch, capsys):
    root, _ = demo_lake
    out = run_status(monkeypatch, capsys, root, check_home[0], "--season", "2016-17")
    tables = parse_tables(out)
    printed = lake_rows(tables)
    expected = {k: v for k, v in duckdb_counts(Path(root)).items() if k[0] == "2016-17"}
    assert expected and set(printed) == set(expected)
    for key, counts in expected.items():
        assert {k: printed[key][k] for k in counts} == counts, key
    assert {s for s, _ in bronze_rows(tables)} == {"2016-17"}
    assert "no season" not in out
    summary = check_rows(tables)
    # The range run's two dates only: 2023-01-02 (and its failure) belong to 2022-23. Its checks
    # passed on both dates, except those of feeds recorded for neither (GameRotation, HustleStatsBoxScore), not evaluated.
    expected = _expected_check_counts([check_home[1][1]])
    assert {c: (summary[c]["partitions"], summary[c]["passed"]) for c in expected} == {
        c: ("2", str(counts["passed"])) for c, counts in expected.items()
    }
    assert {c for c, counts in expected.items() if counts["not evaluated"]} == {
        "game_rotations.rotation_minutes_match_box_score", "stints.lineups_match_game_rotation",
        "bronze_game_rotation.games_missing", "bronze_hustle_stats.games_missing",
        # no win probability model in the lake: win_probability materializes nothing to check
        "win_probability.certain_only_when_over", "win_probability.wpa_sums_to_result_minus_opening",
    }
    assert "no failing checks" in out


def test_status_without_an_instance_still_shows_the_lake(demo_lake, tmp_path, monkeypatch, capsys):
    root, _ = demo_lake
    out = run_status(monkeypatch, capsys, root, tmp_path / "no_home")
    assert f"Asset checks: no Dagster instance at {tmp_path / 'no_home'}" in out
    assert lake_rows(parse_tables(out)) and "season 2022-23" in out
    assert not (tmp_path / "no_home").exists()


@pytest.mark.parametrize(
    "args, lake, message",
    [
        (["--season", "2022-24"], None, "nba-lakehouse status: --season '2022-24' is not a season: write it like 2022-23"),
        (["--season", "22-23"], None, "nba-lakehouse status: --season '22-23' is not a season"),
        ([], "missing", "nba-lakehouse status: no lake at {lake}: the folder does not exist"),
        ([], "empty", "nba-lakehouse status: no lake at {lake}: no bronze/, silver/ or gold/ folder"),
    ],
)
def test_status_refuses_bad_input_in_one_line(demo_lake, tmp_path, monkeypatch, capsys, args, lake, message):
    root = demo_lake[0] if lake is None else tmp_path / lake
    if lake == "empty":
        root.mkdir()
    with pytest.raises(SystemExit) as raised:
        run_status(monkeypatch, capsys, root, tmp_path / "home", *args)
    text = str(raised.value.code)
    assert text.startswith(message.format(lake=root)) and "\n" not in text


# ---------------------------------------------------------------------------------- progress
class FakeClock:
    def __init__(self, now: float = 100.0):
        self.now = now

    def __call__(self) -> float:
        return self.now


def test_progress_logs_counts_and_time_left_at_most_every_few_seconds():
    clock, lines = FakeClock(), []
    p = Progress(10, "bronze_play_by_play", log=lines.append, every_s=5, unit="dates", clock=clock)
    clock.now = 101
    p.step()
    clock.now = 104
    p.step(detail="2023-01-02")
    assert lines == []  # 4 s since the start: too soon
    clock.now = 105
    p.step()
    # 3 done in 5 s: the 7 left take 7 * 5/3 = 11.7 s at that rate (whole seconds from 10 s on).
    assert lines == ["bronze_play_by_play: 3/10 dates (30%), 5.0 s elapsed, about 12 s left"]
    clock.now = 109.9
    p.step(2, detail="2023-01-03")
    assert len(lines) == 1  # 4.9 s since the last line
    clock.now = 110
    p.step(detail="2023-01-04")
    assert lines[-1] == "bronze_play_by_play: 6/10 dates (60%), 10 s elapsed, about 6.7 s left (2023-01-04)"
    clock.now = 111
    p.step(3)
    assert len(lines) == 2
    clock.now = 112
    p.step(detail="last")  # the end is always logged
    assert lines[-1] == "bronze_play_by_play: 10/10 dates (100%), 12 s elapsed, done (last)"
    assert p.lines == 3 and p.done == 10
    clock.now = 113
    p.step()  # past the end: rate-limited again, no second "done" line
    assert len(lines) == 3


def test_progress_time_left_is_the_average_rate_applied_to_what_remains():
    clock = FakeClock(0)
    p = Progress(1230, "parse", log=None, clock=clock)
    assert p.seconds_left() is None and p.message().endswith("time left unknown")
    clock.now = 30
    p.step(300)
    assert p.seconds_left() == pytest.approx(30 / 300 * 930)  # 93 s
    assert p.message() == "parse: 300/1230 (24%), 30 s elapsed, about 1 min 33 s left"
    clock.now = 3600
    assert p.seconds_left() == pytest.approx(3600 / 300 * 930)
    assert p.message().endswith("about 3 h 06 min left")
    assert p.lines == 0  # log=None is silent


@pytest.mark.parametrize("seconds, text", [(0, "0.0 s"), (4.24, "4.2 s"), (59.4, "59 s"), (75, "1 min 15 s"),
                                            (3599, "59 min 59 s"), (3720, "1 h 02 min"), (-3, "0.0 s")])
def test_durations_read_naturally(seconds, text):
    assert format_duration(seconds) == text


def _progress_lines(instance, run_id) -> list[str]:
    return [e.user_message for e in instance.all_logs(run_id)
            if e.dagster_event is None and " dates (" in e.user_message]


def test_a_multi_date_run_logs_progress_in_the_dagster_log(tmp_path, monkeypatch):
    monkeypatch.setattr(progress_module, "DATE_PROGRESS_EVERY_S", 0.0)  # a line per date
    resources = build_resources(lake_root=str(tmp_path / "lake"), mode="replay")
    with dg.instance_for_test() as instance:
        result = dg.materialize(
            ASSETS, selection=["bronze_play_by_play", "play_by_play"], resources=resources, instance=instance,
            run_config=QUIET, tags={"dagster/asset_partition_range_start": "2023-01-01",
                                    "dagster/asset_partition_range_end": "2023-01-03"},
        )
        lines = _progress_lines(instance, result.run_id)
        single = dg.materialize(ASSETS, selection=["bronze_play_by_play"], partition_key="2023-01-02",
                                resources=resources, instance=instance, run_config=QUIET)
        assert _progress_lines(instance, single.run_id) == []  # one date: nothing to report
    for asset, detail in (("bronze_play_by_play", "games so far"), ("play_by_play", "games read")):
        mine = [line for line in lines if line.startswith(f"{asset}: ")]
        assert [line.split(" dates")[0] for line in mine] == [f"{asset}: {i}/3" for i in (1, 2, 3)]
        assert all("left" in line for line in mine[:2]) and ", done (2023-01-03, 1 " in mine[2]
        assert mine[1].endswith(f"(2023-01-02, 1 {detail}" + (", 1 fetched, 0 held back)" if asset.startswith("bronze") else ")"))


def test_status_into_a_closed_pipe_stops_without_a_traceback(tmp_path):
    """`nba-lakehouse status | head`: the reader is gone before status writes (closed here before
    the command has even imported), and the command stops quietly."""
    import os
    import subprocess
    import sys

    from nba_lakehouse.lake import Lake
    from nba_lakehouse.schemas import SCHEDULE
    from nba_lakehouse.silver.schedule import schedule_from_payload

    # A lake holding one real table: the recorded 2023-24 schedule.
    payload = json.loads((REPLAY / "cdn/staticData/scheduleLeagueV2.json").read_text(encoding="utf-8"))
    Lake(str(tmp_path / "lake")).write_table(SCHEDULE, schedule_from_payload(payload, "cdn_scheduleleaguev2"), seasons=["2023-24"])
    home = tmp_path / "dagster_home"
    home.mkdir()
    shutil.copyfile(PROJECT_ROOT / "dagster.yaml", home / "dagster.yaml")
    env = {**os.environ, "NBA_LAKE_ROOT": str(tmp_path / "lake"), "DAGSTER_HOME": str(home)}
    command = [sys.executable, "-c", "from nba_lakehouse.cli import main; main(['status'])"]
    assert "schedule" in subprocess.run(command, capture_output=True, text=True, env=env, timeout=300).stdout
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    process.stdout.close()
    _, stderr = process.communicate(timeout=300)
    assert "Traceback" not in stderr.decode(), stderr.decode()
    assert process.returncode == 1
