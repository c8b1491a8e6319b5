"""Issue 3's tables as Dagster materializes them: every source in silver, reconciled and audited.

Expectations come from independent recorded fields (the game finder against the schedule, the
scoreboard against the game log); corrupted copies of the materialized real data must fail the
checks that guard them.
"""

import json
import shutil

import dagster as dg
import polars as pl
import pytest

from nba_lakehouse.definitions import all_assets, all_checks, per_game_date, per_season
from nba_lakehouse.lake import Lake
from nba_lakehouse.resources import build_resources
from nba_lakehouse.schemas import (
    GAMES,
    SCHEDULE,
    SCOREBOARD_GAMES,
    TABLES,
    TEAM_GAME_LOGS,
    TEAMS,
)
from nba_lakehouse_tests.conftest import REPLAY, load_recorded

ASSETS = [*all_assets, *all_checks]
FINDER_2023_24 = "stats/leaguegamefinder/PlayerOrTeam=T&Season=2023-24&SeasonType=Regular+Season.json"


def _result_rows(path: str, name: str) -> pl.DataFrame:
    rs = next(r for r in load_recorded(path)["resultSets"] if r["name"] == name)
    return pl.DataFrame(rs["rowSet"], schema=rs["headers"], orient="row", infer_schema_length=None)


def test_every_table_materializes_from_the_recordings(demo_lake):
    root, result = demo_lake
    rows = dict(result.tables.iter_rows())
    assert set(rows) == {f"{t.layer}.{t.name}" for t in TABLES.values()}
    # Every recorded game is sound, so silver.game_issues is the one table left empty.
    assert rows.pop("silver.game_issues") == 0
    assert all(n > 0 for n in rows.values()), {k: v for k, v in rows.items() if not v}


def test_the_full_2023_24_season_is_reconciled_from_schedule_and_game_finder(demo_lake):
    root, _ = demo_lake
    lake = Lake(str(root))
    games = lake.read_table(GAMES, seasons=["2023-24"])
    finder = _result_rows(FINDER_2023_24, "LeagueGameFinderResults")
    regular = games.filter(pl.col("season_type") == "Regular Season")
    assert regular["game_id"].n_unique() == finder["GAME_ID"].n_unique()
    assert set(regular["game_id"]) == set(finder["GAME_ID"])
    assert regular["status"].unique().to_list() == ["final"]
    # Scores come from the finder's PTS, per side.
    home = finder.filter(pl.col("MATCHUP").str.contains(" vs. ")).select(
        game_id="GAME_ID", home_team_id="TEAM_ID", home_score="PTS"
    )
    joined = regular.join(home, on="game_id", suffix="_finder")
    assert joined.height > 1200
    assert (joined["home_team_id"] == joined["home_team_id_finder"]).all()
    assert (joined["home_score"] == joined["home_score_finder"]).all()
    # The pre-season schedule saw most of them, with its arenas: both sources are named.
    schedule = lake.read_table(SCHEDULE, seasons=["2023-24"]).filter(pl.col("season_type") == "Regular Season")
    both = regular.filter(pl.col("sources").str.contains("schedule") & pl.col("sources").str.contains("team_game_logs"))
    assert both.height == schedule.height
    assert both["arena_name"].null_count() == schedule["arena_name"].null_count() < schedule.height


def test_scoreboard_and_game_log_agree_and_unplayed_games_stay_scheduled(demo_lake):
    root, _ = demo_lake
    lake = Lake(str(root))
    games = lake.read_table(GAMES, seasons=["2025-26"])
    boards = lake.read_table(SCOREBOARD_GAMES, seasons=["2025-26"])
    logs = lake.read_table(TEAM_GAME_LOGS, seasons=["2025-26"])
    final_boards = boards.filter(pl.col("status") == "final")
    assert final_boards.height > 0
    for row in final_boards.iter_rows(named=True):
        team_points = dict(logs.filter(pl.col("game_id") == row["game_id"]).select("team_id", "points").iter_rows())
        assert team_points == {row["home_team_id"]: row["home_score"], row["away_team_id"]: row["away_score"]}
        game = games.filter(pl.col("game_id") == row["game_id"]).row(0, named=True)
        assert game["status"] == "final" and game["sources"] == "scoreboard,team_game_logs"
    pregame = boards.filter(pl.col("status") == "scheduled")
    assert pregame.height > 0
    unplayed = games.filter(pl.col("game_id").is_in(pregame["game_id"].implode()))
    assert unplayed["status"].unique().to_list() == ["scheduled"] and unplayed["home_score"].null_count() == unplayed.height


