"""Resources, chosen per environment from environment variables.

``NBA_LAKEHOUSE_MODE`` = ``replay`` (default: recorded responses, no network) or ``live``;
``NBA_LAKE_ROOT`` = the lake root (default ``data/``; an ``s3://bucket/prefix`` URI works too);
``NBA_REPLAY_DIR`` = where recorded responses live (default ``data/replay``);
``NBA_PROXY_URL`` = a proxy for live requests, credentials included (read by Dagster at run time
through ``dg.EnvVar``, so it never enters the run config).
"""

from __future__ import annotations

import os

import dagster as dg
from dagster_duckdb import DuckDBResource
from pydantic import Field

from nba_lakehouse.lake import DEFAULT_REPLAY_DIR, Lake, lake_root_from_env
from nba_lakehouse.sources.client import NBAClient


class LakeResource(dg.ConfigurableResource):
    """Where the lake lives; all reads and writes go through ``Lake``."""

    root: str = Field(default_factory=lake_root_from_env, description="Lake root: a directory or s3://bucket/prefix")

    def lake(self) -> Lake:
        return Lake(self.root)


def build_resources(lake_root: str | None = None, mode: str | None = None, replay_dir: str | None = None) -> dict:
    mode = mode or os.environ.get("NBA_LAKEHOUSE_MODE", "replay")
    if mode not in ("replay", "live"):
        raise ValueError(f"mode (NBA_LAKEHOUSE_MODE) must be 'replay' or 'live', not {mode!r}")
    lake = LakeResource(root=lake_root or lake_root_from_env())
    nba = NBAClient(
        mode=mode,
        replay_dir=replay_dir or os.environ.get("NBA_REPLAY_DIR", DEFAULT_REPLAY_DIR),
        proxy_url=dg.EnvVar("NBA_PROXY_URL") if os.environ.get("NBA_PROXY_URL") else None,
        # Read at run time like the proxy: a password in the URL never enters the run config.
        rate_limit_redis_url=(
            dg.EnvVar("NBA_RATE_LIMIT_REDIS_URL") if os.environ.get("NBA_RATE_LIMIT_REDIS_URL") else None
        ),
    )
    return {"lake": lake, "nba": nba, "duckdb": DuckDBResource(database=lake.lake().duckdb_path)}
