"""What a usable response of each endpoint is, checked before anything is archived.

Each endpoint the client calls declares its response here: the V2 result sets with the columns our
parsers read (and their types where a parser relies on them), or, for the JSON documents of V3 and
the CDN, typed dicts checked by pydantic (strict: ``"5"`` is not an int). Where a completed game
must have rows (play-by-play actions, box-score players) an empty list means the feed has no data
for the game (``EmptyResponseError``, the next feed is asked); a missing or mistyped field, a row
of the wrong width, or a play-by-play that does not reach the end of a period >= 4 is unusable
(``UnusablePayloadError``: the game is held back and asked again by a later run).

What the response has beyond the declaration (a new field, column or result set) is tolerated
and handed back as schema drift, one short string each, for the manifest.

No ``from __future__ import annotations``: pydantic reads the typed dicts' annotations.
"""

import dataclasses
import functools
import operator
import typing
from collections.abc import Callable
from typing import Any, NotRequired

import polars as pl
from pydantic import ConfigDict, TypeAdapter, ValidationError, with_config
from pydantic_core import ErrorDetails
from typing_extensions import TypedDict, get_type_hints, is_typeddict

from nba_lakehouse.sources.errors import EmptyResponseError, UnusablePayloadError

strict = with_config(ConfigDict(strict=True))
# Problems quoted in one error message; the rest are counted.
MAX_PROBLEMS_SHOWN = 3
# A completed game has at least four periods (overtimes add more).
REGULATION_PERIODS = 4


# ------------------------------------------------------------------------------- V2 result sets
_COLUMN_TYPES = {"str": str, "int": int, "num": float, "str?": str | None, "int?": int | None, "num?": float | None}


@dataclasses.dataclass(frozen=True)
class ResultSet:
    """A V2 result set we read: ``required`` columns as ``NAME`` (present) or ``NAME:type`` with type
    str, int, num (an int or float), a trailing ``?`` allowing null; ``known`` the other columns the
    endpoint is known to send (anything else is drift); ``rows``: a usable response has rows."""

    name: str
    required: str
    known: str = ""
    rows: bool = True

    @property
    def columns(self) -> dict[str, Any]:
        pairs = (token.partition(":") for token in self.required.split())
        return {name: _COLUMN_TYPES[kind] if kind else object for name, _, kind in pairs}

    @property
    def all_columns(self) -> frozenset[str]:
        return frozenset(self.columns) | frozenset(self.known.split())


@dataclasses.dataclass(frozen=True)
class ResultSets:
    """A V2 endpoint's response: the sets we read, the names of those we do not, and a whole-game check."""

    sets: tuple[ResultSet, ...]
    other_sets: str = ""
    whole_game: Callable[[dict[str, dict[str, tuple]]], str | None] | None = None

    def validate(self, label: str, payload: dict) -> tuple[str, ...]:
        found = payload.get("resultSets", payload.get("resultSet"))
        if isinstance(found, dict):
            found = [found]
        if not isinstance(found, list) or not all(isinstance(rs, dict) for rs in found):
            raise UnusablePayloadError(label, "no resultSets list")
        by_name = {rs.get("name"): rs for rs in found}
        drift = [f"new result set {name}" for name in by_name
                 if name not in {s.name for s in self.sets} | set(self.other_sets.split())]
        columns_of = {}
        for spec in self.sets:
            if spec.name not in by_name:
                raise UnusablePayloadError(label, f"result set {spec.name} is missing (found {sorted(map(str, by_name))})")
            headers, rows = by_name[spec.name].get("headers"), by_name[spec.name].get("rowSet")
            columns_of[spec.name] = _checked_columns(label, spec, headers, rows)
            drift += [f"new column {h} in result set {spec.name}" for h in headers if h not in spec.all_columns]
        if self.whole_game:
            problem = self.whole_game(columns_of)
            if problem:
                raise UnusablePayloadError(label, problem)
        return tuple(drift)


_COLUMN_ADAPTERS = {kind: TypeAdapter(tuple[kind, ...], config=ConfigDict(strict=True))  # type: ignore[valid-type]
                    for kind in _COLUMN_TYPES.values()}


