"""The win probability model on a whole season, through the Dagster assets: training, scoring, calibration.

    .venv/bin/python benchmarks/dagster_season_benchmark.py --job play_by_play_date_job --keep
    .venv/bin/python benchmarks/win_probability_benchmark.py --lake <the kept lake_dagster folder> [--cutoff YYYY-MM-DD]
        [--sweep] [--bootstrap N] [--write-bundled]

A script, not a test. The lake is one the first command left (the bulk 2022-23 season through the
assets, gold event_state for its 174 dates). In one process, with a temporary Dagster instance:

1. ``win_probability_model`` materialized (its config: the cutoff) with its check
   ``calibrated_on_held_out_games``; the training time is the asset's own ``training_seconds``.
2. ``win_probability`` over the season's dates as one single-run backfill, with its checks.
3. ``player_game_wpa`` for the season.
4. Plain: ``build_win_probability`` over the season's events as the asset calls it (pregame
   strengths, features, model, game-over rule, WPA), and the model's ``predict`` alone; best of 3.
5. The held-out calibration by decile, and with ``--bootstrap N`` the 95% range of the max gap,
   slope and home win rate over N resamples of the held-out games (how much of the gap the
   games drawn can explain); with ``--sweep`` the same figures for other cutoffs.

``--write-bundled`` copies the trained bundle to data/models/win_probability.json.
"""

from __future__ import annotations

import argparse
import datetime as dt
import shutil
import sys
import tempfile
import time

import dagster as dg
import numpy as np
import polars as pl

from nba_lakehouse.gold import assets as gold_assets
from nba_lakehouse.gold import checks as gold_checks
from nba_lakehouse.gold.win_probability import RESULT_COLUMNS, build_win_probability
from nba_lakehouse.gold.win_probability_model import (
    MODEL_INPUT_COLUMNS,
    WinProbabilityModel,
    calibration_bins,
    calibration_report,
    event_features,
    game_results,
    held_out_events,
    model_id,
    pregame_strength,
    train_model,
    training_set,
    weighted_slope,
)
from nba_lakehouse.lake import BUNDLED_WIN_PROBABILITY_MODEL, Lake
from nba_lakehouse.resources import build_resources
from nba_lakehouse.schemas import EVENT_STATE, PLAYER_GAME_WPA, WIN_PROBABILITY

SWEEP_CUTOFFS = ("2022-12-15", "2023-01-01", "2023-01-15", "2023-02-15", "2023-03-01")


def best_of(repeats: int, work) -> tuple[float, object]:
    best, result = float("inf"), None
    for _ in range(repeats):
        started = time.perf_counter()
        result = work()
        best = min(best, time.perf_counter() - started)
    return best, result


def materialize(assets, resources, instance, **kwargs) -> tuple[float, dg.ExecuteInProcessResult]:
    started = time.perf_counter()
    result = dg.materialize(assets, resources=resources, instance=instance, raise_on_error=False, **kwargs)
    seconds = time.perf_counter() - started
    if not result.success:
        for event in result.all_events:
            if event.is_step_failure:
                print(f"  step failed: {event.step_key}: {event.event_specific_data.error.message.strip()}")  # type: ignore[union-attr]
        raise SystemExit(1)
    return seconds, result


def print_checks(result: dg.ExecuteInProcessResult) -> None:
    for evaluation in result.get_asset_check_evaluations():
        status = "passed" if evaluation.passed else f"FAILED ({evaluation.severity.value})"
        print(f"  check {evaluation.check_name}: {status}: {evaluation.description}")


