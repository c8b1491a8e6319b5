"""Shots, hustle stats, rotations and box score summaries parsed from recorded responses, and the
audits that hold them against the box scores.

Every expectation comes from another recorded field (box score, game log, play-by-play, the raw
result set itself), never from a number written down here.
"""

import copy
import datetime as dt
import unicodedata

import polars as pl
import pytest

from nba_lakehouse.game_clock import (
    OVERTIME_PERIOD_SECONDS,
    REGULATION_PERIOD_SECONDS,
    REGULATION_PERIODS,
)
from nba_lakehouse.schemas import (
    BOX_SCORE_PLAYERS,
    BOX_SCORE_TEAMS,
    GAME_OFFICIALS,
    GAME_ROTATIONS,
    GAME_SUMMARIES,
    INACTIVE_PLAYERS,
    LINE_SCORES,
    PLAYER_HUSTLE_STATS,
    SHOTS,
)
from nba_lakehouse.silver import audits
from nba_lakehouse.silver.box_scores import box_score_from_payload
from nba_lakehouse.silver.game_details import (
    hustle_stats_from_payload,
    rotations_from_payload,
    shots_from_payload,
    summary_from_payload,
)
from nba_lakehouse.silver.games import with_partition_columns
from nba_lakehouse.silver.play_by_play import play_by_play_from_payload
from nba_lakehouse.sources.payloads import result_set
from nba_lakehouse_tests.conftest import REPLAY, SAMPLE_GAMES, game_dates, load_recorded

SHOT_GAMES = ("0021600270", "0022100732")  # full shot charts of both teams recorded
SUMMARY_GAMES = ("0021600270", "0022100732", "0022200552")
DETAIL_GAME = "0022200552"  # hustle stats and rotation recorded
HUSTLE_FILE = f"stats/hustlestatsboxscore/GameID={DETAIL_GAME}.json"
ROTATION_FILE = f"stats/gamerotation/GameID={DETAIL_GAME}.json"
MITCHELL = 1628378
MITCHELL_SHOTS = next(
    p.relative_to(REPLAY).as_posix() for p in (REPLAY / "stats/shotchartdetail").glob(f"ContextMeasure=PTS*PlayerID={MITCHELL}*.json")
)
MITCHELL_LOG = f"stats/playergamelog/PlayerID={MITCHELL}&Season=2025-26&SeasonType=Regular+Season.json"


def shot_files(game_id: str) -> list[str]:
    files = sorted(p.relative_to(REPLAY).as_posix() for p in (REPLAY / "stats/shotchartdetail").glob(f"*GameID={game_id}&*TeamID=*.json"))
    assert len(files) == 2, files  # one chart per team
    return files


def summary_file(game_id: str) -> str:
    return f"stats/boxscoresummaryv2/GameID={game_id}.json"


def v2_box(game_id: str) -> tuple[pl.DataFrame, pl.DataFrame]:
    return box_score_from_payload(load_recorded(f"stats/boxscoretraditionalv2/GameID={game_id}.json"), "v2", game_id)


def v3_box(game_id: str) -> tuple[pl.DataFrame, pl.DataFrame]:
    return box_score_from_payload(load_recorded(f"stats/boxscoretraditionalv3/GameID={game_id}.json"), "v3", game_id)


def raw_rows(payload: dict, name: str) -> list[dict]:
    return result_set(payload, name).to_dicts()


@pytest.fixture(scope="module")
def shots() -> pl.DataFrame:
    return pl.concat([shots_from_payload(load_recorded(f)) for g in SHOT_GAMES for f in shot_files(g)])


@pytest.fixture(scope="module")
def box_v2() -> tuple[pl.DataFrame, pl.DataFrame]:
    frames = [v2_box(g) for g in SUMMARY_GAMES]
    return pl.concat([p for p, _ in frames]), pl.concat([t for _, t in frames])


@pytest.fixture(scope="module")
def summaries() -> dict[str, tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame, pl.DataFrame]]:
    return {g: summary_from_payload(load_recorded(summary_file(g))) for g in SUMMARY_GAMES}


@pytest.fixture(scope="module")
def line_scores(summaries) -> pl.DataFrame:
    return pl.concat([s[1] for s in summaries.values()])


