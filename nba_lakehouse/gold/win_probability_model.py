"""The in-game win probability model: features from gold event_state, training, scoring, calibration.

Every row is the state after one event, seen from the home team, and the label is whether the
home team won. Home court is therefore the model's base rate, not a column. The pregame strength
of each team is its average margin in its earlier games of the season (dates strictly before the
game's, shrunk towards 0 for a team with few games), so nothing about the game or later games
leaks into it.

The model is LightGBM (gradient-boosted trees): margin, time and possession interact strongly
(a 5-point lead means little at tip-off and nearly everything with 10 s left), trees learn that
without hand-made interactions, monotone constraints keep the probability rising with the margin,
the ball and the strength, and the trained model is plain text (``Booster.model_to_string``), so
loading it from the lake runs no pickle. The baseline it must beat is scikit-learn's logistic
regression on margin and time.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json
import math
from collections.abc import Mapping, Sequence
from typing import Any

import lightgbm as lgb
import numpy as np
import polars as pl
import sklearn
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import brier_score_loss, log_loss
from sklearn.model_selection import GroupKFold

from nba_lakehouse.game_clock import REGULATION_PERIOD_SECONDS, REGULATION_PERIODS
from nba_lakehouse.silver.games import reached_its_last_period_end

HOME, AWAY = 0, 1
GAME_SECONDS = REGULATION_PERIODS * REGULATION_PERIOD_SECONDS
# A team with n earlier games is rated sum(margins) / (n + STRENGTH_PRIOR_GAMES): after 5 games
# half of its average margin counts, after 40 about 90%.
STRENGTH_PRIOR_GAMES = 5
# Before the game is over no probability is exactly 0 or 1.
PROBABILITY_FLOOR = 0.001

FEATURES = (
    "point_differential",
    "seconds_remaining_game",
    "seconds_remaining_period",
    "overtime",
    "home_ball",
    "pregame_margin",
    "expected_final_margin",
    "margin_per_root_minute",
    "expected_margin_per_root_minute",
)
# +1: the home team's probability never falls as the feature grows.
MONOTONE = {name: 1 for name in ("point_differential", "home_ball", "pregame_margin", "expected_final_margin",
                                  "margin_per_root_minute", "expected_margin_per_root_minute")}
# The columns of gold event_state the model reads (features and results).
MODEL_INPUT_COLUMNS = (
    "season", "game_date", "game_id", "home_team_id", "away_team_id", "event_order", "period", "event_type",
    "point_differential", "home_score", "away_score", "final_winning_team", "possession_side",
    "seconds_remaining_game", "seconds_remaining_period",
)
BASELINE_FEATURES = ("point_differential", "seconds_remaining_game", "margin_per_root_minute")
LIGHTGBM_PARAMS: dict[str, Any] = {
    "objective": "binary",
    "learning_rate": 0.08,
    "num_leaves": 7,
    # Events of one game share its outcome: large leaves keep a tree from learning single games.
    "min_data_in_leaf": 5000,
    "lambda_l2": 10.0,
    "deterministic": True,
    # One thread: the trees then come out the same on every machine (summation order follows the
    # thread count), and a busy machine's OpenMP threads never spin against each other (measured
    # 20x slower on a loaded 2-core machine); the season trains in ~13 s.
    "num_threads": 1,
    "force_row_wise": True,
    "seed": 7,
    "verbosity": -1,
}
BOOSTING_ROUNDS = 120
# Trees fitted to some hundred games are too sure of themselves on new ones: a logistic map of
# the model's logit (Platt scaling) is fitted to out-of-fold predictions, games split in folds.
CALIBRATION_FOLDS = 4

# Calibration: probability deciles holding at least this many events are compared.
CALIBRATION_BINS = 10
MIN_EVENTS_PER_BIN = 500
# Below this many held-out games a decile's win rate is mostly luck: too few to judge at all.
MIN_HELD_OUT_GAMES = 100
MAX_CALIBRATION_GAP = 0.03
CALIBRATION_SLOPE_RANGE = (0.95, 1.05)


def game_results(event_state: pl.DataFrame) -> pl.DataFrame:
    """Per game of gold ``event_state``: sides, last score, whether it is over and who won.

    A game is over once its play-by-play reached the end of a decided game (a period or game end
    in the fourth period or later with a non-zero margin), as silver.games judges it; the winner is
    the box score's where event_state has one (``final_winning_team``), else the play-by-play's.
    """
    last = event_state.sort("game_id", "event_order").group_by("game_id", maintain_order=True).agg(
        pl.col("season", "game_date", "home_team_id", "away_team_id").first(),
        pl.col("event_order", "period", "event_type", "point_differential", "home_score", "away_score", "final_winning_team").last(),
        ended=reached_its_last_period_end(),
    )
    over = (
        pl.col("final_winning_team").is_not_null()
        | (pl.col("ended") & (pl.col("period") >= REGULATION_PERIODS) & (pl.col("point_differential") != 0))
    )
    home_won = pl.coalesce(pl.col("final_winning_team") == HOME, pl.col("point_differential") > 0)
    return last.select(
        "season", "game_date", "game_id", "home_team_id", "away_team_id", "home_score", "away_score",
        last_event_order="event_order",
        over=over,
        home_won=pl.when(over).then(home_won),
    )


def pregame_strength(results: pl.DataFrame) -> pl.DataFrame:
    """Each game's pregame ratings from ``game_results`` of the season so far.

    A team's rating before a game is the sum of its margins in the games of the same season it
    finished on earlier dates, divided by (their number + STRENGTH_PRIOR_GAMES). Only games that
    are over count, and a game of the same date never does (a team plays once a day, and the
    day's results are not known at tip-off).
    """
    finished = pl.col("over").fill_null(False)
    home_margin = pl.when(finished).then(pl.col("home_score") - pl.col("away_score")).otherwise(0).cast(pl.Float64)
    sides = [
        results.select("season", "game_id", "game_date", side=pl.lit(side), team_id=pl.col(f"{side}_team_id"),
                       margin=sign * home_margin, finished=finished.cast(pl.Int32))
        for side, sign in (("home", 1), ("away", -1))
    ]
    by_team = pl.concat(sides).drop_nulls("team_id")
    ratings = _before_each_date(by_team, ["season", "team_id"]).with_columns(
        strength=pl.col("prior_margin") / (pl.col("prior_games") + STRENGTH_PRIOR_GAMES),
    )
    wide = by_team.join(ratings, on=["season", "team_id", "game_date"], how="left").pivot(
        on="side", index="game_id", values=["strength", "prior_games"]
    )
    for column in ("strength_home", "strength_away", "prior_games_home", "prior_games_away"):
        if column not in wide.columns:
            wide = wide.with_columns(pl.lit(None, pl.Float64).alias(column))
    return (
        results.select("game_id", "season", "game_date")
        .join(wide, on="game_id", how="left")
        .select(
            "game_id",
            home_strength=pl.col("strength_home").fill_null(0.0),
            away_strength=pl.col("strength_away").fill_null(0.0),
            home_prior_games=pl.col("prior_games_home").fill_null(0).cast(pl.Int32),
            away_prior_games=pl.col("prior_games_away").fill_null(0).cast(pl.Int32),
        )
    )


def _before_each_date(rows: pl.DataFrame, group: list[str]) -> pl.DataFrame:
    """Per ``group`` and game date: margin and finished games summed over the group's earlier dates."""
    return (
        rows.group_by(*group, "game_date").agg(pl.col("margin", "finished").sum())
        .with_columns(
            prior_margin=pl.col("margin").cum_sum().shift(1, fill_value=0).over(group, order_by="game_date"),
            prior_games=pl.col("finished").cum_sum().shift(1, fill_value=0).over(group, order_by="game_date"),
        )
        .select(*group, "game_date", "prior_margin", "prior_games")
    )


def _derived_features(frame: pl.DataFrame) -> pl.DataFrame:
    """The features made from the state: the pregame expected margin, the margin expected at the
    end (the current one plus the expected margin prorated over the time left), and that over the
    square root of the minutes left (how many points the rest of the game can swing)."""
    minutes_left = pl.col("seconds_remaining_game") / 60.0
    regulation_share_left = pl.when(pl.col("overtime") == 1).then(0.0).otherwise(pl.col("seconds_remaining_game") / GAME_SECONDS)
    return frame.with_columns(
        pregame_margin=pl.col("home_strength") - pl.col("away_strength"),
    ).with_columns(
        expected_final_margin=pl.col("point_differential") + pl.col("pregame_margin") * regulation_share_left,
    ).with_columns(
        margin_per_root_minute=pl.col("point_differential") / (minutes_left + 1.0).sqrt(),
        expected_margin_per_root_minute=pl.col("expected_final_margin") / (minutes_left + 1.0).sqrt(),
    )


def event_features(event_state: pl.DataFrame, strength: pl.DataFrame) -> pl.DataFrame:
    """The model's inputs for the state after every event of ``event_state``.

    ``home_ball`` is who has the ball after the event: the possession side of the game's next
    event (+1 home, -1 away, 0 unknown or the game's last event). The rows come in game and
    event order (``build_win_probability`` puts the predictions back on the events by position).
    """
    ordered = event_state.sort("game_id", "event_order")
    next_side = pl.col("possession_side").shift(-1).over("game_id", order_by="event_order")
    return ordered.join(strength, on="game_id", how="left", maintain_order="left").select(
        "game_id", "event_order",
        point_differential=pl.col("point_differential").cast(pl.Float64),
        seconds_remaining_game=pl.col("seconds_remaining_game"),
        seconds_remaining_period=pl.col("seconds_remaining_period"),
        overtime=(pl.col("period") > REGULATION_PERIODS).cast(pl.Float64),
        home_ball=pl.when(next_side == HOME).then(1.0).when(next_side == AWAY).then(-1.0).otherwise(0.0),
        home_strength=pl.col("home_strength").fill_null(0.0),
        away_strength=pl.col("away_strength").fill_null(0.0),
    ).pipe(_derived_features)


def opening_features(strength: pl.DataFrame) -> pl.DataFrame:
    """The state at tip-off of each game: 0-0, the whole game to play, nobody holding the ball."""
    return strength.select(
        "game_id",
        point_differential=pl.lit(0.0),
        seconds_remaining_game=pl.lit(GAME_SECONDS),
        seconds_remaining_period=pl.lit(REGULATION_PERIOD_SECONDS),
        overtime=pl.lit(0.0),
        home_ball=pl.lit(0.0),
        home_strength="home_strength",
        away_strength="away_strength",
    ).pipe(_derived_features)


def _matrix(features: pl.DataFrame, names: Sequence[str]) -> np.ndarray:
    return features.select(names).to_numpy().astype(np.float64, copy=False)


def _sigmoid(logit: np.ndarray) -> np.ndarray:
    return np.clip(1.0 / (1.0 + np.exp(-logit)), PROBABILITY_FLOOR, 1.0 - PROBABILITY_FLOOR)


@dataclasses.dataclass(frozen=True)
class WinProbabilityModel:
    """A trained model: the LightGBM booster as text, the logistic baseline, and how it was made."""

    booster_text: str
    platt_slope: float
    platt_intercept: float
    baseline_coefficients: tuple[float, ...]
    baseline_intercept: float
    metadata: Mapping[str, Any]

    def booster(self) -> lgb.Booster:
        return lgb.Booster(model_str=self.booster_text)

    def predict(self, features: pl.DataFrame, booster: lgb.Booster | None = None) -> np.ndarray:
        """The home team's win probability for each row of ``features`` (before the game-over rule)."""
        raw = np.asarray((booster or self.booster()).predict(_matrix(features, FEATURES), raw_score=True), dtype=np.float64)
        return _sigmoid(self.platt_slope * raw + self.platt_intercept)

    def predict_baseline(self, features: pl.DataFrame) -> np.ndarray:
        return _sigmoid(_matrix(features, BASELINE_FEATURES) @ np.asarray(self.baseline_coefficients) + self.baseline_intercept)

    def to_bytes(self) -> bytes:
        return json.dumps({
            "format": "nba_lakehouse.win_probability/1",
            "metadata": dict(self.metadata),
            "platt": {"slope": self.platt_slope, "intercept": self.platt_intercept},
            "baseline": {"features": list(BASELINE_FEATURES), "coefficients": list(self.baseline_coefficients), "intercept": self.baseline_intercept},
            "lightgbm_model": self.booster_text,
        }, indent=1).encode()

    @classmethod
    def from_bytes(cls, data: bytes, where: str) -> WinProbabilityModel:
        try:
            payload = json.loads(data)
            if not isinstance(payload, dict):
                raise ValueError(f"expected a JSON object, found {type(payload).__name__}")
            if payload.get("format") != "nba_lakehouse.win_probability/1":
                raise ValueError(f"format {payload.get('format')!r}, expected 'nba_lakehouse.win_probability/1'")
            features = tuple(payload["metadata"]["features"])
            if features != FEATURES:
                raise ValueError(f"trained on features {list(features)}, this code scores {list(FEATURES)}: retrain it")
            booster_text = payload["lightgbm_model"]
            if hashlib.sha256(booster_text.encode()).hexdigest() != payload["metadata"]["lightgbm_model_sha256"]:
                raise ValueError("the LightGBM model's sha256 is not the one recorded at training")
            return cls(
                booster_text=booster_text,
                platt_slope=float(payload["platt"]["slope"]),
                platt_intercept=float(payload["platt"]["intercept"]),
                baseline_coefficients=tuple(payload["baseline"]["coefficients"]),
                baseline_intercept=float(payload["baseline"]["intercept"]),
                metadata=payload["metadata"],
            )
        except (ValueError, KeyError, TypeError) as error:
            raise ValueError(f"win probability model {where} cannot be read: {error}") from None


@dataclasses.dataclass(frozen=True)
class TrainingSet:
    """Events of the games over before the cutoff (training) and of the games over on or after it
    (held out), each with its features and the home team's result."""

    train: pl.DataFrame
    held_out: pl.DataFrame
    cutoff: dt.date


def labelled_events(event_state: pl.DataFrame) -> pl.DataFrame:
    """The features of every event of the games that are over, with the home team's result as ``label``."""
    results = game_results(event_state)
    return event_features(event_state, pregame_strength(results)).join(
        results.filter("over").select("game_id", "game_date", "season", label=pl.col("home_won").cast(pl.Float64)),
        on="game_id", how="inner",
    )


def training_set(event_state: pl.DataFrame, cutoff: dt.date) -> TrainingSet:
    """Split the games that are over at ``cutoff`` (a game date): before it train, the rest held out."""
    labelled = labelled_events(event_state)
    return TrainingSet(
        train=labelled.filter(pl.col("game_date") < cutoff),
        held_out=labelled.filter(pl.col("game_date") >= cutoff),
        cutoff=cutoff,
    )


def held_out_events(event_state: pl.DataFrame, model: WinProbabilityModel) -> pl.DataFrame:
    """The labelled events of the finished games ``model`` did not train on (its metadata lists
    the games it did): the later games of its own lake, or any game of another lake."""
    trained_on = pl.Series(model.metadata["training_game_ids"], dtype=pl.String).implode()
    return labelled_events(event_state).filter(~pl.col("game_id").is_in(trained_on))


def default_cutoff(event_state: pl.DataFrame, held_out_share: float = 0.4) -> dt.date:
    """The game date before which about (1 - held_out_share) of the finished games were played."""
    dates = game_results(event_state).filter("over").get_column("game_date").sort()
    if dates.is_empty():
        raise ValueError("no finished game in gold.event_state to train a win probability model on")
    return dates[min(len(dates) - 1, int(len(dates) * (1 - held_out_share)))]


def train_model(data: TrainingSet, min_games: int) -> WinProbabilityModel:
    """Fit the LightGBM model and the logistic baseline on the training games."""
    train = data.train
    games = train.get_column("game_id").n_unique()
    # The Platt scaling needs a game in each of its folds at least.
    needed = max(min_games, CALIBRATION_FOLDS)
    if games < needed:
        raise ValueError(
            f"win probability model: {games} finished games before the cutoff {data.cutoff}, at least {needed} are needed"
            " (materialize more game dates, or move the cutoff)"
        )
    labels = train.get_column("label").to_numpy()
    matrix = _matrix(train, FEATURES)
    booster = _fit_booster(matrix, labels)
    folds = GroupKFold(n_splits=CALIBRATION_FOLDS).split(matrix, labels, groups=train.get_column("game_id").to_numpy())
    out_of_fold = np.empty(train.height)
    for fitted, held in folds:
        out_of_fold[held] = _fit_booster(matrix[fitted], labels[fitted]).predict(matrix[held], raw_score=True)
    platt = LogisticRegression(C=1e6, max_iter=1000).fit(out_of_fold[:, None], labels)
    baseline = LogisticRegression(C=1.0, max_iter=1000).fit(_matrix(train, BASELINE_FEATURES), labels)
    metadata = {
        "features": list(FEATURES),
        "baseline_features": list(BASELINE_FEATURES),
        "cutoff_date": data.cutoff.isoformat(),
        "seasons": sorted(train.get_column("season").unique().to_list()),
        "training_games": games,
        "training_game_ids": train.get_column("game_id").unique().sort().to_list(),
        "training_events": train.height,
        "training_first_date": str(train.get_column("game_date").min()),
        "training_last_date": str(train.get_column("game_date").max()),
        "held_out_games": data.held_out.get_column("game_id").n_unique(),
        "held_out_events": data.held_out.height,
        "strength_prior_games": STRENGTH_PRIOR_GAMES,
        "lightgbm_params": LIGHTGBM_PARAMS,
        "boosting_rounds": BOOSTING_ROUNDS,
        "calibration_folds": CALIBRATION_FOLDS,
        "library_versions": {"lightgbm": lgb.__version__, "scikit-learn": sklearn.__version__, "numpy": np.__version__, "polars": pl.__version__},
    }
    booster_text = booster.model_to_string()
    metadata["lightgbm_model_sha256"] = hashlib.sha256(booster_text.encode()).hexdigest()
    return WinProbabilityModel(
        booster_text=booster_text,
        platt_slope=float(platt.coef_[0][0]),
        platt_intercept=float(platt.intercept_[0]),
        baseline_coefficients=tuple(float(c) for c in baseline.coef_[0]),
        baseline_intercept=float(baseline.intercept_[0]),
        metadata=metadata,
    )


def _fit_booster(matrix: np.ndarray, labels: np.ndarray) -> lgb.Booster:
    params = {**LIGHTGBM_PARAMS, "monotone_constraints": [MONOTONE.get(name, 0) for name in FEATURES]}
    return lgb.train(params, lgb.Dataset(matrix, label=labels, feature_name=list(FEATURES)), num_boost_round=BOOSTING_ROUNDS)


def model_id(model: WinProbabilityModel) -> str:
    """The model's name in the rows it scores: its training cutoff and the start of its sha256."""
    return f"cutoff {model.metadata['cutoff_date']} sha256 {model.metadata['lightgbm_model_sha256'][:12]}"


def model_metadata(model: WinProbabilityModel, path: str, training_seconds: float | None) -> dict[str, Any]:
    """What the UI shows of a model: where it is and how it was trained."""
    meta = model.metadata
    return {
        "path": path,
        "model_id": model_id(model),
        "cutoff_date": meta["cutoff_date"],
        "seasons": ", ".join(meta["seasons"]),
        "training_games": meta["training_games"],
        "training_events": meta["training_events"],
        "training_dates": f"{meta['training_first_date']}..{meta['training_last_date']}",
        "held_out_games": meta["held_out_games"],
        "features": ", ".join(meta["features"]),
        "library_versions": ", ".join(f"{name} {version}" for name, version in meta["library_versions"].items()),
        "platt_scaling": f"slope {model.platt_slope:.4f}, intercept {model.platt_intercept:.4f}",
        **({"training_seconds": round(training_seconds, 2)} if training_seconds is not None else {"source": "bundled"}),
    }


def calibration_bins(probability: np.ndarray, outcome: np.ndarray) -> pl.DataFrame:
    """Events per probability decile: mean predicted, observed home win rate, and their gap."""
    frame = pl.DataFrame({"probability": probability, "outcome": outcome})
    return (
        frame.with_columns(bin=(pl.col("probability") * CALIBRATION_BINS).floor().clip(0, CALIBRATION_BINS - 1).cast(pl.Int8))
        .group_by("bin")
        .agg(events=pl.len(), predicted=pl.col("probability").mean(), observed=pl.col("outcome").mean())
        .with_columns(gap=(pl.col("observed") - pl.col("predicted")).abs(), enough_events=pl.col("events") >= MIN_EVENTS_PER_BIN)
        .sort("bin")
    )


def calibration_report(model: WinProbabilityModel, held_out: pl.DataFrame) -> dict[str, Any]:
    """Calibration of the model and the baseline on the held-out events, against the gates."""
    if held_out.is_empty():
        report: dict[str, Any] = {
            "held_out_games": 0, "held_out_events": 0, "bins_judged": 0, "bins": [],
            **dict.fromkeys(("max_gap", "slope", "brier", "log_loss", "baseline_brier", "baseline_log_loss"), math.nan),
        }
        report["failures"] = calibration_failures(report)
        return report
    outcome = held_out.get_column("label").to_numpy()
    probability = model.predict(held_out)
    baseline = model.predict_baseline(held_out)
    bins = calibration_bins(probability, outcome)
    judged = bins.filter("enough_events")
    weights = judged.get_column("events").to_numpy().astype(np.float64)
    predicted, observed = judged.get_column("predicted").to_numpy(), judged.get_column("observed").to_numpy()
    slope = weighted_slope(predicted, observed, weights) if judged.height >= 2 else math.nan
    report = {
        "held_out_games": held_out.get_column("game_id").n_unique(),
        "held_out_events": held_out.height,
        "bins_judged": judged.height,
        "max_gap": float(judged.get_column("gap").to_numpy().max()) if judged.height else math.nan,
        "slope": slope,
        "brier": float(brier_score_loss(outcome, probability)),
        "log_loss": float(log_loss(outcome, probability, labels=[0.0, 1.0])),
        "baseline_brier": float(brier_score_loss(outcome, baseline)),
        "baseline_log_loss": float(log_loss(outcome, baseline, labels=[0.0, 1.0])),
        "bins": bins.to_dicts(),
    }
    report["failures"] = calibration_failures(report)
    return report


def weighted_slope(x: np.ndarray, y: np.ndarray, weights: np.ndarray) -> float:
    """Slope of the event-weighted least-squares line of observed on predicted rate."""
    mean_x, mean_y = np.average(x, weights=weights), np.average(y, weights=weights)
    return float(np.sum(weights * (x - mean_x) * (y - mean_y)) / np.sum(weights * (x - mean_x) ** 2))


def too_few_to_judge(report: Mapping[str, Any]) -> str | None:
    """Why a calibration report cannot be judged at all (too few held-out games or deciles), or None."""
    if report["held_out_games"] < MIN_HELD_OUT_GAMES:
        return f"only {report['held_out_games']} held-out games, too few to judge calibration (at least {MIN_HELD_OUT_GAMES})"
    if report["bins_judged"] < 2:
        return f"only {report['bins_judged']} probability deciles hold {MIN_EVENTS_PER_BIN}+ held-out events"
    return None


def calibration_failures(report: Mapping[str, Any]) -> list[str]:
    """The gates a calibration report misses, one line each (empty: all met)."""
    low, high = CALIBRATION_SLOPE_RANGE
    if (reason := too_few_to_judge(report)) is not None:
        return [reason]
    failures = []
    if not report["max_gap"] <= MAX_CALIBRATION_GAP:
        failures.append(f"max decile gap {report['max_gap']:.4f} > {MAX_CALIBRATION_GAP}")
    if not low <= report["slope"] <= high:
        failures.append(f"calibration slope {report['slope']:.4f} outside [{low}, {high}]")
    if not report["brier"] < report["baseline_brier"]:
        failures.append(f"Brier score {report['brier']:.5f} not better than the logistic baseline's {report['baseline_brier']:.5f}")
    return failures
