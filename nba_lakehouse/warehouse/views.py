"""DuckDB views over the lake's Parquet, generated from the declared schemas."""

from __future__ import annotations

import polars as pl
from polars.datatypes import DataTypeClass

from nba_lakehouse.lake import Lake
from nba_lakehouse.schemas import Table

DUCKDB_TYPES = {
    pl.String: "VARCHAR", pl.Int64: "BIGINT", pl.Int32: "INTEGER", pl.Int16: "SMALLINT",
    pl.Int8: "TINYINT", pl.Float64: "DOUBLE", pl.Boolean: "BOOLEAN", pl.Date: "DATE",
}


def duckdb_type(dtype: pl.DataType | DataTypeClass) -> str:  # a List's inner type may be a class
    if isinstance(dtype, pl.Datetime):
        return "TIMESTAMPTZ" if dtype.time_zone else "TIMESTAMP"
    if isinstance(dtype, pl.List):
        return f"{duckdb_type(dtype.inner)}[]"
    for polars_type, name in DUCKDB_TYPES.items():
        if dtype == polars_type:
            return name
    raise ValueError(f"no DuckDB type declared for polars type {dtype}")


def view_sql(lake: Lake, table: Table) -> str:
    """``CREATE OR REPLACE VIEW`` for a table: over its files, or empty but typed when it has none.

    DuckDB cannot bind a glob that matches nothing, so an empty table's view cannot wait for its
    files: the catalog's next build replaces it, which the catalog's automation starts once the
    table is updated (warehouse/assets.py).
    """
    columns = ", ".join(f'CAST("{c.name}" AS {duckdb_type(c.dtype)}) AS "{c.name}"' for c in table.columns)
    if lake.partition_files(table):
        source = f"read_parquet('{lake.table_glob(table)}', hive_partitioning = true, union_by_name = true)"
        return f'CREATE OR REPLACE VIEW {table.layer}.{table.name} AS SELECT {columns} FROM {source}'
    nulls = ", ".join(f'CAST(NULL AS {duckdb_type(c.dtype)}) AS "{c.name}"' for c in table.columns)
    return f"CREATE OR REPLACE VIEW {table.layer}.{table.name} AS SELECT {nulls} WHERE false"
