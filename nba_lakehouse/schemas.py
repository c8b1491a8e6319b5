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
    source: str = ""  # the raw fields it is parsed from, for the data dictionary


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
def _season(source: str = "derived: per-game rows: game id digits 4-5 (season start year), e.g. 0022200552 -> 2022-23; "
                          "season-level endpoints: the requested Season") -> Column:
    return Column("season", pl.String, "NBA season, e.g. 2022-23 (hive partition)", nullable=False, source=source)


def _game_date(source: str = "bronze manifest game_date (the game-date partition the game's response was archived under)") -> Column:
    return Column("game_date", pl.Date, "Game date, US Eastern (hive partition)", nullable=False, source=source)


def _game_id(source: str = "GAME_ID (stats API result sets) / gameId (V3, CDN); else the requested GameID") -> Column:
    return Column("game_id", pl.String, "NBA game id, 10 digits, e.g. 0022200552", nullable=False, source=source)


def _source() -> Column:
    return Column("source", pl.String, "Feed the row was parsed from: v2, v3 or cdn", nullable=False,
                  source="bronze manifest feed (the endpoint the game's response came from)")


_TRADITIONAL_LINE = (
    Column("minutes", pl.Float64, "Minutes played (decimal)",
           source="MIN (V2 box score 'MM:SS'; season endpoints: a number of minutes) / minutes (V3 'MM:SS', CDN 'PT36M42.00S')"),
    Column("field_goals_made", pl.Int32, "Field goals made",
           source="FGM (V2 and season endpoints) / fieldGoalsMade (V3, CDN)"),
    Column("field_goals_attempted", pl.Int32, "Field goals attempted",
           source="FGA (V2 and season endpoints) / fieldGoalsAttempted (V3, CDN)"),
    Column("three_pointers_made", pl.Int32, "Three-pointers made",
           source="FG3M (V2 and season endpoints) / threePointersMade (V3, CDN)"),
    Column("three_pointers_attempted", pl.Int32, "Three-pointers attempted",
           source="FG3A (V2 and season endpoints) / threePointersAttempted (V3, CDN)"),
    Column("free_throws_made", pl.Int32, "Free throws made",
           source="FTM (V2 and season endpoints) / freeThrowsMade (V3, CDN)"),
    Column("free_throws_attempted", pl.Int32, "Free throws attempted",
           source="FTA (V2 and season endpoints) / freeThrowsAttempted (V3, CDN)"),
    Column("rebounds_offensive", pl.Int32, "Offensive rebounds",
           source="OREB (V2 and season endpoints) / reboundsOffensive (V3, CDN)"),
    Column("rebounds_defensive", pl.Int32, "Defensive rebounds",
           source="DREB (V2 and season endpoints) / reboundsDefensive (V3, CDN)"),
    Column("rebounds_total", pl.Int32, "Total rebounds",
           source="REB (V2 and season endpoints) / reboundsTotal (V3, CDN)"),
    Column("assists", pl.Int32, "Assists",
           source="AST (V2 and season endpoints) / assists (V3, CDN)"),
    Column("steals", pl.Int32, "Steals",
           source="STL (V2 and season endpoints) / steals (V3, CDN)"),
    Column("blocks", pl.Int32, "Blocks",
           source="BLK (V2 and season endpoints) / blocks (V3, CDN)"),
    Column("turnovers", pl.Int32, "Turnovers",
           source="TO (V2 box score) / TOV (season endpoints) / turnovers (V3, CDN)"),
    Column("fouls_personal", pl.Int32, "Personal fouls",
           source="PF (V2 and season endpoints) / foulsPersonal (V3, CDN)"),
    Column("points", pl.Int32, "Points",
           source="PTS (V2 and season endpoints) / points (V3, CDN)"),
    Column("plus_minus", pl.Float64, "Plus-minus",
           source="PLUS_MINUS (V2 and season endpoints) / plusMinusPoints (V3, CDN players; the CDN team line has none: null)"),
)
TRADITIONAL_STATS = tuple(c.name for c in _TRADITIONAL_LINE)
GAME_STATUS = "scheduled, in_progress or final"

# Silver ------------------------------------------------------------------------------------
def _secondary_players() -> tuple[Column, ...]:
    """The players an event names besides the acting one (silver.play_by_play.SECONDARY_COLUMNS)."""
    resolved = "V3: the name in the description resolved through the game's rosters (silver.names)"
    return (
        Column("assist_player_id", pl.Int64, "Made field goals: the assisting player",
               source=f"V2 PLAYER2_ID (EVENTMSGTYPE 1) / CDN assistPersonId / {resolved}, from '(Name N AST)'"),
        Column("steal_player_id", pl.Int64, "Turnovers: the player who stole the ball",
               source="V2 PLAYER2_ID (EVENTMSGTYPE 5) / CDN stealPersonId / V3 personId of the STEAL row with the turnover's actionNumber"),
        Column("block_player_id", pl.Int64, "Missed field goals: the player who blocked the shot",
               source="V2 PLAYER3_ID (EVENTMSGTYPE 2) / CDN blockPersonId / V3 personId of the BLOCK row with the shot's actionNumber"),
        Column("foul_drawn_player_id", pl.Int64, "Fouls: the player fouled (v2, cdn; V3 names only the official)",
               source="V2 PLAYER2_ID (EVENTMSGTYPE 6) / CDN foulDrawnPersonId / V3: null"),
        Column("jump_ball_home_player_id", pl.Int64, "Jump balls: the home team's jumper",
               source=f"V2 PLAYER1_ID or PLAYER2_ID with PERSONnTYPE 4 / CDN jumpBallWonPersonId or jumpBallLostPersonId of the home team / V3 personId or {resolved}, from 'Jump Ball A vs. B'"),
        Column("jump_ball_away_player_id", pl.Int64, "Jump balls: the away team's jumper",
               source=f"V2 PLAYER1_ID or PLAYER2_ID with PERSONnTYPE 5 / CDN jumpBallWonPersonId or jumpBallLostPersonId of the away team / V3 personId or {resolved}, from 'Jump Ball A vs. B'"),
        Column("jump_ball_possession_player_id", pl.Int64, "Jump balls: the player the ball was tipped to",
               source=f"V2 PLAYER3_ID (EVENTMSGTYPE 10) / CDN jumpBallRecoverdPersonId / {resolved}, from 'Tip to C'"),
        Column("sub_in_player_id", pl.Int64, "Substitutions: the player coming in",
               source=f"V2 PLAYER2_ID (EVENTMSGTYPE 8) / CDN personId of the 'in' row / {resolved}, from 'SUB: X FOR Y'"),
        Column("sub_out_player_id", pl.Int64, "Substitutions: the player going out",
               source="V2 PLAYER1_ID (EVENTMSGTYPE 8) / CDN personId of the 'out' row / V3 personId"),
    )


