"""What verifying the lake's Parquet files catches and what it costs.

Run from the repository root::

    .venv/bin/python benchmarks/season_benchmark.py --keep-lake     # prints nothing of the lake's path:
    .venv/bin/python benchmarks/lake_verification.py --lake benchmarks/out/lake-XXXX [--flip FILE] [--repeat 7]

1. Flips: one byte of a real silver play_by_play file (``--flip``, default the lake's first one)
   XORed with 0xFF at 60 offsets spread evenly over it, one at a time, each read back three ways:
   a plain pyarrow read of the file as the lake writes it; the same rows written with Parquet page
   checksums and read with their verification; the lake's sha256 of the file bytes against its
   record. Each flip either fails the read, reads back the same rows, or reads back other rows.
2. Cost: silver play_by_play and gold event_state of the lake (a season: the season benchmark's
   603,750 events over 174 dates) copied through ``Lake.write_table`` into a temporary lake, so
   every file has its record, then read whole ``--repeat`` times each way: as ``read_table`` did
   before verification (one pyarrow dataset over the files, hive partitioning, ``enforce``), with
   ``Lake.read_table`` (each file's bytes read, hashed and checked against its record, then parsed),
   and the verification alone (bytes, record, sha256; nothing parsed).
"""

from __future__ import annotations

import argparse
import hashlib
import io
import statistics
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT))

import polars as pl
import pyarrow as pa
import pyarrow.dataset as pads
import pyarrow.parquet as pq

from nba_lakehouse.lake import Lake
from nba_lakehouse.schemas import EVENT_STATE, PLAY_BY_PLAY, Table


def flip_outcomes(data: bytes, read) -> Counter:
    truth = read(data)
    outcomes = Counter()
    for k in range(60):
        flipped = bytearray(data)
        flipped[k * (len(data) - 1) // 59] ^= 0xFF
        try:
            same = read(bytes(flipped)).equals(truth)  # a flipped column name can fail the comparison itself
        except Exception:
            outcomes["read fails"] += 1
            continue
        outcomes["same rows" if same else "OTHER ROWS, no error"] += 1
    return outcomes


def flips(path: Path) -> None:
    data = path.read_bytes()
    table = pq.read_table(io.BytesIO(data))
    sink = pa.BufferOutputStream()
    pq.write_table(table, sink, compression="zstd", write_page_checksum=True)
    with_page_checksums = sink.getvalue().to_pybytes()
    recorded = hashlib.sha256(data).hexdigest()

    def against_record(d: bytes) -> pa.Table:
        if hashlib.sha256(d).hexdigest() != recorded:
            raise ValueError("not the recorded bytes")
        return pq.read_table(io.BytesIO(d))

    print(f"60 single-byte flips of {path} ({len(data):,} bytes, {table.num_rows} rows)")
    for name, file, read in [
        ("plain pyarrow read (as written: zstd, no page checksums)", data, lambda d: pq.read_table(io.BytesIO(d))),
        (f"page checksums written and verified ({len(with_page_checksums):,} bytes)", with_page_checksums,
         lambda d: pq.read_table(io.BytesIO(d), page_checksum_verification=True)),
        ("sha256 of the file bytes against its record (Lake.read_table)", data, against_record),
    ]:
        print(f"  {name:75s} {dict(flip_outcomes(file, read))}")


def read_as_before(lake: Lake, table: Table) -> pl.DataFrame:
    """``read_table`` before verification: one pyarrow dataset over the table's files."""
    partitioning = pads.partitioning(pa.schema([(c, table.arrow_type(c)) for c in table.partition_by]), flavor="hive")
    dataset = pads.dataset(lake.partition_files(table), filesystem=lake.fs, format="parquet",
                           partitioning=partitioning, partition_base_dir=lake.table_dir(table))
    return table.enforce(pl.from_arrow(dataset.to_table()))


def verification_only(lake: Lake, table: Table) -> int:
    for path in lake.partition_files(table):
        lake._verified_bytes(table, path)
    return len(lake.partition_files(table))


def timed(f, repeat: int) -> tuple[float, float]:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        f()
        times.append(time.perf_counter() - start)
    return min(times), statistics.median(times)


def cost(source: Lake, repeat: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        lake = Lake(tmp)
        for table in (PLAY_BY_PLAY, EVENT_STATE):
            df = source.read_table(table)
            lake.write_table(table, df, dates=df["game_date"].unique().to_list())
            files = lake.partition_files(table)
            size = sum(lake.fs.get_file_info(f).size for f in files)
            assert read_as_before(lake, table).sort(table.key).equals(lake.read_table(table).sort(table.key))
            print(f"{table.layer}.{table.name}: {df.height:,} rows in {len(files)} files, {size / 1e6:.1f} MB; best / median of {repeat}")
            before, verified, alone = (
                timed(lambda table=table: read_as_before(lake, table), repeat),
                timed(lambda table=table: lake.read_table(table), repeat),
                timed(lambda table=table: verification_only(lake, table), repeat),
            )
            print(f"  before: pyarrow dataset, unverified        {before[0]:6.3f} s / {before[1]:6.3f} s")
            print(f"  Lake.read_table, verified                  {verified[0]:6.3f} s / {verified[1]:6.3f} s"
                  f"  ({(verified[1] / before[1] - 1) * 100:+.0f}% median)")
            print(f"  verification alone (bytes, record, sha256) {alone[0]:6.3f} s / {alone[1]:6.3f} s")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--lake", required=True, help="a lake with a season of silver play_by_play and gold event_state")
    parser.add_argument("--flip", help="the Parquet file to flip bytes of (default: the lake's first play_by_play file)")
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()
    source = Lake(args.lake)
    flips(Path(args.flip or source.partition_files(PLAY_BY_PLAY)[0]))
    cost(source, args.repeat)
    return 0


if __name__ == "__main__":
    sys.exit(main())
