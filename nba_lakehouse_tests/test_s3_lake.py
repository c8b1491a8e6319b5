"""The lake on S3 (a moto server on 127.0.0.1): the demo end to end, the DuckDB catalog over the
store, status and sql, identical to the local demo lake; a small file costs one request at the server."""

from __future__ import annotations

import re
from pathlib import Path

import dagster as dg
import duckdb
import polars as pl
import pyarrow.fs as pafs
import pytest

from nba_lakehouse.cli import main as cli
from nba_lakehouse.lake import DUCKDB_FILE, Lake, S3Settings, S3SettingsError
from nba_lakehouse.schemas import PLAY_BY_PLAY
from nba_lakehouse.warehouse.sandbox import RefusedQuery, run_read_only
from nba_lakehouse_tests.service_moto import moto_s3  # noqa: F401 (the session fixture)

BUCKET = "nba-lake-test"
README = Path(__file__).resolve().parent.parent / "README.md"
# Not part of the lake's tables: the local catalog, the chart, a writer's leftovers.
LOCAL_ONLY = (DUCKDB_FILE, "charts/", ".staging/")


def readme_sql() -> list[str]:
    return re.findall(r"```sql\n(.*?)```", README.read_text(encoding="utf-8"), re.DOTALL)


@pytest.fixture(scope="module")
def s3_env(moto_s3, tmp_path_factory):
    """The README's S3 settings for the moto server, and a catalog path outside the repository."""
    moto_s3.create_bucket(BUCKET)
    with pytest.MonkeyPatch.context() as patch:
        for name, value in moto_s3.env(BUCKET).items():
            patch.setenv(name, value)
        patch.setenv("NBA_DUCKDB_PATH", str(tmp_path_factory.mktemp("s3_catalog") / DUCKDB_FILE))
        patch.delenv("AWS_SESSION_TOKEN", raising=False)
        yield moto_s3


@pytest.fixture(scope="module")
def s3_demo(s3_env):
    from nba_lakehouse.demo import run_demo

    with dg.instance_for_test() as instance:
        result = run_demo(lake_root=f"s3://{BUCKET}/demo", instance=instance)
    return Lake(f"s3://{BUCKET}/demo"), result


def relative_files(lake: Lake) -> set[str]:
    info = lake.fs.get_file_info(pafs.FileSelector(lake.base, recursive=True))
    files = {i.path[len(lake.base) + 1:] for i in info if i.type == pafs.FileType.File}
    return {f for f in files if not f.startswith(LOCAL_ONLY)}


def test_the_demo_on_s3_holds_what_the_local_demo_holds(s3_demo, demo_lake, s3_env):
    lake, result = s3_demo
    local_root, local = demo_lake

    # Every file of every layer (bronze, silver, gold, checksum records), none missing, none extra.
    local_files = relative_files(Lake(str(local_root)))
    assert relative_files(lake) == local_files
    assert any(f.startswith("gold/event_state/") for f in local_files)
    # ... with no directory markers: every key in the bucket is a file the lake wrote.
    keys = [o["Key"] for page in s3_env.client().get_paginator("list_objects_v2").paginate(Bucket=BUCKET)
            for o in page.get("Contents", [])]
    assert keys and not [k for k in keys if k.endswith("/")]

    # The catalog over S3: the same rows per table and the same demo query results.
    assert Path(result.duckdb_path).is_file() and result.duckdb_path != local.duckdb_path
    assert result.tables.sort("table").equals(local.tables.sort("table"))  # UNION ALL: in any order
    assert result.tables["rows"].sum() > 0
    for name in ("games", "gold_query", "four_factors"):
        assert getattr(result, name).equals(getattr(local, name)), name
    assert result.events == local.events > 0
    assert sorted(result.checks) == sorted(local.checks)

    # The README's SQL blocks on both catalogs (each opened read-only, S3's through the lake's settings).
    queries = readme_sql()
    assert len(queries) >= 3
    with duckdb.connect(result.duckdb_path, read_only=True) as on_s3, duckdb.connect(local.duckdb_path, read_only=True) as here:
        lake.duckdb_setup(on_s3)
        answered = 0
        for query in queries:
            s3_rows, local_rows = on_s3.sql(query).fetchall(), here.sql(query).fetchall()
            # As multisets: rows tied in a block's ORDER BY (equal points) may come in either order.
            assert sorted(s3_rows, key=repr) == sorted(local_rows, key=repr), query
            answered += bool(local_rows)
        assert answered >= 3  # not all empty (the demo holds no game_issues: that block answers nothing)
        # The views read the store, not a copy.
        view = on_s3.sql("SELECT sql FROM duckdb_views() WHERE schema_name = 'gold' AND view_name = 'event_state'").fetchall()
        assert f"'{lake.uri('gold', 'event_state')}/" in view[0][0]

    # The chart is drawn from the S3 lake too.
    assert result.game_flow_png and Path(result.game_flow_png).stat().st_size > 10_000