@pytest.fixture(scope="module")
def rotations() -> pl.DataFrame:
    return rotations_from_payload(load_recorded(ROTATION_FILE))


@pytest.fixture(scope="module")
def pbp_periods() -> dict[str, int]:
    """Periods each summary game went, from its own play-by-play (a source independent of the summary)."""
    periods = {}
    for game_id in SUMMARY_GAMES:
        feed, path, _, _ = SAMPLE_GAMES[game_id]
        periods[game_id] = play_by_play_from_payload(load_recorded(path), feed, game_id)["period"].max()
    return periods


def _ascii(name: str) -> str:
    return unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()


def _without(payload: dict, name: str) -> dict:
    broken = copy.deepcopy(payload)
    broken["resultSets"] = [rs for rs in broken["resultSets"] if rs["name"] != name]
    return broken


def _emptied(payload: dict, name: str) -> dict:
    emptied = copy.deepcopy(payload)
    for rs in emptied["resultSets"]:
        if rs["name"] == name:
            rs["rowSet"] = []
    return emptied


def _without_partition(table) -> pl.Schema:
    return pl.Schema({c.name: c.dtype for c in table.columns if c.name not in ("season", "game_date")})


# ------------------------------------------------------------------------------------ shots
def test_shots_match_box_score_fgm_and_fga_on_both_recorded_games(shots, box_v2):
    players, teams = box_v2
    assert set(shots["game_id"]) == set(SHOT_GAMES)
    assert audits.shots_vs_box_score_fgm(shots, players).is_empty()
    # Threes: shot_value comes from SHOT_TYPE, the box score counts FG3M / FG3A on its own.
    threes = shots.filter(pl.col("shot_value") == 3).group_by("game_id", "player_id").agg(
        made=pl.col("shot_made").sum().cast(pl.Int32), attempted=pl.len().cast(pl.Int32)
    )
    box = players.filter(pl.col("game_id").is_in(SHOT_GAMES)).join(threes, on=["game_id", "player_id"], how="left")
    assert box["made"].fill_null(0).to_list() == box["three_pointers_made"].to_list()
    assert box["attempted"].fill_null(0).to_list() == box["three_pointers_attempted"].to_list()
    # Each team's chart holds exactly its box score team FGA.
    per_team = shots.group_by("game_id", "team_id").agg(attempts=pl.len().cast(pl.Int32))
    team_box = teams.filter(pl.col("game_id").is_in(SHOT_GAMES)).join(per_team, on=["game_id", "team_id"], how="left")
    assert team_box["attempts"].to_list() == team_box["field_goals_attempted"].to_list()


def test_shots_are_the_play_by_play_field_goals(shots):
    """GAME_EVENT_ID is the V2 EVENTNUM: every shot is a field goal event with the same shooter,
    result, value, period and (whole-second) clock."""
    for game_id in SHOT_GAMES:
        feed, path, _, _ = SAMPLE_GAMES[game_id]
        pbp = play_by_play_from_payload(load_recorded(path), feed, game_id)
        field_goals = pbp.filter(pl.col("event_type").is_in(["made_shot", "missed_shot"]))
        game_shots = shots.filter(pl.col("game_id") == game_id)
        joined = game_shots.join(
            field_goals, left_on=["game_id", "game_event_id"], right_on=["game_id", "source_event_id"], how="inner", suffix="_pbp"
        )
        assert joined.height == game_shots.height == field_goals.height
        for column in ("player_id", "team_id", "shot_made", "shot_value", "period"):
            assert joined[column].to_list() == joined[f"{column}_pbp"].to_list(), column
        assert joined["clock_seconds"].to_list() == joined["clock_seconds_pbp"].floor().to_list()


