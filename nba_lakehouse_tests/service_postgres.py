"""A real PostgreSQL for the tests: Debian's server binaries, started once per session on 127.0.0.1.

``postgres_server`` (session) runs ``initdb`` and ``pg_ctl start`` in a temporary folder, on a free
port, as the ``postgres`` user when the tests run as root (initdb refuses root), and stops it at the
end. ``postgres_home`` (per test) creates a fresh database and a DAGSTER_HOME holding the project's
``dagster.postgres.yaml`` as its dagster.yaml, with the ``DAGSTER_PG_*`` variables it reads set in
the environment (``monkeypatch``), so subprocesses launched by the test inherit them. Without the
binaries (``apt-get install postgresql``) the tests that use it are skipped, saying so.

Use: ``from nba_lakehouse_tests.service_postgres import postgres_home, postgres_server  # noqa: F401``.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import uuid
from dataclasses import dataclass
from pathlib import Path

import pytest

from nba_lakehouse.lake import PROJECT_ROOT

START_TIMEOUT_S = 120  # a busy 2-core machine
PASSWORD = "nba-lakehouse-tests"


@dataclass(frozen=True)
class PostgresServer:
    host: str
    port: int
    user: str
    password: str

    def env(self, db_name: str) -> dict[str, str]:
        """The variables dagster.postgres.yaml reads."""
        return {
            "DAGSTER_PG_HOST": self.host, "DAGSTER_PG_PORT": str(self.port), "DAGSTER_PG_USER": self.user,
            "DAGSTER_PG_PASSWORD": self.password, "DAGSTER_PG_DB": db_name,
        }

    def connect(self, db_name: str = "postgres"):
        import psycopg2

        return psycopg2.connect(host=self.host, port=self.port, user=self.user, password=self.password, dbname=db_name)

    def create_database(self) -> str:
        name = f"t_{uuid.uuid4().hex[:12]}"
        conn = self.connect()
        try:
            conn.autocommit = True
            with conn.cursor() as cursor:
                cursor.execute(f'CREATE DATABASE "{name}"')
        finally:
            conn.close()
        return name


def _bin_dir() -> Path | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(Path(p).parts[-3]))
    if found:
        return Path(found[-1]).parent
    initdb = shutil.which("initdb")
    return Path(initdb).parent if initdb else None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def postgres_server():
    bin_dir = _bin_dir()
    if bin_dir is None or not (bin_dir / "pg_ctl").exists():
        pytest.skip("PostgreSQL server binaries not found (/usr/lib/postgresql/*/bin): apt-get install postgresql")
    as_root = os.geteuid() == 0
    if as_root:
        try:
            owner = pwd.getpwnam("postgres")
        except KeyError:
            pytest.skip("running as root and no `postgres` user to run the server as: apt-get install postgresql")
        run_as = ["runuser", "-u", "postgres", "--"]
    else:
        owner, run_as = None, []
    # Not under pytest's basetemp: that is private to the user running the tests (mode 700), and the
    # server runs as `postgres`. Removed at the end of the session.
    root = Path(tempfile.mkdtemp(prefix="nba-lakehouse-pg-"))
    data, log = root / "data", root / "server.log"
    if owner is not None:
        os.chown(root, owner.pw_uid, owner.pw_gid)
    # trust on 127.0.0.1 and a private socket folder: a throwaway server. dagster-postgres opens a new
    # connection per query (NullPool), and a SCRAM handshake doubled each one's cost (16 ms vs 7 ms
    # measured here). The password is still set and sent, as dagster.postgres.yaml sends it.
    pwfile = root / "pw"
    pwfile.write_text(PASSWORD + "\n")
    if owner is not None:
        os.chown(pwfile, owner.pw_uid, owner.pw_gid)

    def run(*args: str, timeout: float = START_TIMEOUT_S) -> subprocess.CompletedProcess:
        return subprocess.run([*run_as, *args], capture_output=True, text=True, timeout=timeout, cwd=root)

    done = run(str(bin_dir / "initdb"), "-D", str(data), "-U", "postgres", "--pwfile", str(pwfile),
               "-A", "trust", "-E", "UTF8", "--no-sync", "--no-instructions")
    if done.returncode != 0:
        shutil.rmtree(root, ignore_errors=True)
        pytest.skip(f"initdb failed ({done.stderr.strip().splitlines()[-1:]}): PostgreSQL cannot start here")
    port = _free_port()
    options = (f"-p {port} -c listen_addresses=127.0.0.1 -k {root} -c fsync=off -c synchronous_commit=off "
               "-c full_page_writes=off -c max_connections=200")
    started = run(str(bin_dir / "pg_ctl"), "-D", str(data), "-l", str(log), "-o", options, "-w",
                  "-t", str(START_TIMEOUT_S), "start")
    if started.returncode != 0:
        tail = log.read_text(errors="replace")[-2000:] if log.exists() else started.stderr
        shutil.rmtree(root, ignore_errors=True)
        pytest.skip(f"PostgreSQL did not start on 127.0.0.1:{port}: {tail.strip().splitlines()[-1:]}")
    try:
        yield PostgresServer("127.0.0.1", port, "postgres", PASSWORD)
    finally:
        run(str(bin_dir / "pg_ctl"), "-D", str(data), "-m", "immediate", "-w", "stop", timeout=60)
        shutil.rmtree(root, ignore_errors=True)


def write_postgres_home(home: Path) -> Path:
    """``home`` holding the project's dagster.postgres.yaml as its dagster.yaml."""
    home.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(PROJECT_ROOT / "dagster.postgres.yaml", home / "dagster.yaml")
    return home


@pytest.fixture
def postgres_home(postgres_server, tmp_path, monkeypatch) -> Path:
    """A DAGSTER_HOME on a fresh database of the session's server, its DAGSTER_PG_* variables set."""
    for name, value in postgres_server.env(postgres_server.create_database()).items():
        monkeypatch.setenv(name, value)
    return write_postgres_home(tmp_path / "dagster_home_pg")
