"""Lineups, possessions, stints, team game stats and clutch splits on the real sample games.

Every expectation comes from an independent field of the recordings: box score minutes and
points, GameRotation check-in times, the CDN feed's own possession flag, pbpstats' parse of the
same CDN file, or counts taken straight from the raw JSON.
"""

import datetime as dt
import gzip
import json
import shutil
from pathlib import Path

import dagster as dg
import polars as pl
import pytest

from nba_lakehouse.definitions import all_assets, all_checks, per_game_date
from nba_lakehouse.gold import audits
from nba_lakehouse.gold.clutch_splits import build_clutch_splits, clutch_events
from nba_lakehouse.gold.event_state import build_event_state
from nba_lakehouse.gold.players_on_court import (
    BENCH_ACTION,
    build_players_on_court,
    substitutions,
    unresolved_substitutions,
)
from nba_lakehouse.gold.possessions import build_possessions, possession_events
from nba_lakehouse.gold.stints import build_stints, stints_from_events
from nba_lakehouse.gold.team_game_stats import build_team_game_stats
from nba_lakehouse.pbpstats_oracle import pbpstats_available, pbpstats_game
from nba_lakehouse.resources import build_resources
from nba_lakehouse.schemas import (
    BOX_SCORE_PLAYERS,
    BOX_SCORE_TEAMS,
    CLUTCH_SPLITS,
    EVENT_STATE,
    PLAY_BY_PLAY,
    PLAYERS_ON_COURT,
    POSSESSIONS,
    STINTS,
    TEAM_GAME_STATS,
)
from nba_lakehouse.silver.game_details import rotations_from_payload
from nba_lakehouse.silver.games import game_outcomes, with_partition_columns
from nba_lakehouse.silver.play_by_play import normalize_v3, v3_actions
from nba_lakehouse.silver.secondary_players import with_v3_secondary_players
from nba_lakehouse_tests.conftest import REPLAY, SAMPLE_GAMES, load_recorded

ROTATION_GAME = "0022200552"
CDN_GAME = "0022000001"


@pytest.fixture(scope="module")
def gold(sample_frames):
    pbp, box_players, box_teams = (sample_frames[k] for k in ("play_by_play", "box_score_players", "box_score_teams"))
    sides = game_outcomes(box_teams, pbp)
    on_court = PLAYERS_ON_COURT.enforce(build_players_on_court(pbp, box_players, sides))
    events = possession_events(pbp, sides)
    possessions = POSSESSIONS.enforce(build_possessions(pbp, sides))
    stints = STINTS.enforce(stints_from_events(on_court, events))
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
    assert unresolved_substitutions(gold["pbp"]).is_empty()


def test_substitutions_are_read_the_way_each_feed_writes_them(gold):
    subs = substitutions(gold["pbp"])
    pbp_subs = gold["pbp"].filter(pl.col("event_type") == "substitution")
    per_row = subs.group_by("game_id", "event_order").agg(n=pl.len(), entering=pl.col("entering").sum())
    feeds = pbp_subs.select("game_id", "event_order", "source").join(per_row, on=["game_id", "event_order"])
    assert feeds.height == pbp_subs.height  # every substitution row named its players
    # V2 and V3 rows swap two players; CDN rows move one.
    assert feeds.filter(pl.col("source") != "cdn").select((pl.col("n") == 2).all() & (pl.col("entering") == 1).all()).item()
    assert feeds.filter(pl.col("source") == "cdn").select((pl.col("n") == 1).all()).item()
    # The V3 incoming players, resolved in silver from description names, are players of the box score's team.
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
    splits = CLUTCH_SPLITS.enforce(build_clutch_splits(gold["pbp"], gold["state"], gold["on_court"], gold["possessions"], gold["box_players"]))
    clutch = clutch_events(gold["state"]).filter("clutch")
    assert clutch["game_id"].n_unique() >= 1  # 0022200552 was tied at the end of regulation
    # Ten players share every clutch second.
    assert abs(splits["minutes"].sum() * 60 - 10 * clutch["seconds_to_next"].sum()) < 1e-6
    # Points scored by players in clutch time equal the score change over the clutch events.
    points = gold["events"].join(clutch.select("game_id", "event_order"), on=["game_id", "event_order"])
    assert splits["points"].sum() == points["home_points"].sum() + points["away_points"].sum()
    assert splits["plus_minus"].sum() == 0  # every point is someone's plus and someone's minus
    # Assists: the assisted clutch baskets of every feed, the V3 game's (read from its text) included.
    clutch_rows = gold["pbp"].join(clutch.select("game_id", "event_order"), on=["game_id", "event_order"])
    assisted = clutch_rows.filter((pl.col("event_type") == "made_shot") & pl.col("assist_player_id").is_not_null())
    assert splits["assists"].sum() == assisted.height
    assert assisted.filter(pl.col("source") == "v3").height > 0


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
    result = dg.materialize([*all_assets, *all_checks], selection=per_game_date, partition_key=date, resources=resources,
                            raise_on_error=False)
    return {f"{e.asset_key.to_user_string()}.{e.check_name}": e for e in result.get_asset_check_evaluations()}


