"""The bronze archive: every response verbatim (gzip), with a manifest beside it.

A response is complete once its manifest exists: the body is written first, the manifest last,
each atomically, so an interrupted write leaves either nothing or a body without a manifest that
the next run overwrites.
"""

from __future__ import annotations

import datetime as dt
import gzip
import hashlib
import json
from dataclasses import dataclass

from nba_lakehouse.lake import Lake
from nba_lakehouse.partitions import season_of_game, seasons_possibly_containing
from nba_lakehouse.sources.client import NBAClient, NBAResponse
from nba_lakehouse.sources.errors import FeedUnavailableError
from nba_lakehouse.sources.payloads import decode_payload


@dataclass(frozen=True)
class Feed:
    name: str  # v2, v3, cdn
    endpoint: str  # folder under bronze/
    client_method: str


# In order of preference: the CDN feed states possession and secondary players, V3 is the stats
# API's current feed, V2 is retired but holds history.
GAME_FEEDS: dict[str, dict[str, Feed]] = {
    "play_by_play": {
        "cdn": Feed("cdn", "cdn_playbyplay", "cdn_play_by_play"),
        "v3": Feed("v3", "playbyplayv3", "play_by_play_v3"),
        "v2": Feed("v2", "playbyplayv2", "play_by_play_v2"),
    },
    "box_score": {
        "cdn": Feed("cdn", "cdn_boxscore", "cdn_box_score"),
        "v3": Feed("v3", "boxscoretraditionalv3", "box_score_traditional_v3"),
        "v2": Feed("v2", "boxscoretraditionalv2", "box_score_traditional_v2"),
    },
    # Per-game detail feeds: one endpoint each, and a game without one is not an error (hustle
    # stats start in 2015-16, summaries and rotations are missing for some games).
    "summary": {"v2": Feed("v2", "boxscoresummaryv2", "box_score_summary_v2")},
    "hustle": {"v2": Feed("v2", "hustlestatsboxscore", "hustle_stats_box_score")},
    "rotation": {"v2": Feed("v2", "gamerotation", "game_rotation")},
    # ShotChartDetail is asked once per team; the team id is the response's ``part``.
    "shots": {"v2": Feed("v2", "shotchartdetail", "shot_chart_detail")},
}
DEFAULT_FEED_ORDER = ["cdn", "v3", "v2"]


class ArchiveCorruptError(RuntimeError):
    pass


BODY, MANIFEST = ".json.gz", ".manifest.json"


def _stem(game_date: dt.date, game_id: str) -> str:
    return f"{game_date.isoformat()}_{game_id}"


def _suffixed(stem: str, part: str | None) -> str:
    return f"{stem}_{part}" if part else stem


def _game_path(lake: Lake, endpoint: str, game_id: str, game_date: dt.date, part: str | None = None) -> str:
    """Path of a game's response without its suffix: ``+ BODY`` or ``+ MANIFEST``.

    ``part`` tells apart several responses of one game from one endpoint (shots: the team id).
    """
    directory = lake.bronze_dir(endpoint, season_of_game(game_id), game_date.month)
    return f"{directory}/{_suffixed(_stem(game_date, game_id), part)}"


def _season_path(lake: Lake, endpoint: str, season: str, part: str | None = None) -> str:
    """Season-level responses (schedules, game logs) sit directly under their season, without a month."""
    return f"{lake.bronze_dir(endpoint, season, None)}/{_suffixed(f'{endpoint}_{season}', part)}"


def _date_path(lake: Lake, endpoint: str, game_date: dt.date) -> str:
    """Date-level responses (scoreboards) sit under the latest season the date can belong to."""
    season = seasons_possibly_containing(game_date)[-1]
    return f"{lake.bronze_dir(endpoint, season, game_date.month)}/{game_date.isoformat()}"


def _reference_path(lake: Lake, endpoint: str) -> str:
    """Responses that belong to no season (CommonTeamYears) sit at the endpoint's top."""
    return lake.path("bronze", endpoint, endpoint)


