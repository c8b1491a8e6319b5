"""Bronze assets: every NBA response, archived verbatim: per game date, per season, or once."""

# No `from __future__ import annotations` in asset modules: Dagster reads the Config and
# resource annotations at definition time and cannot resolve them from strings.

import datetime as dt
from collections import Counter
from functools import partial
from itertools import islice
from typing import Any

import dagster as dg
from pydantic import Field, field_validator

from nba_lakehouse import game_issues
from nba_lakehouse.bronze.archive import (
    DEFAULT_FEED_ORDER,
    GAME_FEEDS,
    TEAM_GAME_LOG_ENDPOINTS,
    ArchiveCorruptError,
    Archiver,
    archive_date_response,
    archive_game_response,
    archive_reference_response,
    archive_season_response,
    attempt_feeds,
    feed_fields,
    fetch_schedule,
    find_archived,
    find_archived_date,
    find_archived_reference,
    find_archived_schedule,
    find_archived_season,
    first_available,
    preferred_feeds_to_retry,
    record_preferred_failure,
    remove_archived,
)
from nba_lakehouse.bronze.checks import DETAIL_FEED_MISSING
from nba_lakehouse.bronze.discovery import (
    SCOREBOARD_ENDPOINTS,
    DateGames,
    Schedules,
    archived_statuses,
    detail_requests,
    fetch_scoreboard,
    judge_scoreboard,
    scoreboard_statuses,
)
from nba_lakehouse.partitions import game_date_partitions, season_of_game, season_partitions
from nba_lakehouse.progress import date_progress
from nba_lakehouse.resources import LakeResource
from nba_lakehouse.sources.client import NBAClient
from nba_lakehouse.sources.errors import EmptyResponseError, ErrorPayloadError, FeedUnavailableError, HTTPStatusError
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


def _corrupt_metadata(context, corrupt: dict) -> dict:
    if corrupt:
        first = next(iter(corrupt))
        context.log.warning(f"{len(corrupt)} archived responses were corrupt and fetched again, e.g. {first}: {corrupt[first]}")
    return {
        "corrupt_refetched": len(corrupt),
        "corrupt": dg.MetadataValue.json(dict(islice(corrupt.items(), game_issues.SAMPLE_GAMES))),
    }


def drift_metadata(manifests) -> dict:
    """``schema_drift``: per endpoint, the fields the fetched responses had beyond what is declared."""
    drift: dict[str, set[str]] = {}
    for manifest in manifests:
        if manifest.get("schema_drift"):
            drift.setdefault(manifest["endpoint"], set()).update(manifest["schema_drift"])
    return {"schema_drift": dg.MetadataValue.json({endpoint: sorted(fields) for endpoint, fields in sorted(drift.items())})}


