"""NBAClient in live mode against a scripted local HTTP server on 127.0.0.1.

The server answers with REAL recorded responses from ``data/replay`` (byte for byte). Error cases
use non-NBA bodies that imitate the failures the real API produces (``{}``, ``{"Message": ...}``,
an HTML error page, an empty body, 4xx/5xx statuses, hanging, trickling), or a tampered copy of a
real response (a V3 play-by-play with its actions removed).

Each test scripts the server per URL path: a queue of behaviours, then an optional behaviour that
repeats forever. Every request's path, query, headers and arrival time (``time.monotonic()``) is
recorded. All server-side waits are bounded and stop as soon as the test finishes.
"""

from __future__ import annotations

import gzip
import itertools
import json
import socket
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from requests.structures import CaseInsensitiveDict

import nba_lakehouse.sources.client as client_module
from nba_lakehouse.sources.client import DEFAULT_STATS_HEADERS, NBAClient
from nba_lakehouse.sources.errors import (
    EmptyResponseError,
    ErrorPayloadError,
    FeedUnavailableError,
    HTTPStatusError,
    ReplayMissError,
    RequestDeadlineError,
    RetriesExhaustedError,
)

REPLAY_DIR = Path(__file__).resolve().parents[1] / "data" / "replay"
GAME_V3 = "0022200552"
PBP_V3_FILE = REPLAY_DIR / "stats" / "playbyplayv3" / f"GameID={GAME_V3}.json"
GAME_CDN = "0022000001"
CDN_PBP_FILE = REPLAY_DIR / "cdn" / "liveData" / "playbyplay" / f"playbyplay_{GAME_CDN}.json"

STATS_PBP_V3 = "/stats/playbyplayv3"
CDN_PBP = f"/cdn/liveData/playbyplay/playbyplay_{GAME_CDN}.json"

MAX_SERVER_WAIT_S = 6.0  # upper bound on any hang/trickle, even if a test forgets to stop it


# --------------------------------------------------------------------------- scripted server
Behaviour = Callable[[BaseHTTPRequestHandler, threading.Event], None]


@dataclass(frozen=True)
class Seen:
    path: str
    query: dict[str, list[str]]
    headers: CaseInsensitiveDict
    at: float  # time.monotonic() when the request line and headers had arrived


class Script:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.queues: dict[str, deque[Behaviour]] = {}
        self.repeat: dict[str, Behaviour] = {}
        self.seen: list[Seen] = []
        self.stop = threading.Event()

    def on(self, path: str, *behaviours: Behaviour, then: Behaviour | None = None) -> None:
        with self.lock:
            self.queues.setdefault(path, deque()).extend(behaviours)
            if then is not None:
                self.repeat[path] = then

    def next_for(self, path: str) -> Behaviour:
        with self.lock:
            queue = self.queues.get(path)
            if queue:
                return queue.popleft()
            return self.repeat.get(path, unscripted)

    def record(self, seen: Seen) -> None:
        with self.lock:
            self.seen.append(seen)

    def requests_to(self, path: str) -> list[Seen]:
        with self.lock:
            return [s for s in self.seen if s.path == path]


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:
        at = time.monotonic()
        url = urlsplit(self.path)
        script: Script = self.server.script  # type: ignore[attr-defined]
        script.record(
            Seen(url.path, parse_qs(url.query, keep_blank_values=True), CaseInsensitiveDict(self.headers.items()), at)
        )
        script.next_for(url.path)(self, script.stop)

    def log_message(self, format, *args) -> None:  # keep pytest output clean
        pass


class QuietServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address) -> None:
        # Clients that gave up (timeouts, deadline) leave broken pipes behind; that is expected.
        pass


def _reply(handler, status: int, body: bytes, content_type: str | None, headers: dict | None = None) -> None:
    handler.send_response(status)
    if content_type:
        handler.send_header("Content-Type", content_type)
    for name, value in (headers or {}).items():
        handler.send_header(name, value)
    handler.send_header("Content-Length", str(len(body)))
    handler.end_headers()
    handler.wfile.write(body)
    handler.wfile.flush()


def serve_file(path: Path, content_type: str = "application/json; charset=utf-8", gzipped: bool = False) -> Behaviour:
    data = path.read_bytes()

    def behaviour(handler, stop):
        if gzipped:
            _reply(handler, 200, gzip.compress(data), content_type, {"Content-Encoding": "gzip"})
        else:
            _reply(handler, 200, data, content_type)

    return behaviour


