"""Replay: a ``requests`` transport adapter that answers from recorded responses.

The client mounts this adapter on its own session in place of the network adapter, so a replayed
request goes through exactly the code a live one does (nba_api's request building, headers,
throttle, retries, payload validation); only the socket is replaced.

Directory layout (documented in the README)::

    <replay_dir>/stats/<endpoint>/<query>.json        stats.nba.com/stats/<endpoint>?<query>
    <replay_dir>/cdn/<path>                           cdn.nba.com/static/json/<path>
    <replay_dir>/games.csv                            game_id,game_date of the recorded games

``<query>`` is the request's query string with parameters sorted by name, empty values and the
neutral defaults in ``NEUTRAL_PARAMETERS`` left out, values URL-encoded as in a query string,
e.g. ``GameID=0022200552.json`` or ``PlayerOrTeam=T&Season=2023-24&SeasonType=Regular+Season.json``.
"""

from __future__ import annotations

import csv
import datetime as dt
import functools
import io
import re
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qsl, quote_plus, urlsplit

import requests
from requests.adapters import BaseAdapter

from nba_lakehouse.partitions import season_of_game
from nba_lakehouse.sources.errors import ReplayMissError

# Parameters whose value, when it is this default, does not change what the endpoint returns.
NEUTRAL_PARAMETERS = {
    "LeagueID": "00",
    "StartPeriod": "0",
    "EndPeriod": "0",
    "StartRange": "0",
    "EndRange": "0",
    "RangeType": "0",
    "DayOffset": "0",
    "Counter": "0",
    "Sorter": "DATE",
    "Direction": "ASC",
}


def replay_query(params: list[tuple[str, str]] | dict[str, object]) -> str:
    items = params.items() if isinstance(params, dict) else params
    kept = sorted(
        (str(k), str(v))
        for k, v in items
        if v not in (None, "") and NEUTRAL_PARAMETERS.get(str(k)) != str(v)
    )
    return "&".join(f"{k}={quote_plus(v)}" for k, v in kept)


def stats_replay_path(replay_dir: str | Path, endpoint: str, params) -> Path:
    query = replay_query(params)
    return Path(replay_dir) / "stats" / endpoint.lower() / f"{query or '_'}.json"


def cdn_replay_path(replay_dir: str | Path, cdn_path: str) -> Path:
    return Path(replay_dir) / "cdn" / cdn_path.lstrip("/")


class ReplayAdapter(BaseAdapter):
    """Serves ``GET <base_url>/...`` from files under ``<replay_dir>/<kind>/``."""

    def __init__(self, replay_dir: str | Path, kind: str, base_url: str):
        super().__init__()
        self.replay_dir = Path(replay_dir)
        self.kind = kind
        self.base_path = urlsplit(base_url).path.rstrip("/")

    def send(self, request, stream=False, timeout=None, verify=True, cert=None, proxies=None):
        url = urlsplit(request.url)
        relative = url.path[len(self.base_path):].lstrip("/")
        params = parse_qsl(url.query, keep_blank_values=True)
        if self.kind == "stats":
            path = stats_replay_path(self.replay_dir, relative, params)
            what = f"stats endpoint {relative} with parameters {dict(params)}"
        else:
            path = cdn_replay_path(self.replay_dir, relative)
            what = f"CDN feed {relative}"
        if not path.is_file():
            raise ReplayMissError(
                what, f"no recorded response in replay mode (expected the file {path})"
            )
        response = requests.Response()
        response.status_code = 200
        response.raw = io.BytesIO(path.read_bytes())  # read as the body, like a socket's stream
        response.headers["Content-Type"] = "application/json; charset=utf-8"
        response.encoding = "utf-8"
        response.url = request.url
        response.request = request
        response.reason = "OK (replayed)"
        return response

    def close(self):
        pass


class RefuseAdapter(BaseAdapter):
    """In replay mode, any URL outside the replayed feeds is refused instead of reaching the network."""

    def send(self, request, **kwargs):
        raise ReplayMissError(f"URL {request.url}", "replay mode serves only the stats and CDN feeds")

    def close(self):
        pass


def recorded_games(replay_dir: str | Path) -> dict[str, dt.date]:
    """``games.csv``: which recorded game belongs to which game date.

    Every per-game bronze asset asks once per date, so a season backfill asks ~1,200 times: the
    parsed file is kept while its size and modification time stay the same.
    """
    path = Path(replay_dir) / "games.csv"
    if not path.is_file():
        return {}
    stat = path.stat()
    return dict(_parse_recorded_games(str(path), stat.st_mtime_ns, stat.st_size))


@functools.lru_cache(maxsize=8)
def _parse_recorded_games(path_name: str, mtime_ns: int, size: int) -> dict[str, dt.date]:
    path = Path(path_name)
    with path.open(newline="") as f:
        rows = list(csv.DictReader(f))
    games = {}
    for line, row in enumerate(rows, start=2):
        try:
            games[row["game_id"].strip()] = dt.date.fromisoformat(row["game_date"].strip())
        except (KeyError, ValueError, AttributeError) as exc:
            raise ValueError(f"{path}, line {line}: expected game_id,game_date (YYYY-MM-DD): {exc}") from exc
    return games


@dataclass(frozen=True)
class RecordedPartitions:
    """What the recordings cover, read off the recorded requests themselves."""

    dates: list[dt.date]  # game dates with recorded games, plus dates with a recorded scoreboard
    seasons: list[str]  # seasons of those games, plus seasons with a recorded season-level response
    players_by_season: dict[str, list[int]]  # recorded per-player game logs (PlayerGameLog)


_SEASON = re.compile(r"^\d{4}-\d{2}$")


def recorded_partitions(replay_dir: str | Path) -> RecordedPartitions:
    games = recorded_games(replay_dir)
    dates = set(games.values())
    seasons = {season_of_game(g) for g in games}
    players: dict[str, set[int]] = {}
    for path in sorted((Path(replay_dir) / "stats").glob("*/*.json")):
        params = dict(parse_qsl(path.stem, keep_blank_values=True))
        if "GameDate" in params and path.parent.name.startswith("scoreboard"):
            dates.add(dt.date.fromisoformat(params["GameDate"]))
        season = params.get("Season", "")
        if _SEASON.match(season) and "GameID" not in params:
            seasons.add(season)
            if path.parent.name == "playergamelog":
                players.setdefault(season, set()).add(int(params["PlayerID"]))
    return RecordedPartitions(
        dates=sorted(dates), seasons=sorted(seasons),
        players_by_season={s: sorted(p) for s, p in sorted(players.items())},
    )

