"""Small helpers every layer's assets and checks share: partitions in, metadata and results out."""

from __future__ import annotations

import datetime as dt

import dagster as dg
import polars as pl

from nba_lakehouse.partitions import parse_game_date
from nba_lakehouse.schemas import Table


def partition_dates(context) -> list[dt.date]:
    """The game dates a run covers: one, or a whole range under a single-run backfill."""
    return [parse_game_date(k) for k in context.partition_keys]


def table_definition_metadata(table: Table) -> dict:
    return {"dagster/column_schema": table.dagster_table_schema(), "layer": table.layer, "key": ", ".join(table.key)}


def table_result(df: pl.DataFrame, written: dict, asset_key: str | None = None) -> dg.MaterializeResult:
    metadata = {
        "dagster/row_count": df.height,
        "partitions_written": len(written),
    }
    if "game_id" in df.columns:
        metadata["games"] = df["game_id"].n_unique()
    return dg.MaterializeResult(asset_key=asset_key, metadata=metadata)


def audit_result(
    violations: pl.DataFrame, checked: int, what: str, check_name: str | None = None, asset_key: str | None = None
) -> dg.AssetCheckResult:
    """Pass when the audit found nothing; otherwise show the first offending rows."""
    metadata = {"checked": checked, "violations": violations.height}
    if violations.height:
        with pl.Config(tbl_formatting="MARKDOWN", tbl_hide_dataframe_shape=True, tbl_hide_column_data_types=True, tbl_rows=20):
            metadata["sample"] = dg.MetadataValue.md(str(violations.head(20)))
    return dg.AssetCheckResult(
        check_name=check_name,
        asset_key=asset_key,
        passed=violations.is_empty(),
        severity=dg.AssetCheckSeverity.ERROR,
        description=f"{violations.height} {what}" if violations.height else f"no {what} in {checked} checked",
        metadata=metadata,
    )
