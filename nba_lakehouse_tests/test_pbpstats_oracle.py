"""pbpstats as an offline oracle for the recorded CDN game 0022000001.

Every expectation comes from the recorded CDN play-by-play and box score themselves, read here with
plain ``json``, never from a number written down here.
"""

import json
import shutil
from pathlib import Path

import pytest
import requests

from nba_lakehouse.lake import DEFAULT_REPLAY_DIR
from nba_lakehouse.pbpstats_oracle import (
    NetworkAttempt,
    cdn_recordings,
    no_network,
    pbpstats_available,
    pbpstats_game,
)

pytestmark = pytest.mark.skipif(
    not pbpstats_available(),
    reason="pbpstats is not importable: install the test extra (pip install -e '.[test]', pins pbpstats==1.3.11)",
)

GAME_ID = "0022000001"
REPLAY = Path(DEFAULT_REPLAY_DIR)


def clock_seconds(iso: str) -> float:
    minutes, seconds = iso.removeprefix("PT").removesuffix("S").split("M")
    return int(minutes) * 60 + float(seconds)


@pytest.fixture(scope="module")
def recorded():
    paths = cdn_recordings(GAME_ID, REPLAY)
    actions = json.loads(paths["pbp"].read_text(encoding="utf-8"))["game"]["actions"]
    box = json.loads(paths["game_details"].read_text(encoding="utf-8"))["game"]
    return actions, box


@pytest.fixture(scope="module")
def oracle():
    return pbpstats_game(GAME_ID, REPLAY)


def test_pbpstats_keeps_every_action_in_file_order(oracle, recorded):
    # pbpstats' live loader wraps every element of game.actions in an event object (steal, block,
    # stoppage and the game/end row become generic LiveEnhancedPbpItem events), drops nothing and
    # does not sort: its order is the file's, which is orderNumber order, not actionNumber order.
    actions, _ = recorded
    frame = oracle["frame"]
    assert oracle["events"] == frame.height == len(actions)
    assert [a["orderNumber"] for a in actions] == sorted(a["orderNumber"] for a in actions)
    assert frame["action_number"].to_list() == [a["actionNumber"] for a in actions]
    assert frame["period"].to_list() == [a["period"] for a in actions]
    assert frame["clock_seconds"].to_list() == [clock_seconds(a["clock"]) for a in actions]


def test_lineups_are_five_a_side_except_inside_substitution_rows(oracle, recorded):
    actions, box = recorded
    roster = {
        side: {p["personId"] for p in box[side]["players"]} for side in ("homeTeam", "awayTeam")
    }
    rows = oracle["frame"].to_dicts()
    is_sub = [a["actionType"] == "substitution" for a in actions]
    for i, (row, sub) in enumerate(zip(rows, is_sub, strict=True)):
        home, away = row["home_player_ids"], row["away_player_ids"]
        assert set(home) <= roster["homeTeam"] and set(away) <= roster["awayTeam"], row
        if not sub:
            assert (len(home), len(away)) == (5, 5), row
        else:
            # The CDN writes each "out" row before the matching "in" row, and pbpstats applies them
            # one at a time, so a team is briefly short-handed inside a run of sub rows.
            assert len(home) <= 5 and len(away) <= 5, row
            if i + 1 == len(rows) or not is_sub[i + 1]:
                assert (len(home), len(away)) == (5, 5), row


def test_lineups_match_the_box_score_at_tip_off_and_at_the_end(oracle, recorded):
    _, box = recorded
    frame = oracle["frame"]
    assert (oracle["home_team_id"], oracle["away_team_id"]) == (box["homeTeam"]["teamId"], box["awayTeam"]["teamId"])

    def players(side, flag):
        return sorted(p["personId"] for p in box[side]["players"] if p[flag] == "1")

    first, last = frame.row(0, named=True), frame.row(-1, named=True)
    assert first["home_player_ids"] == players("homeTeam", "starter")
    assert first["away_player_ids"] == players("awayTeam", "starter")
    assert last["home_player_ids"] == players("homeTeam", "oncourt")
    assert last["away_player_ids"] == players("awayTeam", "oncourt")


def test_possessions_follow_the_recorded_possession_field(oracle, recorded):
    actions, box = recorded
    by_team = oracle["possessions_by_team"]
    assert set(by_team) == {box["homeTeam"]["teamId"], box["awayTeam"]["teamId"]}
    assert sum(by_team.values()) == oracle["possessions_total"]
    assert abs(by_team[oracle["home_team_id"]] - by_team[oracle["away_team_id"]]) <= 2
    # Independent count: runs of the CDN `possession` team id within each period (0 = nobody).
    runs, current = {}, None
    for i, action in enumerate(actions):
        if i == 0 or action["period"] != actions[i - 1]["period"]:
            current = None
        team = action.get("possession") or 0
        if team and team != current:
            runs[team] = runs.get(team, 0) + 1
            current = team
    assert by_team == runs
    assert oracle["frame"]["possession_number"].max() == oracle["possessions_total"]
    assert 0 < oracle["seconds"] < 10
    assert 0 < oracle["lineup_seconds"] < 10


def test_oracle_needs_only_the_two_replay_files_and_no_network(tmp_path):
    replay = tmp_path / "replay"
    for source in cdn_recordings(GAME_ID, REPLAY).values():
        target = replay / source.relative_to(REPLAY)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, target)
    result = pbpstats_game(GAME_ID, replay, repeats=1)  # runs inside no_network()
    assert result["events"] == result["frame"].height > 0
    # The guard is not a no-op: a real request attempt fails before leaving the process.
    with no_network(), pytest.raises(NetworkAttempt):
        requests.get("https://cdn.nba.com/static/json/liveData/playbyplay/playbyplay_0022000001.json", timeout=1)
