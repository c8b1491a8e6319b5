"""Feed repairs: each rule on a real 2022-23 game (as recorded, or a corrupted copy of one where the
season has no such defect) and on a minimal hand-built frame; idempotence; clean games unchanged.

Expectations come from fields the rule does not use or from the recorded actions themselves
(a player's running "(N PTS)" in the text, the other side's score, the uncorrupted recording),
never from the repair's own output.
"""

import copy
import gzip
import json
import re
from pathlib import Path

import polars as pl
import pytest

from nba_lakehouse.schemas import PLAY_BY_PLAY
from nba_lakehouse.silver import audits
from nba_lakehouse.silver.play_by_play import REPAIR_COLUMNS, normalize_v3, v3_actions
from nba_lakehouse.silver.repairs import REPAIR_RULES, game_rule_violations, repair_play_by_play

BULK = Path(__file__).parent / "data" / "bulk_2022_23"
BULK_GAMES = ("0022200193", "0022200466", "0022200494", "0022200781", "0022200994")


def actions_of(game_id: str) -> list[dict]:
    """The recorded action list of a bulk game (file S2223-GNNNN is game 00222NNNNN)."""
    path = BULK / f"S2223-G{int(game_id) - 22200000:04d}.json.gz"
    return json.loads(gzip.decompress(path.read_bytes()))


def silver(actions: list[dict], game_id: str) -> pl.DataFrame:
    return PLAY_BY_PLAY.cast(normalize_v3(v3_actions(actions, game_id)))


def parsed(game_id: str) -> pl.DataFrame:
    return silver(actions_of(game_id), game_id)


def with_action_ids(actions: list[dict], new_ids: dict[int, int]) -> list[dict]:
    """A copy of the actions with some actionIds (the V3 order key) replaced: {old: new}."""
    corrupted = copy.deepcopy(actions)
    for a in corrupted:
        a["actionId"] = new_ids.get(a["actionId"], a["actionId"])
    return corrupted


def row(frame: pl.DataFrame, **where) -> dict:
    rows = frame.filter(*[pl.col(k) == v for k, v in where.items()]).to_dicts()
    assert len(rows) == 1, (where, rows)
    return rows[0]


def rules_of(value: str | None) -> set[str]:
    return set(value.split(",")) if value else set()


def points_in_text(description: str) -> int:
    return int(re.search(r"\((\d+) PTS\)", description).group(1))


def previous_stated(frame: pl.DataFrame, column: str, event_order: int):
    return frame.filter((pl.col("event_order") < event_order) & pl.col(column).is_not_null()).sort("event_order")[column][-1]


# ------------------------------------------------------------------ hand-built frames
def frame(*events: dict, game_id: str = "0029900001") -> pl.DataFrame:
    """A minimal silver frame: a home team 1610612737 and an away team 1610612738."""
    # Every parsed column (not the repair ones, which the rules add) null unless an event says.
    parsed = [c for c in PLAY_BY_PLAY.column_names if c not in ("season", "game_date", *REPAIR_COLUMNS)]
    base = {**dict.fromkeys(parsed), "source": "v3", "period": 1, "clock_seconds": 600.0, "description": ""}
    rows = []
    for order, event in enumerate(events, start=1):
        side = event.pop("side", None)
        team = {"home": 1610612737, "away": 1610612738}.get(side)
        rows.append({**base, "game_id": game_id, "event_order": order, "source_event_id": order,
                     "team_id": team, "location": side, **event})
    return PLAY_BY_PLAY.cast(pl.DataFrame(rows, schema={c: PLAY_BY_PLAY.column_index[c].dtype for c in rows[0]}))


def made(side: str, value: int, home: int, away: int, **more) -> dict:
    kind = "free_throw" if value == 1 else "made_shot"
    return {"event_type": kind, "side": side, "shot_made": True, "shot_value": value, "home_score": home, "away_score": away, **more}


def other(event_type: str, **more) -> dict:
    return {"event_type": event_type, **more}