@pytest.mark.parametrize("check", sorted(GOLD_CORRUPTIONS))
def test_each_gold_rule_holds_back_a_corrupted_copy_of_the_real_data(tmp_path, check):
    """The asset applies the rule of the check before writing: the corrupted game is held back
    under that rule's name, its games_held_back check fails naming it, and nothing else fails
    (the blocking check passes: what was published is sound). The GameRotation check, which is
    no game rule, fails itself."""
    evaluations = _run_date(tmp_path, GOLD_CORRUPTIONS[check][2], GOLD_CORRUPTIONS[check])
    if check == "stints.lineups_match_game_rotation":  # a check only: GameRotation is no input of stints
        assert {name for name, e in evaluations.items() if not e.passed} == {check}
        return
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
    assert STINTS.enforce(build_stints(gold["pbp"], gold["on_court"], gold["possessions"])).equals(gold["stints"])


# ------------------------------------------------- V3 incoming names two teammates share, or nobody
# silver.names resolves "SUB: X FOR Y" (with_v3_secondary_players, as silver play_by_play does);
# players_on_court only reads sub_in_player_id. So every frame below is resolved after it is
# built or changed, and the lineups are built from the resolved frame.
BULK = Path(__file__).parent / "data" / "bulk_2022_23"
ATL, PHI = 1610612737, 1610612755


def _bulk_actions(number: int) -> list[dict]:
    return json.loads(gzip.decompress((BULK / f"S2223-G{number:04d}.json.gz").read_bytes()))


def _resolved(pbp: pl.DataFrame) -> pl.DataFrame:
    """``pbp`` (parsed V3, no names resolved yet) with its description names resolved the way
    silver does it; there is no box score, so the rosters are the frame's own names."""
    resolved, _ = with_v3_secondary_players(pbp, BOX_SCORE_PLAYERS.empty())
    return PLAY_BY_PLAY.cast(resolved)


def _bulk_frame(numbers, rewrite=None) -> pl.DataFrame:
    """Silver play_by_play of bulk games, ``rewrite(number, actions)`` applied first, names resolved."""
    return _resolved(_parsed_bulk(numbers, rewrite))