def _checked_columns(label: str, spec: ResultSet, headers, rows) -> dict[str, tuple]:
    """The required columns of a result set, by name, after checking headers, row widths and types."""
    if not isinstance(headers, list) or not isinstance(rows, list):
        raise UnusablePayloadError(label, f"result set {spec.name} has no headers or no rowSet list")
    missing = [c for c in spec.columns if c not in headers]
    if missing:
        raise UnusablePayloadError(label, f"result set {spec.name} has no column {', '.join(missing)}")
    if not rows:
        if spec.rows:
            raise EmptyResponseError(label, f"result set {spec.name} has no rows")
        return {c: () for c in spec.columns}
    if not all(isinstance(row, list) for row in rows) or set(map(len, rows)) != {len(headers)}:
        bad = next(i for i, row in enumerate(rows) if not isinstance(row, list) or len(row) != len(headers))
        raise UnusablePayloadError(
            label, f"result set {spec.name} row {bad} has {_width(rows[bad])} values for {len(headers)} columns"
        )
    transposed = list(zip(*rows, strict=True))
    columns = {c: transposed[headers.index(c)] for c in spec.columns}
    for name, kind in spec.columns.items():
        if kind is object:
            continue
        try:
            _COLUMN_ADAPTERS[kind].validate_python(columns[name])
        except ValidationError as exc:
            problems = [f"row {e['loc'][0]}: {name} is {e['input']!r}, {_expected(e)}" for e in exc.errors()]
            raise UnusablePayloadError(label, f"result set {spec.name} " + _summary(problems)) from None
    return columns


def _width(row) -> str:
    return str(len(row)) if isinstance(row, list) else f"a {type(row).__name__} instead of a list of"


# ------------------------------------------------------------------------------- JSON documents
@dataclasses.dataclass(frozen=True)
class Document:
    """A V3 or CDN JSON response: a typed dict (``model``), the dotted paths of the lists that must
    not be empty (checked first: an empty one means the feed has no data), and a whole-game check."""

    model: type
    rows: tuple[str, ...] = ()
    whole_game: Callable[[dict], str | None] | None = None

    @property
    def adapter(self) -> TypeAdapter:
        return _adapter(self.model)

    def validate(self, label: str, payload: dict) -> tuple[str, ...]:
        for rows in self.rows:
            node: Any = payload
            for part in rows.split("."):
                node = node.get(part) if isinstance(node, dict) else None
            if node == []:
                raise EmptyResponseError(label, f"{rows} is empty")
        try:
            self.adapter.validate_python(payload)
        except ValidationError as exc:
            raise UnusablePayloadError(label, _summary([_problem(payload, e) for e in exc.errors()])) from None
        if self.whole_game:
            problem = self.whole_game(payload)
            if problem:
                raise UnusablePayloadError(label, problem)
        return tuple(_drift(self.model, [payload], ""))


@functools.cache
def _adapter(model: type) -> TypeAdapter:
    return TypeAdapter(model)


# Items of these lists are named by their id in messages: "game.actions[16] (actionNumber 23)".
IDENTIFYING_FIELDS = ("actionNumber", "personId", "gameId", "teamId", "gameDate")


def _problem(payload: dict, error: ErrorDetails) -> str:
    """One pydantic error as a line: where (the path, list items named by their id) and what."""
    segments: list[str] = []
    node: Any = payload
    for part in error["loc"]:
        if isinstance(part, int):
            node = node[part] if isinstance(node, list) and part < len(node) else None
            ids = [f" ({k} {node[k]})" for k in IDENTIFYING_FIELDS if isinstance(node, dict) and k in node]
            segments.append(f"[{part}]" + (ids[0] if ids else ""))
        else:
            node = node.get(part) if isinstance(node, dict) else None
            segments.append(f".{part}" if segments else str(part))
    if error["type"] == "missing":
        return f"{''.join(segments[:-1]) or 'the response'} has no {error['loc'][-1]}"
    return f"{''.join(segments)} is {error['input']!r}, {_expected(error)}"


def _expected(error: ErrorDetails) -> str:
    return {"int_type": "not an integer", "string_type": "not a string", "float_type": "not a number",
            "list_type": "not a list", "dict_type": "not an object", "model_type": "not an object",
            "bool_type": "not a boolean"}.get(error["type"], error["msg"])


def _summary(problems: list[str]) -> str:
    shown = "; ".join(problems[:MAX_PROBLEMS_SHOWN])
    more = len(problems) - MAX_PROBLEMS_SHOWN
    return shown + (f" (and {more} more)" if more > 0 else "")


# Objects whose other keys are not drift: statistics blocks carry many counts we do not read.
OPEN_OBJECTS: set[type] = set()


def _drift(model: type, objects: list, path: str) -> list[str]:
    """Keys of ``objects`` (dicts validated as ``model``) the model does not declare, and so on down
    through the declared typed-dict fields and lists of them."""
    objects = [o for o in objects if isinstance(o, dict)]
    if not objects:
        return []
    hints = _hints(model)
    where = f" in {path}" if path else ""
    found = [] if model in OPEN_OBJECTS else [f"new field {key}{where}" for key in sorted(set().union(*objects) - set(hints))]
    for key, hint in hints.items():
        inner, is_list = _typed_dict_in(hint)
        if inner is None:
            continue
        values = [o[key] for o in objects if key in o]
        if is_list:
            values = [item for value in values if isinstance(value, list) for item in value]
        found += _drift(inner, values, f"{path}.{key}" if path else key)
    return found