def archive_games(context: dg.AssetExecutionContext, kind: str, config: BronzeGamesConfig, nba: NBAClient, lake_resource: LakeResource) -> dg.MaterializeResult:
    """Archive the kind's response of every final game of the run's dates from the first feed that has it.

    A game archived from a fallback feed because a preferred one failed transiently (a 403, an
    error payload) asks the preferred feeds again on later runs, up to PREFERRED_FEED_RETRIES
    times; once one answers, its archive replaces the fallback's.
    """
    lake = lake_resource.lake()
    dates = partition_dates(context)
    if config.game_ids and len(dates) != 1:
        raise dg.Failure(f"config game_ids applies to a single game date; this run covers {len(dates)} dates")
    archiver = Archiver(lake, config.refresh)
    fetched, reused, corrupt = archiver.fetched, archiver.reused, archiver.corrupt
    feeds_used: dict[str, str] = {}
    fallbacks: dict[str, str] = {}  # game -> why its archive is not from the first feed
    replaced: list[str] = []  # games whose fallback archive gave way to a preferred feed
    failed: dict[str, tuple[dt.date, str, str]] = {}  # game -> (date, rule, detail)
    discovery = DateGames(context.log, nba, lake)
    progress = date_progress(context, dates)
    for game_date in dates:
        for game_id in list(config.game_ids) or discovery.final_games(game_date):
            existing = archiver.reusable(game_id, partial(find_archived, lake, kind, game_id, game_date))
            order = preferred_feeds_to_retry(existing, config.feeds) if existing else config.feeds
            if existing and not order:
                reused.append(existing)
                feeds_used[game_id] = existing["feed"]
                if existing.get("feed_failures"):
                    fallbacks[game_id] = existing["feed_reason"]
                continue
            attempt = attempt_feeds(nba, kind, game_id, order)
            if attempt.response is None and existing:
                existing = record_preferred_failure(lake, existing, attempt)
                reused.append(existing)
                feeds_used[game_id] = existing["feed"]
                fallbacks[game_id] = existing["feed_reason"]
                continue
            if attempt.response is None or attempt.feed is None:  # both or neither: a feed answered
                # This game's problem, not the run's: the date's other games go on.
                error = attempt.error()
                rule = "archive_corrupt" if game_id in corrupt else _fetch_rule(error)
                detail = (f"{corrupt[game_id]}; fetching it again failed: " if game_id in corrupt else "") + str(error)
                failed[game_id] = (game_date, rule, detail.replace("\n", " "))
                continue
            manifest = archive_game_response(
                lake, attempt.response, kind=kind, feed=attempt.feed, game_id=game_id, game_date=game_date,
                **feed_fields(existing, attempt, config.feeds),
            )
            if existing and existing["manifest_path"] != manifest["manifest_path"]:
                remove_archived(lake, existing)
                replaced.append(game_id)
            fetched.append(manifest)
            feeds_used[game_id] = attempt.feed.name
            if manifest["feed_failures"]:
                fallbacks[game_id] = manifest["feed_reason"]
        progress.step(detail=f"{game_date}, {len(feeds_used)} games so far, {len(fetched)} fetched, {len(failed)} held back")
    if fallbacks:
        first = next(iter(fallbacks))
        context.log.info(f"{len(fallbacks)} games archived from a fallback feed, e.g. {first}: {fallbacks[first]}")
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
            "feed_fallbacks": dg.MetadataValue.json(dict(islice(fallbacks.items(), game_issues.SAMPLE_GAMES))),
            "fallbacks_replaced": len(replaced),
            "mode": nba.mode,
            **_corrupt_metadata(context, corrupt),
            **drift_metadata(fetched),
            **record_issues(context, lake, dates, issues),
        }
    )


# The silver tables a game held back by each per-game bronze asset is missing from.
GAME_TABLES = {"play_by_play": "play_by_play", "box_score": "box_score_players, box_score_teams"}


def _fetch_rule(exc: Exception) -> str:
    if isinstance(exc, FeedUnavailableError):
        return "feed_unavailable"
    return "unusable_payload" if isinstance(exc, ErrorPayloadError) else "http_error"


_common: dict[str, Any] = dict(
    partitions_def=game_date_partitions,
    backfill_policy=dg.BackfillPolicy.single_run(),
    group_name="bronze",
    pool=NBA_API_POOL,
    kinds={"json"},
)
# The per-game feeds read each date's games from its archived scoreboard, so it goes first.
_per_game: dict[str, Any] = {**_common, "deps": ["bronze_scoreboard"]}
# Detail feeds may hold nothing for a whole run (see archive_game_details).
_per_game_detail: dict[str, Any] = {**_per_game, "output_required": False}


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
    archiver = Archiver(store, config.refresh)
    corrupt = archiver.corrupt
    if archiver.reusable(season, partial(find_archived_schedule, store, season)):
        return dg.MaterializeResult(metadata={"fetched": 0, "already_archived": 1})
    try:
        response = fetch_schedule(nba, season)
    except FeedUnavailableError as exc:
        context.log.info(f"schedule of {season} unavailable: {exc}")
        return dg.MaterializeResult(metadata={
            "fetched": 0, "already_archived": 0, "unavailable": str(exc), **_corrupt_metadata(context, corrupt),
        })
    manifest = archive_season_response(store, response, season=season)
    games = sum(len(d["games"]) for d in response.payload["leagueSchedule"]["gameDates"])
    return dg.MaterializeResult(
        metadata={"fetched": 1, "already_archived": 0, "games": games, "bytes": manifest["bytes"], "endpoint": manifest["endpoint"],
                  **_corrupt_metadata(context, corrupt), **drift_metadata([manifest])}
    )


