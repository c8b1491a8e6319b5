"""One rule of possession inference per test, pbpstats style, on tiny hand-built play-by-play.

Each frame has the silver columns ``possession_events`` reads. The home team has the ball first.
The last tests start from the real V3 recording of game 0022200552 and rewrite free throws the
way the G League writes them.
"""

import copy
import datetime as dt
import itertools

import polars as pl

from nba_lakehouse.gold.possessions import build_possessions, possession_events
from nba_lakehouse.silver.box_scores import box_score_from_payload
from nba_lakehouse.silver.games import game_outcomes, with_partition_columns
from nba_lakehouse.silver.play_by_play import play_by_play_from_payload
from nba_lakehouse_tests.conftest import game_dates, load_recorded

GAME = "0022200552"
HOME, AWAY = 1610612739, 1610612741
SIDES = pl.DataFrame({"game_id": [GAME], "home_team_id": [HOME], "away_team_id": [AWAY]})


def _game(*events: tuple) -> pl.DataFrame:
    """Events as (clock_seconds, team_id, event_type, text, shot_made); ``text`` is both the sub
    type and the description, as the V3 feed writes a free throw's."""
    return pl.DataFrame(
        [
            {"game_id": GAME, "season": "2022-23", "game_date": dt.date(2023, 1, 2), "event_order": order,
             "period": 1, "clock_seconds": clock, "team_id": team, "event_type": kind, "event_subtype": text,
             "description": text, "shot_made": made, "home_score": None, "away_score": None}
            for order, (clock, team, kind, text, made) in enumerate(events, start=1)
        ],
        schema_overrides={"team_id": pl.Int64, "shot_made": pl.Boolean, "home_score": pl.Int32, "away_score": pl.Int32,
                          "clock_seconds": pl.Float64, "event_order": pl.Int32},
    )


def _events(*events: tuple) -> pl.DataFrame:
    return possession_events(_game(*events), SIDES).sort("event_order")


def _possession_teams(*events: tuple) -> list[int]:
    return build_possessions(_game(*events), SIDES)["offense_team_id"].to_list()


def test_and_one_is_one_possession_ending_on_the_made_free_throw():
    events = _events(
        (700, HOME, "made_shot", "Mitchell 12' Jump Shot", True),
        (700, AWAY, "foul", "Shooting Foul", None),
        (700, HOME, "free_throw", "Free Throw 1 of 1", True),
        (690, AWAY, "made_shot", "LaVine 3PT Jump Shot", True),
    )
    assert events["ends"].to_list() == [False, False, True, True]
    assert events["possession_number"].to_list() == [1, 1, 1, 2]


def test_technical_free_throw_keeps_the_ball_with_the_offense():
    events = _events(
        (700, HOME, "missed_shot", "MISS Mitchell 12' Jump Shot", False),
        (699, HOME, "rebound", "Mitchell REBOUND", None),
        (698, HOME, "foul", "T.FOUL", None),
        (698, AWAY, "free_throw", "Free Throw Technical", True),
        (690, HOME, "made_shot", "Mitchell 12' Jump Shot", True),
    )
    assert not events["ends"][3]
    assert events["possession_number"].n_unique() == 1
    assert events["offense_team_id"].unique().to_list() == [HOME]


def test_flagrant_free_throws_keep_the_ball():
    """The fouled team shoots and keeps the ball: with nothing after the trip, the rest of the
    period stays its possession rather than becoming the other team's."""
    assert _possession_teams(
        (710, AWAY, "made_shot", "LaVine 3PT Jump Shot", True),
        (700, AWAY, "foul", "Flagrant Type 1", None),
        (700, HOME, "free_throw", "Free Throw Flagrant 1 of 2", True),
        (700, HOME, "free_throw", "Free Throw Flagrant 2 of 2", True),
        (700, None, "period_end", "Period End", None),
    ) == [AWAY, HOME]


def test_clear_path_free_throws_keep_the_ball():
    assert _possession_teams(
        (710, AWAY, "made_shot", "LaVine 3PT Jump Shot", True),
        (700, AWAY, "foul", "Clear Path Foul", None),
        (700, HOME, "free_throw", "Free Throw Clear Path 2 of 2", True),
        (700, None, "period_end", "Period End", None),
    ) == [AWAY, HOME]


def test_made_last_free_throw_of_two_ends_the_possession():
    events = _events(
        (700, AWAY, "foul", "Shooting Foul", None),
        (700, HOME, "free_throw", "Free Throw 1 of 2", True),
        (700, HOME, "free_throw", "Free Throw 2 of 2", True),
        (690, AWAY, "made_shot", "LaVine 3PT Jump Shot", True),
    )
    assert events["ends"].to_list() == [False, False, True, True]
    assert events["possession_number"].to_list() == [1, 1, 1, 2]


def test_g_league_one_shot_free_throw_made_ends_the_possession():
    events = _events(
        (700, AWAY, "foul", "Shooting Foul", None),
        (700, HOME, "free_throw", "Free Throw 2PT", True),
        (690, AWAY, "made_shot", "LaVine 3PT Jump Shot", True),
    )
    assert events["ends"].to_list() == [False, True, True]
    assert events["possession_number"].to_list() == [1, 1, 2]
    assert events["offense_team_id"].to_list() == [HOME, HOME, AWAY]


def test_g_league_one_shot_free_throw_missed_leaves_it_to_the_rebound():
    events = _events(
        (700, AWAY, "foul", "Shooting Foul", None),
        (700, HOME, "free_throw", "MISS Mitchell Free Throw 3PT", False),
        (699, HOME, "rebound", "Mitchell REBOUND", None),
        (690, HOME, "made_shot", "Mitchell 12' Jump Shot", True),
    )
    assert events["ends"].to_list() == [False, False, False, True]
    assert events["possession_number"].n_unique() == 1