PLAY_BY_PLAY = Table(
    name="play_by_play",
    layer="silver",
    description="One row per play-by-play event, one schema for the V2, V3 and CDN feeds.",
    partition_by=("season", "game_date"),
    key=("game_id", "event_order"),
    columns=(
        _season(),
        _game_date(),
        _game_id("V2 GAME_ID / V3, CDN: the requested game id (bronze manifest game_id)"),
        Column("event_order", pl.Int32, "Stable order of the event within the game, from 1", nullable=False,
               source="derived: 1..n within the game in V2 result-set row order / V3 actionId order / CDN orderNumber order"),
        _source(),
        Column("source_event_id", pl.Int64, "The feed's own event id: EVENTNUM (v2), actionId (v3), actionNumber (cdn)",
               source="V2 EVENTNUM / V3 actionId / CDN actionNumber"),
        Column("period", pl.Int16, "Period, 1-4 regulation, 5+ overtime", nullable=False,
               source="V2 PERIOD / V3 period / CDN period"),
        Column("clock_seconds", pl.Float64, "Seconds remaining in the period", nullable=False,
               source="V2 PCTIMESTRING 'MM:SS' / V3 clock / CDN clock ('PT11M42.50S')"),
        Column("event_type", pl.String, "Unified event type (made_shot, missed_shot, free_throw, rebound, turnover, foul, violation, substitution, timeout, jump_ball, period_start, period_end, ...)", nullable=False,
               source="V2 EVENTMSGTYPE (code) / V3 actionType (blank: STEAL or BLOCK in description; period: + subType) / CDN actionType (2pt, 3pt: + shotResult; period, game: + subType)"),
        Column("event_subtype", pl.String, "The feed's own sub type / action type text",
               source="V2 EVENTMSGACTIONTYPE (numeric code as text) / V3 subType / CDN subType"),
        Column("team_id", pl.Int64, "Team of the acting player or team, when there is one",
               source="V2 PLAYER1_TEAM_ID (PERSON1TYPE 4/5) or PLAYER1_ID (PERSON1TYPE 2/3, team rows) / V3 teamId, else personId when it is a team id / CDN teamId"),
        Column("team_tricode", pl.String, "Tricode of team_id",
               source="V2 PLAYER1_TEAM_ABBREVIATION / V3 teamTricode / CDN teamTricode"),
        Column("location", pl.String, "home or away side of team_id when the feed says so (v2, v3)",
               source="V2 PERSON1TYPE (2/4 home, 3/5 away) / V3 location (h, v) / CDN: null"),
        Column("player_id", pl.Int64, "Acting player (v3 substitution: the player going out)",
               source="V2 PLAYER1_ID (PERSON1TYPE 4/5) / V3 personId / CDN personId (team ids dropped)"),
        Column("player_name", pl.String, "Acting player's name as the feed spells it",
               source="V2 PLAYER1_NAME (PERSON1TYPE 4/5) / V3 playerName / CDN playerName"),
        *_secondary_players(),
        Column("shot_made", pl.Boolean, "For field goals and free throws: made or missed",
               source="V2 EVENTMSGTYPE 1/2, free throws: no 'MISS ' in the description / V3 actionType Made Shot/Missed Shot, free throws: description not starting 'MISS' / CDN shotResult"),
        Column("shot_value", pl.Int8, "Points a made field goal is worth (2 or 3); 1 for free throws, except the "
               "G League's one-shot free throws (worth the shot's value)",
               source="V2 '3PT' in the description / V3 shotValue, else '3PT' in description / CDN actionType 2pt, 3pt; "
                      "free throws 1, or N for 'Free Throw NPT' in the V3 or CDN sub type or description (G League)"),
        Column("home_score", pl.Int32, "Home score after the event, where the feed gives it",
               source="V2 SCORE ('AWAY - HOME', second number) / V3 scoreHome / CDN scoreHome"),
        Column("away_score", pl.Int32, "Away score after the event, where the feed gives it",
               source="V2 SCORE ('AWAY - HOME', first number) / V3 scoreAway / CDN scoreAway"),
        Column("possession_team_id", pl.Int64, "Team in possession according to the feed (cdn only)",
               source="CDN possession (0: null) / V2, V3: null"),
        Column("description", pl.String, "Event description text",
               source="V2 HOMEDESCRIPTION, NEUTRALDESCRIPTION, VISITORDESCRIPTION joined by ' | ' / V3 description / CDN description"),
        Column("time_actual", pl.Datetime("us", "UTC"), "Wall-clock time the event was logged (cdn only)",
               source="CDN timeActual / V2, V3: null"),
        Column("qualifiers", pl.List(pl.String),
               "The feed's qualifiers of the event (cdn only): fastbreak, 2ndchance, pointsinthepaint, fromturnover, ...",
               source="CDN qualifiers / V2, V3: null"),
        Column("shot_x", pl.Int64, "Field goals: shot location across the court, legacy shot-chart units (tenths of feet from the basket)",
               source="V3 xLegacy / CDN xLegacy / V2: null"),
        Column("shot_y", pl.Int64, "Field goals: shot location along the court, legacy shot-chart units (tenths of feet from the basket)",
               source="V3 yLegacy / CDN yLegacy / V2: null"),
        Column("shot_distance", pl.Float64, "Field goals: distance from the basket in feet",
               source="V3 shotDistance / CDN shotDistance / V2: null"),
        Column("repair_rule", pl.String,
               "Feed repairs applied to the row, comma-separated rule names (silver.repairs.REPAIR_RULES); null when the row is as the feed gave it",
               source="derived: silver.repairs.repair_play_by_play"),
        Column("original_event_order", pl.Int32, "event_order before a repair moved the row; null when its place did not change",
               source="derived: event_order as parsed, kept by silver.repairs.repair_play_by_play"),
        Column("original_home_score", pl.Int32, "home_score as the feed gave it, where a repair changed it; else null",
               source="derived: home_score as parsed, kept by silver.repairs.repair_play_by_play"),
        Column("original_away_score", pl.Int32, "away_score as the feed gave it, where a repair changed it; else null",
               source="derived: away_score as parsed, kept by silver.repairs.repair_play_by_play"),
        Column("original_shot_made", pl.Boolean, "shot_made as parsed, where a repair changed it; else null",
               source="derived: shot_made as parsed, kept by silver.repairs.repair_play_by_play"),
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
        _game_id("V2 GAME_ID / V3 boxScoreTraditional.gameId / CDN game.gameId"),
        Column("team_id", pl.Int64, "Player's team", nullable=False,
               source="V2 TEAM_ID / V3, CDN homeTeam.teamId or awayTeam.teamId"),
        Column("team_tricode", pl.String, "Team tricode",
               source="V2 TEAM_ABBREVIATION / V3 teamTricode / CDN teamTricode"),
        Column("player_id", pl.Int64, "NBA person id", nullable=False,
               source="V2 PLAYER_ID / V3 personId / CDN personId"),
        Column("player_name", pl.String, "Player name",
               source="V2 PLAYER_NAME / V3 firstName + ' ' + familyName / CDN name"),
        Column("starter", pl.Boolean, "Started the game (START_POSITION / listed first / starter flag)", nullable=False,
               source="V2 START_POSITION non-blank / V3 the first five players when their minutes and counting "
                      "statistics add up to the team's starters aggregate, else position non-blank / CDN starter = '1'"),
        Column("position", pl.String, "Starting position (F, C, G; cdn gives SF, PG, ...), null for bench",
               source="V2 START_POSITION / V3 position / CDN position, kept for starters only (old V3 responses "
                      "give every player who played a position)"),
        Column("comment", pl.String, "DNP / DND reason, null when the player played",
               source="V2 COMMENT / V3 comment / CDN notPlayingReason"),
        Column("played", pl.Boolean, "Logged any playing time", nullable=False,
               source="derived: minutes > 0"),
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
        _game_id("V2 GAME_ID / V3 boxScoreTraditional.gameId / CDN game.gameId"),
        Column("team_id", pl.Int64, "Team id", nullable=False,
               source="V2 TEAM_ID / V3, CDN homeTeam.teamId or awayTeam.teamId"),
        Column("team_tricode", pl.String, "Team tricode",
               source="V2 TEAM_ABBREVIATION / V3 teamTricode / CDN teamTricode"),
        Column("team_city", pl.String, "Team city",
               source="V2 TEAM_CITY / V3 teamCity / CDN teamCity"),
        Column("team_name", pl.String, "Team name",
               source="V2 TEAM_NAME / V3 teamName / CDN teamName"),
        Column("is_home", pl.Boolean, "Home team, where the box score says so (v3, cdn; null for v2)",
               source="V2: null / V3, CDN: homeTeam (true) or awayTeam (false)"),
        *_TRADITIONAL_LINE,
        _source(),
    ),
)

