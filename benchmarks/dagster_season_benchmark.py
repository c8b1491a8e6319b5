"""Dagster season benchmark: the bulk 2022-23 season through the real Dagster assets, and the same
stages as plain functions, side by side in one run.

Run from the repository root::

    .venv/bin/python benchmarks/dagster_season_benchmark.py [--bulk PATH] [--workdir PATH] [--games N]
        [--empty-dates N] [--keep]

Input: the bulk archive ``nbaplays_2022-23_raw.tar.xz`` (1230 bare PlayByPlayV3 action lists, no
dates, no box scores), made into a replay directory by ``benchmarks/bulk_replay.py``: each game's
actions **verbatim** inside the PlayByPlayV3 envelope, and game dates **assigned** (spread in id
order over 2022-10-18..2023-04-09, as ``season_benchmark.assign_dates`` does). It is written once
into the work directory (default ``benchmarks/out/``, git-ignored); that is not measured.

1. **Dagster**: a temporary ``DAGSTER_HOME`` holding a copy of the repo's ``dagster.yaml`` (a
   persistent sqlite instance, the ``nba_api`` pool), a temporary lake, replay mode on the bulk
   replay directory; the season backfilled with ``nba_lakehouse.backfill`` (the project's season
   path: only dates that hold games, one single-run backfill of ``game_date_job`` per contiguous
   range; here every date has games, so exactly one run over 2022-10-18..2023-04-09), asset checks
   included.
2. **Plain functions** on a second temporary lake: the same stages with the same functions the
   assets call (the replay client's requests, ``bronze.archive``, ``silver.play_by_play``, the gold
   builders, the play-by-play audits), no Dagster.
3. **Empty dates**: what a date without games costs (a) on the project's backfill path (skipped:
   planning only) and (b) carried inside a Dagster range run (a run over ``--empty-dates`` empty
   dates, minus nothing: all of it is orchestration).

Printed: wall times, the ratio, peak memory (VmHWM, as ``season_benchmark.py`` measures it),
Dagster events by type, and from the Dagster lake's own tables: games per table, dates with and
without gold, the targets on the published games judged by the script itself (every game published
or held back; scores never going down; finals equal to the scoring events), games held back or
flagged by reason from ``silver.game_issues`` and repairs by rule from ``silver.play_by_play.repair_rule``.

A script, not a test: exits 2 if the bulk data is missing, 1 if the Dagster run failed, else 0
(a MISS against a target is printed, not raised).
"""

from __future__ import annotations

import argparse
import datetime as dt
import importlib
import os
import shutil
import sys
import tempfile
import time
from collections import Counter
from contextlib import contextmanager
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
BENCHMARKS = REPO_ROOT / "benchmarks"
sys.path.insert(0, str(REPO_ROOT))
sys.path.insert(0, str(BENCHMARKS))

import polars as pl
from bulk_replay import build_replay_dir
from season_benchmark import DEFAULT_BULK, DEFAULT_WORKDIR, Meter

CPU_SECONDS: dict[str, float] = {}  # stage label -> CPU seconds of this process (load-independent)


@contextmanager
def stage(meter: Meter, label: str, in_total: bool):
    """``meter.stage`` plus this process's CPU time: on a shared machine wall time also counts waiting."""
    cpu = time.process_time()
    with meter.stage(label, in_total=in_total):
        yield
    CPU_SECONDS[label] = time.process_time() - cpu


TARGET_SECONDS = 90.0
TARGET_RATIO = 2.0
TARGET_EMPTY_DATE_S = 0.1
SEASON = "2022-23"
GOLD_TABLES = ("event_state", "players_on_court", "possessions", "stints", "team_game_stats")


# ------------------------------------------------------------------------------ Dagster
def dagster_environment(home: Path, lake_root: Path, replay_dir: Path) -> None:
    """Point Dagster and the resources at temporary folders; must run before nba_lakehouse.definitions is imported."""
    home.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(REPO_ROOT / "dagster.yaml", home / "dagster.yaml")
    os.environ.update(
        DAGSTER_HOME=str(home), NBA_LAKE_ROOT=str(lake_root), NBA_REPLAY_DIR=str(replay_dir), NBA_LAKEHOUSE_MODE="replay"
    )


