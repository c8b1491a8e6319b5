"""The fake NBA every fault-injection test shares: a loopback server serving the REAL recordings.

``FakeNBA`` answers ``/stats/<endpoint>?<query>`` and ``/cdn/<path>`` on 127.0.0.1 with the
recorded responses of a replay directory (``data/replay`` or a test's copy), byte for byte, and 404
for anything not recorded. Live discovery needs a date's ScoreboardV3, and none is recorded for the
sample games' dates: for such a date it answers the recorded 2025-11-05 ScoreboardV3 with its date
rewritten and its games replaced by the replay's recorded games of that date (``games.csv``), each
reduced to ``gameId``, ``gameStatus`` 3 and ``gameStatusText`` "Final" (``derived_scoreboard``).

A test injects a fault with ``fake.fault(path, change, times=n)``: the next ``n`` requests to that
path (``None``: every request) get ``change(reply)`` instead of the real reply, where ``reply`` is
the real ``Reply`` the server would have sent. Helpers below build the usual changes from the real
reply: another status, a JSON edit of the real payload, other bytes, extra headers. Every request
is recorded (path, sorted query, status sent, arrival time).

``fake.client(**overrides)`` is an ``NBAClient`` in LIVE mode pointed at the server with short
timeouts and no throttle, so the code under test is the live code path end to end.
"""

from __future__ import annotations

import copy
import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

import dagster as dg

from nba_lakehouse.sources.client import NBAClient
from nba_lakehouse.sources.replay import cdn_replay_path, recorded_games, stats_replay_path
from nba_lakehouse_tests.conftest import REPLAY
from nba_lakehouse_tests.test_client_live import QuietServer, _reply

SCOREBOARD_TEMPLATE = REPLAY / "stats" / "scoreboardv3" / "GameDate=2025-11-05.json"
SCOREBOARD_PATH = "/stats/scoreboardv3"


def derived_scoreboard(game_date: str, replay: Path = REPLAY) -> bytes:
    """The recorded 2025-11-05 ScoreboardV3 turned into ``game_date``'s: see the module docstring."""
    board = json.loads(SCOREBOARD_TEMPLATE.read_bytes())
    year, month, day = game_date.split("-")
    board["meta"]["request"] = board["meta"]["request"].replace("2025/11/05", f"{year}/{month}/{day}")
    board["scoreboard"]["gameDate"] = game_date
    board["scoreboard"]["games"] = [
        {"gameId": game_id, "gameStatus": 3, "gameStatusText": "Final"}
        for game_id, date in sorted(recorded_games(replay).items()) if date.isoformat() == game_date
    ]
    return json.dumps(board).encode()


@dataclass(frozen=True)
class Reply:
    status: int
    body: bytes
    headers: dict[str, str] = field(default_factory=dict)
    content_type: str = "application/json; charset=utf-8"


Change = Callable[[Reply], Reply]


@dataclass(frozen=True)
class Seen:
    path: str
    query: tuple[tuple[str, str], ...]  # sorted
    status: int
    at: float  # time.monotonic() on arrival
    headers: dict[str, str] = field(default_factory=dict)


# ------------------------------------------------------------------------------- faults
def status(code: int, body: bytes = b"", headers: dict[str, str] | None = None) -> Change:
    """Another status (and body) instead of the real answer."""
    return lambda reply: Reply(code, body, headers or {})


def body(data: bytes, content_type: str = "application/json; charset=utf-8") -> Change:
    """Other bytes with status 200."""
    return lambda reply: Reply(200, data, {}, content_type)


def edit_json(edit: Callable[[dict], object]) -> Change:
    """The real payload, changed in place by ``edit`` (its return value is ignored), re-serialized."""

    def change(reply: Reply) -> Reply:
        payload = copy.deepcopy(json.loads(reply.body))
        edit(payload)
        return replace(reply, body=json.dumps(payload).encode())

    return change


def edit_bytes(edit: Callable[[bytes], bytes]) -> Change:
    return lambda reply: replace(reply, body=edit(reply.body))


def with_headers(headers: dict[str, str]) -> Change:
    return lambda reply: replace(reply, headers={**reply.headers, **headers})


