"""NBA game-clock rules shared by the silver audit and the gold game state."""

import polars as pl

from nba_lakehouse.frames import Frame, starts_run

REGULATION_PERIODS = 4
REGULATION_PERIOD_SECONDS = 720.0  # 12 minutes
OVERTIME_PERIOD_SECONDS = 300.0  # 5 minutes


def period_length(period: pl.Expr) -> pl.Expr:
    """Seconds in the period: 720 in regulation, 300 in each overtime."""
    return pl.when(period > REGULATION_PERIODS).then(OVERTIME_PERIOD_SECONDS).otherwise(REGULATION_PERIOD_SECONDS)


def period_start_elapsed(period: pl.Expr) -> pl.Expr:
    """Seconds of game time played before the period starts."""
    before = period.cast(pl.Float64) - 1
    return (
        before.clip(upper_bound=REGULATION_PERIODS) * REGULATION_PERIOD_SECONDS
        + (before - REGULATION_PERIODS).clip(lower_bound=0) * OVERTIME_PERIOD_SECONDS
    )


def seconds_elapsed(period: pl.Expr, clock_seconds: pl.Expr) -> pl.Expr:
    """Seconds of game time since tip-off, from the period and the seconds left in it."""
    return period_start_elapsed(period) + period_length(period) - clock_seconds


def spans(events: Frame, key: str) -> Frame:
    """Game time covered by consecutive runs of events: (game_id, period, ``key``, start, end).

    ``events`` has game_id, period, event_order, clock_seconds and ``key``, numbered in game
    order. A run ends at its last event (the substitution, the made basket...), or at the end of
    the period for the period's last run; the next run starts where the previous one ended.
    """
    runs = events.group_by("game_id", "period", key).agg(last_clock=pl.col("clock_seconds").sort_by("event_order").last())
    return run_spans(runs.sort("game_id", "period", key), key).select("game_id", "period", key, "start", "end")


def run_spans(runs: Frame, key: str) -> Frame:
    """``runs`` (one row per run: game_id, period, ``key`` and last_clock, the clock on its last
    event; sorted by game and ``key``, which numbers the runs in game order) with the start and
    end of each, as in ``spans``. Read from the neighbouring rows of the same period, not from
    windows over periods, which cost more than the rest on one game."""
    period = pl.col("period")
    first_in_period = starts_run("game_id", "period")
    # seconds_elapsed at the run's last clock, or at 0:00 for the period's last run, with the
    # period's part computed once (on a game's few hundred runs each expression node counts).
    clock_at_end = pl.when(first_in_period.shift(-1, fill_value=True)).then(pl.lit(0.0)).otherwise(pl.col("last_clock"))
    return runs.with_columns(end=period_start_elapsed(period) + period_length(period) - clock_at_end).with_columns(
        start=pl.when(~first_in_period).then(pl.col("end").shift(1)).fill_null(period_start_elapsed(period))
    )