def run_dagster_season(
    replay_dir: Path, lake_root: Path, start: dt.date, end: dt.date, meter: Meter, job_name: str = "game_date_job"
) -> dict:
    import dagster as dg

    from nba_lakehouse.backfill import backfill_ranges, plan
    from nba_lakehouse.definitions import defs
    from nba_lakehouse.lake import Lake

    instance = dg.DagsterInstance.get()
    job = defs.resolve_job_def(job_name)
    with stage(meter, f"D  Dagster: season backfill of {job_name} (sqlite instance)", in_total=False):
        ranges, source, dates = plan(start, end, Lake(str(lake_root)), str(replay_dir))
        results = backfill_ranges(job, ranges, instance, log=lambda m: print(f"    {m}", flush=True))
    events = Counter()
    failures = []
    for result in results:
        for record in instance.all_logs(result.run_id):
            if record.dagster_event is None:
                events["(log message)"] += 1
                continue
            events[record.dagster_event.event_type_value] += 1
            if record.dagster_event.event_type_value == "STEP_FAILURE":
                error = record.dagster_event.event_specific_data.error
                error = error.cause or error  # the op's own exception, not Dagster's wrapper
                failures.append(f"{record.step_key}: {error.message.strip()[:300]}")
    return {
        "ranges": ranges, "source": source, "dates": dates, "results": results, "events": events,
        "failures": failures, "instance": instance, "job": job,
    }


def empty_date_costs(instance, job, n_empty: int, lake_root: Path, replay_dir: Path, meter: Meter) -> dict:
    """(a) the backfill path over ``n_empty`` dates before the season: planned, nothing launched;
    (b) the same dates carried in one Dagster range run, as the UI would launch them."""
    from nba_lakehouse.backfill import backfill_ranges, contiguous_ranges, plan
    from nba_lakehouse.lake import Lake

    end = dt.date(2022, 10, 17)
    start = end - dt.timedelta(days=n_empty - 1)
    t = time.perf_counter()
    ranges, _, _ = plan(start, end, Lake(str(lake_root)), str(replay_dir))
    planned_s = time.perf_counter() - t
    carried_s = None
    if n_empty:
        days = [start + dt.timedelta(days=i) for i in range(n_empty)]
        with stage(meter, f"E  Dagster: one range run over {n_empty} empty dates", in_total=False):
            t = time.perf_counter()
            backfill_ranges(job, contiguous_ranges(days), instance, log=None)
            carried_s = time.perf_counter() - t
    return {"dates": n_empty, "runs_launched": len(ranges), "planned_s": planned_s, "carried_s": carried_s}