# ------------------------------------------------------------- same_clock_scoring_order
def test_technical_free_throw_logged_before_the_free_throws_it_follows_is_reordered():
    # 0022200494 Q3 5:30: Doncic's technical free throw (15 PTS) is logged before his 1 of 2
    # (13 PTS) and 2 of 2 (14 PTS): the score goes 70, 68, 69.
    pbp = parsed("0022200494")
    assert "0022200494" in audits.decreasing_scores(pbp)["game_id"].to_list()
    repaired = repair_play_by_play(pbp)
    doncic = repaired.filter(
        (pl.col("event_type") == "free_throw") & (pl.col("player_name") == "Doncic") & (pl.col("clock_seconds") == 330.0)
    ).sort("event_order")
    assert [points_in_text(d) for d in doncic["description"]] == sorted(points_in_text(d) for d in doncic["description"])
    assert doncic["original_event_order"].is_not_null().all()
    assert all("same_clock_scoring_order" in rules_of(r) for r in doncic["repair_rule"])
    assert audits.decreasing_scores(repaired).is_empty()


def test_and_one_free_throw_logged_before_its_basket_is_reordered():
    # Corrupted copy of 0022200494: Wood's and-one free throw (Q2 1:04) given the actionId of
    # the basket it follows, and the basket the free throw's, as the feed sometimes logs them.
    actions = actions_of("0022200494")
    basket = next(a for a in actions if a["description"].startswith("Wood 6' Driving Floating Jump Shot"))
    free_throw = next(a for a in actions if a["description"].startswith("Wood Free Throw 1 of 1 (15 PTS)"))
    corrupted = with_action_ids(actions, {basket["actionId"]: free_throw["actionId"], free_throw["actionId"]: basket["actionId"]})
    pbp = silver(corrupted, "0022200494")
    assert row(pbp, description=free_throw["description"])["event_order"] < row(pbp, description=basket["description"])["event_order"]
    repaired = repair_play_by_play(pbp)
    recorded = parsed("0022200494")
    for description in (basket["description"], free_throw["description"]):
        fixed = row(repaired, description=description)
        assert fixed["event_order"] == row(recorded, description=description)["event_order"]
        assert fixed["original_event_order"] == row(pbp, description=description)["event_order"]
        assert rules_of(fixed["repair_rule"]) == {"same_clock_scoring_order"}


def test_same_clock_scoring_order_minimal():
    pbp = frame(
        made("home", 2, 2, 0, clock_seconds=700.0),
        made("away", 1, 2, 3, clock_seconds=650.0, description="and-one, logged first"),
        other("foul", side="home", clock_seconds=650.0),
        made("away", 2, 2, 2, clock_seconds=650.0, description="basket"),
    )
    repaired = repair_play_by_play(pbp).sort("event_order")
    assert repaired["description"].to_list() == ["", "basket", "", "and-one, logged first"]
    assert repaired["event_type"].to_list() == ["made_shot", "made_shot", "foul", "free_throw"]
    assert repaired["original_event_order"].to_list() == [None, 4, None, 2]
    # A review between two scores of one clock may lower the score: no row crosses it.
    reviewed = frame(
        made("home", 3, 3, 0, clock_seconds=0.0, description="buzzer beater"),
        other("instant_replay", home_score=0, away_score=0, clock_seconds=0.0),
        made("home", 1, 1, 0, clock_seconds=0.0, description="free throw after the review"),
    )
    assert repair_play_by_play(reviewed).sort("event_order")["description"].to_list() == [
        "buzzer beater", "", "free throw after the review",
    ]


