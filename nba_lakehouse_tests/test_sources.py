"""Replay mode, payload parsing by dataset name, and the recordings' table of contents."""

import datetime as dt
import json

import dagster as dg
import pytest

from nba_lakehouse.definitions import all_assets
from nba_lakehouse.resources import build_resources
from nba_lakehouse.sources.client import NBAClient
from nba_lakehouse.sources.errors import ReplayMissError
from nba_lakehouse.sources.payloads import result_set, scoreboard_games
from nba_lakehouse.sources.replay import recorded_games, replay_query
from nba_lakehouse_tests.conftest import REPLAY, load_recorded


@pytest.fixture(scope="module")
def client():
    return NBAClient(mode="replay")


def test_replay_serves_the_recorded_bytes_through_the_client(client):
    response = client.play_by_play_v3("0022200552")
    assert response.body == (REPLAY / "stats/playbyplayv3/GameID=0022200552.json").read_bytes()
    assert response.url.startswith("https://stats.nba.com/stats/playbyplayv3?")
    assert "GameID=0022200552" in response.url and response.mode == "replay"


def test_replay_of_an_unrecorded_request_names_endpoint_parameters_and_file(client):
    with pytest.raises(ReplayMissError) as raised:
        client.box_score_traditional_v3("0022200553")
    message = str(raised.value)
    assert "boxscoretraditionalv3" in message and "'GameID': '0022200553'" in message
    assert str(REPLAY / "stats/boxscoretraditionalv3/GameID=0022200553.json") in message
    with pytest.raises(ReplayMissError, match="CDN feed liveData/boxscore/boxscore_0022200553.json"):
        client.cdn_box_score("0022200553")


def test_replay_file_names_are_the_sorted_meaningful_query():
    assert replay_query({"GameID": "0022200552", "StartPeriod": "0", "EndPeriod": "0"}) == "GameID=0022200552"
    assert replay_query({"RangeType": "2", "StartRange": "28800", "EndRange": "28940", "GameID": "0021600270", "LeagueID": "00"}) == \
        "EndRange=28940&GameID=0021600270&RangeType=2&StartRange=28800"
    assert replay_query({"PlayerOrTeam": "T", "SeasonType": "Regular Season", "Season": "2023-24", "DateFrom": ""}) == \
        "PlayerOrTeam=T&Season=2023-24&SeasonType=Regular+Season"


def test_every_shipped_recording_is_reachable_through_a_client_method(client):
    """Each file name follows the layout, so the client finds it from its own parameters."""
    from nba_api.stats.endpoints import boxscoretraditionalv2, leaguegamelog

    from nba_lakehouse.sources.client import stats_request

    assert client.scoreboard_v3("2025-11-05").payload["scoreboard"]["gameDate"] == "2025-11-05"
    assert client.cdn_schedule().payload["leagueSchedule"]["seasonYear"] == "2023-24"
    with pytest.raises(ReplayMissError, match="scheduleleaguev2"):
        client.schedule_league_v2("2023-24")
    finder = client.league_game_finder(player_or_team_abbreviation="T", season_nullable="2023-24", season_type_nullable="Regular Season")
    assert finder.payload["parameters"]["Season"] == "2023-24"
    ranged = client.fetch(stats_request(boxscoretraditionalv2.BoxScoreTraditionalV2, game_id="0021600270",
                                        range_type="2", start_range="28800", end_range="28940"))
    assert ranged.payload["parameters"]["StartRange"] == 28800
    log = client.fetch(stats_request(leaguegamelog.LeagueGameLog, season="2018-19"))
    assert log.payload["parameters"]["Season"] == "2018-19"


def test_result_sets_are_picked_by_name_not_position():
    payload = load_recorded("stats/boxscoretraditionalv2/GameID=0022200552.json")
    reversed_payload = {**payload, "resultSets": list(reversed(payload["resultSets"]))}
    assert result_set(payload, "TeamStats").equals(result_set(reversed_payload, "TeamStats"))
    with pytest.raises(KeyError, match="'Nope' not in response"):
        result_set(payload, "Nope")


def test_a_complete_season_game_finder_lists_1230_games_of_82_per_team():
    finder = result_set(load_recorded("stats/leaguegamefinder/PlayerOrTeam=T&Season=2023-24&SeasonType=Regular+Season.json"), "LeagueGameFinderResults")
    assert finder["GAME_ID"].n_unique() * 2 == finder.height
    per_team = finder.group_by("TEAM_ID").len()
    assert per_team["len"].unique().to_list() == [82]
    assert finder["GAME_ID"].n_unique() == per_team.height * 82 // 2


