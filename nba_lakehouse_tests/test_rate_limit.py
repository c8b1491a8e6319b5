"""Rate limits across runs: the `nba_api` pool and the client's throttle, together.

Two runs in two processes share one Dagster instance (``DAGSTER_HOME`` in a temporary folder, the
project's ``dagster.yaml`` copied in, default sqlite storage). Each runs ``dagster.materialize``
(the in-process executor) on four bronze assets of the `nba_api` pool for a different game date,
in LIVE mode against a loopback server that answers with the REAL recorded responses of
``data/replay`` byte for byte and notes when every request arrived.

What holds, and why:

* Dagster enforces the pool for in-process runs: before each step the executor claims a slot in
  the instance's storage (``InstanceConcurrencyContext``), so a step of the pool waits while a
  step of another run, in another process, holds the slot. A slot is claimed per step, not per
  run: the runs' steps alternate, so their request windows interleave, step by step.
* The client's throttle spaces requests inside a process only. At a step boundary the first
  request of the step waits a full spacing, because the previous holder of the pool, in another
  process, may have sent its last request just before releasing it.
* Together: every gap between consecutive requests at the server, across both runs, is at least
  ``min_interval_s``.

How the runs are started matters, and why: with sqlite storage Dagster's slot claim is not atomic
across processes (the free-slot check and the claim are separate statements; sqlite has no
``SELECT ... FOR UPDATE SKIP LOCKED``). Two steps that claim a free slot within a few milliseconds
of each other can both get it: started at the same instant, the two runs ran their first steps
side by side in 3 of 22 tries here. The main test therefore starts the second run while the
first run's first request is being answered, and holds that answer until the second run's steps
are queued in the pool: the situation the pool is for (a run launched while another is fetching),
without the start-up race, which is Dagster's and not what this test is about.

The control runs both at once with every pool at two slots and the step-boundary wait switched
off (``_current_step`` patched to ``None`` in the run processes): requests then arrive closer
together than ``min_interval_s``, which shows that the main test can fail. The last test shows the
step-boundary wait deterministically, in one process.

The runs ask the V2 feeds only (``feeds: ["v2"]``): every request is then a recorded stats
response, and all requests go to one throttled host (``stats``). With the default feed order the
CDN and V3 requests would be 404s from this server; they would still be requests, but the CDN
requests go to another host, whose throttle is separate by design, so their spacing from the
stats requests would mean nothing.

Run as a script (``python nba_lakehouse_tests/test_rate_limit.py '<json>'``) this module is the
process that executes one run.
"""

# No `from __future__ import annotations`: Dagster reads the resource annotation of the assets
# defined in a test below at definition time.

import json
import os
import shutil
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

import yaml

from nba_lakehouse.sources.client import NBAClient

PROJECT = Path(__file__).resolve().parents[1]
REPLAY = PROJECT / "data" / "replay"
PROJECT_DAGSTER_YAML = PROJECT / "dagster.yaml"

MIN_INTERVAL_S = 0.4
# Arrival times at the loopback server jitter by tens of milliseconds on a busy 2-core machine (a
# 0.361 s gap was seen for 0.4 s spacing); the control's overlapping trains always come within
# MIN_INTERVAL_S / 2 of each other, so this tolerance still tells the two apart.
TOLERANCE_S = 0.1
# Two runs of different game dates (data/replay/games.csv), each with one game.
RUNS = {"2016-11-30": "0021600270", "2022-01-26": "0022100732"}
# The NBA-calling assets a run materializes; the shot chart reads the teams from the box score.
ASSETS = ["bronze_play_by_play", "bronze_box_score", "bronze_box_score_summary", "bronze_shot_chart"]
# Which asset sends which endpoint: 1 + 1 + 1 + 2 (one shot chart per team) = 5 requests a run.
ENDPOINT_STEP = {
    "playbyplayv2": "bronze_play_by_play",
    "boxscoretraditionalv2": "bronze_box_score",
    "boxscoresummaryv2": "bronze_box_score_summary",
    "shotchartdetail": "bronze_shot_chart",
}
REQUESTS_PER_RUN = 5
RUN_TIMEOUT_S = 45.0


