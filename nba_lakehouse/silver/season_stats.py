"""Season-level game logs and totals: LeagueGameLog, LeagueGameFinder, LeagueDashPlayerStats,
PlayerGameLog and PlayerGameLogs into their silver tables.

Every function works on the whole result set at once; nothing loops over rows. Each returns a
frame that already passes its table's ``enforce``.
"""

from __future__ import annotations

import datetime as dt

import polars as pl

from nba_lakehouse.partitions import season_of_game_expr, season_type_expr
from nba_lakehouse.schemas import PLAYER_GAME_LOGS, PLAYER_SEASON_STATS, TEAM_GAME_LOGS
from nba_lakehouse.silver.box_scores import V2_STAT_NAMES, minutes_expr
from nba_lakehouse.sources.payloads import result_set

# The season endpoints spell turnovers TOV (the V2 box score says TO); the rest is the V2 box score's.
STAT_NAMES = {("TOV" if raw == "TO" else raw): name for raw, name in V2_STAT_NAMES.items()}

TEAM_GAME_LOG_SETS = {"leaguegamelog": ("LeagueGameLog", "LeagueGameLog"),
                      "leaguegamefinder": ("LeagueGameFinder", "LeagueGameFinderResults")}
PLAYER_GAME_LOG_SETS = {"playergamelog": ("PlayerGameLog", "PlayerGameLog"),
                        "playergamelogs": ("PlayerGameLogs", "PlayerGameLogs")}

# GAME_DATE as each endpoint writes it: LeagueGameLog / LeagueGameFinder "2024-10-22",
# PlayerGameLog "Feb 20, 2026", PlayerGameLogs "2024-10-22T00:00:00".
TEAM_LOG_DATE_FORMATS = ("%Y-%m-%d",)
PLAYER_LOG_DATE_FORMATS = ("%b %d, %Y", "%Y-%m-%dT%H:%M:%S")

# "CLE @ CHA" (CLE away) or "CLE vs. BKN" (CLE at home): own code, separator, opponent code.
MATCHUP_PATTERN = r"^(\w+) (@|vs\.) (\w+)$"


def named_result_set(payload: dict, endpoint: str, name: str) -> pl.DataFrame:
    """The result set ``name`` of an ``endpoint`` response; a ValueError naming both when absent."""
    try:
        return result_set(payload, name)
    except KeyError as exc:
        raise ValueError(f"{endpoint} response has no result set {name!r}: {exc.args[0]}") from None


def require_columns(frame: pl.DataFrame, endpoint: str, name: str, columns) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise ValueError(f"{endpoint} result set {name!r} lacks columns {missing} (has {frame.columns})")


def parse_temporal(raw: pl.Series, formats: tuple[str, ...], endpoint: str,
                   dtype: type[pl.Date] | pl.Datetime = pl.Date) -> pl.Series:
    """Parse ``raw`` strings with the first of ``formats`` that matches each value exactly.

    A value no format matches raises a ValueError naming the endpoint, the field and examples;
    nulls stay null.
    """
    raw = raw.cast(pl.String)
    if not isinstance(dtype, pl.Datetime):
        candidates = [raw.str.to_date(f, strict=False) for f in formats]
    else:
        candidates = [raw.str.to_datetime(f, strict=False, time_unit=dtype.time_unit, time_zone=dtype.time_zone)
                      for f in formats]
    parsed = pl.select(pl.coalesce(candidates)).to_series().alias(raw.name)
    bad = raw.filter(raw.is_not_null() & parsed.is_null())
    if bad.len():
        raise ValueError(
            f"{endpoint}: {raw.name} values {bad.unique(maintain_order=True).head(3).to_list()} "
            f"match none of the expected formats {list(formats)}"
        )
    return parsed


