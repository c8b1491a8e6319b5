"""Declarative automation: per-date silver and gold follow bronze, never past a failing check."""

import datetime as dt

import dagster as dg

# Any updated date, not just the latest one (a final game is archived the morning after, and a
# backfill updates old dates), and only once the upstream blocking checks have passed.
FOLLOW_UPSTREAM = (
    dg.AutomationCondition.eager().without(dg.AutomationCondition.in_latest_time_window())
    & dg.AutomationCondition.all_deps_blocking_checks_passed()
).with_label("follow upstream once its blocking checks pass")

# Gold is due the morning after game night: warn after a day and a half without a
# materialization, fail after three days (the NBA has days without games, not weeks).
GOLD_FRESHNESS = dg.FreshnessPolicy.time_window(fail_window=dt.timedelta(days=3), warn_window=dt.timedelta(hours=36))