# Detail feeds that did not exist before a season: a game of an earlier season lacks them by nature.
DETAIL_FEED_FIRST_SEASON = {"hustle": "2015-16"}
# The silver tables a game missing from each detail feed is missing from.
DETAIL_TABLES = {"summary": "line_scores, officials, inactive_players", "hustle": "hustle_stats",
                 "rotation": "game_rotations", "shots": "shots"}


def archive_game_details(
    context: dg.AssetExecutionContext, kind: str, config: BronzeGameDetailsConfig, nba: NBAClient, lake_resource: LakeResource
):
    """Archive a detail feed for every game of the run's dates; a game the feed lacks is listed, not fatal.

    A feed that answers a game with nothing usable (an empty or error payload, a refusal) archives
    nothing for it: the game is recorded as missing (``silver.game_issues``, flagged
    ``detail_feed_missing``, for this asset's ``games_missing`` check) and asked again next run. A
    feed that says it lacks the game (404, not recorded, a season before the feed existed) is only
    listed in the metadata.

    When the feed holds nothing for any game of the run (hustle before 2015-16, a replay without
    such recordings) and no game is missing, the asset records no materialization, so its silver
    table and checks are skipped too: a season backfill then pays no event per date for a feed
    that is not there.
    """
    lake = lake_resource.lake()
    dates = partition_dates(context)
    if config.game_ids and len(dates) != 1:
        raise dg.Failure(f"config game_ids applies to a single game date; this run covers {len(dates)} dates")
    feed = GAME_FEEDS[kind]["v2"]
    archiver = Archiver(lake, config.refresh)
    fetched, reused, corrupt = archiver.fetched, archiver.reused, archiver.corrupt
    unavailable: dict[str, str] = {}
    missing: dict[str, tuple[dt.date, str]] = {}  # game -> (date, what was wrong)
    discovery = DateGames(context.log, nba, lake)
    progress = date_progress(context, dates)
    for game_date in dates:
        for game_id in list(config.game_ids) or discovery.final_games(game_date):
            try:
                for part, fetch in detail_requests(nba, lake, kind, game_id, game_date):
                    archiver.reuse_or_archive(
                        f"{game_id} {part}" if part else game_id,
                        partial(find_archived, lake, kind, game_id, game_date, part),
                        lambda fetch=fetch, part=part, game_id=game_id, game_date=game_date: archive_game_response(  # type: ignore[misc]
                            lake, fetch(), kind=kind, feed=feed, game_id=game_id, game_date=game_date, part=part
                        ),
                    )
            except (EmptyResponseError, ErrorPayloadError, HTTPStatusError, ArchiveCorruptError) as exc:
                if season_of_game(game_id) < DETAIL_FEED_FIRST_SEASON.get(kind, ""):
                    unavailable[game_id] = str(exc)
                else:
                    missing[game_id] = (game_date, str(exc).replace("\n", " "))
            except FeedUnavailableError as exc:
                unavailable[game_id] = str(exc)
        progress.step(detail=f"{game_date}, {len(fetched)} fetched, {len(reused)} already archived, "
                             f"{len(missing)} games missing, {len(unavailable)} unavailable")
    if unavailable:
        # One line per step, not per game: every log line is an event-log write (~20 ms on a sqlite
        # instance); the metadata below shows the first games and their reasons.
        first = next(iter(unavailable))
        context.log.info(
            f"{feed.endpoint} unavailable for {len(unavailable)} games (the first in the metadata), "
            f"e.g. {first}: {unavailable[first]}"
        )
    found = game_issues.violations([(g, DETAIL_FEED_MISSING, detail) for g, (_, detail) in missing.items()])
    issues = game_issues.issue_rows(
        found, {g: d for g, (d, _) in missing.items()}, recorded_by=context.op_def.name, stage="bronze",
        tables=DETAIL_TABLES[kind], action=game_issues.FLAGGED, run_id=context.run.run_id,
    )
    recorded = record_issues(context, lake, dates, issues)
    if not fetched and not reused and not missing:
        context.log.info(f"{feed.endpoint} holds no game of the run's {len(dates)} dates: nothing to materialize")
        return
    if missing:
        first = next(iter(missing))
        context.log.warning(
            f"{feed.endpoint} answered {len(missing)} games with nothing usable (recorded as missing, asked again "
            f"on the next run), e.g. {first}: {missing[first][1]}"
        )
    yield dg.MaterializeResult(
        metadata={
            "fetched": len(fetched),
            "already_archived": len(reused),
            "games_unavailable": len(unavailable),
            "unavailable": dg.MetadataValue.json(dict(islice(unavailable.items(), game_issues.SAMPLE_GAMES))),
            "games_missing": len(missing),
            "mode": nba.mode,
            **_corrupt_metadata(context, corrupt),
            **drift_metadata(fetched),
            **recorded,
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


@dg.asset(
    description="Raw scoreboard of each date (ScoreboardV3, else ScoreboardV2): game statuses and scores as fetched",
    **_common,
)
def bronze_scoreboard(context: dg.AssetExecutionContext, config: BronzeSeasonConfig, nba: NBAClient, lake: LakeResource) -> dg.MaterializeResult:
    """Archive each date's scoreboard unless the archived one is settled (see judge_scoreboard).

    A scoreboard that is unusable or lacks games the schedule (or an earlier scoreboard) has is
    not archived, so the date is never settled on it: its missing games are flagged in
    ``silver.game_issues`` (``scoreboard_missing_games``), and every problem is in the metadata
    (``problems``, by date), which the ``scoreboards_usable`` check (a warning) reports.
    """
    store = lake.lake()
    fetched, reused, unavailable, corrupt = [], 0, {}, {}
    problems: dict[str, str] = {}  # date -> what was wrong with its scoreboard
    missing: dict[str, tuple[dt.date, str]] = {}  # game -> (date, detail)
    schedules = Schedules(store)
    dates = partition_dates(context)
    progress = date_progress(context, dates)
    for game_date in dates:
        schedule = schedules.games_on(game_date)
        earlier, problem = archived_statuses(store, find_archived_date(store, SCOREBOARD_ENDPOINTS, game_date), game_date)
        if problem:
            corrupt[game_date.isoformat()] = problem
        if earlier is not None and not config.refresh and judge_scoreboard(earlier, game_date, schedule).settled:
            reused += 1
        else:
            try:
                response = fetch_scoreboard(nba, game_date)
                statuses = scoreboard_statuses(response.payload, response.request.archive_name)
            except FeedUnavailableError as exc:
                unavailable[game_date.isoformat()] = str(exc)
            except (ErrorPayloadError, KeyError) as exc:
                problems[game_date.isoformat()] = (
                    f"the scoreboard of {game_date} is unusable: {exc}; nothing archived, the next run of "
                    "bronze_scoreboard asks again"
                )
            else:
                verdict = judge_scoreboard(statuses, game_date, schedule, earlier)
                if verdict.missing:
                    problems[game_date.isoformat()] = (
                        f"{response.request.label} for {game_date} {verdict.problem}; not archived, asked again on the next run"
                    )
                    missing |= {g: (game_date, problems[game_date.isoformat()]) for g in verdict.missing}
                else:
                    fetched.append(archive_date_response(store, response, game_date=game_date))
                    if verdict.problem:
                        problems[game_date.isoformat()] = f"{response.request.label} for {game_date} {verdict.problem}"
        progress.step(detail=f"{game_date}, {len(fetched)} fetched, {reused} already archived, {len(unavailable)} unavailable")
    if problems:
        first = next(iter(problems))
        context.log.warning(f"{len(problems)} dates without a settled scoreboard, e.g. {first}: {problems[first]}")
    found = game_issues.violations([(g, "scoreboard_missing_games", detail) for g, (_, detail) in missing.items()])
    issues = game_issues.issue_rows(
        found, {g: d for g, (d, _) in missing.items()}, recorded_by=context.op_def.name, stage="bronze",
        tables="scoreboard_games", action=game_issues.FLAGGED, run_id=context.run.run_id,
    )
    shown = dict(islice(problems.items(), game_issues.SAMPLE_GAMES))
    return dg.MaterializeResult(
        metadata={
            "fetched": len(fetched), "already_archived": reused, "unavailable": dg.MetadataValue.json(unavailable),
            "dates_unsettled": len(problems), "problems": dg.MetadataValue.json(shown),
            **_corrupt_metadata(context, corrupt), **drift_metadata(fetched),
            **record_issues(context, store, dates, issues),
        },
    )


# Season-level sources -------------------------------------------------------------------------
class BronzePlayerGameLogsConfig(BronzeSeasonConfig):
    player_ids: list[int] = Field(
        default_factory=list,
        description="Fetch these players' PlayerGameLog one by one instead of every player's PlayerGameLogs at once",
    )


def archive_season_source(context, endpoints: tuple[str, ...], fetches, config: BronzeSeasonConfig, lake_resource: LakeResource):
    """Archive a season's response from the first fetch that has it; nothing available is reported, not fatal."""
    store = lake_resource.lake()
    season = context.partition_key
    archiver = Archiver(store, config.refresh)
    unavailable = ""
    try:
        archiver.reuse_or_archive(
            season, partial(find_archived_season, store, endpoints, season),
            lambda: archive_season_response(
                store, first_available(season, *(partial(fetch, season) for fetch in fetches)), season=season
            ),
        )
    except FeedUnavailableError as exc:
        unavailable = str(exc)
        context.log.info(f"{season}: {unavailable}")
    return dg.MaterializeResult(
        metadata={
            "fetched": len(archiver.fetched),
            "already_archived": len(archiver.reused),
            "endpoints": ", ".join(sorted({m["endpoint"] for m in archiver.fetched + archiver.reused})),
            "unavailable": unavailable,
            **_corrupt_metadata(context, archiver.corrupt),
            **drift_metadata(archiver.fetched),
        }
    )


_season_common: dict[str, Any] = dict(partitions_def=season_partitions, group_name="bronze", pool=NBA_API_POOL, kinds={"json"})


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
    archiver = Archiver(store, config.refresh)
    unavailable: dict[str, str] = {}
    for player_id in config.player_ids:
        part = str(player_id)
        try:
            archiver.reuse_or_archive(
                part, partial(find_archived_season, store, ["playergamelog"], season, part),
                lambda player_id=player_id, part=part: archive_season_response(  # type: ignore[misc]
                    store, nba.player_game_log(player_id, season), season=season, part=part
                ),
            )
        except FeedUnavailableError as exc:
            unavailable[part] = str(exc)
    return dg.MaterializeResult(
        metadata={"fetched": len(archiver.fetched), "already_archived": len(archiver.reused),
                  "unavailable": dg.MetadataValue.json(unavailable),
                  **_corrupt_metadata(context, archiver.corrupt), **drift_metadata(archiver.fetched)}
    )


@dg.asset(description="Raw CommonTeamYears: every franchise's first and last season", group_name="bronze", pool=NBA_API_POOL, kinds={"json"})
def bronze_team_years(context: dg.AssetExecutionContext, config: BronzeSeasonConfig, nba: NBAClient, lake: LakeResource) -> dg.MaterializeResult:
    store = lake.lake()
    archiver = Archiver(store, config.refresh)
    if archiver.reusable("commonteamyears", partial(find_archived_reference, store, "commonteamyears")):
        return dg.MaterializeResult(metadata={"fetched": 0, "already_archived": 1})
    manifest = archive_reference_response(store, nba.common_team_years())
    return dg.MaterializeResult(metadata={"fetched": 1, "already_archived": 0, "bytes": manifest["bytes"],
                                          **_corrupt_metadata(context, archiver.corrupt), **drift_metadata([manifest])})
