"""Gold freshness judged per partition, and only for game dates that had games.

A per-asset time window ("a materialization in the last 3 days") fails every off-season and the
All-Star break, and passes while one date of the week never got built. What a user of gold needs
instead: every recent game date with games has its gold partition built after that night's games
were over, by the morning after. A season table's partition (its season) is due for each such date.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import polars as pl

from nba_lakehouse.partitions import TIMEZONE

LOOKBACK_DAYS = 7  # older dates are a backfill's business, not the nightly pipeline's
# The latest games of a night (10:30 pm Eastern tip-offs, overtime) are over by 3 am Eastern; the
# new-games sensor (every 15 min) and automation then have until noon to build gold.
GAMES_OVER = dt.time(3, 0)
DUE_BY = dt.time(12, 0)

_EASTERN = ZoneInfo(TIMEZONE)


def evaluation_time() -> dt.datetime:
    """Now, as the freshness check judges it (a function so that tests can set the clock)."""
    return dt.datetime.now(dt.UTC)


def games_over_at(game_date: dt.date) -> dt.datetime:
    """When the last game of ``game_date`` is certainly over: a materialization before that may
    predate a final score."""
    return dt.datetime.combine(game_date + dt.timedelta(days=1), GAMES_OVER, _EASTERN)


def due_at(game_date: dt.date) -> dt.datetime:
    """When gold for ``game_date`` is due: noon Eastern the morning after."""
    return dt.datetime.combine(game_date + dt.timedelta(days=1), DUE_BY, _EASTERN)


def _eastern_morning_after(at: dt.time) -> pl.Expr:
    """``at`` US Eastern on the day after each game_date, in UTC: the frame form of ``due_at``."""
    wall_clock = pl.col("game_date").cast(pl.Datetime("us")) + pl.duration(days=1, hours=at.hour, minutes=at.minute)
    return wall_clock.dt.replace_time_zone(TIMEZONE).dt.convert_time_zone("UTC")


def dates_to_judge(now: dt.datetime) -> tuple[dt.date, dt.date]:
    """The game dates one evaluation at ``now`` looks at: the last LOOKBACK_DAYS whose gold is due."""
    today = now.astimezone(_EASTERN).date()
    last_due = today - dt.timedelta(days=1) if now >= due_at(today - dt.timedelta(days=1)) else today - dt.timedelta(days=2)
    return last_due - dt.timedelta(days=LOOKBACK_DAYS - 1), last_due


def game_dates_with_games(schedule: pl.DataFrame, scoreboard_games: pl.DataFrame) -> pl.DataFrame:
    """(game_date, season) of the dates the NBA played or scheduled games on: the schedule
    (postponed games left out) and any scoreboard that listed a final game, so a lake without the
    season's schedule still knows."""
    scheduled = schedule.filter(pl.col("postponed_status").fill_null("A") != "P")
    seen_final = scoreboard_games.filter(pl.col("status") == "final")
    return (
        pl.concat([scheduled.select("game_date", "season"), seen_final.select("game_date", "season")])
        .unique().sort("game_date", "season")
    )


def stale_partitions(game_dates: pl.DataFrame, built_at: dict[str, dt.datetime], partition_of: str) -> pl.DataFrame:
    """The partitions of one asset not built since their game dates' games were over.

    ``game_dates`` is ``game_dates_with_games``' frame; ``built_at`` maps a partition key to its
    latest materialization; ``partition_of`` is ``game_date`` (per-date tables: the date's own
    partition) or ``season`` (season tables: the season of the game date). One row per stale
    (game date, partition).
    """
    built = pl.DataFrame(
        {"partition": list(built_at), "last_built_at": list(built_at.values())},
        schema={"partition": pl.String, "last_built_at": pl.Datetime("us", "UTC")},
    )
    due = game_dates.with_columns(
        partition=pl.col("game_date").cast(pl.String) if partition_of == "game_date" else pl.col("season"),
        games_over_at=_eastern_morning_after(GAMES_OVER),
        due_at=_eastern_morning_after(DUE_BY),
    )
    return (
        due.join(built, on="partition", how="left")
        .filter(pl.col("last_built_at").is_null() | (pl.col("last_built_at") < pl.col("games_over_at")))
        .select("game_date", "partition", "due_at", "last_built_at")
    )
