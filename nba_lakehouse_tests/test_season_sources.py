"""Schedule, scoreboards, season game logs and season totals parsed from the recorded responses.

Every expectation is derived from another field or another recorded response than the one the
parser reads (game ids vs. SEASON_ID, GAMECODE vs. LineScore, a scoreboard vs. the season's game
log, a player's game log vs. his season totals), so a parsing mistake cannot agree with itself.
"""

from __future__ import annotations

import copy
import datetime as dt
from zoneinfo import ZoneInfo

import polars as pl
import pytest
from nba_api.stats.endpoints.playergamelogs import PlayerGameLogs

from nba_lakehouse.schemas import (
    PLAYER_GAME_LOGS,
    PLAYER_SEASON_STATS,
    SCHEDULE,
    SCOREBOARD_GAMES,
    TEAM_GAME_LOGS,
    Table,
)
from nba_lakehouse.silver.schedule import schedule_from_payload, scoreboard_from_payload
from nba_lakehouse.silver.season_stats import (
    player_game_logs_from_payload,
    player_season_stats_from_payload,
    team_game_logs_from_payload,
)
from nba_lakehouse.sources.payloads import result_set
from nba_lakehouse_tests.conftest import load_recorded

SCHEDULE_2023 = "cdn/staticData/scheduleLeagueV2.json"
SCOREBOARD_V3_FINAL = "stats/scoreboardv3/GameDate=2025-11-05.json"
SCOREBOARD_V3_EMPTY = "stats/scoreboardv3/GameDate=2025-07-15.json"
SCOREBOARD_V2_PREGAME = "stats/scoreboardv2/GameDate=2026-02-22.json"
GAME_LOG_2018 = "stats/leaguegamelog/PlayerOrTeam=T&Season=2018-19&SeasonType=Regular+Season.json"
GAME_LOG_2025 = "stats/leaguegamelog/PlayerOrTeam=T&Season=2025-26&SeasonType=Regular+Season.json"
FINDER_2023 = "stats/leaguegamefinder/PlayerOrTeam=T&Season=2023-24&SeasonType=Regular+Season.json"
FINDER_NOV_2024 = "stats/leaguegamefinder/DateFrom=11%2F01%2F2024&DateTo=11%2F13%2F2024&PlayerOrTeam=T.json"
SEASON_TOTALS_2025 = (
    "stats/leaguedashplayerstats/LastNGames=0&MeasureType=Base&Month=0&OpponentTeamID=0&PaceAdjust=N"
    "&PerMode=Totals&Period=0&PlusMinus=N&Rank=N&Season=2025-26&SeasonType=Regular+Season.json"
)
PLAYER_LOG_2025 = "stats/playergamelog/PlayerID=1628378&Season=2025-26&SeasonType=Regular+Season.json"

# SOURCES.md: the nba_api cassettes (season totals, game logs, ScoreboardV2) were recorded 2026-02-22.
RECORDED = dt.datetime(2026, 2, 22, tzinfo=dt.UTC)
TEAM_LOGS = {
    "leaguegamelog 2018-19": (GAME_LOG_2018, "leaguegamelog"),
    "leaguegamelog 2025-26": (GAME_LOG_2025, "leaguegamelog"),
    "leaguegamefinder 2023-24": (FINDER_2023, "leaguegamefinder"),
    "leaguegamefinder Nov 2024": (FINDER_NOV_2024, "leaguegamefinder"),
}
COUNTING_STATS = {
    "FGM": "field_goals_made", "FGA": "field_goals_attempted", "FG3M": "three_pointers_made",
    "FG3A": "three_pointers_attempted", "FTM": "free_throws_made", "FTA": "free_throws_attempted",
    "OREB": "rebounds_offensive", "DREB": "rebounds_defensive", "REB": "rebounds_total",
    "AST": "assists", "STL": "steals", "BLK": "blocks", "TOV": "turnovers", "PF": "fouls_personal",
    "PTS": "points", "PLUS_MINUS": "plus_minus",
}