def _parsed_bulk(numbers, rewrite=None) -> pl.DataFrame:
    """Bulk games parsed to silver columns, ``rewrite(number, actions)`` applied first, no name resolved.

    The bulk has no dates; game ids follow the schedule, so a day per game number keeps them in
    calendar order, which is all the name matching reads.
    """
    frames = []
    for number in numbers:
        actions = _bulk_actions(number)
        if rewrite:
            rewrite(number, actions)
        game_id = "00" + str(22200000 + number)
        pbp = PLAY_BY_PLAY.cast(normalize_v3(v3_actions(actions, game_id)))
        frames.append(with_partition_columns(pbp, dt.date(2022, 10, 18) + dt.timedelta(days=number // 8)))
    return PLAY_BY_PLAY.enforce(pl.concat(frames))


def _on_court(pbp: pl.DataFrame) -> pl.DataFrame:
    sides = game_outcomes(BOX_SCORE_TEAMS.empty(), pbp)
    return build_players_on_court(pbp, BOX_SCORE_PLAYERS.empty(), sides)


def _person_of(number: int, name_i: str) -> int:
    """The personId the feed's own playerNameI ("A. Holiday") belongs to in a bulk game."""
    (person,) = {a["personId"] for a in _bulk_actions(number) if a["playerNameI"] == name_i}
    return person


def _incoming(pbp: pl.DataFrame, game_id: str, event_order: int) -> list[int]:
    subs = substitutions(pbp)
    return subs.filter((pl.col("game_id") == game_id) & (pl.col("event_order") == event_order) & pl.col("entering"))["player_id"].to_list()


def _event_order(pbp: pl.DataFrame, game_id: str, description: str) -> int:
    return pbp.filter((pl.col("game_id") == game_id) & (pl.col("description") == description))["event_order"].item()


def _bare_name(description: str):
    """Rewrite one real "SUB: A. Holiday FOR ..." row of G0134 to the bare family name the feed
    writes when it does not tell the two Hawks apart."""
    def rewrite(number, actions):
        if number == 134:
            row = next(a for a in actions if a["description"] == description)
            row["description"] = description.replace("A. Holiday", "Holiday")
    return rewrite


def _acting_off_the_floor(pbp: pl.DataFrame, on_court: pl.DataFrame) -> pl.DataFrame:
    """Events where a player acts (by personId, bench fouls aside) outside his team's lineup."""
    acts = pbp.filter(
        (pl.col("event_type") != "substitution") & pl.col("player_id").is_not_null() & pl.col("team_id").is_not_null()
        & ~pl.col("description").fill_null("").str.contains(BENCH_ACTION)
    )
    lineup = pl.when(pl.col("team_id") == pl.col("home_team_id")).then("home_player_ids").otherwise("away_player_ids")
    return acts.join(on_court, on=["game_id", "event_order"]).filter(~lineup.list.contains(pl.col("player_id")))


def test_a_namesake_already_on_the_floor_is_not_the_one_coming_in():
    # Real G0134, 1st quarter: Justin Holiday has scored when "A. Holiday" replaces Hunter.
    description = "SUB: A. Holiday FOR Hunter"
    game = "0022200134"
    real = _bulk_frame([134])
    bare = _bulk_frame([134], _bare_name(description))
    event = _event_order(real, game, description)
    justin = _person_of(134, "J. Holiday")
    before = real.filter((pl.col("game_id") == game) & (pl.col("period") == 1) & (pl.col("event_order") < event))
    assert justin in before["player_id"].to_list()  # the evidence the rule reads
    assert _incoming(bare, game, event) == [_person_of(134, "A. Holiday")]
    # And the whole game's lineups are those the feed's own initial gives.
    columns = ["event_order", "home_player_ids", "away_player_ids"]
    assert _on_court(bare).select(columns).equals(_on_court(real).select(columns))


def test_between_two_benched_namesakes_the_one_acting_next_came_in():
    # Real G0134, 2nd quarter: both Holidays were subbed out earlier in the period; "A. Holiday"
    # replaces Murray and scores a three before anything else happens to either of them.
    description = "SUB: A. Holiday FOR Murray"
    game = "0022200134"
    bare = _bulk_frame([134], _bare_name(description))
    event = _event_order(bare, game, description.replace("A. Holiday", "Holiday"))
    aaron = _person_of(134, "A. Holiday")
    assert _incoming(bare, game, event) == [aaron]
    # Without that next action nothing tells the two apart: unresolved, not guessed (the frame
    # without it is resolved again, as silver would resolve such a feed).
    first_after = bare.filter((pl.col("game_id") == game) & (pl.col("event_order") > event) & (pl.col("player_id") == aaron))["event_order"].min()
    parsed = _parsed_bulk([134], _bare_name(description))
    silent = _resolved(parsed.filter(~((pl.col("game_id") == game) & (pl.col("event_order") == first_after))))
    assert _incoming(silent, game, event) == []
    assert event in unresolved_substitutions(silent)["event_order"].to_list()


def test_a_namesake_traded_away_is_no_longer_a_teammate():
    # Real G1021 "SUB: Holiday FOR Okongwu": both Holidays played for ATL in G0134; by G1021 one
    # of them plays for DAL (G0891), and neither acts in G1021.
    game = "0022201021"
    moved = {a["personId"] for a in _bulk_actions(891) if a["playerName"] == "Holiday" and a["teamTricode"] == "DAL"}
    hawks = {a["personId"] for a in _bulk_actions(134) if a["playerName"] == "Holiday" and a["teamTricode"] == "ATL"}
    assert len(hawks) == 2 and len(moved) == 1
    pbp = _bulk_frame([134, 891, 1021])
    event = _event_order(pbp, game, "SUB: Holiday FOR Okongwu")
    assert _incoming(pbp, game, event) == sorted(hawks - moved)
    # Other names of the game are only resolved from a whole season's frame, so judge the lineups
    # by who acts rather than by their size.
    assert _acting_off_the_floor(pbp.filter(pl.col("game_id") == game), _on_court(pbp)).is_empty()
    # Without the DAL game both are still Hawks as far as the frame knows: unresolved.
    assert _incoming(_bulk_frame([134, 1021]), game, event) == []


def test_namesakes_the_game_cannot_tell_apart_stay_unresolved():
    # Real G0313 "SUB: Holiday FOR Young" (4th quarter), both Holidays Hawks then (G0134), and
    # neither acts or is subbed again in G0313.
    game = "0022200313"
    pbp = _bulk_frame([134, 313])
    event = _event_order(pbp, game, "SUB: Holiday FOR Young")
    hawks = {a["personId"] for a in _bulk_actions(134) if a["playerName"] == "Holiday" and a["teamTricode"] == "ATL"}
    assert not hawks & set(pbp.filter((pl.col("game_id") == game) & (pl.col("event_order") != event))["player_id"].drop_nulls())
    assert _incoming(pbp, game, event) == []
    unresolved = unresolved_substitutions(pbp)
    assert unresolved.filter(pl.col("game_id") == game)["event_order"].to_list() == [event]
    atl = _on_court(pbp).filter(pl.col("game_id") == game).select("event_order", ids=pl.col("away_player_ids"))
    assert not atl.filter(pl.col("ids").list.set_intersection(sorted(hawks)).list.len() > 0).height


def test_a_name_spelled_only_in_a_sub_row_falls_back_to_the_lineup_without_him():
    # Real G0256 "SUB: Foster Jr. FOR Reed": no PHI name folds to "foster" in the game.
    game = "0022200256"
    pbp = _bulk_frame([256])
    phi_names = {a["playerName"].lower() for a in _bulk_actions(256) if a["teamTricode"] == "PHI" and a["playerName"]}
    assert not any(name.startswith("foster") for name in phi_names)
    row = pbp.filter((pl.col("game_id") == game) & (pl.col("description") == "SUB: Foster Jr. FOR Reed")).row(0, named=True)
    assert unresolved_substitutions(pbp)["event_order"].to_list() == [row["event_order"]]
    # Reed leaves and nobody is invented: after the batch (Milton also replaces Niang) PHI has the
    # lineup from before, less Reed and Niang, plus Milton.
    niang = pbp.filter((pl.col("game_id") == game) & (pl.col("description") == "SUB: Milton FOR Niang")).row(0, named=True)
    (milton,) = {a["personId"] for a in _bulk_actions(256) if a["teamTricode"] == "PHI" and a["playerName"] == "Milton"}
    phi = _on_court(pbp).sort("event_order").select(
        "event_order", "segment", ids=pl.when(pl.col("home_team_id") == PHI).then("home_player_ids").otherwise("away_player_ids"))
    at_sub = phi.filter(pl.col("event_order") == row["event_order"]).row(0, named=True)
    after = phi.filter(pl.col("segment") > at_sub["segment"])["ids"].first()
    assert {row["player_id"], niang["player_id"]} <= set(at_sub["ids"])
    assert after == sorted(set(at_sub["ids"]) - {row["player_id"], niang["player_id"]} | {milton})


# Hand-built frames, one per rule: team 100's Aaron (1) and Justin (2) are both "Holiday".
def _hand_built(rows) -> pl.DataFrame:
    """Silver V3 play_by_play of (game_id, day, period, event_order, team_id, player_id,
    player_name, description) rows, every other column null, the incoming names resolved.

    A "SUB:" row is a substitution whose player goes out (sub_out_player_id, as V3 parses it);
    any other row a made shot.
    """
    given = pl.DataFrame(rows, orient="row", schema={
        "game_id": pl.String, "day": pl.Int64, "period": pl.Int16, "event_order": pl.Int32, "team_id": pl.Int64,
        "player_id": pl.Int64, "player_name": pl.String, "description": pl.String,
    })
    is_sub = pl.col("description").str.starts_with("SUB:")
    nulls = [pl.lit(None, c.dtype).alias(c.name) for c in PLAY_BY_PLAY.columns if c.name not in given.columns]
    frame = given.with_columns(nulls).with_columns(
        game_date=pl.date(2023, 1, 1) + pl.duration(days=pl.col("day")),
        event_type=pl.when(is_sub).then(pl.lit("substitution")).otherwise(pl.lit("made_shot")),
        source=pl.lit("v3"), clock_seconds=pl.lit(600.0),
        sub_out_player_id=pl.when(is_sub).then("player_id"),
    ).select(PLAY_BY_PLAY.column_names)
    return _resolved(PLAY_BY_PLAY.cast(frame))


BOTH_PLAYED = [  # an earlier game: both Holidays act for team 100
    ("g1", 1, 1, 1, 100, 1, "Holiday", "Holiday 3PT Jump Shot"),
    ("g1", 1, 1, 2, 100, 2, "Holiday", "Holiday Layup"),
]


def _entering(rows, event_order=None):
    subs = substitutions(_hand_built(rows))
    return subs.filter((pl.col("game_id") == "g2") & pl.col("entering") & (pl.col("event_order") == event_order))["player_id"].to_list()


def test_hand_built_namesake_on_the_floor_is_not_the_one_coming_in():
    game = [("g2", 2, 1, 1, 100, 2, "Holiday", "Holiday Layup"), ("g2", 2, 1, 2, 100, 11, "Okongwu", "SUB: Holiday FOR Okongwu")]
    assert _entering(BOTH_PLAYED + game, 2) == [1]
    assert _entering(BOTH_PLAYED + game[1:], 2) == []  # neither seen: unresolved


def test_hand_built_benched_namesake_acting_next_came_in():
    game = [
        ("g2", 2, 1, 1, 100, 1, "Holiday", "Holiday 3PT Jump Shot"),
        ("g2", 2, 1, 2, 100, 1, "Holiday", "SUB: Murray FOR A. Holiday"),
        ("g2", 2, 1, 3, 100, 12, "Murray", "Murray Layup"),
        ("g2", 2, 1, 4, 100, 12, "Murray", "SUB: Holiday FOR Murray"),
        ("g2", 2, 2, 6, 100, 2, "Holiday", "Holiday Layup"),  # Justin plays too, in another period
        ("g2", 2, 1, 5, 100, 1, "Holiday", "Holiday Dunk"),
    ]
    assert _entering(BOTH_PLAYED + game, 4) == [1]
    assert _entering(BOTH_PLAYED + game[:-1], 4) == []  # no next action: unresolved


def test_hand_built_traded_namesake_is_no_longer_a_teammate():
    traded = [("g1b", 2, 1, 1, 200, 2, "Holiday", "Holiday Layup")]  # Justin for team 200 after g1
    game = [("g2", 3, 1, 1, 100, 11, "Okongwu", "SUB: Holiday FOR Okongwu")]
    assert _entering(BOTH_PLAYED + traded + game, 1) == [1]
    assert _entering(BOTH_PLAYED + game, 1) == []


def test_hand_built_names_fold_case_accents_and_suffixes_within_the_team_only():
    earlier = [
        ("g1", 1, 1, 1, 100, 30, "Foster", "Foster Layup"),
        ("g1", 1, 1, 2, 100, 31, "Vucevic", "Vucevic Hook Shot"),
        ("g1", 1, 1, 3, 200, 32, "Smith", "Smith Layup"),
    ]
    game = [
        ("g2", 2, 1, 1, 100, 11, "Reed", "SUB: Foster Jr. FOR Reed"),
        ("g2", 2, 1, 2, 100, 12, "Niang", "SUB: VUČEVIĆ FOR Niang"),
        ("g2", 2, 1, 3, 100, 13, "Milton", "SUB: Smith III FOR Milton"),  # the only Smith plays for team 200
    ]
    assert [_entering(earlier + game, e) for e in (1, 2, 3)] == [[30], [31], []]


def test_hand_built_namesake_acting_next_is_not_taken_for_one_who_may_have_started_the_period():
    # Justin (2) acts only after "SUB: Holiday FOR Fourteen": he came in then, or he started the
    # period and had not acted yet. Only five other starters rule the second out.
    starters = [("g2", 2, 1, n, 100, 10 + n, f"P{n}", f"P{n} Layup") for n in range(1, 5)]
    fifth = [("g2", 2, 1, 5, 100, 15, "P5", "P5 Layup")]
    game = [
        ("g2", 2, 1, 6, 100, 14, "P4", "SUB: Holiday FOR P4"),
        ("g2", 2, 1, 7, 100, 2, "Holiday", "Holiday Dunk"),
        ("g2", 2, 2, 8, 100, 1, "Holiday", "Holiday Layup"),  # Aaron plays too, in another period
    ]
    assert _entering(BOTH_PLAYED + starters + fifth + game, 6) == [2]
    assert _entering(BOTH_PLAYED + starters + game, 6) == []