@functools.cache
def _hints(model: type) -> dict[str, Any]:
    return get_type_hints(model)


def _typed_dict_in(hint) -> tuple[type | None, bool]:
    """(the typed dict a field holds, whether in a list) or (None, False)."""
    for candidate in (hint, *typing.get_args(hint)):
        if is_typeddict(candidate):
            return candidate, False
        if typing.get_origin(candidate) is list and is_typeddict(typing.get_args(candidate)[0]):
            return typing.get_args(candidate)[0], True
    return None, False


# ------------------------------------------------------------------------------- whole games
def _periods_problem(periods: pl.Series, period_ends: pl.Series) -> str | None:
    """A completed game's play-by-play runs through periods 1..N, N >= 4, and period N has ended."""
    if periods.null_count() or period_ends.null_count():
        return "an action has no period"
    last = typing.cast(int, periods.max())  # an integer column without nulls
    missing = sorted(set(range(1, last + 1)) - set(periods.unique().to_list()))
    if missing:
        return f"play-by-play has no action in period {', '.join(map(str, missing))} of {last}: not the whole game"
    if last < REGULATION_PERIODS:
        return f"play-by-play ends in period {last}: a completed game has at least {REGULATION_PERIODS} (truncated?)"
    if last not in set(period_ends.to_list()):
        return f"play-by-play stops in period {last} before the period's end: not the whole game (truncated?)"
    return None


def _actions_whole_game(actions: list[dict]) -> str | None:
    """V3 and CDN: the end of a period is ``actionType`` "period", ``subType`` "end".

    The three fields are picked with C-level ``map`` calls: a frame built from the whole dicts
    would cost more than the rest of the validation.
    """
    frame = pl.DataFrame(
        {
            "period": list(map(operator.itemgetter("period"), actions)),
            "kind": list(map(operator.itemgetter("actionType"), actions)),
            "sub": list(map(operator.methodcaller("get", "subType"), actions)),
        },
        schema={"period": pl.Int64, "kind": pl.String, "sub": pl.String},
    )
    ends = frame.filter((pl.col("kind") == "period") & (pl.col("sub") == "end"))["period"]
    return _periods_problem(frame["period"], ends)


V2_PERIOD_END = 13  # EVENTMSGTYPE of the end of a period


def _v2_whole_game(columns: dict[str, dict[str, tuple]]) -> str | None:
    frame = pl.DataFrame({"period": columns["PlayByPlay"]["PERIOD"], "type": columns["PlayByPlay"]["EVENTMSGTYPE"]},
                         schema={"period": pl.Int64, "type": pl.Int64})
    return _periods_problem(frame["period"], frame.filter(pl.col("type") == V2_PERIOD_END)["period"])


# ------------------------------------------------------------------------------- play-by-play
@strict
class Meta(TypedDict):
    version: NotRequired[int]
    code: NotRequired[int]
    request: NotRequired[str]
    time: NotRequired[str]


@strict
class V3Action(TypedDict):
    actionNumber: int
    actionId: int
    clock: str
    period: int
    teamId: int
    teamTricode: str
    personId: int
    playerName: str
    playerNameI: NotRequired[str]
    shotResult: str
    isFieldGoal: int
    scoreHome: str
    scoreAway: str
    pointsTotal: NotRequired[int]
    location: str
    description: str
    actionType: str
    subType: str
    videoAvailable: NotRequired[int]
    # The 2022-23 bulk actions (scraped from nba.com's game pages) have no shotValue.
    shotValue: NotRequired[int]
    xLegacy: int
    yLegacy: int
    shotDistance: float


@strict
class V3PlayByPlayGame(TypedDict):
    gameId: str
    videoAvailable: NotRequired[int]
    actions: list[V3Action]


@strict
class V3PlayByPlay(TypedDict):
    meta: NotRequired[Meta]
    game: V3PlayByPlayGame


