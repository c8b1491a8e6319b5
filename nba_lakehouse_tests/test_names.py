"""The name resolver (silver.names), one tiny hand-built frame per rule.

Each test builds the few V3 rows a rule needs (every other silver column null) and, where the
rule reads it, a box score; the names are resolved the way silver play_by_play resolves them
(``with_v3_secondary_players``), or straight through ``resolve_mentions``. Ids are made up; the
names are real cases of the feed ("Vucevic", "Boston Jr.", "Jones Jr.", "Jal. Williams", ...).
"""

import datetime as dt

import polars as pl

from nba_lakehouse.schemas import BOX_SCORE_PLAYERS, PLAY_BY_PLAY
from nba_lakehouse.silver.names import resolve_mentions
from nba_lakehouse.silver.secondary_players import with_v3_secondary_players

GAME = "0022200001"
HOME, AWAY = 1610612737, 1610612738
SIDES = {HOME: "home", AWAY: "away"}


# ------------------------------------------------------------------------------- frames
def frame(*events: dict) -> pl.DataFrame:
    """Silver V3 play_by_play of ``events`` (dicts of silver columns, ``game_id`` GAME unless
    given), event_order 1, 2, ... per game in the order given; ``location`` follows ``team_id``."""
    base = {**dict.fromkeys(PLAY_BY_PLAY.column_names), "season": "2022-23", "game_date": dt.date(2023, 1, 1),
            "source": "v3", "period": 1, "clock_seconds": 600.0, "description": "", "game_id": GAME}
    rows, orders = [], {}
    for event in events:
        row = {**base, **event}
        orders[row["game_id"]] = orders.get(row["game_id"], 0) + 1
        rows.append({**row, "event_order": orders[row["game_id"]], "source_event_id": orders[row["game_id"]],
                     "location": SIDES.get(row["team_id"])})
    return PLAY_BY_PLAY.enforce(pl.DataFrame(rows, schema=PLAY_BY_PLAY.polars_schema))


def acts(team: int, player: int, name: str, **more) -> dict:
    return {"event_type": "made_shot", "team_id": team, "player_id": player, "player_name": name,
            "description": f"{name} 2' Layup (2 PTS)", **more}


def assisted(team: int, player: int, name: str, assister: str) -> dict:
    return acts(team, player, name, description=f"{name} 2' Layup (2 PTS) ({assister} 1 AST)")


def sub(team: int, out_player: int, out_name: str, in_name: str, **more) -> dict:
    """V3 parses the player going out into player_id and sub_out_player_id; the one coming in is
    only in the text."""
    return {"event_type": "substitution", "team_id": team, "player_id": out_player, "player_name": out_name,
            "sub_out_player_id": out_player, "description": f"SUB: {in_name} FOR {out_name}", **more}


def jump(team: int, player: int, name: str, other: str, tip: str) -> dict:
    return {"event_type": "jump_ball", "team_id": team, "player_id": player, "player_name": name,
            "description": f"Jump Ball {name} vs. {other}: Tip to {tip}"}


def box(*players: tuple) -> pl.DataFrame:
    """Silver box_score_players of GAME: (team_id, player_id, player_name[, played]) tuples."""
    rows = [
        {**dict.fromkeys(BOX_SCORE_PLAYERS.column_names), "season": "2022-23", "game_date": dt.date(2023, 1, 1),
         "game_id": GAME, "team_id": team, "player_id": player, "player_name": name, "starter": False,
         "played": played, "minutes": 20.0 if played else None, "source": "v3"}
        for team, player, name, *rest in players for played in [rest[0] if rest else True]
    ]
    return BOX_SCORE_PLAYERS.enforce(pl.DataFrame(rows, schema=BOX_SCORE_PLAYERS.polars_schema))


def resolved(pbp: pl.DataFrame, box_players: pl.DataFrame | None = None) -> tuple[pl.DataFrame, pl.DataFrame]:
    return with_v3_secondary_players(pbp, BOX_SCORE_PLAYERS.empty() if box_players is None else box_players)


def at(pbp: pl.DataFrame, event_order: int, column: str, game_id: str = GAME):
    return pbp.filter((pl.col("game_id") == game_id) & (pl.col("event_order") == event_order))[column].item()


def incoming(pbp: pl.DataFrame, box_players: pl.DataFrame | None = None) -> list:
    """sub_in_player_id of every substitution row of GAME, in order."""
    out, _ = resolved(pbp, box_players)
    return out.filter((pl.col("game_id") == GAME) & (pl.col("event_type") == "substitution")).sort("event_order")[
        "sub_in_player_id"].to_list()


# Team HOME's Dedmon (90) leaves by every substitution below, so only the incoming name matters.
OUT = (HOME, 90, "Dedmon")


