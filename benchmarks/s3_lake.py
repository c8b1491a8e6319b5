"""S3 lake benchmark: a season of play_by_play written to S3 vs local disk, and DuckDB queries over both.

Run from the repository root::

    .venv/bin/python benchmarks/s3_lake.py [--bulk PATH] [--workdir PATH] [--lake PATH] [--repeats N]
                                           [--skip-write] [--skip-queries] [--fsspec]

The S3 endpoint is a ``moto_server`` started on 127.0.0.1 (a free port) for the run and stopped at
the end (``nba_lakehouse_tests/service_moto.py``; moto[server] comes with the test extra), so every
figure includes moto's own cost per request: a real S3 is slower per request and faster per byte.

1. **Write**: the bulk 2022-23 season (``../shared/nba_samples/bulk/nbaplays_2022-23_raw.tar.xz``,
   1,230 games, extracted once into the workdir like ``season_benchmark.py``) is parsed into silver
   play_by_play (not timed), then written with ``Lake.write_table(PLAY_BY_PLAY)`` (one Parquet file
   per date, each with its checksum record) to a local temporary lake and to an S3 lake in moto, in
   the same run. Printed: seconds each, the ratio (target S3 <= 2x local), and the requests moto
   answered per file written.
2. **Queries**: the README's SQL blocks (every fenced ``sql`` block under "SQL with DuckDB"), each run
   ``--repeats`` times on a DuckDB catalog of views over a local lake and over the same files copied
   into S3; printed: p50 per block and the ratio. The lake is ``--lake`` (a local lake with gold
   tables; default: a fresh ``run_demo`` lake in the workdir). S3 is read through httpfs (loaded
   from the ``duckdb-extension-httpfs`` wheel, as the project does); ``--fsspec`` adds the
   alternative measured for the choice: an ``s3fs`` filesystem registered on the connection (needs
   s3fs installed; not a project dependency).

This is a script, not a test; it exits 2 if the bulk data is missing (with --skip-queries unset the
query part still runs) and 0 otherwise.
"""

from __future__ import annotations

import argparse
import re
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT))
sys.path.insert(0, str(REPO_ROOT / "benchmarks"))

import duckdb
import pyarrow.fs as pafs

from nba_lakehouse.lake import Lake
from nba_lakehouse.schemas import PLAY_BY_PLAY, TABLES
from nba_lakehouse.warehouse.views import view_sql
from nba_lakehouse_tests.service_moto import MotoS3, apply_env, restore_env

DEFAULT_BULK = REPO_ROOT.parent / "shared" / "nba_samples" / "bulk" / "nbaplays_2022-23_raw.tar.xz"
BUCKET = "nba-lake-benchmark"


def readme_sql_blocks(readme: Path = REPO_ROOT / "README.md") -> list[str]:
    """The fenced sql blocks of the README's "SQL with DuckDB" section, in order."""
    text = readme.read_text(encoding="utf-8")
    section = text.split("## SQL with DuckDB", 1)[1].split("\n## ", 1)[0]
    return [block.strip() for block in re.findall(r"```sql\n(.*?)```", section, flags=re.DOTALL)]


def season_play_by_play(bulk: Path, workdir: Path):
    """The season's silver play_by_play frame, built as season_benchmark.py's stages 1-2 build it."""
    import season_benchmark as sb

    files = sb.extract_once(bulk, workdir)
    raw, _ = sb.raw_frames(files)
    pbp, _ = sb.silver_play_by_play(raw, sb.assign_dates([sb.game_id_of(p) for p in files]))
    return pbp


def timed_write(lake: Lake, pbp) -> tuple[float, int]:
    started = time.perf_counter()
    written = lake.write_table(PLAY_BY_PLAY, pbp, seasons=sorted(pbp["season"].unique()))
    return time.perf_counter() - started, len(written)


def write_benchmark(moto: MotoS3, bulk: Path, workdir: Path) -> None:
    print(f"parsing the season from {bulk} (not timed)", flush=True)
    pbp = season_play_by_play(bulk, workdir)
    print(f"play_by_play: {pbp.height:,} rows, {pbp['game_id'].n_unique():,} games, "
          f"{pbp['game_date'].n_unique()} dates", flush=True)
    local_root = Path(tempfile.mkdtemp(prefix="s3bench-local-", dir=workdir))
    try:
        local_s, files = timed_write(Lake(str(local_root)), pbp)
        size = sum(p.stat().st_size for p in local_root.rglob("*.parquet"))
    finally:
        shutil.rmtree(local_root, ignore_errors=True)
    before = len(moto.requests())
    s3_s, _ = timed_write(Lake(f"s3://{BUCKET}/write"), pbp)
    requests = moto.requests()[before:]
    puts = sum(r.method == "PUT" for r in requests)
    print(f"\nWrite: Lake.write_table(PLAY_BY_PLAY), {files} files, {size / 1e6:.1f} MB of Parquet")
    print(f"  local disk   {local_s:7.2f} s")
    print(f"  S3 (moto)    {s3_s:7.2f} s   {s3_s / local_s:.2f}x local (target <= 2x)")
    print(f"  S3 requests  {len(requests)} ({len(requests) / files:.1f} per file: {puts} PUT, "
          f"{sum(r.method == 'GET' for r in requests)} GET, {sum(r.method == 'HEAD' for r in requests)} HEAD); "
          "each new file: its checksum record PUT and the file PUT, after one listing per season of the files and records")


