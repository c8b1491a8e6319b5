"""Secondary players in silver play_by_play, checked against fields the feeds fill independently:
the box score's AST, STL and BLK, and the CDN's own assistPersonId."""

import copy
import datetime as dt
import re

import polars as pl
import pytest

from nba_lakehouse.gold.event_state import build_event_state
from nba_lakehouse.gold.possessions import build_possessions
from nba_lakehouse.schemas import BOX_SCORE_PLAYERS
from nba_lakehouse.silver.audits import SECONDARY_STATS, secondary_stats_vs_box_score
from nba_lakehouse.silver.play_by_play import SECONDARY_COLUMNS
from nba_lakehouse.silver.repairs import publishable_play_by_play
from nba_lakehouse.silver.secondary_players import resolve_description_players
from nba_lakehouse_tests.conftest import SAMPLE_GAMES, game_dates, load_recorded

CDN_GAME, V3_GAME = "0022000001", "0022200552"


@pytest.mark.parametrize("game_id", sorted(SAMPLE_GAMES))
def test_assists_steals_and_blocks_from_the_play_by_play_equal_the_box_score(sample_frames, game_id):
    pbp = sample_frames["play_by_play"].filter(pl.col("game_id") == game_id)
    box = sample_frames["box_score_players"].filter(pl.col("game_id") == game_id)
    assert secondary_stats_vs_box_score(pbp, box).is_empty()
    # Every statistic is credited somewhere in the game, so the comparison is not of zeros.
    for stat, column in SECONDARY_STATS.items():
        assert pbp[column].is_not_null().sum() == box[stat].sum() > 0


def test_every_feed_fills_the_secondary_players_it_has(sample_frames):
    pbp = sample_frames["play_by_play"]
    filled = pbp.group_by("source").agg(pl.col(c).is_not_null().sum() for c in SECONDARY_COLUMNS)
    by_feed = {row["source"]: row for row in filled.iter_rows(named=True)}
    for feed in ("v2", "v3", "cdn"):
        missing = [c for c in SECONDARY_COLUMNS if by_feed[feed][c] == 0 and not (feed == "v3" and c == "foul_drawn_player_id")]
        assert missing == [], feed
    # V3 names the fouled player nowhere (the parentheses of a foul hold the official).
    assert by_feed["v3"]["foul_drawn_player_id"] == 0
    subs = pbp.filter(pl.col("event_type") == "substitution")
    # V2 and V3 rows carry both players; the CDN writes one row per player.
    both = subs.filter(pl.col("source") != "cdn")
    assert both["sub_in_player_id"].is_not_null().all() and both["sub_out_player_id"].is_not_null().all()
    cdn = subs.filter(pl.col("source") == "cdn")
    assert (cdn["sub_in_player_id"].is_null() != cdn["sub_out_player_id"].is_null()).all()


@pytest.mark.parametrize("with_box_score", [True, False], ids=["box score roster", "feed's own names"])
def test_the_v3_reading_of_cdn_descriptions_finds_the_feeds_own_assist_ids(sample_frames, with_box_score):
    """The CDN writes "(K. Durant 1 AST)" and also assistPersonId: reading the text the way V3 is
    read must give the feed's id on every assisted basket."""
    pbp = sample_frames["play_by_play"].filter(pl.col("game_id") == CDN_GAME)
    box = sample_frames["box_score_players"].filter(pl.col("game_id") == CDN_GAME)
    resolved, unresolved = resolve_description_players(pbp, box if with_box_score else BOX_SCORE_PLAYERS.empty())
    assists = resolved.filter(pl.col("role") == "assist").select("event_order", read="player_id")
    fed = pbp.filter(pl.col("assist_player_id").is_not_null()).select("event_order", "assist_player_id")
    compared = fed.join(assists, on="event_order", how="full", coalesce=True)
    assert compared.height == fed.height > 40
    assert (compared["read"] == compared["assist_player_id"]).all()
    assert unresolved.filter(pl.col("role") == "assist").is_empty()


def _v3_responses_with(description_change) -> tuple[list, dict]:
    """The real V3 recording with every description passed through ``description_change``, as
    publishable_play_by_play's (responses, game_dates)."""
    payload = copy.deepcopy(load_recorded(SAMPLE_GAMES[V3_GAME][1]))
    for action in payload["game"]["actions"]:
        action["description"] = description_change(action["description"])
    dates = {V3_GAME: game_dates()[V3_GAME]}
    return [(payload, "v3", V3_GAME)], dates


def test_an_assist_credited_to_the_wrong_teammate_fails_the_box_score_comparison(sample_frames):
    """The real V3 game with one "(Love 1 AST)" rewritten as "(Osman 1 AST)": Love is one assist
    short of his box score and Osman one over; nothing else differs."""
    first = {"done": False}

    def reassign(text: str) -> str:
        if not first["done"] and "(Love 1 AST)" in text:
            first["done"] = True
            return text.replace("(Love 1 AST)", "(Osman 1 AST)")
        return text

    responses, dates = _v3_responses_with(reassign)
    box = sample_frames["box_score_players"].filter(pl.col("game_id") == V3_GAME)
    pbp, held_back, flagged = publishable_play_by_play(responses, dates, box)
    assert first["done"] and held_back.is_empty() and flagged.is_empty()
    differ = secondary_stats_vs_box_score(pbp, box)
    names = dict(box.select("player_id", "player_name").iter_rows())
    assert {(names[r["player_id"]], r["play_by_play"] - r["box_score"]) for r in differ.iter_rows(named=True)} == {
        ("Kevin Love", -1), ("Cedi Osman", 1)
    }


