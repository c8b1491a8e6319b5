"""Every path and every byte the lakehouse stores goes through this module.

The lake root is a local directory (``data/`` by default) or an object-store URI such as
``s3://bucket/prefix``: pyarrow's filesystem layer handles both, so moving the lake off one
machine is a change of ``NBA_LAKE_ROOT``, not of code. An S3 lake's endpoint, region, path-style
addressing and credentials are ``S3Settings`` (from the environment, or the URI's query), and
every other reader gets them from here: DuckDB through ``Lake.duckdb_setup`` (httpfs loaded from
its pinned wheel, a temporary secret), polars through ``Lake.storage_options``. On S3 nothing is
written for a folder and a small file is one PutObject.

Layout under the root::

    bronze/<endpoint>/season=2022-23/month=01/<game_date>_<game_id>.<sha16>.json.gz   raw response
    bronze/<endpoint>/season=2022-23/month=01/<game_date>_<game_id>.manifest.json
    silver/<table>/season=2022-23/game_date=2023-01-02/part-0.parquet
    gold/<table>/season=2022-23/[game_date=.../]part-0.parquet
    lakehouse.duckdb                                                          views over the Parquet
    _checksums/silver/<table>/season=2022-23/game_date=2023-01-02/part-0.parquet.json
                                                                              what each Parquet file must hash to
    .staging/<hostname>-<pid>/                                                local writes in progress

A local write is staged in the writing process's own folder under ``.staging/`` and renamed into
place, so a process killed mid-write (even by SIGKILL) leaves nothing half-written inside the data
folders: at worst a file in its staging folder, which the next process to write on that host
removes once the writer is dead. Object-store writes are single PUTs, atomic by themselves.

Every Parquet file ``write_table`` writes is verifiable: its sha256, size and row count are
recorded under ``_checksums/`` (outside the data folders, so no glob or directory read of a table
sees a record), and ``read_table`` refuses a file whose bytes hash to anything else
(``LakeCorruptError``). Page checksums inside the Parquet file were measured and rejected: they
leave flips in the footer and page headers undetected (6 of 60 flips of a real play_by_play file
read back as if nothing happened), where a hash of the whole file misses none. A file and its
record change in three steps, each atomic: the record accepts the old and the new bytes, the file
is replaced, the record accepts the new bytes only. Killed between any two, the file on disk is one
the record accepts, and a file damaged at rest matches neither. A file written before records
(none beside it) is read unverified, with a warning, until its next write records it: recording it
on a read instead would let a reader that hashed it race a writer replacing it, leaving a record
the new file fails.
"""

from __future__ import annotations

import atexit
import datetime as dt
import errno
import hashlib
import io
import logging
import os
import re
import shutil
import socket
import threading
import urllib.parse
import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import polars as pl
import pyarrow as pa
import pyarrow.fs as pafs
import pyarrow.parquet as pq
from pydantic import BaseModel, ConfigDict, SecretStr, ValidationError

if TYPE_CHECKING:
    from nba_lakehouse.schemas import Table

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_LAKE_ROOT = str(PROJECT_ROOT / "data")
DEFAULT_REPLAY_DIR = str(PROJECT_ROOT / "data" / "replay")
# The win probability model trained on the bulk 2022-23 season, shipped for lakes too small to
# train one (the demo's four games); data/models/README.md says how it was made.
BUNDLED_WIN_PROBABILITY_MODEL = PROJECT_ROOT / "data" / "models" / "win_probability.json"
DUCKDB_FILE = "lakehouse.duckdb"
PART_FILE = "part-0.parquet"
STAGING_DIR = ".staging"  # under the root: the same filesystem as the data, so renames stay atomic
CHECKSUMS_DIR = "_checksums"  # under the root, beside bronze/silver/gold, never inside a table's folder
READ_THREADS = 8  # files read and hashed at once: reading and sha256 both release the GIL
OBJECT_STORE_WRITE_THREADS = 8  # partitions written at once to an object store (benchmarks/s3_lake.py)

log = logging.getLogger(__name__)


class LakeCorruptError(RuntimeError):
    """A Parquet file whose bytes are not the bytes its write recorded."""


class FileDigest(BaseModel):
    """What one version of a Parquet file hashes to."""

    model_config = ConfigDict(frozen=True)
    sha256: str
    bytes: int
    rows: int | None  # None: a file written before records, whose row count was not read


class ChecksumRecord(BaseModel):
    """The versions of one Parquet file a reader accepts: the file's own, or while a write
    commits the old (None: no file) and the new."""

    accepted: list[FileDigest | None]


def digest_of(data: bytes, rows: int | None) -> FileDigest:
    return FileDigest(sha256=hashlib.sha256(data).hexdigest(), bytes=len(data), rows=rows)


def lake_root_from_env() -> str:
    return os.environ.get("NBA_LAKE_ROOT", DEFAULT_LAKE_ROOT)


