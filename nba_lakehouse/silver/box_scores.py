"""Traditional box scores from BoxScoreTraditionalV2, V3 and the CDN box score, one silver schema."""

from __future__ import annotations

import polars as pl

from nba_lakehouse.schemas import BOX_SCORE_PLAYERS, BOX_SCORE_TEAMS, TRADITIONAL_STATS
from nba_lakehouse.sources.payloads import result_set

V2_STAT_NAMES = {
    "FGM": "field_goals_made", "FGA": "field_goals_attempted", "FG3M": "three_pointers_made",
    "FG3A": "three_pointers_attempted", "FTM": "free_throws_made", "FTA": "free_throws_attempted",
    "OREB": "rebounds_offensive", "DREB": "rebounds_defensive", "REB": "rebounds_total",
    "AST": "assists", "STL": "steals", "BLK": "blocks", "TO": "turnovers", "PF": "fouls_personal",
    "PTS": "points", "PLUS_MINUS": "plus_minus",
}
# V3 and CDN share the camelCase statistic names.
CAMEL_STAT_NAMES = {
    "fieldGoalsMade": "field_goals_made", "fieldGoalsAttempted": "field_goals_attempted",
    "threePointersMade": "three_pointers_made", "threePointersAttempted": "three_pointers_attempted",
    "freeThrowsMade": "free_throws_made", "freeThrowsAttempted": "free_throws_attempted",
    "reboundsOffensive": "rebounds_offensive", "reboundsDefensive": "rebounds_defensive",
    "reboundsTotal": "rebounds_total", "assists": "assists", "steals": "steals", "blocks": "blocks",
    "turnovers": "turnovers", "foulsPersonal": "fouls_personal", "points": "points",
    "plusMinusPoints": "plus_minus",
}


def minutes_expr(text: pl.Expr) -> pl.Expr:
    """``36:42``, ``PT36M42.00S``, ``36`` or empty -> decimal minutes (null when absent).

    Seconds are added rather than checked against 59: the feeds write ``44:60`` (and
    ``PT44M60.00S``) for 45 minutes. Anything else (``-``, a negative number) is null.
    """
    text = text.cast(pl.String).str.strip_chars()
    iso_min = text.str.extract(r"^PT(\d+)M", 1).cast(pl.Float64)
    iso_sec = text.str.extract(r"M([\d.]+)S$", 1).cast(pl.Float64)
    mm = text.str.extract(r"^(\d+):", 1).cast(pl.Float64)
    ss = text.str.extract(r":([\d.]+)$", 1).cast(pl.Float64)
    return (
        pl.when(text.str.starts_with("PT")).then(iso_min + iso_sec.fill_null(0) / 60)
        .when(text.str.contains(":")).then(mm + ss / 60)
        .when(text.str.contains(r"^\d+(\.\d+)?$")).then(text.cast(pl.Float64, strict=False))
    )


def _finish_players(frame: pl.DataFrame, source: str) -> pl.DataFrame:
    return frame.with_columns(
        comment=pl.col("comment").str.strip_chars().replace("", None),
        position=pl.col("position").str.strip_chars().replace("", None),
        played=pl.col("minutes").fill_null(0) > 0,
        source=pl.lit(source),
    ).with_columns(pl.col(s).fill_null(0) for s in TRADITIONAL_STATS if s not in ("minutes", "plus_minus"))


# ------------------------------------------------------------------------------------ V2
def box_score_v2(payload: dict) -> tuple[pl.DataFrame, pl.DataFrame]:
    players = result_set(payload, "PlayerStats")
    teams = result_set(payload, "TeamStats")
    players = players.select(
        game_id=pl.col("GAME_ID").cast(pl.String),
        team_id=pl.col("TEAM_ID").cast(pl.Int64),
        team_tricode=pl.col("TEAM_ABBREVIATION"),
        player_id=pl.col("PLAYER_ID").cast(pl.Int64),
        player_name=pl.col("PLAYER_NAME"),
        starter=pl.col("START_POSITION").fill_null("").str.strip_chars() != "",
        position=pl.col("START_POSITION").cast(pl.String),
        comment=pl.col("COMMENT").cast(pl.String),
        minutes=minutes_expr(pl.col("MIN")),
        **{new: pl.col(old).cast(pl.Float64 if new == "plus_minus" else pl.Int32, strict=False)
           for old, new in V2_STAT_NAMES.items()},
    )
    teams = teams.select(
        game_id=pl.col("GAME_ID").cast(pl.String),
        team_id=pl.col("TEAM_ID").cast(pl.Int64),
        team_tricode=pl.col("TEAM_ABBREVIATION"),
        team_city=pl.col("TEAM_CITY"),
        team_name=pl.col("TEAM_NAME"),
        # V2 box scores do not say which team was at home; games takes it from play-by-play.
        is_home=pl.lit(None, pl.Boolean),
        minutes=minutes_expr(pl.col("MIN")),
        **{new: pl.col(old).cast(pl.Float64 if new == "plus_minus" else pl.Int32, strict=False)
           for old, new in V2_STAT_NAMES.items()},
        source=pl.lit("v2"),
    )
    return _finish_players(players, "v2"), teams


# ------------------------------------------------------------------------- V3 and CDN
STAT_FIELDS = [f"statistics.{old}" for old in ("minutes", *CAMEL_STAT_NAMES)]


