#!/usr/bin/env python3
"""The two set-up commands of the README, for a machine with only Python 3.11+ and pip.

    python3 tasks.py demo    create .venv, install, materialize the sample games, print the result
    python3 tasks.py test    create .venv, install with test extras, run the test suite (first
                             installs Debian's chromium for the browser test of the UI if absent)
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
    if sys.version_info < (3, 11):
        sys.exit(f"Python 3.11 or newer is needed; this is {sys.version.split()[0]}")
    if not (BIN / "python").exists():
        venv.create(VENV, with_pip=True)
    run(str(BIN / "python"), "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "-e", f".{extras}")


CHROMIUM = Path("/usr/bin/chromium")


def ensure_chromium() -> None:
    """Debian's chromium for the browser test of the Dagster UI: installed with apt-get where it is
    missing and we are root (or sudo needs no password); otherwise that test skips."""
    if CHROMIUM.exists():
        return
    apt = shutil.which("apt-get")
    if apt is None:
        print(f"tasks.py: {CHROMIUM} is missing and there is no apt-get: the browser test of the UI will skip",
              flush=True)
        return
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        prefix: list[str] = []
    elif shutil.which("sudo") and subprocess.run(["sudo", "-n", "true"], capture_output=True).returncode == 0:
        prefix = ["sudo", "-n"]
    else:
        print(f"tasks.py: {CHROMIUM} is missing and installing it needs root (`apt-get install -y chromium`): "
              "the browser test of the UI will skip", flush=True)
        return
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    install_cmd = [*prefix, apt, "install", "-y", "-q", "chromium"]

    def attempt(cmd: list[str]) -> bool:
        print("+", " ".join(cmd), flush=True)
        return subprocess.run(cmd, env=env, stdout=subprocess.DEVNULL).returncode == 0

    # The package lists may be missing or stale on a fresh machine: update only if the install fails.
    if not attempt(install_cmd) and not (attempt([*prefix, apt, "update", "-q"]) and attempt(install_cmd)):
        print("tasks.py: could not install chromium: the browser test of the UI will skip", flush=True)
    else:
        print(f"tasks.py: installed chromium, {CHROMIUM} {'present' if CHROMIUM.exists() else 'still missing'}",
              flush=True)


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
        ensure_chromium()
        run(str(BIN / "python"), "-m", "pytest", *sys.argv[2:])
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
