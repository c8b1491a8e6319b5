"""The NBA client resource: nba_api builds each request, a plain ``requests`` session of ours sends it.

nba_api knows each endpoint's name and parameters (its endpoint classes, asked with
``get_request=False``) and the CDN's paths; ``NBAClient``'s endpoint table maps our names onto them.
The request goes out through our own ``requests.Session``, which does what the stats API needs:
configurable browser-like headers, connect/read timeouts, a request spacing per host shared by every
process (and, with redis, every machine: ``rate_limit``), retries (tenacity) with exponential
backoff and jitter honouring Retry-After, a hard deadline per request, and refusing any answer that
is not a usable response of its endpoint (``validation``) before anyone can archive it. Replay
mounts its adapters on that same session. The body handed out is the bytes the server sent.
Credentials (secret headers, a proxy, a password in a base URL) never appear in the run config, a
response or a message (``redact``). Responses are parsed from the raw JSON by dataset name
elsewhere (``payloads``); nba_api's DataFrame helpers are not used.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import functools
import itertools
import os
import queue
import random
import threading
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar, Literal, NoReturn

import dagster as dg
import requests
import tenacity
from nba_api.library.proxy import as_proxies, resolve_proxy
from nba_api.library.proxy import redact as redact_proxy
from nba_api.live.nba.endpoints import boxscore as live_boxscore
from nba_api.live.nba.endpoints import playbyplay as live_playbyplay
from nba_api.stats.endpoints import (
    boxscoresummaryv2,
    boxscoretraditionalv2,
    boxscoretraditionalv3,
    commonteamyears,
    gamerotation,
    hustlestatsboxscore,
    leaguedashplayerstats,
    leaguegamefinder,
    leaguegamelog,
    playbyplayv2,
    playbyplayv3,
    playergamelog,
    playergamelogs,
    scheduleleaguev2,
    scoreboardv2,
    scoreboardv3,
    shotchartdetail,
)
from pydantic import Field, field_validator, model_validator

from nba_lakehouse.lake import DEFAULT_REPLAY_DIR
from nba_lakehouse.sources import validation
from nba_lakehouse.sources.errors import (
    FeedUnavailableError,
    HTTPStatusError,
    NBASourceError,
    RequestDeadlineError,
    RetriesExhaustedError,
    UnusablePayloadError,
    redact,
)
from nba_lakehouse.sources.payloads import FINAL, decode_payload, scoreboard_games
from nba_lakehouse.sources.rate_limit import describe as describe_limit
from nba_lakehouse.sources.rate_limit import take_turn
from nba_lakehouse.sources.replay import RefuseAdapter, ReplayAdapter, recorded_games

DEFAULT_STATS_HEADERS = {
    "User-Agent": (
        "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) "
        "Chrome/145.0.0.0 Safari/537.36"
    ),
    "Accept": "application/json, text/plain, */*",
    "Accept-Language": "en-US,en;q=0.9",
    "Referer": "https://www.nba.com/",
    "Origin": "https://www.nba.com",
    "Connection": "keep-alive",
    "Cache-Control": "no-cache",
    "Pragma": "no-cache",
}
# The CDN answers 403 without the nba.com Referer (since 2026-05).
DEFAULT_CDN_HEADERS = {**DEFAULT_STATS_HEADERS, "Accept": "application/json, */*"}

# Headers that carry credentials: refused in the plain header fields (see ``secret_headers``).
CREDENTIAL_HEADERS = {"authorization", "proxy-authorization", "cookie", "x-api-key"}

RETRYABLE_STATUS = {429, 500, 502, 503, 504}
NO_DATA_STATUS = {403, 404}


@dataclass(frozen=True)
class NBARequest:
    """One request: which feed, which endpoint (or CDN path), which parameters."""

    feed: Literal["stats", "cdn"]
    endpoint: str
    params: tuple[tuple[str, Any], ...] = ()

    @property
    def label(self) -> str:
        if self.feed == "cdn":
            return f"CDN feed {self.endpoint}"
        shown = {k: v for k, v in self.params if v not in (None, "")}
        return f"stats endpoint {self.endpoint} with parameters {shown}"

    @property
    def archive_name(self) -> str:
        """Folder name of the endpoint in bronze: ``playbyplayv3``, ``cdn_playbyplay``."""
        if self.feed == "cdn":
            # liveData/playbyplay/playbyplay_<id>.json -> cdn_playbyplay
            return "cdn_" + self.endpoint.rsplit("/", 1)[-1].removesuffix(".json").split("_")[0].lower()
        return self.endpoint.lower()


@dataclass(frozen=True)
class NBAResponse:
    request: NBARequest
    url: str
    body: bytes
    payload: dict
    mode: str
    fetched_at: dt.datetime
    # Fields the response has beyond what its endpoint's validation declares ("new column X in
    # result set Y"): tolerated, and recorded in the response's manifest.
    schema_drift: tuple[str, ...] = ()


def stats_request(endpoint_cls, **kwargs) -> NBARequest:
    """Let nba_api build the endpoint name and its full parameter set, without sending anything."""
    with warnings.catch_warnings():
        # nba_api warns on building V2 endpoints; they are retired for new games but we still
        # ask for them deliberately, as the fallback for historical games.
        warnings.simplefilter("ignore", DeprecationWarning)
        warnings.simplefilter("ignore", UserWarning)
        endpoint = endpoint_cls(**kwargs, get_request=False)
    return NBARequest("stats", endpoint_cls.endpoint, tuple(endpoint.parameters.items()))


# The first two digits of a game id name its league; per-game endpoints that take a LeagueID
# answer a G League or WNBA game only when asked with that league's id.
LEAGUE_IDS = {"00": "NBA", "10": "WNBA", "20": "G League"}


def league_id_of_game(game_id: str) -> str:
    """``0022200552`` -> ``00`` (NBA), ``2022200001`` -> ``20`` (G League)."""
    league_id = game_id[:2]
    if league_id not in LEAGUE_IDS:
        raise ValueError(f"game id {game_id!r} starts with no known league id ({', '.join(LEAGUE_IDS)})")
    return league_id


CDN_SCHEDULE = NBARequest("cdn", "staticData/scheduleLeagueV2.json")


# How a call's arguments become an endpoint's nba_api parameters (the endpoint table's last column).
def by_game(game_id: str) -> dict[str, Any]:
    return {"game_id": game_id}


def by_date(game_date: dt.date | str) -> dict[str, Any]:
    return {"game_date": str(game_date)}


def shots(
    team_id: int, *, game_id: str | None = None, season: str | None = None, player_id: int = 0,
    context_measure: str = "FG_PCT",
) -> dict[str, Any]:
    """ShotChartDetail: ``FG_PCT`` returns every attempt; nba_api's default ``PTS`` only makes."""
    return {
        "team_id": team_id, "player_id": player_id, "game_id_nullable": game_id or "", "season_nullable": season or "",
        "context_measure_simple": context_measure, "league_id": league_id_of_game(game_id) if game_id else "00",
    }


