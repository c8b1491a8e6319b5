"""Every path and every byte the lakehouse stores goes through this module.

The lake root is a local directory (``data/`` by default) or an object-store URI such as
``s3://bucket/prefix``: pyarrow's filesystem layer handles both, so moving the lake off one
machine is a change of ``NBA_LAKE_ROOT``, not of code.

Layout under the root::

    bronze/<endpoint>/season=2022-23/month=01/<game_date>_<game_id>.json.gz   raw response
    bronze/<endpoint>/season=2022-23/month=01/<game_date>_<game_id>.manifest.json
    silver/<table>/season=2022-23/game_date=2023-01-02/part-0.parquet
    gold/<table>/season=2022-23/[game_date=.../]part-0.parquet
    lakehouse.duckdb                                                          views over the Parquet
"""

from __future__ import annotations

import datetime as dt
import os
import uuid
from collections.abc import Iterable, Sequence
from pathlib import Path

import polars as pl
import pyarrow as pa
import pyarrow.dataset as pads
import pyarrow.fs as pafs
import pyarrow.parquet as pq

from nba_lakehouse.partitions import seasons_possibly_containing
from nba_lakehouse.schemas import Table

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_LAKE_ROOT = str(PROJECT_ROOT / "data")
DEFAULT_REPLAY_DIR = str(PROJECT_ROOT / "data" / "replay")
DUCKDB_FILE = "lakehouse.duckdb"
PART_FILE = "part-0.parquet"


def lake_root_from_env() -> str:
    return os.environ.get("NBA_LAKE_ROOT", DEFAULT_LAKE_ROOT)


