"""Faults of the lake's own files: a silver or gold Parquet file damaged at rest, a write killed
between the steps of its commit, a bronze response or silver partition gone from under a run.

Every case starts from one clean run of 2023-01-02 (the real V3 recordings of game 0022200552,
served by the shared fake NBA) of the date's gold and what it is built from (play-by-play, box
scores, the scoreboard: no detail feed, which no case here touches), and changes its lake in the way
each test's docstring states.
"""

import logging
import shutil

import dagster as dg
import polars as pl
import pytest

from nba_lakehouse.definitions import per_game_date
from nba_lakehouse.lake import CHECKSUMS_DIR, PART_FILE, Lake, LakeCorruptError
from nba_lakehouse.schemas import PLAY_BY_PLAY
from nba_lakehouse_tests.fake_nba import lake_snapshot, run_dates, serve

DATE, GAME, SEASON = "2023-01-02", "0022200552", "2022-23"
GOLD = dg.AssetSelection.assets("players_on_court", "possessions", "stints", "team_game_stats", "event_state")
GOLD_AND_UPSTREAM = GOLD.upstream() & per_game_date
SILVER = GOLD_AND_UPSTREAM & dg.AssetSelection.groups("silver")


@pytest.fixture(scope="module")
def fake():
    with serve() as server:
        yield server


@pytest.fixture(scope="module")
def clean(tmp_path_factory, fake):
    """The lake of one clean run of the date's gold and its upstream, and its snapshot."""
    root = tmp_path_factory.mktemp("clean") / "lake"
    assert run_dates(root, fake.client(), DATE, selection=GOLD_AND_UPSTREAM).success
    return root, lake_snapshot(root)


@pytest.fixture
def lake(clean, tmp_path):
    """A copy of the clean lake to damage."""
    root = tmp_path / "lake"
    shutil.copytree(clean[0], root)
    return root


def _pbp_file(root) -> str:
    return f"{Lake(str(root)).partition_dir(PLAY_BY_PLAY, (SEASON, DATE))}/{PART_FILE}"


def _failure(result, step: str) -> str:
    return result.failure_data_for_node(step).error.to_string()


def _files(root, *layers: str) -> dict[str, bytes]:
    """The layers' files byte for byte (a corrupt file cannot go through ``lake_snapshot``)."""
    return {str(p.relative_to(root)): p.read_bytes() for layer in layers for p in sorted((root / layer).rglob("*")) if p.is_file()}


