"""The one place that declares every silver and gold table: columns, types, meaning, layout.

Writers call ``Table.enforce`` before anything reaches Parquet; the DuckDB views, the Dagster
column metadata and the readers are all generated from these declarations.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import dagster as dg
import polars as pl
import pyarrow as pa


class SchemaError(ValueError):
    """A frame does not match its table's declared schema."""


@dataclass(frozen=True)
class Column:
    name: str
    dtype: pl.DataType
    description: str
    nullable: bool = True


@dataclass(frozen=True)
class Table:
    name: str
    layer: str
    description: str
    columns: tuple[Column, ...]
    partition_by: tuple[str, ...]
    key: tuple[str, ...]
    column_index: dict[str, Column] = field(init=False, repr=False, compare=False)

    def __post_init__(self):
        object.__setattr__(self, "column_index", {c.name: c for c in self.columns})
        unknown = [c for c in (*self.partition_by, *self.key) if c not in self.column_index]
        if unknown:
            raise SchemaError(f"table {self.name}: partition/key columns {unknown} are not declared")

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]

    @property
    def polars_schema(self) -> pl.Schema:
        return pl.Schema({c.name: c.dtype for c in self.columns})

    def arrow_type(self, column: str) -> pa.DataType:
        return pl.DataFrame(schema={column: self.column_index[column].dtype}).to_arrow(
            compat_level=pl.CompatLevel.oldest()
        ).schema.field(column).type

    def cast(self, df: pl.DataFrame) -> pl.DataFrame:
        """Cast the declared columns ``df`` has to their declared types, in declared order.

        Partial frames are welcome (parsers produce rows without the partition columns); columns
        the table does not declare are kept at the end for ``enforce`` to reject.
        """
        declared = [c for c in self.column_names if c in df.columns]
        undeclared = [c for c in df.columns if c not in self.column_index]
        return df.select(declared + undeclared).cast({c: self.column_index[c].dtype for c in declared})

    def empty(self) -> pl.DataFrame:
        return pl.DataFrame(schema=self.polars_schema)

    def enforce(self, df: pl.DataFrame) -> pl.DataFrame:
        """Return ``df`` with exactly the declared columns, in order, cast to the declared types.

        Missing or undeclared columns, failed casts and nulls in non-nullable columns raise a
        ``SchemaError`` naming the table and the columns.
        """
        missing = [c for c in self.column_names if c not in df.columns]
        extra = [c for c in df.columns if c not in self.column_index]
        if missing or extra:
            raise SchemaError(
                f"table {self.layer}.{self.name}: missing columns {missing}, undeclared columns {extra}"
            )
        try:
            out = df.select(pl.col(c.name).cast(c.dtype, strict=True) for c in self.columns)
        except pl.exceptions.PolarsError as exc:
            raise SchemaError(f"table {self.layer}.{self.name}: cannot cast to declared types: {exc}") from exc
        required = [c.name for c in self.columns if not c.nullable]
        if required and out.height:
            nulls = out.select(pl.col(required).null_count()).row(0, named=True)
            bad = {k: v for k, v in nulls.items() if v}
            if bad:
                raise SchemaError(f"table {self.layer}.{self.name}: nulls in non-nullable columns {bad}")
        return out

    def dagster_table_schema(self) -> dg.TableSchema:
        return dg.TableSchema(
            columns=[
                dg.TableColumn(
                    name=c.name,
                    type=str(c.dtype),
                    description=c.description,
                    constraints=dg.TableColumnConstraints(nullable=c.nullable),
                )
                for c in self.columns
            ]
        )


# Column helpers shared by many tables ------------------------------------------------------
def _season() -> Column:
    return Column("season", pl.String, "NBA season, e.g. 2022-23 (hive partition)", nullable=False)


def _game_date() -> Column:
    return Column("game_date", pl.Date, "Game date, US Eastern (hive partition)", nullable=False)


def _game_id() -> Column:
    return Column("game_id", pl.String, "NBA game id, 10 digits, e.g. 0022200552", nullable=False)


def _source() -> Column:
    return Column("source", pl.String, "Feed the row was parsed from: v2, v3 or cdn", nullable=False)