# ------------------------------------------------------------------------- plain functions
def run_plain_season(
    replay_dir: Path, lake_root: Path, game_dates: dict[str, dt.date], meter: Meter, detail_feeds: bool = True
) -> dict:
    """The stages of the job for these games, as the assets run them, without Dagster.

    ``detail_feeds`` (game_date_job) also asks for each game's box score, summary, hustle stats and
    rotation (all replay misses in the bulk) and writes the empty box score tables and
    team_game_stats, as those assets do; play_by_play_date_job has none of them.
    """
    from nba_lakehouse import game_issues
    from nba_lakehouse.bronze.archive import (
        DEFAULT_FEED_ORDER,
        GAME_FEEDS,
        archive_game_response,
        archived_for_date,
        fetch_game,
        load_payload,
    )
    from nba_lakehouse.gold.audits import (
        players_on_court_rule_violations,
        possessions_rule_violations,
        stints_rule_violations,
    )
    from nba_lakehouse.gold.event_state import build_event_state
    from nba_lakehouse.gold.players_on_court import build_players_on_court
    from nba_lakehouse.gold.possessions import build_possessions
    from nba_lakehouse.gold.stints import build_stints
    from nba_lakehouse.gold.team_game_stats import build_team_game_stats
    from nba_lakehouse.lake import Lake
    from nba_lakehouse.schemas import (
        BOX_SCORE_PLAYERS,
        BOX_SCORE_TEAMS,
        EVENT_STATE,
        PLAY_BY_PLAY,
        PLAYERS_ON_COURT,
        POSSESSIONS,
        STINTS,
        TEAM_GAME_STATS,
    )
    from nba_lakehouse.silver import audits
    from nba_lakehouse.silver.games import game_outcomes
    from nba_lakehouse.silver.repairs import publishable_play_by_play
    from nba_lakehouse.sources.client import NBAClient
    from nba_lakehouse.sources.errors import FeedUnavailableError

    lake = Lake(str(lake_root))
    nba = NBAClient(mode="replay", replay_dir=str(replay_dir))
    dates = sorted(set(game_dates.values()))
    games_by_date: dict[dt.date, list[str]] = {}
    for game_id, d in sorted(game_dates.items()):
        games_by_date.setdefault(d, []).append(game_id)
    stats = Counter()

    def attempt(fetch, *args):
        try:
            return fetch(*args)
        except FeedUnavailableError:
            stats["unavailable responses"] += 1
            return None

    with stage(meter, "P1 plain: bronze (replay requests, archive)", in_total=True):
        for d in dates:
            if attempt(nba.scoreboard_v3, d) is None:
                attempt(nba.scoreboard_v2, d)
            for game_id in games_by_date[d]:
                fetched = attempt(fetch_game, nba, "play_by_play", game_id, DEFAULT_FEED_ORDER)
                if fetched:
                    feed, response = fetched
                    archive_game_response(lake, response, kind="play_by_play", feed=feed, game_id=game_id, game_date=d)
                    stats["play-by-play archived"] += 1
                if detail_feeds:
                    attempt(fetch_game, nba, "box_score", game_id, DEFAULT_FEED_ORDER)
                    for kind in ("summary", "hustle", "rotation"):
                        attempt(getattr(nba, GAME_FEEDS[kind]["v2"].client_method), game_id)

    with stage(meter, "P2 plain: silver play_by_play (parse, repairs, game rules) and its audits", in_total=True):
        manifests = [m for d in dates for m in archived_for_date(lake, "play_by_play", d)]
        payloads = [(load_payload(lake, m), m["feed"], m["game_id"]) for m in manifests]
        # As the asset: the box scores of the dates are the roster (none in the bulk replay).
        pbp, failed, flagged = publishable_play_by_play(
            payloads, {m["game_id"]: dt.date.fromisoformat(m["game_date"]) for m in manifests},
            lake.read_table(BOX_SCORE_PLAYERS, game_dates=dates),
        )
        del payloads
        stats["games held back by silver"] = failed["game_id"].n_unique()
        stats["games flagged by silver (unresolved names)"] = flagged["game_id"].n_unique()
        lake.write_table(PLAY_BY_PLAY, pbp, dates=dates)
        if detail_feeds:
            for table in (BOX_SCORE_PLAYERS, BOX_SCORE_TEAMS):
                lake.write_table(table, table.empty(), dates=dates)
        pbp = lake.read_table(PLAY_BY_PLAY, game_dates=dates)
        for audit in (audits.decreasing_scores, audits.duplicate_event_keys, audits.clock_out_of_bounds):
            stats[f"audit {audit.__name__}"] = audit(pbp).height

    with stage(meter, "P3 plain: gold (players_on_court, possessions, stints, team_game_stats, event_state)", in_total=True):
        box_teams = lake.read_table(BOX_SCORE_TEAMS, game_dates=dates)
        box_players = lake.read_table(BOX_SCORE_PLAYERS, game_dates=dates)
        sides = game_outcomes(box_teams, pbp)

        def publish(table, df, failed):  # as the gold assets' _publish: without the games that broke a rule
            lake.write_table(table, game_issues.without_games(df, failed), dates=dates)

        on_court = build_players_on_court(pbp, box_players, sides)
        publish(PLAYERS_ON_COURT, on_court, players_on_court_rule_violations(on_court))
        possessions = build_possessions(pbp, sides)
        publish(POSSESSIONS, possessions, possessions_rule_violations(possessions))
        on_court = lake.read_table(PLAYERS_ON_COURT, game_dates=dates)
        possessions = lake.read_table(POSSESSIONS, game_dates=dates)
        stints = build_stints(pbp, on_court, possessions)
        publish(STINTS, stints, stints_rule_violations(stints, box_teams, box_players))
        if detail_feeds:
            lake.write_table(TEAM_GAME_STATS, build_team_game_stats(box_teams, possessions), dates=dates)
        lake.write_table(
            EVENT_STATE,
            build_event_state(pbp, sides, possessions=possessions, on_court=on_court, box_players=box_players),
            dates=dates,
        )
    return dict(stats)


