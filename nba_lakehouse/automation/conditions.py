"""Declarative automation: per-date silver and gold follow bronze, never past a failing check.

Gold freshness is judged per partition by an asset check (automation/freshness.py), not by a
per-asset freshness policy, which would fail every off-season."""

import dagster as dg

# Any updated date, not just the latest one (a final game is archived the morning after, and a
# backfill updates old dates), and only once the upstream blocking checks have passed.
FOLLOW_UPSTREAM = (
    dg.AutomationCondition.eager().without(dg.AutomationCondition.in_latest_time_window())
    & dg.AutomationCondition.all_deps_blocking_checks_passed()
).with_label("follow upstream once its blocking checks pass")

# A newly trained model would otherwise re-score every date of the lake at once; rescoring after
# retraining is a deliberate backfill of win_probability_job. New dates are still scored as their
# event_state lands.
SCORE_NEW_EVENTS = FOLLOW_UPSTREAM.ignore(dg.AssetSelection.assets("win_probability_model")).with_label(
    "follow event_state once its blocking checks pass (a new model waits for win_probability_job)"
)