# --------------------------------------------------------------------------- recording server
@dataclass(frozen=True)
class Arrival:
    at: float  # time.monotonic() when the request line and headers had arrived
    wall: float  # time.time(), to compare with Dagster's event timestamps
    endpoint: str
    game_id: str | None
    status: int


class RecordingHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:
        from nba_lakehouse.sources.replay import cdn_replay_path, stats_replay_path

        at, wall = time.monotonic(), time.time()
        url = urlsplit(self.path)
        params = parse_qsl(url.query, keep_blank_values=True)
        if url.path.startswith("/stats/"):
            endpoint = url.path.removeprefix("/stats/")
            path = stats_replay_path(REPLAY, endpoint, params)
        elif url.path.startswith("/cdn/"):
            endpoint = url.path.removeprefix("/cdn/")
            path = cdn_replay_path(REPLAY, endpoint)
        else:
            endpoint, path = url.path, None
        found = path is not None and path.is_file()
        self.server.arrivals.append(  # type: ignore[attr-defined]
            Arrival(at, wall, endpoint.lower(), dict(params).get("GameID"), 200 if found else 404)
        )
        if self.server.first.acquire(blocking=False) and self.server.on_first_request:  # type: ignore[attr-defined]
            self.server.on_first_request()  # type: ignore[attr-defined]
        body = path.read_bytes() if found else b"not recorded"
        self.send_response(200 if found else 404)
        self.send_header("Content-Type", "application/json; charset=utf-8" if found else "text/plain")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format, *args) -> None:
        pass


class RecordingServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, on_first_request=None) -> None:
        super().__init__(("127.0.0.1", 0), RecordingHandler)
        self.arrivals: list[Arrival] = []  # list.append is atomic: no lock needed
        # Called (once) before the first request is answered: the answer waits for it.
        self.on_first_request = on_first_request
        self.first = threading.Lock()
        self.thread = threading.Thread(target=self.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)

    @property
    def base(self) -> str:
        host, port = self.server_address[:2]
        return f"http://{host}:{port}"

    def __enter__(self) -> "RecordingServer":
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.shutdown()
        self.server_close()
        self.thread.join(timeout=5)


# --------------------------------------------------------------------------- one run (child process)
def run_one(spec: dict) -> dict:
    """Materialize the assets for one game date against the server, after the start signal."""
    import dagster as dg

    import nba_lakehouse.sources.client as client_module
    from nba_lakehouse.bronze import assets as bronze
    from nba_lakehouse.resources import LakeResource

    if not spec["step_gap"]:
        client_module._current_step = lambda: None  # the control: no wait at step boundaries
    client_module._MachineClock.enabled = spec.get("machine_clock", True)
    os.environ["NBA_THROTTLE_DIR"] = spec["throttle_dir"]

    nba = NBAClient(
        mode="live", stats_base_url=f"{spec['base']}/stats", cdn_base_url=f"{spec['base']}/cdn",
        min_interval_s=spec["min_interval_s"], jitter_s=0.0,
        max_retries=0, connect_timeout_s=2.0, read_timeout_s=10.0, deadline_s=15.0,
    )
    games = {"config": {"game_ids": [spec["game_id"]], "feeds": ["v2"]}}
    details = {"config": {"game_ids": [spec["game_id"]]}}
    run_config = {
        "ops": {
            "bronze_play_by_play": games,
            "bronze_box_score": games,
            "bronze_box_score_summary": details,
            "bronze_shot_chart": details,
        }
    }
    Path(spec["ready"]).touch()
    go = Path(spec["go"])
    until = time.monotonic() + 30
    while not go.exists():
        if time.monotonic() > until:
            raise TimeoutError("no start signal")
        time.sleep(0.005)
    with dg.DagsterInstance.get() as instance:  # $DAGSTER_HOME, shared by both runs
        result = dg.materialize(
            [getattr(bronze, name) for name in ASSETS],
            run_config=run_config,
            instance=instance,
            resources={"nba": nba, "lake": LakeResource(root=spec["lake"])},
            partition_key=spec["date"],
            raise_on_error=False,
        )
    return {"run_id": result.run_id, "success": result.success}