_TRADITIONAL_LINE = (
    Column("minutes", pl.Float64, "Minutes played (decimal)"),
    Column("field_goals_made", pl.Int32, "FGM"),
    Column("field_goals_attempted", pl.Int32, "FGA"),
    Column("three_pointers_made", pl.Int32, "FG3M"),
    Column("three_pointers_attempted", pl.Int32, "FG3A"),
    Column("free_throws_made", pl.Int32, "FTM"),
    Column("free_throws_attempted", pl.Int32, "FTA"),
    Column("rebounds_offensive", pl.Int32, "OREB"),
    Column("rebounds_defensive", pl.Int32, "DREB"),
    Column("rebounds_total", pl.Int32, "REB"),
    Column("assists", pl.Int32, "AST"),
    Column("steals", pl.Int32, "STL"),
    Column("blocks", pl.Int32, "BLK"),
    Column("turnovers", pl.Int32, "TOV"),
    Column("fouls_personal", pl.Int32, "PF"),
    Column("points", pl.Int32, "PTS"),
    Column("plus_minus", pl.Float64, "Plus-minus"),
)
TRADITIONAL_STATS = tuple(c.name for c in _TRADITIONAL_LINE)

# Silver ------------------------------------------------------------------------------------
PLAY_BY_PLAY = Table(
    name="play_by_play",
    layer="silver",
    description="One row per play-by-play event, one schema for the V2, V3 and CDN feeds.",
    partition_by=("season", "game_date"),
    key=("game_id", "event_order"),
    columns=(
        _season(),
        _game_date(),
        _game_id(),
        Column("event_order", pl.Int32, "Stable order of the event within the game, from 1", nullable=False),
        _source(),
        Column("source_event_id", pl.Int64, "The feed's own event id: EVENTNUM (v2), actionId (v3), actionNumber (cdn)"),
        Column("period", pl.Int16, "Period, 1-4 regulation, 5+ overtime", nullable=False),
        Column("clock_seconds", pl.Float64, "Seconds remaining in the period", nullable=False),
        Column("event_type", pl.String, "Unified event type (made_shot, missed_shot, free_throw, rebound, turnover, foul, violation, substitution, timeout, jump_ball, period_start, period_end, ...)", nullable=False),
        Column("event_subtype", pl.String, "The feed's own sub type / action type text"),
        Column("team_id", pl.Int64, "Team of the acting player or team, when there is one"),
        Column("team_tricode", pl.String, "Tricode of team_id"),
        Column("location", pl.String, "home or away side of team_id when the feed says so (v2, v3)"),
        Column("player_id", pl.Int64, "Acting player (v3 substitution: the player going out)"),
        Column("player_name", pl.String, "Acting player's name as the feed spells it"),
        Column("player2_id", pl.Int64, "Second player: v2 PLAYER2 (substitution: player coming in), cdn assist/foul-drawn"),
        Column("shot_made", pl.Boolean, "For field goals and free throws: made or missed"),
        Column("shot_value", pl.Int8, "Points a made field goal is worth (2 or 3); 1 for free throws"),
        Column("home_score", pl.Int32, "Home score after the event, where the feed gives it"),
        Column("away_score", pl.Int32, "Away score after the event, where the feed gives it"),
        Column("possession_team_id", pl.Int64, "Team in possession according to the feed (cdn only)"),
        Column("description", pl.String, "Event description text"),
    ),
)

BOX_SCORE_PLAYERS = Table(
    name="box_score_players",
    layer="silver",
    description="Traditional box score line per player per game (DNP players included, played=false).",
    partition_by=("season", "game_date"),
    key=("game_id", "player_id"),
    columns=(
        _season(),
        _game_date(),
        _game_id(),
        Column("team_id", pl.Int64, "Player's team", nullable=False),
        Column("team_tricode", pl.String, "Team tricode"),
        Column("player_id", pl.Int64, "NBA person id", nullable=False),
        Column("player_name", pl.String, "Player name"),
        Column("starter", pl.Boolean, "Started the game (START_POSITION / position / starter flag)", nullable=False),
        Column("position", pl.String, "Starting position (F, C, G; cdn gives SF, PG, ...), null for bench"),
        Column("comment", pl.String, "DNP / DND reason, null when the player played"),
        Column("played", pl.Boolean, "Logged any playing time", nullable=False),
        *_TRADITIONAL_LINE,
        _source(),
    ),
)

BOX_SCORE_TEAMS = Table(
    name="box_score_teams",
    layer="silver",
    description="Traditional box score totals per team per game.",
    partition_by=("season", "game_date"),
    key=("game_id", "team_id"),
    columns=(
        _season(),
        _game_date(),
        _game_id(),
        Column("team_id", pl.Int64, "Team id", nullable=False),
        Column("team_tricode", pl.String, "Team tricode"),
        Column("team_city", pl.String, "Team city"),
        Column("team_name", pl.String, "Team name"),
        Column("is_home", pl.Boolean, "Home team, where the box score says so (v3, cdn; null for v2)"),
        *_TRADITIONAL_LINE,
        _source(),
    ),
)