GAMES = Table(
    name="games",
    layer="silver",
    description=(
        "One row per game of a season, reconciled from every source that saw it: the schedule, "
        "the scoreboards, the season game logs, the box scores and the play-by-play."
    ),
    partition_by=("season", "game_date"),
    key=("game_id",),
    columns=(
        _season(),
        Column("game_date", pl.Date, "Game date, US Eastern (hive partition): where it was played, else scheduled", nullable=False,
               source="box score partition; team_game_logs GAME_DATE; scoreboard date; schedule gameDateEst"),
        _game_id(),
        Column("season_type", pl.String, "Pre Season, Regular Season, All-Star, Playoffs, PlayIn (from the game id)", nullable=False, source="game id digit 3"),
        Column("status", pl.String, GAME_STATUS + ": final as soon as any source says so", nullable=False,
               source="play-by-play end, game log row, scoreboard/schedule gameStatus"),
        Column("home_team_id", pl.Int64, "Home team id", source="box score / play-by-play location / game log MATCHUP / scoreboard / schedule"),
        Column("home_team_tricode", pl.String, "Home team tricode", source="same sources as home_team_id"),
        Column("away_team_id", pl.Int64, "Away team id", source="same sources as home_team_id"),
        Column("away_team_tricode", pl.String, "Away team tricode", source="same sources as home_team_id"),
        Column("home_score", pl.Int32, "Home final (or latest) score", source="box score PTS, else game log PTS, else scoreboard, else schedule score"),
        Column("away_score", pl.Int32, "Away final (or latest) score", source="as home_score"),
        Column("score_source", pl.String, "Which source the scores come from: box_score, team_game_logs, scoreboard or schedule", source="derived"),
        Column("winner_team_id", pl.Int64, "Winning team id, null unless final", source="derived from the scores"),
        Column("periods", pl.Int16, "Periods played (5+ means overtime), from the play-by-play", source="play-by-play max period"),
        Column("arena_name", pl.String, "Arena", source="schedule arenaName / ScoreboardV2 ARENA_NAME"),
        Column("game_time_utc", pl.Datetime("us", "UTC"), "Scheduled tip-off", source="schedule gameDateTimeUTC"),
        Column("sources", pl.String, "Every source that saw the game, comma-separated", nullable=False, source="derived"),
        Column("play_by_play_source", pl.String, "Feed of the game's play-by-play (v2, v3, cdn)", source="bronze feed"),
        Column("box_score_source", pl.String, "Feed of the game's box score (v2, v3, cdn)", source="bronze feed"),
    ),
)

# Reference data (not partitioned) ---------------------------------------------------------
TEAMS = Table(
    name="teams",
    layer="silver",
    description=(
        "One row per team identity and the seasons it was valid for: tricodes and names change "
        "(NJN -> BKN), team ids do not. Franchise years from CommonTeamYears; identities observed "
        "in the season game logs, box scores and schedules, else nba_api's static (current) list."
    ),
    partition_by=(),
    key=("team_id", "first_season"),
    columns=(
        Column("team_id", pl.Int64, "NBA team id", nullable=False, source="CommonTeamYears TEAM_ID; static teams id"),
        Column("team_tricode", pl.String, "Three-letter code valid in these seasons", source="TEAM_ABBREVIATION / teamTricode / static abbreviation"),
        Column("team_city", pl.String, "City valid in these seasons", source="TEAM_CITY / teamCity / static city"),
        Column("team_name", pl.String, "Nickname valid in these seasons, e.g. Cavaliers", source="TEAM_NAME / teamName / static nickname"),
        Column("first_season", pl.String, "First season this identity is valid for", nullable=False, source="derived: seasons observed, else franchise years"),
        Column("last_season", pl.String, "Last season this identity is valid for", nullable=False, source="derived: seasons observed, else franchise years"),
        Column("franchise_first_season", pl.String, "First season of the franchise in the NBA", source="CommonTeamYears MIN_YEAR; static year_founded"),
        Column("franchise_last_season", pl.String, "Last season of the franchise (the current season for active teams)", source="CommonTeamYears MAX_YEAR"),
        Column("is_active", pl.Boolean, "In nba_api's list of current teams", nullable=False, source="nba_api static teams"),
        Column("identity_source", pl.String, "observed (seen in the data of at least one of these seasons) or static (nba_api's current identity, assumed: no season of the range was seen)", nullable=False, source="derived"),
    ),
)

PLAYERS = Table(
    name="players",
    layer="silver",
    description="One row per player: nba_api's static player list plus every player seen in the silver tables, with the seasons seen.",
    partition_by=(),
    key=("player_id",),
    columns=(
        Column("player_id", pl.Int64, "NBA person id", nullable=False, source="static players id; PLAYER_ID / personId"),
        Column("player_name", pl.String, "Full name (static list, else the latest name seen)", source="static full_name; PLAYER_NAME / name"),
        Column("first_name", pl.String, "First name", source="static first_name"),
        Column("last_name", pl.String, "Last name", source="static last_name"),
        Column("is_active", pl.Boolean, "Active according to nba_api's static list (null when not listed)", source="static is_active"),
        Column("in_static_list", pl.Boolean, "Listed in nba_api's static players", nullable=False, source="derived"),
        Column("first_season_seen", pl.String, "First season the player appears in a silver table", source="derived: box scores, game logs, season stats, shots, hustle, rotations"),
        Column("last_season_seen", pl.String, "Last season the player appears in a silver table", source="derived"),
        Column("box_score_games", pl.Int32, "Games with a box score line (played or not)", nullable=False, source="derived: box_score_players"),
        Column("last_team_id", pl.Int64, "Team of the player's latest box score line or game log", source="derived"),
    ),
)

# Season-level sources -----------------------------------------------------------------------
def _team_side(side: str, field: str) -> tuple[Column, ...]:
    return (
        Column(f"{side}_team_id", pl.Int64, f"{side.capitalize()} team id", source=f"{field}.teamId"),
        Column(f"{side}_team_tricode", pl.String, f"{side.capitalize()} team tricode", source=f"{field}.teamTricode"),
        Column(f"{side}_team_city", pl.String, f"{side.capitalize()} team city", source=f"{field}.teamCity"),
        Column(f"{side}_team_name", pl.String, f"{side.capitalize()} team nickname", source=f"{field}.teamName"),
        Column(f"{side}_score", pl.Int32, f"{side.capitalize()} score, null until the game starts", source=f"{field}.score"),
    )



