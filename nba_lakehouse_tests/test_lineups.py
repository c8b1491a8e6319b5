"""Lineups, possessions, stints, team game stats and clutch splits on the real sample games.

Every expectation comes from an independent field of the recordings: box score minutes and
points, GameRotation check-in times, the CDN feed's own possession flag, pbpstats' parse of the
same CDN file, or counts taken straight from the raw JSON.
"""

import json
import shutil

import dagster as dg
import polars as pl
import pytest

from nba_lakehouse.definitions import all_assets, all_checks, per_game_date
from nba_lakehouse.gold import audits
from nba_lakehouse.gold.clutch_splits import build_clutch_splits, clutch_events
from nba_lakehouse.gold.event_state import build_event_state
from nba_lakehouse.gold.players_on_court import (
    build_players_on_court,
    substitutions,
    unresolved_substitutions,
)
from nba_lakehouse.gold.possessions import build_possessions, possession_events
from nba_lakehouse.gold.stints import build_stints
from nba_lakehouse.gold.team_game_stats import build_team_game_stats
from nba_lakehouse.resources import build_resources
from nba_lakehouse.schemas import (
    CLUTCH_SPLITS,
    EVENT_STATE,
    PLAYERS_ON_COURT,
    POSSESSIONS,
    STINTS,
    TEAM_GAME_STATS,
)
from nba_lakehouse.silver.game_details import rotations_from_payload
from nba_lakehouse.silver.games import game_outcomes
from nba_lakehouse_tests.conftest import REPLAY, SAMPLE_GAMES, load_recorded
from nba_lakehouse_tests.pbpstats_oracle import pbpstats_available, pbpstats_game

ROTATION_GAME = "0022200552"
CDN_GAME = "0022000001"


@pytest.fixture(scope="module")
def gold(sample_frames):
    pbp, box_players, box_teams = (sample_frames[k] for k in ("play_by_play", "box_score_players", "box_score_teams"))
    sides = game_outcomes(box_teams, pbp)
    on_court = PLAYERS_ON_COURT.enforce(build_players_on_court(pbp, box_players, sides))
    events = possession_events(pbp, sides)
    possessions = POSSESSIONS.enforce(build_possessions(pbp, sides))
    stints = STINTS.enforce(build_stints(on_court, events))
    state = EVENT_STATE.enforce(build_event_state(pbp, sides, possessions, on_court, box_players))
    return {
        "pbp": pbp, "box_players": box_players, "box_teams": box_teams, "sides": sides, "on_court": on_court,
        "events": events, "possessions": possessions, "stints": stints, "state": state,
    }


def test_every_sample_game_of_every_feed_has_five_a_side_at_every_event(gold):
    assert set(gold["on_court"]["game_id"]) == set(SAMPLE_GAMES)
    assert {feed for feed, *_ in SAMPLE_GAMES.values()} == {"v2", "v3", "cdn"}
    assert gold["on_court"].height == gold["pbp"].height
    assert audits.lineup_size_violations(gold["on_court"]).is_empty()
    assert unresolved_substitutions(gold["pbp"], gold["box_players"]).is_empty()


def test_substitutions_are_read_the_way_each_feed_writes_them(gold):
    subs = substitutions(gold["pbp"], gold["box_players"])
    pbp_subs = gold["pbp"].filter(pl.col("event_type") == "substitution")
    per_row = subs.group_by("game_id", "event_order").agg(n=pl.len(), entering=pl.col("entering").sum())
    feeds = pbp_subs.select("game_id", "event_order", "source").join(per_row, on=["game_id", "event_order"])
    assert feeds.height == pbp_subs.height  # every substitution row named its players
    # V2 and V3 rows swap two players; CDN rows move one.
    assert feeds.filter(pl.col("source") != "cdn").select((pl.col("n") == 2).all() & (pl.col("entering") == 1).all()).item()
    assert feeds.filter(pl.col("source") == "cdn").select((pl.col("n") == 1).all()).item()
    # The V3 incoming players, matched from description names, are players of the box score's team.
    v3_in = subs.filter(pl.col("entering")).join(pbp_subs.filter(pl.col("source") == "v3"), on=["game_id", "event_order"], how="semi")
    roster = gold["box_players"].select("game_id", "team_id", "player_id")
    assert v3_in.join(roster, on=["game_id", "team_id", "player_id"], how="anti").is_empty()
    assert v3_in.height == pbp_subs.filter(pl.col("source") == "v3").height