# ------------------------------------------------------------------------------- figures
def games_per_table(lake_root: Path, job_name: str) -> pl.DataFrame:
    """Games and dates each table the job writes holds (tables the run left empty show 0)."""
    from nba_lakehouse.definitions import defs
    from nba_lakehouse.lake import Lake
    from nba_lakehouse.schemas import TABLES

    lake = Lake(str(lake_root))
    written = {k.to_user_string() for k in defs.resolve_job_def(job_name).asset_layer.executable_asset_keys}
    rows = []
    for table in TABLES.values():
        if table.name not in written or "game_id" not in table.column_index:
            continue
        df = lake.read_table(table, seasons=[SEASON], columns=["game_id", "game_date"])
        rows.append({"table": f"{table.layer}.{table.name}", "games": df["game_id"].n_unique(),
                     "dates": df["game_date"].n_unique(), "rows": df.height})
    return pl.DataFrame(rows)


def dates_with_gold(lake_root: Path, dates: list[dt.date], job_name: str) -> pl.DataFrame:
    """Per gold table the job writes: of the season's game dates, how many hold rows and how many none."""
    from nba_lakehouse.definitions import defs
    from nba_lakehouse.lake import Lake
    from nba_lakehouse.schemas import TABLES

    lake = Lake(str(lake_root))
    written = {k.to_user_string() for k in defs.resolve_job_def(job_name).asset_layer.executable_asset_keys}
    rows = []
    for name in (n for n in GOLD_TABLES if n in written):
        df = lake.read_table(TABLES[name], seasons=[SEASON], columns=["game_date"])
        present = set(df["game_date"].unique().to_list())
        rows.append({"table": f"gold.{name}", "dates_with_rows": sum(d in present for d in dates),
                     "dates_without": sum(d not in present for d in dates)})
    return pl.DataFrame(rows)


def games_held_back_by_reason(lake_root: Path) -> pl.DataFrame:
    """Games per action, stage, asset and rule in ``silver.game_issues``: "held_back" games are
    missing from that asset's tables, "flagged" ones are published with a caveat."""
    from nba_lakehouse.lake import Lake
    from nba_lakehouse.schemas import GAME_ISSUES

    df = Lake(str(lake_root)).read_table(GAME_ISSUES, seasons=[SEASON])
    by = ["action", "stage", "recorded_by", "rule"]
    return df.group_by(by).agg(games=pl.col("game_id").n_unique()).sort(by)


def repairs_by_rule(lake_root: Path) -> pl.DataFrame:
    """Repaired play-by-play rows and games per rule, read back from the published table."""
    from nba_lakehouse.lake import Lake
    from nba_lakehouse.schemas import PLAY_BY_PLAY

    df = Lake(str(lake_root)).read_table(PLAY_BY_PLAY, seasons=[SEASON], columns=["game_id", "repair_rule"])
    return (
        df.filter(pl.col("repair_rule").is_not_null())
        .select("game_id", rule=pl.col("repair_rule").str.split(","))
        .explode("rule")
        .group_by("rule")
        .agg(rows=pl.len(), games=pl.col("game_id").n_unique())
        .sort("rows", descending=True)
    )


