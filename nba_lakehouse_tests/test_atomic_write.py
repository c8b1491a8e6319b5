"""lake.atomic_path, the one write-temp-then-rename every local writer uses (the lake, chart PNGs, the DuckDB catalog)."""

import errno
import os

import pytest

from nba_lakehouse.lake import STAGING_DIR, Lake, atomic_path, atomic_write_file


def test_a_successful_write_replaces_the_target_and_leaves_no_temporary_file(tmp_path):
    target = tmp_path / "catalog.duckdb"
    target.write_bytes(b"old")
    with atomic_path(target, sidecars=[".wal"]) as tmp:
        with open(tmp, "wb") as f:
            f.write(b"new")
        with open(tmp + ".wal", "wb") as f:
            f.write(b"log")
        assert target.read_bytes() == b"old"  # nothing is visible before the block ends
    assert target.read_bytes() == b"new"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["catalog.duckdb"]


def test_a_failed_write_keeps_the_old_file_and_removes_its_temporary_one(tmp_path):
    target = tmp_path / "chart.png"
    atomic_write_file(target, b"old")
    with pytest.raises(RuntimeError, match="drawing failed"), atomic_path(target) as tmp:
        with open(tmp, "wb") as f:
            f.write(b"half")
        raise RuntimeError("drawing failed")
    assert target.read_bytes() == b"old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["chart.png"]


def test_a_lake_write_to_another_filesystem_stages_beside_its_target(tmp_path, monkeypatch):
    """A folder mounted inside the lake: the rename from .staging fails with EXDEV, so the bytes are
    written again beside the target and renamed there, and neither temporary file stays."""
    lake = Lake(str(tmp_path))
    target = lake.path("bronze", "endpoint", "response.json.gz")
    real_replace, renames = os.replace, []

    def replace(src, dst):
        renames.append(src)
        if f"/{STAGING_DIR}/" in src:
            raise OSError(errno.EXDEV, "Invalid cross-device link")
        real_replace(src, dst)

    monkeypatch.setattr(os, "replace", replace)
    lake.write_bytes(target, b"body")
    assert open(target, "rb").read() == b"body"
    assert [f"/{STAGING_DIR}/" in src for src in renames] == [True, False]
    assert os.listdir(os.path.dirname(target)) == ["response.json.gz"]
    assert [f for _, _, files in os.walk(tmp_path / STAGING_DIR) for f in files] == []
