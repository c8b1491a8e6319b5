"""The bronze archive: every response verbatim (gzip), with a manifest beside it.

A response is the pair of its body, stored under a content-addressed name
(``<stem>.<first 16 hex digits of the body's sha256>.json.gz``), and its manifest
(``<stem>.manifest.json``), which names that body and its sha256. The manifest is the commit point:
the body is written first, the manifest last, each atomically (``Lake.write_bytes``), and only then
is the body of the previous manifest removed. So at every point a manifest names a body that exists
and matches it: a run killed between the two writes leaves the old response whole (or nothing) plus
an orphan body no manifest names, which readers ignore and the next archive of that response
sweeps; a reader that read a manifest just before a re-archive removed its body reads the manifest
again and follows it to the new body. Two writers of the same response at once (two runs of one
partition) can still leave a manifest naming a body the other swept: the next read raises
``ArchiveCorruptError`` and the next bronze run refetches it, as for any corrupt archive.

Every read checks the body against the manifest's sha256 (``verified_body``).
"""

from __future__ import annotations

import datetime as dt
import gzip
import hashlib
import json
import re
import zlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import partial

from nba_lakehouse.lake import Lake
from nba_lakehouse.partitions import season_of_game, seasons_possibly_containing
from nba_lakehouse.sources.client import NBAClient, NBAResponse
from nba_lakehouse.sources.errors import (
    ErrorPayloadError,
    FeedUnavailableError,
    HTTPStatusError,
    NBASourceError,
    ReplayMissError,
)
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

# The bronze asset that archives each kind of response (season-level ones by endpoint): named in
# the fix of an ArchiveCorruptError.
BRONZE_ASSET_OF_KIND = {
    "play_by_play": "bronze_play_by_play", "box_score": "bronze_box_score", "summary": "bronze_box_score_summary",
    "hustle": "bronze_hustle_stats", "rotation": "bronze_game_rotation", "shots": "bronze_shot_chart",
    "date": "bronze_scoreboard", "reference": "bronze_team_years",
}
BRONZE_ASSET_OF_SEASON_ENDPOINT = {
    "scheduleleaguev2": "bronze_schedule", "cdn_scheduleleaguev2": "bronze_schedule",
    "leaguegamelog": "bronze_team_game_log", "leaguegamefinder": "bronze_team_game_log",
    "leaguedashplayerstats": "bronze_player_season_stats",
    "playergamelogs": "bronze_player_game_logs", "playergamelog": "bronze_player_game_logs",
}


class ArchiveCorruptError(RuntimeError):
    pass


BODY, MANIFEST = ".json.gz", ".manifest.json"
# A body name: the response's stem, the first 16 hex digits of its sha256, the suffix.
_HASH_DIGITS = 16


def _stem(game_date: dt.date, game_id: str) -> str:
    return f"{game_date.isoformat()}_{game_id}"


def _suffixed(stem: str, part: str | None) -> str:
    return f"{stem}_{part}" if part else stem


def _game_path(lake: Lake, endpoint: str, game_id: str, game_date: dt.date, part: str | None = None) -> str:
    """Path of a game's response without its suffix: ``+ MANIFEST``, or ``.<hash> + BODY``.

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


def _read_manifest(lake: Lake, manifest_path: str) -> dict | None:
    try:
        manifest = json.loads(lake.read_bytes(manifest_path))
    except FileNotFoundError:
        return None
    manifest["manifest_path"] = manifest_path
    return manifest


def game_manifest_path(lake: Lake, endpoint: str, game_id: str, game_date: dt.date, part: str | None = None) -> str:
    """Where the manifest of a game's response from ``endpoint`` is archived, or would be."""
    return _game_path(lake, endpoint, game_id, game_date, part) + MANIFEST


def season_manifest_path(lake: Lake, endpoint: str, season: str) -> str:
    return _season_path(lake, endpoint, season) + MANIFEST


def date_manifest_path(lake: Lake, endpoint: str, game_date: dt.date) -> str:
    return _date_path(lake, endpoint, game_date) + MANIFEST


def _first_manifest(lake: Lake, paths) -> dict | None:
    for path in paths:
        if manifest := _read_manifest(lake, path + MANIFEST):
            return manifest
    return None