def test_stint_points_add_up_to_the_final_score_and_minutes_to_the_box_score(gold):
    assert audits.stint_points_vs_final(gold["stints"], gold["box_teams"]).is_empty()
    assert audits.stint_minutes_vs_box(gold["stints"], gold["box_players"]).is_empty()
    # Tighter than the check's minute: every player is within a second of his box score minutes.
    assert audits.stint_minutes_vs_box(gold["stints"], gold["box_players"], tolerance_seconds=1.0).is_empty()
    # Stints tile each game: no gap, no overlap, all 48 minutes plus overtime.
    tiled = gold["stints"].sort("game_id", "stint_number").with_columns(
        gap=pl.col("start_seconds") - pl.col("end_seconds").shift(1).over("game_id")
    )
    assert tiled["gap"].drop_nulls().abs().max() == 0
    periods = gold["pbp"].group_by("game_id").agg(periods=pl.col("period").max())
    length = tiled.group_by("game_id").agg(pl.col("duration_seconds").sum()).join(periods, on="game_id")
    assert length.select((pl.col("duration_seconds") == 2880 + 300 * (pl.col("periods") - 4)).all()).item()


def test_lineups_agree_with_the_recorded_game_rotation(gold):
    rotations = rotations_from_payload(load_recorded(f"stats/gamerotation/GameID={ROTATION_GAME}.json"))
    stints = gold["stints"].filter(pl.col("game_id") == ROTATION_GAME)
    assert stints.height > 20
    assert audits.lineups_vs_rotation(stints, rotations).is_empty()
    # The comparison has teeth: the same stints against a rotation with one stint moved two
    # minutes later (same duration, so the minutes check would not notice) disagree.
    first = rotations.row(0, named=True)
    moved = rotations.with_columns(
        pl.when((pl.col("player_id") == first["player_id"]) & (pl.col("in_seconds") == first["in_seconds"]))
        .then(pl.col(c) + 120).otherwise(pl.col(c)).alias(c) for c in ("in_seconds", "out_seconds")
    )
    assert not audits.lineups_vs_rotation(stints, moved).is_empty()


def test_possessions_are_about_a_hundred_per_team_and_balanced(gold):
    possessions = gold["possessions"]
    per_team = possessions.group_by("game_id", "offense_team_id").agg(n=pl.len())
    assert per_team.height == 2 * len(SAMPLE_GAMES)
    assert per_team["n"].min() >= 85 and per_team["n"].max() <= 120
    assert audits.possession_imbalance(possessions).is_empty()
    # Each game's events are split into possessions without gaps or overlaps.
    ordered = possessions.sort("game_id", "possession_number").with_columns(
        follows=pl.col("start_event_order") == pl.col("end_event_order").shift(1).over("game_id") + 1
    )
    assert ordered.group_by("game_id").agg(pl.col("follows").drop_nulls().all())["follows"].all()
    # A corrupted copy (five of one team's possessions dropped) fails the balance audit.
    home = possessions.filter(pl.col("offense_side") == "home")["possession_number"].head(5)
    corrupted = possessions.filter(~((pl.col("game_id") == CDN_GAME) & pl.col("possession_number").is_in(home.implode())))
    assert audits.possession_imbalance(corrupted)["game_id"].to_list() == [CDN_GAME]


def test_offense_agrees_with_the_cdn_feeds_own_possession_flag(gold):
    """The CDN feed states the team in possession; our inference never reads it."""
    pbp = gold["pbp"].filter(pl.col("game_id") == CDN_GAME)
    joined = pbp.join(gold["events"].select("game_id", "event_order", "offense_team_id"), on=["game_id", "event_order"])
    # Judge the events where the ball is in play for one side: shots, free throws, turnovers.
    live = joined.filter(pl.col("event_type").is_in(["made_shot", "missed_shot", "turnover"]) & pl.col("possession_team_id").is_not_null())
    agreement = (live["offense_team_id"] == live["possession_team_id"]).mean()
    assert live.height > 150 and agreement >= 0.98


def test_event_state_carries_possession_and_lineup_columns(gold):
    state = gold["state"]
    assert state["possession_number"].null_count() == 0 and state["offense_side"].null_count() == 0
    assert state["seconds_into_possession"].min() >= 0
    # The game's first event has the box score's five starters of each team on the floor.
    first = state.sort("event_order").group_by("game_id").first()
    assert (first["home_starters_on_court"] == 5).all() and (first["away_starters_on_court"] == 5).all()
    counts = state.group_by("game_id").agg(pl.col("possession_number").max())
    assert counts.join(gold["possessions"].group_by("game_id").agg(n=pl.len()), on="game_id").select(
        (pl.col("possession_number") == pl.col("n")).all()
    ).item()