class Lake:
    """A lake root and the operations the layers need on it."""

    def __init__(self, root: str):
        self.root_uri = root
        if "://" in root:
            self.fs, base = pafs.FileSystem.from_uri(root)
        else:
            self.fs, base = pafs.LocalFileSystem(), str(Path(root).resolve())
        self.base = base.rstrip("/")
        self.is_local = isinstance(self.fs, pafs.LocalFileSystem)

    # ------------------------------------------------------------------ paths
    def path(self, *parts: str) -> str:
        return "/".join([self.base, *parts])

    def uri(self, *parts: str) -> str:
        """A path other tools (DuckDB, polars) can open directly."""
        if self.is_local:
            return self.path(*parts)
        scheme = self.root_uri.split("://", 1)[0]
        return f"{scheme}://{self.path(*parts)}"

    @property
    def duckdb_path(self) -> str:
        if not self.is_local:
            # DuckDB needs a local file for its catalog; the views inside still point at the store.
            return os.environ.get("NBA_DUCKDB_PATH", str(PROJECT_ROOT / "data" / DUCKDB_FILE))
        return self.path(DUCKDB_FILE)

    # ------------------------------------------------------------- raw bytes
    def exists(self, path: str) -> bool:
        return self.fs.get_file_info(path).type == pafs.FileType.File

    # compression=None everywhere: pyarrow would otherwise gzip a second time by the .gz suffix.
    def read_bytes(self, path: str) -> bytes:
        with self.fs.open_input_stream(path, compression=None) as f:
            return f.read()

    def write_bytes(self, path: str, data: bytes) -> None:
        """Write so that a reader sees the old file or the whole new one, never a torn one."""
        parent = path.rsplit("/", 1)[0]
        self.fs.create_dir(parent, recursive=True)
        if self.is_local:
            tmp = f"{parent}/.tmp-{uuid.uuid4().hex}-{path.rsplit('/', 1)[1]}"
            try:
                with self.fs.open_output_stream(tmp, compression=None) as f:
                    f.write(data)
                os.replace(tmp, path)  # atomic rename on POSIX
            finally:
                if self.exists(tmp):
                    self.fs.delete_file(tmp)
        else:
            # An object PUT is atomic by itself; a rename would be a copy.
            with self.fs.open_output_stream(path, compression=None) as f:
                f.write(data)

    def list_files(self, directory: str) -> list[str]:
        """Files directly in ``directory`` (no recursion); empty when it does not exist."""
        info = self.fs.get_file_info(pafs.FileSelector(directory, allow_not_found=True))
        return sorted(i.path for i in info if i.type == pafs.FileType.File and not i.base_name.startswith("."))

    def delete_file(self, path: str) -> None:
        if self.exists(path):
            self.fs.delete_file(path)

    # ---------------------------------------------------------------- bronze
    def bronze_dir(self, endpoint: str, season: str, month: int | None) -> str:
        parts = ["bronze", endpoint, f"season={season}"]
        if month is not None:
            parts.append(f"month={month:02d}")
        return self.path(*parts)

    # ---------------------------------------------------------------- tables
    def table_dir(self, table: Table) -> str:
        return self.path(table.layer, table.name)

    def partition_dir(self, table: Table, values: Sequence[str]) -> str:
        parts = [f"{col}={val}" for col, val in zip(table.partition_by, values, strict=True)]
        return self.path(table.layer, table.name, *parts)

    def write_table(
        self,
        table: Table,
        df: pl.DataFrame,
        dates: Iterable[dt.date] = (),
        seasons: Iterable[str] = (),
    ) -> dict[tuple[str, ...], int]:
        """Write ``df`` as one Parquet file per hive partition, after enforcing the table's schema.

        ``dates`` (for tables by season and game date) or ``seasons`` (for tables by season) name
        the partitions this write owns: any of them ``df`` has no rows for is emptied, so a
        re-run that finds fewer games leaves nothing stale behind. Each file is replaced
        atomically. Returns ``{partition values: rows}`` of what was written.
        """
        df = table.enforce(df)
        written: dict[tuple[str, ...], int] = {}
        keys = list(table.partition_by)
        if not keys:  # reference tables are one file, always rewritten whole
            self._write_parquet(self.table_dir(table), df)
            return {(): df.height}
        if df.height:
            for values, part in df.partition_by(keys, as_dict=True, maintain_order=True).items():
                str_values = tuple(_partition_value(v) for v in values)
                self._write_parquet(self.partition_dir(table, str_values), part.drop(keys))
                written[str_values] = part.height
        owned = [(s,) for s in seasons] + [
            (season, d.isoformat()) for d in dates for season in seasons_possibly_containing(d)
        ]
        for values in owned:
            if len(values) == len(keys) and values not in written:
                self.delete_file(f"{self.partition_dir(table, values)}/{PART_FILE}")
        if seasons and len(keys) > 1:
            # A whole-season write of a (season, game_date) table owns every date folder in it.
            for path in self.partition_files(table, seasons):
                if self._partition_values(table, path) not in written:
                    self.delete_file(path)
        return written

    def _partition_values(self, table: Table, path: str) -> tuple[str, ...]:
        folders = path[len(self.table_dir(table)):].strip("/").split("/")[:-1]
        return tuple(folder.split("=", 1)[1] for folder in folders)

    def _write_parquet(self, directory: str, df: pl.DataFrame) -> None:
        arrow = df.to_arrow(compat_level=pl.CompatLevel.oldest())
        sink = pa.BufferOutputStream()
        pq.write_table(arrow, sink, compression="zstd")
        self.write_bytes(f"{directory}/{PART_FILE}", sink.getvalue().to_pybytes())

    def partition_files(self, table: Table, seasons: Iterable[str] | None = None) -> list[str]:
        roots = [self.table_dir(table)] if seasons is None else [
            self.path(table.layer, table.name, f"season={s}") for s in seasons
        ]
        files: list[str] = []
        for root in roots:
            info = self.fs.get_file_info(pafs.FileSelector(root, recursive=True, allow_not_found=True))
            files += [i.path for i in info if i.type == pafs.FileType.File and i.base_name == PART_FILE]
        return sorted(files)

    def read_table(
        self,
        table: Table,
        seasons: Iterable[str] | None = None,
        game_dates: Iterable[dt.date | str] | None = None,
        columns: Sequence[str] | None = None,
    ) -> pl.DataFrame:
        """Read a table (or some seasons / dates / columns of it) with the declared column types.

        Date reads look up each date's partition path directly rather than listing the table,
        which keeps them cheap on object stores.
        """
        if game_dates is not None and "game_date" in table.partition_by:
            dates = [d if isinstance(d, dt.date) else dt.date.fromisoformat(d) for d in game_dates]
            candidates = {
                (season, d.isoformat()) for d in dates for season in seasons_possibly_containing(d)
                if seasons is None or season in seasons
            }
            files = [
                path for values in sorted(candidates)
                if self.exists(path := f"{self.partition_dir(table, values)}/{PART_FILE}")
            ]
        else:
            files = self.partition_files(table, seasons)
        if not files:
            return table.empty().select(columns) if columns else table.empty()
        partitioning = pads.partitioning(
            pa.schema([(c, table.arrow_type(c)) for c in table.partition_by]), flavor="hive"
        ) if table.partition_by else None
        dataset = pads.dataset(
            files, filesystem=self.fs, format="parquet", partitioning=partitioning,
            partition_base_dir=self.table_dir(table),
        )
        if columns:
            return table.cast(pl.from_arrow(dataset.to_table(columns=list(columns))))
        return table.enforce(pl.from_arrow(dataset.to_table()))

    def table_glob(self, table: Table) -> str:
        depth = ["*" for _ in table.partition_by]
        return self.uri(table.layer, table.name, *depth, PART_FILE)


def _partition_value(value) -> str:
    return value.isoformat() if isinstance(value, dt.date) else str(value)
