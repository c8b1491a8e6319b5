"""The ``nba-lakehouse`` command."""

import argparse
import os
import sys


def _sql(query: str) -> None:
    import duckdb
    import polars as pl

    from nba_lakehouse.lake import Lake, lake_root_from_env

    path = Lake(lake_root_from_env()).duckdb_path
    try:
        # Read-only: a refresh of the catalog can run at the same time.
        with duckdb.connect(path, read_only=True) as conn:
            result = conn.sql(query)
            frame = result.pl() if result is not None else None
    except duckdb.IOException as exc:
        sys.exit(f"nba-lakehouse sql: cannot open the catalog {path} ({exc}); run `nba-lakehouse demo` first")
    except duckdb.Error as exc:
        sys.exit(f"nba-lakehouse sql: {exc}")
    if frame is not None:
        with pl.Config(tbl_rows=100, tbl_cols=30, tbl_width_chars=200, fmt_str_lengths=60, tbl_hide_dataframe_shape=True):
            print(frame)


def _recover() -> None:
    import dagster as dg

    from nba_lakehouse.recovery import fail_dead_runs

    with dg.DagsterInstance.get() as instance:
        recovered = fail_dead_runs(instance)
    for run in recovered:
        print(f"marked failed: run {run.run_id} ({run.job_name}, partition {run.partition}), worker pid {run.pid} gone")
    print(f"{len(recovered)} dead runs recovered" if recovered else "no dead runs: nothing to recover")


def _backfill(args) -> None:
    import datetime as dt

    from nba_lakehouse.backfill import MERGE_GAP_DAYS, backfill_ranges, plan, season_window
    from nba_lakehouse.demo import default_instance
    from nba_lakehouse.lake import Lake, lake_root_from_env
    from nba_lakehouse.resources import build_resources

    if args.season:
        start, end = season_window(args.season)
    elif args.start and args.end:
        start, end = dt.date.fromisoformat(args.start), dt.date.fromisoformat(args.end)
    else:
        raise ValueError("give --season 2022-23, or --start and --end (YYYY-MM-DD)")
    replay_dir = build_resources()["nba"].replay_dir if os.environ.get("NBA_LAKEHOUSE_MODE", "replay") == "replay" else None
    gap = MERGE_GAP_DAYS if args.merge_gap_days is None else args.merge_gap_days
    ranges, source, dates = plan(start, end, Lake(lake_root_from_env()), replay_dir, gap)
    print(f"{start}..{end}: {len(dates)} dates with games (from {source}) in {len(ranges)} single-run backfills")
    for date_range in ranges:
        print(f"  {date_range}")
    if args.dry_run or not ranges:
        return
    from nba_lakehouse.definitions import defs

    with default_instance() as instance:
        results = backfill_ranges(defs.resolve_job_def(args.job), ranges, instance)
    if not all(r.success for r in results):
        sys.exit("nba-lakehouse backfill: a run failed (see it in the UI); re-running fetches only what is missing")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="nba-lakehouse", description="NBA data lakehouse on Dagster, Parquet and DuckDB")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("demo", help="materialize the recorded sample games end to end (replay mode) and print the result")
    sql = sub.add_parser("sql", help="run a SQL query on the DuckDB catalog (read-only) and print the result")
    sql.add_argument("query", help='e.g. "SELECT * FROM silver.games"')
    status = sub.add_parser(
        "status",
        help="what the lake holds per season (tables: dates, rows, games; bronze: responses, last fetch) "
        "and the latest asset check results in the Dagster instance",
    )
    status.add_argument("--season", help="only this season, e.g. 2022-23")
    sub.add_parser(
        "recover",
        help="after a crash or kill -9: mark failed the runs whose worker is gone and free their pool slots "
        "(then relaunch; it fetches only what is missing)",
    )
    backfill = sub.add_parser(
        "backfill",
        help="backfill game_date_job over a season or date range: only the dates that hold games (from the "
        "season's schedule, or the recorded games in replay mode), one single-run backfill per contiguous range",
    )
    backfill.add_argument("--season", help="e.g. 2022-23 (August 1 to July 31)")
    backfill.add_argument("--start", help="first date, YYYY-MM-DD")
    backfill.add_argument("--end", help="last date, YYYY-MM-DD")
    backfill.add_argument("--merge-gap-days", type=int, help="carry gaps of up to this many empty dates inside a run (default 3)")
    backfill.add_argument(
        "--job", default="game_date_job", choices=["game_date_job", "play_by_play_date_job"],
        help="play_by_play_date_job: only play-by-play and what derives from it, for seasons without box scores",
    )
    backfill.add_argument("--dry-run", action="store_true", help="print the ranges, launch nothing")
    args = parser.parse_args(argv)
    try:
        if args.command == "demo":
            from nba_lakehouse.demo import main as demo_main

            demo_main()
        elif args.command == "sql":
            _sql(args.query)
        elif args.command == "status":
            from nba_lakehouse.lake import lake_root_from_env
            from nba_lakehouse.status import print_status

            print_status(lake_root_from_env(), season=args.season)
        elif args.command == "recover":
            _recover()
        elif args.command == "backfill":
            _backfill(args)
    except ValueError as exc:  # configuration errors (environment variables, games.csv) name what is wrong
        sys.exit(f"nba-lakehouse {args.command}: {exc}")


if __name__ == "__main__":
    main()