# ------------------------------------------------------------------------------- S3 settings
# The one place an S3 lake's settings come from. Each setting is read from the project's own
# variable, else the AWS SDK's usual one; credentials from the AWS SDK's variables only.
S3_ENV = {
    "endpoint_url": ("NBA_S3_ENDPOINT_URL", "AWS_ENDPOINT_URL_S3", "AWS_ENDPOINT_URL"),
    "region": ("NBA_S3_REGION", "AWS_REGION", "AWS_DEFAULT_REGION"),
    "path_style": ("NBA_S3_PATH_STYLE",),
    "access_key_id": ("AWS_ACCESS_KEY_ID",),
    "secret_access_key": ("AWS_SECRET_ACCESS_KEY",),
    "session_token": ("AWS_SESSION_TOKEN",),
}
DEFAULT_S3_REGION = "us-east-1"
_TRUE, _FALSE = {"1", "true", "yes", "on"}, {"0", "false", "no", "off"}
_REGION = re.compile(r"[a-z0-9][a-z0-9-]*")


class S3SettingsError(ValueError):
    """An S3 setting that cannot be used: the message names it and where it came from."""


class S3Settings(BaseModel):
    """Endpoint, region, path-style addressing and credentials of an S3 lake.

    ``endpoint_url`` None means AWS itself; ``path_style`` None means path-style when an endpoint
    is given (MinIO, moto, Ceph...) and virtual-hosted on AWS. Without credentials pyarrow uses
    the AWS SDK's default chain (profile, instance role); DuckDB and polars then sign nothing.
    """

    model_config = ConfigDict(frozen=True)
    endpoint_url: str | None = None
    region: str | None = None
    path_style: bool | None = None
    access_key_id: str | None = None
    secret_access_key: SecretStr | None = None
    session_token: SecretStr | None = None
    sources: dict[str, str] = {}  # setting -> where it came from (an env var's name, the URI), for errors

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> S3Settings:
        environ = os.environ if environ is None else environ
        values: dict[str, str] = {}
        sources: dict[str, str] = {}
        for setting, names in S3_ENV.items():
            for name in names:
                if environ.get(name):
                    values[setting], sources[setting] = environ[name], name
                    break
        return cls.build(values, sources)

    @classmethod
    def build(cls, values: Mapping[str, str | bool | None], sources: Mapping[str, str]) -> S3Settings:
        """Settings from raw values, each checked; S3SettingsError naming the first bad one."""
        def where(setting: str) -> str:
            return sources.get(setting, f"the lake resource's s3_{setting}")

        endpoint = values.get("endpoint_url") or None
        if endpoint is not None:
            parsed = urllib.parse.urlsplit(str(endpoint))
            if parsed.scheme not in ("http", "https") or not parsed.hostname or parsed.path not in ("", "/") or parsed.query:
                raise S3SettingsError(
                    f"{where('endpoint_url')} = {endpoint!r} is not an S3 endpoint URL: write it like "
                    "http://127.0.0.1:9000 (scheme http or https, host, optional port, no path)"
                )
            try:
                parsed.port  # noqa: B018 (raises on a port that is not a number)
            except ValueError:
                raise S3SettingsError(f"{where('endpoint_url')} = {endpoint!r} has a port that is not a number") from None
            endpoint = f"{parsed.scheme}://{parsed.netloc}"
        region = values.get("region") or None
        if region is not None and not _REGION.fullmatch(str(region)):
            raise S3SettingsError(f"{where('region')} = {region!r} is not an S3 region: write it like us-east-1")
        path_style = values.get("path_style")
        if isinstance(path_style, str):
            if path_style.strip().lower() not in _TRUE | _FALSE:
                raise S3SettingsError(f"{where('path_style')} = {path_style!r} is not true or false")
            path_style = path_style.strip().lower() in _TRUE
        key, secret, token = (values.get(k) or None for k in ("access_key_id", "secret_access_key", "session_token"))
        if bool(key) != bool(secret):
            given, missing = ("access_key_id", "secret_access_key") if key else ("secret_access_key", "access_key_id")
            raise S3SettingsError(f"{where(given)} is set but {where(missing) if missing in sources else 'AWS_' + missing.upper()} "
                                  "is not: S3 credentials need both the key id and the secret")
        if token and not key:
            raise S3SettingsError(f"{where('session_token')} is set without AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY")
        # Validated like keyword arguments; a dict because the secrets arrive as str and the model
        # stores them as SecretStr.
        return cls.model_validate({"endpoint_url": endpoint, "region": region, "path_style": path_style, "access_key_id": key,
                                   "secret_access_key": secret, "session_token": token, "sources": dict(sources)})

    def merged(self, overrides: Mapping[str, str | bool | None], sources: Mapping[str, str] | None = None) -> S3Settings:
        """These settings with ``overrides`` taking precedence (by default: the lake URI's query)."""
        if not overrides:
            return self
        values = {
            "endpoint_url": self.endpoint_url, "region": self.region, "path_style": self.path_style,
            "access_key_id": self.access_key_id,
            "secret_access_key": self.secret_access_key.get_secret_value() if self.secret_access_key else None,
            "session_token": self.session_token.get_secret_value() if self.session_token else None,
            **overrides,
        }
        named = sources if sources is not None else {k: f"the lake URI's {k}" for k in overrides}
        return S3Settings.build(values, {**self.sources, **named})

    # -------------------------------------------------------------- per consumer
    @property
    def uses_path_style(self) -> bool:
        return self.path_style if self.path_style is not None else self.endpoint_url is not None

    @property
    def region_or_default(self) -> str:
        return self.region or DEFAULT_S3_REGION

    def _endpoint(self) -> tuple[str, str] | None:
        """(scheme, host[:port]) of the endpoint, None for AWS itself."""
        if self.endpoint_url is None:
            return None
        parsed = urllib.parse.urlsplit(self.endpoint_url)
        return parsed.scheme, parsed.netloc

    def filesystem(self) -> pafs.S3FileSystem:
        """pyarrow's S3 filesystem. ``allow_delayed_open``: a small file is written as one
        PutObject when the stream closes (without it, a multipart upload of three requests)."""
        endpoint = self._endpoint()
        return pafs.S3FileSystem(
            access_key=self.access_key_id,
            secret_key=self.secret_access_key.get_secret_value() if self.secret_access_key else None,
            session_token=self.session_token.get_secret_value() if self.session_token else None,
            region=self.region_or_default,
            scheme=endpoint[0] if endpoint else "https",
            endpoint_override=endpoint[1] if endpoint else None,
            force_virtual_addressing=not self.uses_path_style,
            allow_delayed_open=True,
            check_directory_existence_before_creation=False,
        )

    def polars_storage_options(self) -> dict[str, str]:
        options = {"aws_region": self.region_or_default,
                   "aws_virtual_hosted_style_request": "false" if self.uses_path_style else "true"}
        if self.endpoint_url:
            options["aws_endpoint_url"] = self.endpoint_url
            options["aws_allow_http"] = "true" if self.endpoint_url.startswith("http://") else "false"
        if self.access_key_id and self.secret_access_key:
            options["aws_access_key_id"] = self.access_key_id
            options["aws_secret_access_key"] = self.secret_access_key.get_secret_value()
        if self.session_token:
            options["aws_session_token"] = self.session_token.get_secret_value()
        return options

    def duckdb_secret_sql(self, scope: str) -> str:
        """``CREATE TEMPORARY SECRET`` for DuckDB's httpfs, scoped to ``scope`` (the lake root)."""
        fields = {"TYPE": "s3", "REGION": self.region_or_default, "URL_STYLE": "path" if self.uses_path_style else "vhost",
                  "SCOPE": scope.rstrip("/") + "/"}
        endpoint = self._endpoint()
        if endpoint:
            fields["ENDPOINT"], fields["USE_SSL"] = endpoint[1], "true" if endpoint[0] == "https" else "false"
        if self.access_key_id and self.secret_access_key:
            fields["KEY_ID"], fields["SECRET"] = self.access_key_id, self.secret_access_key.get_secret_value()
        if self.session_token:
            fields["SESSION_TOKEN"] = self.session_token.get_secret_value()
        body = ", ".join(f"{k} {v}" if k in ("TYPE", "USE_SSL") else f"{k} {_sql_string(v)}" for k, v in fields.items())
        return f"CREATE OR REPLACE TEMPORARY SECRET nba_lake ({body})"


