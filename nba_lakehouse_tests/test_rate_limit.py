"""The shared rate limit: two runs in two processes keep the configured spacing at the server.

Two runs in two processes share one Dagster instance (``DAGSTER_HOME`` in a temporary folder, the
project's ``dagster.yaml`` copied in with every pool at TWO slots, so the ``nba_api`` pool does not
make them take turns). Each runs ``dagster.materialize`` on four bronze assets of the pool for a
different game date, in LIVE mode against the loopback fake NBA (``fake_nba.FakeNBA``: the REAL
recorded responses, each request's arrival time noted), both started at the same instant.

* With the redis limiter (``rate_limit_redis_url``, a redis started by ``service_redis``), and with
  the one-machine limiter (a locked file in a shared ``NBA_THROTTLE_DIR``), every gap between
  consecutive requests at the server, across both runs, is at least ``min_interval_s``, although
  the runs' steps ran side by side: the spacing no longer depends on Dagster's slot claims.
* The control gives each process its own limiter (separate ``NBA_THROTTLE_DIR``s, no redis):
  requests then arrive closer together than ``min_interval_s``, so the tests above can fail.

The runs ask the V2 feeds only (``feeds: ["v2"]``): every request is then a recorded stats
response to one host (``stats``); the CDN host's spacing is separate by design.

Run as a script (``python nba_lakehouse_tests/test_rate_limit.py '<json>'``) this module is the
process that executes one run.
"""

# No `from __future__ import annotations`: Dagster reads resource annotations at definition time.

import itertools
import json
import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

from nba_lakehouse.sources.client import NBAClient
from nba_lakehouse.sources.rate_limit import RateLimitBackendError
from nba_lakehouse_tests.fake_nba import Seen, live_client, serve
from nba_lakehouse_tests.service_redis import free_port, redis_url  # noqa: F401 (fixture)

PROJECT = Path(__file__).resolve().parents[1]
PROJECT_DAGSTER_YAML = PROJECT / "dagster.yaml"

MIN_INTERVAL_S = 0.3
# Arrival times at the loopback server jitter by tens of milliseconds on a busy 2-core machine; the
# control's overlapping request trains come within MIN_INTERVAL_S / 2 of each other, so this
# tolerance still tells the two apart.
TOLERANCE_S = 0.07
# Two runs of different game dates (data/replay/games.csv), each with one game.
RUNS = {"2016-11-30": "0021600270", "2022-01-26": "0022100732"}
ASSETS = ["bronze_play_by_play", "bronze_box_score", "bronze_box_score_summary", "bronze_shot_chart"]
# 1 + 1 + 1 + 2 (one shot chart per team) = 5 requests a run.
REQUESTS_PER_RUN = 5
RUN_TIMEOUT_S = 90.0


# --------------------------------------------------------------------------- one run (child process)
def run_one(spec: dict) -> dict:
    """Materialize the assets for one game date against the fake NBA, after the start signal."""
    import dagster as dg

    from nba_lakehouse.bronze import assets as bronze
    from nba_lakehouse.resources import LakeResource

    os.environ["NBA_THROTTLE_DIR"] = spec["throttle_dir"]
    nba = live_client(
        spec["base"], min_interval_s=spec["min_interval_s"], jitter_s=0.0, max_retries=0,
        rate_limit_redis_url=spec["redis_url"],
    )
    games = {"config": {"game_ids": [spec["game_id"]], "feeds": ["v2"]}}
    details = {"config": {"game_ids": [spec["game_id"]]}}
    run_config = {"ops": {
        "bronze_play_by_play": games, "bronze_box_score": games,
        "bronze_box_score_summary": details, "bronze_shot_chart": details,
    }}
    Path(spec["ready"]).touch()
    go, until = Path(spec["go"]), time.monotonic() + 60
    while not go.exists():
        if time.monotonic() > until:
            raise TimeoutError("no start signal")
        time.sleep(0.005)
    with dg.DagsterInstance.get() as instance:  # $DAGSTER_HOME, shared by both runs
        result = dg.materialize(
            [getattr(bronze, name) for name in ASSETS], run_config=run_config, instance=instance,
            resources={"nba": nba, "lake": LakeResource(root=spec["lake"])}, partition_key=spec["date"],
            raise_on_error=False,
        )
    return {"run_id": result.run_id, "success": result.success}


# --------------------------------------------------------------------------- the experiment
@dataclass
class Outcome:
    seen: list[Seen]
    runs: dict[str, dict]  # game id -> {"run_id", "success"}
    steps: list[tuple[float, float, str, str]]  # (start, end, run id, step key), wall clock


