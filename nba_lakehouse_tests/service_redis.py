"""A redis server for the tests: Debian's ``redis-server`` on 127.0.0.1, a free port, data in a tmp dir.

``redis_url`` is a session fixture (import it into a test module: ``from
nba_lakehouse_tests.service_redis import redis_url``); the tests that need it skip with one line
saying what to install when the binary is missing or does not start.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from pathlib import Path

import pytest

REDIS_SERVER = "/usr/bin/redis-server"
START_TIMEOUT_S = 20.0


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_redis(directory: Path) -> tuple[subprocess.Popen, str]:
    """Start redis-server in ``directory``; (process, URL) once it answers PING. Raises RuntimeError."""
    binary = REDIS_SERVER if Path(REDIS_SERVER).exists() else shutil.which("redis-server")
    if not binary:
        raise RuntimeError(f"{REDIS_SERVER} not found: apt-get install redis-server (tasks.py does)")
    port = free_port()
    log = directory / "redis.log"
    proc = subprocess.Popen(
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--dir", str(directory), "--save", "",
         "--appendonly", "no", "--logfile", str(log), "--protected-mode", "yes"],
        stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT,
    )
    import redis

    url = f"redis://127.0.0.1:{port}/0"
    until = time.monotonic() + START_TIMEOUT_S
    while True:
        if proc.poll() is not None:
            text = log.read_text()[-500:] if log.exists() else ""
            raise RuntimeError(f"redis-server exited with {proc.returncode}: {text.strip()}")
        try:
            if redis.Redis.from_url(url, socket_connect_timeout=1).ping():
                return proc, url
        except redis.RedisError:
            pass
        if time.monotonic() > until:
            proc.kill()
            raise RuntimeError(f"redis-server did not answer on {url} within {START_TIMEOUT_S}s")
        time.sleep(0.05)


def stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory):
    """The URL of a redis server started for this test session (stopped at its end)."""
    try:
        proc, url = start_redis(tmp_path_factory.mktemp("redis"))
    except RuntimeError as exc:
        pytest.skip(f"redis unavailable ({exc}); install it: apt-get install redis-server")
    try:
        yield url
    finally:
        stop(proc)
