"""Resumable season backfill: a live backfill killed with SIGKILL, then restarted, ends with the lake
an uninterrupted run makes, having fetched again nothing the killed run had archived.

Design
------
* The NBA is the shared loopback fake NBA (``fake_nba.FakeNBA``, no fault injected) that
  answers ``/stats/<endpoint>?<query>`` and ``/cdn/<path>`` with the REAL recorded responses of
  ``data/replay``, byte for byte (``stats_replay_path`` / ``cdn_replay_path``), 404 for anything not
  recorded, and records every request as it arrives. The backfill runs in LIVE mode against it
  (``stats_base_url`` / ``cdn_base_url``), throttled by ``min_interval_s``.
* The one thing the recordings lack is live discovery: a live run finds a date's games through
  ScoreboardV3 (``NBAClient.final_games_on``), and no scoreboard is recorded for the sample
  games' dates. For a date without a recorded scoreboard the server answers a ScoreboardV3
  DERIVED from the real recording ``stats/scoreboardv3/GameDate=2025-11-05.json``: its date
  rewritten, its games replaced by the recorded sample games of that date (``games.csv``), each
  reduced to ``gameId``, ``gameStatus`` 3 and ``gameStatusText`` "Final" (no team or score fields,
  rather than invented ones); no sample game, no games. Every other byte the server sends is
  recorded data. (The alternative, replay-style discovery from ``games.csv`` inside the child,
  would leave the live discovery path out of the test.)
* Each backfill is a real single-run range backfill of ``per_game_date`` (tags
  ``dagster/asset_partition_range_start`` / ``_end``) in a child process
  (``subprocess.Popen([sys.executable, "-c", ...])`` calling ``dagster.materialize``) with a
  persistent ``DAGSTER_HOME`` (the project's ``dagster.yaml`` copied in), so the restart is a new
  run in the instance that still holds the killed one.
* Order: an uninterrupted run on its own lake (its request count T is the yardstick), then the
  same backfill on a second lake, SIGKILLed once the server has seen T // 2 of its requests, then
  restarted to completion in the same ``DAGSTER_HOME``.

Between the kill and the restart the test does what an operator must do today, and checks why:
the killed run is still STARTED in the instance and still holds the ``nba_api`` pool's only slot
(``dagster.yaml``: one step per pool), so a restart would wait forever ("Step blocked by limit for
pool nba_api"). The test marks the run failed and frees its slots, as the UI's terminate / free
slots actions or the daemon's ``run_monitoring.free_slots_after_run_end_seconds`` would.

What "fetches only what is missing" means here, exactly:
* per-game responses (play-by-play, box score, summary, hustle, rotation, shots): the restart
  sends exactly the uninterrupted run's requests for the responses the killed run had not
  archived (body and manifest), fallbacks included (a CDN 404 before a V3 answer); no request for
  a response the killed run archived. A feed that answered 404 archives nothing and is asked again.
* ScoreboardV3 is asked again: discovery is not archived (each per-game bronze asset asks the
  scoreboard of every date of the range, in every run), and a scoreboard with no final game is not
  "settled" so ``bronze_scoreboard`` fetches it again by design. A settled scoreboard the killed
  run archived is not archived again.

Range: 2023-01-01..2023-01-03 (one recorded game, 0022200552, with five recorded feeds). A range
with two recorded games spans 342 dates at least (2022-01-26..2023-01-02) and each run of it costs
Dagster one planned and one materialization event per asset and date (about 13,000 events): 37 s
per run with an ephemeral instance, 84 s with a persistent one on tmpfs, 142 s on disk, so a
kill-and-resume of it cannot stay under a minute. It runs, with the same code and no throttle,
when ``NBA_LAKEHOUSE_SLOW_TESTS=1`` (about 10 minutes: 2,413 requests uninterrupted, killed after
1,206, 2,405 on restart of which 2,394 are ScoreboardV3 discovery).
"""

from __future__ import annotations

import datetime as dt
import gzip
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import textwrap
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from nba_lakehouse.bronze.archive import GAME_FEEDS
from nba_lakehouse.lake import PROJECT_ROOT, STAGING_DIR, Lake
from nba_lakehouse.schemas import TABLES
from nba_lakehouse_tests.fake_nba import SCOREBOARD_PATH, FakeNBA, Seen
from nba_lakehouse_tests.service_postgres import postgres_home, postgres_server  # noqa: F401

SLOW = os.environ.get("NBA_LAKEHOUSE_SLOW_TESTS") == "1"


@dataclass(frozen=True)
class Backfill:
    start: str
    end: str
    min_interval_s: float
    run_timeout_s: float  # upper bound on one child run; the test fails rather than hang


