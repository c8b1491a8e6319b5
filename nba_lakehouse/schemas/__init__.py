"""The one place that declares every silver and gold table: columns, types, meaning, layout, key and rules.

``machinery`` says what a declaration is and checks frames against it (``Table.enforce``), ``silver``
and ``gold`` declare the tables. Writers call ``Table.enforce`` before anything reaches Parquet; the
DuckDB views, the Dagster column metadata and the readers are all generated from these declarations.
Nothing here imports Dagster, so charts, notebooks and scripts can use the schemas without it.
"""

from nba_lakehouse.schemas.gold import (
    CLUTCH_SPLITS,
    EVENT_STATE,
    PLAYER_GAME_WPA,
    PLAYERS_ON_COURT,
    POSSESSIONS,
    STARTER_SPLITS,
    STINTS,
    TEAM_GAME_STATS,
    WIN_PROBABILITY,
)
from nba_lakehouse.schemas.machinery import Column, SchemaError, Table
from nba_lakehouse.schemas.silver import (
    BOX_SCORE_PLAYERS,
    BOX_SCORE_TEAMS,
    GAME_ISSUES,
    GAME_OFFICIALS,
    GAME_ROTATIONS,
    GAME_STATUS,
    GAME_SUMMARIES,
    GAMES,
    INACTIVE_PLAYERS,
    LINE_SCORES,
    PLAY_BY_PLAY,
    PLAYER_GAME_LOGS,
    PLAYER_HUSTLE_STATS,
    PLAYER_SEASON_STATS,
    PLAYERS,
    SCHEDULE,
    SCOREBOARD_GAMES,
    SHOTS,
    TEAM_GAME_LOGS,
    TEAMS,
    TRADITIONAL_STATS,
)

TABLES: dict[str, Table] = {
    t.name: t
    for t in (
        TEAMS, PLAYERS, SCHEDULE, SCOREBOARD_GAMES, TEAM_GAME_LOGS, GAMES, PLAY_BY_PLAY, BOX_SCORE_PLAYERS,
        BOX_SCORE_TEAMS, SHOTS, PLAYER_HUSTLE_STATS, GAME_ROTATIONS, GAME_SUMMARIES, LINE_SCORES,
        GAME_OFFICIALS, INACTIVE_PLAYERS, PLAYER_SEASON_STATS, PLAYER_GAME_LOGS, GAME_ISSUES, EVENT_STATE, STARTER_SPLITS,
        PLAYERS_ON_COURT, POSSESSIONS, STINTS, TEAM_GAME_STATS, CLUTCH_SPLITS, WIN_PROBABILITY, PLAYER_GAME_WPA,
    )
}

__all__ = [
    "BOX_SCORE_PLAYERS",
    "BOX_SCORE_TEAMS",
    "CLUTCH_SPLITS",
    "Column",
    "EVENT_STATE",
    "GAMES",
    "GAME_ISSUES",
    "GAME_OFFICIALS",
    "GAME_ROTATIONS",
    "GAME_STATUS",
    "GAME_SUMMARIES",
    "INACTIVE_PLAYERS",
    "LINE_SCORES",
    "PLAYERS",
    "PLAYERS_ON_COURT",
    "PLAYER_GAME_LOGS",
    "PLAYER_GAME_WPA",
    "PLAYER_HUSTLE_STATS",
    "PLAYER_SEASON_STATS",
    "PLAY_BY_PLAY",
    "POSSESSIONS",
    "SCHEDULE",
    "SCOREBOARD_GAMES",
    "SHOTS",
    "STARTER_SPLITS",
    "STINTS",
    "SchemaError",
    "TABLES",
    "TEAMS",
    "TEAM_GAME_LOGS",
    "TEAM_GAME_STATS",
    "TRADITIONAL_STATS",
    "Table",
    "WIN_PROBABILITY",
]