def assert_conforms(table: Table, frame: pl.DataFrame) -> None:
    assert frame.schema == table.polars_schema
    assert table.enforce(frame).equals(frame)


def season_of_season_id(season_id: str) -> str:
    """SEASON_ID ``22018`` -> ``2018-19`` (type digit, then the start year)."""
    start = int(season_id[1:])
    return f"{start}-{(start + 1) % 100:02d}"


@pytest.fixture(scope="module")
def schedule() -> pl.DataFrame:
    return schedule_from_payload(load_recorded(SCHEDULE_2023), "cdn_scheduleleaguev2")


@pytest.fixture(scope="module")
def team_logs() -> dict[str, pl.DataFrame]:
    return {label: team_game_logs_from_payload(load_recorded(path), source) for label, (path, source) in TEAM_LOGS.items()}


@pytest.fixture(scope="module")
def player_log() -> pl.DataFrame:
    return player_game_logs_from_payload(load_recorded(PLAYER_LOG_2025), "playergamelog")


@pytest.fixture(scope="module")
def season_totals() -> pl.DataFrame:
    return player_season_stats_from_payload(load_recorded(SEASON_TOTALS_2025), "2025-26", RECORDED)


# ------------------------------------------------------------------------------ schedule
def test_schedule_parses_every_game_with_its_dates_and_no_pregame_scores(schedule):
    """Dates come from gameDateEst; the gameDates bucket and gameDateTimeEst confirm them."""
    raw = load_recorded(SCHEDULE_2023)["leagueSchedule"]
    games = [(day["gameDate"], g) for day in raw["gameDates"] for g in day["games"]]
    assert_conforms(SCHEDULE, schedule)
    assert schedule["game_id"].to_list() == [g["gameId"] for _, g in games]
    assert schedule["game_id"].is_unique().all()
    assert set(schedule["season"]) == {raw["seasonYear"]}
    rows = {r["game_id"]: r for r in schedule.iter_rows(named=True)}
    eastern = ZoneInfo("America/New_York")
    for bucket, g in games:
        row = rows[g["gameId"]]
        assert row["game_date"] == dt.datetime.strptime(bucket, "%m/%d/%Y %H:%M:%S").date()
        # gameDateTimeEst is Eastern wall time (labelled Z): the same instant as gameDateTimeUTC.
        local = dt.datetime.fromisoformat(g["gameDateTimeEst"].removesuffix("Z")).replace(tzinfo=eastern)
        assert row["game_time_utc"] == local.astimezone(dt.UTC)
        # Recorded before the season: every game is scheduled and the CDN's 0 scores become null.
        assert g["gameStatus"] == 1 and row["status"] == "scheduled"
        assert (g["homeTeam"]["score"], g["awayTeam"]["score"]) == (0, 0)
        assert (row["home_score"], row["away_score"]) == (None, None)
        # Undecided knockout games: teamId 0 and empty strings become nulls.
        for side in ("home", "away"):
            team = g[f"{side}Team"]
            assert row[f"{side}_team_id"] == (team["teamId"] or None)
            assert row[f"{side}_team_tricode"] == (team["teamTricode"] or None)
        assert row["arena_state"] == (g["arenaState"] or None)
        assert row["series_text"] == (g["seriesText"] or None)


def test_schedule_game_code_names_away_then_home(schedule):
    known = schedule.filter(pl.col("home_team_tricode").is_not_null() & pl.col("away_team_tricode").is_not_null())
    assert not known.is_empty()
    assert known.filter(
        pl.col("game_code") != pl.format(
            "{}/{}{}", pl.col("game_date").dt.strftime("%Y%m%d"), "away_team_tricode", "home_team_tricode"
        )
    ).is_empty()


