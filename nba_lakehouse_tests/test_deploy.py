"""What can be checked of deploy/ without a Docker engine: the files parse, reference each other
and the repository consistently, and the instance and worker settings load in Dagster's own parsers.

The images, the compose file and Kubernetes are not run here (deploy/README.md, "Untested").
"""

from __future__ import annotations

import importlib
import re
import shlex
from pathlib import Path

import dagster as dg
import yaml

from nba_lakehouse import instance_storage
from nba_lakehouse.instance_storage import PoolSafePostgresEventLogStorage

PROJECT = Path(__file__).resolve().parents[1]
DEPLOY = PROJECT / "deploy"
HOME_IN_IMAGE = "/opt/dagster/home"


def compose() -> dict:
    return yaml.safe_load((DEPLOY / "docker-compose.yaml").read_text())


def dockerfile_copies() -> list[tuple[list[str], str]]:
    """(sources, destination) of every COPY in deploy/Dockerfile."""
    copies = []
    for line in (DEPLOY / "Dockerfile").read_text().splitlines():
        if line.startswith("COPY "):
            *sources, destination = shlex.split(line.removeprefix("COPY "))
            copies.append((sources, destination))
    return copies


def test_compose_has_every_service_and_builds_from_files_that_exist():
    services = compose()["services"]
    assert {"postgres", "redis", "minio", "minio-bucket", "code-location", "webserver", "daemon", "celery-worker"} <= set(services)
    for name in ("code-location", "webserver", "daemon", "celery-worker"):
        build = services[name]["build"]
        context = (DEPLOY / build["context"]).resolve()
        assert context == PROJECT, (name, context)
        assert (context / build["dockerfile"]).is_file(), (name, build)
    # Every service a container depends on is defined.
    for name, service in services.items():
        assert set(service.get("depends_on", {})) <= set(services), name


def test_dockerfile_copies_paths_that_exist_and_the_files_the_commands_name():
    copies = dockerfile_copies()
    for sources, _ in copies:
        for source in sources:
            assert (PROJECT / source).exists(), f"deploy/Dockerfile copies {source}, which is not in the repository"
    into_home = {Path(s).name for sources, dest in copies if dest.rstrip("/") == HOME_IN_IMAGE for s in sources}
    assert {"dagster.yaml", "workspace.yaml", "worker.yaml"} <= into_home
    # Each file a compose command names under $DAGSTER_HOME is one the image has.
    named = set()
    for service in compose()["services"].values():
        command = service.get("command") or []
        named |= {Path(arg).name for arg in command if isinstance(arg, str) and arg.startswith(HOME_IN_IMAGE + "/")}
    assert named and named <= into_home, named
    # The .dockerignore beside the Dockerfile keeps the virtualenv out and the recordings in.
    ignore = (DEPLOY / "Dockerfile.dockerignore").read_text().split()
    assert ".venv" in ignore and "!data/replay" in ignore


def test_workspace_points_at_the_code_location_service_and_port():
    workspace = yaml.safe_load((DEPLOY / "workspace.yaml").read_text())
    (entry,) = workspace["load_from"]
    server = entry["grpc_server"]
    services = compose()["services"]
    assert server["host"] in services
    command = services[server["host"]]["command"]
    assert command[command.index("-p") + 1] == str(server["port"])
    assert command[command.index("-m") + 1] == "nba_lakehouse.definitions"


def test_every_variable_the_settings_read_is_set_in_the_compose_environment():
    env = compose()["x-dagster-env"]
    instance = (DEPLOY / "dagster.yaml").read_text() + (DEPLOY / "worker.yaml").read_text()
    wanted = set(re.findall(r"env: (\w+)", instance))
    assert wanted and wanted <= set(env), wanted - set(env)
    # The switches the code reads: the Celery executor, the shared rate limit, the S3 lake.
    assert {"NBA_CELERY_BROKER_URL", "NBA_RATE_LIMIT_REDIS_URL", "NBA_LAKE_ROOT"} <= set(env)
    assert env["NBA_LAKE_ROOT"].startswith("s3://")


def test_instance_and_worker_settings_load_in_dagsters_parsers(tmp_path, monkeypatch):
    from dagster_celery.cli import get_validated_config

    settings = yaml.safe_load((DEPLOY / "dagster.yaml").read_text())
    storages = {name: settings.pop(name) for name in ("run_storage", "event_log_storage", "schedule_storage")}
    assert {s["config"]["postgres_db"]["scheme"] for s in storages.values()} == {"postgresql+psycopg2"}
    assert storages["event_log_storage"]["class"] == PoolSafePostgresEventLogStorage.__name__
    assert importlib.import_module(storages["event_log_storage"]["module"]) is instance_storage
    # Everything but the Postgres storage (no server here) through Dagster's instance loader.
    (tmp_path / "dagster.yaml").write_text(yaml.safe_dump(settings))
    with dg.DagsterInstance.from_config(str(tmp_path)) as instance:
        assert instance.get_concurrency_config().pool_config.default_pool_limit == 1

    monkeypatch.setenv("NBA_CELERY_BROKER_URL", "redis://redis:6379/1")
    monkeypatch.setenv("NBA_CELERY_BACKEND_URL", "redis://redis:6379/2")
    worker = get_validated_config(str(DEPLOY / "worker.yaml"))
    assert (worker["broker"], worker["backend"]) == ("redis://redis:6379/1", "redis://redis:6379/2")