def test_status_and_sql_on_the_s3_lake(s3_demo, demo_lake, s3_env, monkeypatch, capsys, tmp_path):
    lake, result = s3_demo
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path / "no_instance"))

    def status(root: str) -> str:
        monkeypatch.setenv("NBA_LAKE_ROOT", root)
        cli(["status", "--season", "2022-23"])  # one season: the S3 reads stay few
        out = capsys.readouterr().out.replace(root, "<lake>")
        return re.sub(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2} UTC", "<fetched at>", out)  # each run's own fetch times

    on_s3, local = status(lake.root_uri), status(str(Path(demo_lake[0]).resolve()))
    assert on_s3 == local
    assert "Lake <lake>:" in on_s3 and "silver.play_by_play" in on_s3 and "gold.event_state" in on_s3

    monkeypatch.setenv("NBA_LAKE_ROOT", lake.root_uri)
    cli(["sql", "SELECT count(*) AS n FROM gold.event_state"])
    assert re.search(rf"│ {result.events} +│", capsys.readouterr().out)



def test_the_read_only_door_on_s3_reads_the_lake_prefix_only(s3_env, tmp_path, monkeypatch):
    """The sandbox's locks on an S3 lake: a file of the lake is read through httpfs; the same file
    beside the lake in the bucket (which a connection with the bucket's secret reads) is refused,
    and so is a write into the lake."""
    monkeypatch.setenv("NBA_DUCKDB_PATH", str(tmp_path / DUCKDB_FILE))
    duckdb.connect(str(tmp_path / DUCKDB_FILE)).close()  # an empty catalog: the lake's files are read directly
    lake, beside = Lake(f"s3://{BUCKET}/door"), Lake(f"s3://{BUCKET}/door-beside")  # a prefix of the other's name
    data = pl.DataFrame({"x": [1, 2, 3]})
    for store in (lake, beside):
        with store.fs.open_output_stream(store.path("t", "part-0.parquet")) as sink:
            data.write_parquet(sink)
    inside, outside = lake.uri("t", "part-0.parquet"), beside.uri("t", "part-0.parquet")
    with duckdb.connect() as conn:
        beside.duckdb_setup(conn)
        assert conn.sql(f"SELECT sum(x) FROM '{outside}'").fetchall() == [(6,)]

    assert run_read_only(lake, f"SELECT sum(x) AS s FROM '{inside}'")[0]["s"].to_list() == [6]
    with pytest.raises(duckdb.PermissionException, match="disabled by configuration"):
        run_read_only(lake, f"SELECT sum(x) FROM '{outside}'")
    with pytest.raises(RefusedQuery, match="COPY"):
        run_read_only(lake, f"COPY (SELECT 1) TO '{lake.uri('x.parquet')}'")


def test_a_small_file_is_one_request_and_reads_back_without_markers(s3_env):
    lake = Lake(f"s3://{BUCKET}/small")
    path = lake.path("bronze", "endpoint", "season=2022-23", "month=01", "f.json.gz")
    before = len(s3_env.requests())
    lake.write_bytes(path, b"x" * 2048)
    writes = s3_env.requests()[before:]
    assert len(writes) <= 2, writes
    assert [(r.method, r.status) for r in writes] == [("PUT", 200)]
    # Listing and reading see the file through its prefixes alone.
    assert lake.list_files(lake.path("bronze", "endpoint", "season=2022-23", "month=01")) == [path]
    assert lake.read_bytes(path) == b"x" * 2048
    assert lake.fs.get_file_info(lake.path("bronze", "endpoint")).type == pafs.FileType.Directory


def test_a_first_write_of_many_partitions_is_two_puts_a_file_after_one_listing(s3_env, sample_frames):
    """The four real sample games (four dates, four seasons): one listing per season and root, then
    each file's checksum record and the file itself, with no per-file lookup; a rewrite of the same
    rows reads each record and puts the file alone (its record already accepts it)."""
    pbp = sample_frames["play_by_play"]
    files = pbp.select("season", "game_date").unique().height
    seasons = pbp["season"].n_unique()
    lake = Lake(f"s3://{BUCKET}/many")
    before = len(s3_env.requests())
    lake.write_table(PLAY_BY_PLAY, pbp)
    first = s3_env.requests()[before:]
    assert sum(r.method == "PUT" for r in first) == 2 * files, first
    assert len(first) <= 2 * files + 2 * seasons, first  # the listings: data files and records per season
    assert [r for r in first if r.status == 404] == []  # no lookup of a file or record that is not there
    before = len(s3_env.requests())
    lake.write_table(PLAY_BY_PLAY, pbp)
    again = s3_env.requests()[before:]
    assert sum(r.method == "PUT" for r in again) == files, again
    assert lake.read_table(PLAY_BY_PLAY).sort(PLAY_BY_PLAY.key).equals(PLAY_BY_PLAY.enforce(pbp).sort(PLAY_BY_PLAY.key))