def test_a_dropped_or_flipped_shot_is_caught(shots, box_v2):
    players = box_v2[0]
    made = shots.filter(pl.col("shot_made")).row(0, named=True)
    box_line = players.filter((pl.col("game_id") == made["game_id"]) & (pl.col("player_id") == made["player_id"])).row(0, named=True)

    dropped = shots.filter(~((pl.col("game_id") == made["game_id"]) & (pl.col("game_event_id") == made["game_event_id"])))
    bad = audits.shots_vs_box_score_fgm(dropped, players)
    assert bad.select("game_id", "player_id").rows() == [(made["game_id"], made["player_id"])]
    assert bad.row(0, named=True)["shots_made"] == box_line["field_goals_made"] - 1
    assert bad.row(0, named=True)["shots_attempted"] == box_line["field_goals_attempted"] - 1

    missed = shots.filter(~pl.col("shot_made")).row(0, named=True)
    flipped = shots.with_columns(
        shot_made=pl.when((pl.col("game_id") == missed["game_id"]) & (pl.col("game_event_id") == missed["game_event_id"]))
        .then(True).otherwise(pl.col("shot_made"))
    )
    bad = audits.shots_vs_box_score_fgm(flipped, players)
    assert bad.select("game_id", "player_id").rows() == [(missed["game_id"], missed["player_id"])]
    assert bad["shots_attempted"].to_list() == bad["field_goals_attempted"].to_list()  # only the makes differ

    # A dropped miss leaves the makes right: only the attempts give it away.
    miss = shots.filter(~pl.col("shot_made")).row(0, named=True)
    dropped_miss = shots.filter(~((pl.col("game_id") == miss["game_id"]) & (pl.col("game_event_id") == miss["game_event_id"])))
    bad = audits.shots_vs_box_score_fgm(dropped_miss, players)
    assert bad.select("game_id", "player_id").rows() == [(miss["game_id"], miss["player_id"])]
    assert bad["shots_made"].to_list() == bad["field_goals_made"].to_list()
    assert bad["shots_attempted"].item() == bad["field_goals_attempted"].item() - 1

    # A shooter with box score attempts and no shot rows at all counts with zero shots.
    no_shots = shots.filter(~((pl.col("game_id") == made["game_id"]) & (pl.col("player_id") == made["player_id"])))
    bad = audits.shots_vs_box_score_fgm(no_shots, players)
    assert bad.rows() == [(made["game_id"], made["player_id"], 0, box_line["field_goals_made"], 0, box_line["field_goals_attempted"])]


def test_mitchell_made_shots_per_game_equal_his_game_log_fgm():
    makes = shots_from_payload(load_recorded(MITCHELL_SHOTS))
    assert makes["shot_made"].all()  # ContextMeasure=PTS returns makes only
    assert makes["player_id"].unique().to_list() == [MITCHELL]
    log = result_set(load_recorded(MITCHELL_LOG), "PlayerGameLog").select(
        game_id=pl.col("Game_ID").cast(pl.String), fgm=pl.col("FGM").cast(pl.Int64), fg3m=pl.col("FG3M").cast(pl.Int64)
    )
    per_game = makes.group_by("game_id").agg(
        made=pl.len().cast(pl.Int64), threes=(pl.col("shot_value") == 3).sum().cast(pl.Int64)
    )
    compared = log.join(per_game, on="game_id", how="full", coalesce=True).with_columns(pl.col("made", "threes").fill_null(0))
    assert compared.height == log.height  # no shot of a game outside the log
    assert compared["made"].to_list() == compared["fgm"].to_list()
    assert compared["threes"].to_list() == compared["fg3m"].to_list()


# ---------------------------------------------------------------------------------- hustle
@pytest.mark.parametrize("box", [v2_box, v3_box], ids=["v2", "v3"])
def test_hustle_points_and_minutes_equal_the_box_score(box):
    hustle = hustle_stats_from_payload(load_recorded(HUSTLE_FILE))
    players = box(DETAIL_GAME)[0]
    # Hustle lists the players who played, each once.
    assert hustle["player_id"].is_unique().all()
    assert sorted(hustle["player_id"]) == sorted(players.filter(pl.col("played"))["player_id"])
    joined = hustle.join(players, on=["game_id", "player_id"], how="inner", suffix="_box")
    assert joined.height == hustle.height
    for column in ("points", "team_id", "team_tricode"):
        assert joined[column].to_list() == joined[f"{column}_box"].to_list(), column
    assert (joined["minutes"] - joined["minutes_box"]).abs().max() < 1e-9


