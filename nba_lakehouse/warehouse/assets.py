"""The DuckDB catalog: schemas ``silver`` and ``gold`` of views over the Parquet files."""

from pathlib import Path

import dagster as dg
from dagster_duckdb import DuckDBResource

from nba_lakehouse.lake import Lake, atomic_path
from nba_lakehouse.resources import LakeResource
from nba_lakehouse.schemas import TABLES
from nba_lakehouse.warehouse.views import view_sql

# DuckDB allows one writing process per file, and not even that while another process holds it
# open read-only. The catalog holds only views, so it is rebuilt in a new file and renamed over
# the old one: readers keep their open file, nobody waits on a lock. Writers still share one
# pool of limit 1 (dagster.yaml) so refreshes do not race.
DUCKDB_WRITER_POOL = "duckdb_writer"

# A view over a glob keeps up with new files by itself, but a table with no files gets an empty
# typed view (DuckDB cannot bind a glob that matches nothing), which stays empty until the
# catalog is rebuilt. So the catalog follows its tables: rebuilt (views only) once a table it
# reads was updated and nothing upstream is still running. Most rebuilds change no view, only
# the row counts; the one that matters is after a table's first files.
CATALOG_FOLLOWS_TABLES = (
    dg.AutomationCondition.any_deps_updated().since_last_handled()
    & ~dg.AutomationCondition.any_deps_in_progress()
    & ~dg.AutomationCondition.in_progress()
).with_label("rebuild once a table was updated and nothing upstream runs")


@dg.asset(
    deps=[dg.AssetDep(name, partition_mapping=dg.AllPartitionMapping()) for name in TABLES],
    group_name="warehouse",
    kinds={"duckdb"},
    pool=DUCKDB_WRITER_POOL,
    automation_condition=CATALOG_FOLLOWS_TABLES,
    description="DuckDB file with silver.* and gold.* views over the lake's Parquet",
)
def duckdb_catalog(lake: LakeResource, duckdb: DuckDBResource) -> dg.MaterializeResult:
    store = lake.lake()
    statements = [view_sql(store, table) for table in TABLES.values()]
    target = Path(duckdb.database)
    target.parent.mkdir(parents=True, exist_ok=True)
    with atomic_path(target, sidecars=[".wal"]) as staging:
        counts = _build_catalog(duckdb.model_copy(update={"database": staging}), store, statements)
    return dg.MaterializeResult(metadata={"database": str(target), "rows": dg.MetadataValue.json(counts)})


def _build_catalog(duckdb: DuckDBResource, store: Lake, statements: list[str]) -> dict[str, int]:
    with duckdb.get_connection() as conn:
        store.duckdb_setup(conn)  # an S3 lake: httpfs and a temporary secret, never stored in the file
        for layer in sorted({t.layer for t in TABLES.values()}):
            conn.execute(f"CREATE SCHEMA IF NOT EXISTS {layer}")
        for sql in statements:
            conn.execute(sql)
        return {
            f"{t.layer}.{t.name}": conn.execute(f"SELECT count(*) FROM {t.layer}.{t.name}").fetchall()[0][0]
            for t in TABLES.values()
        }