def test_schedule_regular_season_games_are_in_the_game_finder(schedule, team_logs):
    """The 2023-24 schedule (recorded 2023-09-16) against the finder's completed season.

    Every scheduled regular-season game was played under its id, with the same two teams. The
    schedule changed after it was published: a few games moved (dates are not compared) and the
    NBA swapped the venue of at least one (2024-02-26 NYK-DET, scheduled in Detroit, played in New
    York), so home sides must agree except for exact swaps, and those must stay rare.
    """
    finder = team_logs["leaguegamefinder 2023-24"]
    regular = schedule.filter(pl.col("season_type") == "Regular Season")
    assert not regular.is_empty()
    assert regular.join(finder, on="game_id", how="anti").is_empty()
    assert set(finder["season"]) == set(regular["season"])

    sides = finder.group_by("game_id").agg(
        finder_home=pl.col("team_id").filter(pl.col("is_home")).first(),
        finder_away=pl.col("team_id").filter(~pl.col("is_home")).first(),
    )
    known = regular.filter(pl.col("home_team_id").is_not_null()).join(sides, on="game_id")
    assert known.height == regular.filter(pl.col("home_team_id").is_not_null()).height
    same = (pl.col("home_team_id") == pl.col("finder_home")) & (pl.col("away_team_id") == pl.col("finder_away"))
    swapped = (pl.col("home_team_id") == pl.col("finder_away")) & (pl.col("away_team_id") == pl.col("finder_home"))
    assert known.filter(~same & ~swapped).is_empty()
    assert known.filter(swapped).height * 100 <= known.height


# ---------------------------------------------------------------------------- scoreboards
def test_scoreboard_v3_final_scores_equal_the_season_game_log(team_logs):
    """ScoreboardV3 of 2025-11-05 (all final) against LeagueGameLog 2025-26, recorded later."""
    game_date = dt.date(2025, 11, 5)
    raw = load_recorded(SCOREBOARD_V3_FINAL)
    board = scoreboard_from_payload(raw, "scoreboardv3", game_date, RECORDED)
    assert_conforms(SCOREBOARD_GAMES, board)
    assert board["game_id"].to_list() == [g["gameId"] for g in raw["scoreboard"]["games"]]
    assert set(board["status"]) == {"final"}
    assert set(board["game_date"]) == {game_date}
    assert set(board["fetched_at"]) == {RECORDED}

    log = team_logs["leaguegamelog 2025-26"]
    assert set(board["season"]) == set(log["season"])
    for side in ("home", "away"):
        joined = board.join(log, left_on=["game_id", f"{side}_team_id"], right_on=["game_id", "team_id"])
        assert joined.height == board.height
        assert (joined[f"{side}_score"] == joined["points"]).all()
        assert (joined[f"{side}_team_tricode"] == joined["team_tricode"]).all()
        assert (joined["is_home"] == (side == "home")).all()
        assert (joined["game_date_right"] == game_date).all()


def test_scoreboard_without_games_is_empty_with_the_schema():
    raw = load_recorded(SCOREBOARD_V3_EMPTY)
    assert raw["scoreboard"]["games"] == []
    board = scoreboard_from_payload(raw, "scoreboardv3", dt.date(2025, 7, 15), RECORDED)
    assert board.is_empty()
    assert_conforms(SCOREBOARD_GAMES, board)


def test_scoreboard_v2_pregame_games(team_logs):
    """ScoreboardV2 of 2026-02-22, recorded before tip-off: GameHeader joined with LineScore.

    GameHeader repeats one game (three identical rows); the scoreboard keeps one row per game.
    """
    raw = load_recorded(SCOREBOARD_V2_PREGAME)
    header = result_set(raw, "GameHeader")
    board = scoreboard_from_payload(raw, "scoreboardv2", dt.date(2026, 2, 22), RECORDED)
    assert_conforms(SCOREBOARD_GAMES, board)
    assert board["game_id"].to_list() == header["GAME_ID"].unique(maintain_order=True).to_list()
    assert set(board["status"]) == {"scheduled"}
    assert board.select(pl.col("home_score", "away_score").null_count()).row(0) == (board.height, board.height)
    # The tricodes come from LineScore; GAMECODE (YYYYMMDD/AWYHOM) names the same teams.
    codes = header.unique("GAME_ID").select(
        game_id="GAME_ID", away=pl.col("GAMECODE").str.slice(9, 3), home=pl.col("GAMECODE").str.slice(12, 3),
        season_start=pl.col("SEASON"), arena="ARENA_NAME",
    )
    joined = board.join(codes, on="game_id")
    assert joined.height == board.height
    assert (joined["home_team_tricode"] == joined["home"]).all()
    assert (joined["away_team_tricode"] == joined["away"]).all()
    assert (joined["arena_name"] == joined["arena"]).all()
    assert all(s.startswith(start) for s, start in zip(joined["season"], joined["season_start"], strict=True))
    # The team ids agree with the same season's game log (ids and tricodes from another response).
    tricode_of = dict(team_logs["leaguegamelog 2025-26"].select("team_id", "team_tricode").unique().iter_rows())
    for side in ("home", "away"):
        assert [tricode_of[i] for i in board[f"{side}_team_id"]] == board[f"{side}_team_tricode"].to_list()


