"""Play-by-play from the V2, V3 and CDN feeds into one silver schema.

Every function here works on whole frames (many games at once); nothing loops over events.
The raw-frame builders pick the needed fields from the raw JSON; the ``normalize_*`` functions
map a raw frame to ``schemas.PLAY_BY_PLAY`` (without the partition columns, which the asset adds).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import polars as pl

from nba_lakehouse import game_issues
from nba_lakehouse.frames import Frame, with_values_per_distinct
from nba_lakehouse.schemas import PLAY_BY_PLAY
from nba_lakehouse.sources.errors import NBASourceError
from nba_lakehouse.sources.payloads import Body, records_frame, result_set

# NBA team ids are 1610612737..1610612766; the feeds put a team id in the person field for
# team rebounds, team turnovers and timeouts.
TEAM_ID_MIN, TEAM_ID_MAX = 1610612737, 1610612766

# The G League awards one free throw worth the shot's value, written "Free Throw 2PT" (or 3PT,
# 1PT) where the NBA writes "Free Throw 1 of 2".
ONE_SHOT_FREE_THROW = r"(?i)free throw ([123])pt"


def free_throw_value(text: pl.Expr) -> pl.Expr:
    """Points a made free throw is worth, from its sub type and description: the shot's value for
    a G League one-shot free throw, else 1."""
    return text.str.extract(ONE_SHOT_FREE_THROW, 1).cast(pl.Int8).fill_null(1)

V2_EVENT_TYPES = {
    1: "made_shot", 2: "missed_shot", 3: "free_throw", 4: "rebound", 5: "turnover", 6: "foul",
    7: "violation", 8: "substitution", 9: "timeout", 10: "jump_ball", 11: "ejection",
    12: "period_start", 13: "period_end", 18: "instant_replay",
}
V3_EVENT_TYPES = {
    "Made Shot": "made_shot", "Missed Shot": "missed_shot", "Free Throw": "free_throw",
    "Rebound": "rebound", "Turnover": "turnover", "Foul": "foul", "Violation": "violation",
    "Substitution": "substitution", "Timeout": "timeout", "Jump Ball": "jump_ball",
    "Ejection": "ejection", "Instant Replay": "instant_replay",
}
CDN_EVENT_TYPES = {
    "freethrow": "free_throw", "rebound": "rebound", "turnover": "turnover", "steal": "steal",
    "block": "block", "foul": "foul", "violation": "violation", "substitution": "substitution",
    "timeout": "timeout", "jumpball": "jump_ball", "ejection": "ejection", "stoppage": "stoppage",
    "instantreplay": "instant_replay", "memo": "memo",
}

V3_RAW_SCHEMA = pl.Schema({
    "actionId": pl.Int64, "actionNumber": pl.Int64, "clock": pl.String, "period": pl.Int64,
    "teamId": pl.Int64, "teamTricode": pl.String, "personId": pl.Int64, "playerName": pl.String,
    "shotResult": pl.String, "isFieldGoal": pl.Int64, "scoreHome": pl.String, "scoreAway": pl.String,
    "location": pl.String, "description": pl.String, "actionType": pl.String, "subType": pl.String,
    "shotValue": pl.Int64, "xLegacy": pl.Int64, "yLegacy": pl.Int64, "shotDistance": pl.Float64,
})
CDN_RAW_SCHEMA: dict[str, Any] = {
    "actionNumber": pl.Int64, "orderNumber": pl.Int64, "clock": pl.String, "period": pl.Int64,
    "teamId": pl.Int64, "teamTricode": pl.String, "personId": pl.Int64, "playerName": pl.String,
    "actionType": pl.String, "subType": pl.String, "shotResult": pl.String,
    "scoreHome": pl.String, "scoreAway": pl.String, "possession": pl.Int64, "description": pl.String,
    "assistPersonId": pl.Int64, "foulDrawnPersonId": pl.Int64, "stealPersonId": pl.Int64, "blockPersonId": pl.Int64,
    # The feed spells "Recoverd".
    "jumpBallWonPersonId": pl.Int64, "jumpBallLostPersonId": pl.Int64, "jumpBallRecoverdPersonId": pl.Int64,
    "timeActual": pl.String, "qualifiers": pl.List(pl.String),
    "xLegacy": pl.Int64, "yLegacy": pl.Int64, "shotDistance": pl.Float64,
}
V2_RAW_SCHEMA = {
    "GAME_ID": pl.String, "EVENTNUM": pl.Int64, "EVENTMSGTYPE": pl.Int64, "EVENTMSGACTIONTYPE": pl.Int64,
    "PERIOD": pl.Int64, "PCTIMESTRING": pl.String, "HOMEDESCRIPTION": pl.String,
    "NEUTRALDESCRIPTION": pl.String, "VISITORDESCRIPTION": pl.String, "SCORE": pl.String,
    "PERSON1TYPE": pl.Int64, "PLAYER1_ID": pl.Int64, "PLAYER1_NAME": pl.String,
    "PLAYER1_TEAM_ID": pl.Int64, "PLAYER1_TEAM_ABBREVIATION": pl.String,
    "PERSON2TYPE": pl.Int64, "PLAYER2_ID": pl.Int64, "PERSON3TYPE": pl.Int64, "PLAYER3_ID": pl.Int64,
}


# --------------------------------------------------------------------------- raw frames
def v3_actions(actions: list[dict], game_id: str) -> pl.DataFrame:
    """PlayByPlayV3 ``game.actions`` (or a bulk file's bare action list) as a raw frame."""
    return pl.from_dicts(actions, schema=V3_RAW_SCHEMA).with_columns(game_id=pl.lit(game_id))


def cdn_actions(actions: list[dict], game_id: str) -> pl.DataFrame:
    return pl.from_dicts(actions, schema=CDN_RAW_SCHEMA).with_columns(game_id=pl.lit(game_id))


def _actions_of(schema: Any, actions):
    """A raw-frame builder of ``game.actions`` that reads an undecoded ``Body`` with polars where
    it can (``payloads.records_frame``) and decodes it as ``load_payload`` does where it cannot."""
    def build(payload: dict | Body, game_id: str) -> pl.DataFrame:
        if isinstance(payload, Body):
            frame = records_frame(payload.body, schema, ("game", "actions"))
            if frame is not None:
                return frame.with_columns(game_id=pl.lit(game_id))
            payload = payload.payload()
        return actions(payload["game"]["actions"], game_id)
    return build


def v2_events(payload: dict) -> pl.DataFrame:
    frame = result_set(payload, "PlayByPlay")
    return frame.select(pl.col(c).cast(t, strict=False) if c in frame.columns else pl.lit(None, t).alias(c)
                        for c, t in V2_RAW_SCHEMA.items()).with_row_index("row_order")


# ------------------------------------------------------------------------ shared pieces
def _iso_clock_seconds(clock: pl.Expr) -> pl.Expr:
    """``PT11M42.50S`` -> 702.5"""
    minutes = clock.str.extract(r"PT(\d+)M", 1).cast(pl.Float64)
    seconds = clock.str.extract(r"M([\d.]+)S", 1).cast(pl.Float64)
    return (minutes * 60 + seconds).fill_null(0.0)


def _mmss_seconds(clock: pl.Expr) -> pl.Expr:
    """``11:42`` (or ``0:42.5``) -> seconds"""
    parts = clock.str.split_exact(":", 1)
    return (parts.struct.field("field_0").cast(pl.Float64) * 60
            + parts.struct.field("field_1").cast(pl.Float64)).fill_null(0.0)


def _is_team_id(value: pl.Expr) -> pl.Expr:
    return value.is_between(TEAM_ID_MIN, TEAM_ID_MAX)


def _score(text: pl.Expr) -> pl.Expr:
    return pl.when(text.str.strip_chars() == "").then(None).otherwise(text).cast(pl.Int32, strict=False)


def _finish(frame: Frame, order_by: str) -> Frame:
    """Sort by game and the feed's order key and number events 1..n within each game."""
    frame = frame.sort(["game_id", order_by], maintain_order=True)
    return frame.with_columns(event_order=pl.int_range(1, pl.len() + 1, dtype=pl.Int32).over("game_id"))


# Filled by ``silver.repairs.repair_play_by_play``; a parsed row is as the feed gave it.
REPAIR_COLUMNS = {
    "repair_rule": pl.String, "original_event_order": pl.Int32, "original_home_score": pl.Int32,
    "original_away_score": pl.Int32, "original_shot_made": pl.Boolean,
}


def _unrepaired() -> list[pl.Expr]:
    return [pl.lit(None, dtype).alias(name) for name, dtype in REPAIR_COLUMNS.items()]


# Players other than the acting one, by role. The CDN and V2 give ids; V3 gives steals and blocks
# as rows of their own (paired here) and the rest only in the description, resolved by
# ``silver.secondary_players`` once the game's rosters are known.
SECONDARY_COLUMNS = (
    "assist_player_id", "steal_player_id", "block_player_id", "foul_drawn_player_id",
    "jump_ball_home_player_id", "jump_ball_away_player_id", "jump_ball_possession_player_id",
    "sub_in_player_id", "sub_out_player_id",
)


def _secondary(**given: pl.Expr) -> list[pl.Expr]:
    """Every secondary-player column: the given expressions, null for the rest."""
    unknown = set(given) - set(SECONDARY_COLUMNS)
    if unknown:
        raise ValueError(f"not secondary-player columns: {sorted(unknown)}")
    return [given.get(name, pl.lit(None, pl.Int64)).alias(name) for name in SECONDARY_COLUMNS]


def _person(value: pl.Expr) -> pl.Expr:
    """A player id, or null where the feed puts 0 or a team id."""
    return pl.when((value > 0) & ~_is_team_id(value)).then(value)


def _shot_location(is_fg: pl.Expr) -> list[pl.Expr]:
    """Legacy shot-chart coordinates and distance on field goal rows (V3 and CDN)."""
    return [
        pl.when(is_fg).then(pl.col("xLegacy")).alias("shot_x"),
        pl.when(is_fg).then(pl.col("yLegacy")).alias("shot_y"),
        pl.when(is_fg).then(pl.col("shotDistance")).alias("shot_distance"),
    ]


def _no_shot_location() -> list[pl.Expr]:
    return [pl.lit(None, pl.Int64).alias("shot_x"), pl.lit(None, pl.Int64).alias("shot_y"),
            pl.lit(None, pl.Float64).alias("shot_distance")]


def _no_live_fields() -> list[pl.Expr]:
    return [pl.lit(None, pl.Datetime("us", "UTC")).alias("time_actual"), pl.lit(None, pl.List(pl.String)).alias("qualifiers")]



# --------------------------------------------------------------------------- normalizers
def normalize_v3(raw: pl.DataFrame) -> pl.DataFrame:
    # The stripped actionType once (a with_columns: the select below would strip it at every use).
    action = pl.col("_action")
    desc = pl.col("description")
    person_is_team = _is_team_id(pl.col("personId"))
    is_fg = action.is_in(["Made Shot", "Missed Shot"])
    is_ft = action == "Free Throw"
    # Text searched only on the rows it matters for (null elsewhere, which costs nothing).
    unnamed_desc = pl.when(action == "").then(desc)
    event_type = (
        pl.when(action == "period").then(pl.format("period_{}", pl.col("subType")))
        # Block and steal rows have an empty actionType and repeat the shot's actionNumber.
        .when(action == "").then(
            pl.when(unnamed_desc.str.contains("STEAL")).then(pl.lit("steal"))
            .when(unnamed_desc.str.contains("BLOCK")).then(pl.lit("block"))
            .otherwise(pl.lit("other"))
        )
        .otherwise(action.replace_strict(V3_EVENT_TYPES, default="other"))
    )
    # A steal or block row repeats the actionNumber of the turnover or shot it goes with. Only the
    # rows without an actionType can be one: grouped alone (a few percent of the rows), joined back.
    raw = raw.with_columns(_action=pl.col("actionType").str.strip_chars())
    pairs = (
        raw.filter(action == "")
        .group_by("game_id", "actionNumber", maintain_order=True)
        .agg(**{f"_{word.lower()}_by": pl.col("personId").filter(desc.str.contains(word)).first() for word in ("STEAL", "BLOCK")})
    )
    # One lazy plan from here: each step's full-width intermediate is dropped as the next is made,
    # where eager steps would hold them all until the end (the season's peak memory). Collected by
    # the in-memory engine: polars' default picks the streaming one, which holds more and is slower here.
    paired = raw.lazy().join(pairs.lazy(), on=["game_id", "actionNumber"], how="left", nulls_equal=True, maintain_order="left")
    finished = with_values_per_distinct(_finish(paired, "actionId"), "clock", {"_clock_seconds": _iso_clock_seconds(pl.col("clock"))})
    return finished.select(
        "game_id",
        "event_order",
        source=pl.lit("v3"),
        source_event_id=pl.col("actionId"),
        period=pl.col("period"),
        clock_seconds=pl.col("_clock_seconds"),
        event_type=event_type,
        event_subtype=pl.col("subType").str.strip_chars().replace("", None),
        team_id=pl.when(pl.col("teamId") > 0).then(pl.col("teamId"))
        .when(person_is_team).then(pl.col("personId")),
        team_tricode=pl.col("teamTricode").replace("", None),
        location=pl.col("location").replace_strict({"h": "home", "v": "away"}, default=None),
        player_id=pl.when((pl.col("personId") > 0) & ~person_is_team).then(pl.col("personId")),
        player_name=pl.col("playerName").replace("", None),
        *_secondary(
            steal_player_id=pl.when(action == "Turnover").then(_person(pl.col("_steal_by"))),
            block_player_id=pl.when(action == "Missed Shot").then(_person(pl.col("_block_by"))),
            sub_out_player_id=pl.when(action == "Substitution").then(_person(pl.col("personId"))),
        ),
        shot_made=pl.when(is_fg).then(action == "Made Shot")
        .when(is_ft).then(~desc.str.starts_with("MISS")),
        shot_value=pl.when(is_fg).then(
            pl.coalesce(
                pl.col("shotValue").replace(0, None),
                pl.when(desc.str.contains("3PT")).then(3).otherwise(2),
            )
        ).when(is_ft).then(free_throw_value(pl.when(is_ft).then(pl.concat_str("subType", desc, separator=" ", ignore_nulls=True)))),
        home_score=_score(pl.col("scoreHome")),
        away_score=_score(pl.col("scoreAway")),
        possession_team_id=pl.lit(None, pl.Int64),
        description=desc,
        *_no_live_fields(),
        *_shot_location(is_fg),
        *_unrepaired(),
    ).collect(engine="in-memory")


def _with_cdn_jumper_sides(raw: pl.DataFrame) -> pl.DataFrame:
    """``_home_jumper`` / ``_away_jumper``: the CDN names a jump ball's winner and loser; their
    sides follow from the team each acts for and the team whose baskets raise scoreHome."""
    home_points = pl.col("scoreHome").cast(pl.Int32, strict=False)
    scoring = raw.with_columns(
        raised_home=home_points > home_points.shift(1).over("game_id", order_by="orderNumber")
    ).filter(pl.col("raised_home").is_not_null() & (pl.col("teamId") > 0) & pl.col("actionType").is_in(["2pt", "3pt", "freethrow"]))
    home = scoring.filter("raised_home").group_by("game_id").agg(_home_team=pl.col("teamId").mode().first())
    teams = (
        raw.filter((pl.col("personId") > 0) & (pl.col("teamId") > 0))
        .group_by("game_id", "personId").agg(_team=pl.col("teamId").mode().first())
    )
    with_teams = raw.join(home, on="game_id", how="left")
    for role in ("Won", "Lost"):
        with_teams = with_teams.join(
            teams.rename({"personId": f"jumpBall{role}PersonId", "_team": f"_{role.lower()}_team"}),
            on=["game_id", f"jumpBall{role}PersonId"], how="left",
        )
    won, lost = _person(pl.col("jumpBallWonPersonId")), _person(pl.col("jumpBallLostPersonId"))
    won_home = pl.col("_won_team") == pl.col("_home_team")
    lost_home = pl.col("_lost_team") == pl.col("_home_team")
    return with_teams.with_columns(
        _home_jumper=pl.when(won_home).then(won).when(lost_home).then(lost),
        _away_jumper=pl.when(won_home.not_() & pl.col("_won_team").is_not_null()).then(won)
        .when(lost_home.not_() & pl.col("_lost_team").is_not_null()).then(lost),
    )


def normalize_cdn(raw: pl.DataFrame) -> pl.DataFrame:
    action = pl.col("actionType")
    is_fg = action.is_in(["2pt", "3pt"])
    event_type = (
        pl.when(is_fg).then(pl.when(pl.col("shotResult") == "Made").then(pl.lit("made_shot")).otherwise(pl.lit("missed_shot")))
        .when(action == "period").then(pl.format("period_{}", pl.col("subType")))
        .when(action == "game").then(pl.format("game_{}", pl.col("subType")))
        .otherwise(action.replace_strict(CDN_EVENT_TYPES, default="other"))
    )
    return _finish(_with_cdn_jumper_sides(raw), "orderNumber").select(
        "game_id",
        "event_order",
        source=pl.lit("cdn"),
        source_event_id=pl.col("actionNumber"),
        period=pl.col("period"),
        clock_seconds=_iso_clock_seconds(pl.col("clock")),
        event_type=event_type,
        event_subtype=pl.col("subType").replace("", None),
        team_id=pl.col("teamId").replace(0, None),
        team_tricode=pl.col("teamTricode").replace("", None),
        location=pl.lit(None, pl.String),
        player_id=pl.when((pl.col("personId") > 0) & ~_is_team_id(pl.col("personId"))).then(pl.col("personId")),
        player_name=pl.col("playerName").replace("", None),
        *_secondary(
            assist_player_id=pl.when(is_fg).then(_person(pl.col("assistPersonId"))),
            steal_player_id=pl.when(action == "turnover").then(_person(pl.col("stealPersonId"))),
            block_player_id=pl.when(is_fg).then(_person(pl.col("blockPersonId"))),
            foul_drawn_player_id=pl.when(action == "foul").then(_person(pl.col("foulDrawnPersonId"))),
            jump_ball_home_player_id=pl.when(action == "jumpball").then(pl.col("_home_jumper")),
            jump_ball_away_player_id=pl.when(action == "jumpball").then(pl.col("_away_jumper")),
            jump_ball_possession_player_id=pl.when(action == "jumpball").then(_person(pl.col("jumpBallRecoverdPersonId"))),
            sub_in_player_id=pl.when((action == "substitution") & (pl.col("subType") == "in")).then(_person(pl.col("personId"))),
            sub_out_player_id=pl.when((action == "substitution") & (pl.col("subType") == "out")).then(_person(pl.col("personId"))),
        ),
        shot_made=pl.when(is_fg | (action == "freethrow")).then(pl.col("shotResult") == "Made"),
        shot_value=pl.when(action == "2pt").then(2).when(action == "3pt").then(3).when(action == "freethrow").then(
            free_throw_value(pl.concat_str("subType", "description", separator=" ", ignore_nulls=True))
        ),
        home_score=_score(pl.col("scoreHome")),
        away_score=_score(pl.col("scoreAway")),
        possession_team_id=pl.col("possession").replace(0, None),
        description=pl.col("description"),
        time_actual=pl.col("timeActual").str.to_datetime(time_zone="UTC", strict=False),
        qualifiers=pl.col("qualifiers"),
        *_shot_location(is_fg),
        *_unrepaired(),
    )


def normalize_v2(raw: pl.DataFrame) -> pl.DataFrame:
    msg = pl.col("EVENTMSGTYPE")
    desc = pl.concat_str(
        [pl.col("HOMEDESCRIPTION"), pl.col("NEUTRALDESCRIPTION"), pl.col("VISITORDESCRIPTION")],
        separator=" | ", ignore_nulls=True,
    ).replace("", None)
    person_type = pl.col("PERSON1TYPE")
    is_player = person_type.is_in([4, 5])
    is_team = person_type.is_in([2, 3])
    # SCORE is "VISITOR - HOME", only on scoring rows.
    score = pl.col("SCORE").str.split_exact(" - ", 1)
    return _finish(raw.rename({"GAME_ID": "game_id"}), "row_order").select(
        "game_id",
        "event_order",
        source=pl.lit("v2"),
        source_event_id=pl.col("EVENTNUM"),
        period=pl.col("PERIOD"),
        clock_seconds=_mmss_seconds(pl.col("PCTIMESTRING")),
        event_type=msg.replace_strict(V2_EVENT_TYPES, default="other"),
        event_subtype=pl.col("EVENTMSGACTIONTYPE").cast(pl.String),
        team_id=pl.when(is_player).then(pl.col("PLAYER1_TEAM_ID")).when(is_team).then(pl.col("PLAYER1_ID")),
        team_tricode=pl.col("PLAYER1_TEAM_ABBREVIATION"),
        location=pl.when(person_type.is_in([2, 4])).then(pl.lit("home"))
        .when(person_type.is_in([3, 5])).then(pl.lit("away")),
        player_id=pl.when(is_player).then(pl.col("PLAYER1_ID")),
        player_name=pl.when(is_player).then(pl.col("PLAYER1_NAME")),
        *_secondary(**_v2_secondary(msg)),
        shot_made=pl.when(msg == 1).then(True).when(msg == 2).then(False)
        .when(msg == 3).then(~desc.str.contains("MISS ")),
        shot_value=pl.when(msg.is_in([1, 2])).then(pl.when(desc.str.contains("3PT")).then(3).otherwise(2))
        .when(msg == 3).then(1),
        home_score=score.struct.field("field_1").cast(pl.Int32, strict=False),
        away_score=score.struct.field("field_0").cast(pl.Int32, strict=False),
        possession_team_id=pl.lit(None, pl.Int64),
        description=desc,
        *_no_live_fields(),
        *_no_shot_location(),
        *_unrepaired(),
    )


def _v2_secondary(msg: pl.Expr) -> dict[str, pl.Expr]:
    """V2's PLAYER2 and PLAYER3 by event type (PERSONnTYPE 4 is a home player, 5 an away one)."""
    def player(n: int, side: tuple[int, ...] = (4, 5)) -> pl.Expr:
        return pl.when(pl.col(f"PERSON{n}TYPE").is_in(side)).then(pl.col(f"PLAYER{n}_ID"))

    def jumper(side: int) -> pl.Expr:
        return pl.coalesce(player(1, (side,)), player(2, (side,)))

    return {
        "assist_player_id": pl.when(msg == 1).then(player(2)),
        "block_player_id": pl.when(msg == 2).then(player(3)),
        "steal_player_id": pl.when(msg == 5).then(player(2)),
        "foul_drawn_player_id": pl.when(msg == 6).then(player(2)),
        "jump_ball_home_player_id": pl.when(msg == 10).then(jumper(4)),
        "jump_ball_away_player_id": pl.when(msg == 10).then(jumper(5)),
        "jump_ball_possession_player_id": pl.when(msg == 10).then(player(3)),
        "sub_out_player_id": pl.when(msg == 8).then(player(1)),
        "sub_in_player_id": pl.when(msg == 8).then(player(2)),
    }


# Each takes a decoded payload or an undecoded ``payloads.Body``.
RAW_FRAMES = {
    "v3": _actions_of(V3_RAW_SCHEMA, v3_actions),
    "cdn": _actions_of(CDN_RAW_SCHEMA, cdn_actions),
    "v2": lambda payload, game_id: v2_events(payload.payload() if isinstance(payload, Body) else payload),
}
NORMALIZERS = {"v3": normalize_v3, "cdn": normalize_cdn, "v2": normalize_v2}


def play_by_play_from_payloads(responses: Sequence[tuple[dict | Body, str, str]]) -> pl.DataFrame:
    """Raw responses ``(payload, feed, game_id)`` of many games to silver rows; a payload is the
    decoded JSON or the undecoded ``payloads.Body`` (faster: V3 and CDN bodies go straight to polars).

    Games are grouped by feed and each feed is normalized in one pass over all its games.
    Raises on the first unusable game; ``parse_play_by_play`` holds such games back instead.
    """
    rows, unusable = parse_play_by_play(responses)
    if unusable.height:
        first = unusable.row(0, named=True)
        raise ValueError(f"play-by-play of game {first['game_id']}: {first['detail']}")
    return rows


def parse_play_by_play(responses: Sequence[tuple[dict | Body, str, str]]) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Like ``play_by_play_from_payloads``, but a game whose payload cannot be read (a missing or
    mistyped field, no events) is left out and returned as a violation (game_id, rule, detail).
    A ``Body`` that does not decode is one too, with the message ``load_payload`` raises."""
    by_feed: dict[str, list[pl.DataFrame]] = {}
    unusable: list[tuple[str, str, str]] = []
    for payload, feed, game_id in responses:
        if feed not in RAW_FRAMES:
            unusable.append((game_id, "unusable_payload", f"unknown play-by-play feed {feed!r} (expected v2, v3 or cdn)"))
            continue
        try:
            raw = RAW_FRAMES[feed](payload, game_id)
        except NBASourceError as exc:
            unusable.append((game_id, "unusable_payload", str(exc)))
            continue
        except (KeyError, TypeError, ValueError, pl.exceptions.PolarsError) as exc:
            unusable.append((game_id, "unusable_payload", f"{feed} payload: {type(exc).__name__}: {exc}"))
            continue
        if raw.is_empty():
            unusable.append((game_id, "no_events", f"the {feed} payload holds no events"))
            continue
        by_feed.setdefault(feed, []).append(raw)
    frames = [PLAY_BY_PLAY.cast(NORMALIZERS[feed](pl.concat(raw))) for feed, raw in by_feed.items()]
    rows = pl.concat(frames) if frames else PLAY_BY_PLAY.cast(PLAY_BY_PLAY.empty().drop("season", "game_date"))
    return rows, game_issues.violations(unusable)


def play_by_play_from_payload(payload: dict, feed: str, game_id: str) -> pl.DataFrame:
    """One game's raw response (already validated) to silver rows."""
    return play_by_play_from_payloads([(payload, feed, game_id)])
