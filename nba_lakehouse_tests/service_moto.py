"""A moto S3 server on 127.0.0.1 for the S3 lake tests and the benchmark, with its request log.

``moto_server`` (from ``moto[server]``) runs in its own process on a free port; every request it
answers is one werkzeug log line on its stderr (``"PUT /bucket/key HTTP/1.1" 200 -``), which
``MotoS3.requests()`` reads back, so a test counts requests at the server, not in the client.
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

# The credentials and region moto accepts; the lake reads them from the environment like real ones.
ACCESS_KEY = "testing-access-key"
SECRET_KEY = "testing-secret-key"
REGION = "us-east-1"
_REQUEST = re.compile(r'"(GET|PUT|POST|HEAD|DELETE) (\S+) HTTP/[\d.]+" (\d{3})')
_ANSI = re.compile(r"\x1b\[[0-9;]*m")  # werkzeug colours the lines of some statuses


@dataclass(frozen=True)
class Request:
    method: str
    path: str  # /bucket/key?query, as the server saw it (path-style addressing)
    status: int


def _moto_server_binary() -> str | None:
    beside_python = Path(sys.executable).with_name("moto_server")
    return str(beside_python) if beside_python.exists() else shutil.which("moto_server")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class MotoS3:
    """One ``moto_server`` process; ``endpoint`` is its ``http://127.0.0.1:<port>``."""

    def __init__(self, log_dir: Path, start_timeout_s: float = 60.0) -> None:
        binary = _moto_server_binary()
        if binary is None:
            raise FileNotFoundError("moto_server not found: install the test extra (pip install -e '.[test]', moto[server])")
        self.log_path = Path(log_dir) / "moto_server.log"
        for _attempt in range(5):  # a free port can be taken between finding it and binding it
            self.port = _free_port()
            self.endpoint = f"http://127.0.0.1:{self.port}"
            self._log = open(self.log_path, "wb")
            self.process = subprocess.Popen(
                [binary, "-H", "127.0.0.1", "-p", str(self.port)],
                stdout=self._log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            )
            if self._wait_ready(start_timeout_s):
                return
            self.stop()
        raise RuntimeError(f"moto_server did not start on 127.0.0.1 (log: {self.log_path}): {self.log_path.read_text()[-500:]}")

    def _wait_ready(self, timeout_s: float) -> bool:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                return False
            try:
                with urllib.request.urlopen(f"{self.endpoint}/moto-api/", timeout=5):
                    return True
            except OSError:
                time.sleep(0.2)
        return False

    def env(self, bucket: str) -> dict[str, str]:
        """The environment an S3 lake in ``bucket`` needs (the README's S3 settings)."""
        return {
            "NBA_S3_ENDPOINT_URL": self.endpoint, "NBA_S3_REGION": REGION, "NBA_S3_PATH_STYLE": "true",
            "AWS_ACCESS_KEY_ID": ACCESS_KEY, "AWS_SECRET_ACCESS_KEY": SECRET_KEY,
        }

    def client(self):
        import boto3  # comes with moto

        return boto3.client("s3", endpoint_url=self.endpoint, region_name=REGION,
                            aws_access_key_id=ACCESS_KEY, aws_secret_access_key=SECRET_KEY)

    def create_bucket(self, bucket: str) -> None:
        self.client().create_bucket(Bucket=bucket)

    def requests(self) -> list[Request]:
        """Every request the server has answered so far, in order."""
        self._log.flush()
        text = _ANSI.sub("", self.log_path.read_text(errors="replace"))
        return [Request(m[1], m[2], int(m[3])) for m in _REQUEST.finditer(text)]

    def reset(self) -> None:
        """Forget every bucket and object (moto's own reset endpoint)."""
        request = urllib.request.Request(f"{self.endpoint}/moto-api/reset", method="POST")
        with urllib.request.urlopen(request, timeout=30):
            pass

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=30)
        self._log.close()


def apply_env(env: dict[str, str]) -> dict[str, str | None]:
    """Set ``env`` in os.environ; return what was there before, for ``restore_env``."""
    before = {name: os.environ.get(name) for name in env}
    os.environ.update(env)
    return before


def restore_env(before: dict[str, str | None]) -> None:
    for name, value in before.items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value


# ------------------------------------------------------------------------------- the fixture
import pytest  # noqa: E402 (the fixture only: the benchmark imports this module without pytest's plugins)


@pytest.fixture(scope="session")
def moto_s3(tmp_path_factory):
    """A moto S3 server for the session, stopped at its end; skipped when moto_server cannot start."""
    if _moto_server_binary() is None:
        pytest.skip("moto_server not found: install the test extra (pip install -e '.[test]', it brings moto[server])")
    server = MotoS3(tmp_path_factory.mktemp("moto"))
    try:
        yield server
    finally:
        server.stop()
