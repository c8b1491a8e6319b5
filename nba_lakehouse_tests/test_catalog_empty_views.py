"""The DuckDB catalog over a lake where some tables have no files yet.

The lake holds the sample games' silver play_by_play only; the catalog is built by the
``duckdb_catalog`` asset and read through the read-only SQL door, as ``nba-lakehouse sql`` does.
"""

import dagster as dg
import polars as pl
import pytest

from nba_lakehouse.gold.possessions import build_possessions
from nba_lakehouse.lake import Lake
from nba_lakehouse.resources import build_resources
from nba_lakehouse.schemas import PLAY_BY_PLAY, POSSESSIONS, TABLES
from nba_lakehouse.silver.games import game_outcomes
from nba_lakehouse.warehouse.assets import duckdb_catalog
from nba_lakehouse.warehouse.sandbox import run_read_only
from nba_lakehouse.warehouse.views import duckdb_type

QUIET = {"loggers": {"console": {"config": {"log_level": "WARNING"}}}}


def build_catalog(root: str) -> dict[str, int]:
    """Materialize the catalog asset on the lake; its row counts per view."""
    resources = build_resources(lake_root=root, mode="replay")
    with dg.instance_for_test() as instance:
        result = dg.materialize([duckdb_catalog], resources={k: resources[k] for k in ("lake", "duckdb")},
                                instance=instance, run_config=QUIET)
    (materialization,) = result.asset_materializations_for_node("duckdb_catalog")
    counts = materialization.metadata["rows"].value
    assert isinstance(counts, dict)
    return counts


@pytest.fixture
def lake_without_gold(tmp_path, sample_frames) -> Lake:
    lake = Lake(str(tmp_path / "lake"))
    pbp = sample_frames["play_by_play"]
    lake.write_table(PLAY_BY_PLAY, pbp, dates=pbp["game_date"].unique().to_list())
    assert not lake.partition_files(POSSESSIONS)
    return lake


def sql(lake: Lake, query: str) -> pl.DataFrame:
    (result,) = run_read_only(lake, query)
    return result


def test_a_table_without_files_is_a_typed_empty_view_with_the_declared_columns(lake_without_gold, sample_frames):
    counts = build_catalog(lake_without_gold.root_uri)
    assert counts["silver.play_by_play"] == sample_frames["play_by_play"].height
    assert counts["gold.possessions"] == 0
    # Every declared table has a view; the empty ones count no rows.
    assert set(counts) == {f"{t.layer}.{t.name}" for t in TABLES.values()}
    assert {name for name, n in counts.items() if n} == {"silver.play_by_play"}

    described = sql(lake_without_gold, "DESCRIBE gold.possessions")
    assert described["column_name"].to_list() == POSSESSIONS.column_names
    assert described["column_type"].to_list() == [duckdb_type(c.dtype) for c in POSSESSIONS.columns]
    rows = sql(lake_without_gold, "SELECT * FROM gold.possessions")
    assert rows.is_empty() and rows.columns == POSSESSIONS.column_names
    # Typed, not all-null columns: it joins and aggregates like the filled view will.
    joined = sql(lake_without_gold, "SELECT count(*) AS n, sum(p.points) AS points FROM gold.possessions p "
                                    "JOIN silver.play_by_play e ON e.game_id = p.game_id")
    assert joined.row(0) == (0, None)


def test_rebuilding_the_catalog_after_the_first_files_shows_them(lake_without_gold, sample_frames):
    build_catalog(lake_without_gold.root_uri)
    pbp = sample_frames["play_by_play"]
    possessions = POSSESSIONS.enforce(build_possessions(pbp, game_outcomes(sample_frames["box_score_teams"], pbp)))
    lake_without_gold.write_table(POSSESSIONS, possessions, dates=possessions["game_date"].unique().to_list())
    assert build_catalog(lake_without_gold.root_uri)["gold.possessions"] == possessions.height
    read = sql(lake_without_gold, "SELECT * FROM gold.possessions")
    assert read.sort("game_id", "possession_number").equals(
        possessions.sort("game_id", "possession_number").cast(read.schema))
