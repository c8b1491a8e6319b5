"""Per-game isolation through Dagster: a bad game is held back with its reason, the rest published.

Every case starts from real recordings: the V3 sample game 0022200552 (2023-01-02) with every home
score from mid-Q2 on lowered by 10, and the real bulk game 0022200001 served on the same date
(actions unchanged, no box score exists for it).
"""

import json
import shutil

import dagster as dg
import polars as pl

from nba_lakehouse.definitions import all_assets, all_checks, per_game_date
from nba_lakehouse.lake import Lake
from nba_lakehouse.resources import build_resources
from nba_lakehouse.schemas import (
    BOX_SCORE_TEAMS,
    EVENT_STATE,
    GAME_ISSUES,
    PLAY_BY_PLAY,
    PLAYERS_ON_COURT,
    POSSESSIONS,
    STINTS,
)
from nba_lakehouse.silver import audits
from nba_lakehouse.silver.play_by_play import parse_play_by_play, play_by_play_from_payload
from nba_lakehouse.sources.client import NBAClient
from nba_lakehouse.sources.errors import HTTPStatusError, RequestDeadlineError
from nba_lakehouse_tests.conftest import REPLAY, add_bulk_game, bulk_game, replay_with_a_lowered_score

ASSETS = [*all_assets, *all_checks]
DATE = "2023-01-02"
CORRUPTED, CLEAN_WITHOUT_BOX = "0022200552", "0022200001"


def _run(replay, lake_root) -> dg.ExecuteInProcessResult:
    resources = build_resources(lake_root=str(lake_root), mode="replay", replay_dir=str(replay))
    return dg.materialize(ASSETS, selection=per_game_date, partition_key=DATE, resources=resources)


def _games(lake: Lake, table) -> set[str]:
    return set(lake.read_table(table, game_dates=[DATE])["game_id"])


def _checks(result) -> dict[tuple[str, str], dg.AssetCheckEvaluation]:
    return {(e.asset_key.to_user_string(), e.check_name): e for e in result.get_asset_check_evaluations()}


def test_a_bad_game_is_held_back_and_the_other_game_of_its_date_gets_gold(tmp_path):
    replay = replay_with_a_lowered_score(tmp_path)
    add_bulk_game(replay, 1, DATE)
    lake = Lake(str(tmp_path / "lake"))
    result = _run(replay, lake.root_uri)  # raises if any step failed
    assert result.success

    # The corrupted game is missing from play_by_play and everything built from it ...
    for table in (PLAY_BY_PLAY, PLAYERS_ON_COURT, POSSESSIONS, STINTS, EVENT_STATE):
        assert _games(lake, table) == {CLEAN_WITHOUT_BOX}, table.name
    # ... but its sound box score is published; the bulk game has none to publish.
    assert _games(lake, BOX_SCORE_TEAMS) == {CORRUPTED}

    issues = lake.read_table(GAME_ISSUES, game_dates=[DATE])
    filed = {(r["game_id"], r["recorded_by"], r["rule"], r["action"]) for r in issues.iter_rows(named=True)}
    assert filed == {
        (CORRUPTED, "play_by_play", "scores_never_decrease", "held_back"),
        (CORRUPTED, "play_by_play", "final_score_matches_scoring_events", "held_back"),
        (CLEAN_WITHOUT_BOX, "bronze_box_score", "feed_unavailable", "held_back"),
        (CLEAN_WITHOUT_BOX, "players_on_court", "starters_inferred_without_box_score", "flagged"),
    }
    assert issues["run_id"].to_list() == [result.run_id] * issues.height
    assert all("replay" in d for d in issues.filter(pl.col("rule") == "feed_unavailable")["detail"])

    checks = _checks(result)
    held = checks[("play_by_play", "games_held_back")]
    assert not held.passed and CORRUPTED in held.description and "scores_never_decrease" in held.description
    assert not checks[("bronze_box_score", "games_held_back")].passed
    # What was published is sound, so the blocking checks that guard it pass.
    for key in [("play_by_play", "scores_never_decrease"), ("players_on_court", "five_players_per_team"),
                ("stints", "stint_points_match_final_score")]:
        assert checks[key].passed, key
    assert checks[("players_on_court", "games_held_back")].passed  # flagged, not held back

    # The bulk game's gold from play-by-play alone: its stints add up to the feed's own final score.
    _, actions = bulk_game(1)
    stints = lake.read_table(STINTS, game_dates=[DATE])
    final = [a for a in actions if a["scoreHome"] not in ("", None)][-1]
    assert (stints["home_points"].sum(), stints["away_points"].sum()) == (int(final["scoreHome"]), int(final["scoreAway"]))


