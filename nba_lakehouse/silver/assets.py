"""Silver assets: typed, normalized tables parsed from the bronze archive, per game date."""

import datetime as dt

import dagster as dg
import polars as pl

from nba_lakehouse.bronze.archive import archived_for_date, load_payload
from nba_lakehouse.bronze.assets import bronze_box_score, bronze_play_by_play
from nba_lakehouse.partitions import game_date_partitions
from nba_lakehouse.resources import LakeResource
from nba_lakehouse.schemas import BOX_SCORE_PLAYERS, BOX_SCORE_TEAMS, GAMES, PLAY_BY_PLAY
from nba_lakehouse.silver.box_scores import box_score_from_payload
from nba_lakehouse.silver.games import build_games, with_partition_columns
from nba_lakehouse.silver.play_by_play import play_by_play_from_payloads
from nba_lakehouse.wiring import partition_dates, table_definition_metadata, table_result

_common = dict(
    partitions_def=game_date_partitions,
    backfill_policy=dg.BackfillPolicy.single_run(),
    group_name="silver",
    kinds={"polars", "parquet"},
)


@dg.asset(
    deps=[bronze_play_by_play],
    description=PLAY_BY_PLAY.description,
    metadata=table_definition_metadata(PLAY_BY_PLAY),
    **_common,
)
def play_by_play(context: dg.AssetExecutionContext, lake: LakeResource) -> dg.MaterializeResult:
    store = lake.lake()
    dates = partition_dates(context)
    manifests = [m for d in dates for m in archived_for_date(store, "play_by_play", d)]
    df = play_by_play_from_payloads([(load_payload(store, m), m["feed"], m["game_id"]) for m in manifests])
    df = with_partition_columns(df, {m["game_id"]: dt.date.fromisoformat(m["game_date"]) for m in manifests})
    written = store.write_table(PLAY_BY_PLAY, df, dates=dates)
    return table_result(df, written)


@dg.multi_asset(
    specs=[
        dg.AssetSpec(
            t.name, deps=[bronze_box_score], description=t.description, metadata=table_definition_metadata(t),
            group_name="silver", kinds={"polars", "parquet"},
        )
        for t in (BOX_SCORE_PLAYERS, BOX_SCORE_TEAMS)
    ],
    partitions_def=game_date_partitions,
    backfill_policy=dg.BackfillPolicy.single_run(),
)
def box_scores(context: dg.AssetExecutionContext, lake: LakeResource):
    store = lake.lake()
    dates = partition_dates(context)
    players, teams = [], []
    for d in dates:
        for m in archived_for_date(store, "box_score", d):
            p, t = box_score_from_payload(load_payload(store, m), m["feed"], m["game_id"])
            players.append(with_partition_columns(p, d))
            teams.append(with_partition_columns(t, d))
    for table, frames in ((BOX_SCORE_PLAYERS, players), (BOX_SCORE_TEAMS, teams)):
        df = pl.concat(frames) if frames else table.empty()
        written = store.write_table(table, df, dates=dates)
        yield table_result(df, written, asset_key=table.name)


@dg.asset(
    deps=["box_score_teams", play_by_play],
    description=GAMES.description,
    metadata=table_definition_metadata(GAMES),
    **_common,
)
def games(context: dg.AssetExecutionContext, lake: LakeResource) -> dg.MaterializeResult:
    store = lake.lake()
    dates = partition_dates(context)
    df = build_games(
        store.read_table(BOX_SCORE_TEAMS, game_dates=dates), store.read_table(PLAY_BY_PLAY, game_dates=dates)
    )
    written = store.write_table(GAMES, df, dates=dates)
    return table_result(df, written)