# Query parameters an s3:// lake URI may carry (pyarrow's names and this project's).
_URI_SETTINGS = {"endpoint_override": "endpoint_url", "endpoint_url": "endpoint_url", "region": "region",
                 "path_style": "path_style", "scheme": "scheme", "force_virtual_addressing": "force_virtual_addressing"}


def _split_s3_uri(root: str) -> tuple[str, dict[str, str]]:
    """``s3://bucket/prefix?endpoint_override=host:9000&scheme=http`` -> ("bucket/prefix", settings)."""
    parsed = urllib.parse.urlsplit(root)
    if not parsed.netloc:
        raise S3SettingsError(f"NBA_LAKE_ROOT = {root!r} names no bucket: write it like s3://bucket/prefix")
    location = f"{parsed.netloc}{parsed.path}".rstrip("/")
    query = dict(urllib.parse.parse_qsl(parsed.query, keep_blank_values=True))
    unknown = sorted(set(query) - set(_URI_SETTINGS))
    if unknown:
        raise S3SettingsError(f"NBA_LAKE_ROOT {root!r}: unknown setting {unknown[0]!r} in the URI "
                              f"(known: {', '.join(sorted(_URI_SETTINGS))})")
    settings: dict[str, str] = {}
    scheme = query.pop("scheme", None)
    if scheme is not None and scheme not in ("http", "https"):
        raise S3SettingsError(f"NBA_LAKE_ROOT {root!r}: scheme={scheme!r} must be http or https")
    virtual = query.pop("force_virtual_addressing", None)
    if virtual is not None:
        if virtual.lower() not in _TRUE | _FALSE:
            raise S3SettingsError(f"NBA_LAKE_ROOT {root!r}: force_virtual_addressing={virtual!r} is not true or false")
        settings["path_style"] = "false" if virtual.lower() in _TRUE else "true"
    for key, value in query.items():
        settings[_URI_SETTINGS[key]] = value
    endpoint = settings.get("endpoint_url")
    if endpoint is not None and "://" not in endpoint:  # pyarrow's endpoint_override is host:port
        settings["endpoint_url"] = f"{scheme or 'https'}://{endpoint}"
    return location, settings


