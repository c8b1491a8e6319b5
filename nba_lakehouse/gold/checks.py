"""The data audit on the lineup and possession tables: blocking asset checks over a run's dates."""

import dagster as dg

from nba_lakehouse.gold import audits
from nba_lakehouse.partitions import game_date_partitions
from nba_lakehouse.resources import LakeResource
from nba_lakehouse.schemas import (
    BOX_SCORE_PLAYERS,
    BOX_SCORE_TEAMS,
    GAME_ROTATIONS,
    PLAYERS_ON_COURT,
    POSSESSIONS,
    STINTS,
)
from nba_lakehouse.silver.checks import selected_checks
from nba_lakehouse.wiring import audit_result, held_back_check, partition_dates

_blocking = dict(blocking=True, partitions_def=game_date_partitions)


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