def test_team_game_stats_four_factors_and_ratings(gold):
    stats = TEAM_GAME_STATS.enforce(build_team_game_stats(gold["box_teams"], gold["possessions"]))
    assert stats.height == 2 * len(SAMPLE_GAMES)
    # Shot counts from the box score agree with the play-by-play's own field goal rows.
    pbp_fga = gold["pbp"].filter(pl.col("event_type").is_in(["made_shot", "missed_shot"])).group_by("game_id", "team_id").agg(
        pbp_fga=pl.len(), pbp_3pa=(pl.col("shot_value") == 3).sum())
    joined = stats.join(pbp_fga, on=["game_id", "team_id"])
    assert (joined["pbp_fga"] == joined["field_goals_attempted"]).all()
    assert (joined["pbp_3pa"] == joined["three_pointers_attempted"]).all()
    # Ratings are points per 100 of the counted possessions; pace is about the NBA's 95-105.
    assert ((stats["offensive_rating"] * stats["possessions"] / 100 - stats["points"]).abs() < 1e-9).all()
    assert stats["pace"].is_between(90, 115).all()
    for rate in ("effective_fg_pct", "turnover_pct", "offensive_rebound_pct", "free_throw_rate"):
        assert stats[rate].is_between(0, 1).all(), rate
    # Each team's defensive rating is its opponent's offensive rating.
    mirror = stats.join(stats.select("game_id", opponent_team_id="team_id", opp_off="offensive_rating"), on=["game_id", "opponent_team_id"])
    assert ((mirror["defensive_rating"] - mirror["opp_off"]).abs() < 1e-9).all()


def test_clutch_splits_add_up_to_the_clutch_time_of_the_games(gold):
    splits = CLUTCH_SPLITS.enforce(build_clutch_splits(gold["pbp"], gold["state"], gold["on_court"], gold["events"], gold["box_players"]))
    clutch = clutch_events(gold["state"]).filter("clutch")
    assert clutch["game_id"].n_unique() >= 1  # 0022200552 was tied at the end of regulation
    # Ten players share every clutch second.
    assert abs(splits["minutes"].sum() * 60 - 10 * clutch["seconds_to_next"].sum()) < 1e-6
    # Points scored by players in clutch time equal the score change over the clutch events.
    points = gold["events"].join(clutch.select("game_id", "event_order"), on=["game_id", "event_order"])
    assert splits["points"].sum() == points["home_points"].sum() + points["away_points"].sum()
    assert splits["plus_minus"].sum() == 0  # every point is someone's plus and someone's minus


@pytest.mark.skipif(not pbpstats_available(), reason="pbpstats is not installed (pip install -e '.[test]')")
def test_pbpstats_agrees_on_the_cdn_game(gold):
    oracle = pbpstats_game(CDN_GAME, REPLAY, repeats=1)
    ours = gold["possessions"].filter(pl.col("game_id") == CDN_GAME)
    ours_by_team = dict(ours.group_by("offense_team_id").len().iter_rows())
    assert set(ours_by_team) == set(oracle["possessions_by_team"])
    for team, count in oracle["possessions_by_team"].items():
        assert abs(ours_by_team[team] - count) <= 0.02 * count, team
    assert abs(ours.height - oracle["possessions_total"]) <= 0.02 * oracle["possessions_total"]

    pbp = gold["pbp"].filter(pl.col("game_id") == CDN_GAME)
    mine = gold["on_court"].join(pbp.select("game_id", "event_order", "event_type", action_number="source_event_id"), on=["game_id", "event_order"])
    theirs = oracle["frame"].select("action_number", "event_class", their_home="home_player_ids", their_away="away_player_ids")
    compared = mine.join(theirs, on="action_number")
    assert compared.height == pbp.height
    same = (pl.col("home_player_ids") == pl.col("their_home")) & (pl.col("away_player_ids") == pl.col("their_away"))
    # pbpstats applies CDN's separate out and in rows one at a time, so a substitution row shows a
    # transient four- or six-man team there; every other event has one lineup to compare.
    plays = compared.filter(pl.col("event_type") != "substitution")
    assert plays.select(same.mean()).item() >= 0.99
    # At the last row of each substitution batch pbpstats shows the new lineup: ours after the batch.
    after = gold["on_court"].filter(pl.col("game_id") == CDN_GAME).sort("event_order").with_columns(
        next_home=pl.col("home_player_ids").shift(-1), next_away=pl.col("away_player_ids").shift(-1),
        next_segment=pl.col("segment").shift(-1),
    )
    batch_ends = after.filter(pl.col("next_segment") != pl.col("segment")).join(
        pbp.select("event_order", action_number="source_event_id"), on="event_order").join(theirs, on="action_number")
    assert batch_ends.height > 10
    assert batch_ends.select(((pl.col("next_home") == pl.col("their_home")) & (pl.col("next_away") == pl.col("their_away"))).mean()).item() >= 0.99