@strict
class CdnAction(TypedDict):
    actionNumber: int
    orderNumber: int
    clock: str
    timeActual: str
    period: int
    periodType: NotRequired[str]
    actionType: str
    subType: NotRequired[str]
    descriptor: NotRequired[str]
    qualifiers: list[str]
    personId: int
    personIdsFilter: NotRequired[list[int]]
    teamId: NotRequired[int]
    teamTricode: NotRequired[str]
    playerName: NotRequired[str]
    playerNameI: NotRequired[str]
    possession: int
    scoreHome: str
    scoreAway: str
    description: NotRequired[str]
    edited: NotRequired[str]
    isFieldGoal: int
    shotResult: NotRequired[str]
    shotDistance: NotRequired[float]
    shotActionNumber: NotRequired[int]
    pointsTotal: NotRequired[int]
    x: NotRequired[float | None]
    y: NotRequired[float | None]
    side: NotRequired[str | None]
    xLegacy: int | None
    yLegacy: int | None
    assistPersonId: NotRequired[int]
    assistPlayerNameInitial: NotRequired[str]
    assistTotal: NotRequired[int]
    blockPersonId: NotRequired[int]
    blockPlayerName: NotRequired[str]
    stealPersonId: NotRequired[int]
    stealPlayerName: NotRequired[str]
    foulDrawnPersonId: NotRequired[int]
    foulDrawnPlayerName: NotRequired[str]
    foulPersonalTotal: NotRequired[int]
    foulTechnicalTotal: NotRequired[int]
    officialId: NotRequired[int]
    turnoverTotal: NotRequired[int]
    reboundTotal: NotRequired[int]
    reboundOffensiveTotal: NotRequired[int]
    reboundDefensiveTotal: NotRequired[int]
    # The feed spells "Recoverd" in the id and "Recovered" in the name.
    jumpBallWonPersonId: NotRequired[int]
    jumpBallWonPlayerName: NotRequired[str]
    jumpBallLostPersonId: NotRequired[int]
    jumpBallLostPlayerName: NotRequired[str]
    jumpBallRecoverdPersonId: NotRequired[int]
    jumpBallRecoveredName: NotRequired[str]


@strict
class CdnPlayByPlayGame(TypedDict):
    gameId: str
    actions: list[CdnAction]


@strict
class CdnPlayByPlay(TypedDict):
    meta: NotRequired[Meta]
    game: CdnPlayByPlayGame


# ------------------------------------------------------------------------------- box scores
@strict
class CamelStatistics(TypedDict):
    """The counts the box-score parser reads, shared by V3 and the CDN (players and teams)."""

    minutes: str
    fieldGoalsMade: int
    fieldGoalsAttempted: int
    threePointersMade: int
    threePointersAttempted: int
    freeThrowsMade: int
    freeThrowsAttempted: int
    reboundsOffensive: int
    reboundsDefensive: int
    reboundsTotal: int
    assists: int
    steals: int
    blocks: int
    turnovers: int
    foulsPersonal: int
    points: int
    plusMinusPoints: NotRequired[float]  # a V3 team's starters block has none


OPEN_OBJECTS.add(CamelStatistics)


@strict
class V3BoxPlayer(TypedDict):
    personId: int
    firstName: str
    familyName: str
    nameI: NotRequired[str]
    playerSlug: NotRequired[str]
    position: str
    comment: str
    jerseyNum: NotRequired[str]
    statistics: CamelStatistics


@strict
class V3BoxTeam(TypedDict):
    teamId: int
    teamCity: str
    teamName: str
    teamTricode: str
    teamSlug: NotRequired[str]
    players: list[V3BoxPlayer]
    statistics: CamelStatistics
    starters: NotRequired[CamelStatistics]
    bench: NotRequired[CamelStatistics]


@strict
class V3BoxScoreGame(TypedDict):
    gameId: str
    homeTeamId: NotRequired[int]
    awayTeamId: NotRequired[int]
    homeTeam: V3BoxTeam
    awayTeam: V3BoxTeam


@strict
class V3BoxScore(TypedDict):
    meta: NotRequired[Meta]
    boxScoreTraditional: V3BoxScoreGame


@strict
class CdnBoxPlayer(TypedDict):
    personId: int
    name: str
    nameI: NotRequired[str]
    firstName: str
    familyName: str
    status: NotRequired[str]
    order: NotRequired[int]
    jerseyNum: NotRequired[str]
    position: NotRequired[str]
    starter: str
    oncourt: NotRequired[str]
    played: NotRequired[str]
    notPlayingReason: NotRequired[str]
    notPlayingDescription: NotRequired[str]
    statistics: CamelStatistics


@strict
class CdnBoxTeam(TypedDict):
    teamId: int
    teamName: str
    teamCity: str
    teamTricode: str
    score: NotRequired[int]
    inBonus: NotRequired[object]
    timeoutsRemaining: NotRequired[int]
    periods: NotRequired[list]
    players: list[CdnBoxPlayer]
    statistics: CamelStatistics