# ------------------------------------------------------------- substitution_before_free_throw
def test_substitution_logged_after_the_free_throw_of_the_player_it_brings_in_is_moved_before_it():
    # Corrupted copy of 0022200781 Q1 1:43: "SUB: Ball FOR Rozier" is recorded before Ball's
    # technical free throw; the copy logs it after (actionIds rotated), as the feed sometimes does.
    actions = actions_of("0022200781")
    sub = next(a for a in actions if a["description"] == "SUB: Ball FOR Rozier")
    free_throw = next(a for a in actions if a["description"] == "MISS Ball Free Throw Technical")
    # Everything from the substitution to the free throw moves up one place; the substitution goes last.
    ids = sorted(a["actionId"] for a in actions if sub["actionId"] <= a["actionId"] <= free_throw["actionId"])
    corrupted = with_action_ids(actions, {**dict(zip(ids[1:], ids[:-1], strict=True)), sub["actionId"]: ids[-1]})
    pbp = silver(corrupted, "0022200781")
    assert row(pbp, description=sub["description"])["event_order"] > row(pbp, description=free_throw["description"])["event_order"]
    repaired = repair_play_by_play(pbp)
    fixed_sub = row(repaired, description=sub["description"])
    assert fixed_sub["event_order"] < row(repaired, description=free_throw["description"])["event_order"]
    assert fixed_sub["original_event_order"] == row(pbp, description=sub["description"])["event_order"]
    assert "substitution_before_free_throw" in rules_of(fixed_sub["repair_rule"])


def test_substitution_before_free_throw_minimal():
    pbp = frame(
        other("foul", side="away"),
        made("home", 1, 1, 0, player_name="Smith", description="Smith Free Throw 1 of 1 (1 PTS)"),
        other("substitution", side="home", player_name="Jones", description="SUB: Smith FOR Jones"),
        other("substitution", side="away", player_name="Brown", description="SUB: Smith FOR Brown"),  # other team
    )
    repaired = repair_play_by_play(pbp).sort("event_order")
    assert repaired["description"].to_list() == [
        "", "SUB: Smith FOR Jones", "Smith Free Throw 1 of 1 (1 PTS)", "SUB: Smith FOR Brown",
    ]
    # Rows moved by both reorderings keep the place the feed gave them and name both rules.
    twice = frame(
        other("foul", side="away"),
        made("home", 1, 2, 0, player_name="Smith", description="2 of 2"),
        made("home", 1, 1, 0, player_name="Smith", description="1 of 2"),
        other("substitution", side="home", player_name="Jones", description="SUB: Smith FOR Jones"),
    )
    repaired = repair_play_by_play(twice).sort("event_order")
    assert repaired["description"].to_list() == ["", "SUB: Smith FOR Jones", "1 of 2", "2 of 2"]
    assert repaired["original_event_order"].to_list() == [None, 4, 3, 2]
    assert repaired["repair_rule"].to_list()[2:] == ["same_clock_scoring_order,substitution_before_free_throw"] * 2


def test_substitution_before_free_throw_reads_names_the_way_the_resolver_folds_them():
    """V3 spells the shooter's playerName with its accents and the SUB text without them."""
    pbp = frame(
        other("foul", side="away"),
        made("home", 1, 1, 0, player_name="Vučević", description="Vucevic Free Throw 1 of 1 (1 PTS)"),
        other("substitution", side="home", player_name="Jones", description="SUB: Vucevic FOR Jones"),
    )
    repaired = repair_play_by_play(pbp).sort("event_order")
    assert repaired["description"].to_list() == ["", "SUB: Vucevic FOR Jones", "Vucevic Free Throw 1 of 1 (1 PTS)"]
    # An initial names one of several players of that family name: not the shooter "Williams".
    initialed = frame(
        other("foul", side="away"),
        made("home", 1, 1, 0, player_name="Williams", description="K. Williams Free Throw 1 of 1 (1 PTS)"),
        other("substitution", side="home", player_name="Giddey", description="SUB: Jal. Williams FOR Giddey"),
    )
    assert repair_play_by_play(initialed)["repair_rule"].is_null().all()


# --------------------------------------------------------------------- isolated_score_drop
def test_stale_score_on_the_other_sides_basket_is_carried_forward():
    # 0022200193 Q3 11:47: Love's 3 (home) states the away score as 68 where the away side
    # had 69 and scores nothing on that row.
    pbp = parsed("0022200193")
    love = row(pbp, description="Love 27' 3PT Pullup Jump Shot (10 PTS) (Garland 3 AST)")
    assert love["location"] == "home"
    away_before = previous_stated(pbp, "away_score", love["event_order"])
    assert love["away_score"] < away_before
    fixed = row(repair_play_by_play(pbp), source_event_id=love["source_event_id"])
    assert fixed["away_score"] == away_before
    assert fixed["original_away_score"] == love["away_score"]
    assert fixed["home_score"] == love["home_score"] and fixed["original_home_score"] is None
    assert "isolated_score_drop" in rules_of(fixed["repair_rule"])