def make_home(tmp: Path) -> Path:
    """A DAGSTER_HOME with the project's dagster.yaml, every pool at two slots."""
    home = tmp / "dagster_home"
    home.mkdir()
    config = yaml.safe_load(PROJECT_DAGSTER_YAML.read_text())
    config["concurrency"]["pools"]["default_limit"] = 2
    (home / "dagster.yaml").write_text(yaml.safe_dump(config))
    return home


def _step_windows(home: Path, run_ids: list[str]) -> list[tuple[float, float, str, str]]:
    import dagster as dg

    ends = {dg.DagsterEventType.STEP_SUCCESS, dg.DagsterEventType.STEP_FAILURE}
    windows = []
    with dg.DagsterInstance.from_config(str(home)) as instance:
        for run_id in run_ids:
            started = {}
            for record in instance.all_logs(run_id, of_type={dg.DagsterEventType.STEP_START, *ends}):
                event = record.dagster_event
                if event.event_type == dg.DagsterEventType.STEP_START:
                    started[event.step_key] = record.timestamp
                else:
                    windows.append((started[event.step_key], record.timestamp, run_id, event.step_key))
    return sorted(windows)


def run_two_at_once(tmp: Path, *, redis: str | None, shared_dir: bool = True) -> Outcome:
    """Both runs started at the same instant; the requests the server saw and the steps' windows."""
    import dagster as dg

    home = make_home(tmp)
    with dg.DagsterInstance.from_config(str(home)):  # create the storage before two processes race to
        pass
    env = {**os.environ, "DAGSTER_HOME": str(home), "NBA_LAKEHOUSE_MODE": "live"}
    go = tmp / "go"
    procs: dict[str, subprocess.Popen] = {}
    with serve() as fake:
        try:
            for date, game_id in RUNS.items():
                spec = {
                    "base": fake.base, "date": date, "game_id": game_id, "lake": str(tmp / "lake"),
                    "min_interval_s": MIN_INTERVAL_S, "redis_url": redis,
                    "throttle_dir": str(tmp / ("throttle" if shared_dir else f"throttle-{game_id}")),
                    "ready": str(tmp / f"ready-{game_id}"), "go": str(go),
                }
                # Output to files, not pipes: an unread pipe that fills up would stall a run.
                with open(tmp / f"out-{game_id}", "w") as out, open(tmp / f"err-{game_id}", "w") as err:
                    procs[game_id] = subprocess.Popen(
                        [sys.executable, __file__, json.dumps(spec)], cwd=PROJECT, env=env, stdout=out, stderr=err
                    )
            until = time.monotonic() + 60
            while not all((tmp / f"ready-{g}").exists() for g in RUNS.values()):
                failed = {g: (tmp / f"err-{g}").read_text()[-3000:] for g, p in procs.items() if p.poll() is not None}
                assert not failed, failed
                assert time.monotonic() < until, "run processes did not start within 60 s"
                time.sleep(0.01)
            start = time.monotonic()
            go.touch()
            runs = {}
            for game_id, proc in procs.items():
                proc.wait(timeout=max(1.0, RUN_TIMEOUT_S - (time.monotonic() - start)))
                assert proc.returncode == 0, (tmp / f"err-{game_id}").read_text()[-3000:]
                runs[game_id] = json.loads((tmp / f"out-{game_id}").read_text().strip().splitlines()[-1])
        finally:
            for proc in procs.values():
                if proc.poll() is None:
                    proc.kill()
                    proc.wait(timeout=10)
        seen = sorted(fake.seen, key=lambda s: s.at)
    return Outcome(seen, runs, _step_windows(home, [r["run_id"] for r in runs.values()]))


def game_of(seen: Seen) -> str | None:
    return dict(seen.query).get("GameID")


def gaps(seen: list[Seen]) -> list[float]:
    return [b.at - a.at for a, b in itertools.pairwise(seen)]


def overlapping_steps(steps: list[tuple[float, float, str, str]]) -> list[tuple]:
    """Pairs of steps of different runs whose [start, end] windows overlap."""
    return [(a, b) for i, a in enumerate(steps) for b in steps[i + 1:] if a[2] != b[2] and b[0] < a[1]]


def _check_requests(outcome: Outcome) -> str:
    assert all(r["success"] for r in outcome.runs.values()), outcome.runs
    assert all(s.status == 200 for s in outcome.seen), [s for s in outcome.seen if s.status != 200]
    counts = {g: sum(game_of(s) == g for s in outcome.seen) for g in RUNS.values()}
    assert counts == {g: REQUESTS_PER_RUN for g in RUNS.values()}, counts
    t0 = outcome.seen[0].at
    lines = [f"{s.at - t0:7.3f}s {game_of(s)} {s.path}" for s in outcome.seen]
    report = "\n".join(lines) + f"\ngaps: {[round(g, 3) for g in gaps(outcome.seen)]}"
    # The runs really ran side by side: the pool did not make them take turns.
    assert overlapping_steps(outcome.steps), report
    return report


