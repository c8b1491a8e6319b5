"""Faults at the bronze archive, through the live client against the fake NBA serving the real recordings.

Each test states how it changes the real recordings (or the archived files) and asserts the run's
outcome, the message, and that once the fault is gone the lake is the one a clean run makes
(``lake_snapshot``). Each runs only the layers its claim is about: bronze alone for what is archived,
flagged or refetched; bronze and silver where the claim is what silver is built from. One test, the
flipped byte in a bronze body, runs the whole date through gold. The clean lakes of 2023-01-02 (V3
sample game 0022200552 with every detail feed) and 2020-12-22 (CDN sample game 0022000001) are made
once per module and layer set, against the module's one fake NBA (the archived URLs name its port).
"""

import dataclasses
import datetime as dt
import gzip
import hashlib
import json
import shutil
import threading
from pathlib import Path

import dagster as dg
import polars as pl
import pytest

from nba_lakehouse.bronze.archive import (
    GAME_FEEDS,
    ArchiveCorruptError,
    archive_game_response,
    find_archived,
    load_payload,
)
from nba_lakehouse.definitions import all_assets, all_checks
from nba_lakehouse.lake import Lake
from nba_lakehouse.resources import build_resources
from nba_lakehouse.schemas import GAME_ISSUES
from nba_lakehouse.sources.client import NBAClient
from nba_lakehouse_tests.conftest import load_recorded
from nba_lakehouse_tests.fake_nba import (
    SCOREBOARD_PATH,
    CleanLakes,
    edit_json,
    lake_snapshot,
    run_dates,
    serve,
    status,
)

V3_DATE, V3_GAME = "2023-01-02", "0022200552"
CDN_DATE, CDN_GAME = "2020-12-22", "0022000001"
BRONZE, BRONZE_AND_SILVER = ("bronze",), ("bronze", "silver")


@pytest.fixture(scope="module")
def served():
    """One fake NBA for the module: the archived URLs name its port, so clean and faulted lakes share it."""
    with serve() as fake:
        yield fake


@pytest.fixture
def fake_nba(served):
    served.clear_faults()
    yield served
    served.clear_faults()


@pytest.fixture(scope="module")
def clean(tmp_path_factory, served) -> CleanLakes:
    """The clean run of a date and layers, made the first time a test asks for it."""
    return CleanLakes(tmp_path_factory, served)


def _checks(result) -> dict[str, dg.AssetCheckEvaluation]:
    return {f"{e.asset_key.to_user_string()}.{e.check_name}": e for e in result.get_asset_check_evaluations()}


def _metadata(result, asset: str) -> dict:
    return {k: v.value for k, v in result.asset_materializations_for_node(asset)[-1].metadata.items()}


def _manifests(root: Path, endpoint: str) -> list[dict]:
    return [json.loads(p.read_text()) for p in sorted((root / "bronze" / endpoint).rglob("*.manifest.json"))]


def _materialize(root, client, selection, partition_key):
    resources = {**build_resources(lake_root=str(root), mode="live"), "nba": client}
    return dg.materialize([*all_assets, *all_checks], selection=selection, partition_key=partition_key,
                          resources=resources, raise_on_error=False)


# ------------------------------------------------------------------------------ scoreboards
def test_an_empty_scoreboard_for_a_past_date_is_not_settled_and_the_next_run_fetches_its_games(tmp_path, fake_nba, clean):
    """ScoreboardV3 of 2023-01-02 served with its games list emptied (the fake's scoreboard is the
    real 2025-11-05 recording re-dated, holding the recorded game): no schedule is archived to confirm
    the empty answer, so the date is not settled, the check warns naming it, and no game is fetched;
    the next run fetches them and bronze is a clean run's (bronze only: the claim is what is fetched)."""
    fake_nba.fault(SCOREBOARD_PATH, edit_json(lambda board: board["scoreboard"]["games"].clear()), times=None)
    result = run_dates(tmp_path, fake_nba.client(), V3_DATE, layers=BRONZE)
    assert result.success
    check = _checks(result)["bronze_scoreboard.scoreboards_usable"]
    assert not check.passed
    assert "2023-01-02 lists no game" in check.description and "bronze_schedule for 2022-23" in check.description
    assert _metadata(result, "bronze_scoreboard")["dates_unsettled"] == 1
    assert not (tmp_path / "bronze" / "playbyplayv3").exists()

    fake_nba.clear_faults()
    assert run_dates(tmp_path, fake_nba.client(), V3_DATE, layers=BRONZE).success
    assert lake_snapshot(tmp_path, BRONZE) == clean.snapshot(V3_DATE, BRONZE)