@strict
class CdnBoxScoreGame(TypedDict):
    gameId: str
    homeTeam: CdnBoxTeam
    awayTeam: CdnBoxTeam
    # Not read; listed so that they are not drift.
    gameTimeLocal: NotRequired[object]
    gameTimeUTC: NotRequired[object]
    gameTimeHome: NotRequired[object]
    gameTimeAway: NotRequired[object]
    gameEt: NotRequired[object]
    duration: NotRequired[object]
    gameCode: NotRequired[object]
    gameStatusText: NotRequired[object]
    gameStatus: NotRequired[object]
    regulationPeriods: NotRequired[object]
    period: NotRequired[object]
    gameClock: NotRequired[object]
    attendance: NotRequired[object]
    sellout: NotRequired[object]
    arena: NotRequired[object]
    officials: NotRequired[object]


@strict
class CdnBoxScore(TypedDict):
    meta: NotRequired[Meta]
    game: CdnBoxScoreGame


# ------------------------------------------------------------------------------- scoreboards, schedules
@strict
class ScheduleTeam(TypedDict):
    teamId: int
    teamTricode: str
    teamCity: NotRequired[str]
    teamName: NotRequired[str]
    teamSlug: NotRequired[str]
    score: NotRequired[int]
    wins: NotRequired[int]
    losses: NotRequired[int]
    seed: NotRequired[int | None]
    inBonus: NotRequired[object]
    timeoutsRemaining: NotRequired[int]
    periods: NotRequired[list]


@strict
class ScoreboardGame(TypedDict):
    gameId: str
    gameStatus: int
    gameStatusText: NotRequired[str]
    period: NotRequired[int]
    homeTeam: NotRequired[ScheduleTeam]
    awayTeam: NotRequired[ScheduleTeam]
    gameCode: NotRequired[object]
    gameClock: NotRequired[object]
    gameTimeUTC: NotRequired[object]
    gameEt: NotRequired[object]
    regulationPeriods: NotRequired[object]
    seriesGameNumber: NotRequired[object]
    gameLabel: NotRequired[object]
    gameSubLabel: NotRequired[object]
    seriesText: NotRequired[object]
    ifNecessary: NotRequired[object]
    seriesConference: NotRequired[object]
    poRoundDesc: NotRequired[object]
    gameSubtype: NotRequired[object]
    isNeutral: NotRequired[object]
    gameLeaders: NotRequired[object]
    teamLeaders: NotRequired[object]
    broadcasters: NotRequired[object]


@strict
class Scoreboard(TypedDict):
    gameDate: str
    leagueId: NotRequired[str]
    leagueName: NotRequired[str]
    games: list[ScoreboardGame]


@strict
class ScoreboardV3(TypedDict):
    meta: NotRequired[Meta]
    scoreboard: Scoreboard


@strict
class ScheduleGame(TypedDict):
    gameId: str
    gameCode: str
    gameStatus: int
    gameStatusText: str
    gameDateEst: str
    gameDateTimeUTC: str
    homeTeam: ScheduleTeam
    awayTeam: ScheduleTeam
    arenaName: NotRequired[str]
    arenaCity: NotRequired[str]
    arenaState: NotRequired[str]
    weekNumber: NotRequired[int]
    seriesText: NotRequired[str]
    postponedStatus: NotRequired[str]
    # Not read; listed so that they are not drift.
    gameSequence: NotRequired[object]
    gameDateTimeEst: NotRequired[object]
    gameDateUTC: NotRequired[object]
    gameTimeEst: NotRequired[object]
    gameTimeUTC: NotRequired[object]
    homeTeamTime: NotRequired[object]
    awayTeamTime: NotRequired[object]
    day: NotRequired[object]
    monthNum: NotRequired[object]
    weekName: NotRequired[object]
    ifNecessary: NotRequired[object]
    seriesGameNumber: NotRequired[object]
    gameSubtype: NotRequired[object]
    branchLink: NotRequired[object]
    broadcasters: NotRequired[object]
    pointsLeaders: NotRequired[object]


@strict
class ScheduleDay(TypedDict):
    gameDate: str
    games: list[ScheduleGame]


@strict
class LeagueSchedule(TypedDict):
    seasonYear: str
    leagueId: NotRequired[str]
    gameDates: list[ScheduleDay]
    weeks: NotRequired[object]
    broadcasterList: NotRequired[object]


@strict
class ScheduleLeagueV2(TypedDict):
    meta: NotRequired[Meta]
    leagueSchedule: LeagueSchedule