@dataclass(frozen=True)
class Endpoint:
    """A row of the client's endpoint table: the feed, what nba_api builds the request from (a stats
    endpoint class, or the path of a CDN file with ``{game_id}`` in it) and how the call's arguments
    become its parameters. Read off a client, a row is that endpoint's method:
    ``client.play_by_play_v3(game_id)`` fetches ``NBAClient.play_by_play_v3.request(game_id)``."""

    feed: Literal["stats", "cdn"]
    source: Any
    parameters: Callable[..., dict[str, Any]]

    def request(self, *args: Any, **kwargs: Any) -> NBARequest:
        parameters = self.parameters(*args, **kwargs)
        if self.feed == "cdn":
            return NBARequest("cdn", self.source.format(**parameters))
        return stats_request(self.source, **parameters)

    def __get__(self, client: NBAClient | None, owner: type | None = None) -> Any:
        if client is None:
            return self
        return lambda *args, **kwargs: client.fetch(self.request(*args, **kwargs))


class _DeadlineExceeded(Exception):
    pass


def _call_within(seconds: float, fn: Callable[[], requests.Response]) -> requests.Response:
    """Run ``fn`` in a daemon thread and give up on it after ``seconds``.

    Socket timeouts bound each read, not the whole answer: a server that trickles bytes never
    trips them. A daemon thread left behind reading such an answer does not keep the process
    alive, unlike a thread-pool worker, which the interpreter joins at exit.
    """
    outcome: queue.Queue = queue.Queue(maxsize=1)

    def target():
        try:
            outcome.put((True, fn()))
        except BaseException as exc:  # handed to the caller below
            outcome.put((False, exc))

    threading.Thread(target=target, daemon=True, name="nba-request").start()
    try:
        ok, value = outcome.get(timeout=seconds)
    except queue.Empty:
        raise _DeadlineExceeded from None
    if ok:
        return value
    raise value