def _sql_string(value: str) -> str:
    return "'" + str(value).replace("'", "''") + "'"


def load_httpfs(conn) -> None:
    """Load DuckDB's httpfs from the ``duckdb-extension-httpfs`` wheel pinned with DuckDB: no
    download, so an S3 lake works offline. Falls back to an httpfs already installed for this
    DuckDB; a one-line error says what to install when neither is there."""
    import duckdb

    version = duckdb.__version__
    try:
        import duckdb_extension_httpfs
    except ImportError:
        wheel = None
    else:
        wheel = Path(duckdb_extension_httpfs.__file__).parent / "extensions" / f"v{version}" / "httpfs.duckdb_extension"
    try:
        if wheel is not None and wheel.exists():
            conn.execute(f"LOAD {_sql_string(str(wheel))}")
        else:
            conn.execute("LOAD httpfs")
    except duckdb.Error as exc:
        raise RuntimeError(
            f"DuckDB {version} cannot load its httpfs extension (needed for an s3:// lake): install "
            f"duckdb-extension-httpfs=={version} (pip install -e . installs the pinned pair); {str(exc).splitlines()[0]}"
        ) from None


class Lake:
    """A lake root and the operations the layers need on it."""

    def __init__(self, root: str, s3: S3Settings | None = None):
        self.root_uri = root
        self.s3: S3Settings | None = None
        if root.startswith("s3://"):
            location, from_uri = _split_s3_uri(root)
            self.s3 = (s3 or S3Settings.from_env()).merged(from_uri)
            self.fs, base = self.s3.filesystem(), location
            self.root_uri = f"s3://{location.rstrip('/')}"
        elif "://" in root:
            self.fs, base = pafs.FileSystem.from_uri(root)
        else:
            self.fs, base = pafs.LocalFileSystem(), str(Path(root).resolve())
        self.base = base.rstrip("/")
        self.is_local = isinstance(self.fs, pafs.LocalFileSystem)
        self._staged_by: int | None = None  # pid that prepared its staging folder for this Lake

    # ------------------------------------------------------------------ paths
    def path(self, *parts: str) -> str:
        return "/".join([self.base, *parts])

    def uri(self, *parts: str) -> str:
        """A path other tools (DuckDB, polars) can open directly, with ``duckdb_setup`` /
        ``storage_options`` giving them the store's settings (an object store's endpoint, region
        and credentials are settings, never part of the path)."""
        if self.is_local:
            return self.path(*parts)
        scheme = self.root_uri.split("://", 1)[0]
        return f"{scheme}://{self.path(*parts)}"

    @property
    def duckdb_path(self) -> str:
        if not self.is_local:
            # DuckDB needs a local file for its catalog; the views inside still point at the store.
            # Named after the lake, so neither a local lake's catalog in data/ nor another store's
            # is overwritten by this one's.
            slug = re.sub(r"[^A-Za-z0-9.=-]+", "_", self.root_uri.split("://", 1)[1]).strip("_")
            return os.environ.get("NBA_DUCKDB_PATH") or str(PROJECT_ROOT / "data" / f"lakehouse.{slug}.duckdb")
        return self.path(DUCKDB_FILE)

    # ------------------------------------------------------ other readers' settings
    def storage_options(self) -> dict[str, str] | None:
        """polars' ``storage_options`` for this lake (None for a local one)."""
        return self.s3.polars_storage_options() if self.s3 else None

    def duckdb_setup(self, conn) -> None:
        """Make ``conn`` able to read this lake: for S3, load httpfs from its pinned wheel and create
        a temporary secret (held in memory, never written into the catalog file) scoped to the lake."""
        if self.s3 is not None:
            load_httpfs(conn)
            conn.execute(self.s3.duckdb_secret_sql(self.uri()))
        elif not self.is_local:
            load_httpfs(conn)

    # ------------------------------------------------------------- raw bytes
    def exists(self, path: str) -> bool:
        """Whether a file is at ``path`` (a folder is not a file)."""
        if self.s3 is not None:
            # One HEAD: get_file_info follows a missing key with a LIST to tell a folder from nothing.
            try:
                self.fs.open_input_file(path).close()
            except (FileNotFoundError, IsADirectoryError):
                return False
            return True
        return self.fs.get_file_info(path).type == pafs.FileType.File

    # compression=None everywhere: pyarrow would otherwise gzip a second time by the .gz suffix.
    def read_bytes(self, path: str) -> bytes:
        with self.fs.open_input_stream(path, compression=None) as f:
            return f.read()

    def write_bytes(self, path: str, data: bytes) -> None:
        """Write so that a reader sees the old file or the whole new one, never a torn one.

        Locally the bytes go to a temporary file in this process's staging folder
        (``.staging/<hostname>-<pid>/``, outside every data folder) and are renamed into place.
        """
        if self.s3 is None:  # S3 has no folders (and makes none: no marker objects)
            self.fs.create_dir(path.rsplit("/", 1)[0], recursive=True)
        if self.is_local:
            try:
                with atomic_path(path, self._staging_file(path)) as tmp:
                    try:
                        _write_file(tmp, data)
                    except FileNotFoundError:  # the staging folder went away under us: make it again
                        os.makedirs(tmp.rsplit("/", 1)[0], exist_ok=True)
                        _write_file(tmp, data)
            except OSError as exc:
                if exc.errno != errno.EXDEV:
                    raise
                # The target's folder is another filesystem mounted inside the lake: stage beside
                # the target instead.
                atomic_write_file(path, data)
        else:
            # An object PUT is atomic by itself; a rename would be a copy. On S3 no folders are
            # made (listings see the prefixes of the objects written), and with allow_delayed_open
            # (S3Settings.filesystem) a small file is one PutObject.
            with self.fs.open_output_stream(path, compression=None) as f:
                f.write(data)

    # ---------------------------------------------------------------- staging
    @property
    def staging_root(self) -> str:
        return self.path(STAGING_DIR)

    def _staging_file(self, path: str) -> str:
        """A fresh temporary name in this process's staging folder, created (and the stale
        folders of dead processes swept) on the first write of this Lake in this process."""
        own = _own_staging_dir(self.staging_root)
        if self._staged_by != os.getpid():  # also true in a child forked after a write
            sweep_stale_staging(self.staging_root)
            os.makedirs(own, exist_ok=True)
            self._staged_by = os.getpid()
        # Not ending in .parquet or .json.gz: no glob for the data files can match it.
        return f"{own}/{uuid.uuid4().hex}-{path.rsplit('/', 1)[1]}.tmp"

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

    # ---------------------------------------------------------------- models
    def model_path(self, name: str) -> str:
        """Where the trained model asset ``name`` keeps its bundle (model, calibration, metadata)."""
        return self.path("gold", name, "model.json")

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
        within: dict[str, str] | None = None,
    ) -> dict[tuple[str, ...], int]:
        """Write ``df`` as one Parquet file per hive partition, after checking it against its table
        (``Table.check_write``: declared columns and types, key, column rules; a SchemaError writes nothing).

        ``dates`` (for tables by season and game date) or ``seasons`` (for tables by season) name
        the partitions this write owns: any of them ``df`` has no rows for is emptied, so a
        re-run that finds fewer games leaves nothing stale behind. ``within`` fixes the values of
        partition columns below those (``{"recorded_by": "play_by_play"}`` for game_issues), so a
        writer owns only its own sub-partitions of each date. Each file is replaced atomically.
        Returns ``{partition values: rows}`` of what was written.
        """
        df = table.check_write(df)
        within = within or {}
        if within:
            stray = df.filter(pl.any_horizontal(pl.col(c) != v for c, v in within.items()))
            if stray.height:
                raise ValueError(f"{table.layer}.{table.name}: {stray.height} rows outside the written partition {within}")
        written: dict[tuple[str, ...], int] = {}
        keys = list(table.partition_by)
        if not keys:  # reference tables are one file, always rewritten whole
            self._write_parquet(self.table_dir(table), df)
            return {(): df.height}
        if df.height:
            # Each partition's rows are taken when its file is written, not all split up front: a
            # season's table is not held twice. A partition whose rows are consecutive (a table in
            # date order) is a slice, which copies nothing; a gather from a frame of several chunks
            # costs more than encoding the file (0.34 s over a season's play_by_play, in 5 chunks).
            rows_of = df.select(keys).with_row_index("row").group_by(keys, maintain_order=True).agg(
                "row", consecutive=pl.col("row").max() - pl.col("row").min() + 1 == pl.len(),
            )
            parts = [
                (tuple(_partition_value(v) for v in values), rows, consecutive)
                for values, rows, consecutive in zip(
                    rows_of.select(keys).iter_rows(), rows_of["row"], rows_of["consecutive"], strict=True
                )
            ]
            # Each partition's file and record are its own: on an object store, where a write is a
            # few round trips of latency, they are written several at once.
            threads = 1 if self.is_local else min(OBJECT_STORE_WRITE_THREADS, len(parts))
            present = self._present_under(table, {values[0] for values, _, _ in parts}) if threads > 2 else None
            data = df.drop(keys)

            def rows_of_part(rows: pl.Series, consecutive: bool) -> pl.DataFrame:
                return data.slice(rows[0], rows.len()) if consecutive else data[rows]

            with ThreadPoolExecutor(max_workers=threads) as pool:
                list(pool.map(
                    lambda item: self._write_parquet(self.partition_dir(table, item[0]), rows_of_part(item[1], item[2]), present),
                    parts,
                ))
            written.update({values: rows.len() for values, rows, _ in parts})
        below = tuple(within[c] for c in keys if c in within)
        owned = [(s, *below) for s in seasons] + [
            (season, d.isoformat(), *below) for d in dates for season in seasons_possibly_containing(d)
        ]
        for values in owned:
            if len(values) == len(keys) and values not in written:
                self._delete_parquet(f"{self.partition_dir(table, values)}/{PART_FILE}")
        if seasons and len(keys) > 1:
            # A whole-season write of a (season, game_date) table owns every date folder in it.
            for path in self.partition_files(table, seasons):
                values = self._partition_values(table, path)
                if values not in written and values[len(keys) - len(below):] == below:
                    self._delete_parquet(path)
        return written

    def _partition_values(self, table: Table, path: str) -> tuple[str, ...]:
        folders = path[len(self.table_dir(table)):].strip("/").split("/")[:-1]
        return tuple(folder.split("=", 1)[1] for folder in folders)

    def _present_under(self, table: Table, seasons: Iterable[str]) -> set[str]:
        """Every data file and checksum record of ``table`` in ``seasons``, listed at once.

        A write of many partitions to an object store lists them first (a listing returns 1,000
        keys a request) so that a partition with neither file nor record, the common case of a
        first write, costs its two PUTs only instead of two lookups more.
        """
        roots = [self.path(table.layer, table.name, f"season={s}") for s in seasons]
        roots += [self.path(CHECKSUMS_DIR, table.layer, table.name, f"season={s}") for s in seasons]
        present: set[str] = set()
        for root in roots:
            info = self.fs.get_file_info(pafs.FileSelector(root, recursive=True, allow_not_found=True))
            present.update(i.path for i in info if i.type == pafs.FileType.File)
        return present

    def _write_parquet(self, directory: str, df: pl.DataFrame, present: set[str] | None = None) -> None:
        # Polars' own Parquet writer: the file pyarrow writes from the same frame (zstd, the same
        # types read back), in under half the time (0.39 s against 0.89 s for a season's event_state).
        sink = io.BytesIO()
        df.write_parquet(sink, compression="zstd")
        path, data = f"{directory}/{PART_FILE}", sink.getvalue()
        self._commit(path, digest_of(data, df.height), lambda: self.write_bytes(path, data), present)

    def _delete_parquet(self, path: str) -> None:
        if self.exists(path):
            self._commit(path, None, lambda: self.delete_file(path))

    # --------------------------------------------------------------- checksums
    def checksum_path(self, path: str) -> str:
        """Where the record of the Parquet file at ``path`` is kept: the same relative path under
        ``_checksums/``, so a table's folder holds nothing but its data."""
        return self.path(CHECKSUMS_DIR, f"{path[len(self.base) + 1:]}.json")

    def _commit(
        self, path: str, new: FileDigest | None, change: Callable[[], None], present: set[str] | None = None
    ) -> None:
        """Replace (``new``) or delete (None) the file at ``path`` together with its record.

        1. the record accepts what the file is now and ``new``; 2. ``change()``; 3. the record
        accepts ``new`` only (a deleted file's record goes). Each step is atomic, so a kill between
        two leaves a file its record accepts. What the file is now is what its record accepts
        (after an interrupted commit, both versions it named), else, for a file written before
        records, its hash; None when there is no file. ``present``, a listing of the files and
        records the write may touch, spares the lookups of a path that has neither.
        """
        record_path = self.checksum_path(path)
        before = [None] if present is not None and not {path, record_path} & present else self._accepted_now(path, record_path)
        # A new file (no file before) needs no second step: a record accepting only the new bytes
        # while the file is still missing is as safe as one accepting "no file" too (a reader of a
        # missing file reads nothing), and saves a write (a round trip on an object store).
        during = [new] if before == [None] else list(dict.fromkeys([*before, new]))
        if before != [new]:
            self._write_record(record_path, during)
        change()
        if new is None:
            self.delete_file(record_path)
        elif during != [new]:
            self._write_record(record_path, [new])

    def _accepted_now(self, path: str, record_path: str) -> list[FileDigest | None]:
        """What the file at ``path`` is now, as ``_commit`` names it."""
        record = self._read_record(record_path)
        if record is not None:
            return record.accepted
        try:  # one request on an object store when there is no file (exists() would be two)
            return [digest_of(self.read_bytes(path), None)]
        except FileNotFoundError:
            return [None]

    def _write_record(self, record_path: str, accepted: list[FileDigest | None]) -> None:
        self.write_bytes(record_path, ChecksumRecord(accepted=accepted).model_dump_json(indent=2).encode())

    def _read_record(self, record_path: str) -> ChecksumRecord | None:
        """The record, None when there is none; a damaged record accepts nothing."""
        try:
            data = self.read_bytes(record_path)
        except FileNotFoundError:
            return None
        try:
            return ChecksumRecord.model_validate_json(data)
        except ValidationError:
            return ChecksumRecord(accepted=[])

    def _verified_bytes(self, table: Table, path: str) -> tuple[bytes, bool]:
        """The file's bytes once they hash to what its record accepts, and whether it had a record.

        The file is read before its record: a commit that lands between the two reads leaves a
        file the record no longer accepts, so a mismatch is read once more before it is believed.
        """
        for _attempt in (1, 2):
            data = self.read_bytes(path)
            record = self._read_record(self.checksum_path(path))
            if record is None:
                return data, False
            found = digest_of(data, None)
            expected = [d for d in record.accepted if d is not None]
            if any(d.sha256 == found.sha256 for d in expected):
                return data, True
        wanted = " or ".join(f"sha256 {d.sha256} ({d.bytes} bytes, {d.rows} rows)" for d in expected) or "nothing (damaged record)"
        raise LakeCorruptError(
            f"{path} is corrupt: expected {wanted} as recorded in {self.checksum_path(path)}, found sha256 "
            f"{found.sha256} ({found.bytes} bytes); re-materialize {self._asset_and_partition(table, path)} to rewrite it"
        )

    def _asset_and_partition(self, table: Table, path: str) -> str:
        """The asset that writes the file and the partition to run it for, as the fix names them."""
        values = dict(zip(table.partition_by, self._partition_values(table, path), strict=True))
        asset = values.get("recorded_by", table.name)  # game_issues: each asset writes its own sub-partition
        partition = values.get("game_date", values.get("season"))
        return f"asset {asset} for partition {partition}" if partition else f"asset {asset}"

    def partition_files(self, table: Table, seasons: Iterable[str] | None = None) -> list[str]:
        roots = [self.table_dir(table)] if seasons is None else [
            self.path(table.layer, table.name, f"season={s}") for s in seasons
        ]
        return self._files_under(roots)

    def _files_under(self, roots: Iterable[str]) -> list[str]:
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
        skip_corrupt: bool = False,
    ) -> pl.DataFrame:
        """Read a table (or some seasons / dates / columns of it) with the declared column types.

        Each file is verified against its record first; a corrupt one raises ``LakeCorruptError``
        naming it and the asset to re-materialize, or with ``skip_corrupt`` is left out (for a
        writer asking what it is about to replace). A file written before records is read
        unverified, with a warning. Date reads look up each date's partition path directly rather
        than listing the table, which keeps them cheap on object stores.
        """
        if game_dates is not None and "game_date" in table.partition_by:
            dates = [d if isinstance(d, dt.date) else dt.date.fromisoformat(d) for d in game_dates]
            candidates = {
                (season, d.isoformat()) for d in dates for season in seasons_possibly_containing(d)
                if seasons is None or season in seasons
            }
            if len(table.partition_by) == 2:
                files = [
                    path for values in sorted(candidates)
                    if self.exists(path := f"{self.partition_dir(table, values)}/{PART_FILE}")
                ]
            else:  # sub-partitions below the date (game_issues: one per recording asset)
                files = self._files_under([self.path(table.layer, table.name, f"season={s}", f"game_date={d}")
                                           for s, d in sorted(candidates)])
        else:
            files = self.partition_files(table, seasons)
        wanted = list(columns) if columns else table.column_names
        with ThreadPoolExecutor(max_workers=min(READ_THREADS, len(files) or 1)) as pool:
            parts = list(pool.map(lambda path: self._read_part(table, path, wanted, skip_corrupt), files))
        unverified = [path for path, part, verified in parts if part is not None and not verified]
        if unverified:
            log.warning(
                f"{table.layer}.{table.name}: {len(unverified)} files written before checksums were recorded "
                f"(first {unverified[0]}) read unverified; re-materialize them to record their checksums"
            )
        arrow = [part for _, part, _ in parts if part is not None]
        if not arrow:
            return table.empty().select(wanted)
        # A file written before a column was declared lacks it: null there, as a dataset read gives.
        df = pl.DataFrame(pa.concat_tables(arrow, promote_options="permissive"))
        return table.cast(df) if columns else table.enforce(df)

    def _read_part(
        self, table: Table, path: str, columns: list[str], skip_corrupt: bool
    ) -> tuple[str, pa.Table | None, bool]:
        """One file's ``columns`` with its partition columns: (path, rows or None if skipped, verified)."""
        try:
            data, verified = self._verified_bytes(table, path)
        except LakeCorruptError as exc:
            if not skip_corrupt:
                raise
            log.warning(f"left out: {exc}")
            return path, None, True
        parquet = pq.ParquetFile(pa.BufferReader(data))
        stored = set(parquet.schema_arrow.names)
        rows = parquet.read(columns=[c for c in columns if c in stored])
        # The partition columns are the folders' values, as a hive dataset read gives them.
        for column, value in zip(table.partition_by, self._partition_values(table, path), strict=True):
            if column in columns:
                arrow_type = table.arrow_type(column)
                rows = rows.append_column(
                    pa.field(column, arrow_type), pa.nulls(rows.num_rows, arrow_type).fill_null(pa.scalar(value).cast(arrow_type))
                )
        return path, rows, verified

    def table_glob(self, table: Table) -> str:
        depth = ["*" for _ in table.partition_by]
        return self.uri(table.layer, table.name, *depth, PART_FILE)