def _body_name(name: str, sha256: str) -> str:
    return f"{name}.{sha256[:_HASH_DIGITS]}{BODY}"


def _write_manifest(lake: Lake, manifest: dict) -> dict:
    stored = {k: v for k, v in manifest.items() if k != "manifest_path"}
    lake.write_bytes(manifest["manifest_path"], json.dumps(stored, indent=2, sort_keys=True).encode())
    return manifest


def archive_response(lake: Lake, response: NBAResponse, path: str, **fields) -> dict:
    """Store one response verbatim (gzip) under its content-addressed body name, then its manifest
    (the commit point), then remove the bodies no manifest names any more; return the manifest."""
    directory, name = path.rsplit("/", 1)
    sha256 = hashlib.sha256(response.body).hexdigest()
    body_name = _body_name(name, sha256)
    previous = _read_manifest(lake, path + MANIFEST)
    # mtime=0 makes the archive byte-for-byte reproducible for the same response.
    lake.write_bytes(f"{directory}/{body_name}", gzip.compress(response.body, mtime=0))
    manifest = _write_manifest(lake, {
        **fields,
        "request": response.request.label,
        "url": response.url,
        "parameters": {k: v for k, v in response.request.params},
        "source_mode": response.mode,
        "fetched_at": response.fetched_at.isoformat(),
        "bytes": len(response.body),
        "sha256": sha256,
        "body_path": body_name,
        "schema_drift": list(response.schema_drift),
        "manifest_path": path + MANIFEST,
    })
    # The previous manifest's body (also one of the stem.json.gz layout before bodies were
    # content-addressed), and orphans of writes killed before their manifest.
    orphan = re.compile(re.escape(name) + rf"\.[0-9a-f]{{{_HASH_DIGITS}}}" + re.escape(BODY))
    stale = {f"{directory}/{previous['body_path']}"} if previous else set()
    stale |= {p for p in lake.list_files(directory) if orphan.fullmatch(p.rsplit("/", 1)[1])}
    for body_path in sorted(stale - {f"{directory}/{body_name}"}):
        lake.delete_file(body_path)
    return manifest


def update_manifest(lake: Lake, manifest: dict, **changes) -> dict:
    """Rewrite an archived response's manifest with ``changes`` (its body stays as it is)."""
    return _write_manifest(lake, {**manifest, **changes})


def remove_archived(lake: Lake, manifest: dict) -> None:
    """Remove an archived response: its manifest first (the commit point), then its body."""
    directory = manifest["manifest_path"].rsplit("/", 1)[0]
    lake.delete_file(manifest["manifest_path"])
    lake.delete_file(f"{directory}/{manifest['body_path']}")