def test_a_rerun_after_the_cause_is_fixed_publishes_the_game_and_clears_its_issue(tmp_path):
    replay = replay_with_a_lowered_score(tmp_path)
    lake = Lake(str(tmp_path / "lake"))
    _run(replay, lake.root_uri)
    assert CORRUPTED not in _games(lake, PLAY_BY_PLAY)

    fixed = tmp_path / "fixed"
    shutil.copytree(REPLAY, fixed)  # the feed answered correctly the second time
    # Bronze keeps what it archived, so the corrected response must be fetched again.
    resources = build_resources(lake_root=lake.root_uri, mode="replay", replay_dir=str(fixed))
    result = dg.materialize(
        ASSETS, selection=per_game_date, partition_key=DATE, resources=resources,
        run_config={"ops": {"bronze_play_by_play": {"config": {"refresh": True}}}},
    )
    assert CORRUPTED in _games(lake, EVENT_STATE)
    assert lake.read_table(GAME_ISSUES, game_dates=[DATE]).is_empty()
    assert _checks(result)[("play_by_play", "games_held_back")].passed


def test_the_rule_a_game_is_filed_under_is_broken_by_its_rows_and_not_by_the_real_recording(tmp_path):
    corrupted = replay_with_a_lowered_score(tmp_path)
    relative = "stats/playbyplayv3/GameID=0022200552.json"
    rows = {
        name: play_by_play_from_payload(json.loads((base / relative).read_text()), "v3", CORRUPTED)
        for name, base in (("real", REPLAY), ("corrupted", corrupted))
    }
    assert audits.decreasing_scores(rows["real"]).is_empty()
    assert audits.decreasing_scores(rows["corrupted"]).height == 1  # one drop of 10, never recovered


def test_an_unreadable_payload_is_held_back_and_the_readable_one_parsed():
    """The real V3 recording of 0022200552 read three ways: as recorded, without its actions list
    (a changed shape), and with no actions (a valid-looking empty answer)."""
    payload = json.loads((REPLAY / "stats/playbyplayv3/GameID=0022200552.json").read_text())
    no_actions = {**payload, "game": {k: v for k, v in payload["game"].items() if k != "actions"}}
    empty = {**payload, "game": {**payload["game"], "actions": []}}
    rows, failed = parse_play_by_play([(payload, "v3", CORRUPTED), (no_actions, "v3", "0022200553"), (empty, "v3", "0022200554")])
    assert rows["game_id"].unique().to_list() == [CORRUPTED] and rows.height == len(payload["game"]["actions"])
    assert dict(failed.select("game_id", "rule").iter_rows()) == {"0022200553": "unusable_payload", "0022200554": "no_events"}
    assert "KeyError" in failed.filter(pl.col("game_id") == "0022200553")["detail"][0]


class _ClientFailingOneGame(NBAClient):
    """The replay client, except that every feed of 0022200001 fails with ``error``."""

    error: str = "http"

    def _fail(self, game_id):
        if game_id == CLEAN_WITHOUT_BOX:
            if self.error == "http":
                raise HTTPStatusError(f"playbyplay of {game_id}", "HTTP 400: 'bad request'")
            raise RequestDeadlineError(f"playbyplay of {game_id}", "deadline of 90s passed")

    def cdn_play_by_play(self, game_id):
        self._fail(game_id)
        return super().cdn_play_by_play(game_id)

    def play_by_play_v3(self, game_id):
        self._fail(game_id)
        return super().play_by_play_v3(game_id)

    def play_by_play_v2(self, game_id):
        self._fail(game_id)
        return super().play_by_play_v2(game_id)


def test_a_refused_game_is_held_back_but_a_transport_failure_fails_the_step(tmp_path):
    replay = tmp_path / "replay"
    shutil.copytree(REPLAY, replay)
    add_bulk_game(replay, 1, DATE)
    for error in ("http", "deadline"):
        resources = build_resources(lake_root=str(tmp_path / error), mode="replay", replay_dir=str(replay))
        resources["nba"] = _ClientFailingOneGame(mode="replay", replay_dir=str(replay), error=error)
        result = dg.materialize(ASSETS, selection=["bronze_play_by_play"], partition_key=DATE, resources=resources,
                                raise_on_error=False)
        lake = Lake(str(tmp_path / error))
        if error == "http":  # the game's own problem: the date's other game is archived
            assert result.success
            issues = lake.read_table(GAME_ISSUES, game_dates=[DATE])
            assert issues.select("game_id", "rule").rows() == [(CLEAN_WITHOUT_BOX, "http_error")]
            assert [p.name for p in (tmp_path / error).rglob("*.manifest.json")] == [f"{DATE}_{CORRUPTED}.manifest.json"]
        else:  # every later request would meet it too: the step fails, to be re-run
            assert not result.success
            assert "deadline of 90s passed" in str(result.failure_data_for_node("bronze_play_by_play").error.cause)
