"""Bronze assets: every NBA response, archived verbatim: per game date, per season, or once."""

# No `from __future__ import annotations` in asset modules: Dagster reads the Config and
# resource annotations at definition time and cannot resolve them from strings.

import datetime as dt
from collections import Counter
from dataclasses import dataclass
from itertools import islice

import dagster as dg
import polars as pl
from pydantic import Field, field_validator

from nba_lakehouse import game_issues
from nba_lakehouse.bronze.archive import (
    DEFAULT_FEED_ORDER,
    GAME_FEEDS,
    ArchiveCorruptError,
    FeedAttempt,
    archive_date_response,
    archive_game_response,
    archive_problem,
    archive_reference_response,
    archive_season_response,
    attempt_feeds,
    fetch_schedule,
    find_archived,
    find_archived_date,
    find_archived_reference,
    find_archived_schedule,
    find_archived_season,
    load_payload,
    preferred_feeds_to_retry,
    remove_archived,
    update_manifest,
)
from nba_lakehouse.bronze.checks import DETAIL_FEED_MISSING
from nba_lakehouse.partitions import (
    game_date_partitions,
    season_of_game,
    season_partitions,
    seasons_possibly_containing,
    today_eastern,
)
from nba_lakehouse.progress import date_progress
from nba_lakehouse.resources import LakeResource
from nba_lakehouse.sources.client import NBAClient, NBAResponse
from nba_lakehouse.sources.errors import EmptyResponseError, ErrorPayloadError, FeedUnavailableError, HTTPStatusError
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


def _reusable(store, manifest: dict | None, corrupt: dict, key: str) -> dict | None:
    """The archived response if its body matches its manifest; a corrupt one is noted under ``key``
    in ``corrupt`` and treated as not archived, so it is fetched again (from the recording in replay)."""
    problem = archive_problem(store, manifest)
    if problem:
        corrupt[key] = problem
        return None
    return manifest


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


