"""Bronze assets: every NBA response, archived verbatim: per game date, per season, or once."""

# No `from __future__ import annotations` in asset modules: Dagster reads the Config and
# resource annotations at definition time and cannot resolve them from strings.

import datetime as dt
from collections import Counter
from itertools import islice

import dagster as dg
from pydantic import Field, field_validator

from nba_lakehouse import game_issues
from nba_lakehouse.bronze.archive import (
    DEFAULT_FEED_ORDER,
    GAME_FEEDS,
    archive_date_response,
    archive_game_response,
    archive_reference_response,
    archive_season_response,
    fetch_game,
    fetch_schedule,
    find_archived,
    find_archived_date,
    find_archived_reference,
    find_archived_schedule,
    find_archived_season,
    load_payload,
)
from nba_lakehouse.partitions import (
    game_date_partitions,
    season_of_game,
    season_partitions,
    today_eastern,
)
from nba_lakehouse.progress import date_progress
from nba_lakehouse.resources import LakeResource
from nba_lakehouse.sources.client import NBAClient, NBAResponse
from nba_lakehouse.sources.errors import ErrorPayloadError, FeedUnavailableError, HTTPStatusError
from nba_lakehouse.sources.payloads import result_set, scoreboard_games
from nba_lakehouse.wiring import partition_dates, record_issues

NBA_API_POOL = "nba_api"


class BronzeGameDetailsConfig(dg.Config):
    refresh: bool = Field(default=False, description="Fetch again even what is already archived")
    game_ids: list[str] = Field(
        default_factory=list,
        description="Archive exactly these games (one game date only) instead of the date's final games",
    )

    @field_validator("game_ids")
    @classmethod
    def _valid_game_ids(cls, game_ids: list[str]) -> list[str]:
        for game_id in game_ids:
            season_of_game(game_id)  # raises, naming the id, for anything but 10 digits
        return game_ids


class BronzeGamesConfig(BronzeGameDetailsConfig):
    feeds: list[str] = Field(default_factory=lambda: list(DEFAULT_FEED_ORDER), description="Feeds to try, in order")

    @field_validator("feeds")
    @classmethod
    def _known_feeds(cls, feeds: list[str]) -> list[str]:
        known = list(GAME_FEEDS["play_by_play"])
        unknown = [f for f in feeds if f not in known]
        if unknown or not feeds:
            raise ValueError(f"feeds must be a non-empty list drawn from {known}; got {feeds}")
        return feeds


def archive_games(context: dg.AssetExecutionContext, kind: str, config: BronzeGamesConfig, nba: NBAClient, lake_resource: LakeResource) -> dg.MaterializeResult:
    lake = lake_resource.lake()
    dates = partition_dates(context)
    if config.game_ids and len(dates) != 1:
        raise dg.Failure(f"config game_ids applies to a single game date; this run covers {len(dates)} dates")
    fetched, reused, feeds_used = [], [], {}
    failed: dict[str, tuple[dt.date, str, str]] = {}  # game -> (date, rule, detail)
    progress = date_progress(context, dates)
    for game_date in dates:
        game_ids = list(config.game_ids) or final_games(nba, lake, game_date)
        for game_id in game_ids:
            existing = None if config.refresh else find_archived(lake, kind, game_id, game_date)
            if existing:
                reused.append(game_id)
                feeds_used[game_id] = existing["feed"]
                continue
            try:
                feed, response = fetch_game(nba, kind, game_id, config.feeds)
            except GAME_LEVEL_ERRORS as exc:
                # This game's problem, not the run's: the date's other games go on.
                failed[game_id] = (game_date, _fetch_rule(exc), str(exc).replace("\n", " "))
                continue
            archive_game_response(lake, response, kind=kind, feed=feed, game_id=game_id, game_date=game_date)
            fetched.append(game_id)
            feeds_used[game_id] = feed.name
        progress.step(detail=f"{game_date}, {len(feeds_used)} games so far, {len(fetched)} fetched, {len(failed)} held back")
    found = game_issues.violations([(game_id, rule, detail) for game_id, (_, rule, detail) in failed.items()])
    issues = game_issues.issue_rows(
        found, {g: d for g, (d, _, _) in failed.items()}, recorded_by=context.op_def.name, stage="bronze",
        tables=GAME_TABLES[kind], run_id=context.run.run_id,
    )
    return dg.MaterializeResult(
        metadata={
            "games": len(feeds_used),
            "fetched": len(fetched),
            "already_archived": len(reused),
            "feeds": dg.MetadataValue.json(dict(Counter(feeds_used.values()))),
            "mode": nba.mode,
            **record_issues(context, lake, dates, issues),
        }
    )


