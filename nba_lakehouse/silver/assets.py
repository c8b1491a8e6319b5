"""Silver assets: typed, normalized tables parsed from the bronze archive.

Per game date: play-by-play, box scores, shots, hustle, rotations, summaries, scoreboards.
Per season: schedule, game logs, season stats, and the reconciled games.
Reference (whole tables): teams and players.
"""

import datetime as dt
from typing import Any

import dagster as dg
import polars as pl

from nba_lakehouse import game_issues
from nba_lakehouse.automation.conditions import FOLLOW_UPSTREAM
from nba_lakehouse.bronze import assets as bronze
from nba_lakehouse.bronze.archive import (
    GAME_FEEDS,
    SCHEDULE_ENDPOINTS,
    TEAM_GAME_LOG_ENDPOINTS,
    ArchiveCorruptError,
    archived_for_date,
    archived_season_parts,
    date_manifest_path,
    find_archived_date,
    find_archived_reference,
    find_archived_season,
    game_manifest_path,
    load_payload,
    season_manifest_path,
    verified_body,
)
from nba_lakehouse.bronze.assets import bronze_box_score, bronze_play_by_play
from nba_lakehouse.bronze.discovery import SCOREBOARD_ENDPOINTS
from nba_lakehouse.partitions import game_date_partitions, season_partitions
from nba_lakehouse.progress import date_progress
from nba_lakehouse.resources import LakeResource
from nba_lakehouse.schemas import (
    BOX_SCORE_PLAYERS,
    BOX_SCORE_TEAMS,
    GAME_ISSUES,
    GAME_OFFICIALS,
    GAME_ROTATIONS,
    GAME_SUMMARIES,
    GAMES,
    INACTIVE_PLAYERS,
    LINE_SCORES,
    PLAY_BY_PLAY,
    PLAYER_GAME_LOGS,
    PLAYER_HUSTLE_STATS,
    PLAYER_SEASON_STATS,
    PLAYERS,
    SCHEDULE,
    SCOREBOARD_GAMES,
    SHOTS,
    TEAM_GAME_LOGS,
    TEAMS,
    Table,
)
from nba_lakehouse.silver.audits import box_score_rule_violations
from nba_lakehouse.silver.box_scores import box_score_from_payload
from nba_lakehouse.silver.game_details import (
    hustle_stats_from_payload,
    rotations_from_payload,
    shots_from_payload,
    summary_from_payload,
)
from nba_lakehouse.silver.games import build_games, with_partition_columns
from nba_lakehouse.silver.reference import (
    build_players,
    build_teams,
    static_player_list,
    static_team_list,
    team_years_from_payload,
)
from nba_lakehouse.silver.repairs import publishable_play_by_play, repairs_by_rule
from nba_lakehouse.silver.schedule import schedule_from_payload, scoreboard_from_payload
from nba_lakehouse.silver.season_stats import (
    player_game_logs_from_payload,
    player_season_stats_from_payload,
    team_game_logs_from_payload,
)
from nba_lakehouse.silver.secondary_players import secondary_player_counts
from nba_lakehouse.sources.errors import NBASourceError
from nba_lakehouse.sources.payloads import Body
from nba_lakehouse.wiring import (
    partition_dates,
    record_issues,
    refuse_to_drop_rows_without_input,
    table_definition_metadata,
    table_result,
    unless_empty,
)


def _spec(table: Table, deps, **kwargs) -> dg.AssetSpec:
    return dg.AssetSpec(
        table.name, deps=deps, description=table.description, metadata=table_definition_metadata(table),
        group_name="silver", kinds={"polars", "parquet"}, **kwargs,
    )


_common: dict[str, Any] = dict(
    partitions_def=game_date_partitions,
    backfill_policy=dg.BackfillPolicy.single_run(),
    group_name="silver",
    kinds={"polars", "parquet"},
    automation_condition=FOLLOW_UPSTREAM,
)

