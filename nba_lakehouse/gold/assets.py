"""Gold assets: analytics tables derived from silver."""

import datetime as dt
import time
from typing import Literal, overload

import dagster as dg
import polars as pl
from pydantic import Field

from nba_lakehouse import game_issues
from nba_lakehouse.automation.conditions import FOLLOW_UPSTREAM, SCORE_NEW_EVENTS
from nba_lakehouse.gold.audits import (
    games_without_box_score,
    players_on_court_rule_violations,
    possessions_rule_violations,
    stints_rule_violations,
)
from nba_lakehouse.gold.clutch_splits import build_clutch_splits
from nba_lakehouse.gold.event_state import build_event_state
from nba_lakehouse.gold.players_on_court import build_players_on_court
from nba_lakehouse.gold.possessions import build_possessions
from nba_lakehouse.gold.starter_splits import build_starter_splits
from nba_lakehouse.gold.stints import build_stints
from nba_lakehouse.gold.team_game_stats import build_team_game_stats
from nba_lakehouse.gold.win_probability import RESULT_COLUMNS, build_player_game_wpa, build_win_probability
from nba_lakehouse.gold.win_probability_model import (
    MODEL_INPUT_COLUMNS,
    WinProbabilityModel,
    default_cutoff,
    game_results,
    model_id,
    model_metadata,
    pregame_strength,
    train_model,
    training_set,
)
from nba_lakehouse.lake import BUNDLED_WIN_PROBABILITY_MODEL
from nba_lakehouse.partitions import game_date_partitions, season_partitions
from nba_lakehouse.resources import LakeResource
from nba_lakehouse.schemas import (
    BOX_SCORE_PLAYERS,
    BOX_SCORE_TEAMS,
    CLUTCH_SPLITS,
    EVENT_STATE,
    PLAY_BY_PLAY,
    PLAYER_GAME_WPA,
    PLAYERS_ON_COURT,
    POSSESSIONS,
    STARTER_SPLITS,
    STINTS,
    TEAM_GAME_STATS,
    WIN_PROBABILITY,
    Table,
)
from nba_lakehouse.silver.games import game_outcomes
from nba_lakehouse.wiring import (
    partition_dates,
    record_issues,
    refuse_to_drop_gold_without_silver,
    table_definition_metadata,
    table_result,
    unless_empty,
)


def _per_date(table: Table, deps: list[str], automation_condition: dg.AutomationCondition = FOLLOW_UPSTREAM) -> dict:
    """Decorator arguments every per-date gold table shares."""
    return dict(
        deps=deps,
        partitions_def=game_date_partitions,
        automation_condition=automation_condition,
        backfill_policy=dg.BackfillPolicy.single_run(),
        group_name="gold",
        kinds={"polars", "parquet"},
        description=table.description,
        metadata=table_definition_metadata(table),
    )


def _sides(store, dates, pbp):
    """Each game's home and away team from that date's own box score and play-by-play, so a
    date's gold does not wait for the season-level games table."""
    return game_outcomes(store.read_table(BOX_SCORE_TEAMS, game_dates=dates), pbp)


def _write(store, table: Table, df, dates) -> dg.MaterializeResult:
    return table_result(df, store.write_table(table, df, dates=dates))


def _publish(context, store, table: Table, df, dates, failed, flagged=None) -> dg.MaterializeResult:
    """Write ``df`` without the games that broke the table's game-level rules, and file those
    games (and any ``flagged`` ones, published with a caveat) in game_issues."""
    game_dates = df.select("game_id", "game_date")
    issues = game_issues.issue_rows(
        failed, game_dates, recorded_by=context.op_def.name, stage="gold", tables=table.name, run_id=context.run.run_id
    )
    if flagged is not None and flagged.height:
        issues = pl.concat([issues, game_issues.issue_rows(
            flagged, game_dates, recorded_by=context.op_def.name, stage="gold", tables=table.name,
            action=game_issues.FLAGGED, run_id=context.run.run_id,
        )])
    published = game_issues.without_games(df, failed)
    return table_result(
        published, store.write_table(table, published, dates=dates), extra=record_issues(context, store, dates, issues)
    )


