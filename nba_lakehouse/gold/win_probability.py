"""The home team's win probability before and after every event, and the win probability each
event adds (WPA), from gold event_state and the trained model (gold/win_probability_model.py)."""

from __future__ import annotations

import lightgbm as lgb
import numpy as np
import polars as pl

from nba_lakehouse.frames import starts_run
from nba_lakehouse.game_clock import REGULATION_PERIODS
from nba_lakehouse.gold.win_probability_model import (
    WinProbabilityModel,
    event_features,
    game_results,
    opening_features,
)

# The columns of gold event_state that game results and pregame strength read.
RESULT_COLUMNS = (
    "season", "game_date", "game_id", "home_team_id", "away_team_id", "event_order", "period", "event_type",
    "point_differential", "home_score", "away_score", "final_winning_team",
)


def build_win_probability(event_state: pl.DataFrame, strength: pl.DataFrame, model: WinProbabilityModel, model_id: str) -> pl.DataFrame:
    """One row per event of ``event_state``: the home team's win probability before and after it.

    ``strength`` is ``pregame_strength`` of these games (from the season's earlier dates). After
    the last event of a game that is over the probability is the result, exactly 1 or 0; every
    other probability is the model's, kept within (0, 1) (``PROBABILITY_FLOOR``). Before the first
    event it is the opening probability (tip-off, 0-0), so a game's WPA sums to its result minus
    the opening probability.
    """
    booster = model.booster()
    # In game and event order, the order event_features returns its rows in: each event's model
    # probability is put on it by position, not joined back on the key (a season's largest join).
    ordered = event_state.sort("game_id", "event_order")
    features = event_features(ordered, strength)
    results = game_results(ordered).select("game_id", "last_event_order", "over", "home_won")
    opening = opening_features(strength.filter(pl.col("game_id").is_in(ordered.get_column("game_id").unique().implode())))
    opening = opening.select("game_id", opening_probability=pl.Series(_predict(model, booster, opening)))
    scored = (
        ordered.with_columns(model_probability=pl.Series(_predict(model, booster, features), dtype=pl.Float64))
        .join(results, on="game_id", how="left", maintain_order="left")
        .join(opening, on="game_id", how="left", maintain_order="left")
        .with_columns(game_over=pl.col("over") & (pl.col("event_order") == pl.col("last_event_order")))
        .with_columns(
            home_win_probability=pl.when("game_over").then(pl.col("home_won").cast(pl.Float64)).otherwise("model_probability"),
        )
        .with_columns(
            home_win_probability_before=pl.when(~starts_run("game_id")).then(pl.col("home_win_probability").shift(1))
            .fill_null(pl.col("opening_probability")),
        )
    )
    return scored.select(
        "season", "game_date", "game_id", "event_order", "period", "seconds_remaining_game", "event_type", "team_id",
        "home_team_id", "away_team_id", "home_score", "away_score", "point_differential",
        "home_win_probability_before",
        "home_win_probability",
        home_wpa=pl.col("home_win_probability") - pl.col("home_win_probability_before"),
        game_over="game_over",
        model_id=pl.lit(model_id),
    )


def _predict(model: WinProbabilityModel, booster: lgb.Booster, features: pl.DataFrame) -> np.ndarray:
    if features.is_empty():
        return np.empty(0)
    return model.predict(features, booster)


# Who an event credits, besides its acting player: the column naming the player, and whether the
# player is on the acting team (an assist) or the other one (a steal of a turnover, a block of a
# miss, a foul drawn).
SECONDARY_CREDITS = {
    "assists": ("assist_player_id", True),
    "steals": ("steal_player_id", False),
    "blocks": ("block_player_id", False),
    "fouls_drawn": ("foul_drawn_player_id", False),
}
# Events whose player gets no credit: the player named on a substitution is the one going out.
UNCREDITED_EVENTS = ("substitution",)