# A fetch error that is about one game (the feeds lack it, or answer it with garbage or a refusal)
# holds that game back; a transport failure (deadline, retries exhausted) fails the run, since
# every later request would meet it too.
GAME_LEVEL_ERRORS = (FeedUnavailableError, ErrorPayloadError, HTTPStatusError)
# The silver tables a game held back by each per-game bronze asset is missing from.
GAME_TABLES = {"play_by_play": "play_by_play", "box_score": "box_score_players, box_score_teams"}


def _fetch_rule(exc: Exception) -> str:
    if isinstance(exc, FeedUnavailableError):
        return "feed_unavailable"
    return "unusable_payload" if isinstance(exc, ErrorPayloadError) else "http_error"


_common = dict(
    partitions_def=game_date_partitions,
    backfill_policy=dg.BackfillPolicy.single_run(),
    group_name="bronze",
    pool=NBA_API_POOL,
    kinds={"json"},
)
# The per-game feeds read each date's games from its archived scoreboard, so it goes first.
_per_game = {**_common, "deps": ["bronze_scoreboard"]}
# Detail feeds may hold nothing for a whole run (see archive_game_details).
_per_game_detail = {**_per_game, "output_required": False}


@dg.asset(description="Raw play-by-play responses (CDN, PlayByPlayV3 or PlayByPlayV2) of each final game", **_per_game)
def bronze_play_by_play(context: dg.AssetExecutionContext, config: BronzeGamesConfig, nba: NBAClient, lake: LakeResource) -> dg.MaterializeResult:
    return archive_games(context, "play_by_play", config, nba, lake)


@dg.asset(description="Raw box score responses (CDN, BoxScoreTraditionalV3 or V2) of each final game", **_per_game)
def bronze_box_score(context: dg.AssetExecutionContext, config: BronzeGamesConfig, nba: NBAClient, lake: LakeResource) -> dg.MaterializeResult:
    return archive_games(context, "box_score", config, nba, lake)


class BronzeSeasonConfig(dg.Config):
    refresh: bool = Field(default=False, description="Fetch again even what is already archived")


@dg.asset(
    description="Raw ScheduleLeagueV2 of the season (stats API, or the CDN's for the current season): every game, played or not",
    partitions_def=season_partitions,
    group_name="bronze",
    pool=NBA_API_POOL,
    kinds={"json"},
)
def bronze_schedule(context: dg.AssetExecutionContext, config: BronzeSeasonConfig, nba: NBAClient, lake: LakeResource) -> dg.MaterializeResult:
    store = lake.lake()
    season = context.partition_key
    if not config.refresh and find_archived_schedule(store, season):
        return dg.MaterializeResult(metadata={"fetched": 0, "already_archived": 1})
    try:
        response = fetch_schedule(nba, season)
    except FeedUnavailableError as exc:
        context.log.info(f"schedule of {season} unavailable: {exc}")
        return dg.MaterializeResult(metadata={"fetched": 0, "already_archived": 0, "unavailable": str(exc)})
    manifest = archive_season_response(store, response, season=season)
    games = sum(len(d["games"]) for d in response.payload["leagueSchedule"]["gameDates"])
    return dg.MaterializeResult(
        metadata={"fetched": 1, "already_archived": 0, "games": games, "bytes": manifest["bytes"], "endpoint": manifest["endpoint"]}
    )


# Per-game detail feeds ----------------------------------------------------------------------
def _shot_chart_teams(lake, game_id: str, game_date) -> list[int]:
    """ShotChartDetail is asked per team: the teams come from the game's archived box score."""
    manifest = find_archived(lake, "box_score", game_id, game_date)
    if manifest is None:
        raise FeedUnavailableError(f"shots of game {game_id}", "no box score archived to take the teams from")
    payload = load_payload(lake, manifest)
    if manifest["feed"] == "v2":
        return sorted(set(result_set(payload, "TeamStats")["TEAM_ID"].cast(int).to_list()))
    game = payload["boxScoreTraditional"] if manifest["feed"] == "v3" else payload["game"]
    return sorted(int(game[side]["teamId"]) for side in ("homeTeam", "awayTeam"))