@dg.asset(**_per_date(PLAYERS_ON_COURT, ["play_by_play", "box_score_players", "box_score_teams"]))
def players_on_court(context: dg.AssetExecutionContext, lake: LakeResource) -> dg.MaterializeResult:
    store, dates = lake.lake(), partition_dates(context)
    pbp = store.read_table(PLAY_BY_PLAY, game_dates=dates)
    box = store.read_table(BOX_SCORE_PLAYERS, game_dates=dates)
    refuse_to_drop_gold_without_silver(context, store, PLAYERS_ON_COURT, {PLAY_BY_PLAY: pbp}, dates=dates)
    df = build_players_on_court(pbp, box, _sides(store, dates, pbp))
    return _publish(
        context, store, PLAYERS_ON_COURT, df, dates, players_on_court_rule_violations(df),
        flagged=games_without_box_score(pbp, box),
    )


@dg.asset(**_per_date(POSSESSIONS, ["play_by_play", "box_score_teams"]))
def possessions(context: dg.AssetExecutionContext, lake: LakeResource) -> dg.MaterializeResult:
    store, dates = lake.lake(), partition_dates(context)
    pbp = store.read_table(PLAY_BY_PLAY, game_dates=dates)
    refuse_to_drop_gold_without_silver(context, store, POSSESSIONS, {PLAY_BY_PLAY: pbp}, dates=dates)
    df = build_possessions(pbp, _sides(store, dates, pbp))
    return _publish(context, store, POSSESSIONS, df, dates, possessions_rule_violations(df))


# GameRotation is not an input: lineups_match_game_rotation stays a check (a rotation recorded
# later must not hold the stints of its date back, and a date without rotations must not wait).
@dg.asset(**_per_date(STINTS, ["players_on_court", "possessions", "play_by_play", "box_score_teams", "box_score_players"]))
def stints(context: dg.AssetExecutionContext, lake: LakeResource) -> dg.MaterializeResult:
    store, dates = lake.lake(), partition_dates(context)
    on_court, possessions = store.read_table(PLAYERS_ON_COURT, game_dates=dates), store.read_table(POSSESSIONS, game_dates=dates)
    refuse_to_drop_gold_without_silver(context, store, STINTS, {PLAYERS_ON_COURT: on_court, POSSESSIONS: possessions}, dates=dates)
    df = build_stints(store.read_table(PLAY_BY_PLAY, game_dates=dates), on_court, possessions)
    failed = stints_rule_violations(
        df, store.read_table(BOX_SCORE_TEAMS, game_dates=dates), store.read_table(BOX_SCORE_PLAYERS, game_dates=dates)
    )
    return _publish(context, store, STINTS, df, dates, failed)


@dg.asset(**_per_date(TEAM_GAME_STATS, ["box_score_teams", "possessions"]), output_required=False)
def team_game_stats(context: dg.AssetExecutionContext, lake: LakeResource):
    store, dates = lake.lake(), partition_dates(context)
    teams = store.read_table(BOX_SCORE_TEAMS, game_dates=dates)
    refuse_to_drop_gold_without_silver(context, store, TEAM_GAME_STATS, {BOX_SCORE_TEAMS: teams}, dates=dates)
    df = build_team_game_stats(teams, store.read_table(POSSESSIONS, game_dates=dates))
    yield from unless_empty(context, df, store.write_table(TEAM_GAME_STATS, df, dates=dates))


@dg.asset(**_per_date(EVENT_STATE, ["play_by_play", "box_score_teams", "box_score_players", "possessions", "players_on_court"]))
def event_state(context: dg.AssetExecutionContext, lake: LakeResource) -> dg.MaterializeResult:
    store, dates = lake.lake(), partition_dates(context)
    pbp = store.read_table(PLAY_BY_PLAY, game_dates=dates)
    refuse_to_drop_gold_without_silver(context, store, EVENT_STATE, {PLAY_BY_PLAY: pbp}, dates=dates)
    df = build_event_state(
        pbp, _sides(store, dates, pbp),
        possessions=store.read_table(POSSESSIONS, game_dates=dates),
        on_court=store.read_table(PLAYERS_ON_COURT, game_dates=dates),
        box_players=store.read_table(BOX_SCORE_PLAYERS, game_dates=dates),
    )
    return _write(store, EVENT_STATE, df, dates)