SCHEDULE = Table(
    name="schedule",
    layer="silver",
    description="Every game of a season as ScheduleLeagueV2 lists it (stats API or CDN), including games not yet played.",
    partition_by=("season", "game_date"),
    key=("game_id",),
    columns=(
        _season(),
        Column("game_date", pl.Date, "Scheduled game date, US Eastern (hive partition)", nullable=False, source="gameDateEst"),
        _game_id(),
        Column("game_code", pl.String, "YYYYMMDD/AWYHOM", source="gameCode"),
        Column("season_type", pl.String, "From the game id: Pre Season, Regular Season, All-Star, Playoffs, PlayIn, ...", nullable=False, source="gameId digit 3"),
        Column("status", pl.String, GAME_STATUS, nullable=False, source="gameStatus 1/2/3"),
        Column("status_text", pl.String, "The schedule's own status text (tip-off time, Final, PPD)", source="gameStatusText"),
        Column("game_time_utc", pl.Datetime("us", "UTC"), "Scheduled tip-off", source="gameDateTimeUTC"),
        *_team_side("home", "homeTeam"),
        *_team_side("away", "awayTeam"),
        Column("arena_name", pl.String, "Arena", source="arenaName"),
        Column("arena_city", pl.String, "Arena city", source="arenaCity"),
        Column("arena_state", pl.String, "Arena state or province", source="arenaState"),
        Column("week_number", pl.Int16, "Week of the season (0 before opening week)", source="weekNumber"),
        Column("series_text", pl.String, "Playoff series / tournament text", source="seriesText"),
        Column("postponed_status", pl.String, "A (as scheduled), P (postponed), ...", source="postponedStatus"),
        Column("source", pl.String, "scheduleleaguev2 (stats API) or cdn_scheduleleaguev2", nullable=False, source="bronze endpoint"),
    ),
)

SCOREBOARD_GAMES = Table(
    name="scoreboard_games",
    layer="silver",
    description="Games as the day's scoreboard (ScoreboardV3, else ScoreboardV2) showed them when fetched: status and scores.",
    partition_by=("season", "game_date"),
    key=("game_id",),
    columns=(
        _season(),
        Column("game_date", pl.Date, "Scoreboard date, US Eastern (hive partition)", nullable=False, source="request GameDate"),
        _game_id(),
        Column("status", pl.String, GAME_STATUS, nullable=False, source="gameStatus / GAME_STATUS_ID"),
        Column("status_text", pl.String, "Status text when fetched", source="gameStatusText / GAME_STATUS_TEXT"),
        Column("period", pl.Int16, "Current or last period", source="period / LIVE_PERIOD"),
        Column("home_team_id", pl.Int64, "Home team id", source="homeTeam.teamId / HOME_TEAM_ID"),
        Column("home_team_tricode", pl.String, "Home team tricode", source="homeTeam.teamTricode / LineScore TEAM_ABBREVIATION"),
        Column("home_score", pl.Int32, "Home score when fetched (null before tip-off)", source="homeTeam.score / LineScore PTS"),
        Column("away_team_id", pl.Int64, "Away team id", source="awayTeam.teamId / VISITOR_TEAM_ID"),
        Column("away_team_tricode", pl.String, "Away team tricode", source="awayTeam.teamTricode / LineScore TEAM_ABBREVIATION"),
        Column("away_score", pl.Int32, "Away score when fetched", source="awayTeam.score / LineScore PTS"),
        Column("arena_name", pl.String, "Arena (ScoreboardV2 only)", source="GameHeader ARENA_NAME"),
        Column("fetched_at", pl.Datetime("us", "UTC"), "When the scoreboard was fetched", nullable=False, source="bronze manifest fetched_at"),
        Column("source", pl.String, "scoreboardv3 or scoreboardv2", nullable=False, source="bronze endpoint"),
    ),
)

TEAM_GAME_LOGS = Table(
    name="team_game_logs",
    layer="silver",
    description="One row per team per completed regular-season game, from LeagueGameLog (else LeagueGameFinder).",
    partition_by=("season", "game_date"),
    key=("game_id", "team_id"),
    columns=(
        _season(),
        Column("game_date", pl.Date, "Game date, US Eastern (hive partition)", nullable=False, source="GAME_DATE"),
        _game_id(),
        Column("season_type", pl.String, "Season type from the game id", nullable=False, source="GAME_ID"),
        Column("team_id", pl.Int64, "Team id", nullable=False, source="TEAM_ID"),
        Column("team_tricode", pl.String, "Team tricode that season", source="TEAM_ABBREVIATION"),
        Column("team_full_name", pl.String, "Team city and nickname that season", source="TEAM_NAME"),
        Column("matchup", pl.String, "e.g. 'LAL @ DEN' (away) or 'DEN vs. LAL' (home)", source="MATCHUP"),
        Column("is_home", pl.Boolean, "Home team (the matchup reads 'vs.'); null for both teams of a neutral-site game whose two rows both read '@'", source="MATCHUP"),
        Column("opponent_tricode", pl.String, "Opponent's tricode", source="MATCHUP"),
        Column("won", pl.Boolean, "Won the game", source="WL"),
        *_TRADITIONAL_LINE,
        Column("source", pl.String, "leaguegamelog or leaguegamefinder", nullable=False, source="bronze endpoint"),
    ),
)

PLAYER_SEASON_STATS = Table(
    name="player_season_stats",
    layer="silver",
    description="Per player per season: regular-season totals from LeagueDashPlayerStats (Base, Totals) as of the fetch.",
    partition_by=("season",),
    key=("player_id", "team_id"),
    columns=(
        _season(),
        Column("player_id", pl.Int64, "NBA person id", nullable=False, source="PLAYER_ID"),
        Column("player_name", pl.String, "Player name", source="PLAYER_NAME"),
        Column("team_id", pl.Int64, "Current (last) team", nullable=False, source="TEAM_ID"),
        Column("team_tricode", pl.String, "Team tricode", source="TEAM_ABBREVIATION"),
        Column("age", pl.Float64, "Age", source="AGE"),
        Column("games_played", pl.Int32, "Games played", source="GP"),
        Column("wins", pl.Int32, "Wins in games played", source="W"),
        Column("losses", pl.Int32, "Losses in games played", source="L"),
        *_TRADITIONAL_LINE,
        Column("blocks_against", pl.Int32, "Own shots blocked", source="BLKA"),
        Column("fouls_drawn", pl.Int32, "Personal fouls drawn", source="PFD"),
        Column("double_doubles", pl.Int32, "Double-doubles", source="DD2"),
        Column("triple_doubles", pl.Int32, "Triple-doubles", source="TD3"),
        Column("fetched_at", pl.Datetime("us", "UTC"), "When the totals were fetched (they grow during a season)", nullable=False, source="bronze manifest fetched_at"),
    ),
)

PLAYER_GAME_LOGS = Table(
    name="player_game_logs",
    layer="silver",
    description="One row per player per regular-season game, from PlayerGameLogs (all players) or PlayerGameLog (one player).",
    partition_by=("season", "game_date"),
    key=("game_id", "player_id"),
    columns=(
        _season(),
        Column("game_date", pl.Date, "Game date, US Eastern (hive partition)", nullable=False, source="GAME_DATE"),
        _game_id(),
        Column("season_type", pl.String, "Season type from the game id", nullable=False, source="Game_ID / GAME_ID"),
        Column("player_id", pl.Int64, "NBA person id", nullable=False, source="Player_ID / PLAYER_ID"),
        Column("player_name", pl.String, "Player name (PlayerGameLogs only)", source="PLAYER_NAME"),
        Column("team_id", pl.Int64, "Player's team (PlayerGameLogs only)", source="TEAM_ID"),
        Column("team_tricode", pl.String, "Player's team tricode", source="TEAM_ABBREVIATION; MATCHUP's first code"),
        Column("matchup", pl.String, "e.g. 'CLE @ CHA'", source="MATCHUP"),
        Column("is_home", pl.Boolean, "Played at home", nullable=False, source="MATCHUP"),
        Column("opponent_tricode", pl.String, "Opponent tricode", source="MATCHUP"),
        Column("won", pl.Boolean, "Team won", source="WL"),
        *_TRADITIONAL_LINE,
        Column("source", pl.String, "playergamelogs or playergamelog", nullable=False, source="bronze endpoint"),
    ),
)

