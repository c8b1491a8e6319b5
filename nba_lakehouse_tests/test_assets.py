"""Asset wiring: the lakehouse materialized with dagster.materialize on temporary lakes."""

import gzip
import hashlib
import json
import shutil
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

import dagster as dg
import duckdb
import polars as pl
import pytest

from nba_lakehouse.definitions import all_assets, all_checks, defs, per_game_date
from nba_lakehouse.gold import checks as gold_checks
from nba_lakehouse.lake import Lake
from nba_lakehouse.resources import build_resources
from nba_lakehouse.schemas import (
    BOX_SCORE_TEAMS,
    EVENT_STATE,
    GAME_ISSUES,
    PLAY_BY_PLAY,
    TABLES,
)
from nba_lakehouse.sources.replay import cdn_replay_path, stats_replay_path
from nba_lakehouse_tests.conftest import (
    REPLAY,
    SAMPLE_GAMES,
    game_dates,
    load_recorded,
)

ASSETS = [*all_assets, *all_checks]


def _recorded_event_count() -> int:
    total = 0
    for feed, path, *_ in SAMPLE_GAMES.values():
        raw = load_recorded(path)
        total += len(raw["resultSets"][0]["rowSet"]) if feed == "v2" else len(raw["game"]["actions"])
    return total


def test_definitions_load_with_layers_as_groups():
    graph = defs.resolve_asset_graph()
    groups = {graph.get(k).group_name for k in graph.get_all_asset_keys()}
    assert {"bronze", "silver", "gold", "warehouse"} <= groups
    # resolve_job_def raises for a missing job, so what can fail is the job being per game date.
    assert isinstance(defs.resolve_job_def("game_date_job").partitions_def, dg.DailyPartitionsDefinition)
    pools = {graph.get(k).key.to_user_string(): graph.get(k).pools for k in graph.get_all_asset_keys()}
    assert pools["bronze_play_by_play"] == {"nba_api"} and pools["duckdb_catalog"] == {"duckdb_writer"}


def test_demo_materializes_every_layer(demo_lake):
    root, result = demo_lake
    assert result.games.height == len(SAMPLE_GAMES)
    assert result.games["status"].to_list() == ["final"] * len(SAMPLE_GAMES)
    assert result.events == _recorded_event_count()
    assert result.checks and all(ok for *_, ok in result.checks)
    # Every declared check ran at least once on the demo's partitions, but freshness: it is judged
    # by its own schedule (test_freshness.py), never inside the runs that build the partitions; and
    # the model's calibration: the demo publishes the bundled model without it (three sample games
    # it did not train on are too few to judge; test_win_probability_assets runs it).
    declared = {(k.asset_key.to_user_string(), k.name) for c in all_checks for k in c.check_keys
                if k not in gold_checks.gold_freshness.check_keys
                and k not in gold_checks.calibrated_on_held_out_games.check_keys}
    assert {(a, n) for a, n, _ in result.checks} == declared
    assert result.gold_query.height == len(SAMPLE_GAMES)
    # Two teams per sample game, each with its counted possessions and a rating that follows from them.
    assert result.four_factors.height == 2 * len(SAMPLE_GAMES)
    assert (abs(result.four_factors["off_rtg"] * result.four_factors["possessions"] / 100 - result.four_factors["points"]) < 0.1).all()


def test_demo_final_scores_match_the_recorded_box_scores(demo_lake):
    _, result = demo_lake
    for row in result.games.iter_rows(named=True):
        _, _, box_feed, box_file = SAMPLE_GAMES[row["game_id"]]
        raw = load_recorded(box_file)
        if box_feed == "v2":
            team_stats = next(rs for rs in raw["resultSets"] if rs["name"] == "TeamStats")
            rows = [dict(zip(team_stats["headers"], r, strict=True)) for r in team_stats["rowSet"]]
            points = {row["TEAM_ABBREVIATION"]: row["PTS"] for row in rows}
        else:
            box = raw["boxScoreTraditional"] if box_feed == "v3" else raw["game"]
            points = {
                t["teamTricode"]: (t["statistics"]["points"] if box_feed == "v3" else t["score"])
                for t in (box["homeTeam"], box["awayTeam"])
            }
        assert points == {row["home"]: row["home_score"], row["away"]: row["away_score"]}
        assert row["winner"] == max(points, key=points.get)


def _recorded_file(url: str) -> Path:
    """The replay file a request URL is answered from (the same mapping the replay adapter uses)."""
    parts = urlsplit(url)
    if parts.netloc == "cdn.nba.com":
        return cdn_replay_path(REPLAY, parts.path.removeprefix("/static/json/"))
    return stats_replay_path(REPLAY, parts.path.rsplit("/", 1)[1], parse_qsl(parts.query, keep_blank_values=True))