# ------------------------------------------------------------------ corrupted copies, in Dagster
def _drop_a_v3_substitution(payload):
    actions = payload["game"]["actions"]
    actions.remove(next(a for a in actions if a["actionType"] == "Substitution" and a["period"] == 2))


def _two_more_points_in_the_cdn_box(payload):
    team = payload["game"]["homeTeam"]
    team["statistics"]["points"] += 2
    team["players"][0]["statistics"]["points"] += 2


def _two_more_minutes_in_the_v2_box(payload):
    rs = next(r for r in payload["resultSets"] if r["name"] == "PlayerStats")
    column = rs["headers"].index("MIN")
    minutes, seconds = rs["rowSet"][0][column].split(":")
    rs["rowSet"][0][column] = f"{int(minutes) + 2}:{seconds}"


def _a_rotation_stint_two_minutes_later(payload):
    rs = next(r for r in payload["resultSets"] if r["name"] == "HomeTeam")
    row = rs["rowSet"][1]
    for column in ("IN_TIME_REAL", "OUT_TIME_REAL"):
        row[rs["headers"].index(column)] += 1200  # tenths of a second


GOLD_CORRUPTIONS = {
    "players_on_court.five_players_per_team": ("stats/playbyplayv3/GameID=0022200552.json", _drop_a_v3_substitution, "2023-01-02"),
    "stints.stint_points_match_final_score": ("cdn/liveData/boxscore/boxscore_0022000001.json", _two_more_points_in_the_cdn_box, "2020-12-22"),
    "stints.stint_minutes_match_box_score": ("stats/boxscoretraditionalv2/GameID=0022100732.json", _two_more_minutes_in_the_v2_box, "2022-01-26"),
    "stints.lineups_match_game_rotation": ("stats/gamerotation/GameID=0022200552.json", _a_rotation_stint_two_minutes_later, "2023-01-02"),
}


def _run_date(tmp_path, date, corrupt=None):
    replay = tmp_path / "replay"
    shutil.copytree(REPLAY, replay)
    if corrupt:
        recording, change, _ = corrupt
        payload = json.loads((replay / recording).read_text())
        change(payload)
        (replay / recording).write_text(json.dumps(payload))
    resources = build_resources(lake_root=str(tmp_path / "lake"), mode="replay", replay_dir=str(replay))
    result = dg.materialize([*all_assets, *all_checks], selection=per_game_date, partition_key=date, resources=resources)
    return {f"{e.asset_key.to_user_string()}.{e.check_name}": e for e in result.get_asset_check_evaluations()}


@pytest.mark.parametrize("check", sorted(GOLD_CORRUPTIONS))
def test_each_gold_rule_holds_back_a_corrupted_copy_of_the_real_data(tmp_path, check):
    """The asset applies the rule of the check before writing: the corrupted game is held back
    under that rule's name, its games_held_back check fails naming it, and nothing else fails
    (the blocking check passes: what was published is sound)."""
    evaluations = _run_date(tmp_path, GOLD_CORRUPTIONS[check][2], GOLD_CORRUPTIONS[check])
    asset, rule = check.split(".")
    held = evaluations[f"{asset}.games_held_back"]
    assert not held.passed and f"({rule})" in held.description
    assert evaluations[check].passed
    assert {name for name, e in evaluations.items() if not e.passed} == {f"{asset}.games_held_back"}


def test_events_read_back_from_the_possessions_table_match_the_inference(gold):
    """Stints and clutch splits read possessions from the gold table instead of inferring again."""
    from nba_lakehouse.gold.possessions import events_in_possessions

    columns = ["game_id", "event_order", "home_points", "away_points", "possession_number", "offense_team_id"]
    read_back = events_in_possessions(gold["pbp"], gold["possessions"]).select(columns).sort("game_id", "event_order")
    assert read_back.equals(gold["events"].select(columns).cast(read_back.schema).sort("game_id", "event_order"))
    assert STINTS.enforce(build_stints(gold["on_court"], events_in_possessions(gold["pbp"], gold["possessions"]))).equals(gold["stints"])