# ------------------------------------------------------------------------- team game logs
@pytest.mark.parametrize("label", list(TEAM_LOGS))
def test_team_game_log_games_pair_a_winner_and_a_loser(team_logs, label):
    """Two rows per game: different teams naming each other, one win, one loss, the winner
    scoring more. At most one home row: neutral-site games (Mexico City, Berlin, London, the Cup
    semifinals in 2025-26) read '@' on both rows, and then neither row is home.
    """
    logs = team_logs[label]
    path, source = TEAM_LOGS[label]
    raw = result_set(load_recorded(path), "LeagueGameLog" if source == "leaguegamelog" else "LeagueGameFinderResults")
    assert_conforms(TEAM_GAME_LOGS, logs)
    assert logs.height == raw.height
    assert set(logs["source"]) == {source}
    # Statistics land in the declared columns (checked against the raw headers, row by row).
    for old, new in COUNTING_STATS.items():
        assert (logs[new] == raw[old].cast(logs[new].dtype)).all(), new
    assert (logs["minutes"] == raw["MIN"].cast(pl.Float64)).all()
    pairs = logs.join(
        logs.select("game_id", opp_id="team_id", opp_tricode="team_tricode", opp_points="points", opp_won="won",
                    opp_home="is_home", opp_matchup="matchup"),
        on="game_id",
    ).filter(pl.col("team_id") != pl.col("opp_id"))
    assert logs.group_by("game_id").len()["len"].unique().to_list() == [2]
    assert pairs.height == logs.height
    assert (pairs["opponent_tricode"] == pairs["opp_tricode"]).all()
    assert (pairs["won"] != pairs["opp_won"]).all()
    assert pairs.filter(pl.col("won") & (pl.col("points") <= pl.col("opp_points"))).is_empty()
    assert pairs.filter(pl.col("is_home") & pl.col("opp_home")).is_empty()
    no_home = pairs.filter(~pl.col("is_home") & ~pl.col("opp_home"))
    assert no_home.filter(pl.col("matchup").str.contains(" vs. ") | pl.col("opp_matchup").str.contains(" vs. ")).is_empty()
    # Season and season type from the game id agree with SEASON_ID.
    by_id = dict(zip(raw["GAME_ID"], raw["SEASON_ID"], strict=True))
    for game_id, season, season_type in logs.select("game_id", "season", "season_type").unique().iter_rows():
        assert season == season_of_season_id(by_id[game_id])
        assert (season_type == "Regular Season") == by_id[game_id].startswith("2")


@pytest.mark.parametrize("label", ["leaguegamelog 2018-19", "leaguegamelog 2025-26"])
def test_league_game_log_plus_minus_and_minutes(team_logs, label):
    """LeagueGameLog: PLUS_MINUS is own minus opponent points; team minutes are five players
    times 48 plus 5 per overtime, the same for both teams."""
    logs = team_logs[label]
    pairs = logs.join(logs.select("game_id", opp_id="team_id", opp_points="points", opp_minutes="minutes"),
                      on="game_id").filter(pl.col("team_id") != pl.col("opp_id"))
    assert (pairs["plus_minus"] == (pairs["points"] - pairs["opp_points"]).cast(pl.Float64)).all()
    assert (pairs["minutes"] == pairs["opp_minutes"]).all()
    assert ((pairs["minutes"] >= 240) & ((pairs["minutes"] - 240) % 25 == 0)).all()