def test_hustle_minutes_blank_or_null_parse_to_null():
    payload = copy.deepcopy(load_recorded(HUSTLE_FILE))
    stats = next(rs for rs in payload["resultSets"] if rs["name"] == "PlayerStats")
    minutes_at = stats["headers"].index("MINUTES")
    stats["rowSet"][0][minutes_at] = ""
    stats["rowSet"][1][minutes_at] = None
    hustle = hustle_stats_from_payload(payload)
    assert hustle["minutes"].head(2).to_list() == [None, None]
    assert hustle["minutes"].slice(2).null_count() == 0


# ------------------------------------------------------------------------------- rotations
@pytest.mark.parametrize("box", [v2_box, v3_box], ids=["v2", "v3"])
def test_rotation_seconds_equal_box_minutes_within_a_second(rotations, box):
    players = box(DETAIL_GAME)[0]
    assert audits.rotation_minutes_vs_box_score(rotations, players, tolerance_seconds=1.0).is_empty()
    # The players with stints are exactly the box score's players who played.
    assert set(rotations["player_id"]) == set(players.filter(pl.col("played"))["player_id"])
    # Points scored during a player's stints add up to his box score points.
    stint_points = rotations.group_by("player_id").agg(pl.col("player_points").sum())
    joined = stint_points.join(players, on="player_id", how="inner")
    assert joined["player_points"].to_list() == joined["points"].to_list()
    # First + last name is the box score's name, except that GameRotation drops diacritics
    # (it spells Vučević "Vucevic").
    names = rotations.unique("player_id").join(players, on="player_id", how="inner", suffix="_box")
    assert names.height == rotations["player_id"].n_unique()
    assert [_ascii(n) for n in names["player_name"]] == [_ascii(n) for n in names["player_name_box"]]


def test_rotations_cover_five_players_for_the_whole_game(rotations, pbp_periods):
    periods = pbp_periods[DETAIL_GAME]
    game_seconds = REGULATION_PERIODS * REGULATION_PERIOD_SECONDS + (periods - REGULATION_PERIODS) * OVERTIME_PERIOD_SECONDS
    per_team = rotations.group_by("team_id", "is_home").agg(pl.col("seconds_played").sum(), last_out=pl.col("out_seconds").max())
    assert per_team.height == 2 and sorted(per_team["is_home"]) == [False, True]
    assert per_team["seconds_played"].to_list() == [5 * game_seconds] * 2
    assert per_team["last_out"].to_list() == [game_seconds] * 2
    # Check-in and check-out are both on the game clock (tenths of a second converted to seconds).
    assert (rotations["out_seconds"] - rotations["in_seconds"] - rotations["seconds_played"]).abs().max() < 1e-9
    assert rotations["in_seconds"].min() == 0.0 and rotations["in_seconds"].max() < game_seconds
    assert (rotations["seconds_played"] > 0).all()
    # A player's stints never overlap.
    ordered = rotations.sort("player_id", "in_seconds").with_columns(prev_out=pl.col("out_seconds").shift(1).over("player_id"))
    assert ordered.filter(pl.col("in_seconds") < pl.col("prev_out")).is_empty()
    summary = summary_from_payload(load_recorded(summary_file(DETAIL_GAME)))[0].row(0, named=True)
    home = rotations.filter(pl.col("is_home"))["team_id"].unique().to_list()
    away = rotations.filter(~pl.col("is_home"))["team_id"].unique().to_list()
    assert (home, away) == ([summary["home_team_id"]], [summary["away_team_id"]])


def test_a_removed_stint_is_caught(rotations):
    players = v2_box(DETAIL_GAME)[0]
    stint = rotations.row(1, named=True)
    removed = rotations.filter(
        ~((pl.col("player_id") == stint["player_id"]) & (pl.col("in_seconds") == stint["in_seconds"]))
    )
    bad = audits.rotation_minutes_vs_box_score(removed, players)
    assert bad["player_id"].to_list() == [stint["player_id"]]
    box_seconds = players.filter(pl.col("player_id") == stint["player_id"])["minutes"].item() * 60
    assert bad["difference_seconds"].item() == pytest.approx(
        rotations.filter(pl.col("player_id") == stint["player_id"])["seconds_played"].sum() - stint["seconds_played"] - box_seconds
    )
    # A player who played in the box score but has no stints at all counts too.
    no_stints = rotations.filter(pl.col("player_id") != stint["player_id"])
    bad = audits.rotation_minutes_vs_box_score(no_stints, players)
    assert bad.select("player_id", "rotation_seconds").rows() == [(stint["player_id"], 0.0)]