def _feed_fields(existing: dict | None, attempt: FeedAttempt, feed_order: list[str]) -> dict:
    """The manifest's record of the feed choice. After a retry of the preferred feeds, the failures of
    those not asked again (a 404) still stand, so the record is the one a single attempt would make."""
    if existing is None:
        return attempt.manifest_fields()
    ahead = feed_order[:feed_order.index(attempt.feed.name)]
    failures = {n: p for n in ahead if (p := attempt.failures.get(n) or existing.get("feed_failures", {}).get(n))}
    retry = [n for n in ahead if n in attempt.retry_feeds or (n not in attempt.failures and n in existing.get("retry_feeds", []))]
    return {
        "feed_reason": "; ".join(f"{n}: {p}" for n, p in failures.items()) or "first choice",
        "feed_failures": failures, "retry_feeds": retry,
        "preferred_attempts": existing.get("preferred_attempts", 0) + 1 if retry else 0,
    }


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
    fetched, reused, feeds_used = [], [], {}
    fallbacks: dict[str, str] = {}  # game -> why its archive is not from the first feed
    replaced: list[str] = []  # games whose fallback archive gave way to a preferred feed
    corrupt: dict[str, str] = {}
    failed: dict[str, tuple[dt.date, str, str]] = {}  # game -> (date, rule, detail)
    discovery = DateGames(context, nba, lake)
    progress = date_progress(context, dates)
    for game_date in dates:
        for game_id in list(config.game_ids) or discovery.final_games(game_date):
            existing = None if config.refresh else _reusable(
                lake, find_archived(lake, kind, game_id, game_date), corrupt, game_id
            )
            order = preferred_feeds_to_retry(existing, config.feeds) if existing else config.feeds
            if existing and not order:
                reused.append(game_id)
                feeds_used[game_id] = existing["feed"]
                if existing.get("feed_failures"):
                    fallbacks[game_id] = existing["feed_reason"]
                continue
            attempt = attempt_feeds(nba, kind, game_id, order)
            if attempt.response is None and existing:
                # The preferred feeds still fail: the fallback archive stays, one retry fewer left.
                existing = update_manifest(
                    lake, existing, preferred_attempts=existing.get("preferred_attempts", 0) + 1,
                    feed_failures={**existing["feed_failures"], **attempt.failures}, retry_feeds=list(attempt.retry_feeds),
                    feed_reason="; ".join(f"{n}: {p}" for n, p in {**existing["feed_failures"], **attempt.failures}.items()),
                )
                reused.append(game_id)
                feeds_used[game_id] = existing["feed"]
                fallbacks[game_id] = existing["feed_reason"]
                continue
            if attempt.response is None:
                # This game's problem, not the run's: the date's other games go on.
                error = attempt.error()
                rule = "archive_corrupt" if game_id in corrupt else _fetch_rule(error)
                detail = (f"{corrupt[game_id]}; fetching it again failed: " if game_id in corrupt else "") + str(error)
                failed[game_id] = (game_date, rule, detail.replace("\n", " "))
                continue
            manifest = archive_game_response(
                lake, attempt.response, kind=kind, feed=attempt.feed, game_id=game_id, game_date=game_date,
                **_feed_fields(existing, attempt, config.feeds),
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
    corrupt = {}
    if not config.refresh and _reusable(store, find_archived_schedule(store, season), corrupt, season):
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
    fetched, reused, unavailable, corrupt = [], 0, {}, {}
    missing: dict[str, tuple[dt.date, str]] = {}  # game -> (date, what was wrong)
    discovery = DateGames(context, nba, lake)
    progress = date_progress(context, dates)
    for game_date in dates:
        for game_id in list(config.game_ids) or discovery.final_games(game_date):
            try:
                requests = _detail_requests(nba, lake, kind, game_id, game_date)
                for part, fetch in requests:
                    key = f"{game_id} {part}" if part else game_id
                    archived = None if config.refresh else find_archived(lake, kind, game_id, game_date, part)
                    if _reusable(lake, archived, corrupt, key):
                        reused += 1
                        continue
                    fetched.append(archive_game_response(
                        lake, fetch(), kind=kind, feed=feed, game_id=game_id, game_date=game_date, part=part
                    ))
            except (EmptyResponseError, ErrorPayloadError, HTTPStatusError, ArchiveCorruptError) as exc:
                if season_of_game(game_id) < DETAIL_FEED_FIRST_SEASON.get(kind, ""):
                    unavailable[game_id] = str(exc)
                else:
                    missing[game_id] = (game_date, str(exc).replace("\n", " "))
            except FeedUnavailableError as exc:
                unavailable[game_id] = str(exc)
        progress.step(detail=f"{game_date}, {len(fetched)} fetched, {reused} already archived, "
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
            "already_archived": reused,
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


# Scoreboards --------------------------------------------------------------------------------
SCOREBOARD_ENDPOINTS = ("scoreboardv3", "scoreboardv2")
FINAL = 3
# Months in which the league plays no game in a usual season: an empty scoreboard then is no surprise
# (it is still not settled without a schedule to confirm it; see judge_scoreboard).
OFF_SEASON_MONTHS = {7, 8, 9}


def scoreboard_statuses(payload: dict, endpoint: str) -> dict[str, int]:
    """``{game_id: status}`` (1 scheduled, 2 in progress, 3 final) from either scoreboard shape."""
    if endpoint == "scoreboardv3":
        return {g["gameId"]: g.get("gameStatus") for g in scoreboard_games(payload)}
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


def _archived_statuses(store, manifest: dict | None, game_date: dt.date) -> tuple[dict[str, int] | None, str]:
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

    def __init__(self, context, nba: NBAClient, store):
        self.context, self.nba, self.store = context, nba, store
        self.schedules = Schedules(store)

    def final_games(self, game_date: dt.date) -> list[str]:
        if self.nba.mode != "live":
            return self.nba.final_games_on(game_date)
        schedule = self.schedules.games_on(game_date)
        statuses, _ = _archived_statuses(self.store, find_archived_date(self.store, SCOREBOARD_ENDPOINTS, game_date), game_date)
        if statuses is not None and judge_scoreboard(statuses, game_date, schedule).settled:
            return sorted(g for g, status in statuses.items() if status == FINAL)
        try:
            asked = self.nba.final_games_on(game_date)
        except ErrorPayloadError as exc:
            self.context.log.warning(
                f"ScoreboardV3 for {game_date} is unusable ({exc}): taking that date's games from the archived "
                "schedule only; the next run asks again"
            )
            asked = []
        return sorted(set(asked) | self.schedules.finals_on(game_date))


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
        earlier, problem = _archived_statuses(store, find_archived_date(store, SCOREBOARD_ENDPOINTS, game_date), game_date)
        if problem:
            corrupt[game_date.isoformat()] = problem
        if earlier is not None and not config.refresh and judge_scoreboard(earlier, game_date, schedule).settled:
            reused += 1
        else:
            try:
                response = _first_available(nba.scoreboard_v3, nba.scoreboard_v2, argument=game_date)
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


def _season_result(context, found: dict | None, fetched: list[dict], unavailable: str | None, corrupt: dict) -> dg.MaterializeResult:
    if unavailable:
        context.log.info(f"{context.partition_key}: {unavailable}")
    return dg.MaterializeResult(
        metadata={
            "fetched": len(fetched),
            "already_archived": int(found is not None),
            "endpoints": ", ".join(sorted({m["endpoint"] for m in fetched} | ({found["endpoint"]} if found else set()))),
            "unavailable": unavailable or "",
            **_corrupt_metadata(context, corrupt),
            **drift_metadata(fetched),
        }
    )


def archive_season_source(context, endpoints: tuple[str, ...], fetches, config: BronzeSeasonConfig, lake_resource: LakeResource):
    """Archive a season's response from the first fetch that has it; nothing available is reported, not fatal."""
    store = lake_resource.lake()
    season = context.partition_key
    corrupt = {}
    found = None if config.refresh else _reusable(store, find_archived_season(store, endpoints, season), corrupt, season)
    if found:
        return _season_result(context, found, [], None, corrupt)
    try:
        response = _first_available(*fetches, argument=season)
    except FeedUnavailableError as exc:
        return _season_result(context, None, [], str(exc), corrupt)
    return _season_result(context, None, [archive_season_response(store, response, season=season)], None, corrupt)


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
    fetched, reused, unavailable, corrupt = [], 0, {}, {}
    for player_id in config.player_ids:
        archived = None if config.refresh else find_archived_season(store, ["playergamelog"], season, str(player_id))
        if _reusable(store, archived, corrupt, str(player_id)):
            reused += 1
            continue
        try:
            response = nba.player_game_log(player_id, season)
        except FeedUnavailableError as exc:
            unavailable[str(player_id)] = str(exc)
            continue
        fetched.append(archive_season_response(store, response, season=season, part=str(player_id)))
    return dg.MaterializeResult(
        metadata={"fetched": len(fetched), "already_archived": reused, "unavailable": dg.MetadataValue.json(unavailable),
                  **_corrupt_metadata(context, corrupt), **drift_metadata(fetched)}
    )


TEAM_GAME_LOG_ENDPOINTS = ("leaguegamelog", "leaguegamefinder")


@dg.asset(description="Raw CommonTeamYears: every franchise's first and last season", group_name="bronze", pool=NBA_API_POOL, kinds={"json"})
def bronze_team_years(context: dg.AssetExecutionContext, config: BronzeSeasonConfig, nba: NBAClient, lake: LakeResource) -> dg.MaterializeResult:
    store = lake.lake()
    corrupt = {}
    if not config.refresh and _reusable(store, find_archived_reference(store, "commonteamyears"), corrupt, "commonteamyears"):
        return dg.MaterializeResult(metadata={"fetched": 0, "already_archived": 1})
    manifest = archive_reference_response(store, nba.common_team_years())
    return dg.MaterializeResult(metadata={"fetched": 1, "already_archived": 0, "bytes": manifest["bytes"],
                                          **_corrupt_metadata(context, corrupt), **drift_metadata([manifest])})