BACKFILLS = [
    pytest.param(Backfill("2023-01-01", "2023-01-03", 0.1, 240), id="one_game_3_dates"),
    pytest.param(
        Backfill("2022-01-26", "2023-01-02", 0.0, 600), id="two_games_342_dates",
        marks=pytest.mark.skipif(not SLOW, reason="about 10 minutes; set NBA_LAKEHOUSE_SLOW_TESTS=1"),
    ),
]


# --------------------------------------------------------------------------- the backfill process
CHILD = textwrap.dedent(
    """
    import json, pathlib, sys, time
    cfg = json.loads(sys.argv[1])
    import dagster as dg
    from nba_lakehouse.definitions import all_assets, all_checks, per_game_date
    from nba_lakehouse.recovery import worker_tags
    from nba_lakehouse.resources import build_resources
    from nba_lakehouse.sources.client import NBAClient

    # Imported ahead of time (a few seconds); the backfill itself starts when the test says go.
    until = time.monotonic() + cfg["wait_s"]
    while not pathlib.Path(cfg["go"]).exists():
        if time.monotonic() > until:
            sys.exit("never told to go")
        time.sleep(0.005)

    resources = build_resources(lake_root=cfg["lake"], mode="live")
    resources["nba"] = NBAClient(
        mode="live", stats_base_url=cfg["base"] + "/stats", cdn_base_url=cfg["base"] + "/cdn",
        min_interval_s=cfg["min_interval_s"], jitter_s=0.0,
        connect_timeout_s=2.0, read_timeout_s=10.0, deadline_s=30.0, max_retries=2, backoff_base_s=0.1,
    )
    with dg.DagsterInstance.get() as instance:  # $DAGSTER_HOME
        result = dg.materialize(
            [*all_assets, *all_checks], selection=per_game_date, resources=resources, instance=instance,
            tags={"dagster/asset_partition_range_start": cfg["start"], "dagster/asset_partition_range_end": cfg["end"],
                  **worker_tags()},  # as the CLI's backfill tags its runs: this process is the worker
            raise_on_error=False,
        )
    sys.exit(0 if result.success else 1)
    """
)


class Child:
    """One backfill in its own process, its output in a log file, never left running.

    The process starts at once (imports take a few seconds, overlapping the previous phase) and
    waits; ``go`` starts the backfill, and the requests the server sees from then on are its own.
    """

    def __init__(self, name: str, lake: Path, home: Path, tmp: Path, server: FakeNBA, backfill: Backfill):
        self.log_path, self.go_path = tmp / f"{name}.log", tmp / f"{name}.go"
        self.server, self.backfill = server, backfill
        self.mark = self.started = None
        cfg = {
            "lake": str(lake), "base": server.base, "start": backfill.start, "end": backfill.end,
            "min_interval_s": backfill.min_interval_s, "go": str(self.go_path), "wait_s": 3 * backfill.run_timeout_s,
        }
        env = {k: v for k, v in os.environ.items() if not k.startswith("NBA_")}
        env.update(DAGSTER_HOME=str(home), PYTHONUNBUFFERED="1")
        with self.log_path.open("wb") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-c", CHILD, json.dumps(cfg)], cwd=PROJECT_ROOT, env=env,
                stdout=log, stderr=subprocess.STDOUT,
            )

    def go(self) -> None:
        if self.process.poll() is not None:
            pytest.fail(f"backfill process ended (exit {self.process.returncode}) before it started:\n{self.log_tail()}")
        self.mark, self.started = self.server.count(), time.monotonic()
        self.go_path.touch()

    @property
    def requests(self) -> list[Seen]:
        return self.server.since(self.mark)

    def log_tail(self) -> str:
        return self.log_path.read_text(errors="replace")[-4000:]

    def wait(self) -> int:
        try:
            return self.process.wait(timeout=self.backfill.run_timeout_s)
        except subprocess.TimeoutExpired:
            self.stop()
            pytest.fail(f"backfill did not finish within {self.backfill.run_timeout_s}s; its log ends with:\n{self.log_tail()}")

    def kill_after(self, requests: int) -> None:
        until = time.monotonic() + self.backfill.run_timeout_s
        while len(self.requests) < requests:
            if self.process.poll() is not None:
                pytest.fail(f"backfill ended (exit {self.process.returncode}) before request {requests}:\n{self.log_tail()}")
            if time.monotonic() > until:
                self.stop()
                pytest.fail(f"the server saw {len(self.requests)} < {requests} requests within {self.backfill.run_timeout_s}s")
            time.sleep(0.002)
        os.kill(self.process.pid, signal.SIGKILL)
        assert self.process.wait(timeout=10) == -signal.SIGKILL

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)

    @property
    def elapsed(self) -> float:
        return time.monotonic() - self.started


