"""No secret reaches anything the project writes: a live run with planted secrets, then a grep.

Planted: a password in the stats and CDN base URLs and a proxy password (both given as
environment variables through ``dg.EnvVar``), a header token (``secret_headers``: the header's
environment variable), all through the run config as a user launching from the UI gives them.
The fake NBA doubles as the proxy (it answers the absolute URLs a client sends a proxy), so the
run really goes through the proxy to a host name that does not resolve. Both box score feeds answer HTTP 400
with a body that echoes the token (as a server echoing the request's headers would), so the token
is in the error messages the run records (the manifest's feed failures, the held-back game's detail). Then every file under the lake and under ``DAGSTER_HOME``
(run storage, event logs, compute logs; gzip bodies decompressed) and the run's console output are
searched for each secret.
"""

from __future__ import annotations

import base64
import gzip
import shutil
from pathlib import Path

import dagster as dg
import polars as pl

from nba_lakehouse.definitions import all_assets, all_checks, per_game_date
from nba_lakehouse.lake import PROJECT_ROOT, Lake
from nba_lakehouse.resources import build_resources
from nba_lakehouse.schemas import GAME_ISSUES
from nba_lakehouse.sources.client import NBAClient
from nba_lakehouse_tests.fake_nba import status

TOKEN = "tok-5b1e-planted-header-secret"
URL_PASSWORD = "pw-8c2d-planted-url-secret"
PROXY_PASSWORD = "px-41f7-planted-proxy-secret"
SECRETS = (TOKEN, URL_PASSWORD, PROXY_PASSWORD)
DATE, GAME = "2023-01-02", "0022200552"


def written_texts(root: Path) -> dict[str, bytes]:
    """Every file's bytes; gzip decompressed, Parquet as its raw bytes (metadata) plus its rows as
    JSON lines (values are compressed inside the file)."""
    found = {}
    for path in root.rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            if path.name.endswith(".gz"):
                data = gzip.decompress(data)
            elif path.name.endswith(".parquet"):
                data += pl.read_parquet(path).write_ndjson().encode()
            found[str(path)] = data
    return found


def test_no_planted_secret_is_written_anywhere(tmp_path, fake_nba, monkeypatch, capfd):
    host = "stats-nba.invalid"  # reached only through the proxy
    monkeypatch.setenv("NBA_TEST_TOKEN", TOKEN)
    monkeypatch.setenv("NBA_TEST_STATS_URL", f"http://reader:{URL_PASSWORD}@{host}/stats")
    monkeypatch.setenv("NBA_TEST_CDN_URL", f"http://reader:{URL_PASSWORD}@{host}/cdn")
    monkeypatch.setenv("NBA_TEST_PROXY", f"http://proxyuser:{PROXY_PASSWORD}@127.0.0.1:{fake_nba.server_address[1]}")
    home = tmp_path / "home"
    home.mkdir()
    shutil.copy(PROJECT_ROOT / "dagster.yaml", home / "dagster.yaml")
    for box_score in ("/stats/boxscoretraditionalv3", "/stats/boxscoretraditionalv2"):
        fake_nba.fault(box_score, status(400, f'{{"Message": "bad request, token {TOKEN}"}}'.encode()), times=None)
    run_config = {"resources": {"nba": {"config": {
        "mode": "live", "stats_base_url": {"env": "NBA_TEST_STATS_URL"}, "cdn_base_url": {"env": "NBA_TEST_CDN_URL"},
        "proxy_url": {"env": "NBA_TEST_PROXY"}, "secret_headers": {"X-Api-Key": "NBA_TEST_TOKEN"},
        "min_interval_s": 0.0, "jitter_s": 0.0, "max_retries": 1, "backoff_base_s": 0.05,
    }}}}
    with dg.DagsterInstance.from_config(str(home)) as instance:
        result = dg.materialize(
            [*all_assets, *all_checks], selection=per_game_date, partition_key=DATE, instance=instance,
            resources={**build_resources(lake_root=str(tmp_path / "lake")), "nba": NBAClient.configure_at_launch()},
            run_config=run_config, raise_on_error=False,
        )
    console = capfd.readouterr()

    # The secrets were used: the run went through the proxy, with the token, to the planted host.
    seen = fake_nba.seen
    assert seen and all(s.headers.get("X-Api-Key") == TOKEN for s in seen)
    proxy_auth = "Basic " + base64.b64encode(f"proxyuser:{PROXY_PASSWORD}".encode()).decode()
    assert all(s.headers.get("Proxy-Authorization") == proxy_auth for s in seen)
    assert {s.headers.get("Host") for s in seen} == {host}
    # The play-by-play is published; the refused box score is held back with its (redacted) reason.
    assert (tmp_path / "lake" / "silver" / "play_by_play").exists()
    issues = Lake(str(tmp_path / "lake")).read_table(GAME_ISSUES, game_dates=[DATE])
    refused = issues.filter(pl.col("recorded_by") == "bronze_box_score")
    assert refused["rule"].to_list() == ["http_error"] and "HTTP 400" in refused["detail"][0]

    leaks = [
        f"{secret} in {where}"
        for where, data in {**written_texts(tmp_path / "lake"), **written_texts(home),
                            "the console": (console.out + console.err).encode()}.items()
        for secret in SECRETS if secret.encode() in data
    ]
    assert not leaks, leaks
    assert any(result.run_id.encode() in data for data in written_texts(home).values())  # its storage was searched