# ------------------------------------------------------------------------------- the server
class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:
        fake: FakeNBA = self.server  # type: ignore[assignment]
        at = time.monotonic()
        url = urlsplit(self.path)
        params = parse_qsl(url.query, keep_blank_values=True)
        reply = fake.change_for(url.path)(fake.recorded(url.path, params))
        fake.record(Seen(url.path, tuple(sorted(params)), reply.status, at, dict(self.headers.items())))
        _reply(self, reply.status, reply.body, reply.content_type, reply.headers)

    def log_message(self, format, *args) -> None:
        pass


class FakeNBA(QuietServer):
    def __init__(self, replay: Path = REPLAY) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.replay = Path(replay)
        self.lock = threading.Lock()
        self.seen: list[Seen] = []
        self.faults: dict[str, list[tuple[Change, int | None]]] = {}
        host, port = self.server_address[:2]
        self.base = f"http://{host}:{port}"

    # --- what is served
    def recorded(self, path: str, params: list[tuple[str, str]]) -> Reply:
        if path.startswith("/stats/"):
            recorded = stats_replay_path(self.replay, path.removeprefix("/stats/"), params)
            if recorded.is_file():
                return Reply(200, recorded.read_bytes())
            if path == SCOREBOARD_PATH and "GameDate" in dict(params):
                return Reply(200, derived_scoreboard(dict(params)["GameDate"], self.replay))
        elif path.startswith("/cdn/"):
            recorded = cdn_replay_path(self.replay, path.removeprefix("/cdn/"))
            if recorded.is_file():
                return Reply(200, recorded.read_bytes())
        return Reply(404, b'{"Message": "not recorded"}')

    def fault(self, path: str, change: Change, times: int | None = 1) -> None:
        """The next ``times`` requests to ``path`` (every one with None) get ``change(real reply)``."""
        with self.lock:
            self.faults.setdefault(path, []).append((change, times))

    def clear_faults(self) -> None:
        with self.lock:
            self.faults.clear()

    def change_for(self, path: str) -> Change:
        with self.lock:
            queue = self.faults.get(path)
            if not queue:
                return lambda reply: reply
            change, times = queue[0]
            if times is not None:
                if times <= 1:
                    queue.pop(0)
                else:
                    queue[0] = (change, times - 1)
            return change

    # --- what was asked
    def record(self, seen: Seen) -> None:
        with self.lock:
            self.seen.append(seen)

    def requests_to(self, path: str) -> list[Seen]:
        with self.lock:
            return [s for s in self.seen if s.path == path]

    def count(self) -> int:
        with self.lock:
            return len(self.seen)

    def since(self, mark: int) -> list[Seen]:
        """The requests that arrived after the first ``mark``."""
        with self.lock:
            return list(self.seen[mark:])

    def client(self, **overrides) -> NBAClient:
        return live_client(self.base, **overrides)


def live_client(base: str, **overrides) -> NBAClient:
    """A live-mode client for the fake NBA at ``base`` (also from another process): no throttle,
    short timeouts, quick retries."""
    settings = dict(
        mode="live", stats_base_url=base + "/stats", cdn_base_url=base + "/cdn",
        min_interval_s=0.0, jitter_s=0.0, connect_timeout_s=2.0, read_timeout_s=10.0, deadline_s=30.0,
        max_retries=2, backoff_base_s=0.05, backoff_max_s=0.2,
    )
    return NBAClient(**{**settings, **overrides})


def serve(replay: Path = REPLAY):
    """Start a FakeNBA in a daemon thread; a context manager that shuts it down."""
    return _Serving(FakeNBA(replay))


class _Serving:
    def __init__(self, fake: FakeNBA) -> None:
        self.fake = fake
        self.thread = threading.Thread(target=fake.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)

    def __enter__(self) -> FakeNBA:
        self.thread.start()
        return self.fake

    def __exit__(self, *exc) -> None:
        self.fake.shutdown()
        self.fake.server_close()
        self.thread.join(timeout=5)


# ------------------------------------------------------------------------------- runs and lakes
LAYERS = ("bronze", "silver", "gold")


