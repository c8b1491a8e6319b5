"""Bronze assets: each completed game's play-by-play and box score, archived verbatim per game date."""

# No `from __future__ import annotations` in asset modules: Dagster reads the Config and
# resource annotations at definition time and cannot resolve them from strings.

import dagster as dg
from pydantic import Field, field_validator

from nba_lakehouse.bronze.archive import (
    DEFAULT_FEED_ORDER,
    GAME_FEEDS,
    archive_game_response,
    archive_season_response,
    fetch_game,
    fetch_schedule,
    find_archived,
    find_archived_schedule,
)
from nba_lakehouse.partitions import game_date_partitions, season_of_game, season_partitions
from nba_lakehouse.resources import LakeResource
from nba_lakehouse.sources.client import NBAClient
from nba_lakehouse.wiring import partition_dates

NBA_API_POOL = "nba_api"


class BronzeGamesConfig(dg.Config):
    refresh: bool = Field(default=False, description="Fetch again even what is already archived")
    feeds: list[str] = Field(default_factory=lambda: list(DEFAULT_FEED_ORDER), description="Feeds to try, in order")
    game_ids: list[str] = Field(
        default_factory=list,
        description="Archive exactly these games (one game date only) instead of the date's final games",
    )

    @field_validator("feeds")
    @classmethod
    def _known_feeds(cls, feeds: list[str]) -> list[str]:
        known = list(GAME_FEEDS["play_by_play"])
        unknown = [f for f in feeds if f not in known]
        if unknown or not feeds:
            raise ValueError(f"feeds must be a non-empty list drawn from {known}; got {feeds}")
        return feeds

    @field_validator("game_ids")
    @classmethod
    def _valid_game_ids(cls, game_ids: list[str]) -> list[str]:
        for game_id in game_ids:
            season_of_game(game_id)  # raises, naming the id, for anything but 10 digits
        return game_ids


def archive_games(context: dg.AssetExecutionContext, kind: str, config: BronzeGamesConfig, nba: NBAClient, lake_resource: LakeResource) -> dg.MaterializeResult:
    lake = lake_resource.lake()
    dates = partition_dates(context)
    if config.game_ids and len(dates) != 1:
        raise dg.Failure(f"config game_ids applies to a single game date; this run covers {len(dates)} dates")
    fetched, reused, feeds_used = [], [], {}
    for i, game_date in enumerate(dates, start=1):
        game_ids = list(config.game_ids) or nba.final_games_on(game_date)
        for game_id in game_ids:
            existing = None if config.refresh else find_archived(lake, kind, game_id, game_date)
            if existing:
                reused.append(game_id)
                feeds_used[game_id] = existing["feed"]
                continue
            feed, response = fetch_game(nba, kind, game_id, config.feeds)
            archive_game_response(lake, response, kind=kind, feed=feed, game_id=game_id, game_date=game_date)
            fetched.append(game_id)
            feeds_used[game_id] = feed.name
        if len(dates) > 1:
            context.log.info(f"{kind}: {i}/{len(dates)} dates archived ({game_date}), {len(feeds_used)} games so far")
    return dg.MaterializeResult(
        metadata={
            "games": len(feeds_used),
            "fetched": len(fetched),
            "already_archived": len(reused),
            "feeds": dg.MetadataValue.json(feeds_used),
            "mode": nba.mode,
        }
    )


_common = dict(
    partitions_def=game_date_partitions,
    backfill_policy=dg.BackfillPolicy.single_run(),
    group_name="bronze",
    pool=NBA_API_POOL,
    kinds={"json"},
)


@dg.asset(description="Raw play-by-play responses (CDN, PlayByPlayV3 or PlayByPlayV2) of each final game", **_common)
def bronze_play_by_play(context: dg.AssetExecutionContext, config: BronzeGamesConfig, nba: NBAClient, lake: LakeResource) -> dg.MaterializeResult:
    return archive_games(context, "play_by_play", config, nba, lake)


@dg.asset(description="Raw box score responses (CDN, BoxScoreTraditionalV3 or V2) of each final game", **_common)
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
    response = fetch_schedule(nba, season)
    manifest = archive_season_response(store, response, season=season)
    games = sum(len(d["games"]) for d in response.payload["leagueSchedule"]["gameDates"])
    return dg.MaterializeResult(
        metadata={"fetched": 1, "already_archived": 0, "games": games, "bytes": manifest["bytes"], "endpoint": manifest["endpoint"]}
    )