def test_a_name_no_roster_knows_is_reported_and_left_null(sample_frames):
    """The real V3 game with every "(Mitchell N AST)" rewritten with a name nobody on either team
    has: those assists stay null and the game is flagged, not held back."""
    responses, dates = _v3_responses_with(lambda text: re.sub(r"\(Mitchell (\d+) AST\)", r"(Nobody \1 AST)", text))
    box = sample_frames["box_score_players"].filter(pl.col("game_id") == V3_GAME)
    mitchell = box.filter(pl.col("player_name") == "Donovan Mitchell").row(0, named=True)
    pbp, held_back, flagged = publishable_play_by_play(responses, dates, box)
    assert held_back.is_empty()
    assert flagged["rule"].to_list() == ["unresolved_player_names"]
    assert f"{mitchell['assists']} player names" in flagged["detail"][0]
    assert pbp.filter(pl.col("assist_player_id") == mitchell["player_id"]).is_empty()


def _last_made_free_throws(pbp: pl.DataFrame) -> pl.DataFrame:
    """Made last free throws of a trip, technicals and flagrants excluded (from the description)."""
    text = pl.col("description").fill_null("")
    trip = text.str.extract_groups(r"Free Throw (\d) of (\d)")
    return pbp.filter(
        (pl.col("event_type") == "free_throw") & pl.col("shot_made")
        & (trip.struct.field("1") == trip.struct.field("2")) & ~text.str.contains("(?i)technical|flagrant|clear path")
    )


def test_v2_possession_changes_after_a_made_last_free_throw(sample_frames):
    """After a made last free throw the other team has the ball from the next event on. V2's
    free-throw subtypes are codes (11, 12, ...): the rule must read the trip from the description
    (an earlier event_state regex on the subtype never did, and kept the shooter's side)."""
    pbp = sample_frames["play_by_play"].filter(pl.col("source") == "v2")
    state = build_event_state(pbp, sample_frames["games"])
    sides = state.select("game_id", "event_order", "period", "event_type", "possession_side")
    shooting = (
        _last_made_free_throws(pbp).select("game_id", "event_order")
        .join(sides, on=["game_id", "event_order"]).select("game_id", "period", "event_order", shooter="possession_side")
    )
    assert shooting.height > 30 and shooting["shooter"].is_not_null().all()
    # The very next event, whatever it is (a substitution, a timeout, a foul, the inbound's shot).
    next_event = sides.select("game_id", "period", "event_order", next_side="possession_side")
    after = shooting.sort("event_order").join_asof(
        next_event.sort("event_order"), on="event_order", by=["game_id", "period"], strategy="forward",
        allow_exact_matches=False, check_sortedness=False,  # both sorted just above (polars cannot check it per group)
    ).drop_nulls("next_side")
    assert after.height > 30
    assert (after["next_side"] != after["shooter"]).all()


def test_v2_and_v3_possession_side_is_the_offense_of_gold_possessions(sample_frames):
    pbp = sample_frames["play_by_play"].filter(pl.col("source") != "cdn")
    possessions = build_possessions(pbp, sample_frames["games"])
    state = build_event_state(pbp, sample_frames["games"], possessions)
    assert state["possession_side"].is_not_null().mean() > 0.99
    plays = state.filter(pl.col("event_type") != "rebound")
    assert (plays["possession_side"] == plays["offense_side"]).all()
    # A rebound is the rebounding team's ball, as the CDN states it.
    rebounds = state.filter((pl.col("event_type") == "rebound") & pl.col("team_id").is_not_null()).join(
        sample_frames["games"].select("game_id", "home_team_id"), on="game_id"
    )
    assert rebounds.height > 100
    assert (rebounds["possession_side"] == (rebounds["team_id"] != rebounds["home_team_id"]).cast(pl.Int8)).all()


def test_cdn_wall_clock_qualifiers_and_shot_coordinates_are_kept(sample_frames):
    raw = {a["actionNumber"]: a for a in load_recorded(SAMPLE_GAMES[CDN_GAME][1])["game"]["actions"]}
    pbp = sample_frames["play_by_play"].filter(pl.col("game_id") == CDN_GAME)
    shots = 0
    for row in pbp.iter_rows(named=True):
        action = raw[row["source_event_id"]]
        assert row["time_actual"] == dt.datetime.fromisoformat(action["timeActual"])
        assert row["qualifiers"] == action["qualifiers"]
        if action["actionType"] in ("2pt", "3pt"):
            shots += 1
            assert (row["shot_x"], row["shot_y"], row["shot_distance"]) == (
                action["xLegacy"], action["yLegacy"], action["shotDistance"]
            )
    assert shots > 100
    assert pbp.filter(pl.col("qualifiers").list.contains("fastbreak")).height > 0


def test_v3_shot_coordinates_are_kept(sample_frames):
    raw = {a["actionId"]: a for a in load_recorded(SAMPLE_GAMES[V3_GAME][1])["game"]["actions"]}
    shots = sample_frames["play_by_play"].filter(
        (pl.col("game_id") == V3_GAME) & pl.col("event_type").is_in(["made_shot", "missed_shot"])
    )
    assert shots.height > 100
    for row in shots.iter_rows(named=True):
        action = raw[row["source_event_id"]]
        assert (row["shot_x"], row["shot_y"], row["shot_distance"]) == (action["xLegacy"], action["yLegacy"], action["shotDistance"])