def _per_season(table: Table, deps: list[str]) -> dict:
    """Decorator arguments of the season gold tables.

    A season is a set of game dates no built-in time mapping can express (2019-20 ended in
    October 2020), so a season asset depends on all dates and reads its season's folder.
    """
    return dict(
        deps=[dg.AssetDep(name, partition_mapping=dg.AllPartitionMapping()) for name in deps],
        partitions_def=season_partitions,
        group_name="gold",
        kinds={"polars", "parquet"},
        description=table.description,
        metadata=table_definition_metadata(table),
    )


@dg.asset(**_per_season(STARTER_SPLITS, ["box_score_players"]))
def starter_splits(context: dg.AssetExecutionContext, lake: LakeResource) -> dg.MaterializeResult:
    store = lake.lake()
    seasons = list(context.partition_keys)
    box = store.read_table(BOX_SCORE_PLAYERS, seasons=seasons)
    refuse_to_drop_gold_without_silver(context, store, STARTER_SPLITS, {BOX_SCORE_PLAYERS: box}, seasons=seasons)
    df = build_starter_splits(box)
    return table_result(df, store.write_table(STARTER_SPLITS, df, seasons=seasons))


@dg.asset(**_per_season(CLUTCH_SPLITS, ["play_by_play", "box_score_players", "possessions", "event_state", "players_on_court"]))
def clutch_splits(context: dg.AssetExecutionContext, lake: LakeResource) -> dg.MaterializeResult:
    store = lake.lake()
    seasons = list(context.partition_keys)
    pbp = store.read_table(PLAY_BY_PLAY, seasons=seasons)
    refuse_to_drop_gold_without_silver(context, store, CLUTCH_SPLITS, {PLAY_BY_PLAY: pbp}, seasons=seasons)
    df = build_clutch_splits(
        pbp,
        store.read_table(EVENT_STATE, seasons=seasons),
        store.read_table(PLAYERS_ON_COURT, seasons=seasons),
        store.read_table(POSSESSIONS, seasons=seasons),
        store.read_table(BOX_SCORE_PLAYERS, seasons=seasons),
    )
    return table_result(df, store.write_table(CLUTCH_SPLITS, df, seasons=seasons))


class WinProbabilityModelConfig(dg.Config):
    """How win_probability_model is made: trained on the lake, or the bundled model published."""

    cutoff_date: str | None = Field(
        default=None,
        description="Train on the finished games before this date (YYYY-MM-DD) and hold the rest out for the calibration check;"
        " default: the date before which 60% of the lake's finished games were played",
    )
    seasons: list[str] | None = Field(default=None, description="Seasons of gold.event_state to use (default: all in the lake)")
    min_training_games: int = Field(default=200, description="Refuse to train on fewer finished games than this")
    bundled: bool = Field(
        default=False,
        description="Publish the model shipped in data/models (trained on the bulk 2022-23 season) instead of training one",
    )