def test_bronze_keeps_each_response_verbatim_with_a_manifest(demo_lake):
    root, _ = demo_lake
    manifests = [json.loads(p.read_text()) | {"path": p} for p in sorted(Path(root, "bronze").rglob("*.manifest.json"))]
    by_kind = {}
    for m in manifests:
        by_kind.setdefault(m["kind"], []).append(m)
    assert len(by_kind["play_by_play"]) == len(by_kind["box_score"]) == len(SAMPLE_GAMES)
    # Every season-level, date-level and reference source of the recordings was archived too.
    assert {"season", "date", "reference", "summary", "hustle", "rotation", "shots"} <= set(by_kind)
    dates = game_dates()
    for manifest in manifests:
        path = manifest["path"]
        recorded = _recorded_file(manifest["url"]).read_bytes()
        body = gzip.decompress((path.parent / manifest["body_path"]).read_bytes())
        assert body == recorded
        assert manifest["sha256"] == hashlib.sha256(recorded).hexdigest() and manifest["bytes"] == len(recorded)
        assert manifest["source_mode"] == "replay" and manifest["fetched_at"]
        folder = path.parent.relative_to(root).as_posix()
        if manifest["kind"] == "reference":
            assert folder == f"bronze/{manifest['endpoint']}"
        elif manifest["kind"] == "season":
            assert folder == f"bronze/{manifest['endpoint']}/season={manifest['season']}"
        elif manifest["kind"] == "date":
            assert folder.startswith(f"bronze/{manifest['endpoint']}/season=")
            assert folder.endswith(f"/month={manifest['game_date'][5:7]}")
        else:
            assert manifest["parameters"] if manifest["feed"] != "cdn" else manifest["url"].endswith(".json")
            game_date = dates[manifest["game_id"]]
            assert folder == f"bronze/{manifest['endpoint']}/season={manifest['season']}/month={game_date.month:02d}"
    # Shots are asked per team: the two teams of each game with a recorded chart.
    shots = {(m["game_id"], m["part"]) for m in by_kind["shots"]}
    assert len(shots) == 2 * len({g for g, _ in shots})
    assert not list(Path(root, "bronze").rglob(".tmp-*"))


def test_duckdb_views_and_direct_parquet_reads_agree(demo_lake):
    root, result = demo_lake
    with duckdb.connect(result.duckdb_path, read_only=True) as conn:
        counts = {t: conn.execute(f"SELECT count(*) FROM {TABLES[t].layer}.{t}").fetchall()[0][0] for t in TABLES}
        types = dict(conn.execute("SELECT column_name, data_type FROM information_schema.columns "
                                  "WHERE table_schema = 'gold' AND table_name = 'event_state'").fetchall())
    assert counts["event_state"] == counts["play_by_play"] == result.events
    assert types["game_date"] == "DATE" and types["possession_side"] == "TINYINT"
    direct = pl.scan_parquet(f"{root}/gold/event_state/**/*.parquet", hive_partitioning=True).collect()
    assert direct.height == result.events
    assert direct.schema["game_date"] == pl.Date
    direct_games = duckdb.sql(
        f"SELECT count(*) FROM read_parquet('{root}/silver/games/*/*/*.parquet', hive_partitioning=true)"
    ).fetchall()[0][0]
    assert direct_games == counts["games"] > len(SAMPLE_GAMES)
    # The sample games are all sound, so nothing is held back: game_issues is the one empty table.
    assert counts["game_issues"] == 0 and not Lake(str(root)).partition_files(TABLES["game_issues"])
    for name, table in TABLES.items():  # every other table, partitioned or not, reads the same both ways
        if name != "game_issues":
            assert pl.read_parquet(Lake(str(root)).table_glob(table), hive_partitioning=True).height == counts[name] > 0


@pytest.fixture
def fresh_resources(tmp_path):
    return build_resources(lake_root=str(tmp_path / "lake"), mode="replay"), tmp_path


def test_rematerializing_reuses_the_archive_unless_refresh(fresh_resources):
    resources, _ = fresh_resources
    def run(refresh):
        result = dg.materialize(
            ASSETS, selection=["bronze_play_by_play"], partition_key="2023-01-02", resources=resources,
            run_config={"ops": {"bronze_play_by_play": {"config": {"refresh": refresh}}}},
        )
        meta = result.asset_materializations_for_node("bronze_play_by_play")[0].metadata
        return meta["fetched"].value, meta["already_archived"].value
    assert run(False) == (1, 0)
    manifest = next(Path(resources["lake"].root).rglob("*.manifest.json"))
    first = manifest.read_text()
    assert run(False) == (0, 1)
    assert manifest.read_text() == first
    assert run(True) == (1, 0)
    assert json.loads(manifest.read_text())["fetched_at"] != json.loads(first)["fetched_at"]