def answer(status: int, body: bytes = b"", content_type: str | None = "application/json", headers: dict | None = None) -> Behaviour:
    def behaviour(handler, stop):
        _reply(handler, status, body, content_type, headers)

    return behaviour


def hang(seconds: float) -> Behaviour:
    """Accept the request and say nothing, then close the connection without an answer."""

    def behaviour(handler, stop):
        stop.wait(min(seconds, MAX_SERVER_WAIT_S))
        handler.close_connection = True

    return behaviour


def trickle(path: Path, chunk: int = 64, every_s: float = 0.1, max_s: float = MAX_SERVER_WAIT_S) -> Behaviour:
    """Send a real response's headers, then its bytes a few at a time for up to ``max_s``: no read
    ever times out."""
    data = path.read_bytes()

    def behaviour(handler, stop):
        handler.send_response(200)
        handler.send_header("Content-Type", "application/json; charset=utf-8")
        handler.send_header("Content-Length", str(len(data)))
        handler.end_headers()
        handler.wfile.flush()
        until = time.monotonic() + max_s
        for start in range(0, len(data), chunk):
            if stop.is_set() or time.monotonic() > until:
                break
            handler.wfile.write(data[start : start + chunk])
            handler.wfile.flush()
            stop.wait(every_s)
        handler.close_connection = True

    return behaviour