# ----------------------------------------------------------------------------- line scores
def test_line_scores_add_up_to_their_totals_and_the_box_score(line_scores, box_v2, pbp_periods):
    teams = box_v2[1]
    assert audits.line_score_mismatches(line_scores, teams).is_empty()
    assert audits.line_score_mismatches(line_scores, v3_box(DETAIL_GAME)[1]).is_empty()
    for game_id, periods in pbp_periods.items():
        game = line_scores.filter(pl.col("game_id") == game_id)
        # One row per team per period the play-by-play went, overtime included.
        assert game.group_by("team_id").agg(pl.col("period").sort()).sort("team_id")["period"].to_list() == [
            list(range(1, periods + 1))
        ] * 2
        assert sorted(game["team_id"].unique()) == sorted(teams.filter(pl.col("game_id") == game_id)["team_id"])
    overtime = {g for g, p in pbp_periods.items() if p > REGULATION_PERIODS}
    assert set(line_scores.filter(pl.col("period") == REGULATION_PERIODS + 1)["game_id"]) == overtime
    assert overtime  # the recordings include overtime games


def test_line_scores_are_the_raw_period_columns(summaries):
    for game_id, (summary, lines, _, _) in summaries.items():
        raw = load_recorded(summary_file(game_id))
        for row in raw_rows(raw, "LineScore"):
            team = lines.filter(pl.col("team_id") == row["TEAM_ID"]).sort("period")
            columns = [f"PTS_QTR{q}" for q in range(1, 5)] + [f"PTS_OT{n}" for n in range(1, 11)]
            assert team["points"].to_list() == [row[c] for c in columns[: team.height]]
            assert not any(row[c] for c in columns[team.height:])  # nothing left out
            assert team["total_points"].unique().to_list() == [row["PTS"]]
            assert team["team_tricode"].unique().to_list() == [row["TEAM_ABBREVIATION"]]
        assert summary["periods"].item() == lines["period"].max()


def test_period_count_falls_back_to_the_overtime_columns_without_live_period(summaries):
    for game_id, (_, lines, _, _) in summaries.items():
        payload = copy.deepcopy(load_recorded(summary_file(game_id)))
        game_summary = next(rs for rs in payload["resultSets"] if rs["name"] == "GameSummary")
        game_summary["rowSet"][0][game_summary["headers"].index("LIVE_PERIOD")] = 0
        summary, fallback, _, _ = summary_from_payload(payload)
        assert fallback.equals(lines)
        assert summary["periods"].item() == lines["period"].max()


def test_a_scoreless_overtime_is_kept_because_live_period_says_it_was_played(summaries):
    """The recordings have no scoreless overtime, so a copy of a real overtime game with its OT1
    points wiped stands in for one: LIVE_PERIOD still says five periods, so OT1 stays, at zero,
    and the periods then no longer add up to the line's total."""
    game_id = next(g for g, (_, lines, _, _) in summaries.items() if lines["period"].max() > REGULATION_PERIODS)
    payload = copy.deepcopy(load_recorded(summary_file(game_id)))
    line = next(rs for rs in payload["resultSets"] if rs["name"] == "LineScore")
    for row in line["rowSet"]:
        row[line["headers"].index("PTS_OT1")] = 0
    summary, lines, _, _ = summary_from_payload(payload)
    original = summaries[game_id][1]
    assert summary["periods"].item() == original["period"].max() == lines["period"].max()
    assert lines.filter(pl.col("period") == REGULATION_PERIODS + 1)["points"].to_list() == [0, 0]
    assert lines.filter(pl.col("period") <= REGULATION_PERIODS).equals(original.filter(pl.col("period") <= REGULATION_PERIODS))
    bad = audits.line_score_mismatches(lines, v2_box(game_id)[1])
    assert sorted(bad["team_id"]) == sorted(original["team_id"].unique())