def matchup_columns(frame: pl.DataFrame, endpoint: str, own: str | None = None, column: str = "MATCHUP") -> pl.DataFrame:
    """Add ``own_tricode``, ``is_home`` and ``opponent_tricode`` parsed from MATCHUP.

    MATCHUP normally starts with the row's own team ("CLE @ CHA", "CLE vs. BKN"). For a few
    neutral-site games the NBA writes both rows the same way, away @ home ("MIA @ WAS" on the WAS
    row too, Mexico City 2024-11-02): when ``own`` (the row's TEAM_ABBREVIATION column) is given
    and it is MATCHUP's second code, the row's team is the one after the separator. Without
    ``own`` (PlayerGameLog names no team) the first code is taken as the row's team. Other
    neutral-site games read "away" on both rows ("DAL @ DET" and "DET @ DAL", 2025-11-01 in
    Mexico City): MATCHUP names no home team there, and neither row is home.
    """
    matchup = pl.col(column)
    first = matchup.str.extract(MATCHUP_PATTERN, 1)
    parts = frame.select(
        _first=first,
        _separator=matchup.str.extract(MATCHUP_PATTERN, 2),
        _second=matchup.str.extract(MATCHUP_PATTERN, 3),
        own_tricode=pl.coalesce(pl.col(own).cast(pl.String), first) if own else first,
    )
    bad = frame[column].filter(parts["_separator"].is_null())
    if bad.len():
        raise ValueError(
            f"{endpoint}: {column} values {bad.unique(maintain_order=True).head(3).to_list()} are not "
            "'AAA vs. BBB' (home) or 'AAA @ BBB' (away)"
        )
    parsed = pl.concat([frame, parts], how="horizontal")
    own_first = pl.col("own_tricode") == pl.col("_first")
    neither = parsed.filter(~own_first & (pl.col("own_tricode") != pl.col("_second")))
    if neither.height:
        raise ValueError(
            f"{endpoint}: {column} does not name the row's own team {own}: "
            f"{neither.select('own_tricode', column).head(3).rows()}"
        )
    home_first = pl.col("_separator") == "vs."  # "A vs. B": A at home; "A @ B": B at home
    return parsed.with_columns(
        is_home=pl.when(own_first).then(home_first).otherwise(~home_first),
        opponent_tricode=pl.when(own_first).then(pl.col("_second")).otherwise(pl.col("_first")),
    ).drop("_first", "_separator", "_second")


def _game_id(column: str) -> pl.Expr:
    # The ids arrive as strings; an integer id would have lost its leading zeros.
    return pl.col(column).cast(pl.String).str.zfill(10)


def _won(column: str = "WL") -> pl.Expr:
    return pl.when(pl.col(column).is_in(["W", "L"])).then(pl.col(column) == "W")


def _stat_columns() -> dict[str, pl.Expr]:
    return {
        new: pl.col(old).cast(pl.Float64 if new == "plus_minus" else pl.Int32, strict=False)
        for old, new in STAT_NAMES.items()
    }


def _endpoint_for(source: str, table: dict[str, tuple[str, str]], what: str) -> tuple[str, str]:
    if source not in table:
        raise ValueError(f"unknown {what} source {source!r} (expected one of {sorted(table)})")
    return table[source]


# ------------------------------------------------------------------------ team game logs
def team_game_logs_from_payload(payload: dict, source: str) -> pl.DataFrame:
    """LeagueGameLog (``leaguegamelog``) or LeagueGameFinder (``leaguegamefinder``) team rows."""
    endpoint, name = _endpoint_for(source, TEAM_GAME_LOG_SETS, "team game log")
    raw = named_result_set(payload, endpoint, name)
    if "PLAYER_ID" in raw.columns:
        raise ValueError(f"{endpoint} result set {name!r} holds player rows; team game logs need PlayerOrTeam=T")
    require_columns(raw, endpoint, name, ["TEAM_ID", "TEAM_ABBREVIATION", "TEAM_NAME", "GAME_ID", "GAME_DATE",
                                         "MATCHUP", "WL", "MIN", *STAT_NAMES])
    if raw.is_empty():
        return TEAM_GAME_LOGS.empty()
    raw = matchup_columns(raw, endpoint, own="TEAM_ABBREVIATION").with_columns(
        parse_temporal(raw["GAME_DATE"], TEAM_LOG_DATE_FORMATS, endpoint)
    )
    frame = raw.select(
        season=season_of_game_expr(_game_id("GAME_ID")),
        game_date=pl.col("GAME_DATE"),
        game_id=_game_id("GAME_ID"),
        season_type=season_type_expr(_game_id("GAME_ID")),
        team_id=pl.col("TEAM_ID").cast(pl.Int64),
        team_tricode=pl.col("TEAM_ABBREVIATION").cast(pl.String),
        team_full_name=pl.col("TEAM_NAME").cast(pl.String),
        matchup=pl.col("MATCHUP"),
        # Some neutral-site games read "@" on both rows: neither team is named home, so neither is.
        is_home=pl.when(pl.col("is_home").any().over(_game_id("GAME_ID"))).then(pl.col("is_home")),
        opponent_tricode=pl.col("opponent_tricode"),
        won=_won(),
        # Whole team minutes: LeagueGameLog 240 + 25 per overtime; LeagueGameFinder sums rounded
        # player minutes, so 237-243 in regulation.
        minutes=minutes_expr(pl.col("MIN")),
        **_stat_columns(),
        source=pl.lit(source),
    )
    return TEAM_GAME_LOGS.enforce(frame)


# ---------------------------------------------------------------------- player season stats
def _utc(fetched_at: dt.datetime) -> dt.datetime:
    if fetched_at.tzinfo is None:
        raise ValueError(f"fetched_at {fetched_at!r} has no time zone (expected an aware UTC datetime)")
    return fetched_at.astimezone(dt.UTC)


