"""The ``nba-lakehouse`` command."""

import argparse
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
    except ValueError as exc:  # configuration errors (environment variables, games.csv) name what is wrong
        sys.exit(f"nba-lakehouse {args.command}: {exc}")


if __name__ == "__main__":
    main()