def test_an_endpoint_in_the_uri_reaches_every_reader(s3_env, monkeypatch):
    """``s3://bucket/prefix?endpoint_override=host:port&scheme=http`` alone (no endpoint variable):
    pyarrow, polars and DuckDB all go to that endpoint."""
    monkeypatch.delenv("NBA_S3_ENDPOINT_URL")
    host = s3_env.endpoint.removeprefix("http://")
    lake = Lake(f"s3://{BUCKET}/uri?endpoint_override={host}&scheme=http")
    assert lake.uri("a") == f"s3://{BUCKET}/uri/a" and lake.s3.endpoint_url == s3_env.endpoint
    frame = pl.DataFrame({"x": [1, 2, 3]})
    target = lake.path("t", "part-0.parquet")
    with lake.fs.open_output_stream(target) as sink:
        frame.write_parquet(sink)
    assert pl.read_parquet(lake.uri("t", "part-0.parquet"), storage_options=lake.storage_options()).equals(frame)
    with duckdb.connect() as conn:
        lake.duckdb_setup(conn)
        assert conn.sql(f"SELECT sum(x) FROM '{lake.uri('t', 'part-0.parquet')}'").fetchall() == [(6,)]


@pytest.mark.parametrize(("env", "message"), [
    ({"NBA_S3_ENDPOINT_URL": "127.0.0.1:9000"}, "NBA_S3_ENDPOINT_URL = '127.0.0.1:9000' is not an S3 endpoint URL"),
    ({"NBA_S3_ENDPOINT_URL": "http://127.0.0.1:port"}, "NBA_S3_ENDPOINT_URL = .* has a port that is not a number"),
    ({"NBA_S3_REGION": "US East"}, "NBA_S3_REGION = 'US East' is not an S3 region"),
    ({"NBA_S3_PATH_STYLE": "maybe"}, "NBA_S3_PATH_STYLE = 'maybe' is not true or false"),
    ({"AWS_ACCESS_KEY_ID": "key"}, "AWS_ACCESS_KEY_ID is set but AWS_SECRET_ACCESS_KEY is not"),
    ({"AWS_SESSION_TOKEN": "token"}, "AWS_SESSION_TOKEN is set without AWS_ACCESS_KEY_ID"),
])
def test_bad_s3_settings_fail_in_one_line_naming_the_setting(env, message):
    with pytest.raises(S3SettingsError, match=message) as raised:
        S3Settings.from_env(env)
    assert "\n" not in str(raised.value)


def test_an_unknown_setting_in_the_lake_uri_is_named():
    with pytest.raises(S3SettingsError, match="unknown setting 'endpoint' in the URI"):
        Lake("s3://bucket-name/prefix?endpoint=http://127.0.0.1:9000")


def test_the_notebook_runs_on_the_s3_lake(s3_demo, s3_env, tmp_path, monkeypatch, python3_kernel):
    """The analysts' notebook, pointed at the S3 lake by NBA_LAKE_ROOT and the S3 settings alone."""
    import nbformat
    from nbclient import NotebookClient

    lake, result = s3_demo
    monkeypatch.setenv("NBA_LAKE_ROOT", lake.root_uri)
    monkeypatch.setenv("NOTEBOOK_OUTPUT_DIR", str(tmp_path / "out"))
    notebook = README.parent / "notebooks" / "lakehouse_tour.ipynb"
    nb = nbformat.read(notebook, as_version=4)
    NotebookClient(nb, kernel_name=python3_kernel, timeout=120, allow_errors=True,
                   resources={"metadata": {"path": str(notebook.parent)}}).execute()
    outputs = [o for cell in nb.cells if cell.cell_type == "code" for o in cell.outputs]
    assert not [f"{o.ename}: {o.evalue}" for o in outputs if o.output_type == "error"]
    assert any(f"lake: {lake.root_uri}" in o.get("text", "") for o in outputs if o.output_type == "stream")
    html = "".join(o.get("data", {}).get("text/html", "") for o in outputs)
    assert all(game_id in html for game_id in result.games["game_id"])
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == [
        "game_flow_0022200552.png", "starter_bench.png", "win_probability_0022200552.png"]