@contextmanager
def atomic_path(path: str | os.PathLike, tmp: str | None = None, sidecars: Sequence[str] = ()) -> Iterator[str]:
    """A temporary path to write ``path``'s new content to, renamed over ``path`` when the block
    succeeds, so a reader sees the old file or the whole new one, never a torn one.

    By default the temporary file sits beside the target (the same filesystem, so the rename is
    atomic on POSIX), as a dot-file ending ``.tmp`` that no data glob matches. Whatever happens, it
    is gone afterwards, and so is the temporary path plus each of ``sidecars`` (a database's ``.wal``).
    """
    target = os.fspath(path)
    if tmp is None:
        parent, name = os.path.split(target)
        tmp = os.path.join(parent, f".tmp-{uuid.uuid4().hex}-{name}.tmp")
    try:
        yield tmp
        os.replace(tmp, target)
    finally:
        for leftover in (tmp, *(tmp + suffix for suffix in sidecars)):
            if os.path.lexists(leftover):
                os.remove(leftover)


def atomic_write_file(path: str | os.PathLike, data: bytes) -> None:
    """Write a local file through a temporary one beside it (``atomic_path``)."""
    with atomic_path(path) as tmp:
        _write_file(tmp, data)


def _write_file(path: str, data: bytes) -> None:
    with open(path, "wb") as f:
        f.write(data)