def game_manifest_path(lake: Lake, endpoint: str, game_id: str, game_date: dt.date, part: str | None = None) -> str:
    """Where the manifest of a game's response from ``endpoint`` is archived, or would be."""
    return _game_path(lake, endpoint, game_id, game_date, part) + MANIFEST


def season_manifest_path(lake: Lake, endpoint: str, season: str) -> str:
    return _season_path(lake, endpoint, season) + MANIFEST


def date_manifest_path(lake: Lake, endpoint: str, game_date: dt.date) -> str:
    return _date_path(lake, endpoint, game_date) + MANIFEST


def _first_manifest(lake: Lake, paths) -> dict | None:
    for path in paths:
        if lake.exists(path + MANIFEST):
            manifest = json.loads(lake.read_bytes(path + MANIFEST))
            manifest["manifest_path"] = path + MANIFEST
            return manifest
    return None


def archive_response(lake: Lake, response: NBAResponse, path: str, **fields) -> dict:
    """Store one response verbatim (gzip) at ``path + BODY``, then its manifest; return the manifest."""
    # mtime=0 makes the archive byte-for-byte reproducible for the same response.
    lake.write_bytes(path + BODY, gzip.compress(response.body, mtime=0))
    manifest = {
        **fields,
        "request": response.request.label,
        "url": response.url,
        "parameters": {k: v for k, v in response.request.params},
        "source_mode": response.mode,
        "fetched_at": response.fetched_at.isoformat(),
        "bytes": len(response.body),
        "sha256": hashlib.sha256(response.body).hexdigest(),
        "body_path": path.rsplit("/", 1)[1] + BODY,
    }
    lake.write_bytes(path + MANIFEST, json.dumps(manifest, indent=2, sort_keys=True).encode())
    return manifest


def archive_game_response(
    lake: Lake, response: NBAResponse, *, kind: str, feed: Feed, game_id: str, game_date: dt.date,
    part: str | None = None,
) -> dict:
    return archive_response(
        lake, response, _game_path(lake, feed.endpoint, game_id, game_date, part), kind=kind, feed=feed.name,
        endpoint=feed.endpoint, game_id=game_id, game_date=game_date.isoformat(), season=season_of_game(game_id),
        part=part,
    )


def archive_season_response(lake: Lake, response: NBAResponse, *, season: str, part: str | None = None) -> dict:
    endpoint = response.request.archive_name
    return archive_response(
        lake, response, _season_path(lake, endpoint, season, part), kind="season", endpoint=endpoint,
        season=season, part=part,
    )


def archive_date_response(lake: Lake, response: NBAResponse, *, game_date: dt.date) -> dict:
    endpoint = response.request.archive_name
    return archive_response(
        lake, response, _date_path(lake, endpoint, game_date), kind="date", endpoint=endpoint,
        game_date=game_date.isoformat(),
    )


def archive_reference_response(lake: Lake, response: NBAResponse) -> dict:
    endpoint = response.request.archive_name
    return archive_response(lake, response, _reference_path(lake, endpoint), kind="reference", endpoint=endpoint)


def find_archived_season(lake: Lake, endpoints, season: str, part: str | None = None) -> dict | None:
    """The season's response from the first of ``endpoints`` that has one archived."""
    return _first_manifest(lake, (_season_path(lake, endpoint, season, part) for endpoint in endpoints))


def archived_season_parts(lake: Lake, endpoint: str, season: str) -> list[dict]:
    """Every archived response of a season-level endpoint, e.g. one game log per player."""
    directory = lake.bronze_dir(endpoint, season, None)
    found = []
    for path in lake.list_files(directory):
        if path.endswith(MANIFEST):
            manifest = json.loads(lake.read_bytes(path))
            manifest["manifest_path"] = path
            found.append(manifest)
    return found


def find_archived_date(lake: Lake, endpoints, game_date: dt.date) -> dict | None:
    return _first_manifest(lake, (_date_path(lake, endpoint, game_date) for endpoint in endpoints))


