"""pbpstats (dblackrun/pbpstats, pinned in the ``test`` extra) as an offline, independent oracle
for recorded CDN liveData games.

pbpstats reads a data directory laid out as ``<dir>/pbp/live_<game_id>.json`` (CDN play-by-play)
and ``<dir>/game_details/live_<game_id>.json`` (CDN box score). The repo's recordings of those two
responses live under ``data/replay/cdn/liveData/`` (for 0022000001 they are byte-identical to the
files pbpstats ships in its own ``tests/data/``), so :func:`pbpstats_data_dir` builds that layout in
a temporary directory from the replay files (symlinks, copies where symlinks are not allowed).
Nothing outside ``replay_dir`` is read.

The live file loaders only ``open()`` files. The one network path in pbpstats' live parsing is not
taken for CDN data (``StartOfPeriod._get_starters_from_boxscore_request`` is only used by the
stats.nba.com provider), and :func:`no_network` makes sure of it: every socket connect or DNS
lookup made while the oracle runs raises :class:`NetworkAttempt`.

It lives in the package, not the test package, because the season benchmark times it too.
Importing this module does not import pbpstats or pytest; pbpstats is imported inside functions.
Run ``python -m nba_lakehouse.pbpstats_oracle [GAME_ID]`` for a one-line summary.
"""

from __future__ import annotations

import contextlib
import importlib.util
import shutil
import socket
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import polars as pl

PBPSTATS_VERSION = "1.3.11"

# Columns of the per-event frame, in order.
EVENT_SCHEMA: dict[str, Any] = {
    "period": pl.Int64,
    "action_number": pl.Int64,  # CDN actionNumber == pbpstats event.event_num
    "clock_seconds": pl.Float64,  # seconds remaining in the period (pbpstats seconds_remaining)
    "home_player_ids": pl.List(pl.Int64),  # sorted; players on the floor as pbpstats sees them
    "away_player_ids": pl.List(pl.Int64),
    "event_class": pl.Utf8,  # pbpstats class, e.g. LiveSubstitution, LiveEnhancedPbpItem
    "possession_number": pl.Int64,  # 1-based index of the pbpstats possession holding the event
    "offense_team_id": pl.Int64,  # offense team of that possession
}


class NetworkAttempt(RuntimeError):
    """Raised when code running inside :func:`no_network` tries to open a connection."""


def pbpstats_available() -> bool:
    """True when pbpstats can be imported (without importing it)."""
    try:
        return importlib.util.find_spec("pbpstats") is not None
    except (ImportError, ValueError):
        return False


def cdn_recordings(game_id: str, replay_dir: Path) -> dict[str, Path]:
    """The repo's CDN recordings of one game, keyed by the pbpstats sub-directory they go in."""
    cdn = Path(replay_dir) / "cdn" / "liveData"
    return {
        "pbp": cdn / "playbyplay" / f"playbyplay_{game_id}.json",
        "game_details": cdn / "boxscore" / f"boxscore_{game_id}.json",
    }


@contextlib.contextmanager
def pbpstats_data_dir(game_id: str, replay_dir: Path) -> Iterator[Path]:
    """A temporary pbpstats data dir for ``game_id`` built from the replay recordings."""
    sources = cdn_recordings(game_id, replay_dir)
    missing = [str(p) for p in sources.values() if not p.is_file()]
    if missing:
        raise FileNotFoundError(f"no CDN recording for {game_id}: {', '.join(missing)}")
    with tempfile.TemporaryDirectory(prefix=f"pbpstats_{game_id}_") as tmp:
        root = Path(tmp)
        for subdir, source in sources.items():
            target = root / subdir / f"live_{game_id}.json"
            target.parent.mkdir()
            try:
                target.symlink_to(source.resolve())
            except OSError:  # e.g. Windows without symlink rights
                shutil.copyfile(source, target)
        yield root


@contextlib.contextmanager
def no_network() -> Iterator[None]:
    """Make every socket connect / DNS lookup in this process raise :class:`NetworkAttempt`."""

    def refuse(*args, **kwargs):
        raise NetworkAttempt(f"network access attempted while offline: {args[1:] or args}")

    patched = [
        (socket.socket, "connect"),
        (socket.socket, "connect_ex"),
        (socket, "create_connection"),
        (socket, "getaddrinfo"),
    ]
    saved = [(owner, name, getattr(owner, name)) for owner, name in patched]
    try:
        for owner, name in patched:
            setattr(owner, name, refuse)
        yield
    finally:
        for owner, name, original in saved:
            setattr(owner, name, original)