def _detail_requests(nba: NBAClient, lake, kind: str, game_id: str, game_date):
    """(part, fetch) pairs: the requests that make up one game's response of this kind."""
    if kind == "shots":
        season = season_of_game(game_id)
        return [
            (str(team_id), lambda t=team_id: nba.shot_chart_detail(t, game_id=game_id, season=season))
            for team_id in _shot_chart_teams(lake, game_id, game_date)
        ]
    method = getattr(nba, GAME_FEEDS[kind]["v2"].client_method)
    return [(None, lambda: method(game_id))]


def archive_game_details(
    context: dg.AssetExecutionContext, kind: str, config: BronzeGameDetailsConfig, nba: NBAClient, lake_resource: LakeResource
):
    """Archive a detail feed for every game of the run's dates; a game the feed lacks is listed, not fatal.

    When the feed holds nothing for any game of the run (hustle before 2015-16, a replay without
    such recordings) the asset records no materialization, so its silver table and checks are
    skipped too: a season backfill then pays no event per date for a feed that is not there.
    """
    lake = lake_resource.lake()
    dates = partition_dates(context)
    if config.game_ids and len(dates) != 1:
        raise dg.Failure(f"config game_ids applies to a single game date; this run covers {len(dates)} dates")
    feed = GAME_FEEDS[kind]["v2"]
    fetched, reused, unavailable = 0, 0, {}
    progress = date_progress(context, dates)
    for game_date in dates:
        for game_id in list(config.game_ids) or final_games(nba, lake, game_date):
            try:
                requests = _detail_requests(nba, lake, kind, game_id, game_date)
                for part, fetch in requests:
                    if not config.refresh and find_archived(lake, kind, game_id, game_date, part):
                        reused += 1
                        continue
                    archive_game_response(
                        lake, fetch(), kind=kind, feed=feed, game_id=game_id, game_date=game_date, part=part
                    )
                    fetched += 1
            except FeedUnavailableError as exc:
                unavailable[game_id] = str(exc)
        progress.step(detail=f"{game_date}, {fetched} fetched, {reused} already archived, {len(unavailable)} games unavailable")
    if unavailable:
        # One line per step, not per game: every log line is an event-log write (~20 ms on a sqlite
        # instance); the metadata below shows the first games and their reasons.
        first = next(iter(unavailable))
        context.log.info(
            f"{feed.endpoint} unavailable for {len(unavailable)} games (the first in the metadata), "
            f"e.g. {first}: {unavailable[first]}"
        )
    if not fetched and not reused:
        context.log.info(f"{feed.endpoint} holds no game of the run's {len(dates)} dates: nothing to materialize")
        return
    yield dg.MaterializeResult(
        metadata={
            "fetched": fetched,
            "already_archived": reused,
            "games_unavailable": len(unavailable),
            "unavailable": dg.MetadataValue.json(dict(islice(unavailable.items(), game_issues.SAMPLE_GAMES))),
            "mode": nba.mode,
        }
    )


@dg.asset(description="Raw BoxScoreSummaryV2 of each final game: line score, officials, inactive players", **_per_game_detail)
def bronze_box_score_summary(context: dg.AssetExecutionContext, config: BronzeGameDetailsConfig, nba: NBAClient, lake: LakeResource):
    yield from archive_game_details(context, "summary", config, nba, lake)


@dg.asset(description="Raw HustleStatsBoxScore of each final game (tracked since 2015-16)", **_per_game_detail)
def bronze_hustle_stats(context: dg.AssetExecutionContext, config: BronzeGameDetailsConfig, nba: NBAClient, lake: LakeResource):
    yield from archive_game_details(context, "hustle", config, nba, lake)