# ------------------------------------------------------------------------------- V2 endpoints
# The counting stats of V2 box scores (LeagueGameLog & co. write TOV for TO).
_V2_STATS = "FGM FGA FG3M FG3A FTM FTA OREB DREB REB AST STL BLK PF PTS PLUS_MINUS"
_V2_PERCENTAGES = "FG_PCT FG3_PCT FT_PCT"

V2_PLAY_BY_PLAY = ResultSets(
    (
        ResultSet(
            "PlayByPlay",
            "GAME_ID:str EVENTNUM:int EVENTMSGTYPE:int EVENTMSGACTIONTYPE:int PERIOD:int PCTIMESTRING:str "
            "HOMEDESCRIPTION:str? NEUTRALDESCRIPTION:str? VISITORDESCRIPTION:str? SCORE:str? "
            "PERSON1TYPE PLAYER1_ID PLAYER1_NAME PLAYER1_TEAM_ID PLAYER1_TEAM_ABBREVIATION "
            "PERSON2TYPE PLAYER2_ID PERSON3TYPE PLAYER3_ID",
            "WCTIMESTRING SCOREMARGIN PLAYER1_TEAM_CITY PLAYER1_TEAM_NICKNAME PLAYER2_NAME PLAYER2_TEAM_ID "
            "PLAYER2_TEAM_CITY PLAYER2_TEAM_NICKNAME PLAYER2_TEAM_ABBREVIATION PLAYER3_NAME PLAYER3_TEAM_ID "
            "PLAYER3_TEAM_CITY PLAYER3_TEAM_NICKNAME PLAYER3_TEAM_ABBREVIATION VIDEO_AVAILABLE_FLAG",
        ),
    ),
    other_sets="AvailableVideo",
    whole_game=_v2_whole_game,
)

V2_BOX_SCORE = ResultSets(
    (
        ResultSet(
            "PlayerStats",
            "GAME_ID:str TEAM_ID:int TEAM_ABBREVIATION:str PLAYER_ID:int PLAYER_NAME:str START_POSITION COMMENT MIN TO "
            + _V2_STATS,
            f"TEAM_CITY NICKNAME {_V2_PERCENTAGES}",
        ),
        ResultSet(
            "TeamStats",
            f"GAME_ID:str TEAM_ID:int TEAM_ABBREVIATION:str TEAM_CITY TEAM_NAME MIN TO {_V2_STATS}",
            _V2_PERCENTAGES,
        ),
    ),
    other_sets="TeamStarterBenchStats",
)

V2_SUMMARY = ResultSets(
    (
        ResultSet(
            "GameSummary",
            "GAME_ID:str GAME_STATUS_TEXT HOME_TEAM_ID:int VISITOR_TEAM_ID:int LIVE_PERIOD NATL_TV_BROADCASTER_ABBREVIATION",
            "GAME_DATE_EST GAME_SEQUENCE GAME_STATUS_ID GAMECODE SEASON LIVE_PC_TIME LIVE_PERIOD_TIME_BCAST WH_STATUS",
        ),
        ResultSet("GameInfo", "ATTENDANCE GAME_TIME", "GAME_DATE"),
        ResultSet(
            "OtherStats", "LEAD_CHANGES TIMES_TIED",
            "LEAGUE_ID TEAM_ID TEAM_ABBREVIATION TEAM_CITY PTS_PAINT PTS_2ND_CHANCE PTS_FB LARGEST_LEAD "
            "TEAM_TURNOVERS TOTAL_TURNOVERS TEAM_REBOUNDS PTS_OFF_TO",
        ),
        ResultSet("Officials", "OFFICIAL_ID FIRST_NAME LAST_NAME JERSEY_NUM", rows=False),
        ResultSet(
            "InactivePlayers", "PLAYER_ID FIRST_NAME LAST_NAME JERSEY_NUM TEAM_ID TEAM_ABBREVIATION",
            "TEAM_CITY TEAM_NAME", rows=False,
        ),
        ResultSet(
            "LineScore",
            "GAME_ID:str TEAM_ID:int TEAM_ABBREVIATION PTS PTS_QTR1 PTS_QTR2 PTS_QTR3 PTS_QTR4",
            "GAME_DATE_EST GAME_SEQUENCE TEAM_CITY_NAME TEAM_NICKNAME TEAM_WINS_LOSSES "
            + " ".join(f"PTS_OT{n}" for n in range(1, 11)),
        ),
    ),
    other_sets="LastMeeting SeasonSeries AvailableVideo",
)

