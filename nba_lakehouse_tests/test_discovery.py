"""bronze.discovery and the feed fallback as plain functions: no Dagster run, no lake needed."""

import datetime as dt

import polars as pl
import pytest

from nba_lakehouse.bronze.archive import first_answer, first_available
from nba_lakehouse.bronze.discovery import judge_scoreboard, scoreboard_statuses
from nba_lakehouse.sources.errors import ErrorPayloadError, FeedUnavailableError
from nba_lakehouse.sources.payloads import FINAL, IN_PROGRESS

TODAY = dt.date(2024, 1, 10)
PAST = dt.date(2024, 1, 2)


def schedule(*rows: tuple[str, int]) -> pl.DataFrame:
    return pl.DataFrame(rows, schema={"game_id": pl.String, "status": pl.Int64}, orient="row")


def test_a_scoreboard_of_final_games_is_settled_and_one_in_progress_is_not():
    assert judge_scoreboard({"1": FINAL, "2": FINAL}, PAST, None, today=TODAY).settled
    assert not judge_scoreboard({"1": FINAL, "2": IN_PROGRESS}, PAST, None, today=TODAY).settled


def test_a_scoreboard_lacking_a_game_the_schedule_has_as_final_is_wrong():
    verdict = judge_scoreboard({"1": FINAL}, PAST, schedule(("1", FINAL), ("2", FINAL)), today=TODAY)
    assert (verdict.settled, verdict.missing) == (False, ("2",))
    assert "not 2" in verdict.problem


def test_an_empty_past_scoreboard_is_settled_only_when_the_schedule_confirms_no_game():
    assert judge_scoreboard({}, PAST, schedule(), today=TODAY).settled
    unconfirmed = judge_scoreboard({}, PAST, None, today=TODAY)
    assert not unconfirmed.settled and "materialize bronze_schedule for 2023-24" in unconfirmed.problem
    assert judge_scoreboard({}, dt.date(2023, 8, 2), None, today=TODAY).problem == ""  # off season: no warning
    assert not judge_scoreboard({}, TODAY - dt.timedelta(days=1), schedule(), today=TODAY).settled  # may still fill


def test_both_scoreboard_shapes_give_the_same_statuses():
    v3 = {"scoreboard": {"games": [{"gameId": "0022300500", "gameStatus": FINAL}]}}
    v2 = {"resultSets": [{"name": "GameHeader", "headers": ["GAME_ID", "GAME_STATUS_ID"], "rowSet": [["0022300500", FINAL]]}]}
    assert scoreboard_statuses(v3, "scoreboardv3") == scoreboard_statuses(v2, "scoreboardv2") == {"0022300500": FINAL}


def _unavailable(label):
    def fetch():
        raise FeedUnavailableError(label, "HTTP 404")
    return fetch


def test_the_first_feed_that_answers_wins_and_what_the_others_said_is_kept():
    response, errors = first_answer([_unavailable("V3"), lambda: "v2 response", _unavailable("never asked")])
    assert response == "v2 response" and [str(e) for e in errors] == ["V3: HTTP 404"]
    with pytest.raises(FeedUnavailableError, match="2024-01-02: no feed has it:\n  V3: HTTP 404\n  V2: HTTP 404"):
        first_available("2024-01-02", _unavailable("V3"), _unavailable("V2"))


def test_an_error_the_fallback_does_not_catch_is_not_swallowed():
    def error_payload():
        raise ErrorPayloadError("V3", "an HTML error page")
    with pytest.raises(ErrorPayloadError):
        first_available("2024-01-02", error_payload, lambda: "never asked")