def test_full_regular_season_is_judged_complete_only_for_finished_seasons(demo_lake):
    root, _ = demo_lake
    lake = Lake(str(root))
    teams = lake.read_table(TEAMS)
    from nba_lakehouse.silver.audits import regular_season_completeness

    for season, complete in (("2018-19", True), ("2023-24", True), ("2025-26", False)):
        verdict = regular_season_completeness(lake.read_table(GAMES, seasons=[season]), teams, season)
        assert verdict.violations.is_empty(), (season, verdict.violations)
        assert verdict.summary.startswith(f"{season} {'complete' if complete else 'in progress'}")
    assert verdict.metadata["expected_games"] == 1230  # 30 teams in teams x 82 games / 2


def test_teams_resolve_every_team_id_and_keep_the_franchise_years(demo_lake):
    root, _ = demo_lake
    teams = Lake(str(root)).read_table(TEAMS)
    years = _result_rows("stats/commonteamyears/_.json", "TeamYears")
    assert set(teams["team_id"]) >= set(years["TEAM_ID"])
    # Identities never overlap within a team.
    ordered = teams.sort("team_id", "first_season").with_columns(prev_last=pl.col("last_season").shift(1).over("team_id"))
    assert ordered.filter(pl.col("prev_last") >= pl.col("first_season")).is_empty()
    # Every current team was seen in the recorded data, so none rests on the static list alone.
    observed = teams.filter(pl.col("identity_source") == "observed")
    current = teams.filter(pl.col("is_active"))["team_id"]
    assert current.n_unique() == 30 and set(current) <= set(observed["team_id"])


def _rows(payload: dict, name: str) -> tuple[list[str], list[list]]:
    rs = next(r for r in payload["resultSets"] if r["name"] == name)
    return rs["headers"], rs["rowSet"]


def _drop_first_made_shot(payload):
    headers, rows = _rows(payload, "Shot_Chart_Detail")
    made = headers.index("SHOT_MADE_FLAG")
    rows.remove(next(r for r in rows if r[made] == 1))


def _drop_first_home_stint(payload):
    _rows(payload, "HomeTeam")[1].pop(0)


def _add_two_points_to_a_player(payload):
    headers, rows = _rows(payload, "PlayerStats")
    rows[0][headers.index("PTS")] += 2


def _add_a_point_to_an_overtime(payload):
    headers, rows = _rows(payload, "LineScore")
    rows[0][headers.index("PTS_OT1")] += 1


def _drop_one_game(payload):
    headers, rows = _rows(payload, "LeagueGameFinderResults")
    game = rows[0][headers.index("GAME_ID")]
    rows[:] = [r for r in rows if r[headers.index("GAME_ID")] != game]


def _unknown_team_on_a_hustle_line(payload):
    headers, rows = _rows(payload, "PlayerStats")
    rows[0][headers.index("TEAM_ID")] = 1610612799  # no NBA team has this id