def test_a_corrupted_period_is_caught(line_scores, box_v2):
    teams = box_v2[1]
    victim = line_scores.filter(pl.col("period") == REGULATION_PERIODS + 1).row(0, named=True)
    is_victim = (pl.col("game_id") == victim["game_id"]) & (pl.col("team_id") == victim["team_id"])
    bumped = line_scores.with_columns(
        points=pl.when(is_victim & (pl.col("period") == victim["period"])).then(pl.col("points") + 1).otherwise(pl.col("points"))
    )
    bad = audits.line_score_mismatches(bumped, teams)
    assert bad.select("game_id", "team_id").rows() == [(victim["game_id"], victim["team_id"])]
    assert bad["period_points"].item() == victim["total_points"] + 1

    # The line's own total and the box score both disagree with a dropped overtime row.
    dropped = line_scores.filter(~(is_victim & (pl.col("period") == victim["period"])))
    assert audits.line_score_mismatches(dropped, teams).select("game_id", "team_id").rows() == [(victim["game_id"], victim["team_id"])]

    # A wrong box score is caught even where the line is consistent with itself.
    box_victim = teams.row(0, named=True)
    wrong_box = teams.with_columns(
        points=pl.when((pl.col("game_id") == box_victim["game_id"]) & (pl.col("team_id") == box_victim["team_id"]))
        .then(pl.col("points") - 1).otherwise(pl.col("points"))
    )
    bad = audits.line_score_mismatches(line_scores, wrong_box)
    assert bad.select("game_id", "team_id", "box_points").rows() == [
        (box_victim["game_id"], box_victim["team_id"], box_victim["points"] - 1)
    ]
    # Games the box score does not have are checked against the line's own total only.
    assert audits.line_score_mismatches(line_scores, teams.filter(pl.col("game_id") != box_victim["game_id"])).is_empty()


# ------------------------------------------------------------------- player vs team points
def _every_recorded_box_score() -> tuple[pl.DataFrame, pl.DataFrame]:
    boxes = [v2_box(g) for g in SUMMARY_GAMES]
    boxes.append(v3_box(DETAIL_GAME))
    boxes.append(box_score_from_payload(load_recorded(SAMPLE_GAMES["0022000001"][3]), "cdn", "0022000001"))
    # One game can have a v2 and a v3 box score: keep them apart by feed.
    players = pl.concat([p.with_columns(game_id=pl.col("game_id") + "/" + pl.col("source")) for p, _ in boxes])
    teams = pl.concat([t.with_columns(game_id=pl.col("game_id") + "/" + pl.col("source")) for _, t in boxes])
    return players, teams


def test_player_points_add_up_to_team_points_on_every_box_score():
    players, teams = _every_recorded_box_score()
    assert set(teams["source"]) == {"v2", "v3", "cdn"}
    assert audits.player_points_vs_team_points(players, teams).is_empty()


def test_corrupted_player_or_team_points_are_caught():
    players, teams = _every_recorded_box_score()
    for feed in ("v2", "v3", "cdn"):
        scorer = players.filter((pl.col("source") == feed) & (pl.col("points") > 0)).row(0, named=True)
        key = (scorer["game_id"], scorer["team_id"])
        bumped = players.with_columns(
            points=pl.when((pl.col("game_id") == key[0]) & (pl.col("player_id") == scorer["player_id"]))
            .then(pl.col("points") + 2).otherwise(pl.col("points"))
        )
        bad = audits.player_points_vs_team_points(bumped, teams)
        assert bad.select("game_id", "team_id").rows() == [key]
        assert bad["player_points"].item() == bad["team_points"].item() + 2
        # A team whose player rows are all missing counts too.
        no_players = players.filter(~((pl.col("game_id") == key[0]) & (pl.col("team_id") == key[1])))
        bad = audits.player_points_vs_team_points(no_players, teams)
        assert bad.select("game_id", "team_id", "player_points").rows() == [(*key, None)]


