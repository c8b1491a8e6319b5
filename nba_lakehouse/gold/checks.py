"""The data audit on the lineup and possession tables (blocking asset checks over a run's dates), and
gold freshness."""

import datetime as dt
from typing import Any

import dagster as dg
import polars as pl

from nba_lakehouse.automation import freshness
from nba_lakehouse.gold import audits
from nba_lakehouse.gold.assets import read_model
from nba_lakehouse.gold.win_probability import certainty_violations, wpa_sum_violations
from nba_lakehouse.gold.win_probability_model import (
    CALIBRATION_BINS,
    MODEL_INPUT_COLUMNS,
    calibration_report,
    held_out_events,
    model_id,
    too_few_to_judge,
)
from nba_lakehouse.partitions import game_date_partitions
from nba_lakehouse.resources import LakeResource
from nba_lakehouse.schemas import (
    BOX_SCORE_PLAYERS,
    BOX_SCORE_TEAMS,
    EVENT_STATE,
    GAME_ROTATIONS,
    PLAYERS_ON_COURT,
    POSSESSIONS,
    SCHEDULE,
    SCOREBOARD_GAMES,
    STINTS,
    WIN_PROBABILITY,
)
from nba_lakehouse.silver.checks import selected_checks
from nba_lakehouse.wiring import audit_result, held_back_check, markdown_sample, partition_dates

_blocking: dict[str, Any] = dict(blocking=True, partitions_def=game_date_partitions)


@dg.asset_check(asset="players_on_court", **_blocking)
def five_players_per_team(context: dg.AssetCheckExecutionContext, lake: LakeResource) -> dg.AssetCheckResult:
    """Exactly five players per team on the floor for every event."""
    on_court = lake.lake().read_table(PLAYERS_ON_COURT, game_dates=partition_dates(context))
    return audit_result(audits.lineup_size_violations(on_court), on_court.height, "events without five players per team")


@dg.asset_check(asset="possessions", **_blocking)
def possession_counts_balanced(context: dg.AssetCheckExecutionContext, lake: LakeResource) -> dg.AssetCheckResult:
    """The two teams' possession counts in a game differ by at most 2, plus one per overtime."""
    rows = lake.lake().read_table(POSSESSIONS, game_dates=partition_dates(context))
    return audit_result(audits.possession_imbalance(rows), rows["game_id"].n_unique(), "games with unbalanced possession counts")


def _spec(name: str, description: str, additional_deps) -> dg.AssetCheckSpec:
    return dg.AssetCheckSpec(name, asset="stints", description=description, additional_deps=list(additional_deps), **_blocking)


# The stint checks against the box score share a step, so the run's stints are read once. The
# GameRotation check has its own: a run whose dates have no rotation skips game_rotations, and
# with it every check step that depends on it.
@dg.multi_asset_check(
    specs=[
        _spec("stint_points_match_final_score", "Each team's points summed over stints equal its box score points",
              ["box_score_teams"]),
        _spec("stint_minutes_match_box_score", "Each player's time on the floor over stints is within a minute of the box score",
              ["box_score_players"]),
    ],
    can_subset=True,
)
def stints_audit(context: dg.AssetCheckExecutionContext, lake: LakeResource):
    store, dates = lake.lake(), partition_dates(context)
    rows = store.read_table(STINTS, game_dates=dates)
    games = rows["game_id"].n_unique()
    audits_by_name = {
        "stint_points_match_final_score": lambda: audit_result(
            audits.stint_points_vs_final(rows, store.read_table(BOX_SCORE_TEAMS, game_dates=dates)), games,
            "team-games whose stint points differ from the final score", check_name="stint_points_match_final_score", asset_key="stints"),
        "stint_minutes_match_box_score": lambda: audit_result(
            audits.stint_minutes_vs_box(rows, store.read_table(BOX_SCORE_PLAYERS, game_dates=dates)), games,
            "players more than a minute off their box score minutes", check_name="stint_minutes_match_box_score", asset_key="stints"),
    }
    for name in selected_checks(context, audits_by_name):
        yield audits_by_name[name]()


@dg.asset_check(asset="stints", additional_deps=["game_rotations"], **_blocking)
def lineups_match_game_rotation(context: dg.AssetCheckExecutionContext, lake: LakeResource) -> dg.AssetCheckResult:
    """Lineups agree with GameRotation's check-in and check-out times, where recorded."""
    store, dates = lake.lake(), partition_dates(context)
    rows, rotations = store.read_table(STINTS, game_dates=dates), store.read_table(GAME_ROTATIONS, game_dates=dates)
    compared = rows.join(rotations.select("game_id").unique(), on="game_id", how="semi")
    return audit_result(audits.lineups_vs_rotation(rows, rotations), compared.height, "stints whose lineups differ from GameRotation")


# Games each gold step held back (its game-level rules), by name; flagged games are listed too.
players_on_court_held_back = held_back_check(
    "players_on_court", "players_on_court", "five players a team at every event; games without a box score are flagged"
)
possessions_held_back = held_back_check("possessions", "possessions", "balanced possession counts")
stints_held_back = held_back_check(
    "stints", "stints", "stint points equal the final score, minutes the box score's"
)


# Freshness, per partition and only where there were games (automation/freshness.py): run by the
# `check_gold_freshness` schedule each noon Eastern, not inside the runs that build the partitions.
FRESHNESS_JUDGED = {
    "players_on_court": "game_date", "possessions": "game_date", "stints": "game_date", "event_state": "game_date",
    "win_probability": "game_date", "starter_splits": "season", "clutch_splits": "season", "player_game_wpa": "season",
}  # team_game_stats is left out: it is built only for dates with box scores (output_required=False)


