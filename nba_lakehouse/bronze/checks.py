"""The data audit on bronze: which final games no feed could supply (held back, with the reason), and
which games a detail feed answered with nothing usable (missing, asked again on the next run)."""

# No `from __future__ import annotations`: Dagster reads the check's resource annotation at definition time.

import dagster as dg
import polars as pl

from nba_lakehouse.game_issues import summarize
from nba_lakehouse.partitions import game_date_partitions
from nba_lakehouse.resources import LakeResource
from nba_lakehouse.schemas import GAME_ISSUES
from nba_lakehouse.wiring import held_back_check, partition_dates

bronze_play_by_play_held_back = held_back_check(
    "bronze_play_by_play", "bronze_play_by_play", "every final game's play-by-play archived from some feed"
)
bronze_box_score_held_back = held_back_check(
    "bronze_box_score", "bronze_box_score", "every final game's box score archived from some feed"
)

DETAIL_FEED_MISSING = "detail_feed_missing"


def games_missing_check(asset: str):
    """A non-blocking check on a detail feed's bronze asset: fails (WARN) naming the games the feed
    answered with nothing usable in the asset's latest run (``detail_feed_missing`` in game_issues)."""

    @dg.asset_check(
        asset=asset, name="games_missing", blocking=False, partitions_def=game_date_partitions,
        description=f"No final game of the date came back empty or unusable from {asset}'s feed (such games are asked again)",
    )
    def games_missing(context: dg.AssetCheckExecutionContext, lake: LakeResource) -> dg.AssetCheckResult:
        issues = lake.lake().read_table(GAME_ISSUES, game_dates=partition_dates(context)).filter(
            (pl.col("recorded_by") == asset) & (pl.col("rule") == DETAIL_FEED_MISSING)
        ).sort("game_id")
        first = issues.head(1).rows(named=True)
        return dg.AssetCheckResult(
            passed=issues.is_empty(),
            severity=dg.AssetCheckSeverity.WARN,
            description=(f"{issues['game_id'].n_unique()} games missing: {', '.join(issues['game_id'])}; "
                         f"e.g. {first[0]['detail']}") if first else "no game missing",
            metadata={"games_missing": issues["game_id"].n_unique(), "game_issues": dg.MetadataValue.json(summarize(issues))},
        )

    return games_missing


bronze_box_score_summary_missing = games_missing_check("bronze_box_score_summary")
bronze_hustle_stats_missing = games_missing_check("bronze_hustle_stats")
bronze_game_rotation_missing = games_missing_check("bronze_game_rotation")
bronze_shot_chart_missing = games_missing_check("bronze_shot_chart")


SCOREBOARD = dg.AssetKey("bronze_scoreboard")


@dg.asset_check(
    asset=SCOREBOARD, name="scoreboards_usable", blocking=False, partitions_def=game_date_partitions,
    description="Every date's scoreboard was usable, listed the games the schedule has as final, and an empty one "
                "for a date in the season months was confirmed by the schedule",
)
def bronze_scoreboard_usable(context: dg.AssetCheckExecutionContext) -> dg.AssetCheckResult:
    """Reports the problems bronze_scoreboard found in this run (its materialization's ``problems``):
    they are about answers it did not archive or cannot settle, which the lake alone cannot tell."""
    records = context.instance.get_records_for_run(
        context.run.run_id, of_type=dg.DagsterEventType.ASSET_MATERIALIZATION
    ).records
    materializations = [
        m for r in records if (m := r.event_log_entry.asset_materialization) is not None and m.asset_key == SCOREBOARD
    ]
    if not materializations:
        return dg.AssetCheckResult(passed=True, severity=dg.AssetCheckSeverity.WARN,
                                   description="bronze_scoreboard was not materialized in this run: nothing to judge")
    dates = {d.isoformat() for d in partition_dates(context)}
    problems = {d: p for m in materializations for d, p in m.metadata["problems"].value.items() if d in dates}
    return dg.AssetCheckResult(
        passed=not problems,
        severity=dg.AssetCheckSeverity.WARN,
        description=(f"{len(problems)} dates: " + " | ".join(f"{d}: {p}" for d, p in sorted(problems.items())))
        if problems else f"every scoreboard of the {len(dates)} dates usable",
        metadata={"dates": len(problems), "problems": dg.MetadataValue.json(dict(sorted(problems.items())))},
    )