# The bronze asset that archives each kind of per-game response.
BRONZE_ASSET_OF_KIND = {
    "play_by_play": "bronze_play_by_play", "box_score": "bronze_box_score", "summary": "bronze_box_score_summary",
    "hustle": "bronze_hustle_stats", "rotation": "bronze_game_rotation", "shots": "bronze_shot_chart",
}


def _keep_games_without_response(context, store, kind: str, tables: tuple[Table, ...], dates, manifests: list[dict]) -> None:
    """Fail before writing if a game published in ``tables`` has no archived ``kind`` response any more."""
    found = pl.DataFrame(
        {"game_id": [m["game_id"] for m in manifests], "game_date": [dt.date.fromisoformat(m["game_date"]) for m in manifests]},
        schema={"game_id": pl.String, "game_date": pl.Date},
    )

    def missing(row: dict) -> tuple[str, str]:
        game, day = row["game_id"], row["game_date"]
        feeds = GAME_FEEDS[kind]
        feed = feeds.get(row.get("source") or "") or next(iter(feeds.values()))  # the feed its rows came from
        path = game_manifest_path(store, feed.endpoint, game, day, "*" if kind == "shots" else None)
        return (
            f"the bronze {feed.endpoint} response of game {game} of {day} is gone (no manifest {path})",
            f"restore it, or archive it again (materialize {BRONZE_ASSET_OF_KIND[kind]} for {day} with config "
            f"game_ids: ['{game}']), then {context.op_def.name}",
        )

    for table in tables:
        refuse_to_drop_rows_without_input(store, table, found, missing, dates=dates)


def _keep_season_without_response(context, store, table: Table, endpoints, bronze_asset: str) -> None:
    """Fail if the season's table holds rows and its bronze response is gone."""
    season = context.partition_key

    def missing(row: dict) -> tuple[str, str]:
        paths = " or ".join(season_manifest_path(store, e, season) for e in endpoints)
        return (
            f"the bronze response of season {season} is gone (no manifest {paths})",
            f"restore it, or archive it again (materialize {bronze_asset} for {season}), then {context.op_def.name}",
        )

    refuse_to_drop_rows_without_input(store, table, pl.DataFrame(schema={"season": pl.String}), missing, seasons=[season])


@dg.asset(
    # The box score is the roster V3's names resolve through (without one, the feed's own names).
    deps=[bronze_play_by_play, "box_score_players"],
    description=PLAY_BY_PLAY.description,
    metadata=table_definition_metadata(PLAY_BY_PLAY),
    **_common,
)
def play_by_play(context: dg.AssetExecutionContext, lake: LakeResource) -> dg.MaterializeResult:
    store = lake.lake()
    dates = partition_dates(context)
    progress = date_progress(context, dates)
    manifests, payloads, unreadable = [], [], []
    for d in dates:
        for m in archived_for_date(store, "play_by_play", d):
            manifests.append(m)
            try:
                # Undecoded: V3 bodies go straight to polars' JSON reader (payloads.records_frame).
                payloads.append((Body(m["request"], verified_body(store, m)), m["feed"], m["game_id"]))
            except (ArchiveCorruptError, NBASourceError) as exc:
                unreadable.append((m["game_id"], "unusable_payload", str(exc)))
        progress.step(detail=f"{d}, {len(manifests)} games read")
    game_dates = {m["game_id"]: dt.date.fromisoformat(m["game_date"]) for m in manifests}
    # A game still inconsistent after the repairs is held back; every other game is published.
    box_players = store.read_table(BOX_SCORE_PLAYERS, game_dates=dates)
    df, unpublishable, unresolved = publishable_play_by_play(payloads, game_dates, box_players)
    failed = game_issues.combine(game_issues.violations(unreadable), unpublishable)
    issue = dict(recorded_by=context.op_def.name, stage="silver", run_id=context.run.run_id)
    issues = pl.concat([
        game_issues.issue_rows(failed, game_dates, tables="play_by_play and the gold tables built from it", **issue),
        game_issues.issue_rows(unresolved, game_dates, tables="play_by_play secondary player ids",
                               action=game_issues.FLAGGED, **issue),
    ])
    _keep_games_without_response(context, store, "play_by_play", (PLAY_BY_PLAY,), dates, manifests)
    written = store.write_table(PLAY_BY_PLAY, df, dates=dates)
    repairs = {rule: rows for rule, rows, _ in repairs_by_rule(df).iter_rows()}
    extra = {
        **record_issues(context, store, dates, issues),
        "repairs": dg.MetadataValue.json(repairs),
        "secondary_players": dg.MetadataValue.json(secondary_player_counts(df)),
    }
    return table_result(df, written, extra=extra)


