"""Which games and requests the bronze assets archive, read from the NBA's payloads: a date's
scoreboard statuses and whether it is settled, the archived schedules' final games, the requests
that make up a game's detail response.

Plain functions and classes that use no Dagster API (a logger is passed in), so the assets and the
new-games sensor share them and tests call them directly.
"""

from __future__ import annotations

import datetime as dt
import logging
import typing
from dataclasses import dataclass
from functools import partial

import polars as pl

from nba_lakehouse.bronze.archive import (
    GAME_FEEDS,
    archive_problem,
    find_archived,
    find_archived_date,
    find_archived_schedule,
    first_available,
    load_payload,
)
from nba_lakehouse.lake import Lake
from nba_lakehouse.partitions import season_of_game, seasons_possibly_containing, today_eastern
from nba_lakehouse.sources.client import NBAClient, NBAResponse
from nba_lakehouse.sources.errors import ErrorPayloadError, FeedUnavailableError
from nba_lakehouse.sources.payloads import FINAL, result_set, scoreboard_games

SCOREBOARD_ENDPOINTS = ("scoreboardv3", "scoreboardv2")
# Months in which the league plays no game in a usual season: an empty scoreboard then is no surprise
# (it is still not settled without a schedule to confirm it; see judge_scoreboard).
OFF_SEASON_MONTHS = {7, 8, 9}


def fetch_scoreboard(nba: NBAClient, game_date: dt.date) -> NBAResponse:
    """The date's ScoreboardV3, else its ScoreboardV2."""
    return first_available(str(game_date), partial(nba.scoreboard_v3, game_date), partial(nba.scoreboard_v2, game_date))


def scoreboard_statuses(payload: dict, endpoint: str) -> dict[str, int]:
    """``{game_id: status}`` (SCHEDULED, IN_PROGRESS or FINAL) from either scoreboard shape."""
    if endpoint == "scoreboardv3":
        return {g["gameId"]: typing.cast(int, g.get("gameStatus")) for g in scoreboard_games(payload)}  # validated: an int
    header = result_set(payload, "GameHeader")
    return dict(zip(header["GAME_ID"].cast(str), header["GAME_STATUS_ID"].cast(int), strict=True))


class Schedules:
    """The archived season schedules' games, parsed once per asset run: the independent word on
    which games were played (final) on a date, and whether a date had any game at all."""

    def __init__(self, lake):
        self.lake = lake
        self._seasons: dict[str, pl.DataFrame | None] = {}

    def games_on(self, game_date: dt.date) -> pl.DataFrame | None:
        """``game_id, status`` of the date's games in the archived schedules of its seasons; None
        when no schedule of those seasons is archived (or readable)."""
        frames = [f for s in seasons_possibly_containing(game_date) if (f := self._season(s)) is not None]
        if not frames:
            return None
        return pl.concat(frames).filter(pl.col("game_date") == game_date).select("game_id", "status")

    def finals_on(self, game_date: dt.date) -> set[str]:
        games = self.games_on(game_date)
        return set() if games is None else set(games.filter(pl.col("status") == FINAL)["game_id"])

    def _season(self, season: str) -> pl.DataFrame | None:
        if season not in self._seasons:
            manifest = find_archived_schedule(self.lake, season)
            self._seasons[season] = None if manifest is None or archive_problem(self.lake, manifest) else _schedule_games(
                load_payload(self.lake, manifest)
            )
        return self._seasons[season]


_SCHEDULE_GAMES = pl.List(pl.Struct({"gameId": pl.String, "gameStatus": pl.Int64, "gameDateEst": pl.String}))


def _schedule_games(payload: dict) -> pl.DataFrame:
    # gameDateEst: "2023-10-05T00:00:00Z", the Eastern date labelled Z (as silver.schedule reads it).
    return (
        pl.DataFrame(payload["leagueSchedule"]["gameDates"], schema={"games": _SCHEDULE_GAMES})
        .explode("games").unnest("games").drop_nulls("gameId")
        .select(game_id="gameId", status="gameStatus", game_date=pl.col("gameDateEst").str.slice(0, 10).str.to_date())
    )


@dataclass(frozen=True)
class ScoreboardVerdict:
    settled: bool  # it will not change again: kept, and the per-game assets take its final games
    missing: tuple[str, ...] = ()  # games the schedule has as final (or an earlier scoreboard listed) that it lacks
    problem: str = ""  # what a person should know (the check fails with it), "" when nothing