@pytest.mark.parametrize("label", ["leaguegamefinder 2023-24", "leaguegamefinder Nov 2024"])
def test_game_finder_plus_minus_has_the_sign_of_the_result(team_logs, label):
    """LeagueGameFinder's PLUS_MINUS is not always the score margin (a few 2023-24 rows read
    -27.6 or -4.2 for 27- and 6-point losses), but its sign always matches W/L."""
    logs = team_logs[label]
    assert (logs["won"] == (logs["plus_minus"] > 0)).all()


def test_game_finder_matchup_written_from_the_home_side():
    """2024-11-02 in Mexico City: both rows read 'MIA @ WAS'. The WAS row is the home row."""
    logs = team_game_logs_from_payload(load_recorded(FINDER_NOV_2024), "leaguegamefinder")
    same_text = logs.group_by("game_id").agg(pl.col("matchup").n_unique().alias("n"), pl.col("matchup").first()).filter(pl.col("n") == 1)
    assert not same_text.is_empty()
    rows = logs.join(same_text.select("game_id"), on="game_id")
    for row in rows.iter_rows(named=True):
        away, home = row["matchup"].split(" @ ")
        assert row["is_home"] == (row["team_tricode"] == home)
        assert row["opponent_tricode"] == (away if row["team_tricode"] == home else home)


# -------------------------------------------------------------------------- player sources
def test_player_game_log_adds_up_to_the_season_totals(player_log, season_totals):
    """Donovan Mitchell's PlayerGameLog and LeagueDashPlayerStats, both recorded 2026-02-22: his
    game-by-game lines add up exactly to the season totals (minutes are whole in the game log)."""
    assert_conforms(PLAYER_GAME_LOGS, player_log)
    assert_conforms(PLAYER_SEASON_STATS, season_totals)
    player_id = player_log["player_id"].unique().item()
    # The raw totals row, read by the header names (not through the parser's column mapping).
    raw = result_set(load_recorded(SEASON_TOTALS_2025), "LeagueDashPlayerStats")
    totals = raw.filter(pl.col("PLAYER_ID") == player_id).row(0, named=True)
    assert player_log.height == totals["GP"]
    assert player_log["won"].sum() == totals["W"]
    assert (~player_log["won"]).sum() == totals["L"]
    for old, new in COUNTING_STATS.items():
        assert player_log[new].sum() == totals[old], new
    assert abs(player_log["minutes"].sum() - totals["MIN"]) <= 0.5 * player_log.height
    assert set(player_log["team_tricode"]) == {totals["TEAM_ABBREVIATION"]}
    parsed = season_totals.filter(pl.col("player_id") == player_id).row(0, named=True)
    assert parsed["games_played"] == totals["GP"] and parsed["minutes"] == pytest.approx(totals["MIN"])


def test_player_game_log_agrees_with_the_team_game_log(player_log, team_logs):
    """Each game of the player's log is his team's game in LeagueGameLog 2025-26 (same date,
    side, opponent and result); his points never exceed the team's."""
    raw = result_set(load_recorded(PLAYER_LOG_2025), "PlayerGameLog")
    assert player_log.height == raw.height
    assert player_log["team_id"].is_null().all() and player_log["player_name"].is_null().all()
    team = team_logs["leaguegamelog 2025-26"]
    joined = player_log.join(team, on=["game_id", "team_tricode"], suffix="_team")
    assert joined.height == player_log.height
    for column in ("game_date", "is_home", "opponent_tricode", "won", "matchup", "season"):
        assert (joined[column] == joined[f"{column}_team"]).all(), column
    assert (joined["points"] <= joined["points_team"]).all()
    seasons = {season_of_season_id(s) for s in raw["SEASON_ID"]}
    assert set(player_log["season"]) == seasons


