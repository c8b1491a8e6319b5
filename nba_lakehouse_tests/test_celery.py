"""Two Celery workers on redis run a multi-date live run: spacing held at the server, the same lake.

What runs, all on 127.0.0.1 and started here: redis (``service_redis``), the loopback fake NBA
(``fake_nba``, the REAL recordings), two ``dagster-celery worker start -A dagster_celery.app -y
worker.yaml`` processes (the venv's ``bin`` on PATH, ``PYTHONPATH`` the project, one Celery child
each), a ``DAGSTER_HOME`` with the project's ``dagster.yaml`` (sqlite storage: one machine; several
machines need the Postgres instance) and every pool at two slots, so that the two workers may call
the NBA at the same time and only the shared limiter (redis) spaces them. ``NBA_CELERY_BROKER_URL``
switches ``game_date_job`` to the Celery executor (``definitions.build_executor``); ``dagster job
execute`` launches it for two game dates with the live client in the run config. The same dates
are then run in-process (``fake_nba.run_dates``) into another lake, and the two lakes compared.

The spacing is asserted on the turns the limiter granted, read from redis' ``MONITOR`` (the
``HSET`` of each grant carries the next start the redis clock allows): the gaps the fake server
sees also carry thread scheduling, which a loaded 2-core machine stretches and squeezes by more
than any fair tolerance. The server side checks that no request reached it without a turn.
"""

from __future__ import annotations

import itertools
import json
import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import dagster as dg
import redis
import yaml

from nba_lakehouse.sources.rate_limit import REDIS_KEY
from nba_lakehouse_tests.fake_nba import lake_snapshot, live_client, run_dates, serve
from nba_lakehouse_tests.service_redis import redis_url  # noqa: F401 (fixture)

PROJECT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
MIN_INTERVAL_S = 0.2
# Two game dates, one recorded game on the first (0021600270), none on the second.
START, END = "2016-11-30", "2016-12-01"
WORKER_START_TIMEOUT_S = 90.0
RUN_TIMEOUT_S = 300.0


def _workers_ready(app_yaml: Path, env: dict, count: int) -> bool:
    """Whether ``count`` workers answer a ping through the broker."""
    probe = (
        "import sys, celery; from dagster_celery.cli import get_config_value_from_yaml as c; "
        "conf = c(sys.argv[1]); app = celery.Celery(broker=conf['broker']); "
        "print(len(app.control.inspect(timeout=2).ping() or {}))"
    )
    out = subprocess.run([sys.executable, "-c", probe, str(app_yaml)], env=env, capture_output=True, text=True, timeout=60)
    return out.returncode == 0 and out.stdout.strip().isdigit() and int(out.stdout.strip()) >= count


@contextmanager
def granted_turns(url: str) -> Iterator[dict[str, list[int]]]:
    """Per NBA host, the next-start times (redis clock, ms) the limiter reserved, in grant order,
    recorded while the block runs. Each grant writes ``now + gap``: with no jitter, consecutive
    values are exactly as far apart as the grants."""
    turns: dict[str, list[int]] = {}
    prefix = "HSET " + REDIS_KEY.format(host="")
    done, listening = threading.Event(), threading.Event()
    failures: list[BaseException] = []

    def record() -> None:
        # No socket timeout: redis-py closes a connection whose read timed out, so a quiet second
        # on a busy machine would end MONITOR. The block's end wakes the read with a PING instead.
        try:
            with redis.Redis.from_url(url).monitor() as monitor:
                listening.set()
                while not done.is_set():
                    command = monitor.next_command()["command"]
                    if command.startswith(prefix):
                        host, _, next_start = command[len(prefix):].split()
                        turns.setdefault(host, []).append(int(next_start))
        except BaseException as exc:  # surfaced by the test, not lost with the thread
            failures.append(exc)
            raise

    recorder = threading.Thread(target=record, daemon=True)
    recorder.start()
    assert listening.wait(30), f"redis MONITOR on {url} did not start within 30s"
    try:
        yield turns
    finally:
        done.set()
        with redis.Redis.from_url(url) as waker:
            waker.ping()
        recorder.join(timeout=30)
    assert not recorder.is_alive(), f"redis MONITOR on {url} did not stop within 30s of a PING"
    assert not failures, f"recording the limiter's turns failed: {failures[0]!r}"