def published_games_audit(lake_root: Path, game_ids: set[str]) -> pl.DataFrame:
    """The targets on what the Dagster lake published, judged here and not by the project's rules:
    every game of the input published or held back with a reason; every published game's scores
    never going down (forward-filled, strictly); each side's final equal to the sum of its made
    shots' and free throws' points (sides from the feed's own h/v location)."""
    from nba_lakehouse.lake import Lake
    from nba_lakehouse.schemas import GAME_ISSUES, PLAY_BY_PLAY

    lake = Lake(str(lake_root))
    pbp = lake.read_table(PLAY_BY_PLAY, seasons=[SEASON]).sort("game_id", "event_order")
    issues = lake.read_table(GAME_ISSUES, seasons=[SEASON]).filter(
        (pl.col("recorded_by").is_in(["bronze_play_by_play", "play_by_play"])) & (pl.col("action") == "held_back")
    )
    published = set(pbp["game_id"].unique())
    held = set(issues["game_id"].unique())
    scores = pbp.with_columns(
        home=pl.col("home_score").forward_fill().over("game_id").fill_null(0),
        away=pl.col("away_score").forward_fill().over("game_id").fill_null(0),
    )
    decreasing = scores.filter(
        (pl.col("home") < pl.col("home").shift(1).over("game_id")) | (pl.col("away") < pl.col("away").shift(1).over("game_id"))
    )["game_id"].n_unique()
    points = pbp.filter(pl.col("shot_made").fill_null(False)).group_by("game_id").agg(
        home_points=pl.col("shot_value").filter(pl.col("location") == "home").cast(pl.Int64).sum(),
        away_points=pl.col("shot_value").filter(pl.col("location") == "away").cast(pl.Int64).sum(),
    )
    finals = scores.group_by("game_id").agg(pl.col("home").last(), pl.col("away").last()).join(points, on="game_id", how="left")
    off = finals.filter(
        (pl.col("home") != pl.col("home_points").fill_null(0)) | (pl.col("away") != pl.col("away_points").fill_null(0))
    ).height
    return pl.DataFrame({
        "figure": ["games in the input", "published (silver.play_by_play)", "held back with a reason (play-by-play)",
                   "neither published nor held back", "published games whose score goes down",
                   "published games whose final is not the sum of their scoring events"],
        "games": [len(game_ids), len(published), len(held), len(game_ids - published - held), decreasing, off],
    })


def _print_frame(title: str, df: pl.DataFrame) -> None:
    print(f"\n{title}")
    with pl.Config(tbl_rows=60, tbl_hide_dataframe_shape=True, tbl_hide_column_data_types=True, tbl_width_chars=140,
                   fmt_str_lengths=80):
        print(df)


def _verdict(ok: bool) -> str:
    return "ok" if ok else "MISS"