def test_isolated_score_drop_minimal():
    pbp = frame(
        made("home", 2, 2, 0),
        other("instant_replay", home_score=0, away_score=0, description="stale"),
        made("away", 3, 2, 3),
        made("home", 2, 4, 3),
        other("instant_replay", home_score=2, away_score=3, description="review takes 2 off"),
        made("home", 3, 5, 3),
    )
    repaired = repair_play_by_play(pbp)
    stale = row(repaired, description="stale")
    assert (stale["home_score"], stale["away_score"], stale["original_home_score"]) == (2, 0, 0)
    assert stale["repair_rule"] == "isolated_score_drop"
    # The game goes on from the lowered score: a correction, not a glitch.
    assert row(repaired, description="review takes 2 off")["home_score"] == 2


# --------------------------------------------------------------------- isolated_score_jump
def test_score_stamped_with_the_next_basket_is_set_back():
    # 0022200193 Q3 12:00: Prince's (away) technical free throw states home 53, three points
    # that only Love's 3 (the next home score) adds.
    pbp = parsed("0022200193")
    prince = row(pbp, description="Prince Free Throw Technical (10 PTS)")
    assert prince["location"] == "away"
    home_before = previous_stated(pbp, "home_score", prince["event_order"])
    assert prince["home_score"] > home_before
    fixed = row(repair_play_by_play(pbp), source_event_id=prince["source_event_id"])
    assert (fixed["home_score"], fixed["original_home_score"]) == (home_before, prince["home_score"])
    assert fixed["away_score"] == prince["away_score"]
    assert "isolated_score_jump" in rules_of(fixed["repair_rule"])


def test_instant_replay_row_stamped_with_the_free_throw_after_it_is_set_back():
    # 0022200994 Q2 3:21: the replay row already has Markkanen's free throw in it (50-50); the
    # free throw itself then looks like it scored nothing.
    pbp = parsed("0022200994")
    free_throw = row(pbp, description="Markkanen Free Throw 1 of 1 (13 PTS)")
    replays_before = pbp.filter((pl.col("event_type") == "instant_replay") & (pl.col("event_order") < free_throw["event_order"]))
    replay = replays_before.sort("event_order").row(-1, named=True)
    side = f"{free_throw['location']}_score"
    before = previous_stated(pbp, side, replay["event_order"])
    assert replay[side] == free_throw[side] == before + 1
    repaired = repair_play_by_play(pbp)
    fixed = row(repaired, event_order=replay["event_order"])
    assert (fixed[side], fixed[f"original_{side}"], fixed["repair_rule"]) == (before, replay[side], "isolated_score_jump")
    # The free throw, the text says made, is left made: its score now goes up.
    assert row(repaired, description=free_throw["description"])["shot_made"] is True


def test_isolated_score_jump_minimal():
    pbp = frame(
        made("home", 2, 2, 0),
        other("instant_replay", home_score=4, away_score=0, description="spike"),
        made("home", 2, 4, 0),
        other("period_end", home_score=9, away_score=0, description="sustained: no row explains it"),
    )
    repaired = repair_play_by_play(pbp)
    spike = row(repaired, description="spike")
    assert (spike["home_score"], spike["original_home_score"], spike["repair_rule"]) == (2, 4, "isolated_score_jump")
    sustained = row(repaired, description="sustained: no row explains it")
    assert sustained["home_score"] == 9 and sustained["repair_rule"] is None
    assert game_rule_violations(repaired)["rule"].to_list() == ["final_score_matches_scoring_events"]