def find_archived_reference(lake: Lake, endpoint: str) -> dict | None:
    return _first_manifest(lake, [_reference_path(lake, endpoint)])


SCHEDULE_ENDPOINTS = ("scheduleleaguev2", "cdn_scheduleleaguev2")


def find_archived_schedule(lake: Lake, season: str) -> dict | None:
    return find_archived_season(lake, SCHEDULE_ENDPOINTS, season)


def fetch_schedule(client: NBAClient, season: str) -> NBAResponse:
    """The season's ScheduleLeagueV2 from the stats API, else the CDN's if it is that season's."""
    problems = []
    for fetch in (lambda: client.schedule_league_v2(season), client.cdn_schedule):
        try:
            response = fetch()
        except FeedUnavailableError as exc:
            problems.append(str(exc))
            continue
        served = response.payload["leagueSchedule"].get("seasonYear")
        if served == season:
            return response
        problems.append(f"{response.request.label}: serves season {served}, not {season}")
    raise FeedUnavailableError(f"schedule of season {season}", "no feed has it:\n  " + "\n  ".join(problems))


def find_archived(
    lake: Lake, kind: str, game_id: str, game_date: dt.date, part: str | None = None
) -> dict | None:
    """The manifest of the game's archived response of this kind, whichever feed it came from."""
    return _first_manifest(
        lake, (_game_path(lake, feed.endpoint, game_id, game_date, part) for feed in GAME_FEEDS[kind].values())
    )


def archived_for_date(lake: Lake, kind: str, game_date: dt.date) -> list[dict]:
    """Manifests of every archived response of this kind for the date, one per game (and part).

    Where a game was archived from more than one feed (after a feed change and a refresh), the
    preferred feed wins, the same as when fetching.
    """
    prefix = _stem(game_date, "")
    found: dict[tuple[str, str], dict] = {}
    for feed in GAME_FEEDS[kind].values():
        for season in seasons_possibly_containing(game_date):
            directory = lake.bronze_dir(feed.endpoint, season, game_date.month)
            for path in lake.list_files(directory):
                name = path.rsplit("/", 1)[1]
                if name.startswith(prefix) and name.endswith(MANIFEST):
                    manifest = json.loads(lake.read_bytes(path))
                    manifest["manifest_path"] = path
                    found.setdefault((manifest["game_id"], manifest.get("part") or ""), manifest)
    return [found[key] for key in sorted(found)]


def load_payload(lake: Lake, manifest: dict) -> dict:
    """The archived payload, after checking it is the body the manifest describes."""
    directory = manifest["manifest_path"].rsplit("/", 1)[0]
    body = gzip.decompress(lake.read_bytes(f"{directory}/{manifest['body_path']}"))
    if hashlib.sha256(body).hexdigest() != manifest["sha256"]:
        raise ArchiveCorruptError(
            f"bronze archive {directory}/{manifest['body_path']} does not match its manifest's sha256 "
            f"({manifest['request']}); re-run the bronze asset with refresh=true for "
            f"{manifest.get('game_date') or manifest.get('season') or 'it'}"
        )
    return decode_payload(manifest["request"], body.decode("utf-8"))


def fetch_game(client: NBAClient, kind: str, game_id: str, feed_order: list[str]) -> tuple[Feed, NBAResponse]:
    """Fetch one game's response of this kind from the first feed that has it."""
    feeds = GAME_FEEDS[kind]
    unknown = [f for f in feed_order if f not in feeds]
    if unknown:
        raise ValueError(f"unknown feeds {unknown} for {kind}; choose from {list(feeds)}")
    problems = []
    for name in feed_order:
        feed = feeds[name]
        try:
            return feed, getattr(client, feed.client_method)(game_id)
        except FeedUnavailableError as exc:
            problems.append(f"{name}: {exc}")
    raise FeedUnavailableError(
        f"{kind} of game {game_id}", "no feed has it:\n  " + "\n  ".join(problems)
    )