def run_dates(lake_root: Path | str, client: NBAClient, start: str, end: str | None = None, *,
              selection: dg.AssetSelection | None = None, layers: tuple[str, ...] = LAYERS,
              instance: dg.DagsterInstance | None = None, run_config: dict | None = None) -> dg.ExecuteInProcessResult:
    """Materialize the per-game-date assets and checks of ``layers`` (or ``selection``) for
    ``start``..``end`` in one in-process run, live against ``client``; a failed step makes
    ``success`` False, not an error."""
    from nba_lakehouse.definitions import all_assets, all_checks, per_game_date
    from nba_lakehouse.recovery import worker_tags
    from nba_lakehouse.resources import build_resources

    resources = {**build_resources(lake_root=str(lake_root), mode="live"), "nba": client}
    if selection is None:
        selection = per_game_date if layers == LAYERS else per_game_date & dg.AssetSelection.groups(*layers)
    tags = {"dagster/asset_partition_range_start": start, "dagster/asset_partition_range_end": end or start,
            **worker_tags()}  # as the CLI's launches: this process is the worker, recovery may judge it by pid
    return dg.materialize(
        [*all_assets, *all_checks], selection=selection, resources=resources,
        instance=instance, tags=tags, raise_on_error=False, run_config=run_config,
    )


# When a response was fetched, which run recorded an issue and when: the only things two runs cannot share.
VOLATILE_COLUMNS = ("fetched_at", "run_id", "recorded_at")


def _layer_of(relative: Path) -> str:
    """The layer that writes a lake file: its top folder, except game_issues, which every asset
    writes under its own ``recorded_by=<op>`` partition (a bronze asset's issues are bronze's)."""
    from nba_lakehouse.definitions import all_assets

    recorded_by = next((part.removeprefix("recorded_by=") for part in relative.parts if part.startswith("recorded_by=")), None)
    if relative.parts[:2] != ("silver", "game_issues") or recorded_by is None:
        return relative.parts[0]
    (group,) = {group for a in all_assets if a.node_def.name == recorded_by for group in a.group_names_by_key.values()}
    return group


def lake_snapshot(root: Path | str, layers: tuple[str, ...] = LAYERS) -> dict[str, bytes]:
    """Every file that ``layers`` of a lake's bronze, silver and gold wrote, by relative path, as two
    runs can share it: manifests without ``fetched_at``, Parquet files with a volatile column by
    value without it (all others byte for byte), no staging, no catalog."""
    import io

    import polars as pl

    root = Path(root)
    found = {}
    for path in sorted(root.rglob("*")):
        relative = path.relative_to(root)
        if not path.is_file() or relative.parts[0] not in LAYERS or _layer_of(relative) not in layers:
            continue
        data = path.read_bytes()
        if path.name.endswith(".manifest.json"):
            manifest = json.loads(data)
            manifest.pop("fetched_at", None)
            data = json.dumps(manifest, sort_keys=True).encode()
        elif path.name.endswith(".parquet"):
            frame = pl.read_parquet(io.BytesIO(data))
            volatile = [c for c in VOLATILE_COLUMNS if c in frame.columns]
            if volatile:  # compared by value: the rest of the row must be identical
                data = frame.drop(volatile).write_csv().encode()
        found[str(relative)] = data
    return found


class CleanLakes:
    """Clean runs against one fake NBA, each made the first time a test asks for its date and
    layers (a bronze-only clean lake costs a bronze-only run), each on its own lake."""

    def __init__(self, tmp_path_factory, fake: FakeNBA) -> None:
        self.tmp_path_factory, self.fake = tmp_path_factory, fake
        self.lakes: dict[tuple[str, tuple[str, ...]], tuple[Path, dict[str, bytes]]] = {}

    def _lake(self, date: str, layers: tuple[str, ...]) -> tuple[Path, dict[str, bytes]]:
        if (date, layers) not in self.lakes:
            root = self.tmp_path_factory.mktemp(f"clean_{date}_{'_'.join(layers)}")
            assert run_dates(root, self.fake.client(), date, layers=layers).success, f"clean run of {date} {layers}"
            self.lakes[date, layers] = root, lake_snapshot(root, layers)
        return self.lakes[date, layers]

    def root(self, date: str, layers: tuple[str, ...] = LAYERS) -> Path:
        return self._lake(date, layers)[0]

    def snapshot(self, date: str, layers: tuple[str, ...] = LAYERS) -> dict[str, bytes]:
        return self._lake(date, layers)[1]