def demo_lake(workdir: Path) -> Path:
    import dagster as dg

    from nba_lakehouse.demo import run_demo

    root = workdir / "s3bench-demo-lake"
    if not (root / "gold" / "event_state").is_dir():
        print(f"building the demo lake in {root} (not timed)", flush=True)
        with dg.instance_for_test() as instance:
            run_demo(lake_root=str(root), instance=instance)
    return root


def catalog(lake: Lake, path: Path, register=None) -> duckdb.DuckDBPyConnection:
    """A DuckDB catalog of the lake's views at ``path``, built as the duckdb_catalog asset builds it."""
    path.unlink(missing_ok=True)
    conn = duckdb.connect(str(path))
    if register is not None:
        register(conn)
    else:
        lake.duckdb_setup(conn)
    for layer in sorted({t.layer for t in TABLES.values()}):
        conn.execute(f"CREATE SCHEMA IF NOT EXISTS {layer}")
    for table in TABLES.values():
        conn.execute(view_sql(lake, table))
    return conn


def p50(conn: duckdb.DuckDBPyConnection, sql: str, repeats: int) -> tuple[float, object]:
    times, result = [], None
    for _ in range(repeats):
        started = time.perf_counter()
        result = conn.sql(sql).fetchall()
        times.append(time.perf_counter() - started)
    return statistics.median(times), result


def query_benchmark(moto: MotoS3, lake_dir: Path, workdir: Path, repeats: int, fsspec: bool) -> None:
    blocks = readme_sql_blocks()
    target = Lake(f"s3://{BUCKET}/query")
    print(f"copying {lake_dir} to {target.root_uri} (not timed)", flush=True)
    for layer in ("silver", "gold", "_checksums"):
        pafs.copy_files(str(lake_dir / layer), target.path(layer), source_filesystem=pafs.LocalFileSystem(),
                        destination_filesystem=target.fs)
    local = Lake(str(lake_dir))
    conns = {"local": catalog(local, workdir / "s3bench-local.duckdb")}
    try:
        conns["S3 httpfs"] = catalog(target, workdir / "s3bench-s3.duckdb")
    except RuntimeError as exc:  # this DuckDB has no httpfs: the registered filesystem may still be timed
        print(f"S3 through httpfs skipped: {exc}")
    if fsspec:
        try:
            import s3fs
        except ImportError:
            print("--fsspec: s3fs is not installed (pip install s3fs): the registered-filesystem figures are skipped")
        else:
            options = target.storage_options()
            filesystem = s3fs.S3FileSystem(
                key=options.get("aws_access_key_id"), secret=options.get("aws_secret_access_key"),
                endpoint_url=options.get("aws_endpoint_url"), client_kwargs={"region_name": options["aws_region"]},
            )
            conns["S3 fsspec"] = catalog(target, workdir / "s3bench-s3fs.duckdb",
                                         register=lambda conn: conn.register_filesystem(filesystem))
    print(f"\nQueries: the README's {len(blocks)} SQL blocks, p50 of {repeats} runs each, DuckDB {duckdb.__version__}")
    names = list(conns)
    print("  block  " + "".join(f"{n:>14}" for n in names) + "".join(f"{n + ' / local':>22}" for n in names[1:]))
    totals = dict.fromkeys(names, 0.0)
    for number, sql in enumerate(blocks, start=1):
        figures, results = {}, {}
        for name, conn in conns.items():
            figures[name], results[name] = p50(conn, sql, repeats)
            totals[name] += figures[name]
        same = all(sorted(r, key=repr) == sorted(results["local"], key=repr) for r in results.values())  # ties: any order
        print(f"  {number:5d}  " + "".join(f"{figures[n] * 1000:11.1f} ms" for n in names)
              + "".join(f"{figures[n] / figures['local']:21.1f}x" for n in names[1:]) + ("" if same else "  RESULTS DIFFER"))
    print("  sum    " + "".join(f"{totals[n] * 1000:11.1f} ms" for n in names)
          + "".join(f"{totals[n] / totals['local']:21.1f}x" for n in names[1:]))
    for conn in conns.values():
        conn.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--bulk", type=Path, default=DEFAULT_BULK)
    parser.add_argument("--workdir", type=Path, default=REPO_ROOT / "benchmarks" / "out")
    parser.add_argument("--lake", type=Path, default=None, help="a local lake with gold tables (default: a demo lake)")
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--skip-write", action="store_true")
    parser.add_argument("--skip-queries", action="store_true")
    parser.add_argument("--fsspec", action="store_true", help="also time DuckDB with an s3fs filesystem registered")
    args = parser.parse_args(argv)
    args.workdir.mkdir(parents=True, exist_ok=True)
    status = 0
    moto = MotoS3(args.workdir)
    before = None
    try:
        moto.create_bucket(BUCKET)
        before = apply_env(moto.env(BUCKET))
        print(f"moto_server at {moto.endpoint}; DuckDB {duckdb.__version__}", flush=True)
        if not args.skip_write:
            if args.bulk.exists():
                write_benchmark(moto, args.bulk, args.workdir)
            else:
                print(f"no bulk archive at {args.bulk}: the write benchmark is skipped (give --bulk)")
                status = 2
        if not args.skip_queries:
            query_benchmark(moto, args.lake or demo_lake(args.workdir), args.workdir, args.repeats, args.fsspec)
    finally:
        if before is not None:
            restore_env(before)
        moto.stop()
    return status


if __name__ == "__main__":
    sys.exit(main())