def test_every_single_byte_flip_of_a_silver_file_fails_its_read_naming_the_file(lake):
    """The real silver play_by_play file of the clean run with one byte XORed with 0xFF, at 60
    offsets spread evenly from its first byte to its last, one at a time (a plain pyarrow read
    returns different rows, or the same, for about a third of these without a word)."""
    path, store = _pbp_file(lake), Lake(str(lake))
    original = open(path, "rb").read()
    expected = store.read_table(PLAY_BY_PLAY, game_dates=[DATE])
    offsets = sorted({k * (len(original) - 1) // 59 for k in range(60)})
    assert len(offsets) == 60
    for offset in offsets:
        flipped = bytearray(original)
        flipped[offset] ^= 0xFF
        with open(path, "wb") as f:
            f.write(flipped)
        with pytest.raises(LakeCorruptError) as caught:
            store.read_table(PLAY_BY_PLAY, game_dates=[DATE])
        message = str(caught.value)
        assert "\n" not in message and message.startswith(f"{path} is corrupt"), offset
        assert "re-materialize asset play_by_play for partition 2023-01-02" in message
    with open(path, "wb") as f:
        f.write(original)
    assert store.read_table(PLAY_BY_PLAY, game_dates=[DATE]).equals(expected)


def test_gold_is_not_rebuilt_from_a_corrupted_silver_file_and_the_named_fix_repairs_it(lake, clean, fake):
    """The clean run's silver play_by_play file with its middle byte XORed with 0xFF, then a run of
    the date's gold; then the fix the error names (play_by_play for the date), then gold again."""
    path = _pbp_file(lake)
    data = bytearray(open(path, "rb").read())
    data[len(data) // 2] ^= 0xFF
    with open(path, "wb") as f:
        f.write(data)
    before = _files(lake, "gold")

    result = run_dates(lake, fake.client(), DATE, selection=GOLD)
    assert not result.success
    for step in ("players_on_court", "possessions"):
        assert f"{path} is corrupt" in _failure(result, step)
        assert "re-materialize asset play_by_play for partition 2023-01-02" in _failure(result, step)
    assert _files(lake, "gold") == before

    assert run_dates(lake, fake.client(), DATE, selection=dg.AssetSelection.assets("play_by_play")).success
    assert run_dates(lake, fake.client(), DATE, selection=GOLD).success
    assert lake_snapshot(lake) == clean[1]


def test_a_deleted_bronze_manifest_fails_the_silver_run_and_keeps_silver_and_gold(lake, clean, fake):
    """The clean run's bronze PlayByPlayV3 manifest of 0022200552 deleted (its body kept), then a
    run of the date's silver (of the clean run's selection); then the manifest put back and the silver run again."""
    (manifest,) = (lake / "bronze" / "playbyplayv3").rglob(f"{DATE}_{GAME}.manifest.json")
    saved = manifest.read_bytes()
    manifest.unlink()
    before = _files(lake, "silver", "gold")

    result = run_dates(lake, fake.client(), DATE, selection=SILVER)
    assert not result.success
    message = _failure(result, "play_by_play")
    for named in ("silver.play_by_play", "playbyplayv3", GAME, DATE, str(manifest), "nothing written",
                  "materialize bronze_play_by_play for 2023-01-02"):
        assert named in message, named
    assert _files(lake, "silver", "gold") == before

    manifest.write_bytes(saved)
    assert run_dates(lake, fake.client(), DATE, selection=SILVER).success
    assert lake_snapshot(lake) == clean[1]


def test_a_missing_silver_partition_fails_the_gold_run_and_keeps_gold(lake, clean, fake):
    """The clean run's silver play_by_play file of the date deleted (with its checksum record),
    then a run of the date's gold; then the fix the error names, then gold again."""
    path = _pbp_file(lake)
    store = Lake(str(lake))
    for gone in (path, store.checksum_path(path)):
        store.delete_file(gone)
    before = _files(lake, "gold")

    result = run_dates(lake, fake.client(), DATE, selection=GOLD)
    assert not result.success
    message = _failure(result, "players_on_court")
    assert f"silver.play_by_play has no rows of game {GAME} of {DATE} (expected in {path})" in message
    assert "materialize play_by_play for 2023-01-02 first" in message and "gold.players_on_court" in message
    assert _files(lake, "gold") == before

    assert run_dates(lake, fake.client(), DATE, selection=dg.AssetSelection.assets("play_by_play")).success
    assert run_dates(lake, fake.client(), DATE, selection=GOLD).success
    assert lake_snapshot(lake) == clean[1]


class Killed(BaseException):
    """The process dying at a storage step (BaseException: nothing on the way may catch it)."""


def _mutations(monkeypatch, kill_at: int | None) -> list[str]:
    """Count the lake's storage mutations (file writes and deletes); die before number ``kill_at``."""
    done: list[str] = []
    for name in ("write_bytes", "delete_file"):
        real = getattr(Lake, name)

        def step(self, path, *args, _real=real, _name=name):
            if len(done) == kill_at:
                raise Killed(f"{_name} {path}")
            done.append(f"{_name} {path}")
            return _real(self, path, *args)

        monkeypatch.setattr(Lake, name, step)
    return done


OPERATIONS = ("replace", "delete", "replace a file written before checksums")


@pytest.mark.parametrize("operation", OPERATIONS)
@pytest.mark.parametrize("root", ["local", "mock:///bucket/lake"])
def test_a_write_killed_at_any_step_leaves_the_old_or_the_new_file_and_both_verify(clean, tmp_path, monkeypatch, root, operation):
    """The clean run's real silver play_by_play rows of the date written to a fresh lake (local, and
    an object store), then replaced by the same rows without period 4 and later (or deleted by a
    write that owns the date and has no rows for it), killed before each storage step of the commit
    in turn. "Written before checksums": the first file's record removed before the replacement."""
    old = Lake(str(clean[0])).read_table(PLAY_BY_PLAY, game_dates=[DATE]).sort("game_id", "event_order")
    new = PLAY_BY_PLAY.empty() if operation == "delete" else old.filter(pl.col("period") < 4)
    dates = old["game_date"].unique().to_list()
    kill_at, outcomes = 0, []
    while True:
        store = Lake(str(tmp_path / f"lake-{kill_at}") if root == "local" else f"{root}-{kill_at}")
        with monkeypatch.context() as patched:
            _mutations(patched, None)
            store.write_table(PLAY_BY_PLAY, old, dates=dates)
        if operation.startswith("replace a file"):
            store.delete_file(store.checksum_path(_pbp_file_of(store)))
        with monkeypatch.context() as patched:
            done = _mutations(patched, kill_at)
            try:
                store.write_table(PLAY_BY_PLAY, new, dates=dates)
                finished = True
            except Killed:
                finished = False
        read = store.read_table(PLAY_BY_PLAY, game_dates=[DATE]).sort("game_id", "event_order")  # verifies
        outcomes.append("new" if read.equals(new) else "old" if read.equals(old) else "neither")
        if finished:
            break
        kill_at += 1
    # Killed before the first step: the old file; at the last: the new; each step between leaves one of them.
    assert outcomes[0] == "old" and outcomes[-1] == "new" and "neither" not in outcomes, (done, outcomes)
    assert len(outcomes) == len(done) + 1 >= 3, done  # at least: record, file, record
    store.write_table(PLAY_BY_PLAY, old, dates=dates)  # a later write after any kill leaves one accepted version
    assert store.read_table(PLAY_BY_PLAY, game_dates=[DATE]).sort("game_id", "event_order").equals(old)
    assert store.read_bytes(store.checksum_path(_pbp_file_of(store))).count(b"sha256") == 1


def _pbp_file_of(store: Lake) -> str:
    return f"{store.partition_dir(PLAY_BY_PLAY, (SEASON, DATE))}/{PART_FILE}"


def test_a_file_written_before_checksums_reads_with_a_warning_and_its_next_write_records_it(lake, caplog):
    """The clean run's silver play_by_play file with its checksum record removed, as a lake written
    before records has it."""
    store = Lake(str(lake))
    path = _pbp_file(lake)
    expected = store.read_table(PLAY_BY_PLAY, game_dates=[DATE])
    store.delete_file(store.checksum_path(path))
    with caplog.at_level(logging.WARNING, logger="nba_lakehouse.lake"):
        assert store.read_table(PLAY_BY_PLAY, game_dates=[DATE]).equals(expected)
    assert "1 files written before checksums were recorded" in caplog.text and path in caplog.text
    store.write_table(PLAY_BY_PLAY, expected, dates=[expected["game_date"][0]])
    assert store.exists(store.checksum_path(path))
    data = bytearray(open(path, "rb").read())
    data[-1] ^= 0xFF
    with open(path, "wb") as f:
        f.write(data)
    with pytest.raises(LakeCorruptError, match=path):
        store.read_table(PLAY_BY_PLAY, game_dates=[DATE])


def test_records_sit_outside_the_tables_so_directory_reads_see_only_data(lake):
    """The clean run's lake as written: nothing but part files inside silver/ and gold/, every one
    with a record under _checksums/, and a polars directory read of a table gives read_table's rows."""
    store = Lake(str(lake))
    data_files = sorted(p for layer in ("silver", "gold") for p in (lake / layer).rglob("*") if p.is_file())
    assert data_files and {p.name for p in data_files} == {PART_FILE}
    records = sorted((lake / CHECKSUMS_DIR).rglob("*.json"))
    assert [store.checksum_path(str(p)) for p in data_files] == [str(p) for p in records]
    folder = pl.read_parquet(lake / "silver" / "play_by_play", hive_partitioning=True)
    assert folder.height == store.read_table(PLAY_BY_PLAY).height