@dg.multi_asset(
    specs=[
        _spec(t, [bronze_box_score], automation_condition=FOLLOW_UPSTREAM)
        for t in (BOX_SCORE_PLAYERS, BOX_SCORE_TEAMS)
    ],
    partitions_def=game_date_partitions,
    backfill_policy=dg.BackfillPolicy.single_run(),
)
def box_scores(context: dg.AssetExecutionContext, lake: LakeResource):
    store = lake.lake()
    dates = partition_dates(context)
    players, teams, unusable, game_dates, manifests = [], [], [], {}, []
    progress = date_progress(context, dates)
    for d in dates:
        for m in archived_for_date(store, "box_score", d):
            manifests.append(m)
            game_dates[m["game_id"]] = d
            try:
                p, t = box_score_from_payload(load_payload(store, m), m["feed"], m["game_id"])
            except (ArchiveCorruptError, NBASourceError, KeyError, TypeError, ValueError, pl.exceptions.PolarsError) as exc:
                unusable.append((m["game_id"], "unusable_payload", f"{m['feed']} box score: {type(exc).__name__}: {exc}"))
                continue
            players.append(with_partition_columns(p, d))
            teams.append(with_partition_columns(t, d))
        progress.step(detail=f"{d}, {len(teams)} games parsed")
    players_df = BOX_SCORE_PLAYERS.enforce(pl.concat(players)) if players else BOX_SCORE_PLAYERS.empty()
    teams_df = BOX_SCORE_TEAMS.enforce(pl.concat(teams)) if teams else BOX_SCORE_TEAMS.empty()
    failed = game_issues.combine(game_issues.violations(unusable), box_score_rule_violations(players_df, teams_df))
    issues = game_issues.issue_rows(
        failed, game_dates, recorded_by=context.op_def.name, stage="silver",
        tables="box_score_players, box_score_teams", run_id=context.run.run_id,
    )
    _keep_games_without_response(context, store, "box_score", (BOX_SCORE_PLAYERS, BOX_SCORE_TEAMS), dates, manifests)
    extra = record_issues(context, store, dates, issues)
    for table, df in ((BOX_SCORE_PLAYERS, players_df), (BOX_SCORE_TEAMS, teams_df)):
        df = game_issues.without_games(df, failed)
        written = store.write_table(table, df, dates=dates)
        yield table_result(df, written, asset_key=table.name, extra=extra)


def _fetched_at(manifest: dict) -> dt.datetime:
    return dt.datetime.fromisoformat(manifest["fetched_at"])


def _write_per_game(context, lake: LakeResource, kind: str, parse, tables: tuple[Table, ...]):
    """Parse every archived response of ``kind`` for the run's dates into ``tables``."""
    store, dates = lake.lake(), partition_dates(context)
    frames: list[list[pl.DataFrame]] = [[] for _ in tables]
    progress, manifests = date_progress(context, dates), []
    for d in dates:
        for manifest in archived_for_date(store, kind, d):
            parsed = parse(load_payload(store, manifest))
            manifests.append(manifest)
            for bucket, df in zip(frames, parsed if isinstance(parsed, tuple) else (parsed,), strict=True):
                bucket.append(with_partition_columns(df, d))
        progress.step(detail=f"{d}, {len(manifests)} responses parsed")
    _keep_games_without_response(context, store, kind, tables, dates, manifests)
    for table, parts in zip(tables, frames, strict=True):
        df = pl.concat(parts) if parts else table.empty()
        written = store.write_table(table, df, dates=dates)
        yield table_result(df, written, asset_key=table.name)