def _plural_payload(singular: dict, team_log: pl.DataFrame, totals: pl.DataFrame) -> dict:
    """The recorded PlayerGameLog rows re-laid out under PlayerGameLogs' declared headers.

    No PlayerGameLogs response is recorded. The values are all real: the singular rows, the
    player's name from LeagueDashPlayerStats, his team's id, tricode and name from LeagueGameLog,
    GAME_DATE rewritten in PlayerGameLogs' ISO form; the headers the singular rows cannot fill
    (fantasy points, ranks, ...) are null.
    """
    headers = PlayerGameLogs.expected_data["PlayerGameLogs"]
    rows = result_set(singular, "PlayerGameLog")
    player = totals.filter(pl.col("player_id") == rows["Player_ID"][0])
    frame = (
        rows.rename({"Player_ID": "PLAYER_ID", "Game_ID": "GAME_ID"})
        .with_columns(
            SEASON_YEAR=pl.lit(singular["parameters"]["Season"]),
            PLAYER_NAME=pl.lit(player["player_name"].item()),
            GAME_DATE=pl.col("GAME_DATE").str.to_date("%b %d, %Y").dt.strftime("%Y-%m-%dT00:00:00"),
            _tricode=pl.col("MATCHUP").str.slice(0, 3),
        )
        .join(team_log.select("game_id", "team_tricode", TEAM_ID="team_id", TEAM_ABBREVIATION="team_tricode",
                              TEAM_NAME="team_full_name"),
              left_on=["GAME_ID", "_tricode"], right_on=["game_id", "team_tricode"], maintain_order="left")
    )
    frame = frame.with_columns(pl.lit(None).alias(h) for h in headers if h not in frame.columns)
    return {"resultSets": [{"name": "PlayerGameLogs", "headers": headers, "rowSet": [list(r) for r in frame.select(headers).rows()]}]}


def test_player_game_logs_plural_shape(player_log, team_logs, season_totals):
    """PlayerGameLogs (plural) parses to the same rows as PlayerGameLog, plus team id and name.

    The payload is built from the real singular rows re-laid out under nba_api's declared
    PlayerGameLogs headers (see ``_plural_payload``): no plural response is recorded.
    """
    team = team_logs["leaguegamelog 2025-26"]
    plural = player_game_logs_from_payload(_plural_payload(load_recorded(PLAYER_LOG_2025), team, season_totals),
                                           "playergamelogs")
    assert_conforms(PLAYER_GAME_LOGS, plural)
    assert set(plural["source"]) == {"playergamelogs"}
    shared = [c for c in PLAYER_GAME_LOGS.column_names if c not in ("team_id", "player_name", "source")]
    assert plural.select(shared).equals(player_log.select(shared))
    assert plural["team_id"].null_count() == 0
    assert set(plural["player_name"]) == set(
        season_totals.filter(pl.col("player_id").is_in(plural["player_id"].implode()))["player_name"]
    )
    ids = plural.join(team, on=["game_id", "team_id"])
    assert ids.height == plural.height and (ids["team_tricode"] == ids["team_tricode_right"]).all()


def test_player_game_log_rejects_an_unknown_date_format(team_logs):
    """A GAME_DATE in LeagueGameLog's form (2026-02-20) is neither PlayerGameLog form."""
    payload = copy.deepcopy(load_recorded(PLAYER_LOG_2025))
    rs = payload["resultSets"][0]
    date_at = rs["headers"].index("GAME_DATE")
    rs["rowSet"][0][date_at] = team_logs["leaguegamelog 2025-26"]["game_date"][0].isoformat()
    with pytest.raises(ValueError, match="GAME_DATE"):
        player_game_logs_from_payload(payload, "playergamelog")