# Per-game detail sources ---------------------------------------------------------------------
SHOTS = Table(
    name="shots",
    layer="silver",
    description="One row per field goal attempt with its court location, from ShotChartDetail (one request per team per game).",
    partition_by=("season", "game_date"),
    key=("game_id", "game_event_id"),
    columns=(
        _season(),
        _game_date(),
        _game_id(),
        Column("game_event_id", pl.Int64, "The NBA event number: V2 EVENTNUM, V3 and CDN actionNumber (not V3 actionId)", nullable=False, source="GAME_EVENT_ID"),
        Column("team_id", pl.Int64, "Shooting team", nullable=False, source="TEAM_ID"),
        Column("player_id", pl.Int64, "Shooter", nullable=False, source="PLAYER_ID"),
        Column("player_name", pl.String, "Shooter's name", source="PLAYER_NAME"),
        Column("period", pl.Int16, "Period", nullable=False, source="PERIOD"),
        Column("clock_seconds", pl.Float64, "Seconds remaining in the period", nullable=False, source="MINUTES_REMAINING * 60 + SECONDS_REMAINING"),
        Column("shot_made", pl.Boolean, "Made", nullable=False, source="SHOT_MADE_FLAG"),
        Column("shot_value", pl.Int8, "2 or 3", nullable=False, source="SHOT_TYPE ('2PT Field Goal' / '3PT Field Goal')"),
        Column("action_type", pl.String, "e.g. Driving Layup Shot", source="ACTION_TYPE"),
        Column("shot_zone_basic", pl.String, "e.g. Restricted Area, Mid-Range, Above the Break 3", source="SHOT_ZONE_BASIC"),
        Column("shot_zone_area", pl.String, "e.g. Center(C), Left Side(L)", source="SHOT_ZONE_AREA"),
        Column("shot_zone_range", pl.String, "e.g. Less Than 8 ft., 24+ ft.", source="SHOT_ZONE_RANGE"),
        Column("shot_distance_ft", pl.Int16, "Distance from the basket, feet", source="SHOT_DISTANCE"),
        Column("loc_x", pl.Int16, "Raw x: tenths of a foot from the basket, negative to the shooter's right as drawn", source="LOC_X"),
        Column("loc_y", pl.Int16, "Raw y: tenths of a foot from the basket toward half court", source="LOC_Y"),
        Column("home_team_tricode", pl.String, "Home team tricode", source="HTM"),
        Column("away_team_tricode", pl.String, "Away team tricode", source="VTM"),
    ),
)

PLAYER_HUSTLE_STATS = Table(
    name="player_hustle_stats",
    layer="silver",
    description="Per player per game hustle stats from HustleStatsBoxScore (tracked since 2015-16).",
    partition_by=("season", "game_date"),
    key=("game_id", "player_id"),
    columns=(
        _season(),
        _game_date(),
        _game_id(),
        Column("team_id", pl.Int64, "Team", nullable=False, source="TEAM_ID"),
        Column("team_tricode", pl.String, "Team tricode", source="TEAM_ABBREVIATION"),
        Column("player_id", pl.Int64, "NBA person id", nullable=False, source="PLAYER_ID"),
        Column("player_name", pl.String, "Player name", source="PLAYER_NAME"),
        Column("minutes", pl.Float64, "Minutes played (decimal)", source="MINUTES 'MM:SS'"),
        Column("points", pl.Int32, "Points", source="PTS"),
        Column("contested_shots", pl.Int32, "Shots contested", source="CONTESTED_SHOTS"),
        Column("contested_shots_2pt", pl.Int32, "2-point shots contested", source="CONTESTED_SHOTS_2PT"),
        Column("contested_shots_3pt", pl.Int32, "3-point shots contested", source="CONTESTED_SHOTS_3PT"),
        Column("deflections", pl.Int32, "Deflections", source="DEFLECTIONS"),
        Column("charges_drawn", pl.Int32, "Charges drawn", source="CHARGES_DRAWN"),
        Column("screen_assists", pl.Int32, "Screen assists", source="SCREEN_ASSISTS"),
        Column("screen_assist_points", pl.Int32, "Points from screen assists", source="SCREEN_AST_PTS"),
        Column("loose_balls_recovered_offensive", pl.Int32, "Offensive loose balls recovered", source="OFF_LOOSE_BALLS_RECOVERED"),
        Column("loose_balls_recovered_defensive", pl.Int32, "Defensive loose balls recovered", source="DEF_LOOSE_BALLS_RECOVERED"),
        Column("loose_balls_recovered", pl.Int32, "Loose balls recovered", source="LOOSE_BALLS_RECOVERED"),
        Column("box_outs_offensive", pl.Int32, "Offensive box outs", source="OFF_BOXOUTS"),
        Column("box_outs_defensive", pl.Int32, "Defensive box outs", source="DEF_BOXOUTS"),
        Column("box_outs", pl.Int32, "Box outs", source="BOX_OUTS"),
        Column("box_out_team_rebounds", pl.Int32, "Team rebounds after the player's box out", source="BOX_OUT_PLAYER_TEAM_REBS"),
        Column("box_out_player_rebounds", pl.Int32, "Own rebounds after a box out", source="BOX_OUT_PLAYER_REBS"),
    ),
)

GAME_ROTATIONS = Table(
    name="game_rotations",
    layer="silver",
    description="Player stints from GameRotation: when each player checked in and out, in seconds of game time.",
    partition_by=("season", "game_date"),
    key=("game_id", "player_id", "in_seconds"),
    columns=(
        _season(),
        _game_date(),
        _game_id(),
        Column("team_id", pl.Int64, "Team", nullable=False, source="TEAM_ID"),
        Column("is_home", pl.Boolean, "Home team (HomeTeam result set)", nullable=False, source="result set HomeTeam / AwayTeam"),
        Column("player_id", pl.Int64, "NBA person id", nullable=False, source="PERSON_ID"),
        Column("player_name", pl.String, "First and last name", source="PLAYER_FIRST, PLAYER_LAST"),
        Column("in_seconds", pl.Float64, "Game seconds elapsed at check-in", nullable=False, source="IN_TIME_REAL / 10"),
        Column("out_seconds", pl.Float64, "Game seconds elapsed at check-out", nullable=False, source="OUT_TIME_REAL / 10"),
        Column("seconds_played", pl.Float64, "out_seconds - in_seconds", nullable=False, source="derived"),
        Column("player_points", pl.Int32, "Player's points during the stint", source="PLAYER_PTS"),
        Column("point_differential", pl.Float64, "Team's point differential during the stint", source="PT_DIFF"),
        Column("usage_pct", pl.Float64, "Usage rate during the stint", source="USG_PCT"),
    ),
)

