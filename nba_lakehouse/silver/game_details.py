"""Per-game detail endpoints to silver rows: shots, hustle stats, rotations and the box score summary.

Each parser takes one decoded V2 response and returns rows of its table without the partition
columns (``season``, ``game_date``): the caller adds them with ``with_partition_columns``. Result
sets are picked by name; a missing one raises ``ValueError`` naming the endpoint and the set.
"""

from __future__ import annotations

from collections.abc import Mapping

import polars as pl

from nba_lakehouse.game_clock import REGULATION_PERIODS
from nba_lakehouse.schemas import (
    GAME_OFFICIALS,
    GAME_ROTATIONS,
    GAME_SUMMARIES,
    INACTIVE_PLAYERS,
    LINE_SCORES,
    PLAYER_HUSTLE_STATS,
    SHOTS,
)
from nba_lakehouse.silver.box_scores import minutes_expr
from nba_lakehouse.sources.payloads import result_set

MAX_OVERTIMES = 10  # LineScore carries PTS_OT1..PTS_OT10


def _required_set(
    payload: dict, endpoint: str, name: str, columns: Mapping[str, pl.DataType | type[pl.DataType] | None]
) -> pl.DataFrame:
    """Result set ``name`` with ``columns`` present, cast (when a type is given) to their raw types.

    The cast matters for empty sets, whose columns all come back as strings.
    """
    try:
        frame = result_set(payload, name)
    except KeyError as exc:
        raise ValueError(f"{endpoint} response is missing result set {name!r}: {exc.args[0]}") from None
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise ValueError(f"{endpoint} result set {name!r} is missing columns {missing}")
    return frame.with_columns(pl.col(c).cast(t, strict=False) for c, t in columns.items() if t is not None)


def _blank_to_null(expr: pl.Expr) -> pl.Expr:
    return expr.cast(pl.String).str.strip_chars().replace("", None)


def _full_name(first: str, last: str) -> pl.Expr:
    return pl.concat_str(_blank_to_null(pl.col(first)), _blank_to_null(pl.col(last)), separator=" ", ignore_nulls=True)


# ------------------------------------------------------------------------------ ShotChartDetail
SHOT_VALUES = {"2PT Field Goal": 2, "3PT Field Goal": 3}


def shots_from_payload(payload: dict) -> pl.DataFrame:
    """ShotChartDetail's ``Shot_Chart_Detail`` set: one row per field goal attempt (or make, for
    ``ContextMeasure=PTS`` requests, which return makes only)."""
    raw = _required_set(payload, "ShotChartDetail", "Shot_Chart_Detail", {
        "GAME_ID": pl.String, "GAME_EVENT_ID": pl.Int64, "TEAM_ID": pl.Int64, "PLAYER_ID": pl.Int64,
        "PLAYER_NAME": pl.String, "PERIOD": pl.Int16, "MINUTES_REMAINING": pl.Float64,
        "SECONDS_REMAINING": pl.Float64, "SHOT_MADE_FLAG": pl.Int8, "SHOT_TYPE": pl.String,
        "ACTION_TYPE": pl.String, "SHOT_ZONE_BASIC": pl.String, "SHOT_ZONE_AREA": pl.String,
        "SHOT_ZONE_RANGE": pl.String, "SHOT_DISTANCE": pl.Int16, "LOC_X": pl.Int16, "LOC_Y": pl.Int16,
        "HTM": pl.String, "VTM": pl.String,
    })
    unknown = raw.filter(~pl.col("SHOT_TYPE").is_in(list(SHOT_VALUES)))["SHOT_TYPE"].unique().to_list()
    if unknown:
        raise ValueError(f"ShotChartDetail: unknown SHOT_TYPE values {unknown} (expected {list(SHOT_VALUES)})")
    shots = raw.select(
        game_id="GAME_ID",
        game_event_id="GAME_EVENT_ID",
        team_id="TEAM_ID",
        player_id="PLAYER_ID",
        player_name="PLAYER_NAME",
        period="PERIOD",
        clock_seconds=pl.col("MINUTES_REMAINING") * 60 + pl.col("SECONDS_REMAINING"),
        shot_made=pl.col("SHOT_MADE_FLAG") == 1,
        shot_value=pl.col("SHOT_TYPE").replace_strict(SHOT_VALUES, return_dtype=pl.Int8),
        action_type="ACTION_TYPE",
        shot_zone_basic="SHOT_ZONE_BASIC",
        shot_zone_area="SHOT_ZONE_AREA",
        shot_zone_range="SHOT_ZONE_RANGE",
        shot_distance_ft="SHOT_DISTANCE",
        loc_x="LOC_X",
        loc_y="LOC_Y",
        home_team_tricode="HTM",
        away_team_tricode="VTM",
    )
    return SHOTS.cast(shots)