# ---------------------------------------------------------------------------------- main
def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--bulk", type=Path, default=DEFAULT_BULK)
    parser.add_argument("--workdir", type=Path, default=DEFAULT_WORKDIR)
    parser.add_argument("--games", type=int, default=None, help="only the first N games in id order (a quick try)")
    parser.add_argument("--empty-dates", type=int, default=10, help="empty dates for the per-empty-date figure (0: skip)")
    parser.add_argument(
        "--job", default="game_date_job", choices=["game_date_job", "play_by_play_date_job"],
        help="the job backfilled (play_by_play_date_job leaves out the assets of feeds the bulk does not have)",
    )
    parser.add_argument("--keep", action="store_true", help="keep the temporary DAGSTER_HOME and lakes (printed)")
    args = parser.parse_args(argv)
    if not args.bulk.exists():
        print(f"bulk data not found: {args.bulk}")
        return 2

    args.workdir.mkdir(parents=True, exist_ok=True)
    suffix = f"_first{args.games}" if args.games else ""
    summary = build_replay_dir(args.workdir / f"replay_bulk_{SEASON}{suffix}", args.bulk, args.workdir, limit=args.games)
    replay_dir = Path(summary["replay_dir"])
    print(f"replay dir {replay_dir}: {summary['games']} games on {len(summary['dates'])} assigned dates "
          f"{summary['first_date']}..{summary['last_date']} (actions verbatim in the PlayByPlayV3 envelope; "
          f"{'reused' if summary['reused'] else 'written'}, not measured)")
    from nba_lakehouse.sources.replay import recorded_games

    game_dates = recorded_games(replay_dir)
    dates = sorted(set(game_dates.values()))

    tmp = Path(tempfile.mkdtemp(prefix="dagster-season-", dir=args.workdir))
    home, dagster_lake, plain_lake = tmp / "dagster_home", tmp / "lake_dagster", tmp / "lake_plain"
    dagster_environment(home, dagster_lake, replay_dir)
    meter = Meter()
    t = time.perf_counter()
    importlib.import_module("nba_lakehouse.definitions")  # imported once; not part of either wall time
    print(f"definitions imported in {time.perf_counter() - t:.1f} s (not measured)")

    try:
        print("\n[1/3] Dagster: season backfill", flush=True)
        dagster = run_dagster_season(replay_dir, dagster_lake, dates[0], dates[-1], meter, args.job)
        print("[2/3] plain functions: the same stages", flush=True)
        plain_stats = run_plain_season(replay_dir, plain_lake, game_dates, meter, detail_feeds=args.job == "game_date_job")
        print("[3/3] empty dates", flush=True)
        empty = empty_date_costs(dagster["instance"], dagster["job"], args.empty_dates, dagster_lake, replay_dir, meter)
        peak_mb = meter.process_peak_mb()

        d_stage = meter.stages[0]
        plain_s = sum(s.seconds for s in meter.stages if s.in_total)
        ratio = d_stage.seconds / plain_s if plain_s else float("inf")
        ok_run = all(r.success for r in dagster["results"])
        print("\n== stages ==")
        for s in meter.stages:
            print(f"  {s.label:<92} {s.seconds:7.1f} s   cpu {CPU_SECONDS.get(s.label, float('nan')):7.1f} s   peak {s.peak_mb:7.0f} MB")
        print("\n== figures ==")
        print(f"  games {len(game_dates)}, dates {len(dates)} ({dates[0]}..{dates[-1]}); game dates from {dagster['source']}")
        print(f"  Dagster runs: {len(dagster['results'])} ({', '.join(str(r) for r in dagster['ranges'])}), "
              f"{'all succeeded' if ok_run else 'FAILED'}")
        for failure in dagster["failures"][:5]:
            print(f"    step failed: {failure}")
        print(f"  Dagster wall time  {d_stage.seconds:7.1f} s   target <= {TARGET_SECONDS:.0f} s: {_verdict(d_stage.seconds <= TARGET_SECONDS)}")
        print(f"  plain wall time    {plain_s:7.1f} s   (P1+P2+P3)")
        print(f"  ratio Dagster/plain {ratio:6.2f}     target <= {TARGET_RATIO:.0f}: {_verdict(ratio <= TARGET_RATIO)}")
        d_cpu = CPU_SECONDS[d_stage.label]
        plain_cpu = sum(CPU_SECONDS[s.label] for s in meter.stages if s.in_total)
        print(f"  CPU time: Dagster {d_cpu:.1f} s, plain {plain_cpu:.1f} s, ratio {d_cpu / plain_cpu:.2f} "
              f"(this process only; on a loaded machine wall time also counts waiting for a core and for fsync)")
        print(f"  load average at the end: {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
        print(f"  orchestration per game date  {(d_stage.seconds - plain_s) / len(dates):.3f} s "
              f"((Dagster - plain) / {len(dates)} dates)")
        if empty["dates"]:
            carried = empty["carried_s"] / empty["dates"]
            print(f"  per empty date, backfill path: {empty['planned_s'] / empty['dates']:.4f} s "
                  f"({empty['runs_launched']} runs launched for {empty['dates']} empty dates)   "
                  f"target <= {TARGET_EMPTY_DATE_S}: {_verdict(empty['planned_s'] / empty['dates'] <= TARGET_EMPTY_DATE_S)}")
            print(f"  per empty date carried inside a range run (as a UI range launch): {carried:.2f} s "
                  f"(whole run {empty['carried_s']:.1f} s, run start included)")
        print(f"  peak memory (VmHWM, whole process) {peak_mb:,.0f} MB")
        print(f"  Dagster events: {sum(dagster['events'].values()):,} "
              + ", ".join(f"{k} {v:,}" for k, v in dagster["events"].most_common()))
        print("  plain: " + ", ".join(f"{k} {v:,}" for k, v in sorted(plain_stats.items())))

        _print_frame("games per table (Dagster lake)", games_per_table(dagster_lake, args.job))
        _print_frame(f"dates with / without gold (Dagster lake, of {len(dates)} game dates)",
                     dates_with_gold(dagster_lake, dates, args.job))
        _print_frame("published games, judged here (Dagster lake)", published_games_audit(dagster_lake, set(game_dates)))
        _print_frame("games held back or flagged, by reason (silver.game_issues)", games_held_back_by_reason(dagster_lake))
        _print_frame("repairs by rule (silver.play_by_play.repair_rule)", repairs_by_rule(dagster_lake))
        return 0 if ok_run else 1
    finally:
        if args.keep:
            print(f"\nkept: DAGSTER_HOME={home} lakes {dagster_lake} {plain_lake}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
