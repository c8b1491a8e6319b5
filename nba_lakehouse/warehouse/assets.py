"""The DuckDB catalog: schemas ``silver`` and ``gold`` of views over the Parquet files."""


import dagster as dg
from dagster_duckdb import DuckDBResource

from nba_lakehouse.resources import LakeResource
from nba_lakehouse.schemas import TABLES
from nba_lakehouse.warehouse.views import view_sql

# DuckDB allows one writing process per file: every writer of the catalog runs in this pool,
# whose limit is 1 (dagster.yaml); readers open the file read-only.
DUCKDB_WRITER_POOL = "duckdb_writer"


@dg.asset(
    deps=[dg.AssetDep(name, partition_mapping=dg.AllPartitionMapping()) for name in TABLES],
    group_name="warehouse",
    kinds={"duckdb"},
    pool=DUCKDB_WRITER_POOL,
    description="DuckDB file with silver.* and gold.* views over the lake's Parquet",
)
def duckdb_catalog(lake: LakeResource, duckdb: DuckDBResource) -> dg.MaterializeResult:
    store = lake.lake()
    statements = [view_sql(store, table) for table in TABLES.values()]
    with duckdb.get_connection() as conn:
        for layer in sorted({t.layer for t in TABLES.values()}):
            conn.execute(f"CREATE SCHEMA IF NOT EXISTS {layer}")
        for sql in statements:
            conn.execute(sql)
        counts = {
            f"{t.layer}.{t.name}": conn.execute(f"SELECT count(*) FROM {t.layer}.{t.name}").fetchall()[0][0]
            for t in TABLES.values()
        }
    return dg.MaterializeResult(metadata={"database": store.duckdb_path, "rows": dg.MetadataValue.json(counts)})
