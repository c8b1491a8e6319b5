"""Start `dagster dev` on loopback for a browser test, wait until it is ready, stop it cleanly.

`dagster dev` runs the webserver, the daemon and the code server as child processes. Started from
a non-interactive shell (CI, a background job) it inherits an ignored SIGINT and cannot be
stopped cleanly, so it runs here in its own process group with default signal handlers, and is
stopped with SIGINT to the whole group (SIGKILL after a timeout). Nothing of the group is left.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

from nba_lakehouse.lake import PROJECT_ROOT

CHROMIUM = Path("/usr/bin/chromium")
# Debian's chromium headless on a machine without network (see shared notes): no GPU, no
# background connections that the closed network would refuse.
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]

WORKSPACE_QUERY = "{ workspaceOrError { ... on Workspace { locationEntries { name loadStatus } } } }"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def graphql(base_url: str, query: str, variables: dict | None = None, timeout: float = 10) -> dict:
    body = json.dumps({"query": query, "variables": variables or {}}).encode()
    request = urllib.request.Request(f"{base_url}/graphql", data=body, headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=timeout) as response:
        payload = json.load(response)
    if payload.get("errors"):
        raise RuntimeError(f"GraphQL errors: {payload['errors']}")
    return payload["data"]


def _reset_signals() -> None:  # in the child, before exec
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)


def signal_group(pgid: int, sig: int) -> None:
    """Signal a process group; a group already gone (its processes ended on their own) is no
    error, so a test's own failure is the one reported."""
    try:
        os.killpg(pgid, sig)
    except ProcessLookupError:
        pass


def _group_alive(pgid: int) -> list[int]:
    """Processes of the group that are not zombies (a zombie is gone, only not reaped yet)."""
    proc = Path("/proc")
    if not proc.is_dir():  # not Linux: ask the kernel whether anything is left in the group
        try:
            os.killpg(pgid, 0)
        except ProcessLookupError:
            return []
        return [pgid]
    alive = []
    for entry in proc.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # pid (comm) state ppid pgrp ...; comm may hold spaces and parentheses
        state, _ppid, pgrp = stat[stat.rindex(")") + 2:].split()[:3]
        if int(pgrp) == pgid and state != "Z":
            alive.append(int(entry.name))
    return alive


class DagsterDev:
    """`dagster dev -w workspace.yaml -h 127.0.0.1 -p PORT` on the given lake and DAGSTER_HOME."""

    def __init__(self, dagster_home: Path, lake_root: Path, log_path: Path, port: int | None = None):
        self.port = port or free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.log_path = log_path
        self.env = {
            **os.environ,
            "DAGSTER_HOME": str(dagster_home),
            "NBA_LAKE_ROOT": str(lake_root),
            "NBA_LAKEHOUSE_MODE": "replay",
            "PYTHONUNBUFFERED": "1",
        }
        self.proc: subprocess.Popen | None = None

    def start(self) -> DagsterDev:
        script = Path(sys.executable).parent / "dagster"
        command = [str(script)] if script.exists() else [sys.executable, "-m", "dagster"]
        command += ["dev", "-w", "workspace.yaml", "-h", "127.0.0.1", "-p", str(self.port)]
        self._log = open(self.log_path, "wb")
        self.proc = subprocess.Popen(
            command, cwd=PROJECT_ROOT, env=self.env, stdin=subprocess.DEVNULL, stdout=self._log,
            stderr=subprocess.STDOUT, start_new_session=True, preexec_fn=_reset_signals,
        )
        return self

    def log_tail(self, chars: int = 4000) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-chars:]
        except OSError:
            return ""

    def wait_loaded(self, timeout: float = 90) -> float:
        """Seconds until GraphQL reports every code location LOADED (the webserver answers earlier)."""
        started = time.monotonic()
        last = "no answer yet"
        while time.monotonic() - started < timeout:
            if self.proc.poll() is not None:
                raise RuntimeError(f"dagster dev exited with {self.proc.returncode}:\n{self.log_tail()}")
            try:
                entries = graphql(self.base_url, WORKSPACE_QUERY, timeout=5)["workspaceOrError"]["locationEntries"]
                last = str(entries)
                if entries and all(e["loadStatus"] == "LOADED" for e in entries):
                    return time.monotonic() - started
            except (urllib.error.URLError, ConnectionError, TimeoutError, RuntimeError, KeyError, TypeError) as error:
                last = repr(error)
            time.sleep(0.5)
        raise TimeoutError(f"dagster dev not LOADED after {timeout:.0f} s (last: {last}):\n{self.log_tail()}")

    def stop(self, timeout: float = 30) -> list[int]:
        """SIGINT to the group, SIGKILL to what is left after `timeout`; returns pids that survived."""
        if self.proc is None:
            return []
        pgid = self.proc.pid  # leader of its own session and group
        signal_group(pgid, signal.SIGINT)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and (self.proc.poll() is None or _group_alive(pgid)):
            time.sleep(0.2)
        if self.proc.poll() is None or _group_alive(pgid):
            signal_group(pgid, signal.SIGKILL)
            self.proc.wait(timeout=10)
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline and _group_alive(pgid):
                time.sleep(0.2)
        self._log.close()
        return _group_alive(pgid)


def chromium_missing_reason() -> str | None:
    if not CHROMIUM.exists():
        return (f"Chromium not found at {CHROMIUM}: install Debian's browser with `apt-get install -y chromium` "
                "(`python3 tasks.py test` does so when it runs as root or with sudo)")
    return None
