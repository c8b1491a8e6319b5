"""Per-game isolation: a game that cannot be published is held back with its reason, never silently.

Plain functions over polars frames, shared by every layer: an asset turns its fetch errors and
its game-level rules into ``silver.game_issues`` rows, drops the held-back games from what it
writes, and publishes every other game. The asset checks read the rows back.
"""

from __future__ import annotations

import datetime as dt

import polars as pl

from nba_lakehouse.partitions import season_of_game_expr
from nba_lakehouse.schemas import GAME_ISSUES

HELD_BACK = "held_back"  # the game is missing from the recording asset's tables
FLAGGED = "flagged"  # the game is published, with a caveat (e.g. starters inferred without a box score)

VIOLATION_SCHEMA = pl.Schema({"game_id": pl.String, "rule": pl.String, "detail": pl.String})


def violations(rows: list[tuple[str, str, str]]) -> pl.DataFrame:
    """Violation rows from (game_id, rule, detail) tuples, e.g. the games a fetch or parse failed for."""
    return pl.DataFrame(rows, schema=VIOLATION_SCHEMA, orient="row")


def per_game(offending: pl.DataFrame, rule: str, what: str) -> pl.DataFrame:
    """An audit's offending rows (events, team-games, players) as one violation row per game.

    The detail counts the rows and shows the first one, so the reason names what and where.
    """
    if offending.is_empty():
        return pl.DataFrame(schema=VIOLATION_SCHEMA)
    shown = [c for c in offending.columns if c != "game_id"]
    first = pl.concat_str([pl.format(f"{c}={{}}", _as_text(c, offending.schema[c])) for c in shown], separator=" ")
    return (
        offending.with_columns(_first=first)
        .group_by("game_id", maintain_order=True)
        .agg(rows=pl.len(), first=pl.col("_first").first())
        .select(
            "game_id",
            rule=pl.lit(rule),
            detail=pl.format(f"{{}} {what}; first: {{}}", pl.col("rows"), pl.col("first")),
        )
        .cast(VIOLATION_SCHEMA)
    )


def _as_text(column: str, dtype: pl.DataType) -> pl.Expr:
    value = pl.col(column)
    if isinstance(dtype, pl.List):  # lineups: "[1628378,1629636,...]"
        value = pl.format("[{}]", value.list.eval(pl.element().cast(pl.String)).list.join(","))
    return value.cast(pl.String).fill_null("null")


def combine(*frames: pl.DataFrame) -> pl.DataFrame:
    """All violations of several rules, one row per (game, rule)."""
    frames = tuple(f for f in frames if f.height)
    if not frames:
        return pl.DataFrame(schema=VIOLATION_SCHEMA)
    return pl.concat([f.select(VIOLATION_SCHEMA.keys()).cast(VIOLATION_SCHEMA) for f in frames]).unique(
        ["game_id", "rule"], keep="first", maintain_order=True
    )


def without_games(df: pl.DataFrame, games: pl.DataFrame) -> pl.DataFrame:
    """``df`` without the rows of the games in ``games`` (a frame with a game_id column)."""
    if games.is_empty() or df.is_empty():
        return df
    return df.join(games.select("game_id").unique(), on="game_id", how="anti")


def issue_rows(
    found: pl.DataFrame,
    game_dates: pl.DataFrame | dict[str, dt.date],
    *,
    recorded_by: str,
    stage: str,
    tables: str,
    action: str = HELD_BACK,
    run_id: str | None = None,
) -> pl.DataFrame:
    """``silver.game_issues`` rows for violations (game_id, rule, detail).

    ``game_dates`` gives each game's date: a dict, or a frame with game_id and game_date (the
    rows the asset read). A game whose date is unknown cannot be filed and is an error.
    """
    if isinstance(game_dates, dict):
        game_dates = pl.DataFrame(
            {"game_id": list(game_dates), "game_date": list(game_dates.values())},
            schema={"game_id": pl.String, "game_date": pl.Date},
        )
    dates = game_dates.select("game_id", "game_date").unique("game_id", keep="first")
    rows = found.join(dates, on="game_id", how="left")
    undated = rows.filter(pl.col("game_date").is_null())
    if undated.height:
        raise ValueError(f"{recorded_by}: no game date for held-back games {undated['game_id'].to_list()}")
    return GAME_ISSUES.enforce(
        rows.with_columns(
            season=season_of_game_expr(pl.col("game_id")),
            recorded_by=pl.lit(recorded_by),
            stage=pl.lit(stage),
            tables=pl.lit(tables),
            action=pl.lit(action),
            run_id=pl.lit(run_id, pl.String),
            recorded_at=pl.lit(dt.datetime.now(dt.UTC)),
        ).select(GAME_ISSUES.column_names)
    )


# Metadata is copied onto the materialization event of every date of a range run, so lists of
# games stop at a sample; silver.game_issues holds them all.
SAMPLE_GAMES = 20


def summarize(issues: pl.DataFrame) -> dict[str, dict]:
    """``{"rule (action)": {"games": n, "first": [up to 20 game ids]}}``: what metadata and checks show."""
    grouped = (
        issues.group_by("rule", "action").agg(pl.col("game_id").unique().sort()).sort("action", "rule")
    )
    return {
        f"{r['rule']} ({r['action']})": {"games": len(r["game_id"]), "first": r["game_id"][:SAMPLE_GAMES]}
        for r in grouped.iter_rows(named=True)
    }