def test_a_scoreboard_without_its_games_list_names_the_date_and_the_fix(tmp_path, fake_nba):
    """ScoreboardV3 of 2023-01-02 served with ``scoreboard.games`` removed: nothing is archived and the
    check says which date, what was wrong and that the next run asks again."""
    fake_nba.fault(SCOREBOARD_PATH, edit_json(lambda board: board["scoreboard"].pop("games")), times=None)
    result = _materialize(tmp_path, fake_nba.client(), ["bronze_scoreboard"], V3_DATE)
    assert result.success
    check = _checks(result)["bronze_scoreboard.scoreboards_usable"]
    assert not check.passed
    for expected in ("scoreboard of 2023-01-02 is unusable", "scoreboard has no games", "asks again"):
        assert expected in check.description
    assert not (tmp_path / "bronze" / "scoreboardv3").exists()


def test_a_scoreboard_lacking_games_the_schedule_has_as_final_is_not_archived_and_they_are_flagged(tmp_path, fake_nba):
    """The real 2023-24 CDN schedule with the games of 2023-10-24 set final (gameStatus 3, as the
    schedule reads once they were played); the fake's ScoreboardV3 of 2023-10-24 lists no game (none is
    recorded that date). The scoreboard contradicts the schedule: not archived, each game flagged."""
    day = "2023-10-24"

    def played(schedule):
        for game in (g for d in schedule["leagueSchedule"]["gameDates"] for g in d["games"]):
            if game["gameDateEst"].startswith(day):
                game["gameStatus"] = 3

    fake_nba.fault("/cdn/staticData/scheduleLeagueV2.json", edit_json(played))
    assert _materialize(tmp_path, fake_nba.client(), ["bronze_schedule"], "2023-24").success
    expected = sorted(
        g["gameId"] for d in load_recorded("cdn/staticData/scheduleLeagueV2.json")["leagueSchedule"]["gameDates"]
        for g in d["games"] if g["gameDateEst"].startswith(day)
    )
    assert expected

    result = _materialize(tmp_path, fake_nba.client(), ["bronze_scoreboard"], day)
    check = _checks(result)["bronze_scoreboard.scoreboards_usable"]
    assert result.success and not check.passed
    assert f"for {day} lists 0 games but not {', '.join(expected)}" in check.description
    issues = Lake(str(tmp_path)).read_table(GAME_ISSUES)
    assert sorted(issues["game_id"]) == expected
    assert set(issues["rule"]) == {"scoreboard_missing_games"} and set(issues["action"]) == {"flagged"}
    assert not (tmp_path / "bronze" / "scoreboardv3").exists()


# ------------------------------------------------------------------------------ corrupt archives
def _flip_a_byte(path: Path) -> None:
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    path.write_bytes(bytes(data))


def _body(manifest_path: str) -> Path:
    manifest = json.loads(Path(manifest_path).read_text())
    return Path(manifest_path).parent / manifest["body_path"]


def test_a_flipped_byte_in_a_bronze_body_is_refused_naming_path_hashes_and_fix_and_a_live_run_refetches_it(tmp_path, fake_nba, clean):
    """The archived V3 play-by-play of 0022200552 in a clean lake with one byte of its gzip flipped,
    then with a valid gzip of the real body with its first digit 1 changed to 2: both refused; a live
    run of the whole date fetches the response again and rebuilds silver and gold from it, and the lake
    is a clean run's again. The module's one end-to-end run through gold: the others stop at the layer
    their claim is about."""
    shutil.copytree(clean.root(V3_DATE), tmp_path, dirs_exist_ok=True)
    lake = Lake(str(tmp_path))
    manifest = find_archived(lake, "play_by_play", V3_GAME, dt.date(2023, 1, 2))
    body = _body(manifest["manifest_path"])
    real = gzip.decompress(body.read_bytes())

    _flip_a_byte(body)
    with pytest.raises(ArchiveCorruptError) as flipped:
        load_payload(lake, manifest)
    message = str(flipped.value)
    for expected in (str(body), manifest["sha256"], "does not decompress", "re-run bronze_play_by_play for 2023-01-02 with refresh=true"):
        assert expected in message

    changed = real.replace(b"1", b"2", 1)
    body.write_bytes(gzip.compress(changed))
    with pytest.raises(ArchiveCorruptError) as mismatched:
        load_payload(lake, manifest)
    assert f"the body's sha256 is {hashlib.sha256(changed).hexdigest()}" in str(mismatched.value)
    assert manifest["sha256"] in str(mismatched.value)

    result = run_dates(tmp_path, fake_nba.client(), V3_DATE)
    assert result.success
    meta = _metadata(result, "bronze_play_by_play")
    assert meta["corrupt_refetched"] == 1 and meta["fetched"] == 1 and str(body) in meta["corrupt"][V3_GAME]
    assert gzip.decompress(body.read_bytes()) == real
    assert lake_snapshot(tmp_path) == clean.snapshot(V3_DATE)