# ------------------------------------------------------------------------------ folding
def test_case_and_accents_fold_away():
    roster = box((HOME, 1, "Nikola Vučević"), (HOME, 90, "Dewayne Dedmon"))
    assert incoming(frame(sub(*OUT, "Vucevic"), sub(*OUT, "VUČEVIĆ")), roster) == [1, 1]
    # Without the folding neither spelling is the box score's.
    assert incoming(frame(sub(*OUT, "Vucevich")), roster) == [None]


def test_a_suffix_the_box_score_omits_is_optional():
    roster = box((HOME, 2, "Brandon Boston"), (HOME, 90, "Dewayne Dedmon"))
    assert incoming(frame(sub(*OUT, "Boston Jr."), sub(*OUT, "Boston")), roster) == [2, 2]


def test_the_suffix_as_spelled_wins_over_a_teammate_without_it():
    # "Jones" is Carlik's name as spelled; "Jones Jr." Derrick's. Neither is ambiguous.
    roster = box((HOME, 3, "Derrick Jones Jr."), (HOME, 4, "Carlik Jones"), (HOME, 90, "Dewayne Dedmon"))
    assert incoming(frame(sub(*OUT, "Jones Jr."), sub(*OUT, "Jones")), roster) == [3, 4]


# ----------------------------------------------------------------------------- initials
def test_an_initial_must_begin_the_first_name():
    roster = box(
        (HOME, 5, "Jalen Green"), (HOME, 6, "Danny Green"),
        (HOME, 7, "Jalen Williams"), (HOME, 8, "Jaylin Williams"), (HOME, 90, "Dewayne Dedmon"),
    )
    pbp = frame(sub(*OUT, "J. Green"), sub(*OUT, "D. Green"), sub(*OUT, "Jal. Williams"), sub(*OUT, "Jay. Williams"))
    assert incoming(pbp, roster) == [5, 6, 7, 8]
    # "J. Williams" fits both Jalen and Jaylin, and nothing in the game tells them apart.
    assert incoming(frame(sub(*OUT, "J. Williams")), roster) == [None]


# -------------------------------------------------------------------- family name only
def test_a_family_name_unique_on_the_team_is_his_whoever_else_has_it():
    # The opponent's Holiday does not make "Holiday" ambiguous: names resolve within the team.
    roster = box((HOME, 11, "Jrue Holiday"), (AWAY, 12, "Aaron Holiday"), (HOME, 90, "Dewayne Dedmon"))
    assert incoming(frame(sub(*OUT, "Holiday"), acts(AWAY, 12, "Holiday")), roster) == [11]
    # The same straight through resolve_mentions, for each team's mention of the name.
    mentions = pl.DataFrame(
        {"game_id": [GAME, GAME], "event_order": [1, 2], "period": [1, 1], "role": ["sub_in", "sub_in"],
         "team_id": [HOME, AWAY], "name": ["Holiday", "Holiday"]},
        schema={"game_id": pl.String, "event_order": pl.Int32, "period": pl.Int16, "role": pl.String,
                "team_id": pl.Int64, "name": pl.String},
    )
    pbp = frame(acts(HOME, 90, "Dedmon"), acts(AWAY, 12, "Holiday"))
    outgoing = pl.DataFrame(schema={"game_id": pl.String, "team_id": pl.Int64, "player_id": pl.Int64, "name": pl.String})
    picked = resolve_mentions(mentions, pbp, roster, outgoing).sort("event_order")
    assert picked.select("event_order", "player_id").rows() == [(1, 11), (2, 12)]


def test_a_box_score_teammate_who_did_not_play_does_not_make_a_name_ambiguous():
    roster = box((HOME, 13, "Jrue Holiday"), (HOME, 14, "Justin Holiday", False), (HOME, 90, "Dewayne Dedmon"))
    assert incoming(frame(sub(*OUT, "Holiday")), roster) == [13]
    # Both played, and the game's rows do not tell: unresolved.
    both = box((HOME, 13, "Jrue Holiday"), (HOME, 14, "Justin Holiday"), (HOME, 90, "Dewayne Dedmon"))
    assert incoming(frame(sub(*OUT, "Holiday")), both) == [None]


def test_without_a_box_score_the_feeds_own_names_are_the_roster():
    # Player 21 acts as "Green"; player 22 only ever leaves, by the name "J. Green".
    pbp = frame(
        acts(HOME, 21, "Green"), sub(HOME, 22, "J. Green", "Dedmon"), acts(HOME, 90, "Dedmon"),
        sub(HOME, 90, "Dedmon", "J. Green"), acts(HOME, 22, "Green"),
    )
    assert incoming(pbp) == [90, 22]


# --------------------------------------------------------- namesakes: the game's own rows
# Team HOME's Aaron (31) and Justin (32) Holiday, both in the box score and both playing.
HOLIDAYS = box((HOME, 31, "Aaron Holiday"), (HOME, 32, "Justin Holiday"), (HOME, 33, "Onyeka Okongwu"),
               (HOME, 90, "Dewayne Dedmon"))