def truncated(path: Path) -> Behaviour:
    """Announce a real response's full length, send half of it, and close the connection."""
    data = path.read_bytes()

    def behaviour(handler, stop):
        handler.send_response(200)
        handler.send_header("Content-Type", "application/json; charset=utf-8")
        handler.send_header("Content-Length", str(len(data)))
        handler.end_headers()
        handler.wfile.write(data[: len(data) // 2])
        handler.wfile.flush()
        handler.close_connection = True

    return behaviour


def unscripted(handler, stop):
    _reply(handler, 418, b"unscripted request in test server", "text/plain")


@pytest.fixture
def server():
    script = Script()
    httpd = QuietServer(("127.0.0.1", 0), Handler)
    httpd.script = script  # type: ignore[attr-defined]
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
    thread.start()
    host, port = httpd.server_address[:2]
    script.base = f"http://{host}:{port}"  # type: ignore[attr-defined]
    try:
        yield script
    finally:
        script.stop.set()
        httpd.shutdown()
        httpd.server_close()
        thread.join(timeout=5)


def live_client(base: str, **overrides) -> NBAClient:
    """A live client aimed at a loopback base URL, with test-sized timeouts and backoff."""
    config = dict(
        mode="live",
        stats_base_url=f"{base}/stats",
        cdn_base_url=f"{base}/cdn",
        min_interval_s=0.0,
        jitter_s=0.0,
        max_retries=4,
        backoff_base_s=0.05,
        backoff_max_s=0.2,
        deadline_s=5.0,
        connect_timeout_s=1.0,
        read_timeout_s=2.0,
    )
    config.update(overrides)
    return NBAClient(**config)


@pytest.fixture
def make_client(server):
    return lambda **overrides: live_client(server.base, **overrides)


def gaps(seen: list[Seen]) -> list[float]:
    return [b.at - a.at for a, b in itertools.pairwise(seen)]


@pytest.fixture
def backoff_draws(monkeypatch):
    """Record the (low, high) -> value of every random.uniform the client draws."""
    draws: list[tuple[float, float, float]] = []
    real_uniform = client_module.random.uniform

    def spy(a, b):
        value = real_uniform(a, b)
        draws.append((a, b, value))
        return value

    monkeypatch.setattr(client_module.random, "uniform", spy)
    return draws


# --------------------------------------------------------------------------- 1, 2: requests
@pytest.mark.parametrize("gzipped", [False, True], ids=["plain", "gzip"])
def test_live_stats_request_returns_recorded_bytes_with_browser_headers_and_params(server, make_client, gzipped):
    server.on(STATS_PBP_V3, serve_file(PBP_V3_FILE, gzipped=gzipped))

    response = make_client().play_by_play_v3(GAME_V3)

    expected = PBP_V3_FILE.read_bytes()
    assert response.body == expected  # byte for byte, non-ASCII names included
    assert response.payload == json.loads(expected)
    assert response.mode == "live"
    assert response.url.startswith(f"{server.base}{STATS_PBP_V3}?")

    (seen,) = server.seen
    assert seen.path == STATS_PBP_V3
    assert seen.query == {"GameID": [GAME_V3], "StartPeriod": ["0"], "EndPeriod": ["0"]}
    for name in ("User-Agent", "Referer", "Origin", "Accept", "Accept-Language"):
        assert seen.headers.get(name) == DEFAULT_STATS_HEADERS[name], name
    assert "python-requests" not in seen.headers["User-Agent"]


def test_live_cdn_request_path_and_recorded_bytes(server, make_client):
    server.on(CDN_PBP, serve_file(CDN_PBP_FILE))

    response = make_client().cdn_play_by_play(GAME_CDN)

    assert response.body == CDN_PBP_FILE.read_bytes()
    assert response.payload["game"]["gameId"] == GAME_CDN
    (seen,) = server.seen
    assert seen.path == CDN_PBP
    assert seen.query == {}
    assert seen.headers.get("Referer") == "https://www.nba.com/"  # the CDN answers 403 without it
    assert seen.headers.get("Origin") == "https://www.nba.com"


def test_custom_stats_headers_are_what_the_server_sees(server, make_client):
    server.on(STATS_PBP_V3, serve_file(PBP_V3_FILE))
    custom = {
        "User-Agent": "nba-lakehouse-tests/1.0",
        "Referer": "https://example.test/page",
        "Origin": "https://example.test",
        "X-Lakehouse-Test": "yes",
    }

    make_client(stats_headers=custom).play_by_play_v3(GAME_V3)

    (seen,) = server.seen
    for name, value in custom.items():
        assert seen.headers.get(name) == value, name
    # The custom dict replaces the defaults; it is not merged into them.
    assert "Cache-Control" not in seen.headers
    assert "Pragma" not in seen.headers


def test_custom_cdn_headers_are_what_the_server_sees(server, make_client):
    server.on(CDN_PBP, serve_file(CDN_PBP_FILE))
    custom = {"User-Agent": "cdn-test-agent", "Referer": "https://example.test/cdn"}

    make_client(cdn_headers=custom).cdn_play_by_play(GAME_CDN)

    (seen,) = server.seen
    assert seen.headers.get("User-Agent") == "cdn-test-agent"
    assert seen.headers.get("Referer") == "https://example.test/cdn"
    assert "Origin" not in seen.headers


# --------------------------------------------------------------------------- 3, 4: retries
def _assert_backoff(draws, observed_gaps, base=0.05, cap=0.2):
    """Each retry waited random.uniform(b/2, b) with b = min(cap, base * 2**(attempt-1))."""
    assert len(draws) == len(observed_gaps)
    for attempt, ((low, high, value), gap) in enumerate(zip(draws, observed_gaps, strict=True), start=1):
        b = min(cap, base * 2 ** (attempt - 1))
        assert (low, high) == pytest.approx((b / 2, b)), attempt
        assert low <= value <= high
        # The server sees the retry no earlier than the drawn sleep, and not much later.
        assert value - 0.005 <= gap <= value + 0.1, (attempt, gap, value)


def test_503_twice_then_success_retries_with_growing_backoff(server, make_client, backoff_draws):
    server.on(STATS_PBP_V3, answer(503, b"Service Unavailable", "text/plain"), answer(503, b"", None),
              serve_file(PBP_V3_FILE))

    response = make_client().play_by_play_v3(GAME_V3)

    assert response.body == PBP_V3_FILE.read_bytes()
    seen = server.requests_to(STATS_PBP_V3)
    assert len(seen) == 3
    assert all(s.query["GameID"] == [GAME_V3] for s in seen)
    observed = gaps(seen)
    _assert_backoff(backoff_draws, observed)
    # Exponential: the second wait is drawn from a range twice as high as the first.
    assert backoff_draws[1][1] == pytest.approx(2 * backoff_draws[0][1])
    assert all(gap >= 0.025 - 0.005 for gap in observed)


def test_429_twice_then_success_retries(server, make_client, backoff_draws):
    server.on(CDN_PBP, answer(429, b"Too Many Requests", "text/plain"), answer(429, b"", None),
              serve_file(CDN_PBP_FILE))

    response = make_client().cdn_play_by_play(GAME_CDN)

    assert response.body == CDN_PBP_FILE.read_bytes()
    seen = server.requests_to(CDN_PBP)
    assert len(seen) == 3
    _assert_backoff(backoff_draws, gaps(seen))


def test_429_retry_after_header_is_honoured(server, make_client):
    server.on(STATS_PBP_V3, answer(429, b"", None, headers={"Retry-After": "0.4"}), serve_file(PBP_V3_FILE))

    make_client().play_by_play_v3(GAME_V3)

    seen = server.requests_to(STATS_PBP_V3)
    assert len(seen) == 2
    assert gaps(seen)[0] >= 0.4 - 0.005  # far above the 0.05 s backoff


@pytest.mark.parametrize("max_retries", [0, 2, 4])
def test_always_500_exhausts_retries_naming_endpoint_and_game(server, make_client, backoff_draws, max_retries):
    server.on(STATS_PBP_V3, then=answer(500, b'{"Message":"An error has occurred."}', "application/json"))

    with pytest.raises(RetriesExhaustedError) as info:
        make_client(max_retries=max_retries).play_by_play_v3(GAME_V3)

    message = str(info.value)
    assert "playbyplayv3" in message
    assert GAME_V3 in message
    assert "HTTP 500" in message
    seen = server.requests_to(STATS_PBP_V3)
    assert len(seen) == max_retries + 1
    _assert_backoff(backoff_draws, gaps(seen))  # the 4th retry is capped at backoff_max_s


def test_retry_after_beyond_the_deadline_fails_at_once(server, make_client):
    server.on(STATS_PBP_V3, then=answer(429, b"", None, headers={"Retry-After": "30"}))

    start = time.monotonic()
    with pytest.raises(RequestDeadlineError) as info:
        make_client(deadline_s=2.0).play_by_play_v3(GAME_V3)

    assert time.monotonic() - start < 1.0  # did not sleep towards the deadline first
    assert "HTTP 429" in str(info.value) and GAME_V3 in str(info.value)
    assert len(server.requests_to(STATS_PBP_V3)) == 1


def test_other_4xx_is_an_http_status_error_and_not_retried(server, make_client):
    server.on(STATS_PBP_V3, then=answer(400, b"GameID is required", "text/plain"))

    with pytest.raises(HTTPStatusError) as info:
        make_client().play_by_play_v3(GAME_V3)

    assert "HTTP 400" in str(info.value) and "playbyplayv3" in str(info.value)
    assert len(server.requests_to(STATS_PBP_V3)) == 1


def test_connection_broken_mid_body_is_retried(server, make_client):
    server.on(STATS_PBP_V3, truncated(PBP_V3_FILE), serve_file(PBP_V3_FILE))

    response = make_client().play_by_play_v3(GAME_V3)

    assert response.body == PBP_V3_FILE.read_bytes()
    assert len(server.requests_to(STATS_PBP_V3)) == 2


def test_connection_broken_mid_body_every_time_exhausts_retries(server, make_client):
    server.on(STATS_PBP_V3, then=truncated(PBP_V3_FILE))

    with pytest.raises(RetriesExhaustedError) as info:
        make_client(max_retries=2).play_by_play_v3(GAME_V3)

    assert "playbyplayv3" in str(info.value) and GAME_V3 in str(info.value)
    assert "ChunkedEncodingError" in str(info.value)
    assert len(server.requests_to(STATS_PBP_V3)) == 3


# --------------------------------------------------------------------------- 5: timeouts
def test_read_timeout_on_first_attempt_then_success(server, make_client):
    server.on(STATS_PBP_V3, hang(2.0), serve_file(PBP_V3_FILE))

    start = time.monotonic()
    response = make_client(read_timeout_s=0.3).play_by_play_v3(GAME_V3)
    elapsed = time.monotonic() - start

    assert response.body == PBP_V3_FILE.read_bytes()
    seen = server.requests_to(STATS_PBP_V3)
    assert len(seen) == 2
    assert gaps(seen)[0] >= 0.3 + 0.025 - 0.01  # read timeout, then at least the first backoff
    assert elapsed < 1.5  # did not wait for the hanging answer


def test_connection_refused_fails_in_bounded_time():
    with socket.socket() as probe:  # a port that was free a moment ago and has no listener now
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    client = live_client(
        f"http://127.0.0.1:{port}", max_retries=2, deadline_s=3.0, connect_timeout_s=0.5, read_timeout_s=0.5
    )

    start = time.monotonic()
    with pytest.raises((RetriesExhaustedError, RequestDeadlineError)) as info:
        client.play_by_play_v3(GAME_V3)
    elapsed = time.monotonic() - start

    assert elapsed < 3.0 + 0.5
    assert "playbyplayv3" in str(info.value) and GAME_V3 in str(info.value)
    assert "ConnectionError" in str(info.value)


# --------------------------------------------------------------------------- 6: hard deadline
@pytest.mark.parametrize(
    "behaviour",
    [pytest.param(hang(5.0), id="hang"), pytest.param(trickle(PBP_V3_FILE), id="trickle")],
)
def test_hard_deadline_covers_hanging_and_trickling_servers(server, make_client, behaviour):
    server.on(STATS_PBP_V3, then=behaviour)
    deadline_s = 1.0

    start = time.monotonic()
    with pytest.raises(RequestDeadlineError) as info:
        make_client(deadline_s=deadline_s, read_timeout_s=5.0).play_by_play_v3(GAME_V3)
    elapsed = time.monotonic() - start

    assert elapsed < deadline_s + 1.0
    assert "playbyplayv3" in str(info.value) and GAME_V3 in str(info.value)
    assert len(server.requests_to(STATS_PBP_V3)) >= 1


def test_a_request_abandoned_at_the_deadline_does_not_hold_the_process_open(server):
    """The worker still reading a trickled answer must not delay interpreter exit."""
    import subprocess
    import sys

    trickle_s = 60.0  # a worker left reading would keep the process alive this long
    server.on(STATS_PBP_V3, then=trickle(PBP_V3_FILE, every_s=0.2, max_s=trickle_s))
    script = (
        "import time, sys\n"
        "from nba_lakehouse.sources.client import NBAClient\n"
        "from nba_lakehouse.sources.errors import RequestDeadlineError\n"
        f"client = NBAClient(mode='live', stats_base_url='{server.base}/stats', min_interval_s=0, jitter_s=0,"
        " deadline_s=1.0, read_timeout_s=5.0)\n"
        "try:\n"
        "    client.play_by_play_v3('0022200552')\n"
        "except RequestDeadlineError:\n"
        "    print(time.time(), flush=True)\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60)
    exited = time.time()
    assert done.returncode == 0, done.stderr
    raised_at = float(done.stdout.strip())
    # Exit follows the error, not the trickle's end (a loaded machine may take seconds to exit).
    assert exited - raised_at < trickle_s / 3


# --------------------------------------------------------------------------- 7: payload errors
def _pbp_v3_without_actions() -> bytes:
    payload = json.loads(PBP_V3_FILE.read_bytes())
    assert payload["game"]["actions"]  # the real recording has actions; we remove them
    payload["game"]["actions"] = []
    return json.dumps(payload).encode("utf-8")


HTML_ERROR_PAGE = (
    b"<!DOCTYPE html>\n<html><head><title>Access Denied</title></head>"
    b"<body><h1>Access Denied</h1><p>You don't have permission to access this server.</p></body></html>\n"
)


@pytest.mark.parametrize(
    ("body", "content_type", "error", "problem"),
    [
        pytest.param(b"{}", "application/json", EmptyResponseError, "empty JSON object", id="empty-object"),
        pytest.param(b'{"Message":"An error has occurred."}', "application/json; charset=utf-8",
                     ErrorPayloadError, "An error has occurred.", id="message"),
        pytest.param(HTML_ERROR_PAGE, "text/html", ErrorPayloadError, "HTML", id="html"),
        pytest.param(b"", "application/json", EmptyResponseError, "empty response body", id="empty-body"),
        pytest.param(b"  \r\n", None, EmptyResponseError, "empty response body", id="blank-body"),
        pytest.param(_pbp_v3_without_actions(), "application/json", EmptyResponseError, "game.actions",
                     id="no-actions"),
    ],
)
def test_stats_payload_errors_are_clear_and_not_retried(server, make_client, body, content_type, error, problem):
    server.on(STATS_PBP_V3, then=answer(200, body, content_type))

    with pytest.raises(error) as info:
        make_client().play_by_play_v3(GAME_V3)

    assert type(info.value) is error
    message = str(info.value)
    assert "playbyplayv3" in message
    assert GAME_V3 in message
    assert problem in message
    assert len(server.requests_to(STATS_PBP_V3)) == 1


@pytest.mark.parametrize(
    ("body", "error"),
    [
        pytest.param(b"{}", EmptyResponseError, id="empty-object"),
        pytest.param(b'{"Message":"An error has occurred."}', ErrorPayloadError, id="message"),
        pytest.param(HTML_ERROR_PAGE, ErrorPayloadError, id="html"),
        pytest.param(b"", EmptyResponseError, id="empty-body"),
    ],
)
def test_cdn_payload_errors_are_clear_and_not_retried(server, make_client, body, error):
    server.on(CDN_PBP, then=answer(200, body, "application/json"))

    with pytest.raises(error) as info:
        make_client().cdn_play_by_play(GAME_CDN)

    assert type(info.value) is error
    assert f"playbyplay_{GAME_CDN}.json" in str(info.value)
    assert len(server.requests_to(CDN_PBP)) == 1


# --------------------------------------------------------------------------- 8: no data
@pytest.mark.parametrize("status", [404, 403])
def test_404_and_403_mean_feed_unavailable_and_are_not_retried(server, make_client, status):
    server.on(STATS_PBP_V3, then=answer(status, HTML_ERROR_PAGE, "text/html"))
    server.on(CDN_PBP, then=answer(status, b"", None))
    client = make_client()

    with pytest.raises(FeedUnavailableError) as stats_info:
        client.play_by_play_v3(GAME_V3)
    with pytest.raises(FeedUnavailableError) as cdn_info:
        client.cdn_play_by_play(GAME_CDN)

    for info in (stats_info, cdn_info):
        assert type(info.value) is FeedUnavailableError
        assert f"HTTP {status}" in str(info.value)
    assert GAME_V3 in str(stats_info.value) and "playbyplayv3" in str(stats_info.value)
    assert GAME_CDN in str(cdn_info.value)
    assert len(server.requests_to(STATS_PBP_V3)) == 1
    assert len(server.requests_to(CDN_PBP)) == 1


# --------------------------------------------------------------------------- 9: throttle
def test_throttle_spaces_sequential_requests(server, make_client):
    server.on(STATS_PBP_V3, then=serve_file(PBP_V3_FILE))
    server.on(CDN_PBP, then=serve_file(CDN_PBP_FILE))
    client = make_client(min_interval_s=0.3, jitter_s=0.0)

    for _ in range(3):
        client.play_by_play_v3(GAME_V3)
    # A second client shares the process-wide throttle of the feed.
    make_client(min_interval_s=0.3, jitter_s=0.0).play_by_play_v3(GAME_V3)

    stats_gaps = gaps(server.requests_to(STATS_PBP_V3))
    assert len(stats_gaps) == 3
    assert all(gap >= 0.3 - 0.02 for gap in stats_gaps), stats_gaps
    assert all(gap < 0.3 + 0.5 for gap in stats_gaps), stats_gaps  # spaced, not stalled

    # The throttle is per feed: a CDN request right after is not held back by the stats feed.
    start = time.monotonic()
    make_client(min_interval_s=0.3, jitter_s=0.0).cdn_play_by_play(GAME_CDN)
    (cdn_seen,) = server.requests_to(CDN_PBP)
    assert cdn_seen.at - start < 0.2


# --------------------------------------------------------------------------- 10: replay
def test_replay_mode_never_touches_the_network(server):
    client = NBAClient(
        mode="replay",
        replay_dir=str(REPLAY_DIR),
        stats_base_url=f"{server.base}/stats",
        cdn_base_url=f"{server.base}/cdn",
    )

    response = client.play_by_play_v3(GAME_V3)
    assert response.body == PBP_V3_FILE.read_bytes()
    assert response.mode == "replay"
    assert client.cdn_play_by_play(GAME_CDN).body == CDN_PBP_FILE.read_bytes()

    missing_game = "0022299999"
    with pytest.raises(ReplayMissError) as info:
        client.play_by_play_v3(missing_game)
    message = str(info.value)
    assert "playbyplayv3" in message
    assert missing_game in message
    assert str(REPLAY_DIR / "stats" / "playbyplayv3" / f"GameID={missing_game}.json") in message

    with pytest.raises(ReplayMissError) as cdn_info:
        client.cdn_play_by_play(missing_game)
    assert str(REPLAY_DIR / "cdn" / "liveData" / "playbyplay" / f"playbyplay_{missing_game}.json") in str(cdn_info.value)

    assert server.seen == []