def build_player_game_wpa(win_probability: pl.DataFrame, pbp: pl.DataFrame) -> pl.DataFrame:
    """Per player and game: the WPA of the events they acted in and of those they were the
    secondary player of, each from the player's team's side (home WPA, negated for the away team).

    ``pbp`` is silver play_by_play of the same games (acting and secondary players). The columns
    are views of the same events from different players, so they do not add up across players.
    """
    events = win_probability.select("season", "game_id", "event_order", "team_id", "home_team_id", "away_team_id", "home_wpa").join(
        pbp.select("game_id", "event_order", "event_type", "player_id", *(column for column, _ in SECONDARY_CREDITS.values())),
        on=["game_id", "event_order"], how="inner",
    )
    other_team = pl.when(pl.col("team_id") == pl.col("home_team_id")).then("away_team_id").otherwise("home_team_id")
    roles = [events.filter(~pl.col("event_type").is_in(UNCREDITED_EVENTS)).select(
        "season", "game_id", "home_team_id", "home_wpa", role=pl.lit("acting"), player_id="player_id", player_team_id="team_id",
    )]
    for role, (column, same_team) in SECONDARY_CREDITS.items():
        roles.append(events.select(
            "season", "game_id", "home_team_id", "home_wpa", role=pl.lit(role), player_id=column,
            player_team_id=pl.col("team_id") if same_team else other_team,
        ))
    credited = pl.concat(roles).filter(pl.col("player_id").is_not_null() & pl.col("player_team_id").is_not_null()).with_columns(
        wpa=pl.when(pl.col("player_team_id") == pl.col("home_team_id")).then("home_wpa").otherwise(-pl.col("home_wpa")),
    )
    per_role = {
        "wpa": pl.col("wpa").filter(pl.col("role") == "acting").sum(),
        "events": (pl.col("role") == "acting").sum().cast(pl.Int32),
        **{f"wpa_{role}": pl.col("wpa").filter(pl.col("role") == role).sum() for role in SECONDARY_CREDITS},
    }
    return (
        credited.group_by("season", "game_id", "player_id")
        .agg(team_id=pl.col("player_team_id").mode().first(), **per_role)
        .sort("season", "game_id", "player_id")
    )


def wpa_sum_violations(win_probability: pl.DataFrame, tolerance: float = 1e-9) -> pl.DataFrame:
    """Games that are over whose WPA does not sum to the result minus the opening probability."""
    per_game = win_probability.sort("game_id", "event_order").group_by("game_id", maintain_order=True).agg(
        wpa=pl.col("home_wpa").sum(),
        opening=pl.col("home_win_probability_before").first(),
        final=pl.col("home_win_probability").last(),
        over=pl.col("game_over").any(),
    )
    return per_game.filter("over").with_columns(expected=pl.col("final") - pl.col("opening")).filter(
        (pl.col("wpa") - pl.col("expected")).abs() > tolerance
    )


def certainty_violations(win_probability: pl.DataFrame, box_teams: pl.DataFrame) -> pl.DataFrame:
    """Events whose probability is exactly 0 or 1 although the game is not over there, games over
    whose last probability is not their result (the box score's winner, silver box_score_teams
    points, where the game has one, else the last score), and games whose last event ends a
    decided game but is not flagged ``game_over``."""
    certain = pl.col("home_win_probability").is_in([0.0, 1.0])
    early = win_probability.filter(certain & ~pl.col("game_over")).select(
        "game_id", "event_order", problem=pl.lit("0 or 1 before the game is over")
    )
    box_points = box_teams.group_by("game_id", "team_id").agg(pl.col("points").sum())
    ends = (
        win_probability.filter("game_over")
        .join(box_points.rename({"team_id": "home_team_id", "points": "box_home"}), on=["game_id", "home_team_id"], how="left")
        .join(box_points.rename({"team_id": "away_team_id", "points": "box_away"}), on=["game_id", "away_team_id"], how="left")
    )
    home_won = pl.when(pl.col("box_home").is_not_null() & pl.col("box_away").is_not_null()).then(pl.col("box_home") > pl.col("box_away")).otherwise(
        pl.col("point_differential") > 0
    )
    wrong_end = ends.filter(pl.col("home_win_probability") != home_won.cast(pl.Float64)).select(
        "game_id", "event_order", problem=pl.lit("last probability is not the result")
    )
    # Judged again from the rows themselves, not their game_over flag: a game whose last event ends
    # a decided fourth period or overtime is over, and its last row must say so.
    last = win_probability.sort("game_id", "event_order").group_by("game_id", maintain_order=True).last()
    unflagged = last.filter(
        pl.col("event_type").is_in(["period_end", "game_end"]) & (pl.col("period") >= REGULATION_PERIODS)
        & (pl.col("point_differential") != 0) & ~pl.col("game_over")
    ).select("game_id", "event_order", problem=pl.lit("game over at its last event but not flagged"))
    return pl.concat([early, wrong_end, unflagged])