def test_a_season_range_backfills_in_one_run(fresh_resources):
    resources, _ = fresh_resources
    result = dg.materialize(
        ASSETS, selection=per_game_date, resources=resources,
        tags={"dagster/asset_partition_range_start": "2022-12-30", "dagster/asset_partition_range_end": "2023-01-04"},
    )
    assert result.success
    lake = Lake(resources["lake"].root)
    assert lake.read_table(BOX_SCORE_TEAMS)["game_id"].unique().to_list() == ["0022200552"]
    assert lake.read_table(EVENT_STATE)["game_date"].unique().to_list() == [game_dates()["0022200552"]]
    event_state_partitions = result.asset_materializations_for_node("event_state")
    assert event_state_partitions and all(m.partition for m in event_state_partitions)


def test_a_box_score_breaking_a_game_rule_is_held_back_and_its_play_by_play_gold_still_built(tmp_path):
    """A corrupted copy of a real box score breaks five_starters_per_team: every home player who
    played given a position and the first listed moved last, so neither the order nor position
    tells the five starters."""
    replay = tmp_path / "replay"
    shutil.copytree(REPLAY, replay)
    box_path = replay / SAMPLE_GAMES["0022200552"][3]
    box = json.loads(box_path.read_text())
    home_players = box["boxScoreTraditional"]["homeTeam"]["players"]
    for player in home_players:
        player["position"] = player["position"] or ("F" if player["statistics"]["minutes"] else "")
    home_players.append(home_players.pop(0))
    box_path.write_text(json.dumps(box))
    resources = build_resources(lake_root=str(tmp_path / "lake"), mode="replay", replay_dir=str(replay))
    # Without the box score the starters are inferred, and GameRotation (a second opinion) may then
    # disagree with the lineups: that check may fail; it blocks nothing of the date's gold.
    result = dg.materialize(ASSETS, selection=per_game_date, partition_key="2023-01-02", resources=resources,
                            raise_on_error=False)
    outcomes = {(e.asset_key.to_user_string(), e.check_name): e for e in result.get_asset_check_evaluations()}
    assert {k for k, e in outcomes.items() if not e.passed} <= {("box_score_teams", "games_held_back"),
                                                               ("stints", "lineups_match_game_rotation")}
    held = outcomes[("box_score_teams", "games_held_back")]
    assert not held.passed and "0022200552 (five_starters_per_team)" in held.description
    assert outcomes[("box_score_players", "five_starters_per_team")].passed  # nothing wrong was published
    lake = Lake(str(tmp_path / "lake"))
    assert lake.read_table(BOX_SCORE_TEAMS).is_empty()
    state = lake.read_table(EVENT_STATE)
    assert state["game_id"].unique().to_list() == ["0022200552"]
    assert state["home_starters_on_court"].is_null().all()  # no box score: no game starters to count


def test_an_unrecorded_game_is_held_back_naming_the_endpoint_and_parameters(fresh_resources):
    resources, _ = fresh_resources
    result = dg.materialize(
        ASSETS, selection=["bronze_play_by_play"], partition_key="2023-01-02", resources=resources,
        run_config={"ops": {"bronze_play_by_play": {"config": {"game_ids": ["0022200553"]}}}},
    )
    issues = Lake(resources["lake"].root).read_table(GAME_ISSUES)
    assert issues.select("game_id", "rule", "action").rows() == [("0022200553", "feed_unavailable", "held_back")]
    for expected in ("playbyplayv3", "GameID", "0022200553", "playbyplay_0022200553.json", "playbyplayv2", "no recorded response"):
        assert expected in issues["detail"][0]
    assert result.get_asset_materialization_events()[0].materialization.metadata["games_held_back"].value == 1
    assert not list(Path(resources["lake"].root).rglob("*.manifest.json"))


def test_rewriting_a_date_with_fewer_games_leaves_nothing_stale(tmp_path, sample_frames):
    lake = Lake(str(tmp_path))
    teams = sample_frames["box_score_teams"]
    date = teams.filter(pl.col("game_id") == "0022200552")["game_date"][0]
    lake.write_table(BOX_SCORE_TEAMS, teams, dates=[date])
    assert lake.read_table(BOX_SCORE_TEAMS, game_dates=[date]).height == 2
    lake.write_table(BOX_SCORE_TEAMS, teams.filter(pl.col("game_id") != "0022200552"), dates=[date])
    assert lake.read_table(BOX_SCORE_TEAMS, game_dates=[date]).is_empty()
    assert lake.read_table(BOX_SCORE_TEAMS).height == teams.height - 2


