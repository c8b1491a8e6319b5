#!/usr/bin/env python3
"""The two set-up commands of the README, for a machine with only Python 3.11+ and pip.

    python3 tasks.py demo    create .venv, install, materialize the sample games, print the result
    python3 tasks.py test    create .venv, install with test extras, run the test suite
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
