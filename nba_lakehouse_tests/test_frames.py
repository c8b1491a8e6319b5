"""The polars idioms of nba_lakehouse.frames, on hand-built minimal frames."""

from __future__ import annotations

import polars as pl

from nba_lakehouse.frames import cum_sum_in_run, first_after_in_run, last_before_in_run, starts_run, with_values_per_distinct

# Two runs; run "b" opens with a null, so a fill that ignored the runs would carry run "a"'s 2 into it.
RUNS = pl.DataFrame({"run": ["a", "a", "a", "b", "b", "b"], "value": [1, None, 2, None, 3, None]})


def test_last_before_in_run_never_reaches_into_the_run_before():
    got = RUNS.select(last_before_in_run(pl.col("value"), "run"))["value"].to_list()
    assert got == [None, 1, 1, None, None, 3]
    assert got == RUNS.select(pl.col("value").forward_fill().shift(1).over("run"))["value"].to_list()


def test_first_after_in_run_never_reaches_into_the_run_after():
    got = RUNS.select(first_after_in_run(pl.col("value"), "run"))["value"].to_list()
    assert got == [2, 2, None, 3, None, None]
    assert got == RUNS.select(pl.col("value").backward_fill().shift(-1).over("run"))["value"].to_list()


def test_starts_run_marks_the_first_row_of_each_run_of_all_its_columns():
    # Game g1 period 1, g1 period 2, then g2 period 2: a new period and a new game each start a run.
    frame = pl.DataFrame({"game": ["g1", "g1", "g1", "g2", "g2"], "period": [1, 1, 2, 2, 2]})
    assert frame.select(starts_run("game"))["game"].to_list() == [True, False, False, True, False]
    assert frame.select(starts_run("game", "period"))["game"].to_list() == [True, False, True, True, False]


def test_cum_sum_in_run_restarts_at_each_run():
    frame = RUNS.with_columns(value=pl.col("value").fill_null(1))
    got = frame.select(cum_sum_in_run(pl.col("value"), starts_run("run")))["value"].to_list()
    assert got == [1, 2, 4, 1, 4, 5]
    assert got == frame.select(pl.col("value").cum_sum().over("run"))["value"].to_list()


def test_values_per_distinct_keep_the_rows_and_their_order_nulls_included():
    frame = pl.DataFrame({"name": ["b", None, "a", "b"], "row": [0, 1, 2, 3]})
    got = with_values_per_distinct(frame, "name", {"upper": pl.col("name").str.to_uppercase()})
    assert got["row"].to_list() == [0, 1, 2, 3]
    assert got["upper"].to_list() == ["B", None, "A", "B"]
