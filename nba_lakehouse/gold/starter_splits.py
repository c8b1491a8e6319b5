"""Starter vs bench splits per player per season, from silver box scores."""

from __future__ import annotations

import polars as pl

SPLIT_STATS = {"minutes": "minutes", "points": "points", "rebounds": "rebounds_total", "assists": "assists"}


def build_starter_splits(box_players: pl.DataFrame) -> pl.DataFrame:
    """A bench game is one the player played without starting; DNPs count for neither role."""
    appearances = box_players.filter(pl.col("starter") | pl.col("played"))
    role_means = [
        pl.col(column).filter(pl.col("starter") == is_starter).mean().alias(f"{role}_{name}")
        for role, is_starter in (("starter", True), ("bench", False))
        for name, column in SPLIT_STATS.items()
    ]
    return (
        appearances.sort("game_date")
        .group_by("season", "player_id")
        .agg(
            player_name=pl.col("player_name").last(),
            games_started=pl.col("starter").sum().cast(pl.Int32),
            games_bench=(~pl.col("starter")).sum().cast(pl.Int32),
            *role_means,
        )
        .sort("season", "player_id")
    )
