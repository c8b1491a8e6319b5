"""NBA game-clock rules shared by the silver audit and the gold game state."""

import polars as pl

REGULATION_PERIODS = 4
REGULATION_PERIOD_SECONDS = 720.0  # 12 minutes
OVERTIME_PERIOD_SECONDS = 300.0  # 5 minutes


def period_length(period: pl.Expr) -> pl.Expr:
    """Seconds in the period: 720 in regulation, 300 in each overtime."""
    return pl.when(period > REGULATION_PERIODS).then(OVERTIME_PERIOD_SECONDS).otherwise(REGULATION_PERIOD_SECONDS)