def test_season_totals_keep_every_player_and_drop_ranks(season_totals):
    raw = result_set(load_recorded(SEASON_TOTALS_2025), "LeagueDashPlayerStats")
    assert any(c.endswith("_RANK") for c in raw.columns)
    assert not any(c.endswith("_rank") for c in season_totals.columns)
    assert season_totals.height == raw.height
    assert season_totals["player_id"].to_list() == raw["PLAYER_ID"].to_list()
    for old, new in {**COUNTING_STATS, "GP": "games_played", "W": "wins", "L": "losses", "BLKA": "blocks_against",
                     "PFD": "fouls_drawn", "DD2": "double_doubles", "TD3": "triple_doubles", "MIN": "minutes",
                     "AGE": "age", "TEAM_ID": "team_id"}.items():
        assert (season_totals[new] == raw[old].cast(season_totals[new].dtype)).all(), new
    assert set(season_totals["season"]) == {"2025-26"} and set(season_totals["fetched_at"]) == {RECORDED}
    assert (season_totals["wins"] + season_totals["losses"] == season_totals["games_played"]).all()
    assert not season_totals.select(pl.struct("player_id", "team_id").is_duplicated().any()).item()
    with pytest.raises(ValueError, match="2024-25"):
        player_season_stats_from_payload(load_recorded(SEASON_TOTALS_2025), "2024-25", RECORDED)
    with pytest.raises(ValueError, match="time zone"):
        player_season_stats_from_payload(load_recorded(SEASON_TOTALS_2025), "2025-26", RECORDED.replace(tzinfo=None))


# ---------------------------------------------------------------------------------- errors
def _without_result_set(path: str, name: str) -> dict:
    payload = copy.deepcopy(load_recorded(path))
    payload["resultSets"] = [rs for rs in payload["resultSets"] if rs["name"] != name]
    return payload


@pytest.mark.parametrize(
    ("path", "name", "parse"),
    [
        (GAME_LOG_2025, "LeagueGameLog", lambda p: team_game_logs_from_payload(p, "leaguegamelog")),
        (FINDER_2023, "LeagueGameFinderResults", lambda p: team_game_logs_from_payload(p, "leaguegamefinder")),
        (SEASON_TOTALS_2025, "LeagueDashPlayerStats", lambda p: player_season_stats_from_payload(p, "2025-26", RECORDED)),
        (PLAYER_LOG_2025, "PlayerGameLog", lambda p: player_game_logs_from_payload(p, "playergamelog")),
        (SCOREBOARD_V2_PREGAME, "GameHeader", lambda p: scoreboard_from_payload(p, "scoreboardv2", dt.date(2026, 2, 22), RECORDED)),
        (SCOREBOARD_V2_PREGAME, "LineScore", lambda p: scoreboard_from_payload(p, "scoreboardv2", dt.date(2026, 2, 22), RECORDED)),
    ],
)
def test_missing_result_set_is_named(path, name, parse):
    with pytest.raises(ValueError, match=name):
        parse(_without_result_set(path, name))


def test_missing_nested_lists_are_named():
    schedule = copy.deepcopy(load_recorded(SCHEDULE_2023))
    del schedule["leagueSchedule"]["gameDates"]
    with pytest.raises(ValueError, match=r"ScheduleLeagueV2.*leagueSchedule\.gameDates"):
        schedule_from_payload(schedule, "cdn_scheduleleaguev2")
    board = copy.deepcopy(load_recorded(SCOREBOARD_V3_FINAL))
    del board["scoreboard"]["games"]
    with pytest.raises(ValueError, match=r"ScoreboardV3.*scoreboard\.games"):
        scoreboard_from_payload(board, "scoreboardv3", dt.date(2025, 11, 5), RECORDED)
    with pytest.raises(ValueError, match="unknown"):
        team_game_logs_from_payload(load_recorded(GAME_LOG_2025), "leaguegamelogs")


def test_team_game_logs_refuse_player_rows():
    with pytest.raises(ValueError, match="PlayerOrTeam=T"):
        team_game_logs_from_payload(load_recorded("stats/leaguegamefinder/PlayerID=2544&PlayerOrTeam=P&Season=2023-24.json"),
                                    "leaguegamefinder")
