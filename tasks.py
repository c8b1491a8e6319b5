#!/usr/bin/env python3
"""The two set-up commands of the README, for a machine with only Python 3.11+ and pip.

    python3 tasks.py demo    create .venv, install, materialize the sample games, print the result
    python3 tasks.py test    create .venv, install with test extras, run the test suite (first
                             installs from Debian what the tests start on 127.0.0.1 if absent:
                             chromium for the UI, PostgreSQL, redis)
    python3 tasks.py lint    create .venv, install with test extras, run ruff and mypy (CI runs it
                             after the tests)
    python3 tasks.py ui      create .venv, install, start the Dagster UI on the demo's instance

Standard library only, so it runs before anything is installed.
"""

import os
import shutil
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")


def run(*args: str, **env: str) -> None:
    print("+", " ".join(args), flush=True)
    subprocess.run(args, cwd=ROOT, check=True, env={**os.environ, **env})


def install(extras: str = "") -> None:
    if sys.version_info < (3, 11):  # noqa: UP036 (tasks.py runs on whatever python3 the machine has)
        sys.exit(f"Python 3.11 or newer is needed; this is {sys.version.split()[0]}")
    if not (BIN / "python").exists():
        venv.create(VENV, with_pip=True)
    run(str(BIN / "python"), "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "-e", f".{extras}")


CHROMIUM = Path("/usr/bin/chromium")
# What the tests start on 127.0.0.1, from Debian's packages: the package and the binary it installs.
# A test whose binary is still missing after this skips, saying which package to install.
DEBIAN_TEST_PACKAGES = {
    "chromium": CHROMIUM,  # the browser test of the Dagster UI
    "postgresql": Path("/usr/lib/postgresql"),  # the Postgres instance storage tests
    "redis-server": Path("/usr/bin/redis-server"),  # the shared rate limit and the Celery executor tests
}


def ensure_debian_packages(packages: dict[str, Path] = DEBIAN_TEST_PACKAGES) -> None:
    """Install with apt-get the packages whose binary is missing, where we are root (or sudo needs
    no password); otherwise say which tests will skip."""
    missing = [name for name, binary in packages.items() if not binary.exists()]
    if not missing:
        return
    apt = shutil.which("apt-get")
    if apt is None:
        print(f"tasks.py: {', '.join(missing)} missing and there is no apt-get: the tests that need them will skip",
              flush=True)
        return
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        prefix: list[str] = []
    elif shutil.which("sudo") and subprocess.run(["sudo", "-n", "true"], capture_output=True).returncode == 0:
        prefix = ["sudo", "-n"]
    else:
        print(f"tasks.py: {', '.join(missing)} missing and installing needs root (`apt-get install -y {' '.join(missing)}`): "
              "the tests that need them will skip", flush=True)
        return
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    install_cmd = [*prefix, apt, "install", "-y", "-q", "--no-install-recommends", *missing]

    def attempt(cmd: list[str]) -> bool:
        print("+", " ".join(cmd), flush=True)
        return subprocess.run(cmd, env=env, stdout=subprocess.DEVNULL).returncode == 0

    # The package lists may be missing or stale on a fresh machine: update only if the install fails.
    if not attempt(install_cmd) and not (attempt([*prefix, apt, "update", "-q"]) and attempt(install_cmd)):
        print(f"tasks.py: could not install {', '.join(missing)}: the tests that need them will skip", flush=True)
    for name in missing:
        print(f"tasks.py: {name}: {packages[name]} {'present' if packages[name].exists() else 'still missing'}", flush=True)


def dagster_home() -> str:
    home = Path(os.environ.get("DAGSTER_HOME") or ROOT / ".dagster_home")
    home.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(ROOT / "dagster.yaml", home / "dagster.yaml")
    return str(home)


def main() -> None:
    command = sys.argv[1] if len(sys.argv) > 1 else ""
    if command == "demo":
        install()
        run(str(BIN / "nba-lakehouse"), "demo", DAGSTER_HOME=dagster_home())
    elif command == "test":
        install("[test]")
        ensure_debian_packages()
        args = sys.argv[2:]
        # Two workers (the CI machine's two cores); conftest.py keeps each module, and every test of
        # the shared demo lake, on one worker. `-n 0` runs everything in this process.
        parallel = [] if any(a.startswith(("-n", "--numprocesses")) for a in args) else ["-n", "2", "--dist", "loadgroup"]
        # pyproject.toml's addopts leave out the slow tests; the full run overrides that unless asked.
        everything = [] if any(a.startswith("-m") for a in args) else ["-m", "slow or not slow"]
        run(str(BIN / "python"), "-m", "pytest", *parallel, *everything, *args)
    elif command == "lint":
        install("[test]")
        run(str(BIN / "ruff"), "check", ".")  # the [tool.ruff] rules, over everything
        run(str(BIN / "mypy"))  # the [tool.mypy] files: the package and tasks.py
    elif command == "ui":
        install()
        try:
            run(str(BIN / "dagster"), "dev", "-w", "workspace.yaml", DAGSTER_HOME=dagster_home())
        except KeyboardInterrupt:  # Ctrl-C: dagster dev has shut down cleanly by now
            pass
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
