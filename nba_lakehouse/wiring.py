"""Small helpers every layer's assets and checks share: partitions in, metadata and results out."""

# No `from __future__ import annotations`: Dagster reads the check's resource annotation at definition time.

import datetime as dt
from collections.abc import Callable
from typing import Any

import dagster as dg
import polars as pl

from nba_lakehouse.game_issues import HELD_BACK, summarize
from nba_lakehouse.lake import PART_FILE, Lake
from nba_lakehouse.partitions import game_date_partitions, game_date_range, parse_game_date, season_of_game
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


def dagster_table_schema(table: Table) -> dg.TableSchema:
    """The table's declared columns as Dagster column metadata (the UI's schema tab)."""
    return dg.TableSchema(
        columns=[
            dg.TableColumn(
                name=c.name,
                type=str(c.dtype),
                description=c.description,
                constraints=dg.TableColumnConstraints(nullable=c.nullable),
            )
            for c in table.columns
        ]
    )


def table_definition_metadata(table: Table) -> dict:
    return {"dagster/column_schema": dagster_table_schema(table), "layer": table.layer, "key": ", ".join(table.key)}


def table_result(df: pl.DataFrame, written: dict, asset_key: str | None = None, extra: dict | None = None) -> dg.MaterializeResult:
    metadata: dict[str, Any] = {
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


def markdown_sample(df: pl.DataFrame, rows: int = 20, **config) -> dg.MetadataValue:
    """The first ``rows`` of ``df`` as a markdown table for a check's metadata."""
    with pl.Config(tbl_formatting="MARKDOWN", tbl_hide_dataframe_shape=True, tbl_hide_column_data_types=True,
                   tbl_rows=rows, **config):
        return dg.MetadataValue.md(str(df.head(rows)))


def audit_result(
    violations: pl.DataFrame, checked: int, what: str, check_name: str | None = None, asset_key: str | None = None
) -> dg.AssetCheckResult:
    """Pass when the audit found nothing; otherwise show the first offending rows."""
    metadata: dict[str, Any] = {"checked": checked, "violations": violations.height}
    if violations.height:
        metadata["sample"] = markdown_sample(violations)
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
        metadata: dict[str, Any] = {"games_held_back": held["game_id"].n_unique(), "game_issues": dg.MetadataValue.json(summarize(issues))}
        if held.height:
            metadata["sample"] = markdown_sample(held.select("game_date", "game_id", "rule", "detail"), fmt_str_lengths=120)
        rules_by_game = held.group_by("game_id", maintain_order=True).agg(pl.col("rule").unique().sort().str.join(", "))
        games = ", ".join(f"{g} ({r})" for g, r in rules_by_game.iter_rows())
        return dg.AssetCheckResult(
            passed=held.is_empty(),
            severity=dg.AssetCheckSeverity.WARN,
            description=f"{held['game_id'].n_unique()} games held back: {games}" if held.height else "no game held back",
            metadata=metadata,
        )

    return games_held_back


# Never replace rows with nothing because an input is missing ------------------------------------
# What a published row of a table needs: a description of the input it was built from, where that
# input was expected, and what brings it back.
MissingInput = Callable[[dict], tuple[str, str]]


def refuse_to_drop_rows_without_input(
    store: Lake, table: Table, found: pl.DataFrame, missing: MissingInput, *,
    dates: list[dt.date] | None = None, seasons: list[str] | None = None, held_back: pl.DataFrame | None = None,
) -> None:
    """Fail, before a write, if it would empty published rows of ``table`` only because their input is gone.

    A write owns its partitions and empties what it does not rewrite, so rows whose input the run
    no longer finds would silently vanish. ``found`` holds the keys (columns of ``table``: game_id,
    game_date or season) whose input the run found; a published key not among them lost its input,
    unless it is a game ``held_back`` (game_id) for a reason recorded in game_issues, which is a
    legitimate removal. ``missing(row)`` names the lost input of a published key (its row also
    carries the table's ``source`` column when there is one) and its fix. A corrupt published file
    is no reason to keep its rows: rewriting it is its fix.
    """
    columns = [*found.columns, *(["source"] if "source" in table.column_index else [])]
    published = store.read_table(table, game_dates=dates, seasons=seasons, columns=columns, skip_corrupt=True)
    lost = published.unique().join(found, on=found.columns, how="anti")
    if held_back is not None:
        lost = lost.join(held_back.select("game_id"), on="game_id", how="anti")
    if lost.is_empty():
        return
    lost = lost.sort(found.columns)
    what, fix = missing(lost.row(0, named=True))
    others = lost.select(found.columns).unique().height - 1
    raise dg.Failure(
        f"{table.layer}.{table.name}: {what}, yet the table holds its rows"
        f"{f' (and {others} more such)' if others else ''}; nothing written, the rows are kept; {fix}"
    )


def held_back_games(store: Lake, dates: list[dt.date]) -> pl.DataFrame:
    """The games of ``dates`` some asset held back, with its reason, in game_issues."""
    issues = store.read_table(GAME_ISSUES, game_dates=dates, columns=["game_id", "action"])
    return issues.filter(pl.col("action") == HELD_BACK).select("game_id").unique()


def refuse_to_drop_gold_without_silver(
    context, store: Lake, table: Table, inputs: dict[Table, pl.DataFrame], *,
    dates: list[dt.date] | None = None, seasons: list[str] | None = None,
) -> None:
    """``refuse_to_drop_rows_without_input`` for a gold table: each published game of ``dates``
    (each published season of ``seasons``) must be in every one of ``inputs``, the silver or gold
    frames the asset read, by table; a game some asset held back may go."""
    keys = ["game_id", "game_date"] if dates is not None else ["season"]
    present = {t: df.select(keys).unique() for t, df in inputs.items()}
    found = pl.concat(list(present.values())).filter(pl.len().over(keys) == len(present)).unique()

    def missing(row: dict) -> tuple[str, str]:
        key = {k: row[k] for k in keys}
        lacking = next(t for t, rows in present.items() if rows.filter(**key).is_empty())
        if dates is not None:
            what = f"game {key['game_id']} of {key['game_date']}"
            where = f"{store.partition_dir(lacking, (season_of_game(key['game_id']), key['game_date'].isoformat()))}/{PART_FILE}"
            partition = key["game_date"]
        else:
            what = f"season {key['season']}"
            where = store.path(lacking.layer, lacking.name, f"season={key['season']}")
            partition = key["season"]
        return (
            f"{lacking.layer}.{lacking.name} has no rows of {what} (expected in {where})",
            f"materialize {lacking.name} for {partition} first (it records why a game is held back), then {context.op_def.name}",
        )

    held_back = held_back_games(store, dates) if dates is not None else None
    refuse_to_drop_rows_without_input(store, table, found, missing, dates=dates, seasons=seasons, held_back=held_back)