# check -> (recorded file to corrupt, corruption, runs as (selection, partition key))
CORRUPTIONS = {
    "shots.shots_match_box_score": (
        "stats/shotchartdetail/ContextMeasure=FG_PCT&GameID=0021600270&LastNGames=0&Month=0&OpponentTeamID=0&Period=0"
        "&PlayerID=0&Season=2016-17&SeasonType=Regular+Season&TeamID=1610612760.json",
        _drop_first_made_shot, [(per_game_date, "2016-11-30")],
    ),
    "game_rotations.rotation_minutes_match_box_score": (
        "stats/gamerotation/GameID=0022200552.json", _drop_first_home_stint, [(per_game_date, "2023-01-02")],
    ),
    "box_score_teams.player_points_sum_to_team_points": (
        "stats/boxscoretraditionalv2/GameID=0022100732.json", _add_two_points_to_a_player, [(per_game_date, "2022-01-26")],
    ),
    "line_scores.line_score_periods_sum_to_final": (
        "stats/boxscoresummaryv2/GameID=0022200552.json", _add_a_point_to_an_overtime, [(per_game_date, "2023-01-02")],
    ),
    "games.full_regular_season": (
        FINDER_2023_24, _drop_one_game, [(["bronze_team_years", "teams"], None), (per_season, "2023-24")],
    ),
    "teams.team_ids_resolve": (
        "stats/hustlestatsboxscore/GameID=0022200552.json", _unknown_team_on_a_hustle_line,
        [(per_game_date, "2023-01-02"), (["bronze_team_years", "teams"], None)],
    ),
}


@pytest.mark.parametrize("check", sorted(CORRUPTIONS))
def test_each_check_fails_on_a_corrupted_copy_of_the_real_data(tmp_path, check):
    """The demo shows every check passing on the recordings; here one recording is corrupted."""
    recording, corrupt, runs = CORRUPTIONS[check]
    replay = tmp_path / "replay"
    shutil.copytree(REPLAY, replay)
    payload = json.loads((replay / recording).read_text())
    corrupt(payload)
    (replay / recording).write_text(json.dumps(payload))
    resources = build_resources(lake_root=str(tmp_path / "lake"), mode="replay", replay_dir=str(replay))
    outcomes = {}
    for selection, partition_key in runs:
        result = dg.materialize(
            ASSETS, selection=selection, partition_key=partition_key, resources=resources, raise_on_error=False,
        )
        outcomes |= {f"{e.asset_key.to_user_string()}.{e.check_name}": e for e in result.get_asset_check_evaluations()}
    if check in HELD_BACK_BY:
        # A game rule: the asset held the game back under the check's name before writing, so the
        # check passes on what was published and the asset's games_held_back names the game.
        assert outcomes[check].passed
        check, rule = HELD_BACK_BY[check], check.split(".")[1]
        assert f"({rule})" in outcomes[check].description
    failed = outcomes[check]
    assert not failed.passed
    assert failed.metadata["games_held_back" if check.endswith(".games_held_back") else "violations"].value >= 1
    # Only the guarded check trips: the corruption is that precise.
    assert [name for name, e in outcomes.items() if not e.passed] == [check]


# Checks whose rule the asset applies per game before writing, and the check that names the games it held back.
HELD_BACK_BY = {"box_score_teams.player_points_sum_to_team_points": "box_score_teams.games_held_back"}


def test_an_optional_feed_the_game_lacks_is_reported_not_fatal(tmp_path):
    """2016-11-30's one game has no hustle stats (tracked since 2015-16, but none recorded): the
    step succeeds, says why in its log, and records no materialization for a feed holding nothing."""
    resources = build_resources(lake_root=str(tmp_path), mode="replay")
    with dg.instance_for_test() as instance:
        result = dg.materialize(ASSETS, selection=["bronze_hustle_stats"], partition_key="2016-11-30",
                                resources=resources, instance=instance)
        messages = [e.user_message for e in instance.all_logs(result.run_id) if e.dagster_event is None]
    assert result.success and not result.asset_materializations_for_node("bronze_hustle_stats")
    assert any("hustlestatsboxscore unavailable for 1 games" in m and "GameID=0021600270.json" in m for m in messages)
    assert any("hustlestatsboxscore holds no game of the run's 1 dates" in m for m in messages)
    assert not (tmp_path / "bronze" / "hustlestatsboxscore").exists()


def test_recorded_partitions_come_from_the_recordings():
    from nba_lakehouse.sources.replay import recorded_partitions

    recorded = recorded_partitions(REPLAY)
    assert "2023-24" in recorded.seasons and "2018-19" in recorded.seasons
    assert recorded.players_by_season == {"2025-26": [1628378]}
    scoreboard_dates = {p.stem.split("=")[1] for p in (REPLAY / "stats" / "scoreboardv3").glob("*.json")}
    assert scoreboard_dates <= {d.isoformat() for d in recorded.dates}
