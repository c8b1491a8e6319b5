"""Box score quirks: which players started in a V3 box score, and how minutes are written.

The V3 recording is game 0022200552; the V2 recording of the same game marks its starters with
START_POSITION, a field the V3 rules do not read, so it is the independent answer.
"""

import copy

import polars as pl
import pytest

from nba_lakehouse.silver import audits
from nba_lakehouse.silver.box_scores import box_score_from_payload, minutes_expr
from nba_lakehouse.sources.payloads import result_set
from nba_lakehouse_tests.conftest import load_recorded

GAME_ID = "0022200552"
SIDES = ("homeTeam", "awayTeam")


@pytest.fixture(scope="module")
def v3_box() -> dict:
    return load_recorded(f"stats/boxscoretraditionalv3/GameID={GAME_ID}.json")


@pytest.fixture(scope="module")
def v2_starters() -> set[int]:
    players = result_set(load_recorded(f"stats/boxscoretraditionalv2/GameID={GAME_ID}.json"), "PlayerStats")
    return set(players.filter(pl.col("START_POSITION").fill_null("").str.strip_chars() != "")["PLAYER_ID"].to_list())


def _players(box: dict) -> pl.DataFrame:
    return box_score_from_payload(box, "v3", GAME_ID)[0]


def _starters(box: dict) -> set[int]:
    return set(_players(box).filter("starter")["player_id"].to_list())


def _with_position_for_everyone_who_played(box: dict) -> dict:
    """The shape of old V3 responses: every player with minutes has a position, not only starters."""
    changed = copy.deepcopy(box)
    for side in SIDES:
        for player in changed["boxScoreTraditional"][side]["players"]:
            if player["statistics"]["minutes"] and not player["position"]:
                player["position"] = "F"
    return changed


def _first_listed_moved_last(box: dict, side: str) -> dict:
    """The team's first listed player (a starter) moved to the end: the first five no longer add
    up to the team's starters aggregate."""
    changed = copy.deepcopy(box)
    players = changed["boxScoreTraditional"][side]["players"]
    players.append(players.pop(0))
    return changed


def test_v3_starters_are_the_v2_start_position_players(v3_box, v2_starters):
    assert _starters(v3_box) == v2_starters


def test_v3_with_a_position_for_every_player_who_played_still_has_the_listed_five(v3_box, v2_starters):
    """Recording changed: every player who played gets a position (bench players "F")."""
    changed = _with_position_for_everyone_who_played(v3_box)
    players = _players(changed)
    assert players.filter("played")["player_id"].n_unique() > len(v2_starters)  # the change reached the bench
    assert _starters(changed) == _starters(v3_box) == v2_starters
    assert audits.starters_per_team(players).is_empty()
    original = _players(v3_box).select("player_id", "position")
    assert players.select("player_id", "position").sort("player_id").equals(original.sort("player_id"))
    assert players.filter(~pl.col("starter"))["position"].null_count() == players.filter(~pl.col("starter")).height


def test_v3_reordered_with_positions_for_starters_only_falls_back_to_position(v3_box, v2_starters):
    """Recording changed: the home team's first listed player moved last; positions as recorded."""
    assert _starters(_first_listed_moved_last(v3_box, "homeTeam")) == v2_starters


def test_v3_reordered_with_positions_for_everyone_is_held_back_not_given_a_wrong_five(v3_box):
    """Recording changed: every player who played has a position and the home team's first listed
    player moved last. Neither the order nor position tells the five, so every home player who
    played is marked a starter and five_starters_per_team reports the team instead of a wrong five
    being published."""
    changed = _first_listed_moved_last(_with_position_for_everyone_who_played(v3_box), "homeTeam")
    home = changed["boxScoreTraditional"]["homeTeam"]
    played = sum(1 for p in home["players"] if p["statistics"]["minutes"])
    assert audits.starters_per_team(_players(changed)).rows() == [(GAME_ID, home["teamId"], played)]


def test_v3_without_a_starters_aggregate_takes_position(v3_box, v2_starters):
    """Recording changed: the teams' starters aggregates removed."""
    changed = copy.deepcopy(v3_box)
    for side in SIDES:
        del changed["boxScoreTraditional"][side]["starters"]
    assert _starters(changed) == v2_starters


def test_sixty_seconds_in_the_recorded_team_minutes_parse_as_the_next_minute(v3_box):
    """Recording changed: the teams' minutes "265:00" written as the feed writes a rounded-up
    minute, "264:60"."""
    changed = copy.deepcopy(v3_box)
    for side in SIDES:
        statistics = changed["boxScoreTraditional"][side]["statistics"]
        whole, seconds = statistics["minutes"].split(":")
        assert seconds == "00"
        statistics["minutes"] = f"{int(whole) - 1}:60"
    teams = box_score_from_payload(changed, "v3", GAME_ID)[1]
    assert teams["minutes"].to_list() == box_score_from_payload(v3_box, "v3", GAME_ID)[1]["minutes"].to_list()


def _parse(*texts: str | None) -> list[float | None]:
    return pl.DataFrame({"text": list(texts)}, schema={"text": pl.String}).select(minutes_expr(pl.col("text")))["text"].to_list()


@pytest.mark.parametrize("sixty, next_minute", [("44:60", "45:00"), ("PT44M60.00S", "PT45M00.00S"), ("44:60.00", "45:00")])
def test_sixty_seconds_are_the_next_minute(sixty, next_minute):
    assert _parse(sixty) == _parse(next_minute) == _parse("45")
    assert _parse(sixty)[0] is not None


@pytest.mark.parametrize("text", ["-", "", " ", None, "-5", "DNP", "12:3x"])
def test_minutes_that_are_not_a_time_are_null(text):
    assert _parse(text) == [None]