@dg.multi_asset_check(
    specs=[
        dg.AssetCheckSpec(
            "built_after_recent_games", asset=asset, additional_deps=["schedule", "scoreboard_games"],
            description=f"Every game date of the last {freshness.LOOKBACK_DAYS} days with games has its "
            f"{'partition' if by == 'game_date' else 'season partition'} built after that night's games were over, "
            "by noon US Eastern the morning after; dates without games (off-season, All-Star break) are not judged",
        )
        for asset, by in FRESHNESS_JUDGED.items()
    ],
    can_subset=True,
)
def gold_freshness(context: dg.AssetCheckExecutionContext, lake: LakeResource):
    store = lake.lake()
    first, last = freshness.dates_to_judge(freshness.evaluation_time())
    window = [first + dt.timedelta(days=i) for i in range((last - first).days + 1)]
    game_dates = freshness.game_dates_with_games(
        store.read_table(SCHEDULE, game_dates=window), store.read_table(SCOREBOARD_GAMES, game_dates=window)
    )
    judged = f"{first} to {last}"
    for check_key in context.selected_asset_check_keys:
        by = FRESHNESS_JUDGED[check_key.asset_key.path[-1]]
        keys = game_dates["game_date"].cast(pl.String) if by == "game_date" else game_dates["season"]
        records = context.instance.fetch_materializations(
            dg.AssetRecordsFilter(asset_key=check_key.asset_key, asset_partitions=keys.unique().to_list()), limit=10_000
        ).records if game_dates.height else []
        built_at: dict[str, dt.datetime] = {}
        for record in records:  # newest first
            built_at.setdefault(record.partition_key, dt.datetime.fromtimestamp(record.timestamp, dt.UTC))
        stale = freshness.stale_partitions(game_dates, built_at, by)
        metadata: dict[str, Any] = {"game_dates_judged": game_dates.height, "stale": stale.height, "window": judged}
        if stale.height:
            metadata["stale_partitions"] = markdown_sample(stale)
        yield dg.AssetCheckResult(
            check_name=check_key.name,
            asset_key=check_key.asset_key,
            passed=stale.is_empty(),
            severity=dg.AssetCheckSeverity.WARN,
            description=(
                f"{stale.height} of {game_dates.height} game dates ({judged}) not built after their games: "
                f"first {stale['game_date'][0]} (partition {stale['partition'][0]}), due {stale['due_at'][0]:%Y-%m-%d %H:%M} UTC"
                if stale.height else
                f"every one of {game_dates.height} game dates ({judged}) built after its games" if game_dates.height else
                f"no games scheduled or final from {judged} (off-season, a break, or no schedule in the lake): nothing due"
            ),
            metadata=metadata,
        )


@dg.asset_check(asset="win_probability_model", additional_deps=["event_state"], blocking=False)
def calibrated_on_held_out_games(context: dg.AssetCheckExecutionContext, lake: LakeResource) -> dg.AssetCheckResult:
    """On the lake's finished games the model did not train on (from its cutoff on, for a model
    trained on this lake): in every probability
    decile with enough events, the mean probability is within 0.03 of the home teams' win rate, the
    calibration slope is within [0.95, 1.05], and the Brier score beats the logistic baseline's."""
    store = lake.lake()
    model = read_model(store)
    events = store.read_table(EVENT_STATE, columns=MODEL_INPUT_COLUMNS)
    report = calibration_report(model, held_out_events(events, model))
    bins = pl.DataFrame(report["bins"])
    metadata: dict[str, Any] = {
        "model_id": model_id(model),
        **{name: report[name] for name in ("held_out_games", "held_out_events", "bins_judged")},
        **{name: dg.MetadataValue.float(float(report[name])) for name in (
            "max_gap", "slope", "brier", "log_loss", "baseline_brier", "baseline_log_loss")},
        "deciles": markdown_sample(bins, rows=CALIBRATION_BINS, float_precision=4),
    }
    too_few = too_few_to_judge(report) is not None
    return dg.AssetCheckResult(
        passed=not report["failures"],
        severity=dg.AssetCheckSeverity.WARN if too_few else dg.AssetCheckSeverity.ERROR,
        description=(
            f"{report['held_out_games']} finished games it did not train on: "
            + ("; ".join(report["failures"]) if report["failures"] else
               f"max gap {report['max_gap']:.4f}, slope {report['slope']:.3f}, Brier {report['brier']:.4f} < baseline {report['baseline_brier']:.4f}")
        ),
        metadata=metadata,
    )


@dg.asset_check(asset="win_probability", additional_deps=["box_score_teams"], **_blocking)
def certain_only_when_over(context: dg.AssetCheckExecutionContext, lake: LakeResource) -> dg.AssetCheckResult:
    """A probability is exactly 0 or 1 only after the last event of a game that is over, and there
    it is the real result (the box score's winner where there is one)."""
    store, dates = lake.lake(), partition_dates(context)
    rows = store.read_table(WIN_PROBABILITY, game_dates=dates)
    violations = certainty_violations(rows, store.read_table(BOX_SCORE_TEAMS, game_dates=dates))
    return audit_result(violations, rows.height, "events certain before the game is over, or games ending on the wrong result")


@dg.asset_check(asset="win_probability", **_blocking)
def wpa_sums_to_result_minus_opening(context: dg.AssetCheckExecutionContext, lake: LakeResource) -> dg.AssetCheckResult:
    """In every game that is over, the events' WPA sums to the result (1 or 0) minus the opening probability."""
    rows = lake.lake().read_table(WIN_PROBABILITY, game_dates=partition_dates(context))
    return audit_result(wpa_sum_violations(rows), rows["game_id"].n_unique(), "games whose WPA does not sum to result - opening")