def test_scoreboard_v3_games_and_the_empty_offseason_day(client):
    games = scoreboard_games(client.scoreboard_v3("2025-11-05").payload)
    assert games and all(g["gameStatus"] == 3 for g in games)
    for g in games:  # period scores add up to the final: the scoreboard is internally consistent
        for side in ("homeTeam", "awayTeam"):
            assert sum(p["score"] for p in g[side]["periods"]) == g[side]["score"]
    assert scoreboard_games(client.scoreboard_v3("2025-07-15").payload) == []


def test_games_csv_dates_are_the_dates_in_the_recordings():
    """games.csv is typed by hand; each date must be the one its cited recorded field says."""
    import csv

    rows = list(csv.DictReader((REPLAY / "games.csv").open()))
    assert len(rows) == len(recorded_games(REPLAY))
    for row in rows:
        path, field = row["date_source"].split(" ")
        payload = load_recorded(path)
        if field == "game.gameEt":
            recorded = payload["game"]["gameEt"][:10]
        else:
            summary = result_set(payload, "GameSummary")
            assert summary["GAME_ID"][0] == row["game_id"]
            recorded = summary["GAME_DATE_EST"][0][:10]
        assert recorded == row["game_date"], row


def test_replay_discovery_lists_the_recorded_games_of_a_date(client):
    assert client.final_games_on(dt.date(2023, 1, 2)) == ["0022200552"]
    assert client.final_games_on(dt.date(2023, 1, 3)) == []


def test_season_schedule_is_archived_by_season(tmp_path):
    resources = build_resources(lake_root=str(tmp_path), mode="replay")
    result = dg.materialize(all_assets, selection=["bronze_schedule"], partition_key="2023-24", resources=resources)
    meta = result.asset_materializations_for_node("bronze_schedule")[0].metadata
    recorded = load_recorded("cdn/staticData/scheduleLeagueV2.json")
    assert meta["games"].value == sum(len(d["games"]) for d in recorded["leagueSchedule"]["gameDates"])
    manifest = json.loads((tmp_path / "bronze/cdn_scheduleleaguev2/season=2023-24/cdn_scheduleleaguev2_2023-24.manifest.json").read_text())
    assert manifest["url"].endswith("/staticData/scheduleLeagueV2.json") and manifest["season"] == "2023-24"
    again = dg.materialize(all_assets, selection=["bronze_schedule"], partition_key="2023-24", resources=resources)
    assert again.asset_materializations_for_node("bronze_schedule")[0].metadata["fetched"].value == 0
    # A season no feed serves is reported, not fatal (old seasons have no ScheduleLeagueV2).
    other = dg.materialize(all_assets, selection=["bronze_schedule"], partition_key="2022-23", resources=resources)
    assert "serves season 2023-24, not 2022-23" in other.asset_materializations_for_node("bronze_schedule")[0].metadata["unavailable"].value
    assert not (tmp_path / "bronze/cdn_scheduleleaguev2/season=2022-23").exists()


def test_a_g_league_games_per_game_requests_ask_for_league_20_and_an_nba_games_are_unchanged(client):
    """The replay file name is the request's meaningful query, so it shows the LeagueID sent: the
    NBA game is still served from its recording (LeagueID 00 is the neutral default), the G League
    game id (same digits after "20") is looked up with LeagueID=20."""
    recorded = client.shot_chart_detail(1610612760, game_id="0021600270", season="2016-17")
    assert "LeagueID=00" in recorded.url
    assert client.game_rotation("0022200552").payload["parameters"]["LeagueID"] == "00"
    with pytest.raises(ReplayMissError, match=r"GameID=2021600270&LastNGames=0&LeagueID=20&"):
        client.shot_chart_detail(1610612760, game_id="2021600270", season="2016-17")
    with pytest.raises(ReplayMissError, match=r"gamerotation/GameID=2022200552&LeagueID=20\.json"):
        client.game_rotation("2022200552")


def test_a_game_id_of_no_known_league_is_refused_before_any_request():
    from nba_lakehouse.sources.client import league_id_of_game

    assert [league_id_of_game(g) for g in ("0022200552", "1022300001", "2022200001")] == ["00", "10", "20"]
    with pytest.raises(ValueError, match="'3022200552' starts with no known league id"):
        league_id_of_game("3022200552")
