"""The bulk 2022-23 season as a replay directory, so it runs through the real Dagster assets.

The bulk archive ``nbaplays_2022-23_raw.tar.xz`` holds 1230 files ``raw/S2223-GNNNN.json``, each a
bare JSON list of PlayByPlayV3 actions, with no date, no envelope and no box score. This module
turns them into the layout ``nba_lakehouse.sources.replay`` serves (see its docstring)::

    <replay_dir>/stats/playbyplayv3/GameID=<game_id>.json   PlayByPlayV3 response of the game
    <replay_dir>/games.csv                                  game_id,game_date,date_source

What is real and what is made up:

- The actions are copied **verbatim**: the file's bytes are spliced unchanged into the
  PlayByPlayV3 envelope of the recorded ``data/replay/stats/playbyplayv3/GameID=0022200552.json``
  (``{"meta": {...}, "game": {"gameId", "videoAvailable", "actions": <the file's list>}}``). Only
  the envelope is written by us: ``meta`` names the bulk file instead of a request time, and
  ``videoAvailable`` is 1 when any action has video.
- The dates are **assigned**, not recorded: games are spread in game-id order evenly over the real
  regular-season window 2022-10-18..2023-04-09, exactly as ``season_benchmark.assign_dates`` does
  (that function is reused, not copied). ``games.csv`` says so in its ``date_source`` column.
- Nothing else is recorded: box scores, summaries, hustle, rotations, shots and scoreboards are
  all replay misses, i.e. feeds the NBA does not have for the game.

Plain functions; ``benchmarks/dagster_season_benchmark.py`` calls ``build_replay_dir``.
"""

from __future__ import annotations

import csv
import json
import shutil
import sys
from pathlib import Path

BENCHMARKS = Path(__file__).resolve().parent
if str(BENCHMARKS) not in sys.path:
    sys.path.insert(0, str(BENCHMARKS))

from season_benchmark import DEFAULT_BULK, assign_dates, extract_once, game_id_of

MARKER = ".complete"
DATE_SOURCE = "assigned: spread in game-id order over 2022-10-18..2023-04-09 (benchmarks/season_benchmark.py assign_dates)"


def envelope_bytes(game_id: str, actions_bytes: bytes, source_name: str) -> bytes:
    """A PlayByPlayV3 response around the bulk file's action list, which is kept byte for byte."""
    actions = json.loads(actions_bytes)
    if not isinstance(actions, list):
        raise ValueError(f"{source_name}: expected a JSON list of PlayByPlayV3 actions, got {type(actions).__name__}")
    video = int(any(a.get("videoAvailable") for a in actions))
    # No "time": the bulk files carry no request time, and the response validation (sources/
    # validation.py Meta) takes an absent time but refuses a null one.
    meta = {
        "version": 1,
        "request": f"http://nba.cloud/games/{game_id}/playbyplay?Format=json",
        "source": f"bulk {source_name}: actions verbatim, envelope added by benchmarks/bulk_replay.py",
    }
    head = (
        '{"meta":' + json.dumps(meta, separators=(",", ":"))
        + ',"game":{"gameId":' + json.dumps(game_id) + ',"videoAvailable":' + str(video) + ',"actions":'
    ).encode()
    return head + actions_bytes.strip() + b"}}"


def build_replay_dir(
    replay_dir: Path, bulk: Path = DEFAULT_BULK, workdir: Path | None = None, limit: int | None = None
) -> dict:
    """Write (once; a marker file keeps a complete one) the replay directory of the bulk season.

    ``limit`` keeps only the first ``limit`` games in id order (dates are still assigned over the
    whole season first, so a game gets the same date either way). Returns a summary dict.
    """
    replay_dir = Path(replay_dir)
    marker = replay_dir / MARKER
    wanted = f"{bulk}|limit={limit}"
    if marker.exists() and marker.read_text().strip() == wanted:
        return _summary(replay_dir, reused=True)
    workdir = Path(workdir or replay_dir.parent)
    workdir.mkdir(parents=True, exist_ok=True)
    files = extract_once(bulk, workdir)
    by_id = {game_id_of(p): p for p in files}
    dates = assign_dates(list(by_id))
    if limit is not None:
        dates = dates.head(limit)
    if replay_dir.exists():
        shutil.rmtree(replay_dir)
    pbp_dir = replay_dir / "stats" / "playbyplayv3"
    pbp_dir.mkdir(parents=True)
    for game_id in dates["game_id"]:
        path = by_id[game_id]
        (pbp_dir / f"GameID={game_id}.json").write_bytes(envelope_bytes(game_id, path.read_bytes(), path.name))
    with (replay_dir / "games.csv").open("w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["game_id", "game_date", "date_source"])
        for game_id, game_date in dates.iter_rows():
            writer.writerow([game_id, game_date.isoformat(), DATE_SOURCE])
    marker.write_text(wanted + "\n")
    return _summary(replay_dir, reused=False)


def _summary(replay_dir: Path, reused: bool) -> dict:
    with (replay_dir / "games.csv").open(newline="") as f:
        rows = list(csv.DictReader(f))
    dates = sorted({r["game_date"] for r in rows})
    return {
        "replay_dir": str(replay_dir),
        "games": len(rows),
        "dates": dates,
        "first_date": dates[0] if dates else None,
        "last_date": dates[-1] if dates else None,
        "reused": reused,
    }