def dagster_home(tmp: Path, name: str) -> Path:
    home = tmp / name
    home.mkdir()
    shutil.copy(PROJECT_ROOT / "dagster.yaml", home / "dagster.yaml")
    return home


# --------------------------------------------------------------------------- reading a lake
GAME_KINDS = {feed.endpoint: kind for kind, feeds in GAME_FEEDS.items() for feed in feeds.values()}


def unit_of(path: str, query) -> tuple[str, str, str | None] | None:
    """(kind, game id, part) of the archived response a per-game request is for; None otherwise."""
    params = dict(query)
    if path.startswith("/cdn/"):  # /cdn/liveData/boxscore/boxscore_0022000001.json
        prefix, game_id = path.rsplit("/", 1)[1].removesuffix(".json").split("_")
        return GAME_KINDS["cdn_" + prefix.lower()], game_id, None
    kind = GAME_KINDS.get(path.removeprefix("/stats/").lower())
    if kind is None:
        return None
    return kind, params["GameID"], params["TeamID"] if kind == "shots" else None


def request_of(url: str) -> tuple[str, tuple[tuple[str, str], ...]]:
    parts = urlsplit(url)
    return parts.path, tuple(sorted(parse_qsl(parts.query, keep_blank_values=True)))


def manifests(root: Path) -> dict[str, dict]:
    return {str(p.relative_to(root)): json.loads(p.read_bytes()) for p in sorted((root / "bronze").rglob("*.manifest.json"))}


def bodies(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted((root / "bronze").rglob("*.json.gz"))}


def archived_units(root: Path) -> set[tuple[str, str, str | None]]:
    return {
        (m["kind"], m["game_id"], m.get("part"))
        for m in manifests(root).values() if m["kind"] in GAME_FEEDS
    }


def body_of(root: Path, manifest_path: str) -> Path:
    """The body a manifest names (bodies are content-addressed: ``<stem>.<sha256[:16]>.json.gz``)."""
    path = Path(root, manifest_path)
    return path.parent / json.loads(path.read_bytes())["body_path"]


def bodies_without_manifest(root: Path) -> list[str]:
    named = {str(body_of(root, m).relative_to(root)) for m in manifests(root)}
    return [b for b in bodies(root) if b not in named]


def staged_files(root: Path) -> list[str]:
    return sorted(str(p.relative_to(root)) for p in (root / STAGING_DIR).rglob("*") if p.is_file())


def stray_temp_files(root: Path) -> list[str]:
    """Temporary files inside the data folders (anything outside ``.staging`` named like one)."""
    return sorted(
        str(p.relative_to(root)) for p in root.rglob("*")
        if STAGING_DIR not in p.relative_to(root).parts and (p.name.startswith(".tmp") or p.name.endswith(".tmp"))
    )


def table_frames(root: Path) -> dict[str, tuple[list[str], pl.DataFrame]]:
    """Every table the lake holds: its partition files and its rows, sorted by key."""
    lake = Lake(str(root))
    found = {}
    for name, table in TABLES.items():
        files = lake.partition_files(table)
        if not files:
            continue
        frame = lake.read_table(table)
        # When each row was fetched is the one thing two runs cannot share.
        frame = frame.drop("fetched_at") if "fetched_at" in frame.columns else frame
        found[name] = ([f[len(lake.table_dir(table)):] for f in files], frame.sort(list(table.key)))
    return found


def without_fetched_at(manifest: dict) -> dict:
    return {k: v for k, v in manifest.items() if k != "fetched_at"}


def recover_killed_run(home: Path) -> dict:
    """What the dead_run_sweeper sensor (or `nba-lakehouse recover`) does after a run's process died."""
    from dagster import DagsterInstance

    from nba_lakehouse.recovery import fail_dead_runs

    with DagsterInstance.from_config(str(home)) as instance:
        holders = instance.event_log_storage.get_concurrency_info("nba_api").active_run_ids
        (recovered,) = fail_dead_runs(instance)
        assert fail_dead_runs(instance) == []  # once is enough
        left = instance.event_log_storage.get_concurrency_info("nba_api").active_run_ids
        status = instance.get_run_by_id(recovered.run_id).status.value
    return {"run_id": recovered.run_id, "slot_holders": holders, "after_free": left, "status": status}


def game_requests(seen: list[Seen]) -> Counter:
    return Counter((s.path, s.query) for s in seen if unit_of(s.path, s.query))


