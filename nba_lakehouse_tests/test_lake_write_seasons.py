"""``Lake.write_table(..., seasons=...)`` on real tables of the sample games, on a tmp lake.

``seasons`` names the partitions a write owns: every partition of those seasons the frame has no
rows for is emptied (for a (season, game_date) table every date folder of the season), and
nothing of another season is touched. It is not a filter: rows of another season are written to
their own partition like any other (refusing them is the season asset's job, ``_write_season``).
"""

from pathlib import Path

import polars as pl
import pytest

from nba_lakehouse.gold.starter_splits import build_starter_splits
from nba_lakehouse.lake import Lake
from nba_lakehouse.schemas import PLAY_BY_PLAY, STARTER_SPLITS


def files_of(root: Path) -> dict[str, bytes]:
    """Every file under the lake (data and checksum records), by relative path."""
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def under(files: dict[str, bytes], table, season: str) -> dict[str, bytes]:
    """The files (and records) of one season of a table."""
    return {path: data for path, data in files.items() if f"{table.layer}/{table.name}/season={season}/" in path}


@pytest.fixture
def splits(sample_frames) -> pl.DataFrame:
    """gold starter_splits (partitioned by season) of the four sample games, one season each."""
    return STARTER_SPLITS.enforce(build_starter_splits(sample_frames["box_score_players"]))


def test_the_sample_tables_span_several_seasons(sample_frames, splits):
    assert splits["season"].n_unique() >= 3
    assert sample_frames["play_by_play"]["season"].n_unique() >= 3


def test_a_season_write_replaces_that_season_and_leaves_the_others_byte_identical(tmp_path, splits):
    lake = Lake(str(tmp_path))
    lake.write_table(STARTER_SPLITS, splits, seasons=splits["season"].unique().to_list())
    before = files_of(tmp_path)
    season = splits["season"].max()
    fewer = splits.filter(pl.col("season") == season).head(3).with_columns(games_started=pl.col("games_started") + 1)

    written = lake.write_table(STARTER_SPLITS, fewer, seasons=[season])

    after = files_of(tmp_path)
    assert written == {(season,): 3}
    others = {p: d for p, d in before.items() if f"season={season}/" not in p}
    assert {p: after[p] for p in others} == others  # every other season's file and record, byte for byte
    assert under(after, STARTER_SPLITS, season) != under(before, STARTER_SPLITS, season)
    assert lake.read_table(STARTER_SPLITS, seasons=[season]).sort("player_id").equals(fewer.sort("player_id"))
    untouched = splits.filter(pl.col("season") != season)
    assert lake.read_table(STARTER_SPLITS).filter(pl.col("season") != season).sort("season", "player_id").equals(
        untouched.sort("season", "player_id"))


def test_a_season_write_without_rows_for_the_season_empties_it(tmp_path, splits):
    lake = Lake(str(tmp_path))
    lake.write_table(STARTER_SPLITS, splits, seasons=splits["season"].unique().to_list())
    season = splits["season"].min()
    others = {p: d for p, d in files_of(tmp_path).items() if f"season={season}/" not in p}

    assert lake.write_table(STARTER_SPLITS, splits.filter(pl.col("season") != season).clear(), seasons=[season]) == {}

    assert lake.read_table(STARTER_SPLITS, seasons=[season]).is_empty()
    assert not under(files_of(tmp_path), STARTER_SPLITS, season)  # file and record gone
    assert files_of(tmp_path) == others


def test_a_whole_season_write_of_a_game_date_table_owns_every_date_folder_of_the_season(tmp_path, sample_frames):
    """play_by_play is by (season, game_date): a seasons= write drops the season's dates it has
    no rows for and leaves every other season's dates byte-identical."""
    lake = Lake(str(tmp_path))
    pbp = sample_frames["play_by_play"]
    lake.write_table(PLAY_BY_PLAY, pbp, dates=pbp["game_date"].unique().to_list())
    before = files_of(tmp_path)
    season = "2022-23"
    assert pbp.filter(pl.col("season") == season).height  # the sample has a game that season
    assert lake.write_table(PLAY_BY_PLAY, pbp.clear(), seasons=[season]) == {}
    after = files_of(tmp_path)
    assert not under(after, PLAY_BY_PLAY, season)
    assert after == {p: d for p, d in before.items() if f"season={season}/" not in p}
    assert set(lake.read_table(PLAY_BY_PLAY)["season"]) == set(pbp["season"]) - {season}


def test_rows_of_a_season_not_named_are_written_to_their_own_partition_not_refused(tmp_path, splits):
    """``seasons`` says which partitions to empty when absent; rows outside them still land (only
    their own partition is replaced: the rest of that season is not owned). The season asset
    refuses such a frame before it gets here."""
    lake = Lake(str(tmp_path))
    named, stray = sorted(splits["season"].unique().to_list())[:2]
    lake.write_table(STARTER_SPLITS, splits, seasons=splits["season"].unique().to_list())
    written = lake.write_table(STARTER_SPLITS, splits.filter(pl.col("season").is_in([named, stray])), seasons=[named])
    assert set(written) == {(named,), (stray,)}
    assert lake.read_table(STARTER_SPLITS, seasons=[stray]).height == splits.filter(pl.col("season") == stray).height


def test_rewriting_one_season_of_a_game_date_table_with_the_same_rows_changes_no_byte(tmp_path, sample_frames):
    lake = Lake(str(tmp_path))
    pbp = sample_frames["play_by_play"]
    lake.write_table(PLAY_BY_PLAY, pbp, dates=pbp["game_date"].unique().to_list())
    before = files_of(tmp_path)
    seasons = sorted(pbp["season"].unique().to_list())
    named, stray = seasons[-1], seasons[0]
    frame = pbp.filter(pl.col("season") == named)
    lake.write_table(PLAY_BY_PLAY, frame, seasons=[named])
    assert under(files_of(tmp_path), PLAY_BY_PLAY, stray) == under(before, PLAY_BY_PLAY, stray)
    # Rewriting the same rows gives the same bytes: the named season's files are unchanged too.
    assert files_of(tmp_path) == before