# -------------------------------------------------------------------- summary, officials, inactive
def test_summary_fields_come_from_their_result_sets(summaries, box_v2):
    teams = box_v2[1]
    for game_id, (summary, _lines, officials, _) in summaries.items():
        raw = load_recorded(summary_file(game_id))
        game = raw_rows(raw, "GameSummary")[0]
        info = raw_rows(raw, "GameInfo")[0]
        other = raw_rows(raw, "OtherStats")
        row = summary.row(0, named=True)
        assert summary.height == 1 and row["game_id"] == game_id
        assert (row["home_team_id"], row["away_team_id"]) == (game["HOME_TEAM_ID"], game["VISITOR_TEAM_ID"])
        assert {row["home_team_id"], row["away_team_id"]} == set(teams.filter(pl.col("game_id") == game_id)["team_id"])
        assert row["status_text"] == game["GAME_STATUS_TEXT"].strip()
        assert row["attendance"] == info["ATTENDANCE"]
        hours, minutes = info["GAME_TIME"].split(":")
        assert row["duration_minutes"] == int(hours) * 60 + int(minutes)
        # Lead changes and ties are game-level numbers the response repeats on both team rows.
        assert {(o["LEAD_CHANGES"], o["TIMES_TIED"]) for o in other} == {(row["lead_changes"], row["times_tied"])}
        assert row["officials"] == ", ".join(officials["official_name"])


def test_officials_and_inactive_players_parse_with_stripped_jersey_numbers(summaries, box_v2):
    players = box_v2[0]
    for game_id, (_, _, officials, inactive) in summaries.items():
        raw = load_recorded(summary_file(game_id))
        for parsed, name in ((officials, "Officials"), (inactive, "InactivePlayers")):
            rows = raw_rows(raw, name)
            assert parsed.height == len(rows) > 0
            assert parsed["game_id"].unique().to_list() == [game_id]
            assert parsed["jersey_number"].to_list() == [r["JERSEY_NUM"].strip() for r in rows]
            assert parsed["jersey_number"].str.contains(r"^\d+$").all()
            assert any(r["JERSEY_NUM"] != r["JERSEY_NUM"].strip() for r in rows)  # the raw numbers are padded
            names = parsed["official_name" if name == "Officials" else "player_name"].to_list()
            assert names == [f"{r['FIRST_NAME']} {r['LAST_NAME']}" for r in rows]
        assert officials["official_id"].to_list() == [r["OFFICIAL_ID"] for r in raw_rows(raw, "Officials")]
        assert inactive.select("player_id", "team_id", "team_tricode").rows() == [
            (r["PLAYER_ID"], r["TEAM_ID"], r["TEAM_ABBREVIATION"]) for r in raw_rows(raw, "InactivePlayers")
        ]
        # An inactive player did not play: absent from the box score or listed without minutes.
        listed = inactive.join(players, on=["game_id", "player_id"], how="inner")
        assert not listed["played"].any()


def test_empty_result_sets_give_empty_frames_with_the_table_schema():
    raw = load_recorded(summary_file(DETAIL_GAME))
    summary, lines, officials, inactive = summary_from_payload(_emptied(_emptied(raw, "InactivePlayers"), "Officials"))
    assert inactive.is_empty() and inactive.schema == _without_partition(INACTIVE_PLAYERS)
    assert officials.is_empty() and officials.schema == _without_partition(GAME_OFFICIALS)
    assert summary.height == 1 and summary["officials"].item() is None
    assert lines.height > 0
    _, no_lines, _, _ = summary_from_payload(_emptied(raw, "LineScore"))
    assert no_lines.is_empty() and no_lines.schema == _without_partition(LINE_SCORES)
    no_shots = shots_from_payload(_emptied(load_recorded(shot_files(SHOT_GAMES[0])[0]), "Shot_Chart_Detail"))
    assert no_shots.is_empty() and no_shots.schema == _without_partition(SHOTS)
    no_hustle = hustle_stats_from_payload(_emptied(load_recorded(HUSTLE_FILE), "PlayerStats"))
    assert no_hustle.is_empty() and no_hustle.schema == _without_partition(PLAYER_HUSTLE_STATS)
    no_rotation = rotations_from_payload(_emptied(_emptied(load_recorded(ROTATION_FILE), "HomeTeam"), "AwayTeam"))
    assert no_rotation.is_empty() and no_rotation.schema == _without_partition(GAME_ROTATIONS)
    for frame, table in ((inactive, INACTIVE_PLAYERS), (no_lines, LINE_SCORES), (no_shots, SHOTS), (no_rotation, GAME_ROTATIONS)):
        assert table.enforce(with_partition_columns(frame, game_dates()[DETAIL_GAME])).is_empty()


