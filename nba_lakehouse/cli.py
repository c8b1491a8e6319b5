"""The ``nba-lakehouse`` command."""

import argparse
import sys


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="nba-lakehouse", description="NBA data lakehouse on Dagster, Parquet and DuckDB")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("demo", help="materialize the recorded sample games end to end and print the result")
    args = parser.parse_args(argv)
    if args.command == "demo":
        from nba_lakehouse.demo import main as demo_main

        demo_main()
    else:  # pragma: no cover - argparse rejects unknown commands
        sys.exit(2)


if __name__ == "__main__":
    main()