def test_a_run_killed_between_body_and_manifest_is_relaunched_to_a_clean_lake(tmp_path, fake_nba, clean, monkeypatch):
    """The process dies (here: Lake.write_bytes raises) right after the first play-by-play body is
    written and before its manifest: the body is an orphan no manifest names, and the relaunch
    succeeds and ends with a clean run's bronze (bronze only: the orphan and its manifest are bronze's;
    test_faults_kill kills every layer's writes)."""
    real_write = Lake.write_bytes

    def dies_after_the_body(self, path, data):
        real_write(self, path, data)
        if "/playbyplayv3/" in path and path.endswith(".json.gz"):
            raise OSError("killed between body and manifest")

    monkeypatch.setattr(Lake, "write_bytes", dies_after_the_body)
    killed = run_dates(tmp_path, fake_nba.client(), V3_DATE, layers=BRONZE)
    monkeypatch.setattr(Lake, "write_bytes", real_write)
    assert not killed.success
    assert "killed between body and manifest" in str(killed.failure_data_for_node("bronze_play_by_play").error.cause)
    assert list((tmp_path / "bronze" / "playbyplayv3").rglob("*.json.gz"))
    assert not list((tmp_path / "bronze" / "playbyplayv3").rglob("*.manifest.json"))

    assert run_dates(tmp_path, fake_nba.client(), V3_DATE, layers=BRONZE).success
    assert lake_snapshot(tmp_path, BRONZE) == clean.snapshot(V3_DATE, BRONZE)


def test_a_reader_during_re_archives_never_sees_a_corrupt_archive(tmp_path):
    """One thread re-archives the V3 play-by-play of 0022200552 over and over, alternating the real
    body and the same payload re-serialized (other bytes, so another body); another reads it all the
    while. Every read returns the payload; none raises."""
    lake = Lake(str(tmp_path))
    response = NBAClient(mode="replay").play_by_play_v3(V3_GAME)
    other = dataclasses.replace(response, body=json.dumps(response.payload).encode())
    feed, date = GAME_FEEDS["play_by_play"]["v3"], dt.date(2023, 1, 2)
    archive_game_response(lake, response, kind="play_by_play", feed=feed, game_id=V3_GAME, game_date=date)
    writes, reads, errors = 60, [], []
    done = threading.Event()

    def rearchive():
        for i in range(writes):
            archive_game_response(lake, (response, other)[i % 2], kind="play_by_play", feed=feed, game_id=V3_GAME, game_date=date)
        done.set()

    writer = threading.Thread(target=rearchive)
    writer.start()
    while not done.is_set() or not reads:
        try:
            reads.append(load_payload(lake, find_archived(lake, "play_by_play", V3_GAME, date)) == response.payload)
        except Exception as exc:  # counted: any error is a false corruption
            errors.append(exc)
    writer.join()
    assert errors == [] and all(reads)
    # One body per response: the re-archives left no other behind.
    assert len(list((tmp_path / "bronze" / "playbyplayv3").rglob("*.json.gz"))) == 1


# ------------------------------------------------------------------------------ feed fallbacks
def test_a_transient_cdn_403_holds_the_cdn_game_back_and_the_next_run_archives_it(tmp_path, fake_nba, clean):
    """The CDN answers 403 (once) for the play-by-play of 0022000001 (2020-12-22), whose only recorded
    feed is the CDN: V3 and V2 answer 404, so the game is held back this run naming each feed's answer;
    nothing is archived, and the next run (fault cleared) archives the CDN: bronze (its game_issues
    rows included) is a clean run's. Bronze only: holding back here is bronze_play_by_play's."""
    path = f"/cdn/liveData/playbyplay/playbyplay_{CDN_GAME}.json"
    fake_nba.fault(path, status(403))
    result = run_dates(tmp_path, fake_nba.client(), CDN_DATE, layers=BRONZE)
    assert result.success
    issues = Lake(str(tmp_path)).read_table(GAME_ISSUES).filter(pl.col("recorded_by") == "bronze_play_by_play")
    assert issues.select("game_id", "rule").rows() == [(CDN_GAME, "feed_unavailable")]
    assert "cdn: CDN feed" in issues["detail"][0] and "HTTP 403" in issues["detail"][0] and "HTTP 404" in issues["detail"][0]
    assert not (tmp_path / "bronze" / "cdn_playbyplay").exists()

    assert run_dates(tmp_path, fake_nba.client(), CDN_DATE, layers=BRONZE).success
    assert lake_snapshot(tmp_path, BRONZE) == clean.snapshot(CDN_DATE, BRONZE)