# --------------------------------------------------------------------------- the experiment
@dataclass
class Outcome:
    arrivals: list[Arrival]
    runs: dict[str, dict]  # game id -> {"run_id", "success"}
    steps: list[tuple[float, float, str, str]]  # (start, end, run id, step key), wall clock
    elapsed_s: float
    queued_behind: dict | None  # staged: the pool while the first run's first request was held


def make_home(tmp: Path, pools: dict | None = None) -> Path:
    """A DAGSTER_HOME with the project's dagster.yaml, optionally with other pool settings."""
    home = tmp / "dagster_home"
    home.mkdir()
    if pools is None:
        shutil.copy(PROJECT_DAGSTER_YAML, home / "dagster.yaml")
    else:
        config = yaml.safe_load(PROJECT_DAGSTER_YAML.read_text())
        config["concurrency"]["pools"].update(pools)
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


def _wait_until_queued_behind(home: Path, timeout_s: float = 8.0) -> dict | None:
    """Wait until a step of another run waits in the `nba_api` pool behind the step holding it."""
    import dagster as dg

    until = time.monotonic() + timeout_s
    with dg.DagsterInstance.from_config(str(home)) as instance:
        while time.monotonic() < until:
            info = instance.event_log_storage.get_concurrency_info("nba_api")
            holders = {c.run_id for c in info.claimed_slots}
            waiting = {p.run_id for p in info.pending_steps if p.assigned_timestamp is None} - holders
            if holders and waiting:
                return {"slots": info.slot_count, "holders": holders, "waiting": waiting}
            time.sleep(0.02)
    return None


def run_two_concurrently(
    tmp: Path, *, pools: dict | None = None, step_gap: bool = True, staged: bool = True, machine_clock: bool = True
) -> Outcome:
    """Run the two runs side by side; the requests the server saw, and the steps' windows.

    ``staged``: the first run starts alone; its first request is answered only once the second
    run, started when that request arrived, has a step waiting in the pool. Otherwise both runs
    start at the same instant.
    """
    import dagster as dg

    home = make_home(tmp, pools)
    # Create the instance's storage once, before two processes race to create it.
    with dg.DagsterInstance.from_config(str(home)):
        pass
    env = {**os.environ, "DAGSTER_HOME": str(home), "NBA_LAKEHOUSE_MODE": "live"}
    (first, second) = RUNS.values()
    go = {first: tmp / f"go-{first}", second: tmp / f"go-{second}"}
    queued_behind: dict = {}

    def hold_first_request() -> None:
        go[second].touch()
        queued_behind["seen"] = _wait_until_queued_behind(home)

    procs: dict[str, subprocess.Popen] = {}
    with RecordingServer(on_first_request=hold_first_request if staged else None) as server:
        try:
            for date, game_id in RUNS.items():
                spec = {
                    "base": server.base, "date": date, "game_id": game_id, "lake": str(tmp / "lake"),
                    "min_interval_s": MIN_INTERVAL_S, "step_gap": step_gap,
                    "machine_clock": machine_clock, "throttle_dir": str(tmp / "throttle"),
                    "ready": str(tmp / f"ready-{game_id}"), "go": str(go[game_id]),
                }
                # Output to files, not pipes: an unread pipe that fills up would stall a run.
                with open(tmp / f"out-{game_id}", "w") as out, open(tmp / f"err-{game_id}", "w") as err:
                    procs[game_id] = subprocess.Popen(
                        [sys.executable, __file__, json.dumps(spec)], cwd=PROJECT, env=env, stdout=out, stderr=err
                    )
            until = time.monotonic() + 30
            while not all((tmp / f"ready-{g}").exists() for g in RUNS.values()):
                assert time.monotonic() < until, "run processes did not start"
                failed = {g: (tmp / f"err-{g}").read_text()[-3000:] for g, p in procs.items() if p.poll() is not None}
                assert not failed, failed
                time.sleep(0.01)
            start = time.monotonic()
            go[first].touch()
            if not staged:
                go[second].touch()
            runs = {}
            for game_id, proc in procs.items():
                proc.wait(timeout=max(1.0, RUN_TIMEOUT_S - (time.monotonic() - start)))
                assert proc.returncode == 0, (tmp / f"err-{game_id}").read_text()[-3000:]
                runs[game_id] = json.loads((tmp / f"out-{game_id}").read_text().strip().splitlines()[-1])
            elapsed = time.monotonic() - start
        finally:
            for proc in procs.values():
                if proc.poll() is None:
                    proc.kill()
                    proc.wait(timeout=10)
        arrivals = sorted(server.arrivals, key=lambda a: a.at)
    steps = _step_windows(home, [r["run_id"] for r in runs.values()])
    return Outcome(arrivals, runs, steps, elapsed, queued_behind.get("seen"))