GAMES = Table(
    name="games",
    layer="silver",
    description="One row per game: teams, final score, status.",
    partition_by=("season", "game_date"),
    key=("game_id",),
    columns=(
        _season(),
        _game_date(),
        _game_id(),
        Column("season_type", pl.String, "Pre Season, Regular Season, All-Star, Playoffs, PlayIn (from the game id)", nullable=False),
        Column("home_team_id", pl.Int64, "Home team id"),
        Column("home_team_tricode", pl.String, "Home team tricode"),
        Column("away_team_id", pl.Int64, "Away team id"),
        Column("away_team_tricode", pl.String, "Away team tricode"),
        Column("home_score", pl.Int32, "Home final score (box score team points)"),
        Column("away_score", pl.Int32, "Away final score (box score team points)"),
        Column("winner_team_id", pl.Int64, "Winning team id, null unless final"),
        Column("periods", pl.Int16, "Periods played (5+ means overtime)"),
        Column("status", pl.String, "final when the play-by-play reached the end of a decided game, else in_progress", nullable=False),
        Column("play_by_play_source", pl.String, "Feed of the game's play-by-play"),
        Column("box_score_source", pl.String, "Feed of the game's box score"),
    ),
)

# Gold --------------------------------------------------------------------------------------
EVENT_STATE = Table(
    name="event_state",
    layer="gold",
    description="Game state after every play-by-play event: clock, score, margin, possession, leader.",
    partition_by=("season", "game_date"),
    key=("game_id", "event_order"),
    columns=(
        _season(),
        _game_date(),
        _game_id(),
        Column("event_order", pl.Int32, "Event order within the game", nullable=False),
        Column("period", pl.Int16, "Period", nullable=False),
        Column("event_type", pl.String, "Unified event type", nullable=False),
        Column("team_id", pl.Int64, "Acting team"),
        Column("seconds_remaining_period", pl.Float64, "Seconds left in the period", nullable=False),
        Column("seconds_remaining_game", pl.Float64, "Seconds left in regulation; in overtime, seconds left in the overtime period", nullable=False),
        Column("seconds_elapsed_game", pl.Float64, "Seconds of game time played since tip-off", nullable=False),
        Column("home_score", pl.Int32, "Home score (forward-filled)", nullable=False),
        Column("away_score", pl.Int32, "Away score (forward-filled)", nullable=False),
        Column("point_differential", pl.Int32, "home_score - away_score", nullable=False),
        Column("possession_side", pl.Int8, "0 home, 1 away, null unknown (cdn: the feed; else inferred from the acting team of possession events)"),
        Column("current_winning_team", pl.Int8, "0 home leads, 1 away leads, null tied"),
        Column("final_winning_team", pl.Int8, "0 home won, 1 away won, null if not final"),
    ),
)

STARTER_SPLITS = Table(
    name="starter_splits",
    layer="gold",
    description="Per player per season: games started vs off the bench, and per-role averages.",
    partition_by=("season",),
    key=("player_id",),
    columns=(
        _season(),
        Column("player_id", pl.Int64, "NBA person id", nullable=False),
        Column("player_name", pl.String, "Player name (latest seen)"),
        Column("games_started", pl.Int32, "Games started", nullable=False),
        Column("games_bench", pl.Int32, "Games played off the bench", nullable=False),
        Column("starter_minutes", pl.Float64, "Average minutes as a starter"),
        Column("starter_points", pl.Float64, "Average points as a starter"),
        Column("starter_rebounds", pl.Float64, "Average rebounds as a starter"),
        Column("starter_assists", pl.Float64, "Average assists as a starter"),
        Column("bench_minutes", pl.Float64, "Average minutes off the bench"),
        Column("bench_points", pl.Float64, "Average points off the bench"),
        Column("bench_rebounds", pl.Float64, "Average rebounds off the bench"),
        Column("bench_assists", pl.Float64, "Average assists off the bench"),
    ),
)

TABLES: dict[str, Table] = {
    t.name: t for t in (PLAY_BY_PLAY, BOX_SCORE_PLAYERS, BOX_SCORE_TEAMS, GAMES, EVENT_STATE, STARTER_SPLITS)
}