def archive_game_response(
    lake: Lake, response: NBAResponse, *, kind: str, feed: Feed, game_id: str, game_date: dt.date,
    part: str | None = None, **fields,
) -> dict:
    return archive_response(
        lake, response, _game_path(lake, feed.endpoint, game_id, game_date, part), kind=kind, feed=feed.name,
        endpoint=feed.endpoint, game_id=game_id, game_date=game_date.isoformat(), season=season_of_game(game_id),
        part=part, **fields,
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


def _manifests_in(lake: Lake, directory: str, prefix: str = "") -> list[dict]:
    found = []
    for path in lake.list_files(directory):
        name = path.rsplit("/", 1)[1]
        if name.startswith(prefix) and name.endswith(MANIFEST) and (manifest := _read_manifest(lake, path)):
            found.append(manifest)
    return found


def archived_season_parts(lake: Lake, endpoint: str, season: str) -> list[dict]:
    """Every archived response of a season-level endpoint, e.g. one game log per player."""
    return _manifests_in(lake, lake.bronze_dir(endpoint, season, None))


def find_archived_date(lake: Lake, endpoints, game_date: dt.date) -> dict | None:
    return _first_manifest(lake, (_date_path(lake, endpoint, game_date) for endpoint in endpoints))


def find_archived_reference(lake: Lake, endpoint: str) -> dict | None:
    return _first_manifest(lake, [_reference_path(lake, endpoint)])


SCHEDULE_ENDPOINTS = ("scheduleleaguev2", "cdn_scheduleleaguev2")
TEAM_GAME_LOG_ENDPOINTS = ("leaguegamelog", "leaguegamefinder")


def find_archived_schedule(lake: Lake, season: str) -> dict | None:
    return find_archived_season(lake, SCHEDULE_ENDPOINTS, season)


def fetch_schedule(client: NBAClient, season: str) -> NBAResponse:
    """The season's ScheduleLeagueV2 from the stats API, else the CDN's if it is that season's."""
    return first_available(
        f"schedule of season {season}",
        lambda: _of_season(client.schedule_league_v2(season), season),
        lambda: _of_season(client.cdn_schedule(), season),
    )


def _of_season(response: NBAResponse, season: str) -> NBAResponse:
    served = response.payload["leagueSchedule"].get("seasonYear")
    if served != season:
        raise FeedUnavailableError(response.request.label, f"serves season {served}, not {season}")
    return response


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
            for manifest in _manifests_in(lake, lake.bronze_dir(feed.endpoint, season, game_date.month), prefix):
                found.setdefault((manifest["game_id"], manifest.get("part") or ""), manifest)
    return [found[key] for key in sorted(found)]


# ----------------------------------------------------------------------------------- reading
# How often a reader follows a manifest to a body that a re-archive has just replaced.
_REREADS = 5


def verified_body(lake: Lake, manifest: dict) -> bytes:
    """The archived response's bytes, after checking they are the body its manifest describes.

    A body that is gone because a re-archive replaced it since ``manifest`` was read is followed
    to the manifest's new body; anything else that does not match raises ArchiveCorruptError.
    """
    for _ in range(_REREADS):
        directory = manifest["manifest_path"].rsplit("/", 1)[0]
        body_path = f"{directory}/{manifest['body_path']}"
        try:
            stored = lake.read_bytes(body_path)
        except FileNotFoundError:
            current = _read_manifest(lake, manifest["manifest_path"])
            if current is not None and current["body_path"] != manifest["body_path"]:
                manifest = current
                continue
            raise ArchiveCorruptError(_corrupt_message(manifest, body_path, "the body file is missing")) from None
        try:
            body = gzip.decompress(stored)
        except (OSError, EOFError, zlib.error) as exc:  # BadGzipFile is an OSError
            raise ArchiveCorruptError(_corrupt_message(
                manifest, body_path, f"the body does not decompress ({type(exc).__name__}: {exc}), so it has no sha256"
            )) from None
        actual = hashlib.sha256(body).hexdigest()
        if actual != manifest["sha256"]:
            raise ArchiveCorruptError(_corrupt_message(manifest, body_path, f"the body's sha256 is {actual}"))
        return body
    raise ArchiveCorruptError(_corrupt_message(manifest, body_path, f"its body was replaced {_REREADS} times while being read"))


def bronze_asset_of(manifest: dict) -> str:
    if manifest["kind"] == "season":
        return BRONZE_ASSET_OF_SEASON_ENDPOINT.get(manifest["endpoint"], f"the bronze asset of {manifest['endpoint']}")
    return BRONZE_ASSET_OF_KIND[manifest["kind"]]


def _corrupt_message(manifest: dict, body_path: str, problem: str) -> str:
    partition = manifest.get("game_date") or manifest.get("season")
    where = f" for {partition}" if partition else ""
    return (
        f"bronze archive {body_path} does not match its manifest {manifest['manifest_path']} "
        f"({manifest['request']}): the manifest expects sha256 {manifest['sha256']}, {problem}; "
        f"re-run {bronze_asset_of(manifest)}{where} with refresh=true (in live mode, or in replay mode "
        f"with the recording, the next run of {bronze_asset_of(manifest)} refetches it by itself)"
    )


def load_payload(lake: Lake, manifest: dict) -> dict:
    """The archived payload, after checking it is the body the manifest describes."""
    return decode_payload(manifest["request"], verified_body(lake, manifest).decode("utf-8"))


def archive_problem(lake: Lake, manifest: dict | None) -> str | None:
    """Why an archived response cannot be reused (its ArchiveCorruptError), None when it can."""
    if manifest is None:
        return None
    try:
        verified_body(lake, manifest)
    except ArchiveCorruptError as exc:
        return str(exc)
    return None


class Archiver:
    """One run's reuse-or-fetch of archived responses: one is reused unless the run refreshes or its
    body does not match its manifest; a corrupt one is noted in ``corrupt`` and fetched again
    (from the recording in replay)."""

    def __init__(self, lake: Lake, refresh: bool):
        self.lake, self.refresh = lake, refresh
        self.fetched: list[dict] = []  # manifests archived by this run
        self.reused: list[dict] = []  # manifests this run found archived and sound
        self.corrupt: dict[str, str] = {}  # key -> why its archive was not reused

    def reusable(self, key: str, find: Callable[[], dict | None]) -> dict | None:
        """The archived response ``find()`` returns, if the run may reuse it (not counted)."""
        if self.refresh:
            return None
        manifest = find()
        problem = archive_problem(self.lake, manifest)
        if problem:
            self.corrupt[key] = problem
            return None
        return manifest

    def reuse_or_archive(self, key: str, find: Callable[[], dict | None], archive: Callable[[], dict]) -> dict:
        """The reusable archived response ``find()`` returns, else the one ``archive()`` fetches and archives."""
        if (manifest := self.reusable(key, find)) is not None:
            self.reused.append(manifest)
            return manifest
        manifest = archive()
        self.fetched.append(manifest)
        return manifest


# ----------------------------------------------------------------------------------- fetching
# Errors that are about one game's response from one feed: the next feed may have it. A transport
# failure (deadline, retries exhausted) is not among them: it fails the run.
GAME_LEVEL_ERRORS = (FeedUnavailableError, ErrorPayloadError, HTTPStatusError)


def may_answer_later(exc: Exception) -> bool:
    """Whether a feed's failure may clear on a later run: not when the feed said it lacks the game.

    A 404, an empty answer or a replay without the recording is the feed lacking the game; a 403
    (the CDN's answer for old games, and for a refused request), another HTTP status or an error
    payload may be transient.
    """
    if isinstance(exc, ReplayMissError):
        return False
    if isinstance(exc, FeedUnavailableError):
        return exc.problem == "HTTP 403"
    return True


@dataclass(frozen=True)
class FeedAttempt:
    """One attempt at a game's response: the feed that answered (if any) and what the others said."""

    kind: str
    game_id: str
    feed: Feed | None
    response: NBAResponse | None
    failures: dict[str, str] = field(default_factory=dict)  # feed -> what was wrong, for every feed asked in vain
    errors: tuple[NBASourceError, ...] = ()
    retry_feeds: tuple[str, ...] = ()  # failed feeds whose failure may clear on a later run

    def error(self) -> NBASourceError:
        """No feed answered: one error naming every feed's problem, of the first non-"unavailable" kind."""
        problem = no_feed_has_it(f"{name}: {exc}" for name, exc in zip(self.failures, self.errors, strict=True))
        first = next((e for e in self.errors if not isinstance(e, FeedUnavailableError)), None)
        kind = FeedUnavailableError if first is None else ErrorPayloadError if isinstance(first, ErrorPayloadError) else HTTPStatusError
        return kind(f"{self.kind} of game {self.game_id}", problem)

    def manifest_fields(self) -> dict:
        """What the manifest records of the feed choice: why this feed, and what to ask again later."""
        reason = "first choice" if not self.failures else "; ".join(f"{n}: {p}" for n, p in self.failures.items())
        return {
            "feed_reason": reason, "feed_failures": self.failures, "retry_feeds": list(self.retry_feeds),
            "preferred_attempts": 0,
        }


def first_answer(
    fetches: Sequence[Callable[[], NBAResponse]], catch: tuple[type[NBASourceError], ...] = (FeedUnavailableError,)
) -> tuple[NBAResponse | None, list[NBASourceError]]:
    """Ask ``fetches`` in order; the first that answers wins. Returns its response (None when none
    answers) and what each one asked in vain raised, in order (one of ``catch``; anything else
    propagates)."""
    errors: list[NBASourceError] = []
    for fetch in fetches:
        try:
            return fetch(), errors
        except catch as exc:
            errors.append(exc)
    return None, errors


def no_feed_has_it(problems) -> str:
    return "no feed has it:\n  " + "\n  ".join(problems)


def first_available(what: str, *fetches: Callable[[], NBAResponse]) -> NBAResponse:
    """The response of the first of ``fetches`` that has one; FeedUnavailableError naming ``what``
    and every feed's problem when none has."""
    response, errors = first_answer(fetches)
    if response is None:
        raise FeedUnavailableError(what, no_feed_has_it(str(exc) for exc in errors))
    return response


def attempt_feeds(client: NBAClient, kind: str, game_id: str, feed_order: list[str]) -> FeedAttempt:
    """Ask the feeds in order for one game's response of this kind; the first that answers wins."""
    feeds = GAME_FEEDS[kind]
    unknown = [f for f in feed_order if f not in feeds]
    if unknown:
        raise ValueError(f"unknown feeds {unknown} for {kind}; choose from {list(feeds)}")
    response, errors = first_answer(
        [partial(getattr(client, feeds[name].client_method), game_id) for name in feed_order], catch=GAME_LEVEL_ERRORS
    )
    asked = list(zip(feed_order, errors, strict=False))  # the feeds that failed, before the one that answered
    return FeedAttempt(
        kind, game_id, None if response is None else feeds[feed_order[len(errors)]], response,
        {name: exc.problem for name, exc in asked}, tuple(errors),
        tuple(name for name, exc in asked if may_answer_later(exc)),
    )


def fetch_game(client: NBAClient, kind: str, game_id: str, feed_order: list[str]) -> tuple[Feed, NBAResponse]:
    """Fetch one game's response of this kind from the first feed that has it; raise when none has."""
    attempt = attempt_feeds(client, kind, game_id, feed_order)
    if attempt.response is None or attempt.feed is None:  # both or neither: a feed answered
        raise attempt.error()
    return attempt.feed, attempt.response


# A fallback archive is asked again from its preferred feeds at most this many later runs: the CDN
# answers 403 for every old game, so a season archived from V3 would otherwise ask it forever.
PREFERRED_FEED_RETRIES = 3


def preferred_feeds_to_retry(manifest: dict, feed_order: list[str]) -> list[str]:
    """The preferred feeds (before the archived one in ``feed_order``) a later run asks again before
    reusing this fallback archive: those that failed transiently, while attempts remain."""
    if manifest.get("feed") not in feed_order or manifest.get("preferred_attempts", 0) >= PREFERRED_FEED_RETRIES:
        return []
    preferred = feed_order[:feed_order.index(manifest["feed"])]
    return [name for name in preferred if name in manifest.get("retry_feeds", [])]


def feed_fields(existing: dict | None, attempt: FeedAttempt, feed_order: list[str]) -> dict:
    """The manifest's record of the feed choice. After a retry of the preferred feeds, the failures of
    those not asked again (a 404) still stand, so the record is the one a single attempt would make."""
    if existing is None:
        return attempt.manifest_fields()
    if attempt.feed is None:
        raise ValueError(f"{attempt.game_id}: no feed answered, so there is no feed choice to record")
    ahead = feed_order[:feed_order.index(attempt.feed.name)]
    failures = {n: p for n in ahead if (p := attempt.failures.get(n) or existing.get("feed_failures", {}).get(n))}
    retry = [n for n in ahead if n in attempt.retry_feeds or (n not in attempt.failures and n in existing.get("retry_feeds", []))]
    return {
        "feed_reason": "; ".join(f"{n}: {p}" for n, p in failures.items()) or "first choice",
        "feed_failures": failures, "retry_feeds": retry,
        "preferred_attempts": existing.get("preferred_attempts", 0) + 1 if retry else 0,
    }


def record_preferred_failure(lake: Lake, manifest: dict, attempt: FeedAttempt) -> dict:
    """The preferred feeds failed again: the fallback archive stays, with one retry fewer left."""
    failures = {**manifest["feed_failures"], **attempt.failures}
    return update_manifest(
        lake, manifest, preferred_attempts=manifest.get("preferred_attempts", 0) + 1,
        feed_failures=failures, retry_feeds=list(attempt.retry_feeds),
        feed_reason="; ".join(f"{n}: {p}" for n, p in failures.items()),
    )