@dg.asset(description="Raw GameRotation of each final game: every player's stints", **_per_game_detail)
def bronze_game_rotation(context: dg.AssetExecutionContext, config: BronzeGameDetailsConfig, nba: NBAClient, lake: LakeResource):
    yield from archive_game_details(context, "rotation", config, nba, lake)


@dg.asset(
    description="Raw ShotChartDetail of each final game, one response per team (every attempt, with locations)",
    **{**_per_game_detail, "deps": ["bronze_scoreboard", bronze_box_score]},
)
def bronze_shot_chart(context: dg.AssetExecutionContext, config: BronzeGameDetailsConfig, nba: NBAClient, lake: LakeResource):
    yield from archive_game_details(context, "shots", config, nba, lake)


# Scoreboards --------------------------------------------------------------------------------
SCOREBOARD_ENDPOINTS = ("scoreboardv3", "scoreboardv2")


def scoreboard_statuses(payload: dict, endpoint: str) -> dict[str, int]:
    """``{game_id: status}`` (1 scheduled, 2 in progress, 3 final) from either scoreboard shape."""
    if endpoint == "scoreboardv3":
        return {g["gameId"]: g.get("gameStatus") for g in scoreboard_games(payload)}
    header = result_set(payload, "GameHeader")
    return dict(zip(header["GAME_ID"].cast(str), header["GAME_STATUS_ID"].cast(int), strict=True))


def _scoreboard_settled(statuses: dict[str, int], game_date: dt.date) -> bool:
    """A scoreboard will not change again once its games are final (or a past date had none)."""
    if not statuses:
        return game_date < today_eastern() - dt.timedelta(days=1)
    return all(status == 3 for status in statuses.values())


def final_games(nba: NBAClient, store, game_date: dt.date) -> list[str]:
    """A date's final games: from its archived scoreboard once settled, else asked again.

    Every per-game bronze asset needs the list; reading the settled archive keeps a season
    backfill (or its restart) from asking the scoreboard of every date once per asset. Replay
    mode takes the recorded games' table of contents, as ``NBAClient.final_games_on`` does.
    """
    if nba.mode == "live":
        archived = find_archived_date(store, SCOREBOARD_ENDPOINTS, game_date)
        if archived:
            statuses = scoreboard_statuses(load_payload(store, archived), archived["endpoint"])
            if _scoreboard_settled(statuses, game_date):
                return sorted(g for g, status in statuses.items() if status == 3)
    return nba.final_games_on(game_date)


@dg.asset(
    description="Raw scoreboard of each date (ScoreboardV3, else ScoreboardV2): game statuses and scores as fetched",
    **_common,
)
def bronze_scoreboard(context: dg.AssetExecutionContext, config: BronzeSeasonConfig, nba: NBAClient, lake: LakeResource) -> dg.MaterializeResult:
    store = lake.lake()
    fetched, reused, unavailable = 0, 0, {}
    dates = partition_dates(context)
    progress = date_progress(context, dates)
    for game_date in dates:
        archived = find_archived_date(store, SCOREBOARD_ENDPOINTS, game_date)
        # A settled scoreboard is kept; one with games still to finish is fetched again.
        if archived and not config.refresh and _scoreboard_settled(
            scoreboard_statuses(load_payload(store, archived), archived["endpoint"]), game_date
        ):
            reused += 1
        else:
            try:
                response = _first_available(nba.scoreboard_v3, nba.scoreboard_v2, argument=game_date)
            except FeedUnavailableError as exc:
                unavailable[game_date.isoformat()] = str(exc)
            else:
                archive_date_response(store, response, game_date=game_date)
                fetched += 1
        progress.step(detail=f"{game_date}, {fetched} fetched, {reused} already archived, {len(unavailable)} unavailable")
    return dg.MaterializeResult(
        metadata={"fetched": fetched, "already_archived": reused, "unavailable": dg.MetadataValue.json(unavailable)}
    )


def _first_available(*fetches, argument) -> NBAResponse:
    problems = []
    for fetch in fetches:
        try:
            return fetch(argument)
        except FeedUnavailableError as exc:
            problems.append(str(exc))
    raise FeedUnavailableError(f"{argument}", "no feed has it:\n  " + "\n  ".join(problems))