# ------------------------------------------------------------------------------------ staging
_HOST = socket.gethostname()
_own_dirs: set[str] = set()  # staging folders this process made, removed when it exits
_own_dirs_lock = threading.Lock()


def _own_staging_dir(staging_root: str) -> str:
    directory = f"{staging_root}/{_HOST}-{os.getpid()}"
    with _own_dirs_lock:
        if directory not in _own_dirs:
            if not _own_dirs:
                atexit.register(_remove_own_staging_dirs)
            _own_dirs.add(directory)
    return directory


def _remove_own_staging_dirs() -> None:
    """At a normal exit nothing of this process is being written any more: drop its folders."""
    pid_suffix = f"-{os.getpid()}"
    for directory in list(_own_dirs):
        if directory.endswith(pid_suffix):  # not a folder inherited from a parent before a fork
            shutil.rmtree(directory, ignore_errors=True)
            _remove_if_empty(directory.rsplit("/", 1)[0])


def _remove_if_empty(directory: str) -> None:
    try:
        os.rmdir(directory)
    except OSError:  # not empty (another process is writing) or already gone
        pass


def process_alive(pid: int) -> bool:
    """``os.kill(pid, 0)``: does a process with this id exist on this host (whoever owns it)?"""
    if os.name == "nt":  # signal 0 is not a probe on Windows: never call a folder stale there
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # it exists, under another user
        return True
    return True