GAME_SUMMARIES = Table(
    name="game_summaries",
    layer="silver",
    description="One row per game from BoxScoreSummaryV2: status, attendance, duration, lead changes (where recorded).",
    partition_by=("season", "game_date"),
    key=("game_id",),
    columns=(
        _season(),
        _game_date(),
        _game_id(),
        Column("status_text", pl.String, "e.g. Final/OT", source="GameSummary GAME_STATUS_TEXT"),
        Column("home_team_id", pl.Int64, "Home team id", nullable=False, source="GameSummary HOME_TEAM_ID"),
        Column("away_team_id", pl.Int64, "Away team id", nullable=False, source="GameSummary VISITOR_TEAM_ID"),
        Column("periods", pl.Int16, "Periods played", source="GameSummary LIVE_PERIOD"),
        Column("attendance", pl.Int32, "Attendance", source="GameInfo ATTENDANCE"),
        Column("duration_minutes", pl.Int32, "Wall-clock length of the game", source="GameInfo GAME_TIME 'H:MM'"),
        Column("national_tv", pl.String, "National broadcaster", source="GameSummary NATL_TV_BROADCASTER_ABBREVIATION"),
        Column("lead_changes", pl.Int32, "Lead changes", source="OtherStats LEAD_CHANGES"),
        Column("times_tied", pl.Int32, "Times tied", source="OtherStats TIMES_TIED"),
        Column("officials", pl.String, "Officials' names, comma-separated (see game_officials)", source="Officials FIRST_NAME, LAST_NAME"),
    ),
)

LINE_SCORES = Table(
    name="line_scores",
    layer="silver",
    description="Points per team per period from BoxScoreSummaryV2's LineScore, with the line's own total.",
    partition_by=("season", "game_date"),
    key=("game_id", "team_id", "period"),
    columns=(
        _season(),
        _game_date(),
        _game_id(),
        Column("team_id", pl.Int64, "Team", nullable=False, source="LineScore TEAM_ID"),
        Column("team_tricode", pl.String, "Team tricode", source="LineScore TEAM_ABBREVIATION"),
        Column("period", pl.Int16, "Period, 5+ overtime", nullable=False, source="PTS_QTR1..4, PTS_OT1..10"),
        Column("points", pl.Int32, "Points scored in the period", nullable=False, source="PTS_QTRn / PTS_OTn"),
        Column("total_points", pl.Int32, "The line's final score", source="LineScore PTS"),
    ),
)

GAME_OFFICIALS = Table(
    name="game_officials",
    layer="silver",
    description="Referees of each game, from BoxScoreSummaryV2.",
    partition_by=("season", "game_date"),
    key=("game_id", "official_id"),
    columns=(
        _season(),
        _game_date(),
        _game_id(),
        Column("official_id", pl.Int64, "Official id", nullable=False, source="Officials OFFICIAL_ID"),
        Column("official_name", pl.String, "First and last name", source="Officials FIRST_NAME, LAST_NAME"),
        Column("jersey_number", pl.String, "Jersey number", source="Officials JERSEY_NUM (trimmed)"),
    ),
)

INACTIVE_PLAYERS = Table(
    name="inactive_players",
    layer="silver",
    description="Players listed inactive for each game, from BoxScoreSummaryV2.",
    partition_by=("season", "game_date"),
    key=("game_id", "player_id"),
    columns=(
        _season(),
        _game_date(),
        _game_id(),
        Column("team_id", pl.Int64, "Team", nullable=False, source="InactivePlayers TEAM_ID"),
        Column("team_tricode", pl.String, "Team tricode", source="InactivePlayers TEAM_ABBREVIATION"),
        Column("player_id", pl.Int64, "NBA person id", nullable=False, source="InactivePlayers PLAYER_ID"),
        Column("player_name", pl.String, "First and last name", source="InactivePlayers FIRST_NAME, LAST_NAME"),
        Column("jersey_number", pl.String, "Jersey number", source="InactivePlayers JERSEY_NUM (trimmed)"),
    ),
)

# Games an asset held back (not published in its tables) or flagged (published, with a caveat),
# each with its reason. Every per-date asset that judges games writes its own partition
# (recorded_by), so a re-run replaces exactly what that asset said about those dates.
GAME_ISSUES = Table(
    name="game_issues",
    layer="silver",
    description="Games held back from a table (feed unavailable, payload unusable, a game-level rule failed) "
                "or flagged (published with a caveat), with the reason and the run; a re-run that finds the "
                "cause gone removes the row and publishes the game.",
    partition_by=("season", "game_date", "recorded_by"),
    key=("game_id", "recorded_by", "rule"),
    columns=(
        _season("derived: game id digits 4-5 (season start year)"),
        _game_date("the game-date partition of the run that judged the game"),
        Column("recorded_by", pl.String, "The asset (step) that judged the game, e.g. bronze_box_score, play_by_play (hive partition)",
               nullable=False, source="derived: the Dagster asset (op) name"),
        _game_id("the judged game's id (bronze manifest / silver game_id)"),
        Column("stage", pl.String, "bronze, silver or gold", nullable=False, source="derived: the recording asset's layer"),
        Column("tables", pl.String, "The tables the game is missing from (held back) or flagged in, comma-separated",
               nullable=False, source="derived: the recording asset's tables"),
        Column("rule", pl.String, "Why: a feed or payload problem (feed_unavailable, unusable_payload, ...) or the game-level rule that failed (named like the asset check that guards it)",
               nullable=False, source="derived: the failed fetch, parse or rule"),
        Column("action", pl.String, "held_back (not published in tables) or flagged (published, caveat in detail)",
               nullable=False, source="derived"),
        Column("detail", pl.String, "One line: what was wrong and where (error message, first offending event, counts)",
               nullable=False, source="derived: the error or the rule's offending rows"),
        Column("run_id", pl.String, "Dagster run that recorded it (null outside Dagster)", source="Dagster run id"),
        Column("recorded_at", pl.Datetime("us", "UTC"), "When it was recorded", nullable=False, source="derived: clock"),
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
        _season("silver.play_by_play season"),
        _game_date("silver.play_by_play game_date"),
        _game_id("silver.play_by_play game_id"),
        Column("event_order", pl.Int32, "Event order within the game", nullable=False,
               source="silver.play_by_play event_order"),
        Column("period", pl.Int16, "Period", nullable=False,
               source="silver.play_by_play period"),
        Column("event_type", pl.String, "Unified event type", nullable=False,
               source="silver.play_by_play event_type"),
        Column("team_id", pl.Int64, "Acting team",
               source="silver.play_by_play team_id"),
        Column("seconds_remaining_period", pl.Float64, "Seconds left in the period", nullable=False,
               source="silver.play_by_play clock_seconds"),
        Column("seconds_remaining_game", pl.Float64, "Seconds left in regulation; in overtime, seconds left in the overtime period", nullable=False,
               source="derived: silver.play_by_play clock_seconds + 720 s per regulation period left (overtime: clock_seconds)"),
        Column("seconds_elapsed_game", pl.Float64, "Seconds of game time played since tip-off", nullable=False,
               source="derived: silver.play_by_play period and clock_seconds (720 s regulation periods, 300 s overtimes)"),
        Column("home_score", pl.Int32, "Home score (forward-filled)", nullable=False,
               source="derived: silver.play_by_play home_score, forward-filled within the game, 0 before the first score"),
        Column("away_score", pl.Int32, "Away score (forward-filled)", nullable=False,
               source="derived: silver.play_by_play away_score, forward-filled within the game, 0 before the first score"),
        Column("point_differential", pl.Int32, "home_score - away_score", nullable=False,
               source="derived: home_score - away_score"),
        Column("possession_side", pl.Int8, "0 home, 1 away, null unknown: the team with the ball during the event (cdn: the feed; v2, v3: the rebounding team on a rebound, else the offense of the event's gold.possessions row; null for a game held back from gold.possessions)",
               source="derived: cdn: silver.play_by_play possession_team_id; v2, v3: rebounds: team_id, else gold.possessions offense_side (the same possession rules); sides from silver.games home/away_team_id"),
        Column("current_winning_team", pl.Int8, "0 home leads, 1 away leads, null tied",
               source="derived: sign of point_differential"),
        Column("final_winning_team", pl.Int8, "0 home won, 1 away won, null if not final",
               source="derived: silver.games status, winner_team_id, home_team_id, away_team_id"),
        Column("possession_number", pl.Int32, "The game's possession the event belongs to (from 1)",
               source="gold.possessions possession_number"),
        Column("offense_side", pl.Int8, "0 home, 1 away: offense of the possession the event belongs to (all feeds, inferred)",
               source="derived: gold.possessions offense_team_id vs home/away team"),
        Column("seconds_into_possession", pl.Float64, "Game seconds since the possession started",
               source="derived: seconds_elapsed_game - gold.possessions start_seconds"),
        Column("home_starters_on_court", pl.Int8, "How many of the home team's game starters are on the floor",
               source="derived: gold.players_on_court home_player_ids and silver.box_score_players starter"),
        Column("away_starters_on_court", pl.Int8, "How many of the away team's game starters are on the floor",
               source="derived: gold.players_on_court away_player_ids and silver.box_score_players starter"),
    ),
)

