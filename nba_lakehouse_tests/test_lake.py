"""The lake module's table and bronze calls, locally and on a non-local filesystem (the same calls
work on an object store's URI).

pyarrow's in-memory ``mock://`` filesystem stands in for S3 here; it has no rename, so writes
take the object-store path (a direct PUT) rather than temp-file-and-rename.
"""

import datetime as dt
import gzip

import polars as pl
import pytest

from nba_lakehouse.bronze.archive import (
    GAME_FEEDS,
    ArchiveCorruptError,
    archive_game_response,
    archived_for_date,
    load_payload,
)
from nba_lakehouse.lake import Lake
from nba_lakehouse.schemas import PLAY_BY_PLAY
from nba_lakehouse.sources.client import NBAClient


def test_tables_round_trip_on_an_object_store_uri(sample_frames):
    lake = Lake("mock:///bucket/lake")
    assert not lake.is_local
    pbp = sample_frames["play_by_play"]
    dates = pbp["game_date"].unique().to_list()
    written = lake.write_table(PLAY_BY_PLAY, pbp, dates=dates)
    assert sum(written.values()) == pbp.height
    assert lake.read_table(PLAY_BY_PLAY).sort("game_id", "event_order").equals(pbp.sort("game_id", "event_order"))
    one = dates[0]
    assert lake.read_table(PLAY_BY_PLAY, game_dates=[one])["game_date"].unique().to_list() == [one]
    assert lake.table_glob(PLAY_BY_PLAY) == "mock://bucket/lake/silver/play_by_play/*/*/part-0.parquet"
    lake.write_table(PLAY_BY_PLAY, pbp.filter(pl.col("game_date") != one), dates=[one])
    assert lake.read_table(PLAY_BY_PLAY, game_dates=[one]).is_empty()


@pytest.mark.parametrize("order", ["by date", "dates interleaved"])
def test_each_partition_file_holds_its_rows_in_the_order_written(tmp_path, sample_frames, order):
    """A partition whose rows are consecutive is written from a slice, one whose rows are spread
    over the frame from a gather; the frame is in two chunks, the cut inside a partition."""
    pbp = sample_frames["play_by_play"]
    dates = pbp["game_date"].unique().sort().to_list()
    frame = pbp.sort("game_date", "game_id", "event_order") if order == "by date" else pbp.sort("event_order", "game_id")
    cut = frame.height // 2 + 7
    frame = pl.concat([frame.head(cut), frame.tail(frame.height - cut)], rechunk=False)
    assert frame.n_chunks() == 2 and len(dates) > 1
    lake = Lake(str(tmp_path / "lake"))
    lake.write_table(PLAY_BY_PLAY, frame, dates=dates)
    for date in dates:
        assert lake.read_table(PLAY_BY_PLAY, game_dates=[date]).equals(frame.filter(pl.col("game_date") == date)), date


def _archive_one(kind: str, feed: str, game_id: str, game_date: dt.date):
    """Fetch one recorded response through the replay client and archive it on a mock store."""
    lake = Lake("mock:///bucket/lake")
    method = GAME_FEEDS[kind][feed].client_method
    response = getattr(NBAClient(mode="replay"), method)(game_id)
    archive_game_response(lake, response, kind=kind, feed=GAME_FEEDS[kind][feed], game_id=game_id, game_date=game_date)
    (manifest,) = archived_for_date(lake, kind, game_date)
    return lake, response, manifest


def test_bronze_round_trip_on_an_object_store_uri():
    lake, response, manifest = _archive_one("play_by_play", "v3", "0022200552", dt.date(2023, 1, 2))
    assert manifest["manifest_path"].startswith("bucket/lake/bronze/playbyplayv3/season=2022-23/month=01/")
    assert load_payload(lake, manifest) == response.payload


def test_a_bronze_body_that_does_not_match_its_manifest_is_refused():
    lake, response, manifest = _archive_one("box_score", "cdn", "0022000001", dt.date(2020, 12, 22))
    body_path = manifest["manifest_path"].rsplit("/", 1)[0] + "/" + manifest["body_path"]
    lake.write_bytes(body_path, gzip.compress(response.body.replace(b'"score": 125', b'"score": 126')))
    with pytest.raises(ArchiveCorruptError, match=r"2020-12-22_0022000001\.[0-9a-f]{16}\.json\.gz does not match .*refresh=true"):
        load_payload(lake, manifest)
