"""Small helpers every layer's assets and checks share: partitions in, metadata and results out."""

# No `from __future__ import annotations`: Dagster reads the check's resource annotation at definition time.

import datetime as dt

import dagster as dg
import polars as pl

from nba_lakehouse.game_issues import HELD_BACK, summarize
from nba_lakehouse.partitions import game_date_partitions, game_date_range, parse_game_date
from nba_lakehouse.resources import LakeResource
from nba_lakehouse.schemas import GAME_ISSUES, Table


def partition_dates(context) -> list[dt.date]:
    """The game dates a run covers: one, or a whole range under a single-run backfill.

    The range comes from the run's tags as given, since Dagster runs a reversed range as a run of
    no date and normalizes a malformed key: both fail here, naming the valid format and range.
    """
    try:
        if context.has_partition_key_range:
            key_range = context.partition_key_range
            return game_date_range(key_range.start, key_range.end)
        return [parse_game_date(context.partition_key)]
    except ValueError as exc:
        raise dg.Failure(description=str(exc)) from None


def table_definition_metadata(table: Table) -> dict:
    return {"dagster/column_schema": table.dagster_table_schema(), "layer": table.layer, "key": ", ".join(table.key)}


def table_result(df: pl.DataFrame, written: dict, asset_key: str | None = None, extra: dict | None = None) -> dg.MaterializeResult:
    metadata = {
        "dagster/row_count": df.height,
        "partitions_written": len(written),
        **(extra or {}),
    }
    if "game_id" in df.columns:
        metadata["games"] = df["game_id"].n_unique()
    return dg.MaterializeResult(asset_key=asset_key, metadata=metadata)


def unless_empty(context, df: pl.DataFrame, written: dict):
    """The table's materialization, or none when the run wrote no row for any of its dates.

    For leaf tables whose source may hold nothing for a whole range (no scoreboards recorded, no
    box scores in a season): the write has already emptied the run's partitions, and a range run
    then pays no event per date for a table that has nothing.
    """
    if df.is_empty():
        context.log.info(f"no rows for any of the run's {len(context.partition_keys)} dates: nothing to materialize")
        return
    yield table_result(df, written)


def audit_result(
    violations: pl.DataFrame, checked: int, what: str, check_name: str | None = None, asset_key: str | None = None
) -> dg.AssetCheckResult:
    """Pass when the audit found nothing; otherwise show the first offending rows."""
    metadata = {"checked": checked, "violations": violations.height}
    if violations.height:
        with pl.Config(tbl_formatting="MARKDOWN", tbl_hide_dataframe_shape=True, tbl_hide_column_data_types=True, tbl_rows=20):
            metadata["sample"] = dg.MetadataValue.md(str(violations.head(20)))
    return dg.AssetCheckResult(
        check_name=check_name,
        asset_key=asset_key,
        passed=violations.is_empty(),
        severity=dg.AssetCheckSeverity.ERROR,
        description=f"{violations.height} {what}" if violations.height else f"no {what} in {checked} checked",
        metadata=metadata,
    )


# Per-game isolation ----------------------------------------------------------------------------
def record_issues(context, store, dates: list[dt.date], issues: pl.DataFrame) -> dict:
    """Replace what this asset said about these dates in ``silver.game_issues``; return metadata.

    Writing the asset's own partition of every run date, even with no rows, is what clears an
    issue once a re-run finds its cause gone.
    """
    name = context.op_def.name
    store.write_table(GAME_ISSUES, issues, dates=dates, within={"recorded_by": name})
    held = issues.filter(pl.col("action") == HELD_BACK)
    return {
        "games_held_back": held["game_id"].n_unique(),
        "games_flagged": issues.filter(pl.col("action") != HELD_BACK)["game_id"].n_unique(),
        "game_issues": dg.MetadataValue.json(summarize(issues)),
    }


def held_back_check(asset: str, recorded_by: str, rules: str):
    """A non-blocking check on ``asset``: fails (WARN) naming the games its step held back.

    Non-blocking on purpose: the games that passed are published and flow downstream; the
    blocking checks beside it guard what was published.
    """

    @dg.asset_check(
        asset=asset, name="games_held_back", blocking=False, partitions_def=game_date_partitions,
        description=f"No game of the date was held back by {recorded_by} ({rules}); lists flagged games too",
    )
    def games_held_back(context: dg.AssetCheckExecutionContext, lake: LakeResource) -> dg.AssetCheckResult:
        issues = lake.lake().read_table(GAME_ISSUES, game_dates=partition_dates(context)).filter(
            pl.col("recorded_by") == recorded_by
        )
        held = issues.filter(pl.col("action") == HELD_BACK).sort("game_id", "rule")
        metadata = {"games_held_back": held["game_id"].n_unique(), "game_issues": dg.MetadataValue.json(summarize(issues))}
        if held.height:
            with pl.Config(tbl_formatting="MARKDOWN", tbl_hide_dataframe_shape=True, tbl_hide_column_data_types=True,
                           tbl_rows=20, fmt_str_lengths=120):
                metadata["sample"] = dg.MetadataValue.md(str(held.select("game_date", "game_id", "rule", "detail").head(20)))
        rules_by_game = held.group_by("game_id", maintain_order=True).agg(pl.col("rule").unique().sort().str.join(", "))
        games = ", ".join(f"{g} ({r})" for g, r in rules_by_game.iter_rows())
        return dg.AssetCheckResult(
            passed=held.is_empty(),
            severity=dg.AssetCheckSeverity.WARN,
            description=f"{held['game_id'].n_unique()} games held back: {games}" if held.height else "no game held back",
            metadata=metadata,
        )

    return games_held_back
