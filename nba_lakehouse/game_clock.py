"""NBA game-clock rules shared by the silver audit and the gold game state."""

import polars as pl

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


def spans(events: pl.DataFrame, key: str) -> pl.DataFrame:
    """Game time covered by consecutive runs of events: (game_id, period, ``key``, start, end).

    ``events`` has game_id, period, event_order, clock_seconds and ``key``, numbered in game
    order. A run ends at its last event (the substitution, the made basket...), or at the end of
    the period for the period's last run; the next run starts where the previous one ended.
    """
    period = pl.col("period")
    is_last = pl.col(key) == pl.col(key).max().over("game_id", "period")
    return (
        events.group_by("game_id", "period", key)
        .agg(last_clock=pl.col("clock_seconds").sort_by("event_order").last())
        .with_columns(
            end=pl.when(is_last).then(seconds_elapsed(period, pl.lit(0.0)))
            .otherwise(seconds_elapsed(period, pl.col("last_clock")))
        )
        .with_columns(
            start=pl.col("end").shift(1).over("game_id", "period", order_by=key)
            .fill_null(period_start_elapsed(period))
        )
        .select("game_id", "period", key, "start", "end")
    )