def test_defensive_rebound_ends_the_possession():
    events = _events(
        (700, HOME, "missed_shot", "MISS Mitchell 12' Jump Shot", False),
        (699, AWAY, "rebound", "LaVine REBOUND", None),
        (690, AWAY, "made_shot", "LaVine 3PT Jump Shot", True),
    )
    assert events["ends"].to_list() == [False, True, True]
    assert events["offense_team_id"].to_list() == [HOME, HOME, AWAY]


def test_offensive_rebound_continues_the_possession():
    events = _events(
        (700, HOME, "missed_shot", "MISS Mitchell 12' Jump Shot", False),
        (699, HOME, "rebound", "Allen REBOUND", None),
        (695, HOME, "made_shot", "Allen 2' Layup", True),
    )
    assert events["ends"].to_list() == [False, False, True]
    assert events["possession_number"].n_unique() == 1


def test_turnover_ends_the_possession():
    events = _events(
        (700, HOME, "turnover", "Mitchell Bad Pass Turnover", None),
        (690, AWAY, "made_shot", "LaVine 3PT Jump Shot", True),
    )
    assert events["ends"].to_list() == [True, True]
    assert events["offense_team_id"].to_list() == [HOME, AWAY]


# ------------------------------------------------------------ real recording, G League form
def _v3_game(actions: list[dict]) -> tuple[pl.DataFrame, pl.DataFrame]:
    payload = load_recorded(f"stats/playbyplayv3/GameID={GAME}.json")
    payload = {**payload, "game": {**payload["game"], "actions": actions}}
    pbp = play_by_play_from_payload(payload, "v3", GAME)
    game_date = game_dates()[GAME]
    pbp = with_partition_columns(pbp, game_date)
    teams = box_score_from_payload(load_recorded(f"stats/boxscoretraditionalv3/GameID={GAME}.json"), "v3", GAME)[1]
    return pbp, game_outcomes(with_partition_columns(teams, game_date), pbp)


def _as_one_g_league_free_throw() -> tuple[list[dict], list[dict], int]:
    """The recording's first two-shot trip with both shots made, rewritten as the G League writes
    one free throw worth two: the "1 of 2" row dropped and the "2 of 2" row renamed "Free Throw
    2PT". The "2 of 2" row carries the score after both shots, so the scores stay true. Returns
    the original actions, the rewritten ones and the rewritten row's actionId."""
    actions = load_recorded(f"stats/playbyplayv3/GameID={GAME}.json")["game"]["actions"]
    free_throws = [a for a in actions if a["actionType"] == "Free Throw"]

    def made(action: dict, subtype: str) -> bool:
        return action["subType"] == subtype and not action["description"].startswith("MISS")

    first, second = next(
        (a, b) for a, b in itertools.pairwise(free_throws)
        if made(a, "Free Throw 1 of 2") and made(b, "Free Throw 2 of 2") and a["personId"] == b["personId"]
    )
    rewritten = []
    for a in copy.deepcopy(actions):
        if a["actionId"] == first["actionId"]:
            continue
        if a["actionId"] == second["actionId"]:
            a["subType"] = "Free Throw 2PT"
            a["description"] = a["description"].replace("Free Throw 2 of 2", "Free Throw 2PT")
        rewritten.append(a)
    return actions, rewritten, second["actionId"]


def test_recorded_trip_rewritten_as_a_made_g_league_free_throw_is_worth_two_and_ends_the_possession():
    """Recording changed: a made two-shot trip becomes one made "Free Throw 2PT" (see above)."""
    original, rewritten, action_id = _as_one_g_league_free_throw()
    pbp, sides = _v3_game(rewritten)
    row = pbp.filter(pl.col("source_event_id") == action_id)
    shooter_is_home = row["location"].item() == "home"
    score = "home_score" if shooter_is_home else "away_score"
    previous_score = pbp.filter(pl.col("event_order") < row["event_order"].item())[score].drop_nulls()[-1]
    assert row["shot_value"].item() == row[score].item() - previous_score == 2
    assert possession_events(pbp, sides).filter(pl.col("source_event_id") == action_id)["ends"].item()
    # The same possessions as the recorded two-shot trip, which ended on its made "2 of 2".
    recorded, _ = _v3_game(original)
    kept = ["period", "offense_team_id", "points"]
    assert build_possessions(pbp, sides).select(kept).equals(build_possessions(recorded, sides).select(kept))


def test_recorded_one_shot_free_throws_written_the_g_league_way_give_the_same_possessions():
    """Recording changed: every "Free Throw 1 of 1" (made and missed and-ones) written as the G
    League writes a one-shot free throw, "Free Throw 1PT". They are trips of one either way, so
    the possessions are the recorded ones."""
    original = load_recorded(f"stats/playbyplayv3/GameID={GAME}.json")["game"]["actions"]
    rewritten = copy.deepcopy(original)
    for a in rewritten:
        if a["subType"] == "Free Throw 1 of 1":
            a["subType"] = "Free Throw 1PT"
            a["description"] = a["description"].replace("Free Throw 1 of 1", "Free Throw 1PT")
    pbp, sides = _v3_game(rewritten)
    recorded, _ = _v3_game(original)
    one_shots = pbp.filter(pl.col("event_subtype") == "Free Throw 1PT")
    assert one_shots["shot_made"].n_unique() == 2  # made and missed ones
    assert one_shots["shot_value"].unique().to_list() == [1]
    assert build_possessions(pbp, sides).equals(build_possessions(recorded, sides))
