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