# --------------------------------------------------------------------------- the test
# The instance: the project's dagster.yaml (sqlite), or dagster.postgres.yaml on the session's
# PostgreSQL (both backfills then share one instance, as every process of a deployment does).
@pytest.mark.parametrize("store", ["sqlite", "postgres"])
@pytest.mark.parametrize("backfill", BACKFILLS)
def test_a_killed_backfill_resumes_fetching_only_what_is_missing(tmp_path, fake_nba, backfill, store, request):
    reference_lake, resumed_lake = tmp_path / "uninterrupted", tmp_path / "resumed"
    dates = pl.date_range(dt.date.fromisoformat(backfill.start), dt.date.fromisoformat(backfill.end), eager=True)
    children: list[Child] = []

    def new_child(name: str, lake: Path, home: Path) -> Child:
        children.append(child := Child(name, lake, home, tmp_path, fake_nba, backfill))
        return child

    try:
        if store == "postgres":
            home = reference_home = request.getfixturevalue("postgres_home")
        else:
            home, reference_home = dagster_home(tmp_path, "home_resumed"), dagster_home(tmp_path, "home_uninterrupted")
        reference = new_child("uninterrupted", reference_lake, reference_home)
        killed = new_child("killed", resumed_lake, home)

        # 1. Uninterrupted, for the yardstick and the expected lake.
        reference.go()
        assert reference.wait() == 0, reference.log_tail()
        reference_s, uninterrupted = reference.elapsed, reference.requests

        # 2. The same backfill on another lake, killed half way through its requests.
        restart = new_child("restart", resumed_lake, home)
        # Kill once about half of the per-game requests went out (the scoreboards come first).
        per_game = [i for i, r in enumerate(uninterrupted) if unit_of(r.path, r.query) is not None]
        killed.go()
        killed.kill_after(per_game[len(per_game) // 2] + 1)
        killed_s = killed.elapsed
        time.sleep(0.1)  # requests that were on the wire are recorded by now
        killed_requests = killed.requests

        # What the kill left: nothing half-written in the data folders (at most a staged file in
        # the killed process's own staging folder), and only complete responses counted as archived.
        assert not stray_temp_files(resumed_lake)
        staged_after_kill = staged_files(resumed_lake)
        staging_dirs_after_kill = sorted(p.name for p in (resumed_lake / STAGING_DIR).glob("*"))
        assert all(f.startswith(f"{STAGING_DIR}/{socket.gethostname()}-{killed.process.pid}/") for f in staged_after_kill)
        orphan_bodies = bodies_without_manifest(resumed_lake)
        archived_by_killed = archived_units(resumed_lake)
        manifests_after_kill = manifests(resumed_lake)
        expected_units = {unit_of(s.path, s.query) for s in uninterrupted if s.status == 200} - {None}
        # The kill landed in the middle: some responses archived, some not.
        assert archived_by_killed and archived_by_killed < expected_units, (archived_by_killed, expected_units)

        # 3. The instance still believes the killed run is running and holds the NBA pool.
        recovery = recover_killed_run(home)
        assert recovery["slot_holders"] <= {recovery["run_id"]}
        assert not recovery["after_free"]

        # 4. Restart the same backfill to completion.
        restart.go()
        assert restart.wait() == 0, restart.log_tail()
        restart_s, restarted = restart.elapsed, restart.requests
    finally:
        for child in children:
            child.stop()

    # Per-game requests: exactly those of the responses the killed run had not archived.
    expected_restart = Counter(
        (s.path, s.query) for s in uninterrupted
        if (unit := unit_of(s.path, s.query)) and unit not in archived_by_killed
    )
    assert game_requests(restarted) == expected_restart
    archived_requests = {request_of(m["url"]) for m in manifests_after_kill.values() if m["kind"] in GAME_FEEDS}
    assert not archived_requests & set(game_requests(restarted))
    # Scoreboards: only ScoreboardV3 of the range's dates (discovery, and unsettled boards), and a
    # settled scoreboard archived before the kill is kept as it was.
    restart_boards = [s for s in restarted if not unit_of(s.path, s.query)]
    assert {s.path for s in restart_boards} <= {SCOREBOARD_PATH}
    assert {dict(s.query)["GameDate"] for s in restart_boards} <= {d.isoformat() for d in dates}
    final_manifests = manifests(resumed_lake)
    for path, manifest in manifests_after_kill.items():
        if manifest["kind"] == "date" and json.loads(gzip.decompress(
            body_of(resumed_lake, path).read_bytes()
        ))["scoreboard"]["games"]:
            assert final_manifests[path] == manifest, path  # fetched_at included: not fetched again

    # The lake: as if never interrupted.
    assert bodies(resumed_lake) == bodies(reference_lake)
    reference_manifests = manifests(reference_lake)
    assert final_manifests.keys() == reference_manifests.keys()
    for path, manifest in reference_manifests.items():
        assert without_fetched_at(final_manifests[path]) == without_fetched_at(manifest), path
    reference_tables, resumed_tables = table_frames(reference_lake), table_frames(resumed_lake)
    assert resumed_tables.keys() == reference_tables.keys()
    assert {"play_by_play", "box_score_players", "box_score_teams", "event_state"} <= reference_tables.keys()
    for name, (files, frame) in reference_tables.items():
        resumed_files, resumed_frame = resumed_tables[name]
        assert resumed_files == files, name
        assert_frame_equal(resumed_frame, frame)
    for root in (reference_lake, resumed_lake):
        assert not stray_temp_files(root)
        assert not bodies_without_manifest(root)
        assert not (root / STAGING_DIR).exists(), staged_files(root)

    print(
        f"\n[{backfill.start}..{backfill.end}, min_interval_s={backfill.min_interval_s}] "
        f"uninterrupted: {len(uninterrupted)} requests in {reference_s:.1f}s; "
        f"killed after {len(killed_requests)} requests at {killed_s:.1f}s "
        f"(archived {len(archived_by_killed)}/{len(expected_units)} game responses, "
        f"bodies without manifest {orphan_bodies}, staging folders {staging_dirs_after_kill} holding "
        f"{staged_after_kill}); "
        f"restart: {len(restarted)} requests ({sum(expected_restart.values())} per-game, "
        f"{len(restart_boards)} ScoreboardV3) in {restart_s:.1f}s; "
        f"killed run held the nba_api slot: {bool(recovery['slot_holders'])}; "
        f"first request after {uninterrupted[0].at - reference.started:.1f}s / {killed_requests[0].at - killed.started:.1f}s / "
        f"{restarted[0].at - restart.started:.1f}s"
    )


# --------------------------------------------------------------------------- staging, directly
KILLED_MID_WRITE = textwrap.dedent(
    """
    import os, signal, sys
    from nba_lakehouse.lake import Lake

    lake = Lake(sys.argv[1])
    target = lake.path("bronze", "endpoint", "response.json.gz")
    lake.write_bytes(target, b"old")

    def killed(src, dst):  # the process dies after staging the new bytes, before the rename
        os.kill(os.getpid(), signal.SIGKILL)

    os.replace = killed
    lake.write_bytes(target, b"new")
    """
)


def test_a_write_killed_before_its_rename_leaves_its_bytes_in_staging_only_until_the_next_writer(tmp_path):
    root = tmp_path / "lake"
    child = subprocess.Popen([sys.executable, "-c", KILLED_MID_WRITE, str(root)], cwd=PROJECT_ROOT)
    try:
        assert child.wait(timeout=60) == -signal.SIGKILL
    finally:
        if child.poll() is None:
            child.kill()
    target = root / "bronze" / "endpoint" / "response.json.gz"
    host = socket.gethostname()

    # The data folder holds the old file and nothing else; the new bytes sit in the dead
    # process's staging folder, under a name no data glob (*.parquet, *.json.gz) matches.
    assert sorted(p.name for p in target.parent.iterdir()) == ["response.json.gz"]
    assert target.read_bytes() == b"old"
    (staged,) = (root / STAGING_DIR / f"{host}-{child.pid}").iterdir()
    assert staged.read_bytes() == b"new" and staged.name.endswith(".tmp")
    assert Lake(str(root)).list_files(str(target.parent)) == [str(target)]

    # Folders the next writer must leave alone: a live process's, another host's, a stranger.
    sleeper = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        keep = [f"{host}-{sleeper.pid}", f"other-{host}-{child.pid}", "not-a-pid", f"{host}"]
        for name in keep:
            (root / STAGING_DIR / name).mkdir()
            (root / STAGING_DIR / name / "in-progress.tmp").write_bytes(b"x")

        lake = Lake(str(root))
        lake.write_bytes(str(target), b"newer")

        assert target.read_bytes() == b"newer"
        assert sorted(p.name for p in target.parent.iterdir()) == ["response.json.gz"]
        left = sorted(p.name for p in (root / STAGING_DIR).iterdir())
        assert left == sorted([*keep, f"{host}-{os.getpid()}"])  # the dead writer's folder is gone
        assert not list((root / STAGING_DIR / f"{host}-{os.getpid()}").iterdir())  # own folder: empty
    finally:
        sleeper.kill()
        sleeper.wait(timeout=10)