def gaps(arrivals: list[Arrival]) -> list[float]:
    return [b.at - a.at for a, b in zip(arrivals, arrivals[1:])]


def overlapping_steps(steps: list[tuple[float, float, str, str]]) -> list[tuple]:
    """Pairs of steps of different runs whose [start, end] windows overlap."""
    return [
        (a, b) for i, a in enumerate(steps) for b in steps[i + 1 :] if a[2] != b[2] and b[0] < a[1]
    ]


def _check_requests(outcome: Outcome) -> None:
    assert all(r["success"] for r in outcome.runs.values()), outcome.runs
    assert all(a.status == 200 for a in outcome.arrivals), [a for a in outcome.arrivals if a.status != 200]
    per_run = {g: [a for a in outcome.arrivals if a.game_id == g] for g in RUNS.values()}
    assert {g: len(a) for g, a in per_run.items()} == {g: REQUESTS_PER_RUN for g in RUNS.values()}
    assert len(outcome.arrivals) == len(RUNS) * REQUESTS_PER_RUN


def describe(outcome: Outcome) -> str:
    t0 = outcome.arrivals[0].at if outcome.arrivals else 0.0
    lines = [f"{a.at - t0:7.3f}s {a.game_id} {a.endpoint}" for a in outcome.arrivals]
    return "\n".join(lines) + f"\ngaps: {[round(g, 3) for g in gaps(outcome.arrivals)]}\nelapsed: {outcome.elapsed_s:.1f}s"


# --------------------------------------------------------------------------- tests
def test_two_concurrent_runs_keep_the_configured_spacing(tmp_path):
    outcome = run_two_concurrently(tmp_path)
    _check_requests(outcome)
    report = describe(outcome)
    print(report)
    first, second = (outcome.runs[g]["run_id"] for g in RUNS.values())

    # The pool across processes: while the first run's step held the only slot, the second run's
    # steps were queued in the instance, unassigned...
    assert outcome.queued_behind == {"slots": 1, "holders": {first}, "waiting": {second}}, report
    # ...no two NBA-calling steps of the two runs ever ran at the same time...
    assert len(outcome.steps) == len(RUNS) * len(ASSETS)
    assert overlapping_steps(outcome.steps) == [], report
    # ...and every request arrived inside its own step's window, so a step's requests are never
    # mixed with the other run's.
    for a in outcome.arrivals:
        run_id = outcome.runs[a.game_id]["run_id"]
        (window,) = [s for s in outcome.steps if s[2] == run_id and s[3] == ENDPOINT_STEP[a.endpoint]]
        assert window[0] <= a.wall <= window[1], (a, window)

    # The runs' request windows do interleave: the pool is claimed per step, not per run, and the
    # second run's queued steps go before the first run's later ones (A, then B..., then A...).
    # Stated so that a change in Dagster's behaviour is noticed; the spacing does not depend on it.
    switches = sum(a.game_id != b.game_id for a, b in zip(outcome.arrivals, outcome.arrivals[1:]))
    assert switches >= 2, report

    # The throttle and the pool together: every gap at the server, across both runs, is at least
    # the configured spacing, step boundaries (same run or the other run's) included.
    assert min(gaps(outcome.arrivals)) >= MIN_INTERVAL_S - TOLERANCE_S, report


