"""The ``nba-lakehouse`` command."""

import argparse
import os
import sys

SQL_ROWS_SHOWN = 100


def _sql(query: str) -> None:
    import duckdb
    import polars as pl

    from nba_lakehouse.lake import Lake, lake_root_from_env
    from nba_lakehouse.warehouse.sandbox import run_read_only

    lake = Lake(lake_root_from_env())
    try:
        frames = run_read_only(lake, query)
    except duckdb.IOException as exc:
        sys.exit(f"nba-lakehouse sql: cannot open the catalog {lake.duckdb_path} ({_first_line(exc)}); "
                 "run `nba-lakehouse demo` first")
    except duckdb.PermissionException as exc:
        sys.exit(f"nba-lakehouse sql: refused: {_first_line(exc)}: the SQL door reads the catalog and the lake "
                 f"under {lake.uri()} only, and installs or loads no extension")
    except duckdb.Error as exc:
        sys.exit(f"nba-lakehouse sql: {_first_line(exc)}")
    with pl.Config(tbl_rows=SQL_ROWS_SHOWN, tbl_cols=30, tbl_width_chars=200, fmt_str_lengths=60, tbl_hide_dataframe_shape=True):
        for frame in frames:
            print(frame)
            # The table shows its first and last rows only: say how many there are.
            shown = f" (first and last {SQL_ROWS_SHOWN // 2} shown)" if frame.height > SQL_ROWS_SHOWN else ""
            print(f"{frame.height:,} row{'' if frame.height == 1 else 's'}{shown}")


def _first_line(exc: Exception) -> str:
    """DuckDB's and pydantic's messages go on for lines (the query, a caret, a URL): their first line."""
    import pydantic

    if isinstance(exc, pydantic.ValidationError):  # each error's own message, without pydantic's framing
        return "; ".join(str(e.get("ctx", {}).get("error") or e["msg"]) for e in exc.errors())
    return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__


def _recover() -> None:
    from nba_lakehouse.demo import default_instance
    from nba_lakehouse.recovery import fail_dead_runs, survey

    with default_instance() as instance:  # $DAGSTER_HOME, else the project's .dagster_home like status and demo
        found = survey(instance)
        recovered = fail_dead_runs(instance, found)
    for run in recovered:
        if run.started:
            print(f"marked failed: run {run.run_id} ({run.job_name}, partition {run.partition}), worker pid {run.pid} gone")
        else:
            print(f"marked canceled: run {run.run_id} ({run.job_name}, partition {run.partition}), {run.status}, "
                  f"its launcher pid {run.pid} gone")
    print(f"{len(recovered)} dead runs recovered" if recovered else "no dead runs: nothing to recover")
    if found.elsewhere:
        print(found.elsewhere_note)


def _replay_dir(mode: str | None = None) -> str | None:
    """The recordings a replay-mode command reads (None in live mode); the client refuses, with a
    ValueError naming the path and NBA_REPLAY_DIR, recordings that are not there.

    ``mode`` None is NBA_LAKEHOUSE_MODE's; the demo always replays.
    """
    from nba_lakehouse.resources import build_resources

    nba = build_resources(mode=mode)["nba"]
    return nba.replay_dir if nba.mode == "replay" else None


def _backfill_window(args):
    """(first, last date) of ``--season`` or ``--start``/``--end``, checked: Dagster would run a bad range green."""
    from nba_lakehouse.backfill import season_window
    from nba_lakehouse.partitions import game_date_range, season_partitions
    from nba_lakehouse.status import parse_season

    if args.season and (args.start or args.end):
        raise ValueError("give --season, or --start and --end, not both")
    if args.season:
        season = parse_season(args.season)
        seasons = season_partitions.get_partition_keys()
        if season not in seasons:
            raise ValueError(f"--season {season} is not a season partition: seasons run from {seasons[0]} to {seasons[-1]} "
                             "(NBA_FIRST_SEASON sets the first)")
        return season_window(season)
    if args.start and args.end:
        dates = game_date_range(args.start, args.end)
        return dates[0], dates[-1]
    raise ValueError("give --season 2022-23, or --start and --end (YYYY-MM-DD)")