# ------------------------------------------------------------------ free_throw_made_by_score
def test_free_throw_without_miss_in_its_text_but_no_score_is_missed():
    # Corrupted copy of 0022200994: "MISS " dropped from a recorded missed free throw's text.
    actions = actions_of("0022200994")
    missed = next(a for a in actions if a["description"] == "MISS Anthony Free Throw 1 of 1")
    corrupted = copy.deepcopy(actions)
    next(a for a in corrupted if a["actionId"] == missed["actionId"])["description"] = "Anthony Free Throw 1 of 1"
    pbp = silver(corrupted, "0022200994")
    as_parsed = row(pbp, source_event_id=missed["actionId"])
    assert as_parsed["shot_made"] is True
    assert missed["scoreHome"] == missed["scoreAway"] == ""  # the score fields: nothing scored
    fixed = row(repair_play_by_play(pbp), source_event_id=missed["actionId"])
    assert (fixed["shot_made"], fixed["original_shot_made"], fixed["repair_rule"]) == (False, True, "free_throw_made_by_score")


def test_free_throw_made_by_score_minimal():
    pbp = frame(
        made("home", 1, 1, 0, description="scored"),
        made("home", 1, 1, 0, description="same score"),
        made("away", 1, None, None, description="no score"),
        made("away", 1, 1, 1, description="scored too"),
    )
    repaired = repair_play_by_play(pbp)
    assert repaired.sort("event_order")["shot_made"].to_list() == [True, False, False, True]
    assert repaired.sort("event_order")["original_shot_made"].to_list() == [None, True, True, None]


# ------------------------------------------------------------------- instant_replay_overturn
def test_review_that_takes_a_buzzer_beater_off_overturns_the_shot():
    # Corrupted copy of 0022200994: the review after F. Wagner's 3 at the end of Q1 (recorded
    # as upheld) instead takes it off: the replay row and every later home score drop by 3
    # while the shot stays "Made Shot", as the feed leaves overturned baskets.
    actions = actions_of("0022200994")
    shot = next(a for a in actions if a["description"].startswith("F. Wagner 26' 3PT Jump Shot (12 PTS)"))
    replay = next(a for a in actions if a["actionId"] > shot["actionId"] and a["actionType"] == "Instant Replay")
    corrupted = copy.deepcopy(actions)
    for a in corrupted:
        if a["actionId"] >= replay["actionId"] and a["scoreHome"]:
            a["scoreHome"] = str(int(a["scoreHome"]) - 3)
    pbp = silver(corrupted, "0022200994")
    assert "final_score_matches_scoring_events" in game_rule_violations(pbp)["rule"].to_list()
    repaired = repair_play_by_play(pbp)
    fixed = row(repaired, source_event_id=shot["actionId"])
    assert (fixed["shot_made"], fixed["original_shot_made"], fixed["repair_rule"]) == (False, True, "instant_replay_overturn")
    assert game_rule_violations(repaired).is_empty()
    # Nothing else was taken off.
    assert repaired.filter(pl.col("repair_rule") == "instant_replay_overturn").height == 1


def test_instant_replay_overturn_minimal():
    pbp = frame(
        made("home", 2, 2, 0, clock_seconds=700.0),
        made("home", 3, 5, 0, clock_seconds=650.0, description="taken off"),
        other("instant_replay", home_score=2, away_score=0, clock_seconds=640.0),
        made("away", 2, 2, 2, clock_seconds=600.0),
        made("away", 3, 2, 5, clock_seconds=550.0, description="not taken off: the drop is 1"),
        other("instant_replay", home_score=2, away_score=4, clock_seconds=540.0),
        made("away", 1, 2, 5, clock_seconds=540.0),
    )
    repaired = repair_play_by_play(pbp)
    assert row(repaired, description="taken off")["shot_made"] is False
    assert row(repaired, description="not taken off: the drop is 1")["shot_made"] is True


# ----------------------------------------------------------------- whole frames and games
@pytest.fixture(scope="module")
def bulk_pbp() -> pl.DataFrame:
    return pl.concat([parsed(game_id) for game_id in BULK_GAMES])


def test_repairing_a_repaired_frame_changes_nothing(bulk_pbp):
    once = repair_play_by_play(bulk_pbp)
    assert once.filter(pl.col("repair_rule").is_not_null()).height > 0
    assert repair_play_by_play(once).equals(once)