def test_control_without_the_pool_and_the_step_gap_the_spacing_breaks(tmp_path):
    """Both runs at once, every pool at two slots, no wait at step boundaries, no machine-wide clock:
    the test above would fail."""
    outcome = run_two_concurrently(tmp_path, pools={"default_limit": 2}, step_gap=False, staged=False, machine_clock=False)
    _check_requests(outcome)
    report = describe(outcome)
    print(report)

    # The runs really ran side by side...
    assert overlapping_steps(outcome.steps), report
    # ...so requests of the two runs reached the server closer together than the spacing: two
    # request trains of period min_interval_s that overlap in time always come within
    # min_interval_s / 2 of each other (measured here: 0.006 to 0.18 s over 8 runs).
    assert min(gaps(outcome.arrivals)) < MIN_INTERVAL_S - TOLERANCE_S, report


def test_on_one_machine_the_spacing_holds_even_when_the_pool_lets_two_steps_through(tmp_path):
    """The control's setup (two slots, both runs at once, no step gap) with the machine-wide clock on.

    Dagster's slot claims on sqlite can let two steps through when they claim at the same instant;
    every run sharing a sqlite instance is on this machine, where the clock file spaces them anyway.
    """
    outcome = run_two_concurrently(tmp_path, pools={"default_limit": 2}, step_gap=False, staged=False)
    _check_requests(outcome)
    report = describe(outcome)
    assert overlapping_steps(outcome.steps), report  # the runs really ran side by side
    assert min(gaps(outcome.arrivals)) >= MIN_INTERVAL_S - TOLERANCE_S, report


def test_first_request_of_a_step_waits_a_full_spacing():
    """In one process, deterministic: each step's first request waits min_interval_s from the step's start."""
    import dagster as dg

    game_id = RUNS["2016-11-30"]
    started: dict[str, float] = {}

    def make(name):
        @dg.asset(name=name, pool="nba_api")
        def fetch_twice(nba: NBAClient) -> None:
            # Long enough after the previous step's last request that the process-wide throttle
            # alone would send at once: only the step-boundary wait keeps the full spacing.
            time.sleep(MIN_INTERVAL_S / 2)
            started[name] = time.monotonic()
            nba.box_score_summary_v2(game_id)
            nba.box_score_summary_v2(game_id)

        return fetch_twice

    with RecordingServer() as server:
        nba = NBAClient(
            mode="live", stats_base_url=f"{server.base}/stats", min_interval_s=MIN_INTERVAL_S, jitter_s=0.0,
            max_retries=0, deadline_s=10.0,
        )
        start = time.monotonic()
        nba.box_score_summary_v2(game_id)  # outside any step: no extra wait
        with dg.instance_for_test() as instance:
            result = dg.materialize([make("first"), make("second")], resources={"nba": nba}, instance=instance)
        arrivals = sorted(server.arrivals, key=lambda a: a.at)

    assert result.success
    assert [a.status for a in arrivals] == [200] * 5
    assert arrivals[0].at - start < MIN_INTERVAL_S / 2
    # Each step's first request: a full spacing after the step began, not after the last request.
    assert arrivals[1].at - started["first"] >= MIN_INTERVAL_S - TOLERANCE_S
    assert arrivals[3].at - started["second"] >= MIN_INTERVAL_S - TOLERANCE_S
    # Inside a step, the ordinary spacing, not more.
    assert MIN_INTERVAL_S - TOLERANCE_S <= arrivals[2].at - arrivals[1].at < MIN_INTERVAL_S + 0.2
    assert MIN_INTERVAL_S - TOLERANCE_S <= arrivals[4].at - arrivals[3].at < MIN_INTERVAL_S + 0.2


if __name__ == "__main__":
    print(json.dumps(run_one(json.loads(sys.argv[1]))), flush=True)
