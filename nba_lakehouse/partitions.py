"""Partitions: per-game data by game date (US Eastern), season-level data by season ``2024-25``."""

from __future__ import annotations

import datetime as dt
import os
import re
from zoneinfo import ZoneInfo

import dagster as dg
import polars as pl

EARLIEST_SEASON_START_YEAR = 1996  # play-by-play exists from 1996-97 on
# The lake's first season unless NBA_FIRST_SEASON says otherwise: the earliest recorded sample
# game's (data/replay/games.csv), so the UI shows the dates a lake of the recordings can hold, not
# 11,000 dates since 1996 as "0% filled". History back to 1996-97 is a setting.
DEFAULT_FIRST_SEASON = "2016-17"
SEASON_START_MONTH_DAY = (8, 1)  # a season's dates run from August 1 (schedules are published then)
TIMEZONE = "America/New_York"


def season_label(start_year: int) -> str:
    return f"{start_year}-{(start_year + 1) % 100:02d}"


def current_season_start_year(today: dt.date | None = None) -> int:
    today = today or dt.date.today()
    # Schedules for the next season are published in August.
    return today.year if today.month >= SEASON_START_MONTH_DAY[0] else today.year - 1


def season_start_year(text: str) -> int | None:
    """The start year of a season written like ``2022-23`` (start year, dash, next year's last two
    digits), or None when ``text`` is not one."""
    match = re.fullmatch(r"(\d{4})-\d{2}", text.strip())
    return int(match[1]) if match and season_label(int(match[1])) == text.strip() else None


def first_season_start_year(setting: str | None = None) -> int:
    """The start year of the lake's first season: ``NBA_FIRST_SEASON`` (``2016-17``), else the default.

    Every process of a deployment (UI, daemon, run workers) must read the same value, as with
    NBA_LAKE_ROOT: the partitions are built from it. ValueError naming the setting otherwise.
    """
    text = (os.environ.get("NBA_FIRST_SEASON") if setting is None else setting) or DEFAULT_FIRST_SEASON
    start = season_start_year(text)
    latest = current_season_start_year()
    if start is None:
        raise ValueError(f"NBA_FIRST_SEASON={text!r} is not a season: write it like 2016-17")
    if not EARLIEST_SEASON_START_YEAR <= start <= latest:
        raise ValueError(f"NBA_FIRST_SEASON={text} is outside the seasons with play-by-play: "
                         f"{season_label(EARLIEST_SEASON_START_YEAR)} to {season_label(latest)}")
    return start


FIRST_SEASON_START_YEAR = first_season_start_year()

# From the first season's August 1; end_offset=1 keeps today's date launchable while tonight's
# games finish.
game_date_partitions = dg.DailyPartitionsDefinition(
    start_date=dt.date(FIRST_SEASON_START_YEAR, *SEASON_START_MONTH_DAY).isoformat(), timezone=TIMEZONE, end_offset=1
)


def today_eastern() -> dt.date:
    """Today's game date: game dates are US Eastern."""
    return dt.datetime.now(ZoneInfo(TIMEZONE)).date()


season_partitions = dg.StaticPartitionsDefinition(
    [season_label(y) for y in range(FIRST_SEASON_START_YEAR, current_season_start_year() + 1)]
)

SEASON_TYPES = {"1": "Pre Season", "2": "Regular Season", "3": "All-Star", "4": "Playoffs", "5": "PlayIn"}


def season_of_game(game_id: str) -> str:
    """``0022200552`` -> ``2022-23``: the 4th and 5th digits are the season's start year."""
    if len(game_id) != 10 or not game_id.isdigit():
        raise ValueError(f"not an NBA game id: {game_id!r} (expected 10 digits such as 0022200552)")
    yy = int(game_id[3:5])
    return season_label(1900 + yy if yy >= 46 else 2000 + yy)


def season_label_expr(start_year: pl.Expr) -> pl.Expr:
    """The expression form of ``season_label``: 2022 -> 2022-23."""
    return pl.format("{}-{}", start_year, ((start_year + 1) % 100).cast(pl.String).str.zfill(2))


def season_start_year_expr(season: pl.Expr) -> pl.Expr:
    """2022-23 -> 2022."""
    return season.str.slice(0, 4).cast(pl.Int32)


def season_of_game_expr(game_id: pl.Expr) -> pl.Expr:
    yy = game_id.str.slice(3, 2).cast(pl.Int32)
    return season_label_expr(pl.when(yy >= 46).then(1900 + yy).otherwise(2000 + yy))


def season_type_expr(game_id: pl.Expr) -> pl.Expr:
    return game_id.str.slice(2, 1).replace_strict(SEASON_TYPES, default="Unknown")


def seasons_possibly_containing(game_date: dt.date) -> list[str]:
    """Seasons whose games can fall on ``game_date``.

    A season starts in the autumn and usually ends in June, but 2019-20 ended in October 2020,
    so autumn dates are looked up in the previous season too.
    """
    start = game_date.year if game_date.month >= 8 else game_date.year - 1
    seasons = [season_label(start)]
    if game_date.month >= 8:
        seasons.insert(0, season_label(start - 1))
    return seasons


GAME_DATE_KEY = re.compile(r"\d{4}-\d{2}-\d{2}")  # what Dagster's keys look like; fromisoformat alone takes 20230105 too


def valid_game_dates() -> str:
    """The format and range of game-date partition keys, for error messages."""
    first = game_date_partitions.start.date().isoformat()
    return (f"write YYYY-MM-DD, a real date from {first} to {game_date_partitions.get_last_partition_key()} "
            "(NBA_FIRST_SEASON sets the first season)")


def parse_game_date(key: str) -> dt.date:
    """A game-date partition key as a date; ValueError naming the valid format and range otherwise.

    Dagster builds a range run's keys from its ``dagster/asset_partition_range_start``/``_end``
    tags leniently (``2023-1-5`` passes), so keys given by hand are checked here.
    """
    try:
        date = dt.date.fromisoformat(key) if GAME_DATE_KEY.fullmatch(key) else None
    except ValueError:  # 2023-02-30
        date = None
    if date is None or not game_date_partitions.has_partition_key(key):
        raise ValueError(f"game date {key!r} is not a game-date partition: {valid_game_dates()}")
    return date


def game_date_range(start_key: str, end_key: str) -> list[dt.date]:
    """Every date of the range ``start_key..end_key``, both checked; ValueError for a reversed range.

    Dagster runs a reversed range as a run of no partition that succeeds having done nothing.
    """
    start, end = parse_game_date(start_key), parse_game_date(end_key)
    if start > end:
        raise ValueError(
            f"game-date range {start_key}..{end_key} is reversed: its start is after its end "
            f"(give the earlier date first; {valid_game_dates()})"
        )
    return [start + dt.timedelta(days=i) for i in range((end - start).days + 1)]