def test_every_parser_output_passes_its_table_schema(shots, summaries, rotations):
    dates = game_dates()
    outputs = [
        (SHOTS, shots),
        (PLAYER_HUSTLE_STATS, hustle_stats_from_payload(load_recorded(HUSTLE_FILE))),
        (GAME_ROTATIONS, rotations),
    ]
    for summary, lines, officials, inactive in summaries.values():
        outputs += [(GAME_SUMMARIES, summary), (LINE_SCORES, lines), (GAME_OFFICIALS, officials), (INACTIVE_PLAYERS, inactive)]
    for table, frame in outputs:
        assert frame.schema == _without_partition(table), table.name
        enforced = table.enforce(with_partition_columns(frame, {g: dates[g] for g in frame["game_id"].unique()}))
        assert enforced.height == frame.height > 0
        assert enforced.select(table.key).is_duplicated().sum() == 0, table.name
    # Mitchell's season: each shot dated by its own GAME_DATE field.
    raw = result_set(load_recorded(MITCHELL_SHOTS), "Shot_Chart_Detail")
    shot_dates = {g: dt.datetime.strptime(d, "%Y%m%d").date() for g, d in raw.select("GAME_ID", "GAME_DATE").unique().rows()}
    makes = shots_from_payload(load_recorded(MITCHELL_SHOTS))
    enforced = SHOTS.enforce(with_partition_columns(makes, shot_dates))
    assert enforced["season"].unique().to_list() == ["2025-26"] == [load_recorded(MITCHELL_LOG)["parameters"]["Season"]]
    assert enforced.select(SHOTS.key).is_duplicated().sum() == 0
    for table, frame in ((BOX_SCORE_PLAYERS, v2_box(DETAIL_GAME)[0]), (BOX_SCORE_TEAMS, v2_box(DETAIL_GAME)[1])):
        table.enforce(with_partition_columns(frame, dates[DETAIL_GAME]))  # the audits' inputs are silver rows too


PARSERS = {
    "ShotChartDetail": (shots_from_payload, lambda: load_recorded(shot_files(SHOT_GAMES[0])[0]), ["Shot_Chart_Detail"]),
    "HustleStatsBoxScore": (hustle_stats_from_payload, lambda: load_recorded(HUSTLE_FILE), ["PlayerStats"]),
    "GameRotation": (rotations_from_payload, lambda: load_recorded(ROTATION_FILE), ["HomeTeam", "AwayTeam"]),
    "BoxScoreSummaryV2": (
        summary_from_payload, lambda: load_recorded(summary_file(DETAIL_GAME)),
        ["GameSummary", "GameInfo", "OtherStats", "Officials", "InactivePlayers", "LineScore"],
    ),
}


@pytest.mark.parametrize(
    ("endpoint", "missing"), [(endpoint, name) for endpoint, (_, _, names) in PARSERS.items() for name in names]
)
def test_a_missing_result_set_raises_a_value_error_naming_it(endpoint, missing):
    parse, load, _ = PARSERS[endpoint]
    payload = load()
    parse(payload)  # the recorded response itself parses
    with pytest.raises(ValueError, match=rf"{endpoint}.*'{missing}'"):
        parse(_without(payload, missing))


def test_a_missing_column_raises_a_value_error_naming_it():
    payload = copy.deepcopy(load_recorded(shot_files(SHOT_GAMES[0])[0]))
    chart = next(rs for rs in payload["resultSets"] if rs["name"] == "Shot_Chart_Detail")
    at = chart["headers"].index("SHOT_MADE_FLAG")
    chart["headers"].pop(at)
    for row in chart["rowSet"]:
        row.pop(at)
    with pytest.raises(ValueError, match=r"ShotChartDetail.*SHOT_MADE_FLAG"):
        shots_from_payload(payload)