def test_the_schema_rejects_frames_that_do_not_match(sample_frames):
    from nba_lakehouse.schemas import SchemaError

    pbp = sample_frames["play_by_play"]
    with pytest.raises(SchemaError, match=r"silver\.play_by_play.*missing columns \['period'\]"):
        PLAY_BY_PLAY.enforce(pbp.drop("period"))
    with pytest.raises(SchemaError, match="undeclared columns \\['extra'\\]"):
        PLAY_BY_PLAY.enforce(pbp.with_columns(extra=pl.lit(1)))
    with pytest.raises(SchemaError, match="event_order"):
        PLAY_BY_PLAY.enforce(pbp.with_columns(event_order=pl.lit(None)))
    with pytest.raises(SchemaError, match="cannot cast"):
        PLAY_BY_PLAY.enforce(pbp.with_columns(period=pl.lit("first")))


def test_gold_query_agrees_with_the_cdn_box_scores_own_game_stats(demo_lake):
    """The CDN box score reports biggest lead and lead changes; gold.event_state must agree."""
    _, result = demo_lake
    stats = load_recorded(SAMPLE_GAMES["0022000001"][3])["game"]
    row = result.gold_query.filter(pl.col("matchup") == "GSW @ BKN").row(0, named=True)
    assert row["biggest_home_lead"] == stats["homeTeam"]["statistics"]["biggestLead"]
    assert row["biggest_away_lead"] == stats["awayTeam"]["statistics"]["biggestLead"]
    assert row["lead_changes"] == stats["homeTeam"]["statistics"]["leadChanges"]


def test_catalog_refresh_does_not_wait_for_readers_or_other_writers(demo_lake):
    """A reader holding the catalog open and two refreshes at once must not hit DuckDB's lock."""
    import threading

    root, result = demo_lake
    resources = build_resources(lake_root=str(root), mode="replay")
    reader = duckdb.connect(result.duckdb_path, read_only=True)
    before = reader.execute("SELECT count(*) FROM gold.event_state").fetchall()[0][0]
    outcomes = []

    def refresh():
        outcomes.append(dg.materialize(ASSETS, selection=["duckdb_catalog"], resources=resources, raise_on_error=False).success)

    threads = [threading.Thread(target=refresh) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert outcomes == [True, True]
    assert reader.execute("SELECT count(*) FROM gold.event_state").fetchall()[0][0] == before
    reader.close()
    with duckdb.connect(result.duckdb_path, read_only=True) as fresh:
        assert fresh.execute("SELECT count(*) FROM silver.games WHERE play_by_play_source IS NOT NULL").fetchall()[0][0] == 4
    assert not list(Path(result.duckdb_path).parent.glob(".lakehouse.duckdb.*"))


@pytest.mark.parametrize(
    "config, expected",
    [({"feeds": ["v4"]}, r"feeds must be a non-empty list drawn from \['cdn', 'v3', 'v2'\]; got \['v4'\]"),
     ({"game_ids": ["22200552"]}, r"not an NBA game id: '22200552'")],
)
def test_bad_bronze_config_is_refused_with_what_was_wrong(fresh_resources, config, expected):
    resources, _ = fresh_resources
    with pytest.raises(Exception, match=expected):
        dg.materialize(ASSETS, selection=["bronze_box_score"], partition_key="2023-01-02", resources=resources,
                       run_config={"ops": {"bronze_box_score": {"config": config}}})
    assert not Path(resources["lake"].root).exists()


def test_readme_sql_runs_on_the_demo_catalog(demo_lake, monkeypatch, capsys):
    """Every ```sql block of the README runs, through the CLI, on the demo's catalog."""
    import re

    from nba_lakehouse.cli import main as cli

    root, result = demo_lake
    monkeypatch.setenv("NBA_LAKE_ROOT", str(root))
    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text()
    queries = re.findall(r"```sql\n(.*?)```", readme, re.DOTALL)
    assert len(queries) >= 3
    for query in queries:
        cli(["sql", query])
        assert "┌" in capsys.readouterr().out
    with pytest.raises(SystemExit, match='nba-lakehouse sql: .*"nope"'):
        cli(["sql", "SELECT nope FROM silver.games"])


def test_sql_says_how_many_rows_a_result_has_and_which_are_shown(demo_lake, monkeypatch, capsys):
    from nba_lakehouse.cli import SQL_ROWS_SHOWN
    from nba_lakehouse.cli import main as cli

    root, _ = demo_lake
    monkeypatch.setenv("NBA_LAKE_ROOT", str(root))
    events = pl.scan_parquet(f"{root}/gold/event_state/**/part-0.parquet").select(pl.len()).collect().item()
    assert events > SQL_ROWS_SHOWN
    cli(["sql", "SELECT game_id, event_order FROM gold.event_state"])
    assert f"\n{events:,} rows (first and last {SQL_ROWS_SHOWN // 2} shown)\n" in capsys.readouterr().out
    cli(["sql", "SELECT game_id FROM silver.games ORDER BY game_id LIMIT 1"])
    assert capsys.readouterr().out.endswith("\n1 row\n")