def test_every_repaired_row_names_a_known_rule_and_unrepaired_rows_keep_no_originals(bulk_pbp):
    repaired = repair_play_by_play(bulk_pbp)
    named = repaired.filter(pl.col("repair_rule").is_not_null())
    assert set(named["repair_rule"].str.split(",").explode()) <= set(REPAIR_RULES)
    originals = ["original_event_order", "original_home_score", "original_away_score", "original_shot_made"]
    untouched = repaired.filter(pl.col("repair_rule").is_null())
    assert untouched.select(pl.col(originals).null_count()).row(0) == (untouched.height,) * 4
    assert named.select(pl.any_horizontal(pl.col(originals).is_not_null()).all()).item()
    assert repaired.height == bulk_pbp.height
    assert repaired.group_by("game_id").agg(ok=pl.col("event_order").sort().eq(pl.int_range(1, pl.len() + 1)).all())["ok"].all()


def test_clean_sample_games_come_out_unchanged(sample_frames):
    # V2, V3 and CDN recordings, with their partition columns.
    pbp = sample_frames["play_by_play"]
    assert set(pbp["source"]) == {"v2", "v3", "cdn"}
    assert repair_play_by_play(pbp).equals(pbp)
    assert game_rule_violations(pbp).is_empty()


def test_frame_without_repair_columns_gets_them():
    pbp = frame(made("home", 2, 2, 0))
    assert "repair_rule" not in pbp.columns
    assert repair_play_by_play(pbp).columns == [c for c in PLAY_BY_PLAY.column_names if c not in ("season", "game_date")]


def _first_decrease(actions: list[dict]) -> tuple[int, str] | None:
    """The recorded actions, read plainly: the first score below the one before it, outside replays."""
    home = away = None
    for a in sorted(actions, key=lambda a: a["actionId"]):
        if not a["scoreHome"]:
            continue
        h, w = int(a["scoreHome"]), int(a["scoreAway"])
        if home is not None and (h < home or w < away) and a["actionType"] != "Instant Replay":
            return a["actionId"], f"{home}-{away} -> {h}-{w}"
        home, away = h, w
    return None


def test_game_rules_before_and_after_repairs(bulk_pbp):
    before = game_rule_violations(bulk_pbp)
    after = game_rule_violations(repair_play_by_play(bulk_pbp))
    for game_id in BULK_GAMES:
        decrease = _first_decrease(actions_of(game_id))
        decreasing = before.filter((pl.col("game_id") == game_id) & (pl.col("rule") == "scores_never_decrease"))
        assert decreasing.height == (decrease is not None)
        if decrease:
            assert decrease[1] in decreasing["detail"].item()
    # 0022200466's Q4 restarts from 1-0 (a corrupted stretch no rule may paper over); the rest pass.
    assert after["game_id"].unique().to_list() == ["0022200466"]
    assert after.filter(pl.col("rule") == "scores_never_decrease")["detail"].item().startswith("Q4 ")


def test_game_rule_violations_name_each_rule():
    clean = frame(made("home", 2, 2, 0), made("away", 3, 2, 3))
    assert game_rule_violations(clean).is_empty()
    broken = pl.concat([
        frame(made("home", 2, 2, 0), made("away", 3, 2, 3), made("home", 2, 1, 3), game_id="0029900002"),
        frame(made("home", 2, 2, 0), made("home", 3, 5, 0, shot_made=False), game_id="0029900003"),
        frame(made("home", 2, 2, 0), made("away", 3, 2, 3), game_id="0029900004").with_columns(event_order=pl.lit(1, pl.Int32)),
        frame(made("home", 2, 2, 0, period=5, clock_seconds=400.0), game_id="0029900005"),
    ])
    found = dict(zip(zip(*game_rule_violations(broken).select("game_id", "rule"), strict=True), game_rule_violations(broken)["detail"], strict=True))
    assert found[("0029900002", "scores_never_decrease")] == "Q1 10:00: 2-3 -> 1-3 at event 3"
    assert found[("0029900003", "final_score_matches_scoring_events")] == "stated 5-0, scoring events add up to 2-0"
    assert ("0029900004", "event_keys_unique") in found
    assert found[("0029900005", "clock_within_period")] == "OT1 6:40 at event 1"