# -------------------------------------------------------------------------- HustleStatsBoxScore
HUSTLE_STAT_NAMES = {
    "PTS": "points", "CONTESTED_SHOTS": "contested_shots", "CONTESTED_SHOTS_2PT": "contested_shots_2pt",
    "CONTESTED_SHOTS_3PT": "contested_shots_3pt", "DEFLECTIONS": "deflections", "CHARGES_DRAWN": "charges_drawn",
    "SCREEN_ASSISTS": "screen_assists", "SCREEN_AST_PTS": "screen_assist_points",
    "OFF_LOOSE_BALLS_RECOVERED": "loose_balls_recovered_offensive",
    "DEF_LOOSE_BALLS_RECOVERED": "loose_balls_recovered_defensive",
    "LOOSE_BALLS_RECOVERED": "loose_balls_recovered", "OFF_BOXOUTS": "box_outs_offensive",
    "DEF_BOXOUTS": "box_outs_defensive", "BOX_OUTS": "box_outs",
    "BOX_OUT_PLAYER_TEAM_REBS": "box_out_team_rebounds", "BOX_OUT_PLAYER_REBS": "box_out_player_rebounds",
}


def hustle_stats_from_payload(payload: dict) -> pl.DataFrame:
    """HustleStatsBoxScore's ``PlayerStats`` set: one row per player."""
    raw = _required_set(payload, "HustleStatsBoxScore", "PlayerStats", {
        "GAME_ID": pl.String, "TEAM_ID": pl.Int64, "TEAM_ABBREVIATION": pl.String, "PLAYER_ID": pl.Int64,
        "PLAYER_NAME": pl.String, "MINUTES": pl.String, **dict.fromkeys(HUSTLE_STAT_NAMES, pl.Int32),
    })
    hustle = raw.select(
        game_id="GAME_ID",
        team_id="TEAM_ID",
        team_tricode="TEAM_ABBREVIATION",
        player_id="PLAYER_ID",
        player_name="PLAYER_NAME",
        minutes=minutes_expr(pl.col("MINUTES")),
        **{new: pl.col(old) for old, new in HUSTLE_STAT_NAMES.items()},
    )
    return PLAYER_HUSTLE_STATS.cast(hustle)


# ------------------------------------------------------------------------------- GameRotation
def rotations_from_payload(payload: dict) -> pl.DataFrame:
    """GameRotation's ``HomeTeam`` and ``AwayTeam`` sets: one row per stint.

    IN_TIME_REAL / OUT_TIME_REAL are tenths of a second of game time since tip-off.
    """
    columns = pl.Schema({
        "GAME_ID": pl.String, "TEAM_ID": pl.Int64, "PERSON_ID": pl.Int64, "PLAYER_FIRST": pl.String,
        "PLAYER_LAST": pl.String, "IN_TIME_REAL": pl.Float64, "OUT_TIME_REAL": pl.Float64,
        "PLAYER_PTS": pl.Int32, "PT_DIFF": pl.Float64, "USG_PCT": pl.Float64,
    })
    sides = []
    for name, is_home in (("HomeTeam", True), ("AwayTeam", False)):
        raw = _required_set(payload, "GameRotation", name, columns)
        sides.append(raw.select(
            game_id="GAME_ID",
            team_id="TEAM_ID",
            is_home=pl.lit(is_home),
            player_id="PERSON_ID",
            player_name=_full_name("PLAYER_FIRST", "PLAYER_LAST"),
            in_seconds=pl.col("IN_TIME_REAL") / 10,
            out_seconds=pl.col("OUT_TIME_REAL") / 10,
            seconds_played=(pl.col("OUT_TIME_REAL") - pl.col("IN_TIME_REAL")) / 10,
            player_points="PLAYER_PTS",
            point_differential="PT_DIFF",
            usage_pct="USG_PCT",
        ))
    return GAME_ROTATIONS.cast(pl.concat(sides))


# -------------------------------------------------------------------------- BoxScoreSummaryV2
SUMMARY = "BoxScoreSummaryV2"
PERIOD_COLUMNS = {
    **{f"PTS_QTR{q}": q for q in range(1, REGULATION_PERIODS + 1)},
    **{f"PTS_OT{n}": REGULATION_PERIODS + n for n in range(1, MAX_OVERTIMES + 1)},
}


def _hours_minutes(text: pl.Expr) -> pl.Expr:
    """``2:51`` -> 171 (minutes); empty or malformed -> null."""
    parts = text.cast(pl.String).str.strip_chars().str.extract_groups(r"^(\d+):(\d{1,2})$")
    return parts.struct.field("1").cast(pl.Int32) * 60 + parts.struct.field("2").cast(pl.Int32)


def _periods_played(live_period: int | None, lines: pl.DataFrame) -> int:
    """Periods the game went: LIVE_PERIOD, raised to the last overtime with points on the line.

    LIVE_PERIOD is the only way to see a scoreless overtime; the overtime columns guard against a
    stale LIVE_PERIOD. An overtime is never inferred from a zero or null column alone.
    """
    last_scored = REGULATION_PERIODS
    for column, period in PERIOD_COLUMNS.items():
        if period > REGULATION_PERIODS and column in lines.columns and lines[column].fill_null(0).ne(0).any():
            last_scored = period
    return max(live_period or 0, last_scored)