def player_season_stats_from_payload(payload: dict, season: str, fetched_at: dt.datetime) -> pl.DataFrame:
    """LeagueDashPlayerStats (Base, Totals) for ``season`` as of ``fetched_at``; *_RANK dropped."""
    endpoint = name = "LeagueDashPlayerStats"
    asked = (payload.get("parameters") or {}).get("Season")
    if asked and asked != season:
        raise ValueError(f"{endpoint} response is for season {asked}, not {season}")
    raw = named_result_set(payload, endpoint, name)
    raw = raw.drop(c for c in raw.columns if c.endswith("_RANK"))
    require_columns(raw, endpoint, name, ["PLAYER_ID", "PLAYER_NAME", "TEAM_ID", "TEAM_ABBREVIATION", "AGE",
                                         "GP", "W", "L", "MIN", "BLKA", "PFD", "DD2", "TD3", *STAT_NAMES])
    if raw.is_empty():
        return PLAYER_SEASON_STATS.empty()
    frame = raw.select(
        season=pl.lit(season),
        player_id=pl.col("PLAYER_ID").cast(pl.Int64),
        player_name=pl.col("PLAYER_NAME").cast(pl.String),
        team_id=pl.col("TEAM_ID").cast(pl.Int64),
        team_tricode=pl.col("TEAM_ABBREVIATION").cast(pl.String),
        age=pl.col("AGE").cast(pl.Float64),
        games_played=pl.col("GP").cast(pl.Int32),
        wins=pl.col("W").cast(pl.Int32),
        losses=pl.col("L").cast(pl.Int32),
        # Totals mode: MIN is the season's decimal minutes.
        minutes=minutes_expr(pl.col("MIN")),
        **_stat_columns(),
        blocks_against=pl.col("BLKA").cast(pl.Int32),
        fouls_drawn=pl.col("PFD").cast(pl.Int32),
        double_doubles=pl.col("DD2").cast(pl.Int32),
        triple_doubles=pl.col("TD3").cast(pl.Int32),
        fetched_at=pl.lit(_utc(fetched_at), pl.Datetime("us", "UTC")),
    )
    return PLAYER_SEASON_STATS.enforce(frame)


# ------------------------------------------------------------------------ player game logs
def player_game_logs_from_payload(payload: dict, source: str) -> pl.DataFrame:
    """PlayerGameLog (``playergamelog``, one player) or PlayerGameLogs (``playergamelogs``).

    The singular endpoint names no team and no player: team_tricode is MATCHUP's first code,
    team_id and player_name are null.
    """
    endpoint, name = _endpoint_for(source, PLAYER_GAME_LOG_SETS, "player game log")
    raw = named_result_set(payload, endpoint, name)
    if source == "playergamelog":
        ids = {"player_id": "Player_ID", "game_id": "Game_ID"}
        team_cols: list[str] = []
    else:
        ids = {"player_id": "PLAYER_ID", "game_id": "GAME_ID"}
        team_cols = ["PLAYER_NAME", "TEAM_ID", "TEAM_ABBREVIATION"]
    require_columns(raw, endpoint, name, [*ids.values(), *team_cols, "GAME_DATE", "MATCHUP", "WL", "MIN", *STAT_NAMES])
    if raw.is_empty():
        return PLAYER_GAME_LOGS.empty()
    raw = matchup_columns(raw, endpoint, own="TEAM_ABBREVIATION" if team_cols else None).with_columns(
        parse_temporal(raw["GAME_DATE"], PLAYER_LOG_DATE_FORMATS, endpoint)
    )
    if source == "playergamelog":
        player_name = pl.lit(None, pl.String)
        team_id = pl.lit(None, pl.Int64)
        team_tricode = pl.col("own_tricode")
    else:
        player_name = pl.col("PLAYER_NAME").cast(pl.String)
        team_id = pl.col("TEAM_ID").cast(pl.Int64)
        team_tricode = pl.col("own_tricode")  # TEAM_ABBREVIATION (else MATCHUP's first code)
    game_id = _game_id(ids["game_id"])
    frame = raw.select(
        season=season_of_game_expr(game_id),
        game_date=pl.col("GAME_DATE"),
        game_id=game_id,
        season_type=season_type_expr(game_id),
        player_id=pl.col(ids["player_id"]).cast(pl.Int64),
        player_name=player_name,
        team_id=team_id,
        team_tricode=team_tricode,
        matchup=pl.col("MATCHUP"),
        is_home=pl.col("is_home"),
        opponent_tricode=pl.col("opponent_tricode"),
        won=_won(),
        # PlayerGameLog sends whole minutes (34), PlayerGameLogs decimal minutes (33.6).
        minutes=minutes_expr(pl.col("MIN")),
        **_stat_columns(),
        source=pl.lit(source),
    )
    return PLAYER_GAME_LOGS.enforce(frame)
