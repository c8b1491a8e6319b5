"""Daily schedules: the current season's schedule and season tables, the reference tables, gold freshness."""

import datetime as dt

import dagster as dg

from nba_lakehouse.partitions import TIMEZONE, current_season_start_year, season_label, season_partitions

# The season sources change every game day: fetch them again rather than reuse the archive.
SEASON_SOURCES = ("bronze_schedule", "bronze_team_game_log", "bronze_player_season_stats", "bronze_player_game_logs")


def current_season(on: dt.date) -> str:
    return season_label(current_season_start_year(on))


def season_refresh_request(scheduled: dt.datetime) -> dg.RunRequest:
    season = current_season(scheduled.date())
    return dg.RunRequest(
        run_key=f"{season}:{scheduled.date().isoformat()}",
        partition_key=season,
        run_config={"ops": {name: {"config": {"refresh": True}} for name in SEASON_SOURCES}},
    )


def build_schedules(season_job, reference_job, freshness_job) -> list[dg.ScheduleDefinition]:
    @dg.schedule(
        name="refresh_current_season",
        job=season_job,
        cron_schedule="0 10 * * *",  # after the night's games are final and archived
        execution_timezone=TIMEZONE,
        default_status=dg.DefaultScheduleStatus.RUNNING,
        description="Fetch the current season's schedule, game logs and season stats again; rebuild its games",
    )
    def refresh_current_season(context: dg.ScheduleEvaluationContext):
        request = season_refresh_request(context.scheduled_execution_time)
        # Season partitions are listed when the code location loads: a new season (from August)
        # appears once it reloads; until then there is nothing valid to refresh.
        if request.partition_key not in season_partitions.get_partition_keys():
            return dg.SkipReason(f"season {request.partition_key} is not a partition yet: reload the code location")
        return request

    reference = dg.ScheduleDefinition(
        name="refresh_reference_tables",
        job=reference_job,
        cron_schedule="0 11 * * *",
        execution_timezone=TIMEZONE,
        default_status=dg.DefaultScheduleStatus.RUNNING,
        description="Rebuild teams and players from everything the lake holds",
    )
    freshness = dg.ScheduleDefinition(
        name="check_gold_freshness",
        job=freshness_job,
        cron_schedule="0 12 * * *",  # gold for last night is due by noon (automation/freshness.py)
        execution_timezone=TIMEZONE,
        default_status=dg.DefaultScheduleStatus.RUNNING,
        description="Check that every recent game date with games has its gold built after the games were over",
    )
    return [refresh_current_season, reference, freshness]