# Per-game detail tables ---------------------------------------------------------------------
@dg.asset(deps=[bronze.bronze_shot_chart], description=SHOTS.description, metadata=table_definition_metadata(SHOTS), **_common)
def shots(context: dg.AssetExecutionContext, lake: LakeResource) -> dg.MaterializeResult:
    return next(_write_per_game(context, lake, "shots", shots_from_payload, (SHOTS,)))


@dg.asset(
    deps=[bronze.bronze_hustle_stats], description=PLAYER_HUSTLE_STATS.description,
    metadata=table_definition_metadata(PLAYER_HUSTLE_STATS), **_common,
)
def player_hustle_stats(context: dg.AssetExecutionContext, lake: LakeResource) -> dg.MaterializeResult:
    return next(_write_per_game(context, lake, "hustle", hustle_stats_from_payload, (PLAYER_HUSTLE_STATS,)))


@dg.asset(
    deps=[bronze.bronze_game_rotation], description=GAME_ROTATIONS.description,
    metadata=table_definition_metadata(GAME_ROTATIONS), **_common,
)
def game_rotations(context: dg.AssetExecutionContext, lake: LakeResource) -> dg.MaterializeResult:
    return next(_write_per_game(context, lake, "rotation", rotations_from_payload, (GAME_ROTATIONS,)))


SUMMARY_TABLES = (GAME_SUMMARIES, LINE_SCORES, GAME_OFFICIALS, INACTIVE_PLAYERS)


@dg.multi_asset(
    specs=[_spec(t, [bronze.bronze_box_score_summary], automation_condition=FOLLOW_UPSTREAM) for t in SUMMARY_TABLES],
    partitions_def=game_date_partitions,
    backfill_policy=dg.BackfillPolicy.single_run(),
)
def game_summaries(context: dg.AssetExecutionContext, lake: LakeResource):
    yield from _write_per_game(context, lake, "summary", summary_from_payload, SUMMARY_TABLES)


@dg.asset(
    deps=[bronze.bronze_scoreboard], description=SCOREBOARD_GAMES.description,
    metadata=table_definition_metadata(SCOREBOARD_GAMES), output_required=False, **_common,
)
def scoreboard_games(context: dg.AssetExecutionContext, lake: LakeResource):
    store, dates = lake.lake(), partition_dates(context)
    frames, found = [], []
    progress = date_progress(context, dates)
    for d in dates:
        manifest = find_archived_date(store, SCOREBOARD_ENDPOINTS, d)
        if manifest:
            frames.append(scoreboard_from_payload(load_payload(store, manifest), manifest["endpoint"], d, _fetched_at(manifest)))
            found.append(d)
        progress.step(detail=f"{d}, {len(frames)} scoreboards parsed")

    def missing(row: dict) -> tuple[str, str]:
        day = row["game_date"]
        paths = " or ".join(date_manifest_path(store, e, day) for e in SCOREBOARD_ENDPOINTS)
        return (
            f"the bronze scoreboard of {day} is gone (no manifest {paths})",
            f"restore it, or archive it again (materialize bronze_scoreboard for {day}), then {context.op_def.name}",
        )

    refuse_to_drop_rows_without_input(
        store, SCOREBOARD_GAMES, pl.DataFrame({"game_date": found}, schema={"game_date": pl.Date}), missing, dates=dates
    )
    df = pl.concat(frames) if frames else SCOREBOARD_GAMES.empty()
    yield from unless_empty(context, df, store.write_table(SCOREBOARD_GAMES, df, dates=dates))


# Season tables ------------------------------------------------------------------------------
_season_common: dict[str, Any] = dict(partitions_def=season_partitions, group_name="silver", kinds={"polars", "parquet"})


def _write_season(context, store, table: Table, df: pl.DataFrame) -> dg.MaterializeResult:
    """Write one season's rows; rows of another season (a mislabelled response) are an error."""
    season = context.partition_key
    stray = df.filter(pl.col("season") != season)
    if stray.height:
        raise dg.Failure(
            f"{table.name}: {stray.height} rows of season(s) {sorted(set(stray['season']))} in the {season} "
            f"response (first game {stray['game_id'][0] if 'game_id' in stray.columns else '?'}); nothing written"
        )
    return table_result(df, store.write_table(table, df, seasons=[season]))