def summary_from_payload(payload: dict) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    """BoxScoreSummaryV2 -> (game_summaries, line_scores, game_officials, inactive_players) rows."""
    summary = _required_set(payload, SUMMARY, "GameSummary", {
        "GAME_ID": pl.String, "GAME_STATUS_TEXT": pl.String, "HOME_TEAM_ID": pl.Int64,
        "VISITOR_TEAM_ID": pl.Int64, "LIVE_PERIOD": pl.Int16, "NATL_TV_BROADCASTER_ABBREVIATION": pl.String,
    })
    info = _required_set(payload, SUMMARY, "GameInfo", {"ATTENDANCE": pl.Int32, "GAME_TIME": pl.String})
    other = _required_set(payload, SUMMARY, "OtherStats", {"LEAD_CHANGES": pl.Int32, "TIMES_TIED": pl.Int32})
    officials_raw = _required_set(payload, SUMMARY, "Officials", {
        "OFFICIAL_ID": pl.Int64, "FIRST_NAME": pl.String, "LAST_NAME": pl.String, "JERSEY_NUM": pl.String,
    })
    inactive_raw = _required_set(payload, SUMMARY, "InactivePlayers", {
        "PLAYER_ID": pl.Int64, "FIRST_NAME": pl.String, "LAST_NAME": pl.String, "JERSEY_NUM": pl.String,
        "TEAM_ID": pl.Int64, "TEAM_ABBREVIATION": pl.String,
    })
    lines_raw = _required_set(payload, SUMMARY, "LineScore", {
        "GAME_ID": pl.String, "TEAM_ID": pl.Int64, "TEAM_ABBREVIATION": pl.String, "PTS": pl.Int32,
        **dict.fromkeys((f"PTS_QTR{q}" for q in range(1, REGULATION_PERIODS + 1)), pl.Int32),
    })
    lines_raw = lines_raw.with_columns(pl.col(c).cast(pl.Int32, strict=False) for c in PERIOD_COLUMNS if c in lines_raw.columns)
    if summary.height != 1:
        raise ValueError(f"{SUMMARY}: result set 'GameSummary' has {summary.height} rows, expected one game")
    game = summary.row(0, named=True)
    game_id = game["GAME_ID"]
    periods = _periods_played(game["LIVE_PERIOD"], lines_raw)

    officials = officials_raw.select(
        game_id=pl.lit(game_id, pl.String),
        official_id="OFFICIAL_ID",
        official_name=_full_name("FIRST_NAME", "LAST_NAME"),
        jersey_number=_blank_to_null(pl.col("JERSEY_NUM")),
    )
    inactive = inactive_raw.select(
        game_id=pl.lit(game_id, pl.String),
        team_id="TEAM_ID",
        team_tricode="TEAM_ABBREVIATION",
        player_id="PLAYER_ID",
        player_name=_full_name("FIRST_NAME", "LAST_NAME"),
        jersey_number=_blank_to_null(pl.col("JERSEY_NUM")),
    )

    # GameInfo and OtherStats carry no game id: they are about the one game of the response.
    game_info = info.select(attendance=pl.col("ATTENDANCE").first(), duration_minutes=_hours_minutes(pl.col("GAME_TIME")).first())
    game_other = other.select(lead_changes=pl.col("LEAD_CHANGES").first(), times_tied=pl.col("TIMES_TIED").first())
    game_officials = officials.select(officials=pl.col("official_name").drop_nulls().str.join(", "))
    summaries = pl.concat([
        summary.select(
            game_id="GAME_ID",
            status_text=_blank_to_null(pl.col("GAME_STATUS_TEXT")),
            home_team_id="HOME_TEAM_ID",
            away_team_id="VISITOR_TEAM_ID",
            periods=pl.lit(periods, pl.Int16),
            national_tv=_blank_to_null(pl.col("NATL_TV_BROADCASTER_ABBREVIATION")),
        ),
        game_info, game_other,
        game_officials.with_columns(officials=pl.col("officials").replace("", None)),
    ], how="horizontal")

    played = {c: p for c, p in PERIOD_COLUMNS.items() if c in lines_raw.columns and p <= periods}
    lines = (
        lines_raw.unpivot(on=list(played), index=["GAME_ID", "TEAM_ID", "TEAM_ABBREVIATION", "PTS"], variable_name="column", value_name="points")
        .select(
            game_id="GAME_ID",
            team_id="TEAM_ID",
            team_tricode="TEAM_ABBREVIATION",
            period=pl.col("column").replace_strict(played, return_dtype=pl.Int16),
            points="points",
            total_points="PTS",
        )
        # A period the line reports no points for has not been played yet (a game in progress);
        # a null in a played period then shows up as the periods not adding up to the total.
        .filter(pl.col("points").is_not_null())
        .sort("team_id", "period")
    )
    return (
        GAME_SUMMARIES.cast(summaries),
        LINE_SCORES.cast(lines),
        GAME_OFFICIALS.cast(officials),
        INACTIVE_PLAYERS.cast(inactive),
    )
