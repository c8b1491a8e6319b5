"""Interim stand-in for the feed repairs (replaced by the repairs branch): no repair, the audits as rules."""

from __future__ import annotations

import polars as pl

from nba_lakehouse import game_issues
from nba_lakehouse.silver import audits

REPAIR_RULES: dict[str, str] = {}


def repair_play_by_play(pbp: pl.DataFrame) -> pl.DataFrame:
    return pbp


def game_rule_violations(pbp: pl.DataFrame) -> pl.DataFrame:
    return game_issues.combine(
        game_issues.per_game(audits.decreasing_scores(pbp), "scores_never_decrease", "events where a score went down"),
        game_issues.per_game(audits.duplicate_event_keys(pbp), "event_keys_unique", "duplicate event keys"),
        game_issues.per_game(audits.clock_out_of_bounds(pbp), "clock_within_period", "events with the clock outside the period"),
    )