@dg.asset(deps=[bronze.bronze_schedule], description=SCHEDULE.description, metadata=table_definition_metadata(SCHEDULE), **_season_common)
def schedule(context: dg.AssetExecutionContext, lake: LakeResource) -> dg.MaterializeResult:
    store = lake.lake()
    manifest = find_archived_season(store, SCHEDULE_ENDPOINTS, context.partition_key)
    if manifest is None:
        _keep_season_without_response(context, store, SCHEDULE, SCHEDULE_ENDPOINTS, "bronze_schedule")
    df = schedule_from_payload(load_payload(store, manifest), manifest["endpoint"]) if manifest else SCHEDULE.empty()
    return _write_season(context, store, SCHEDULE, df)


@dg.asset(
    deps=[bronze.bronze_team_game_log], description=TEAM_GAME_LOGS.description,
    metadata=table_definition_metadata(TEAM_GAME_LOGS), **_season_common,
)
def team_game_logs(context: dg.AssetExecutionContext, lake: LakeResource) -> dg.MaterializeResult:
    store = lake.lake()
    manifest = find_archived_season(store, TEAM_GAME_LOG_ENDPOINTS, context.partition_key)
    if manifest is None:
        _keep_season_without_response(context, store, TEAM_GAME_LOGS, TEAM_GAME_LOG_ENDPOINTS, "bronze_team_game_log")
    df = team_game_logs_from_payload(load_payload(store, manifest), manifest["endpoint"]) if manifest else TEAM_GAME_LOGS.empty()
    return _write_season(context, store, TEAM_GAME_LOGS, df)


@dg.asset(
    deps=[bronze.bronze_player_season_stats], description=PLAYER_SEASON_STATS.description,
    metadata=table_definition_metadata(PLAYER_SEASON_STATS), **_season_common,
)
def player_season_stats(context: dg.AssetExecutionContext, lake: LakeResource) -> dg.MaterializeResult:
    store, season = lake.lake(), context.partition_key
    manifest = find_archived_season(store, ["leaguedashplayerstats"], season)
    if manifest is None:
        _keep_season_without_response(context, store, PLAYER_SEASON_STATS, ["leaguedashplayerstats"], "bronze_player_season_stats")
    df = (
        player_season_stats_from_payload(load_payload(store, manifest), season, _fetched_at(manifest))
        if manifest else PLAYER_SEASON_STATS.empty()
    )
    return _write_season(context, store, PLAYER_SEASON_STATS, df)


@dg.asset(
    deps=[bronze.bronze_player_game_logs], description=PLAYER_GAME_LOGS.description,
    metadata=table_definition_metadata(PLAYER_GAME_LOGS), **_season_common,
)
def player_game_logs(context: dg.AssetExecutionContext, lake: LakeResource) -> dg.MaterializeResult:
    store, season = lake.lake(), context.partition_key
    # The league-wide response when there is one, else every per-player response.
    manifests = [m for m in [find_archived_season(store, ["playergamelogs"], season)] if m] or archived_season_parts(
        store, "playergamelog", season
    )
    if not manifests:
        _keep_season_without_response(context, store, PLAYER_GAME_LOGS, ["playergamelogs", "playergamelog"], "bronze_player_game_logs")
    frames = [player_game_logs_from_payload(load_payload(store, m), m["endpoint"]) for m in manifests]
    df = pl.concat(frames).unique(["game_id", "player_id"], keep="first") if frames else PLAYER_GAME_LOGS.empty()
    return _write_season(context, store, PLAYER_GAME_LOGS, df)


# A season is a set of game dates no built-in time mapping can express (2019-20 ended in October
# 2020), so season assets depend on all dates and read their season's folder.
_ALL = dg.AllPartitionMapping()