# ChunkedEncodingError: the connection broke mid-body (a truncated answer). ContentDecodingError:
# a body announced as gzip that does not inflate. Both are transport damage (a proxy or the
# connection garbling the bytes, not the NBA's answer), so asking again is the cure; if it
# persists the retries run out.
TRANSPORT_ERRORS = (
    requests.Timeout, requests.ConnectionError, requests.exceptions.ChunkedEncodingError,
    requests.exceptions.ContentDecodingError,
)


class _Retryable(Exception):
    """An attempt that failed in a way asking again can cure: a transport error, 429 or 5xx."""

    def __init__(self, problem: str, retry_after: float | None = None):
        super().__init__(problem)
        self.retry_after = retry_after


def _failure(state: tenacity.RetryCallState) -> _Retryable:
    """The failure of the attempt tenacity just judged retryable (it asks for waits and stops only then)."""
    failure = state.outcome.exception() if state.outcome else None
    assert isinstance(failure, _Retryable)
    return failure


class _PacedSession(requests.Session):
    """Our plain session, except that it waits for the rate limit's turn right before each request
    leaves (every attempt and redirect), so the spacing the host sees is the limiter's, not blurred
    by request building."""

    before_send: Callable[[], None] | None = None

    def send(self, request, **kwargs):
        if self.before_send is not None:
            self.before_send()
        return super().send(request, **kwargs)