# Season-level sources -------------------------------------------------------------------------
class BronzePlayerGameLogsConfig(BronzeSeasonConfig):
    player_ids: list[int] = Field(
        default_factory=list,
        description="Fetch these players' PlayerGameLog one by one instead of every player's PlayerGameLogs at once",
    )


def _season_result(context, found: dict | None, fetched: list[dict], unavailable: str | None) -> dg.MaterializeResult:
    if unavailable:
        context.log.info(f"{context.partition_key}: {unavailable}")
    return dg.MaterializeResult(
        metadata={
            "fetched": len(fetched),
            "already_archived": int(found is not None),
            "endpoints": ", ".join(sorted({m["endpoint"] for m in fetched} | ({found["endpoint"]} if found else set()))),
            "unavailable": unavailable or "",
        }
    )


def archive_season_source(context, endpoints: tuple[str, ...], fetches, config: BronzeSeasonConfig, lake_resource: LakeResource):
    """Archive a season's response from the first fetch that has it; nothing available is reported, not fatal."""
    store = lake_resource.lake()
    season = context.partition_key
    found = None if config.refresh else find_archived_season(store, endpoints, season)
    if found:
        return _season_result(context, found, [], None)
    try:
        response = _first_available(*fetches, argument=season)
    except FeedUnavailableError as exc:
        return _season_result(context, None, [], str(exc))
    return _season_result(context, None, [archive_season_response(store, response, season=season)], None)


_season_common = dict(partitions_def=season_partitions, group_name="bronze", pool=NBA_API_POOL, kinds={"json"})


@dg.asset(description="Raw LeagueGameLog (else LeagueGameFinder) of the season: every team's completed games", **_season_common)
def bronze_team_game_log(context: dg.AssetExecutionContext, config: BronzeSeasonConfig, nba: NBAClient, lake: LakeResource) -> dg.MaterializeResult:
    return archive_season_source(
        context, TEAM_GAME_LOG_ENDPOINTS, (nba.league_game_log, nba.league_game_finder_season), config, lake
    )


@dg.asset(description="Raw LeagueDashPlayerStats of the season (Base, Totals)", **_season_common)
def bronze_player_season_stats(context: dg.AssetExecutionContext, config: BronzeSeasonConfig, nba: NBAClient, lake: LakeResource) -> dg.MaterializeResult:
    return archive_season_source(context, ("leaguedashplayerstats",), (nba.league_dash_player_stats,), config, lake)


@dg.asset(description="Raw PlayerGameLogs of the season (every player), or PlayerGameLog for configured players", **_season_common)
def bronze_player_game_logs(context: dg.AssetExecutionContext, config: BronzePlayerGameLogsConfig, nba: NBAClient, lake: LakeResource) -> dg.MaterializeResult:
    if not config.player_ids:
        return archive_season_source(context, ("playergamelogs",), (nba.player_game_logs,), config, lake)
    store, season = lake.lake(), context.partition_key
    fetched, reused, unavailable = [], 0, {}
    for player_id in config.player_ids:
        if not config.refresh and find_archived_season(store, ["playergamelog"], season, str(player_id)):
            reused += 1
            continue
        try:
            response = nba.player_game_log(player_id, season)
        except FeedUnavailableError as exc:
            unavailable[str(player_id)] = str(exc)
            continue
        fetched.append(archive_season_response(store, response, season=season, part=str(player_id)))
    return dg.MaterializeResult(
        metadata={"fetched": len(fetched), "already_archived": reused, "unavailable": dg.MetadataValue.json(unavailable)}
    )


TEAM_GAME_LOG_ENDPOINTS = ("leaguegamelog", "leaguegamefinder")


@dg.asset(description="Raw CommonTeamYears: every franchise's first and last season", group_name="bronze", pool=NBA_API_POOL, kinds={"json"})
def bronze_team_years(config: BronzeSeasonConfig, nba: NBAClient, lake: LakeResource) -> dg.MaterializeResult:
    store = lake.lake()
    if not config.refresh and find_archived_reference(store, "commonteamyears"):
        return dg.MaterializeResult(metadata={"fetched": 0, "already_archived": 1})
    manifest = archive_reference_response(store, nba.common_team_years())
    return dg.MaterializeResult(metadata={"fetched": 1, "already_archived": 0, "bytes": manifest["bytes"]})