STARTER_SPLITS = Table(
    name="starter_splits",
    layer="gold",
    description="Per player per season: games started vs off the bench, and per-role averages.",
    partition_by=("season",),
    key=("player_id",),
    columns=(
        _season("silver.box_score_players season"),
        Column("player_id", pl.Int64, "NBA person id", nullable=False,
               source="silver.box_score_players player_id"),
        Column("player_name", pl.String, "Player name (latest seen)",
               source="derived: silver.box_score_players player_name of the latest game_date"),
        Column("games_started", pl.Int32, "Games started", nullable=False,
               source="derived: count of silver.box_score_players rows with starter"),
        Column("games_bench", pl.Int32, "Games played off the bench", nullable=False,
               source="derived: count of silver.box_score_players rows with played and not starter"),
        Column("starter_minutes", pl.Float64, "Average minutes as a starter",
               source="derived: mean of silver.box_score_players minutes over games started"),
        Column("starter_points", pl.Float64, "Average points as a starter",
               source="derived: mean of silver.box_score_players points over games started"),
        Column("starter_rebounds", pl.Float64, "Average rebounds as a starter",
               source="derived: mean of silver.box_score_players rebounds_total over games started"),
        Column("starter_assists", pl.Float64, "Average assists as a starter",
               source="derived: mean of silver.box_score_players assists over games started"),
        Column("bench_minutes", pl.Float64, "Average minutes off the bench",
               source="derived: mean of silver.box_score_players minutes over games played off the bench"),
        Column("bench_points", pl.Float64, "Average points off the bench",
               source="derived: mean of silver.box_score_players points over games played off the bench"),
        Column("bench_rebounds", pl.Float64, "Average rebounds off the bench",
               source="derived: mean of silver.box_score_players rebounds_total over games played off the bench"),
        Column("bench_assists", pl.Float64, "Average assists off the bench",
               source="derived: mean of silver.box_score_players assists over games played off the bench"),
    ),
)

def _lineup(side: str) -> Column:
    return Column(f"{side}_player_ids", pl.List(pl.Int64), f"The {side} team's players on the floor, sorted person ids (five when the feed is complete)",
                  nullable=False,
                  source=f"derived: {side} period starters (period 1: silver.box_score_players starter; later: acted or left before entering, "
                         "else box minutes nobody else explains, else on the floor at the previous period's end) "
                         "plus silver.play_by_play substitutions (sub_out_player_id out, sub_in_player_id in)")


def _side_team(side: str, source: str) -> Column:
    return Column(f"{side}_team_id", pl.Int64, f"{side.capitalize()} team", source=source)


_SIDES_SOURCE = "derived: silver.box_score_teams and silver.play_by_play (games.game_outcomes)"

PLAYERS_ON_COURT = Table(
    name="players_on_court",
    layer="gold",
    description="For every play-by-play event, the five home and five away players on the floor (v2, v3 and cdn feeds).",
    partition_by=("season", "game_date"),
    key=("game_id", "event_order"),
    columns=(
        _season("silver.play_by_play season"),
        _game_date("silver.play_by_play game_date"),
        _game_id("silver.play_by_play game_id"),
        Column("event_order", pl.Int32, "Event order within the game", nullable=False,
               source="silver.play_by_play event_order"),
        Column("period", pl.Int16, "Period", nullable=False, source="silver.play_by_play period"),
        Column("segment", pl.Int32, "Lineup segment within the period: the number of substitution batches before the event "
               "(the rows of a batch still see the lineup from before it)", nullable=False,
               source="derived: silver.play_by_play event_type = substitution, consecutive rows form one batch"),
        _side_team("home", _SIDES_SOURCE),
        _side_team("away", _SIDES_SOURCE),
        _lineup("home"),
        _lineup("away"),
    ),
)

POSSESSIONS = Table(
    name="possessions",
    layer="gold",
    description="One row per possession, inferred from play-by-play the same way for every feed (about 100 per team per game).",
    partition_by=("season", "game_date"),
    key=("game_id", "possession_number"),
    columns=(
        _season("silver.play_by_play season"),
        _game_date("silver.play_by_play game_date"),
        _game_id("silver.play_by_play game_id"),
        Column("possession_number", pl.Int32, "Possession number within the game, from 1", nullable=False,
               source="derived: a new possession after a made field goal (no and-one), a made last free throw of a trip "
                      "(not technical, flagrant or clear path), a defensive rebound or a turnover; at each period start; "
                      "and where the acting offense changes without one of those"),
        Column("period", pl.Int16, "Period", nullable=False, source="silver.play_by_play period"),
        Column("offense_team_id", pl.Int64, "Team with the ball",
               source="derived: acting team of the possession's first shot, free throw, turnover or offensive rebound; "
                      "else the team that did not have the previous possession"),
        Column("defense_team_id", pl.Int64, "Team without the ball", source="derived: the other side of the game"),
        Column("offense_side", pl.String, "home or away", source="derived: offense_team_id vs home/away team"),
        Column("start_event_order", pl.Int32, "First event of the possession", nullable=False,
               source="silver.play_by_play event_order"),
        Column("end_event_order", pl.Int32, "Last event (the one that ended it)", nullable=False,
               source="silver.play_by_play event_order"),
        Column("start_type", pl.String, "How it started: period_start, after_make, after_defensive_rebound, after_turnover, change_of_offense",
               source="derived: event_type of the previous possession's last event"),
        Column("points", pl.Int32, "Points the offense scored in it",
               source="derived: differences of the forward-filled silver.play_by_play home_score / away_score"),
        Column("start_seconds", pl.Float64, "Game seconds elapsed when it started (the previous possession's end)", nullable=False,
               source="derived: silver.play_by_play period, clock_seconds"),
        Column("end_seconds", pl.Float64, "Game seconds elapsed at its last event (the period's end for the last one)", nullable=False,
               source="derived: silver.play_by_play period, clock_seconds"),
        Column("duration_seconds", pl.Float64, "end_seconds - start_seconds", nullable=False, source="derived"),
    ),
)