def judge_scoreboard(statuses: dict[str, int], game_date: dt.date, schedule: pl.DataFrame | None,
                     earlier: dict[str, int] | None = None, today: dt.date | None = None) -> ScoreboardVerdict:
    """Whether a date's scoreboard is right to keep and settled.

    It must list every game the season's schedule has as final that date and every game an
    earlier scoreboard of the date listed (games do not vanish from a scoreboard: a postponed one
    stays, marked so); one that does not is wrong, is not archived, and the date is asked again.
    It is settled once all its games are final. An empty one for a past date is settled only when
    the archived schedule confirms the date had no game: a date's age says nothing about whether
    an empty answer was right (the bug it replaces settled any past date), so without a schedule
    it is asked again on every run, one request per such date, and the check warns for dates in
    the usual season months.
    """
    today = today or today_eastern()
    finals = set() if schedule is None else set(schedule.filter(pl.col("status") == FINAL)["game_id"])
    missing = tuple(sorted((finals | set(earlier or {})) - set(statuses)))
    if missing:
        source = "schedule (as final) or an earlier scoreboard of the date"
        return ScoreboardVerdict(False, missing, f"lists {len(statuses)} games but not {', '.join(missing)}, which the {source} has")
    if statuses:
        return ScoreboardVerdict(all(status == FINAL for status in statuses.values()))
    if game_date >= today - dt.timedelta(days=1):
        return ScoreboardVerdict(False)  # today's and yesterday's may still fill
    if schedule is not None and schedule.is_empty():
        return ScoreboardVerdict(True)  # the schedule confirms: no game that date
    season = seasons_possibly_containing(game_date)[-1]
    why = ("no archived schedule of its season confirms it" if schedule is None
           else f"the schedule lists {schedule.height} games that date, none final")
    problem = "" if game_date.month in OFF_SEASON_MONTHS else (
        f"lists no game and {why}: not settled, asked again on every run (materialize bronze_schedule for {season} to confirm)"
    )
    return ScoreboardVerdict(False, (), problem)


def archived_statuses(store, manifest: dict | None, game_date: dt.date) -> tuple[dict[str, int] | None, str]:
    """The archived scoreboard's statuses, or None and why it cannot be used (corrupt, no games list)."""
    if manifest is None:
        return None, ""
    problem = archive_problem(store, manifest)
    if problem:
        return None, problem
    try:
        return scoreboard_statuses(load_payload(store, manifest), manifest["endpoint"]), ""
    except (ErrorPayloadError, KeyError) as exc:
        return None, (
            f"bronze archive {manifest['manifest_path']} ({manifest['request']}) for {game_date}: {exc}; "
            f"re-run bronze_scoreboard for {game_date} with refresh=true"
        )


class DateGames:
    """A date's final games, for the per-game bronze assets: from its archived scoreboard once
    settled, else asked again; in live mode with the games the archived schedule has as final, so
    a scoreboard that lost games does not lose them.

    Reading the settled archive keeps a season backfill (or its restart) from asking the scoreboard
    of every date once per asset. Replay mode takes the recorded games' table of contents, as
    ``NBAClient.final_games_on`` does.
    """

    def __init__(self, log: logging.Logger, nba: NBAClient, store: Lake):
        self.log, self.nba, self.store = log, nba, store
        self.schedules = Schedules(store)

    def final_games(self, game_date: dt.date) -> list[str]:
        if self.nba.mode != "live":
            return self.nba.final_games_on(game_date)
        schedule = self.schedules.games_on(game_date)
        statuses, _ = archived_statuses(self.store, find_archived_date(self.store, SCOREBOARD_ENDPOINTS, game_date), game_date)
        if statuses is not None and judge_scoreboard(statuses, game_date, schedule).settled:
            return sorted(g for g, status in statuses.items() if status == FINAL)
        try:
            asked = self.nba.final_games_on(game_date)
        except ErrorPayloadError as exc:
            self.log.warning(
                f"ScoreboardV3 for {game_date} is unusable ({exc}): taking that date's games from the archived "
                "schedule only; the next run asks again"
            )
            asked = []
        return sorted(set(asked) | self.schedules.finals_on(game_date))


# Per-game detail feeds ----------------------------------------------------------------------
def shot_chart_teams(lake, game_id: str, game_date) -> list[int]:
    """ShotChartDetail is asked per team: the teams come from the game's archived box score."""
    manifest = find_archived(lake, "box_score", game_id, game_date)
    if manifest is None:
        raise FeedUnavailableError(f"shots of game {game_id}", "no box score archived to take the teams from")
    payload = load_payload(lake, manifest)
    if manifest["feed"] == "v2":
        return sorted(set(result_set(payload, "TeamStats")["TEAM_ID"].cast(int).to_list()))
    game = payload["boxScoreTraditional"] if manifest["feed"] == "v3" else payload["game"]
    return sorted(int(game[side]["teamId"]) for side in ("homeTeam", "awayTeam"))


def detail_requests(nba: NBAClient, lake, kind: str, game_id: str, game_date):
    """(part, fetch) pairs: the requests that make up one game's response of this kind."""
    if kind == "shots":
        season = season_of_game(game_id)
        return [
            (str(team_id), lambda t=team_id: nba.shot_chart_detail(t, game_id=game_id, season=season))
            for team_id in shot_chart_teams(lake, game_id, game_date)
        ]
    method = getattr(nba, GAME_FEEDS[kind]["v2"].client_method)
    return [(None, lambda: method(game_id))]