def _backfill(args) -> None:
    from nba_lakehouse.backfill import MERGE_GAP_DAYS, backfill_ranges, plan
    from nba_lakehouse.demo import default_instance
    from nba_lakehouse.lake import Lake, lake_root_from_env

    start, end = _backfill_window(args)
    replay_dir = _replay_dir()
    gap = MERGE_GAP_DAYS if args.merge_gap_days is None else args.merge_gap_days
    ranges, source, dates = plan(start, end, Lake(lake_root_from_env()), replay_dir, gap)
    print(f"{start}..{end}: {len(dates)} dates with games (from {source}) in {len(ranges)} single-run backfills")
    for date_range in ranges:
        print(f"  {date_range}")
    if args.dry_run or not ranges:
        return
    from nba_lakehouse.definitions import defs
    from nba_lakehouse.recovery import refuse_if_dead_runs_hold_pools

    with default_instance() as instance:
        # Refused rather than launched: behind a dead run's slot the run would wait forever, silently.
        refuse_if_dead_runs_hold_pools(instance)
        results = backfill_ranges(defs.resolve_job_def(args.job), ranges, instance)
    if not all(r.success for r in results):
        sys.exit("nba-lakehouse backfill: a run failed (see it in the UI); re-running fetches only what is missing")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="nba-lakehouse", description="NBA data lakehouse on Dagster, Parquet and DuckDB")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("demo", help="materialize the recorded sample games end to end (replay mode) and print the result")
    sql = sub.add_parser(
        "sql",
        help="run read-only SQL (SELECT, DESCRIBE, SHOW, SUMMARIZE, EXPLAIN) on the DuckDB catalog's silver.* and "
        "gold.* views or the lake's files, and print each result; nothing else is read, nothing is written",
    )
    sql.add_argument("query", help='e.g. "SELECT * FROM silver.games"')
    status = sub.add_parser(
        "status",
        help="what the lake holds per season (tables: dates, rows, games; bronze: responses, last fetch) "
        "and the latest asset check results in the Dagster instance",
    )
    status.add_argument("--season", help="only this season, e.g. 2022-23")
    sub.add_parser(
        "recover",
        help="after a crash or kill -9: mark failed the runs launched on this host (backfill, demo) whose worker "
        "is gone, cancel those an interrupted launch left unstarted, and free their pool slots (then relaunch; it "
        "fetches only what is missing); runs of other hosts and containers are left to Dagster's run monitoring",
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
        "--job", default="game_date_job", choices=["game_date_job", "play_by_play_date_job", "win_probability_job"],
        help="play_by_play_date_job: only play-by-play and what derives from it, for seasons without box scores;"
        " win_probability_job: only win_probability, after win_probability_model is trained",
    )
    backfill.add_argument("--dry-run", action="store_true", help="print the ranges, launch nothing")
    args = parser.parse_args(argv)
    try:
        if args.command == "demo":
            from nba_lakehouse.demo import default_instance
            from nba_lakehouse.demo import main as demo_main
            from nba_lakehouse.recovery import refuse_if_dead_runs_hold_pools

            _replay_dir("replay")
            with default_instance() as instance:
                refuse_if_dead_runs_hold_pools(instance)
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
    except ValueError as exc:  # bad input or configuration (arguments, environment, games.csv) names what is wrong
        sys.exit(f"nba-lakehouse {args.command}: {_first_line(exc)}")
    except BrokenPipeError:
        # The reader went away (`nba-lakehouse status | head`): stop quietly, as other commands do,
        # and keep Python's exit-time flush of stdout from raising again.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        sys.exit(1)


if __name__ == "__main__":
    main()