def test_the_namesake_already_on_the_floor_is_not_the_one_coming_in():
    pbp = frame(acts(HOME, 32, "Holiday"), sub(HOME, 33, "Okongwu", "Holiday"), acts(HOME, 31, "Holiday"))
    assert incoming(pbp, HOLIDAYS) == [31]


def test_between_two_benched_namesakes_the_one_off_before_and_on_after_came_in():
    both_leave = [sub(HOME, 31, "A. Holiday", "Dedmon"), sub(HOME, 32, "J. Holiday", "Okongwu")]
    pbp = frame(*both_leave, sub(HOME, 90, "Dedmon", "Holiday"), acts(HOME, 31, "Holiday"))
    assert incoming(pbp, HOLIDAYS)[-1] == 31
    # Neither acting after it: nothing tells them apart, so nobody is guessed.
    silent = frame(*both_leave, sub(HOME, 90, "Dedmon", "Holiday"))
    out, unresolved = resolved(silent, HOLIDAYS)
    assert at(out, 3, "sub_in_player_id") is None
    assert unresolved.rows() == [(GAME, 3, "sub_in", "Holiday")]


def test_an_assist_by_a_name_two_teammates_share_is_the_one_on_the_floor():
    pbp = frame(
        acts(HOME, 31, "Holiday"), sub(HOME, 32, "J. Holiday", "Dedmon"),
        assisted(HOME, 33, "Okongwu", "Holiday"),
    )
    out, unresolved = resolved(pbp, HOLIDAYS)
    assert at(out, 3, "assist_player_id") == 31
    assert unresolved.is_empty()
    # Both on the floor (each has acted): the assist stays unresolved.
    both_on = frame(acts(HOME, 31, "Holiday"), acts(HOME, 32, "Holiday"), assisted(HOME, 33, "Okongwu", "Holiday"))
    out, unresolved = resolved(both_on, HOLIDAYS)
    assert at(out, 3, "assist_player_id") is None
    assert unresolved.rows() == [(GAME, 3, "assist", "Holiday")]


def test_a_tip_to_a_name_both_teams_have_goes_to_the_team_with_the_ball_next():
    # Atlanta's Trae Young (41) and Toronto's Thaddeus Young (42).
    roster = box((HOME, 41, "Trae Young"), (HOME, 43, "Clint Capela"), (AWAY, 42, "Thaddeus Young"),
                 (AWAY, 44, "Jakob Poeltl"), (AWAY, 45, "Pascal Siakam"))
    tip = jump(HOME, 43, "Capela", "Poeltl", "Young")
    to_toronto, _ = resolved(frame(tip, acts(AWAY, 45, "Siakam")), roster)
    to_atlanta, _ = resolved(frame(tip, {**acts(HOME, 43, "Capela"), "event_type": "turnover", "description": "Capela Turnover"},
                                   acts(AWAY, 45, "Siakam")), roster)
    assert at(to_toronto, 1, "jump_ball_possession_player_id") == 42
    assert at(to_atlanta, 1, "jump_ball_possession_player_id") == 41
    # The jumpers: the row's own player on his side, the other one resolved on the other team.
    assert (at(to_toronto, 1, "jump_ball_home_player_id"), at(to_toronto, 1, "jump_ball_away_player_id")) == (43, 44)


# ----------------------------------------------------------------------- never guessed
def test_a_name_no_rule_settles_stays_null_and_is_reported():
    roster = box((HOME, 1, "Nikola Vučević"), (HOME, 90, "Dewayne Dedmon"), (AWAY, 51, "Bam Adebayo"))
    pbp = frame(sub(*OUT, "Adebayo"), sub(*OUT, "Nobody"), assisted(HOME, 1, "Vucevic", "Nobody"))
    out, unresolved = resolved(pbp, roster)
    # Adebayo is the other team's: no teammate of that name, so nobody comes in.
    assert out.sort("event_order")["sub_in_player_id"].to_list() == [None, None, None]
    assert at(out, 3, "assist_player_id") is None
    assert unresolved.sort("event_order").rows() == [
        (GAME, 1, "sub_in", "Adebayo"), (GAME, 2, "sub_in", "Nobody"), (GAME, 3, "assist", "Nobody"),
    ]


def test_the_closest_spelling_does_not_overrule_rows_that_bench_him():
    """"(Jones 1 AST)" is spelled as Carlik Jones is, but he went to the bench and never came
    back; Derrick Jones Jr. is on the floor. The spelling alone must not credit Carlik: the
    assist stays unresolved rather than guessed."""
    players = box((HOME, 11, "Carlik Jones"), (HOME, 12, "Derrick Jones Jr."), (HOME, 13, "Ayo Dosunmu"))
    pbp = frame(
        acts(HOME, 11, "Jones"), acts(HOME, 12, "Jones Jr."),
        sub(HOME, 11, "Jones", "Dosunmu"),
        assisted(HOME, 13, "Dosunmu", "Jones"),
    )
    out, unresolved = resolved(pbp, players)
    assert at(out, 4, "assist_player_id") is None
    assert unresolved["name"].to_list() == ["Jones"]