_HUSTLE_STATS = (
    "PTS CONTESTED_SHOTS CONTESTED_SHOTS_2PT CONTESTED_SHOTS_3PT DEFLECTIONS CHARGES_DRAWN SCREEN_ASSISTS "
    "SCREEN_AST_PTS OFF_LOOSE_BALLS_RECOVERED DEF_LOOSE_BALLS_RECOVERED LOOSE_BALLS_RECOVERED OFF_BOXOUTS "
    "DEF_BOXOUTS BOX_OUT_PLAYER_TEAM_REBS BOX_OUT_PLAYER_REBS BOX_OUTS"
)
V2_HUSTLE = ResultSets(
    (
        ResultSet(
            "PlayerStats", f"GAME_ID:str TEAM_ID:int TEAM_ABBREVIATION PLAYER_ID:int PLAYER_NAME MINUTES {_HUSTLE_STATS}",
            "TEAM_CITY START_POSITION COMMENT",
        ),
    ),
    other_sets="HustleStatsAvailable TeamStats",
)

_ROTATION_COLUMNS = (
    "GAME_ID:str TEAM_ID:int PERSON_ID:int PLAYER_FIRST PLAYER_LAST IN_TIME_REAL:num OUT_TIME_REAL:num PLAYER_PTS "
    "PT_DIFF USG_PCT"
)
V2_ROTATION = ResultSets(
    (
        ResultSet("HomeTeam", _ROTATION_COLUMNS, "TEAM_CITY TEAM_NAME"),
        ResultSet("AwayTeam", _ROTATION_COLUMNS, "TEAM_CITY TEAM_NAME"),
    ),
)

V2_SHOTS = ResultSets(
    (
        ResultSet(
            "Shot_Chart_Detail",
            "GAME_ID:str GAME_EVENT_ID:int TEAM_ID:int PLAYER_ID:int PLAYER_NAME PERIOD:int MINUTES_REMAINING:num "
            "SECONDS_REMAINING:num SHOT_MADE_FLAG:int SHOT_TYPE:str ACTION_TYPE SHOT_ZONE_BASIC SHOT_ZONE_AREA "
            "SHOT_ZONE_RANGE SHOT_DISTANCE LOC_X LOC_Y HTM VTM",
            "GRID_TYPE TEAM_NAME EVENT_TYPE SHOT_ATTEMPTED_FLAG GAME_DATE",
        ),
    ),
    other_sets="LeagueAverages",
)

_SEASON_STATS = _V2_STATS.replace("PF", "TOV PF")
_TEAM_GAMES = f"TEAM_ID:int TEAM_ABBREVIATION TEAM_NAME GAME_ID:str GAME_DATE:str MATCHUP:str WL MIN {_SEASON_STATS}"
V2_LEAGUE_GAME_LOG = ResultSets(
    (ResultSet("LeagueGameLog", _TEAM_GAMES, f"SEASON_ID {_V2_PERCENTAGES} VIDEO_AVAILABLE"),)
)
# LeagueGameFinder is also asked for players (PlayerOrTeam=P): their rows add the player.
V2_LEAGUE_GAME_FINDER = ResultSets(
    (ResultSet("LeagueGameFinderResults", _TEAM_GAMES, f"SEASON_ID PLAYER_ID PLAYER_NAME {_V2_PERCENTAGES}"),)
)

V2_PLAYER_SEASON_STATS = ResultSets(
    (
        ResultSet(
            "LeagueDashPlayerStats",
            f"PLAYER_ID:int PLAYER_NAME:str TEAM_ID:int TEAM_ABBREVIATION AGE GP W L MIN BLKA PFD {_SEASON_STATS}",
            # The ranks and fantasy points are not read.
            "NICKNAME TEAM_COUNT W_PCT " + _V2_PERCENTAGES + " NBA_FANTASY_PTS DD2 TD3 WNBA_FANTASY_PTS "
            + " ".join(f"{c}_RANK" for c in (
                "GP W L W_PCT MIN FGM FGA FG_PCT FG3M FG3A FG3_PCT FTM FTA FT_PCT OREB DREB REB AST TOV STL BLK "
                "BLKA PF PFD PTS PLUS_MINUS NBA_FANTASY_PTS DD2 TD3 WNBA_FANTASY_PTS"
            ).split()),
        ),
    ),
)

_PLAYER_GAMES = f"GAME_DATE:str MATCHUP:str WL MIN {_SEASON_STATS}"
V2_PLAYER_GAME_LOG = ResultSets(
    (ResultSet("PlayerGameLog", f"Player_ID:int Game_ID:str {_PLAYER_GAMES}",
               f"SEASON_ID {_V2_PERCENTAGES} VIDEO_AVAILABLE"),)
)
V2_PLAYER_GAME_LOGS = ResultSets(
    (ResultSet("PlayerGameLogs", f"PLAYER_ID:int GAME_ID:str PLAYER_NAME TEAM_ID:int TEAM_ABBREVIATION {_PLAYER_GAMES}",
               f"SEASON_YEAR NICKNAME TEAM_NAME {_V2_PERCENTAGES} VIDEO_AVAILABLE"),)
)

