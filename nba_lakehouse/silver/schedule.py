"""The season schedule (ScheduleLeagueV2, stats API or CDN) and the daily scoreboards
(ScoreboardV3, ScoreboardV2) into their silver tables.

Frames are built from the games lists in one go (typed ``pl.DataFrame`` of the raw dicts, then
``unnest``); nothing loops over games. Each function returns a frame that passes ``enforce``.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import polars as pl

from nba_lakehouse.partitions import season_of_game_expr, season_type_expr
from nba_lakehouse.schemas import SCHEDULE, SCOREBOARD_GAMES
from nba_lakehouse.silver.season_stats import (
    named_result_set,
    parse_temporal,
    require_columns,
)
from nba_lakehouse.sources.payloads import FINAL, IN_PROGRESS, SCHEDULED

GAME_STATUSES = {SCHEDULED: "scheduled", IN_PROGRESS: "in_progress", FINAL: "final"}

_TEAM = pl.Struct({"teamId": pl.Int64, "teamTricode": pl.String, "teamCity": pl.String,
                   "teamName": pl.String, "score": pl.Int64})
SCHEDULE_RAW_SCHEMA: dict[str, Any] = {
    "gameId": pl.String, "gameCode": pl.String, "gameStatus": pl.Int64, "gameStatusText": pl.String,
    "gameDateEst": pl.String, "gameDateTimeUTC": pl.String, "arenaName": pl.String, "arenaCity": pl.String,
    "arenaState": pl.String, "weekNumber": pl.Int64, "seriesText": pl.String, "postponedStatus": pl.String,
    "homeTeam": _TEAM, "awayTeam": _TEAM,
}
SCOREBOARD_V3_RAW_SCHEMA: dict[str, Any] = {
    "gameId": pl.String, "gameStatus": pl.Int64, "gameStatusText": pl.String, "period": pl.Int64,
    "homeTeam": _TEAM, "awayTeam": _TEAM,
}
# "2023-10-05T00:00:00Z" (the Eastern date, labelled Z) and "2023-10-05T16:00:00Z".
SCHEDULE_DATE_FORMATS = ("%Y-%m-%dT%H:%M:%S%.fZ", "%Y-%m-%d")
SCHEDULE_TIME_FORMATS = ("%Y-%m-%dT%H:%M:%S%.fZ",)


def status(code: pl.Expr) -> pl.Expr:
    """gameStatus / GAME_STATUS_ID 1, 2, 3 -> scheduled, in_progress, final (else null)."""
    return code.cast(pl.Int64, strict=False).replace_strict(GAME_STATUSES, default=None, return_dtype=pl.String)


def _check_statuses(frame: pl.DataFrame, raw: str, endpoint: str) -> None:
    bad = frame.filter(pl.col("status").is_null())[raw]
    if bad.len():
        raise ValueError(f"{endpoint}: unknown game status codes {bad.unique().to_list()} (expected 1, 2 or 3)")


def _blank_to_null(columns) -> list[pl.Expr]:
    return [pl.when(pl.col(c).str.strip_chars() != "").then(pl.col(c)).alias(c) for c in columns]


def _score(column: str) -> pl.Expr:
    # The CDN and ScoreboardV3 send 0 before tip-off: no score until the game starts.
    return pl.when(pl.col("status") != "scheduled").then(pl.col(column)).cast(pl.Int32)


def _team_id(column: str) -> pl.Expr:
    # Undecided matchups (tournament knockouts, the final) carry teamId 0.
    return pl.when(pl.col(column) != 0).then(pl.col(column)).cast(pl.Int64)


def _utc(moment: dt.datetime) -> dt.datetime:
    if moment.tzinfo is None:
        raise ValueError(f"fetched_at {moment!r} has no time zone (expected an aware UTC datetime)")
    return moment.astimezone(dt.UTC)


# ------------------------------------------------------------------------------ schedule
def schedule_from_payload(payload: dict, source: str) -> pl.DataFrame:
    """ScheduleLeagueV2 (``leagueSchedule.gameDates[].games[]``) -> one row per game.

    ``source`` names the feed: scheduleleaguev2 (stats API) or cdn_scheduleleaguev2.
    """
    endpoint = "ScheduleLeagueV2"
    league = payload.get("leagueSchedule") or {}
    if "gameDates" not in league:
        raise ValueError(f"{endpoint} response ({source}) has no leagueSchedule.gameDates list")
    season = league.get("seasonYear")
    if not season:
        raise ValueError(f"{endpoint} response ({source}) has no leagueSchedule.seasonYear")
    games = [game for day in league["gameDates"] or [] for game in day.get("games") or []]
    if not games:
        return SCHEDULE.empty()
    raw = pl.DataFrame(games, schema=SCHEDULE_RAW_SCHEMA, strict=False)
    raw = raw.with_columns(
        parse_temporal(raw["gameDateEst"], SCHEDULE_DATE_FORMATS, endpoint),
        parse_temporal(raw["gameDateTimeUTC"], SCHEDULE_TIME_FORMATS, endpoint, pl.Datetime("us", "UTC")),
        status=status(pl.col("gameStatus")),
    )
    _check_statuses(raw, "gameStatus", endpoint)
    raw = raw.unnest("homeTeam", "awayTeam", separator=".")
    frame = raw.select(
        season=pl.lit(season, pl.String),
        game_date=pl.col("gameDateEst"),
        game_id=pl.col("gameId"),
        game_code=pl.col("gameCode"),
        season_type=season_type_expr(pl.col("gameId")),
        status=pl.col("status"),
        status_text=pl.col("gameStatusText"),
        game_time_utc=pl.col("gameDateTimeUTC"),
        **{f"{side}_{field}": expr for side in ("home", "away") for field, expr in (
            ("team_id", _team_id(f"{side}Team.teamId")),
            ("team_tricode", pl.col(f"{side}Team.teamTricode")),
            ("team_city", pl.col(f"{side}Team.teamCity")),
            ("team_name", pl.col(f"{side}Team.teamName")),
            ("score", _score(f"{side}Team.score")),
        )},
        arena_name=pl.col("arenaName"),
        arena_city=pl.col("arenaCity"),
        arena_state=pl.col("arenaState"),
        week_number=pl.col("weekNumber"),
        series_text=pl.col("seriesText"),
        postponed_status=pl.col("postponedStatus"),
        source=pl.lit(source),
    )
    strings = [c.name for c in SCHEDULE.columns if c.dtype == pl.String]
    return SCHEDULE.enforce(frame.with_columns(_blank_to_null(strings)))


# ---------------------------------------------------------------------------- scoreboards
def _scoreboard_v3(payload: dict) -> pl.DataFrame:
    endpoint = "ScoreboardV3"
    board = payload.get("scoreboard") or {}
    if "games" not in board:
        raise ValueError(f"{endpoint} response has no scoreboard.games list")
    if not board["games"]:
        return pl.DataFrame()
    raw = pl.DataFrame(board["games"], schema=SCOREBOARD_V3_RAW_SCHEMA, strict=False)
    raw = raw.with_columns(status=status(pl.col("gameStatus")))
    _check_statuses(raw, "gameStatus", endpoint)
    return raw.unnest("homeTeam", "awayTeam", separator=".").select(
        game_id=pl.col("gameId"),
        status=pl.col("status"),
        status_text=pl.col("gameStatusText"),
        period=pl.col("period"),
        home_team_id=_team_id("homeTeam.teamId"),
        home_team_tricode=pl.col("homeTeam.teamTricode"),
        home_score=_score("homeTeam.score"),
        away_team_id=_team_id("awayTeam.teamId"),
        away_team_tricode=pl.col("awayTeam.teamTricode"),
        away_score=_score("awayTeam.score"),
        arena_name=pl.lit(None, pl.String),
    )


def _scoreboard_v2(payload: dict) -> pl.DataFrame:
    endpoint = "ScoreboardV2"
    header = named_result_set(payload, endpoint, "GameHeader")
    lines = named_result_set(payload, endpoint, "LineScore")
    require_columns(header, endpoint, "GameHeader", ["GAME_ID", "GAME_STATUS_ID", "GAME_STATUS_TEXT", "HOME_TEAM_ID",
                                                     "VISITOR_TEAM_ID", "LIVE_PERIOD", "ARENA_NAME"])
    require_columns(lines, endpoint, "LineScore", ["GAME_ID", "TEAM_ID", "TEAM_ABBREVIATION", "PTS"])
    if header.is_empty():
        return pl.DataFrame()
    # GameHeader can list a game more than once (the recorded 2026-02-22 board repeats one
    # game three times); the scoreboard's key is the game, so keep its first row.
    header = header.unique("GAME_ID", keep="first", maintain_order=True).with_columns(
        GAME_ID=pl.col("GAME_ID").cast(pl.String), status=status(pl.col("GAME_STATUS_ID")),
    )
    _check_statuses(header, "GAME_STATUS_ID", endpoint)
    lines = lines.unique(["GAME_ID", "TEAM_ID"], keep="first", maintain_order=True).select(
        GAME_ID=pl.col("GAME_ID").cast(pl.String),
        TEAM_ID=pl.col("TEAM_ID").cast(pl.Int64),
        TEAM_ABBREVIATION=pl.col("TEAM_ABBREVIATION").cast(pl.String),
        PTS=pl.col("PTS").cast(pl.Int64, strict=False),
    )

    def side(prefix: str) -> pl.DataFrame:
        return lines.rename({"TEAM_ID": f"{prefix}_ID", "TEAM_ABBREVIATION": f"{prefix}_TRICODE", "PTS": f"{prefix}_PTS"})

    joined = (
        header.with_columns(pl.col("HOME_TEAM_ID", "VISITOR_TEAM_ID").cast(pl.Int64))
        .join(side("HOME_TEAM"), on=["GAME_ID", "HOME_TEAM_ID"], how="left")
        .join(side("VISITOR_TEAM"), on=["GAME_ID", "VISITOR_TEAM_ID"], how="left")
    )
    return joined.select(
        game_id=pl.col("GAME_ID"),
        status=pl.col("status"),
        status_text=pl.col("GAME_STATUS_TEXT").cast(pl.String),
        period=pl.col("LIVE_PERIOD").cast(pl.Int64, strict=False),
        home_team_id=_team_id("HOME_TEAM_ID"),
        home_team_tricode=pl.col("HOME_TEAM_TRICODE"),
        home_score=_score("HOME_TEAM_PTS"),
        away_team_id=_team_id("VISITOR_TEAM_ID"),
        away_team_tricode=pl.col("VISITOR_TEAM_TRICODE"),
        away_score=_score("VISITOR_TEAM_PTS"),
        arena_name=pl.col("ARENA_NAME").cast(pl.String),
    )


SCOREBOARD_PARSERS = {"scoreboardv3": _scoreboard_v3, "scoreboardv2": _scoreboard_v2}


def scoreboard_from_payload(payload: dict, source: str, game_date: dt.date, fetched_at: dt.datetime) -> pl.DataFrame:
    """ScoreboardV3 (``scoreboardv3``) or ScoreboardV2 (``scoreboardv2``) of ``game_date`` as
    fetched at ``fetched_at`` (an aware datetime) -> one row per game; no games, no rows.
    """
    if source not in SCOREBOARD_PARSERS:
        raise ValueError(f"unknown scoreboard source {source!r} (expected one of {sorted(SCOREBOARD_PARSERS)})")
    fetched_at = _utc(fetched_at)
    games = SCOREBOARD_PARSERS[source](payload)
    if games.is_empty():
        return SCOREBOARD_GAMES.empty()
    frame = games.with_columns(
        season=season_of_game_expr(pl.col("game_id")),
        game_date=pl.lit(game_date, pl.Date),
        fetched_at=pl.lit(fetched_at, pl.Datetime("us", "UTC")),
        source=pl.lit(source),
    )
    strings = [c.name for c in SCOREBOARD_GAMES.columns if c.dtype == pl.String]
    return SCOREBOARD_GAMES.enforce(frame.with_columns(_blank_to_null(strings)))