def test_two_celery_workers_keep_the_spacing_and_write_the_in_process_lake(tmp_path, redis_url):
    broker = redis_url.rsplit("/", 1)[0] + "/1"  # the rate limit keeps db 0 to itself
    home = tmp_path / "dagster_home"
    home.mkdir()
    instance_yaml = yaml.safe_load((PROJECT / "dagster.yaml").read_text())
    instance_yaml["concurrency"]["pools"]["default_limit"] = 2
    (home / "dagster.yaml").write_text(yaml.safe_dump(instance_yaml))
    with dg.DagsterInstance.from_config(str(home)):  # create the storage once, before the workers
        pass
    worker_yaml = tmp_path / "worker.yaml"
    worker_yaml.write_text(yaml.safe_dump({"execution": {"config": {"broker": broker, "backend": broker}}}))
    env = {
        **os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}", "PYTHONPATH": str(PROJECT),
        "DAGSTER_HOME": str(home), "NBA_CELERY_BROKER_URL": broker, "NBA_LAKEHOUSE_MODE": "live",
        "NBA_LAKE_ROOT": str(tmp_path / "celery_lake"), "NBA_THROTTLE_DIR": str(tmp_path / "throttle"),
    }
    lake = tmp_path / "celery_lake"
    workers: list[subprocess.Popen] = []
    with serve() as fake:
        client_config = {
            "mode": "live", "stats_base_url": fake.base + "/stats", "cdn_base_url": fake.base + "/cdn",
            "min_interval_s": MIN_INTERVAL_S, "jitter_s": 0.0, "rate_limit_redis_url": redis_url,
            "connect_timeout_s": 2.0, "read_timeout_s": 10.0, "deadline_s": 30.0, "max_retries": 2,
            "backoff_base_s": 0.05, "backoff_max_s": 0.2,
        }
        run_config = tmp_path / "run.yaml"
        run_config.write_text(yaml.safe_dump(
            {"resources": {"nba": {"config": client_config}, "lake": {"config": {"root": str(lake)}}}}
        ))
        try:
            for name in ("w1", "w2"):
                log = open(tmp_path / f"worker-{name}.log", "w")
                workers.append(subprocess.Popen(
                    [str(BIN / "dagster-celery"), "worker", "start", "-A", "dagster_celery.app", "-y", str(worker_yaml),
                     "-n", name, "--", "--concurrency=1"],
                    cwd=tmp_path, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
                ))
            until = time.monotonic() + WORKER_START_TIMEOUT_S
            while not _workers_ready(worker_yaml, env, 2):
                dead = [w.args for w in workers if w.poll() is not None]
                assert not dead, (tmp_path / "worker-w1.log").read_text()[-2000:]
                assert time.monotonic() < until, f"celery workers did not answer within {WORKER_START_TIMEOUT_S}s"
                time.sleep(1)

            tags = {"dagster/asset_partition_range_start": START, "dagster/asset_partition_range_end": END}
            with granted_turns(redis_url) as turns:
                run = subprocess.run(
                    [str(BIN / "dagster"), "job", "execute", "-m", "nba_lakehouse.definitions", "-j", "game_date_job",
                     "-c", str(run_config), "--tags", json.dumps(tags)],
                    cwd=tmp_path, env=env, capture_output=True, text=True, timeout=RUN_TIMEOUT_S,
                )
            assert run.returncode == 0, run.stderr[-4000:] + (tmp_path / "worker-w1.log").read_text()[-2000:]
            celery_seen = sorted(fake.seen, key=lambda s: s.at)
        finally:
            for worker in workers:  # the worker and its Celery children: their own process group
                if worker.poll() is None:
                    os.killpg(worker.pid, 15)
            for worker in workers:
                try:
                    worker.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    os.killpg(worker.pid, 9)
                    worker.wait(timeout=10)

        in_process = run_dates(
            tmp_path / "in_process_lake", live_client(fake.base), START, END, instance=dg.DagsterInstance.ephemeral()
        )
    assert in_process.success

    # Both workers ran steps (the engine event each task writes names its worker).
    with dg.DagsterInstance.from_config(str(home)) as instance:
        (record,) = instance.get_run_records()
        assert record.dagster_run.status == dg.DagsterRunStatus.SUCCESS
        hosts = {
            e.dagster_event.engine_event_data.metadata["Celery worker"].value
            for e in instance.all_logs(record.dagster_run.run_id, of_type=dg.DagsterEventType.ENGINE_EVENT)
            if "Celery worker" in (e.dagster_event.engine_event_data.metadata or {})
        }
    assert {h.split("@")[0] for h in hosts} == {"w1", "w2"}, hosts

    # The spacing of the turns, per host, across both workers; every request the server saw had one.
    assert len(celery_seen) >= 10
    for host, prefix in (("stats", "/stats/"), ("cdn", "/cdn/")):
        arrived = sum(s.path.startswith(prefix) for s in celery_seen)
        granted = turns.get(host, [])
        assert 2 <= arrived <= len(granted), (host, arrived, len(granted))
        gaps_ms = [b - a for a, b in itertools.pairwise(granted)]
        assert min(gaps_ms) >= 1000 * MIN_INTERVAL_S, (host, gaps_ms)

    # The lake, byte for byte (volatile columns aside), as an in-process run writes it.
    celery_lake, reference = lake_snapshot(lake), lake_snapshot(tmp_path / "in_process_lake")
    assert reference and sorted(celery_lake) == sorted(reference)
    assert [p for p in reference if celery_lake[p] != reference[p]] == []