def test_a_fallback_after_a_transient_403_asks_the_preferred_feed_again_next_run(tmp_path, fake_nba, clean):
    """BoxScoreTraditionalV3 of 0022200552 answers 403 (once); its CDN box score is not recorded
    (404), so this run archives the recorded V2 box score and its manifest says why. The next run asks
    V3 again, archives it, removes the V2 fallback, and silver is built from V3: bronze and silver are a
    clean run's (gold reads only silver, so it is left out)."""
    fake_nba.fault("/stats/boxscoretraditionalv3", status(403))
    result = run_dates(tmp_path, fake_nba.client(), V3_DATE, layers=BRONZE_AND_SILVER)
    assert result.success
    (fallback,) = _manifests(tmp_path, "boxscoretraditionalv2")
    assert fallback["feed_failures"] == {"cdn": "HTTP 404", "v3": "HTTP 403"}
    assert fallback["retry_feeds"] == ["v3"] and fallback["preferred_attempts"] == 0
    assert _metadata(result, "bronze_box_score")["feed_fallbacks"] == {V3_GAME: "cdn: HTTP 404; v3: HTTP 403"}
    assert not (tmp_path / "bronze" / "boxscoretraditionalv3").exists()

    again = run_dates(tmp_path, fake_nba.client(), V3_DATE, layers=BRONZE_AND_SILVER)
    assert again.success and _metadata(again, "bronze_box_score")["fallbacks_replaced"] == 1
    assert not list((tmp_path / "bronze" / "boxscoretraditionalv2").rglob("*.json*"))
    assert lake_snapshot(tmp_path, BRONZE_AND_SILVER) == clean.snapshot(V3_DATE, BRONZE_AND_SILVER)


# ------------------------------------------------------------------------------ detail feeds
def test_an_empty_hustle_response_is_recorded_missing_and_the_next_run_archives_it(tmp_path, fake_nba, clean):
    """HustleStatsBoxScore of 0022200552 served with the rows of its PlayerStats result set removed:
    nothing is archived, the game is flagged detail_feed_missing and the check warns; the next run asks
    again and bronze is a clean run's (bronze only: the claim is what is archived and flagged)."""

    def no_player_rows(payload):
        next(rs for rs in payload["resultSets"] if rs["name"] == "PlayerStats")["rowSet"].clear()

    fake_nba.fault("/stats/hustlestatsboxscore", edit_json(no_player_rows), times=None)
    result = run_dates(tmp_path, fake_nba.client(), V3_DATE, layers=BRONZE)
    assert result.success
    check = _checks(result)["bronze_hustle_stats.games_missing"]
    assert not check.passed and V3_GAME in check.description and "PlayerStats has no rows" in check.description
    issues = Lake(str(tmp_path)).read_table(GAME_ISSUES)
    assert issues.select("game_id", "recorded_by", "rule", "action").rows() == [
        (V3_GAME, "bronze_hustle_stats", "detail_feed_missing", "flagged")
    ]
    assert not (tmp_path / "bronze" / "hustlestatsboxscore").exists()

    fake_nba.clear_faults()
    assert run_dates(tmp_path, fake_nba.client(), V3_DATE, layers=BRONZE).success
    assert lake_snapshot(tmp_path, BRONZE) == clean.snapshot(V3_DATE, BRONZE)


def test_schema_drift_is_recorded_in_the_manifest(tmp_path):
    """The real V3 play-by-play of 0022200552 as the client would hand it over with two drift notes."""
    lake = Lake(str(tmp_path))
    response = NBAClient(mode="replay").play_by_play_v3(V3_GAME)
    drift = ("new field game.actions[].foo", "new field meta.bar")
    manifest = archive_game_response(
        lake, dataclasses.replace(response, schema_drift=drift), kind="play_by_play",
        feed=GAME_FEEDS["play_by_play"]["v3"], game_id=V3_GAME, game_date=dt.date(2023, 1, 2),
    )
    assert json.loads(Path(manifest["manifest_path"]).read_text())["schema_drift"] == list(drift)