def _parse(game_id: str, data_dir: Path):
    """Load and parse one game: CDN pbp file -> enhanced events -> possessions.

    These are the loaders ``Client({"dir": data_dir, "Possessions": {"source": "file",
    "data_provider": "live"}}).Game(game_id).possessions`` uses, called directly so that the
    pbpstats ``Game`` class is not mutated globally.
    """
    from pbpstats.data_loader import LivePossessionFileLoader, LivePossessionLoader

    return LivePossessionLoader(game_id, LivePossessionFileLoader(str(data_dir)))


def pbpstats_game(game_id: str, replay_dir: Path, *, repeats: int = 5) -> dict:
    """Parse a recorded CDN game with pbpstats, offline.

    Returns ``frame`` (one row per pbpstats event, :data:`EVENT_SCHEMA`), ``possessions_by_team``
    ({offense team id: possessions}), ``possessions_total``, ``events`` (events pbpstats parsed),
    ``seconds`` (best of ``repeats`` wall times of loading + parsing the game, perf_counter),
    ``seconds_per_event``, ``lineup_seconds`` (best wall time of then reading every event's
    lineup, which pbpstats resolves only on access), ``home_team_id``, ``away_team_id``,
    ``repeats``, ``pbpstats_version``.
    """
    import pbpstats
    from pbpstats.data_loader import LiveBoxscoreFileLoader, LiveBoxscoreLoader

    with no_network(), pbpstats_data_dir(game_id, Path(replay_dir)) as data_dir:
        timings, lineup_timings = [], []
        for _ in range(max(1, repeats)):
            start = time.perf_counter()
            loader = _parse(game_id, data_dir)
            parsed = time.perf_counter()
            # current_players walks back to the period start on every access: read it once per event.
            lineups = [event.current_players for event in loader.events]
            timings.append(parsed - start)
            lineup_timings.append(time.perf_counter() - parsed)
        box = LiveBoxscoreLoader(game_id, LiveBoxscoreFileLoader(str(data_dir))).data
        home_team_id = int(box["homeTeam"]["teamId"])
        away_team_id = int(box["awayTeam"]["teamId"])

        possession_of: dict[int, tuple[int | None, int | None]] = {}
        for number, possession in enumerate(loader.items, start=1):
            for event in possession.events:
                possession_of[id(event)] = (number, int(possession.offense_team_id))
        rows = []
        for event, players in zip(loader.events, lineups, strict=True):
            unexpected = set(players) - {home_team_id, away_team_id}
            if unexpected:
                raise ValueError(f"event {event.event_num}: team ids {unexpected} are not in the box score")
            possession_number, offense = possession_of.get(id(event), (None, None))
            rows.append({
                "period": int(event.period),
                "action_number": int(event.event_num),
                "clock_seconds": float(event.seconds_remaining),
                "home_player_ids": sorted(int(p) for p in players.get(home_team_id, [])),
                "away_player_ids": sorted(int(p) for p in players.get(away_team_id, [])),
                "event_class": type(event).__name__,
                "possession_number": possession_number,
                "offense_team_id": offense,
            })

    by_team: dict[int, int] = {}
    for possession in loader.items:
        team_id = int(possession.offense_team_id)
        by_team[team_id] = by_team.get(team_id, 0) + 1
    seconds = min(timings)
    return {
        "frame": pl.DataFrame(rows, schema=EVENT_SCHEMA),
        "possessions_by_team": by_team,
        "possessions_total": len(loader.items),
        "events": len(loader.events),
        "seconds": seconds,
        "seconds_per_event": seconds / len(loader.events) if loader.events else float("nan"),
        "lineup_seconds": min(lineup_timings),
        "home_team_id": home_team_id,
        "away_team_id": away_team_id,
        "repeats": len(timings),
        "pbpstats_version": pbpstats.__dict__.get("__version__") or _installed_version(),
    }


def _installed_version() -> str | None:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("pbpstats")
    except PackageNotFoundError:
        return None


if __name__ == "__main__":
    import sys

    game = sys.argv[1] if len(sys.argv) > 1 else "0022000001"
    replay = Path(sys.argv[2]) if len(sys.argv) > 2 else Path(__file__).resolve().parents[1] / "data" / "replay"
    result = pbpstats_game(game, replay)
    print(
        f"pbpstats {result['pbpstats_version']} {game}: {result['events']} events, "
        f"{result['possessions_total']} possessions {result['possessions_by_team']}, "
        f"best of {result['repeats']}: {result['seconds'] * 1000:.1f} ms "
        f"({result['seconds_per_event'] * 1e6:.1f} us/event)"
    )
