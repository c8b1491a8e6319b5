"""Resources, chosen per environment from environment variables.

``NBA_LAKEHOUSE_MODE`` = ``replay`` (default: recorded responses, no network) or ``live``;
``NBA_LAKE_ROOT`` = the lake root (default ``data/``; an ``s3://bucket/prefix`` URI works too, with
the S3 settings of ``nba_lakehouse.lake.S3Settings``: ``NBA_S3_ENDPOINT_URL``, ``NBA_S3_REGION``,
``NBA_S3_PATH_STYLE`` and the AWS SDK's ``AWS_ACCESS_KEY_ID`` / ``AWS_SECRET_ACCESS_KEY`` /
``AWS_SESSION_TOKEN``, the credentials given to the resource as ``dg.EnvVar``);
``NBA_REPLAY_DIR`` = where recorded responses live (default ``data/replay``);
``NBA_PROXY_URL`` = a proxy for live requests, credentials included (read by Dagster at run time
through ``dg.EnvVar``, so it never enters the run config);
``NBA_RATE_LIMIT_REDIS_URL`` = redis holding the request spacing for every machine (unset: a
locked file per host in ``NBA_THROTTLE_DIR`` for every process of this machine). The executor
(``NBA_CELERY_BROKER_URL``) is chosen in ``definitions.build_executor``.
"""

from __future__ import annotations

import os
from typing import Literal, cast

import dagster as dg
from dagster_duckdb import DuckDBResource
from pydantic import Field

from nba_lakehouse.lake import DEFAULT_REPLAY_DIR, Lake, S3Settings, lake_root_from_env
from nba_lakehouse.sources.client import NBAClient


class LakeResource(dg.ConfigurableResource):
    """Where the lake lives; all reads and writes go through ``Lake``.

    The ``s3_*`` fields are an S3 lake's settings (None: from the environment, see ``S3Settings``);
    give the credentials as ``dg.EnvVar`` so their values never enter the run config.
    """

    root: str = Field(default_factory=lake_root_from_env, description="Lake root: a directory or s3://bucket/prefix")
    s3_endpoint_url: str | None = Field(default=None, description="S3 endpoint, e.g. http://127.0.0.1:9000 (None: AWS)")
    s3_region: str | None = Field(default=None, description="S3 region (None: us-east-1)")
    s3_path_style: bool | None = Field(default=None, description="path-style addressing (None: when an endpoint is given)")
    s3_access_key_id: str | None = Field(default=None, description="give as dg.EnvVar('AWS_ACCESS_KEY_ID')")
    s3_secret_access_key: str | None = Field(default=None, description="give as dg.EnvVar('AWS_SECRET_ACCESS_KEY')")
    s3_session_token: str | None = Field(default=None, description="give as dg.EnvVar('AWS_SESSION_TOKEN')")

    def s3_settings(self) -> S3Settings:
        values = {"endpoint_url": self.s3_endpoint_url, "region": self.s3_region, "path_style": self.s3_path_style,
                  "access_key_id": self.s3_access_key_id, "secret_access_key": self.s3_secret_access_key,
                  "session_token": self.s3_session_token}
        # Inside a run Dagster has resolved each dg.EnvVar to its value; a resource used directly
        # (the demo, the CLI) still holds the EnvVar itself: read it now.
        sources = {k: v.env_var_name if isinstance(v, dg.EnvVar) else f"LakeResource.s3_{k}"
                   for k, v in values.items() if v is not None}
        given = {k: v.get_value() if isinstance(v, dg.EnvVar) else v for k, v in values.items() if v is not None}
        return S3Settings.from_env().merged(given, sources)  # a field left None: from the environment

    def lake(self) -> Lake:
        return Lake(self.root, self.s3_settings() if self.root.startswith("s3://") else None)


def lake_resource(lake_root: str | None = None) -> LakeResource:
    """The lake resource with its S3 settings from the environment: plain values for the
    endpoint, region and path style, ``dg.EnvVar`` for the credentials (read when the run starts)."""
    root = lake_root or lake_root_from_env()
    if not root.startswith("s3://"):  # a local lake ignores the S3 variables, whatever they hold
        return LakeResource(root=root)
    env = S3Settings.from_env()  # checks every setting now: a bad one fails here, named
    secret = {name: dg.EnvVar(name) if os.environ.get(name) else None
              for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN")}
    return LakeResource(
        root=root, s3_endpoint_url=env.endpoint_url, s3_region=env.region,
        s3_path_style=env.path_style, s3_access_key_id=secret["AWS_ACCESS_KEY_ID"],
        s3_secret_access_key=secret["AWS_SECRET_ACCESS_KEY"], s3_session_token=secret["AWS_SESSION_TOKEN"],
    )


def build_resources(lake_root: str | None = None, mode: str | None = None, replay_dir: str | None = None) -> dict:
    mode = mode or os.environ.get("NBA_LAKEHOUSE_MODE", "replay")
    if mode not in ("replay", "live"):
        raise ValueError(f"mode (NBA_LAKEHOUSE_MODE) must be 'replay' or 'live', not {mode!r}")
    lake = lake_resource(lake_root)
    nba = NBAClient(
        mode=cast(Literal["replay", "live"], mode),  # checked just above
        replay_dir=replay_dir or os.environ.get("NBA_REPLAY_DIR", DEFAULT_REPLAY_DIR),
        proxy_url=dg.EnvVar("NBA_PROXY_URL") if os.environ.get("NBA_PROXY_URL") else None,
        # Read at run time like the proxy: a password in the URL never enters the run config.
        rate_limit_redis_url=(
            dg.EnvVar("NBA_RATE_LIMIT_REDIS_URL") if os.environ.get("NBA_RATE_LIMIT_REDIS_URL") else None
        ),
    )
    return {"lake": lake, "nba": nba, "duckdb": DuckDBResource(database=lake.lake().duckdb_path)}