@dg.asset(
    deps=[dg.AssetDep("event_state", partition_mapping=dg.AllPartitionMapping())],
    group_name="gold",
    kinds={"lightgbm", "json"},
    description="The in-game win probability model (LightGBM, Platt-calibrated) trained on gold.event_state before a cutoff date,"
    " with its logistic baseline and training metadata, kept in the lake as gold/win_probability_model/model.json.",
)
def win_probability_model(
    context: dg.AssetExecutionContext, config: WinProbabilityModelConfig, lake: LakeResource
) -> dg.MaterializeResult:
    store = lake.lake()
    if config.bundled:
        data = BUNDLED_WIN_PROBABILITY_MODEL.read_bytes()
        model = WinProbabilityModel.from_bytes(data, str(BUNDLED_WIN_PROBABILITY_MODEL))
        seconds = None
    else:
        events = store.read_table(EVENT_STATE, seasons=config.seasons, columns=MODEL_INPUT_COLUMNS)
        try:
            cutoff = _cutoff_date(config.cutoff_date) if config.cutoff_date else default_cutoff(events)
            started = time.perf_counter()
            model = train_model(training_set(events, cutoff), config.min_training_games)
        except ValueError as error:
            raise dg.Failure(description=str(error)) from None
        seconds = time.perf_counter() - started
        data = model.to_bytes()
    store.write_bytes(store.model_path("win_probability_model"), data)
    return dg.MaterializeResult(metadata=model_metadata(model, store.model_path("win_probability_model"), seconds))


# Without a model in the lake there is nothing to score with: the step says so and materializes
# nothing, so game_date_job runs on before anyone has trained one (and automation, whose
# condition waits for every dependency, never starts it).
@dg.asset(**_per_date(WIN_PROBABILITY, ["event_state", "win_probability_model"], SCORE_NEW_EVENTS), output_required=False)
def win_probability(context: dg.AssetExecutionContext, lake: LakeResource):
    store, dates = lake.lake(), partition_dates(context)
    model = read_model(store, missing_ok=True)
    if model is None:
        context.log.warning(
            f"no win probability model at {store.model_path('win_probability_model')}: nothing scored;"
            " materialize win_probability_model, then win_probability_job for these dates"
        )
        return
    events = store.read_table(EVENT_STATE, game_dates=dates)
    refuse_to_drop_gold_without_silver(context, store, WIN_PROBABILITY, {EVENT_STATE: events}, dates=dates)
    # Pregame strengths come from the seasons' earlier dates, as the lake holds them now.
    seasons = sorted(events.get_column("season").unique().to_list())
    season_events = store.read_table(EVENT_STATE, seasons=seasons, columns=RESULT_COLUMNS) if seasons else events
    df = build_win_probability(events, pregame_strength(game_results(season_events)), model, model_id(model))
    yield _write(store, WIN_PROBABILITY, df, dates)


@dg.asset(**_per_season(PLAYER_GAME_WPA, ["win_probability", "play_by_play"]))
def player_game_wpa(context: dg.AssetExecutionContext, lake: LakeResource) -> dg.MaterializeResult:
    store = lake.lake()
    seasons = list(context.partition_keys)
    wp = store.read_table(WIN_PROBABILITY, seasons=seasons)
    refuse_to_drop_gold_without_silver(context, store, PLAYER_GAME_WPA, {WIN_PROBABILITY: wp}, seasons=seasons)
    df = build_player_game_wpa(wp, store.read_table(PLAY_BY_PLAY, seasons=seasons))
    return table_result(df, store.write_table(PLAYER_GAME_WPA, df, seasons=seasons))


def _cutoff_date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise ValueError(f"win_probability_model config cutoff_date {text!r} is not a date (YYYY-MM-DD)") from None


@overload
def read_model(store, missing_ok: Literal[False] = False) -> WinProbabilityModel: ...
@overload
def read_model(store, missing_ok: Literal[True]) -> WinProbabilityModel | None: ...
def read_model(store, missing_ok: bool = False) -> WinProbabilityModel | None:
    """The lake's win probability model; when there is none, None with ``missing_ok``, else a
    failure saying how to make one."""
    path = store.model_path("win_probability_model")
    try:
        data = store.read_bytes(path)
    except FileNotFoundError:
        if missing_ok:
            return None
        raise dg.Failure(
            description=f"no win probability model at {path}: materialize win_probability_model first"
            " (trained on the lake, or with bundled: true the shipped 2022-23 model)"
        ) from None
    try:
        return WinProbabilityModel.from_bytes(data, path)
    except ValueError as error:
        raise dg.Failure(description=f"{error}; re-materialize win_probability_model") from None