class NBAClient(dg.ConfigurableResource):
    """NBA stats API and CDN live-data client, live or replayed.

    ``replay`` (the default) answers from recorded responses under ``replay_dir`` through the
    same code path as ``live``; only the transport differs.
    """

    mode: Literal["live", "replay"] = Field(default="replay", description="live: real HTTP; replay: recorded responses")
    replay_dir: str = Field(default=DEFAULT_REPLAY_DIR, description="Directory of recorded responses (NBA_REPLAY_DIR)")
    stats_base_url: str = "https://stats.nba.com/stats"
    cdn_base_url: str = "https://cdn.nba.com/static/json"
    stats_headers: dict[str, str] = Field(
        default_factory=lambda: dict(DEFAULT_STATS_HEADERS),
        description="Plain headers of stats requests (stored in the run config: no credentials, see secret_headers)",
    )
    cdn_headers: dict[str, str] = Field(
        default_factory=lambda: dict(DEFAULT_CDN_HEADERS), description="Plain headers of CDN requests (no credentials)"
    )
    secret_headers: dict[str, str] = Field(
        default_factory=dict,
        description="Header name -> NAME of the environment variable holding its value, read at request time "
        "and sent to both feeds, e.g. {'Authorization': 'NBA_API_TOKEN'}; the value never enters the run config",
    )
    proxy_url: str | None = Field(
        default=None,
        description="Proxy for every request, credentials included; give it as dg.EnvVar('NBA_PROXY_URL') so it "
        "stays out of the run config (unset: nba_api's NBA_API_PROXY, else none)",
    )
    connect_timeout_s: float = Field(default=5.0, gt=0)
    read_timeout_s: float = Field(default=20.0, gt=0)
    min_interval_s: float | None = Field(
        default=None, ge=0, description="Minimum seconds between requests to a host; default 1.0 live, 0 replay"
    )
    jitter_s: float | None = Field(default=None, ge=0, description="Random extra spacing; default 0.25 live, 0 replay")
    rate_limit_redis_url: str | None = Field(
        default=None,
        description="redis keeping the spacing per host for every process and machine (NBA_RATE_LIMIT_REDIS_URL; "
        "give it as dg.EnvVar when it holds a password); unset: the spacing holds across the processes of one "
        "machine (a locked file in NBA_THROTTLE_DIR)",
    )
    max_retries: int = Field(default=4, ge=0)
    backoff_base_s: float = Field(default=1.0, gt=0)
    backoff_max_s: float = Field(default=30.0, gt=0)
    deadline_s: float = Field(default=90.0, gt=0, description="Hard limit on one request, retries included")

    @field_validator("stats_headers", "cdn_headers")
    @classmethod
    def _no_credentials(cls, headers: dict[str, str], info) -> dict[str, str]:
        found = sorted(name for name in headers if name.lower() in CREDENTIAL_HEADERS)
        if found:
            raise ValueError(
                f"{info.field_name} holds credential header(s) {found}, which the run storage would keep in plain "
                "text; name an environment variable for each in secret_headers instead"
            )
        return headers

    @model_validator(mode="after")
    def _replay_dir_exists(self) -> NBAClient:
        # An EnvVar is still its variable's name here; Dagster validates again once it is resolved.
        if self.mode == "replay" and not isinstance(self.replay_dir, dg.EnvVar) and not Path(self.replay_dir).is_dir():
            raise ValueError(
                f"replay_dir {self.replay_dir} is not a directory: replay mode needs the recorded responses; "
                "set NBA_REPLAY_DIR (or replay_dir) to their directory"
            )
        return self

    # ------------------------------------------------------------------ plumbing
    def _session(self) -> _PacedSession:
        session = _PacedSession()
        if self.mode == "replay":
            session.mount("http://", RefuseAdapter())
            session.mount("https://", RefuseAdapter())
            session.mount(self.stats_base_url, ReplayAdapter(self.replay_dir, "stats", self.stats_base_url))
            session.mount(self.cdn_base_url, ReplayAdapter(self.replay_dir, "cdn", self.cdn_base_url))
        return session

    def _spacing(self) -> tuple[float, float]:
        live = self.mode == "live"
        interval = self.min_interval_s if self.min_interval_s is not None else (1.0 if live else 0.0)
        jitter = self.jitter_s if self.jitter_s is not None else (0.25 if live else 0.0)
        return interval, jitter

    def _secrets(self, label: str) -> dict[str, str]:
        """The secret headers' values, read from their environment variables now."""
        values = {}
        for header, variable in self.secret_headers.items():
            value = os.environ.get(variable)
            if not value:
                raise NBASourceError(
                    label, f"secret header {header}: environment variable {variable} is not set; export it or "
                    "remove the header from secret_headers",
                )
            values[header] = value
        return values

    def _redact(self, text: str, secrets: dict[str, str]) -> str:
        return redact(text, [*secrets.values(), *([self.proxy_url] if self.proxy_url else [])])

    def fetch(self, request: NBARequest) -> NBAResponse:
        """Send one request with throttle, retries and deadline; return the response once its
        endpoint's validation (``validation.ENDPOINTS``) accepts it."""
        secrets = self._secrets(request.label)
        try:
            return self._fetch(request, secrets)
        except NBASourceError as exc:
            # Messages of requests' errors quote the proxy and the URL; no secret leaves here.
            clean = self._redact(str(exc), secrets)
            if clean == str(exc):
                raise
            raise type(exc)(self._redact(exc.request_label, secrets), self._redact(exc.problem, secrets)) from None

    def _fetch(self, request: NBARequest, secrets: dict[str, str]) -> NBAResponse:
        base_url, headers = (
            (self.stats_base_url, self.stats_headers) if request.feed == "stats" else (self.cdn_base_url, self.cdn_headers)
        )
        # None lets nba_api's NBA_API_PROXY environment variable name one (its precedence, kept).
        proxy = resolve_proxy(self.proxy_url)
        session = self._session()
        send = functools.partial(
            session.get, base_url.rstrip("/") + "/" + request.endpoint,
            # Sorted by name, as nba_api sends them: some endpoints care.
            params=sorted(request.params, key=lambda item: item[0]), headers={**headers, **secrets},
            proxies=as_proxies(proxy),
        )
        interval, jitter = self._spacing()
        deadline = time.monotonic() + self.deadline_s
        if interval > 0 or jitter > 0:
            session.before_send = lambda: self._take_turn(request, interval, jitter, deadline)
        attempts = itertools.count(1)
        retrying = tenacity.Retrying(
            retry=tenacity.retry_if_exception_type(_Retryable),
            wait=self._wait,
            # Also stop when the wait before the next attempt would reach the deadline (tenacity's
            # clock starts with the first attempt, a few microseconds after ``deadline``'s).
            stop=tenacity.stop_after_attempt(self.max_retries + 1) | tenacity.stop_before_delay(self.deadline_s),
            retry_error_callback=lambda state: self._give_up(request, state),
        )
        try:
            return retrying(lambda: self._attempt(request, next(attempts), deadline, send, proxy))
        finally:
            session.close()

    def _attempt(
        self, request: NBARequest, attempt: int, deadline: float, send: Callable[..., requests.Response], proxy: str | None
    ) -> NBAResponse:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise RequestDeadlineError(request.label, f"deadline of {self.deadline_s}s passed after {attempt - 1} attempts")
        timeout = (min(self.connect_timeout_s, remaining), min(self.read_timeout_s, remaining))
        try:
            response = _call_within(remaining, functools.partial(send, timeout=timeout))
        except _DeadlineExceeded:
            raise RequestDeadlineError(
                request.label, f"no complete answer within the deadline of {self.deadline_s}s (attempt {attempt})"
            ) from None
        except TRANSPORT_ERRORS as exc:
            # requests' messages can quote the proxy URL: its credentials are masked as nba_api masked them.
            raise _Retryable(f"{type(exc).__name__}: {redact_proxy(exc, proxy) if proxy else exc}") from None
        status, body = response.status_code, response.content
        if status == 200:
            return self._accept(request, response.url, body)
        if status in NO_DATA_STATUS:
            raise FeedUnavailableError(request.label, f"HTTP {status}")
        if status not in RETRYABLE_STATUS:
            raise HTTPStatusError(request.label, f"HTTP {status}: {body[:200]!r}")
        raise _Retryable(f"HTTP {status}", retry_after_seconds(response.headers.get("Retry-After")))

    def _wait(self, state: tenacity.RetryCallState) -> float:
        """Before retry n: the server's Retry-After if longer, else a draw from [b/2, b] with
        b = backoff_base_s * 2**(n-1) capped at backoff_max_s."""
        if state.attempt_number > self.max_retries:
            return 0.0  # no retry follows (the attempts are spent): draw nothing
        backoff = tenacity.wait_exponential(multiplier=self.backoff_base_s, max=self.backoff_max_s)(state)
        return max(_failure(state).retry_after or 0.0, random.uniform(backoff / 2, backoff))

    def _give_up(self, request: NBARequest, state: tenacity.RetryCallState) -> NoReturn:
        problem = _failure(state)
        if state.attempt_number > self.max_retries:
            raise RetriesExhaustedError(request.label, f"gave up after {state.attempt_number} attempts; last error: {problem}")
        raise RequestDeadlineError(
            request.label,
            f"deadline of {self.deadline_s}s would pass before retry {state.attempt_number + 1}; last error: {problem}",
        )

    def _take_turn(self, request: NBARequest, interval: float, jitter: float, deadline: float) -> None:
        # Give up a little before the deadline, at which the caller stops waiting for this thread.
        if not take_turn(
            request.feed, interval, jitter, redis_url=self.rate_limit_redis_url,
            timeout_s=deadline - time.monotonic() - 0.05,
        ):
            raise RequestDeadlineError(
                request.label, f"deadline of {self.deadline_s}s passed waiting for the turn to ask the "
                f"{request.feed} host (rate limit kept by {describe_limit(self.rate_limit_redis_url)})",
            )

    def _accept(self, request: NBARequest, url: str, body: bytes) -> NBAResponse:
        """A 200 answer counts only if it is a usable response of its endpoint; anything else raises here."""
        try:
            text = body.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise UnusablePayloadError(
                request.label, f"body is not UTF-8: byte {exc.start} ({body[exc.start:exc.start + 1]!r}) of {len(body)}"
            ) from None
        payload = decode_payload(request.label, text)
        drift = validation.validate(request.archive_name, request.label, payload)
        return NBAResponse(
            request=request,
            url=redact(url),
            body=body,
            payload=payload,
            mode=self.mode,
            fetched_at=dt.datetime.now(dt.UTC),
            schema_drift=drift,
        )

    # --------------------------------------------------------------- endpoints
    # The endpoint table: our name = (feed, what nba_api builds the request from, how the call's
    # arguments become its parameters). Each row is also the method: client.play_by_play_v3(game_id).
    play_by_play_v3: ClassVar[Endpoint] = Endpoint("stats", playbyplayv3.PlayByPlayV3, by_game)
    play_by_play_v2: ClassVar[Endpoint] = Endpoint("stats", playbyplayv2.PlayByPlayV2, by_game)
    box_score_traditional_v3: ClassVar[Endpoint] = Endpoint("stats", boxscoretraditionalv3.BoxScoreTraditionalV3, by_game)
    box_score_traditional_v2: ClassVar[Endpoint] = Endpoint("stats", boxscoretraditionalv2.BoxScoreTraditionalV2, by_game)
    box_score_summary_v2: ClassVar[Endpoint] = Endpoint("stats", boxscoresummaryv2.BoxScoreSummaryV2, by_game)
    hustle_stats_box_score: ClassVar[Endpoint] = Endpoint("stats", hustlestatsboxscore.HustleStatsBoxScore, by_game)
    game_rotation: ClassVar[Endpoint] = Endpoint(
        "stats", gamerotation.GameRotation, lambda game_id: {"game_id": game_id, "league_id": league_id_of_game(game_id)}
    )
    shot_chart_detail: ClassVar[Endpoint] = Endpoint("stats", shotchartdetail.ShotChartDetail, shots)
    # nba_api's live endpoints are paths under the CDN's liveData folder.
    cdn_play_by_play: ClassVar[Endpoint] = Endpoint("cdn", "liveData/" + live_playbyplay.PlayByPlay.endpoint_url, by_game)
    cdn_box_score: ClassVar[Endpoint] = Endpoint("cdn", "liveData/" + live_boxscore.BoxScore.endpoint_url, by_game)
    # The CDN's schedule of the current season (it serves no other season).
    cdn_schedule: ClassVar[Endpoint] = Endpoint("cdn", CDN_SCHEDULE.endpoint, dict)
    # An empty games list is a real answer (no games that day): bronze compares it with the schedule.
    scoreboard_v3: ClassVar[Endpoint] = Endpoint("stats", scoreboardv3.ScoreboardV3, by_date)
    scoreboard_v2: ClassVar[Endpoint] = Endpoint("stats", scoreboardv2.ScoreboardV2, by_date)
    league_game_finder: ClassVar[Endpoint] = Endpoint("stats", leaguegamefinder.LeagueGameFinder, dict)  # as given
    # Every team's regular-season games of a season, one row per team per game.
    league_game_log: ClassVar[Endpoint] = Endpoint(
        "stats", leaguegamelog.LeagueGameLog, lambda season: {"season": season, "player_or_team_abbreviation": "T"}
    )
    # The same team-game rows from LeagueGameFinder (league_game_log's fallback).
    league_game_finder_season: ClassVar[Endpoint] = Endpoint(
        "stats", leaguegamefinder.LeagueGameFinder, lambda season: {
            "player_or_team_abbreviation": "T", "season_nullable": season, "season_type_nullable": "Regular Season",
        },
    )
    common_team_years: ClassVar[Endpoint] = Endpoint("stats", commonteamyears.CommonTeamYears, dict)
    league_dash_player_stats: ClassVar[Endpoint] = Endpoint(
        "stats", leaguedashplayerstats.LeagueDashPlayerStats, lambda season: {
            "season": season, "per_mode_detailed": "Totals", "measure_type_detailed_defense": "Base",
        },
    )
    # Every player's regular-season game log of a season in one response (PlayerGameLogs).
    player_game_logs: ClassVar[Endpoint] = Endpoint(
        "stats", playergamelogs.PlayerGameLogs,
        lambda season: {"season_nullable": season, "season_type_nullable": "Regular Season"},
    )
    # One player's regular-season game log (PlayerGameLog, singular).
    player_game_log: ClassVar[Endpoint] = Endpoint(
        "stats", playergamelog.PlayerGameLog, lambda player_id, season: {"player_id": player_id, "season": season}
    )
    schedule_league_v2: ClassVar[Endpoint] = Endpoint(
        "stats", scheduleleaguev2.ScheduleLeagueV2, lambda season: {"season": season}
    )

    # --------------------------------------------------------------- discovery
    def final_games_on(self, game_date: dt.date) -> list[str]:
        """Game ids of the completed games on a date.

        Live: ScoreboardV3 for the date, games with status 3 (final). Replay: the recorded games'
        table of contents (``games.csv``), since a scoreboard is rarely recorded for the same day
        as a whole game.
        """
        if self.mode == "replay":
            return sorted(g for g, d in recorded_games(self.replay_dir).items() if d == game_date)
        games = scoreboard_games(self.scoreboard_v3(game_date).payload)
        return sorted(g["gameId"] for g in games if g.get("gameStatus") == FINAL)


def retry_after_seconds(value: str | None, now: dt.datetime | None = None) -> float | None:
    """A Retry-After header as seconds to wait: ``"120"`` or an HTTP date (RFC 9110), None if absent or unreadable."""
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        until = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if until.tzinfo is None:  # "-0000": UTC by the RFC
        until = until.replace(tzinfo=dt.UTC)
    return max(0.0, (until - (now or dt.datetime.now(dt.UTC))).total_seconds())