def sweep_stale_staging(staging_root: str) -> list[str]:
    """Remove the staging folders of dead processes of this host; return the removed folders.

    Only folders named ``<this hostname>-<pid>`` whose process no longer exists are removed: a
    live process's folder (its writes in progress) and any other host's folder (whose processes
    cannot be checked from here, e.g. on a shared network filesystem) are left alone. A pid the
    system has since reused only delays the sweep until that process ends too.
    """
    try:
        entries = os.listdir(staging_root)
    except (FileNotFoundError, NotADirectoryError):
        return []
    removed = []
    for name in entries:
        host, sep, pid = name.rpartition("-")
        if not sep or host != _HOST or not pid.isdigit() or int(pid) == os.getpid():
            continue
        if not process_alive(int(pid)):
            shutil.rmtree(f"{staging_root}/{name}", ignore_errors=True)
            removed.append(name)
    return removed


def seasons_possibly_containing(day: dt.date) -> list[str]:
    """``partitions.seasons_possibly_containing``, imported when first needed: the partitions
    module loads Dagster, which a reader of the lake (the notebook, charts) does without."""
    from nba_lakehouse.partitions import seasons_possibly_containing as seasons

    return seasons(day)


def _partition_value(value) -> str:
    return value.isoformat() if isinstance(value, dt.date) else str(value)