STINTS = Table(
    name="stints",
    layer="gold",
    description="Contiguous stretches with both lineups unchanged (within a period): time, points and possessions. The unit of lineup models.",
    partition_by=("season", "game_date"),
    key=("game_id", "stint_number"),
    columns=(
        _season("gold.players_on_court season"),
        _game_date("gold.players_on_court game_date"),
        _game_id("gold.players_on_court game_id"),
        Column("stint_number", pl.Int32, "Stint number within the game, from 1", nullable=False,
               source="derived: a new stint at each period start and each change of either lineup in gold.players_on_court"),
        Column("period", pl.Int16, "Period", nullable=False, source="gold.players_on_court period"),
        _side_team("home", "gold.players_on_court home_team_id"),
        _side_team("away", "gold.players_on_court away_team_id"),
        _lineup("home"),
        _lineup("away"),
        Column("start_event_order", pl.Int32, "First event of the stint", nullable=False, source="gold.players_on_court event_order"),
        Column("end_event_order", pl.Int32, "Last event of the stint", nullable=False, source="gold.players_on_court event_order"),
        Column("start_seconds", pl.Float64, "Game seconds elapsed when it started", nullable=False,
               source="derived: clock of the substitution that started it, or the period start"),
        Column("end_seconds", pl.Float64, "Game seconds elapsed when it ended", nullable=False,
               source="derived: clock of the substitution that ended it, or the period end"),
        Column("duration_seconds", pl.Float64, "end_seconds - start_seconds", nullable=False, source="derived"),
        Column("home_points", pl.Int32, "Points the home team scored in the stint", nullable=False,
               source="derived: score differences of silver.play_by_play events in the stint"),
        Column("away_points", pl.Int32, "Points the away team scored in the stint", nullable=False,
               source="derived: score differences of silver.play_by_play events in the stint"),
        Column("home_possessions", pl.Int32, "Home possessions that started in the stint", nullable=False,
               source="gold.possessions starting in the stint with offense_side home"),
        Column("away_possessions", pl.Int32, "Away possessions that started in the stint", nullable=False,
               source="gold.possessions starting in the stint with offense_side away"),
    ),
)


def _box_total(name: str) -> Column:
    return Column(name, pl.Int32, f"Team {name.replace('_', ' ')}", source=f"silver.box_score_teams {name}")


def _rate(name: str, meaning: str, formula: str) -> Column:
    return Column(name, pl.Float64, meaning, source=f"derived: {formula}")


TEAM_GAME_STATS = Table(
    name="team_game_stats",
    layer="gold",
    description="Per team per game: box score totals, the four factors, pace and offensive/defensive rating from counted possessions.",
    partition_by=("season", "game_date"),
    key=("game_id", "team_id"),
    columns=(
        _season("silver.box_score_teams season"),
        _game_date("silver.box_score_teams game_date"),
        _game_id("silver.box_score_teams game_id"),
        Column("team_id", pl.Int64, "Team", nullable=False, source="silver.box_score_teams team_id"),
        Column("team_tricode", pl.String, "Team tricode", source="silver.box_score_teams team_tricode"),
        Column("opponent_team_id", pl.Int64, "Opponent", nullable=False, source="silver.box_score_teams team_id of the other row"),
        Column("is_home", pl.Boolean, "Home team, where the box score says so", source="silver.box_score_teams is_home"),
        *(_box_total(name) for name in (
            "points", "field_goals_made", "field_goals_attempted", "three_pointers_made", "three_pointers_attempted",
            "free_throws_made", "free_throws_attempted", "rebounds_offensive", "rebounds_defensive", "assists", "turnovers",
        )),
        Column("opponent_points", pl.Int32, "Opponent's points", source="silver.box_score_teams points of the other row"),
        Column("possessions", pl.Int32, "Possessions the team had", source="derived: count of gold.possessions by offense_team_id"),
        Column("opponent_possessions", pl.Int32, "Possessions the opponent had", source="derived: count of gold.possessions by offense_team_id"),
        _rate("effective_fg_pct", "Effective field goal % (four factors: shooting)", "(FGM + 0.5 * 3PM) / FGA"),
        _rate("turnover_pct", "Turnovers per play (four factors: turnovers)", "TOV / (FGA + 0.44 * FTA + TOV)"),
        _rate("offensive_rebound_pct", "Share of available offensive rebounds taken (four factors: rebounding)", "OREB / (OREB + opponent DREB)"),
        _rate("free_throw_rate", "Free throw attempts per field goal attempt (four factors: free throws)", "FTA / FGA"),
        _rate("pace", "Possessions per 48 minutes", "mean of possessions and opponent_possessions * 2880 / game seconds (300 s per overtime)"),
        _rate("offensive_rating", "Points per 100 possessions", "100 * points / possessions"),
        _rate("defensive_rating", "Points allowed per 100 opponent possessions", "100 * opponent_points / opponent_possessions"),
    ),
)


def _clutch_count(name: str, meaning: str, source: str) -> Column:
    return Column(name, pl.Int32, meaning, nullable=False, source=source)


_CLUTCH_EVENTS = "derived: silver.play_by_play events in clutch time (period >= 4, <= 300 s left, |margin before the event| <= 5)"

CLUTCH_SPLITS = Table(
    name="clutch_splits",
    layer="gold",
    description="Per player per season: stats in clutch time (last five minutes of the fourth period or overtime, margin five or less).",
    partition_by=("season",),
    key=("player_id",),
    columns=(
        _season("silver.play_by_play season"),
        Column("player_id", pl.Int64, "NBA person id", nullable=False, source="silver.play_by_play player_id / gold.players_on_court"),
        Column("player_name", pl.String, "Player name (box score, else the feed's)", source="silver.box_score_players player_name, else silver.play_by_play player_name"),
        _clutch_count("games", "Games with clutch time on the floor", "derived: gold.players_on_court rows in clutch time"),
        Column("minutes", pl.Float64, "Clutch minutes on the floor", nullable=False,
               source="derived: gold.players_on_court, time from each clutch event to the next"),
        _clutch_count("plus_minus", "Team points minus opponent points while on the floor", "derived: gold.players_on_court and score differences of clutch events"),
        *(_clutch_count(name, meaning, _CLUTCH_EVENTS) for name, meaning in (
            ("points", "Points"), ("field_goals_made", "Field goals made"), ("field_goals_attempted", "Field goals attempted"),
            ("three_pointers_made", "Three-pointers made"), ("three_pointers_attempted", "Three-pointers attempted"),
            ("free_throws_made", "Free throws made"), ("free_throws_attempted", "Free throws attempted"),
            ("rebounds", "Rebounds"), ("turnovers", "Turnovers"), ("fouls", "Fouls"),
        )),
        _clutch_count("assists", "Assists",
                      "derived: silver.play_by_play assist_player_id of clutch made shots (every feed; v3 from the description)"),
    ),
)

TABLES: dict[str, Table] = {
    t.name: t
    for t in (
        TEAMS, PLAYERS, SCHEDULE, SCOREBOARD_GAMES, TEAM_GAME_LOGS, GAMES, PLAY_BY_PLAY, BOX_SCORE_PLAYERS,
        BOX_SCORE_TEAMS, SHOTS, PLAYER_HUSTLE_STATS, GAME_ROTATIONS, GAME_SUMMARIES, LINE_SCORES,
        GAME_OFFICIALS, INACTIVE_PLAYERS, PLAYER_SEASON_STATS, PLAYER_GAME_LOGS, GAME_ISSUES, EVENT_STATE, STARTER_SPLITS,
        PLAYERS_ON_COURT, POSSESSIONS, STINTS, TEAM_GAME_STATS, CLUTCH_SPLITS,
    )
}