def _with_absent_as_null(frame: pl.DataFrame, columns: list[str]) -> pl.DataFrame:
    # Feeds omit fields rather than sending nulls (the CDN team line has no plusMinusPoints).
    return frame.with_columns(pl.lit(None, pl.String).alias(c) for c in columns if c not in frame.columns)


def _first_five_add_up_to_starters(players: pl.DataFrame, starters: dict | None) -> bool:
    """Whether the first five players listed sum to the team's ``starters`` aggregate in minutes
    (to the second) and in every counting statistic the aggregate carries.

    Old V3 responses give a position to every player who played, so position cannot tell the
    starters; the order can, and the aggregate confirms it.
    """
    if not starters or players.height < 5:
        return False
    counted = [f"statistics.{old}" for old in CAMEL_STAT_NAMES if old in starters]
    sums = [
        (minutes_expr(pl.col("statistics.minutes")) * 60).round().cast(pl.Int64).sum(),
        *(pl.col(c).cast(pl.Int64, strict=False).sum() for c in counted),
    ]
    aggregate = _with_absent_as_null(pl.json_normalize([{"statistics": starters}]), ["statistics.minutes"])
    return players.head(5).select(sums).equals(aggregate.select(sums))


def _camel_frames(game_id: str, sides: list[tuple[dict, bool]], source: str) -> tuple[pl.DataFrame, pl.DataFrame]:
    stat_types = {new: (pl.Float64 if new == "plus_minus" else pl.Int32) for new in CAMEL_STAT_NAMES.values()}
    stat_columns = [
        pl.col(f"statistics.{old}").cast(stat_types[new], strict=False).alias(new)
        for old, new in CAMEL_STAT_NAMES.items()
    ]
    players, teams = [], []
    for team, is_home in sides:
        raw = _with_absent_as_null(
            pl.json_normalize(team["players"], infer_schema_length=None),
            ["starter", "position", "comment", "notPlayingReason", "name", *STAT_FIELDS],
        )
        if "starter" in team["players"][0]:
            is_starter = pl.col("starter") == "1"
        elif _first_five_add_up_to_starters(raw, team.get("starters")):
            is_starter = pl.int_range(pl.len()) < 5  # V3 lists the five starters first
        else:
            # The order is not confirmed (no aggregate, or the list was reordered): fall back to
            # position, which recent V3 responses give to starters only. Where the feed gave it to
            # every player this marks more than five starters, and five_starters_per_team holds
            # the game back instead of a guessed five being published.
            is_starter = pl.col("position").fill_null("") != ""
        players.append(raw.select(
            game_id=pl.lit(game_id),
            team_id=pl.lit(team["teamId"], pl.Int64),
            team_tricode=pl.lit(team.get("teamTricode"), pl.String),
            player_id=pl.col("personId").cast(pl.Int64),
            player_name=pl.coalesce(pl.col("name"), pl.concat_str("firstName", "familyName", separator=" ")),
            starter=is_starter,
            position=pl.when(is_starter).then(pl.col("position")),
            comment=pl.coalesce(pl.col("comment"), pl.col("notPlayingReason")),
            minutes=minutes_expr(pl.col("statistics.minutes")),
            *stat_columns,
        ))
        team_raw = _with_absent_as_null(pl.json_normalize([{"statistics": team["statistics"]}]), STAT_FIELDS)
        teams.append(team_raw.select(
            game_id=pl.lit(game_id),
            team_id=pl.lit(team["teamId"], pl.Int64),
            team_tricode=pl.lit(team.get("teamTricode"), pl.String),
            team_city=pl.lit(team.get("teamCity"), pl.String),
            team_name=pl.lit(team.get("teamName"), pl.String),
            is_home=pl.lit(is_home),
            minutes=minutes_expr(pl.col("statistics.minutes")),
            *stat_columns,
            source=pl.lit(source),
        ))
    return _finish_players(pl.concat(players), source), pl.concat(teams)


def box_score_v3(payload: dict) -> tuple[pl.DataFrame, pl.DataFrame]:
    box = payload["boxScoreTraditional"]
    return _camel_frames(box["gameId"], [(box["homeTeam"], True), (box["awayTeam"], False)], "v3")


def box_score_cdn(payload: dict) -> tuple[pl.DataFrame, pl.DataFrame]:
    game = payload["game"]
    return _camel_frames(game["gameId"], [(game["homeTeam"], True), (game["awayTeam"], False)], "cdn")


def box_score_from_payload(payload: dict, feed: str, game_id: str) -> tuple[pl.DataFrame, pl.DataFrame]:
    """One game's box score response to (players, teams) silver rows."""
    parsers = {"v2": box_score_v2, "v3": box_score_v3, "cdn": box_score_cdn}
    if feed not in parsers:
        raise ValueError(f"unknown box score feed {feed!r} for game {game_id} (expected v2, v3 or cdn)")
    players, teams = parsers[feed](payload)
    for name, frame in (("players", players), ("teams", teams)):
        other = set(frame["game_id"].unique()) - {game_id}
        if other:
            raise ValueError(f"box score {feed} for game {game_id} has {name} rows of other games {sorted(other)}")
    return BOX_SCORE_PLAYERS.cast(players), BOX_SCORE_TEAMS.cast(teams)