V2_SCOREBOARD = ResultSets(
    (
        ResultSet(
            "GameHeader",
            "GAME_ID:str GAME_STATUS_ID:int GAME_STATUS_TEXT HOME_TEAM_ID:int VISITOR_TEAM_ID:int LIVE_PERIOD ARENA_NAME",
            "GAME_DATE_EST GAME_SEQUENCE GAMECODE SEASON LIVE_PC_TIME NATL_TV_BROADCASTER_ABBREVIATION "
            "HOME_TV_BROADCASTER_ABBREVIATION AWAY_TV_BROADCASTER_ABBREVIATION LIVE_PERIOD_TIME_BCAST WH_STATUS "
            "WNBA_COMMISSIONER_FLAG",
        ),
        ResultSet(
            "LineScore", "GAME_ID:str TEAM_ID:int TEAM_ABBREVIATION PTS",
            "GAME_DATE_EST GAME_SEQUENCE TEAM_CITY_NAME TEAM_NAME TEAM_WINS_LOSSES PTS_QTR1 PTS_QTR2 PTS_QTR3 PTS_QTR4 "
            + " ".join(f"PTS_OT{n}" for n in range(1, 11)) + " FG_PCT FT_PCT FG3_PCT AST REB TOV",
            rows=False,
        ),
    ),
    other_sets="SeriesStandings LastMeeting EastConfStandingsByDay WestConfStandingsByDay Available TeamLeaders "
    "TicketLinks WinProbability",
)

V2_TEAM_YEARS = ResultSets((ResultSet("TeamYears", "TEAM_ID:int MIN_YEAR MAX_YEAR", "LEAGUE_ID ABBREVIATION"),))


# ------------------------------------------------------------------------------- the registry
# By ``NBARequest.archive_name``: what a usable response of each endpoint the client calls is.
ENDPOINTS: dict[str, ResultSets | Document] = {
    "playbyplayv3": Document(
        V3PlayByPlay, rows=("game.actions",), whole_game=lambda payload: _actions_whole_game(payload["game"]["actions"])
    ),
    "cdn_playbyplay": Document(
        CdnPlayByPlay, rows=("game.actions",), whole_game=lambda payload: _actions_whole_game(payload["game"]["actions"])
    ),
    "playbyplayv2": V2_PLAY_BY_PLAY,
    "boxscoretraditionalv3": Document(
        V3BoxScore, rows=("boxScoreTraditional.homeTeam.players", "boxScoreTraditional.awayTeam.players")
    ),
    "cdn_boxscore": Document(CdnBoxScore, rows=("game.homeTeam.players", "game.awayTeam.players")),
    "boxscoretraditionalv2": V2_BOX_SCORE,
    "boxscoresummaryv2": V2_SUMMARY,
    "hustlestatsboxscore": V2_HUSTLE,
    "gamerotation": V2_ROTATION,
    "shotchartdetail": V2_SHOTS,
    # An empty games list is a real answer (no games that day): bronze compares it with the schedule.
    "scoreboardv3": Document(ScoreboardV3),
    "scoreboardv2": V2_SCOREBOARD,
    "scheduleleaguev2": Document(ScheduleLeagueV2, rows=("leagueSchedule.gameDates",)),
    "cdn_scheduleleaguev2": Document(ScheduleLeagueV2, rows=("leagueSchedule.gameDates",)),
    "leaguegamelog": V2_LEAGUE_GAME_LOG,
    "leaguegamefinder": V2_LEAGUE_GAME_FINDER,
    "leaguedashplayerstats": V2_PLAYER_SEASON_STATS,
    "playergamelog": V2_PLAYER_GAME_LOG,
    "playergamelogs": V2_PLAYER_GAME_LOGS,
    "commonteamyears": V2_TEAM_YEARS,
}


def validate(endpoint: str, label: str, payload: dict) -> tuple[str, ...]:
    """Check ``payload`` as a usable response of ``endpoint`` (an ``archive_name``); return its
    schema drift. Raises ``EmptyResponseError`` (no data) or ``UnusablePayloadError``."""
    if endpoint not in ENDPOINTS:  # a client method without a declaration: the code's fault, not the answer's
        raise ValueError(f"{label}: no validation is declared for endpoint {endpoint}; add it to validation.ENDPOINTS")
    return ENDPOINTS[endpoint].validate(label, payload)