def bootstrap(held_out: pl.DataFrame, probability: np.ndarray, resamples: int) -> dict[str, tuple[float, float]]:
    """95% ranges of the calibration figures over resamples of the held-out games (with replacement)."""
    frame = held_out.select("game_id", "label").with_columns(probability=pl.Series(probability))
    games = frame.get_column("game_id").unique().sort()
    rng = np.random.default_rng(11)
    figures: dict[str, list[float]] = {"max_gap": [], "slope": [], "home_win_rate": []}
    for _ in range(resamples):  # a loop over resamples, each one vectorized
        drawn = pl.DataFrame({"game_id": games.gather(rng.integers(0, len(games), len(games)))})
        sample = drawn.join(frame, on="game_id", how="inner")
        bins = calibration_bins(sample.get_column("probability").to_numpy(), sample.get_column("label").to_numpy()).filter("enough_events")
        weights = bins.get_column("events").to_numpy().astype(np.float64)
        x, y = bins.get_column("predicted").to_numpy(), bins.get_column("observed").to_numpy()
        figures["max_gap"].append(float(bins.get_column("gap").max()))  # type: ignore[arg-type]
        figures["slope"].append(weighted_slope(x, y, weights))
        figures["home_win_rate"].append(float(drawn.join(frame.unique("game_id"), on="game_id").get_column("label").mean()))  # type: ignore[arg-type]
    return {name: (float(np.percentile(v, 2.5)), float(np.percentile(v, 97.5))) for name, v in figures.items()}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--lake", required=True, help="a lake holding the bulk season's gold event_state")
    parser.add_argument("--cutoff", help="training cutoff date (default: the asset's, 60%% of the finished games before it)")
    parser.add_argument("--sweep", action="store_true", help="also train and judge at the cutoffs " + ", ".join(SWEEP_CUTOFFS))
    parser.add_argument("--bootstrap", type=int, default=0, help="resamples of the held-out games for the 95%% ranges")
    parser.add_argument("--write-bundled", action="store_true", help=f"copy the trained model to {BUNDLED_WIN_PROBABILITY_MODEL}")
    args = parser.parse_args(argv)
    store = Lake(args.lake)
    if not store.partition_files(EVENT_STATE):
        print(f"{args.lake}: no gold event_state; run benchmarks/dagster_season_benchmark.py --job play_by_play_date_job --keep first")
        return 2
    resources = build_resources(lake_root=args.lake)
    with tempfile.TemporaryDirectory() as home:
        instance = dg.DagsterInstance.local_temp(home)
        config = {"cutoff_date": args.cutoff} if args.cutoff else {}
        print("[1/4] win_probability_model through Dagster")
        seconds, result = materialize(
            [gold_assets.win_probability_model, gold_checks.calibrated_on_held_out_games], resources, instance,
            run_config={"ops": {"win_probability_model": {"config": config}}},
        )
        metadata = result.get_asset_materialization_events()[0].materialization.metadata
        for name in ("model_id", "cutoff_date", "training_games", "training_events", "held_out_games", "training_seconds", "library_versions"):
            print(f"  {name}: {metadata[name].value}")
        print(f"  run wall time {seconds:.1f} s (training, writing the bundle, the calibration check)")
        print_checks(result)

        events = store.read_table(EVENT_STATE)
        dates = events.get_column("game_date").unique().sort()
        print(f"[2/4] win_probability through Dagster: {dates[0]}..{dates[-1]} ({len(dates)} dates) as one run")
        seconds, result = materialize(
            [gold_assets.win_probability, gold_checks.certain_only_when_over, gold_checks.wpa_sums_to_result_minus_opening],
            resources, instance,
            tags={"dagster/asset_partition_range_start": str(dates[0]), "dagster/asset_partition_range_end": str(dates[-1])},
        )
        print(f"  run wall time {seconds:.1f} s, {store.read_table(WIN_PROBABILITY, columns=['game_id']).height:,} rows")
        print_checks(result)
        seasons = sorted(events.get_column("season").unique().to_list())
        print(f"[3/4] player_game_wpa through Dagster: {', '.join(seasons)}")
        seconds, result = materialize([gold_assets.player_game_wpa], resources, instance, partition_key=seasons[0])
        wpa = store.read_table(PLAYER_GAME_WPA, seasons=seasons)
        print(f"  run wall time {seconds:.1f} s, {wpa.height:,} player-games")
        top = wpa.group_by("player_id").agg(pl.col("wpa").sum(), games=pl.len()).sort("wpa", descending=True).head(5)
        print("  top season WPA (acting):", ", ".join(f"{r['player_id']} {r['wpa']:+.2f} in {r['games']}" for r in top.to_dicts()))

    model = WinProbabilityModel.from_bytes(store.read_bytes(store.model_path("win_probability_model")), "lake")
    print(f"[4/4] plain, on {events.height:,} events of {events.get_column('game_id').n_unique()} games (best of 3)")
    season_events = store.read_table(EVENT_STATE, columns=RESULT_COLUMNS)
    strength = pregame_strength(game_results(season_events))
    seconds, _ = best_of(3, lambda: build_win_probability(events, strength, model, model_id(model)))
    print(f"  build_win_probability (features, model, game-over rule, WPA): {seconds:.2f} s  (target <= 5 s)")
    features = event_features(events, strength)
    booster = model.booster()
    seconds, _ = best_of(3, lambda: model.predict(features, booster))
    print(f"  model.predict alone: {seconds:.2f} s")

    model_events = store.read_table(EVENT_STATE, columns=MODEL_INPUT_COLUMNS)
    data = training_set(model_events, dt.date.fromisoformat(model.metadata["cutoff_date"]))
    held_out = held_out_events(model_events, model)  # what the check judges: the games it did not train on
    report = calibration_report(model, held_out)
    print_report("held-out calibration", report)
    with pl.Config(tbl_rows=20, float_precision=4, tbl_hide_dataframe_shape=True):
        print(pl.DataFrame(report["bins"]))
    train_rate = data.train.unique("game_id").get_column("label").mean()
    held_rate = held_out.unique("game_id").get_column("label").mean()
    print(f"  home win rate: training games {train_rate:.3f}, held-out games {held_rate:.3f}")
    if args.bootstrap:
        ranges = bootstrap(held_out, model.predict(held_out), args.bootstrap)
        print(f"  95% over {args.bootstrap} resamples of the held-out games: "
              + ", ".join(f"{name} {low:.3f}..{high:.3f}" for name, (low, high) in ranges.items()))
    if args.sweep:
        print("cutoff sweep (each trained as the asset trains, judged on its own held-out games):")
        for cutoff in SWEEP_CUTOFFS:
            split = training_set(model_events, dt.date.fromisoformat(cutoff))
            started = time.perf_counter()
            swept = train_model(split, 1)
            trained = time.perf_counter() - started
            print_report(f"  cutoff {cutoff} (trained in {trained:.1f} s)", calibration_report(swept, split.held_out))
    if args.write_bundled:
        shutil.copyfile(store.model_path("win_probability_model"), BUNDLED_WIN_PROBABILITY_MODEL)
        print(f"wrote {BUNDLED_WIN_PROBABILITY_MODEL} ({model_id(model)})")
    return 0


def print_report(label: str, report: dict) -> None:
    verdict = "PASS" if not report["failures"] else "MISS: " + "; ".join(report["failures"])
    print(
        f"{label}: {report['held_out_games']} games, {report['held_out_events']:,} events, {report['bins_judged']} deciles judged;"
        f" max gap {report['max_gap']:.4f} (<= 0.03), slope {report['slope']:.3f} ([0.95, 1.05]),"
        f" Brier {report['brier']:.4f} vs baseline {report['baseline_brier']:.4f}, log loss {report['log_loss']:.4f} vs {report['baseline_log_loss']:.4f}"
        f"  {verdict}"
    )


if __name__ == "__main__":
    sys.exit(main())