@dg.asset(
    deps=[
        schedule, team_game_logs,
        *[dg.AssetDep(name, partition_mapping=_ALL) for name in ("scoreboard_games", "box_score_teams", "play_by_play")],
    ],
    description=GAMES.description,
    metadata=table_definition_metadata(GAMES),
    **_season_common,
)
def games(context: dg.AssetExecutionContext, lake: LakeResource) -> dg.MaterializeResult:
    store, seasons = lake.lake(), [context.partition_key]
    df = build_games(
        store.read_table(SCHEDULE, seasons=seasons),
        store.read_table(SCOREBOARD_GAMES, seasons=seasons),
        store.read_table(TEAM_GAME_LOGS, seasons=seasons),
        store.read_table(BOX_SCORE_TEAMS, seasons=seasons),
        store.read_table(PLAY_BY_PLAY, seasons=seasons),
    )
    return _write_season(context, store, GAMES, df)


# Reference tables ---------------------------------------------------------------------------
_reference_common: dict[str, Any] = dict(group_name="silver", kinds={"polars", "parquet"})
# Where team identities are seen: each table and, per team it names, the columns of that team.
_IDENTITY = ("team_id", "team_tricode", "team_city", "team_name")
TEAM_SIGHTINGS = {
    TEAM_GAME_LOGS: [{"team_id": "team_id", "team_tricode": "team_tricode"}],
    BOX_SCORE_TEAMS: [{c: c for c in _IDENTITY}],
    SCHEDULE: [{c: f"{side}_{c}" for c in _IDENTITY} for side in ("home", "away")],
}


def _team_sightings(store) -> pl.DataFrame:
    frames = []
    for table, sides in TEAM_SIGHTINGS.items():
        df = store.read_table(table, columns=["season", *[c for side in sides for c in side.values()]])
        frames += [df.select("season", **side) for side in sides]
    return pl.concat(frames, how="diagonal_relaxed")


@dg.asset(
    deps=[bronze.bronze_team_years, *[dg.AssetDep(t.name, partition_mapping=_ALL) for t in TEAM_SIGHTINGS]],
    description=TEAMS.description,
    metadata=table_definition_metadata(TEAMS),
    **_reference_common,
)
def teams(lake: LakeResource) -> dg.MaterializeResult:
    store = lake.lake()
    manifest = find_archived_reference(store, "commonteamyears")
    if manifest is None:
        raise dg.Failure("teams needs CommonTeamYears: materialize bronze_team_years first")
    df = build_teams(team_years_from_payload(load_payload(store, manifest)), static_team_list(), _team_sightings(store))
    return table_result(df, store.write_table(TEAMS, df))


PLAYER_SIGHTINGS = (BOX_SCORE_PLAYERS, PLAYER_GAME_LOGS, PLAYER_SEASON_STATS, SHOTS, PLAYER_HUSTLE_STATS, GAME_ROTATIONS)


@dg.asset(
    deps=[dg.AssetDep(t.name, partition_mapping=_ALL) for t in PLAYER_SIGHTINGS],
    description=PLAYERS.description,
    metadata=table_definition_metadata(PLAYERS),
    **_reference_common,
)
def players(lake: LakeResource) -> dg.MaterializeResult:
    store = lake.lake()
    seen = pl.concat(
        [
            store.read_table(t, columns=[c for c in ("season", "game_date", "player_id", "player_name", "team_id") if c in t.column_index])
            for t in PLAYER_SIGHTINGS
        ],
        how="diagonal_relaxed",
    )
    box = store.read_table(BOX_SCORE_PLAYERS, columns=["player_id", "game_id"])
    df = build_players(static_player_list(), seen, box)
    return table_result(df, store.write_table(PLAYERS, df))


# Written by the per-date assets that judge games (each its own recorded_by partition), so it is
# declared here, not materialized by a step of its own.
game_issues_spec = dg.AssetSpec(
    GAME_ISSUES.name,
    deps=["bronze_play_by_play", "bronze_box_score", "play_by_play", "box_score_teams", "players_on_court", "possessions", "stints"],
    description=GAME_ISSUES.description + " Written by the assets it depends on.",
    metadata=table_definition_metadata(GAME_ISSUES),
    group_name="silver",
    kinds={"polars", "parquet"},
)
