"""What a table declaration is (``Column``, ``Table``) and the rules every write is checked against.

``Table.check_write`` is what ``Lake.write_table`` runs before anything reaches Parquet:
``enforce`` (declared columns and types, non-nullable columns), the table's ``key`` and each
column's ``rule``; readers and parsers use ``enforce`` and ``cast`` alone. No Dagster here: the Dagster
column metadata is built from these declarations in ``nba_lakehouse.wiring``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import polars as pl
import pyarrow as pa


class SchemaError(ValueError):
    """A frame does not match its table's declared schema."""


@dataclass(frozen=True)
class Column:
    name: str
    # pl.Int32 (the class) and pl.Datetime("us", "UTC") (an instance) both name a type.
    dtype: pl.DataType | type[pl.DataType]
    description: str
    nullable: bool = True
    source: str = ""  # the raw fields it is parsed from, for the data dictionary
    # A polars expression every non-null value must satisfy (checked on write, vectorized).
    rule: pl.Expr | None = field(default=None, compare=False)


@dataclass(frozen=True)
class Table:
    name: str
    layer: str
    description: str
    columns: tuple[Column, ...]
    partition_by: tuple[str, ...]
    key: tuple[str, ...]
    column_index: dict[str, Column] = field(init=False, repr=False, compare=False)

    def __post_init__(self):
        object.__setattr__(self, "column_index", {c.name: c for c in self.columns})
        unknown = [c for c in (*self.partition_by, *self.key) if c not in self.column_index]
        if unknown:
            raise SchemaError(f"table {self.name}: partition/key columns {unknown} are not declared")

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]

    @property
    def polars_schema(self) -> pl.Schema:
        return pl.Schema({c.name: c.dtype for c in self.columns})

    def arrow_type(self, column: str) -> pa.DataType:
        return pl.DataFrame(schema={column: self.column_index[column].dtype}).to_arrow(
            compat_level=pl.CompatLevel.oldest()
        ).schema.field(column).type

    def cast(self, df: pl.DataFrame) -> pl.DataFrame:
        """Cast the declared columns ``df`` has to their declared types, in declared order.

        Partial frames are welcome (parsers produce rows without the partition columns); columns
        the table does not declare are kept at the end for ``enforce`` to reject.
        """
        declared = [c for c in self.column_names if c in df.columns]
        undeclared = [c for c in df.columns if c not in self.column_index]
        return df.select(declared + undeclared).cast({c: self.column_index[c].dtype for c in declared})

    def empty(self) -> pl.DataFrame:
        return pl.DataFrame(schema=self.polars_schema)

    def enforce(self, df: pl.DataFrame) -> pl.DataFrame:
        """Return ``df`` with exactly the declared columns, in order, cast to the declared types.

        Missing or undeclared columns, failed casts and nulls in non-nullable columns raise a
        ``SchemaError`` naming the table and the columns.
        """
        missing = [c for c in self.column_names if c not in df.columns]
        extra = [c for c in df.columns if c not in self.column_index]
        if missing or extra:
            raise SchemaError(
                f"table {self.layer}.{self.name}: missing columns {missing}, undeclared columns {extra}"
            )
        schema = df.schema
        if df.columns == self.column_names and all(schema[c.name].is_(c.dtype) for c in self.columns):
            out = df  # already the declared columns, order and exact types: no query to run
        else:
            try:
                out = df.select(pl.col(c.name).cast(c.dtype, strict=True) for c in self.columns)
            except pl.exceptions.PolarsError as exc:
                raise SchemaError(f"table {self.layer}.{self.name}: cannot cast to declared types: {exc}") from exc
        required = [c.name for c in self.columns if not c.nullable]
        if required and out.height:
            # (A column's null count is kept with it: reading it runs no query.)
            nulls = {c: out.get_column(c).null_count() for c in required}
            bad = {k: v for k, v in nulls.items() if v}
            if bad:
                raise SchemaError(f"table {self.layer}.{self.name}: nulls in non-nullable columns {bad}")
        return out

    def check_key(self, df: pl.DataFrame) -> None:
        """Refuse a frame whose declared key has nulls or repeats: one row per key is the contract."""
        if not self.key or not df.height:
            return
        key = list(self.key)
        null_keys = df.select(key).filter(pl.any_horizontal(pl.col(key).is_null()))
        if null_keys.height:
            raise SchemaError(f"table {self.layer}.{self.name}: {null_keys.height} rows with a null in key {key}, "
                              f"e.g. {null_keys.row(0, named=True)}")
        # Screened on one 64-bit hash per row (a season's string keys hashed as rows take ~100 MB,
        # the hashes a third of that); only a repeated hash pays for the exact check.
        if not df.select(pl.struct(key).hash().is_duplicated().any()).item():
            return
        repeated = df.select(key).filter(pl.struct(key).is_duplicated())
        if repeated.height:
            raise SchemaError(f"table {self.layer}.{self.name}: {repeated.height} rows share their key {key} "
                              f"with another row, e.g. {repeated.row(0, named=True)}")

    def check_rules(self, df: pl.DataFrame) -> None:
        """Refuse a frame where a column breaks its declared rule (nulls are the nullable flag's business)."""
        rules = {c.name: c.rule for c in self.columns if c.rule is not None}
        if not rules or not df.height:
            return
        broken = df.select((~rule).fill_null(False).sum().alias(name) for name, rule in rules.items()).row(0, named=True)
        for name, rule in rules.items():
            if broken[name]:
                example = df.filter((~rule).fill_null(False)).get_column(name)[0]
                raise SchemaError(f"table {self.layer}.{self.name}: column {name} breaks its rule {rule} "
                                  f"in {broken[name]} rows, e.g. {example!r}")

    def check_write(self, df: pl.DataFrame) -> pl.DataFrame:
        """``enforce`` plus the key and the column rules: what every write must pass."""
        out = self.enforce(df)
        self.check_key(out)
        self.check_rules(out)
        return out


# Column helpers shared by many tables ------------------------------------------------------
def season_column(source: str = "derived: per-game rows: game id digits 4-5 (season start year), e.g. 0022200552 -> 2022-23; "
                          "season-level endpoints: the requested Season") -> Column:
    return Column("season", pl.String, "NBA season, e.g. 2022-23 (hive partition)", nullable=False, source=source)


def game_date_column(source: str = "bronze manifest game_date (the game-date partition the game's response was archived under)") -> Column:
    return Column("game_date", pl.Date, "Game date, US Eastern (hive partition)", nullable=False, source=source)


def game_id_column(source: str = "GAME_ID (stats API result sets) / gameId (V3, CDN); else the requested GameID") -> Column:
    return Column("game_id", pl.String, "NBA game id, 10 digits, e.g. 0022200552", nullable=False, source=source)


def source_column() -> Column:
    return Column("source", pl.String, "Feed the row was parsed from: v2, v3 or cdn", nullable=False,
                  source="bronze manifest feed (the endpoint the game's response came from)")