# --------------------------------------------------------------------------- tests
def test_two_runs_in_two_processes_keep_the_spacing_through_redis(tmp_path, redis_url):
    # Separate NBA_THROTTLE_DIRs: only redis can space the two processes.
    outcome = run_two_at_once(tmp_path, redis=redis_url, shared_dir=False)
    report = _check_requests(outcome)
    print(report)
    assert min(gaps(outcome.seen)) >= MIN_INTERVAL_S - TOLERANCE_S, report


def test_two_runs_in_two_processes_keep_the_spacing_on_one_machine(tmp_path):
    outcome = run_two_at_once(tmp_path, redis=None, shared_dir=True)
    report = _check_requests(outcome)
    print(report)
    assert min(gaps(outcome.seen)) >= MIN_INTERVAL_S - TOLERANCE_S, report


def test_control_with_a_limiter_per_process_the_spacing_breaks(tmp_path):
    """Each process keeps its own spacing (separate files, no redis): the tests above would fail."""
    outcome = run_two_at_once(tmp_path, redis=None, shared_dir=False)
    report = _check_requests(outcome)
    print(report)
    # Two request trains of period min_interval_s that overlap in time come within
    # min_interval_s / 2 of each other.
    assert min(gaps(outcome.seen)) < MIN_INTERVAL_S - TOLERANCE_S, report


def test_redis_spacing_uses_the_servers_clock(redis_url, monkeypatch, fake_nba):
    """A caller whose clock runs 30 s ahead (another machine's) still waits its turn: the Lua
    script reads redis' TIME, never the caller's timestamp."""
    import pyrate_limiter.clocks

    client = fake_nba.client(min_interval_s=MIN_INTERVAL_S, jitter_s=0.0, rate_limit_redis_url=redis_url)
    client.box_score_summary_v2("0021600270")
    real = pyrate_limiter.clocks.time_ns
    monkeypatch.setattr(pyrate_limiter.clocks, "time_ns", lambda: real() + 30 * 10**9)
    client.box_score_summary_v2("0021600270")
    first, second = fake_nba.seen
    assert second.at - first.at >= MIN_INTERVAL_S - TOLERANCE_S, second.at - first.at


def test_redis_down_is_one_line_naming_the_url_and_nothing_is_sent(fake_nba):
    port = free_port()  # nothing listens there
    url = f"redis://:hunter2@127.0.0.1:{port}/0"
    client = fake_nba.client(min_interval_s=0.05, rate_limit_redis_url=url)
    started = time.monotonic()
    with pytest.raises(RateLimitBackendError) as info:
        client.box_score_summary_v2("0021600270")
    message = str(info.value)
    assert "\n" not in message
    assert f"redis://***@127.0.0.1:{port}/0" in message and "hunter2" not in message, message
    assert "NBA_RATE_LIMIT_REDIS_URL" in message
    assert fake_nba.seen == []  # no request without the shared turn
    assert time.monotonic() - started < 15


def test_a_turn_not_granted_within_the_deadline_fails_the_request_unsent(tmp_path, monkeypatch, fake_nba):
    from nba_lakehouse.sources.errors import RequestDeadlineError
    from nba_lakehouse.sources.rate_limit import take_turn

    monkeypatch.setenv("NBA_THROTTLE_DIR", str(tmp_path))
    assert take_turn("stats", 30.0, 0.0, redis_url=None, timeout_s=1.0)  # another process's 30 s gap
    client = fake_nba.client(min_interval_s=0.1, deadline_s=1.0)
    started = time.monotonic()
    with pytest.raises(RequestDeadlineError, match="waiting for the turn to ask the stats host"):
        client.box_score_summary_v2("0021600270")
    assert time.monotonic() - started < 5
    assert fake_nba.seen == []


def test_replay_never_touches_the_limiter():
    """Replay spacing is 0: no limiter is asked, so an unreachable redis does not matter and replay stays fast."""
    url = f"redis://127.0.0.1:{free_port()}/0"
    client = NBAClient(mode="replay", rate_limit_redis_url=url)
    assert client.box_score_summary_v2("0021600270").body


if __name__ == "__main__":
    print(json.dumps(run_one(json.loads(sys.argv[1]))), flush=True)
