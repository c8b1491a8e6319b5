"""The new-games sensor: polls the scoreboards through the NBA client and requests bronze runs."""

import datetime as dt
from collections.abc import Callable

import dagster as dg

from nba_lakehouse.automation.new_games import (
    NewGamesCursor,
    dates_to_poll,
    plan,
    run_key,
)
from nba_lakehouse.bronze.archive import find_archived
from nba_lakehouse.bronze.discovery import scoreboard_statuses
from nba_lakehouse.partitions import game_date_partitions, today_eastern
from nba_lakehouse.recovery import fail_dead_runs, survey
from nba_lakehouse.resources import LakeResource
from nba_lakehouse.sources.client import NBAClient
from nba_lakehouse.sources.errors import FeedUnavailableError

LOOKBACK_DAYS = 3  # where a sensor without a cursor starts
MAX_DATES_PER_TICK = 7  # a sensor off for weeks catches up a week per tick, not all at once


def bronze_per_date(assets) -> dg.AssetSelection:
    return dg.AssetSelection.assets(
        *[k for a in assets if a.partitions_def == game_date_partitions
          for k in a.keys if a.group_names_by_key.get(k) == "bronze"]
    )


def build_new_games_sensor(target: dg.AssetSelection, today: Callable[[], dt.date] = today_eastern) -> dg.SensorDefinition:
    @dg.sensor(
        name="new_final_games",
        target=target,
        minimum_interval_seconds=15 * 60,
        default_status=dg.DefaultSensorStatus.RUNNING,
        description=(
            "Polls ScoreboardV3 for the dates after the watermark and requests one bronze run per date with "
            "games that became final and are not archived yet; silver and gold follow by automation."
        ),
    )
    def new_final_games(context: dg.SensorEvaluationContext, nba: NBAClient, lake: LakeResource) -> dg.SensorResult:
        now = today()
        cursor = NewGamesCursor.loads(context.cursor, now - dt.timedelta(days=LOOKBACK_DAYS))
        store = lake.lake()
        boards: dict[dt.date, dict[str, int] | None] = {}
        unavailable = ""
        for game_date in dates_to_poll(cursor, now, MAX_DATES_PER_TICK):
            try:
                payload = nba.scoreboard_v3(game_date).payload
            except FeedUnavailableError as exc:
                # Later dates wait: the watermark cannot pass a date whose games are unknown.
                context.log.info(f"scoreboard of {game_date} unavailable, retried next tick: {exc}")
                boards[game_date] = None
                unavailable = f"; scoreboard of {game_date} unavailable ({type(exc).__name__}), retried next tick"
                break
            boards[game_date] = scoreboard_statuses(payload, "scoreboardv3")
        archived = {
            game_id
            for game_date, games in boards.items()
            for game_id in (games or {})
            if find_archived(store, "play_by_play", game_id, game_date)
        }
        plans, next_cursor = plan(cursor, boards, archived, now)
        requests = [
            dg.RunRequest(
                run_key=run_key(p), partition_key=p.game_date.isoformat(),
                tags={"nba_lakehouse/games": ",".join(p.new_final_games)},
            )
            for p in plans
        ]
        polled = ", ".join(d.isoformat() for d in boards) or "none"
        return dg.SensorResult(
            run_requests=requests,
            cursor=next_cursor.dumps(),
            skip_reason=None if requests else (
                f"no new final games (polled {polled}; watermark {next_cursor.watermark}{unavailable})"
            ),
        )

    return new_final_games


@dg.sensor(
    name="dead_run_sweeper",
    minimum_interval_seconds=60,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="Marks failed the runs launched in-process on the sensor's host (backfill, demo) whose worker "
    "process died (kill -9, crash) and frees their pool slots, so relaunched backfills do not wait forever for "
    "the nba_api pool. Runs of other hosts, containers or the daemon's launcher are left to Dagster's run "
    "monitoring (run_monitoring in dagster.yaml)",
)
def dead_run_sweeper(context: dg.SensorEvaluationContext) -> dg.SkipReason:
    found = survey(context.instance)
    recovered = fail_dead_runs(context.instance, found)
    for run in recovered:
        context.log.warning(f"{run}: marked failed, its pool slots freed")
    # The tick's reason is what the UI shows on the sensor's page: name the runs, not only a count.
    reason = (
        f"{len(recovered)} dead runs marked failed, their pool slots freed: {'; '.join(map(str, recovered))}"
        if recovered else "no dead runs on this host"
    )
    return dg.SkipReason(f"{reason}; {found.elsewhere_note}" if found.elsewhere else reason)
