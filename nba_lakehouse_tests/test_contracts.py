"""Each table's contract is checked at write time: its key (no nulls, no repeats) and its column rules."""

import datetime as dt

import polars as pl
import pytest

from nba_lakehouse.lake import Lake
from nba_lakehouse.schemas import PLAY_BY_PLAY, SchemaError, Table
from nba_lakehouse.schemas.machinery import Column

TINY = Table(
    name="tiny", layer="silver", description="two key columns and one ruled column",
    partition_by=("season",), key=("game_id", "event_order"),
    columns=(
        Column("season", pl.String, "season", nullable=False),
        Column("game_id", pl.String, "game"),
        Column("event_order", pl.Int32, "order"),
        Column("period", pl.Int16, "period", rule=pl.col("period") >= 1),
    ),
)


def _frame(**overrides) -> pl.DataFrame:
    rows = {"season": ["2022-23"] * 3, "game_id": ["g1", "g1", "g2"], "event_order": [1, 2, 1], "period": [1, 2, None]}
    return pl.DataFrame({**rows, **overrides})


def test_a_good_frame_passes():
    assert TINY.check_write(_frame()).height == 3


def test_duplicate_key_refused_naming_table_key_count_and_example():
    with pytest.raises(SchemaError) as err:
        TINY.check_write(_frame(event_order=[1, 1, 1]))
    message = str(err.value)
    assert "\n" not in message and "silver.tiny" in message and "['game_id', 'event_order']" in message
    assert "2 rows share" in message and "'game_id': 'g1', 'event_order': 1" in message


def test_null_key_refused():
    with pytest.raises(SchemaError, match=r"silver.tiny: 1 rows with a null in key \['game_id', 'event_order'\]"):
        TINY.check_write(_frame(game_id=["g1", None, "g2"]))


def test_rule_violation_refused_naming_column_and_count():
    with pytest.raises(SchemaError, match=r"silver.tiny: column period breaks its rule .* in 2 rows, e.g. 0"):
        TINY.check_write(_frame(period=[0, 0, 3]))


def test_write_table_refuses_and_leaves_stored_files_unchanged(tmp_path):
    lake = Lake(str(tmp_path))
    day = dt.date(2022, 12, 1)
    given = pl.DataFrame({
        "season": ["2022-23"] * 2, "game_date": [day] * 2, "game_id": ["0022200001"] * 2, "event_order": [1, 2],
        "source": ["v2"] * 2, "period": [1, 1], "clock_seconds": [720.0, 700.0], "event_type": ["period_start", "jump_ball"],
    })
    good = given.with_columns(pl.lit(None, c.dtype).alias(c.name) for c in PLAY_BY_PLAY.columns if c.name not in given.columns)
    lake.write_table(PLAY_BY_PLAY, good, dates=[day])
    before = lake.read_table(PLAY_BY_PLAY)
    stored = {p: p.read_bytes() for p in tmp_path.rglob("*.parquet")}
    with pytest.raises(SchemaError, match="silver.play_by_play: 2 rows share their key"):
        lake.write_table(PLAY_BY_PLAY, good.with_columns(event_order=pl.lit(3, pl.Int32)), dates=[day])
    assert {p: p.read_bytes() for p in tmp_path.rglob("*.parquet")} == stored
    assert lake.read_table(PLAY_BY_PLAY).equals(before)



@pytest.mark.parametrize(("column", "value"), [("period", 0), ("clock_seconds", 721.0), ("clock_seconds", -1.0)])
def test_play_by_play_rules_refuse_impossible_periods_and_clocks(column, value):
    frame = pl.DataFrame({"period": [1, 2], "clock_seconds": [720.0, 0.0]}, schema_overrides={"period": pl.Int16})
    with pytest.raises(SchemaError, match=f"silver.play_by_play: column {column} breaks its rule .* in 1 rows"):
        PLAY_BY_PLAY.check_rules(frame.with_columns(pl.Series(column, [value, frame[column][1]]).cast(frame[column].dtype)))
