"""Polars idioms the layers share."""

from __future__ import annotations

import polars as pl


def with_values_per_distinct(frame: pl.DataFrame, column: str, values: dict[str, pl.Expr]) -> pl.DataFrame:
    """``frame`` with ``values`` (expressions of ``column`` alone) added, each worked out once per
    distinct value of ``column`` and joined back. Pays where the expression is a chain of regular
    expressions over a column that repeats few values: a season's ~600k events hold some 450
    player names and 1,300 clock strings."""
    table = frame.select(pl.col(column).unique()).with_columns(**values)
    return frame.join(table, on=column, how="left", nulls_equal=True, maintain_order="left")
