"""Behaviour fingerprint of the README's main job: run the demo on a temporary lake and instance,
then print one digest per table (every silver and gold table as ``Lake.read_table`` returns it,
rows sorted), one for the bronze bodies and one for the printed summary.

A refactor must leave all of them unchanged:

    python -m nba_lakehouse_tests.lake_fingerprint --out /tmp/before.json     # on the old commit
    python -m nba_lakehouse_tests.lake_fingerprint --compare /tmp/before.json # on the new one

Bronze bodies count by their names (each holds its content's sha256). Left out because they
record when or by which run something happened, not what it is: the ``fetched_at`` /
``recorded_at`` / ``run_id`` columns, and in the summary the run time and the paths of the
temporary lake and instance.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import io
import json
import re
import sys
import tempfile
from pathlib import Path

import dagster as dg
import polars as pl

from nba_lakehouse.demo import print_summary, run_demo
from nba_lakehouse.lake import Lake
from nba_lakehouse.schemas import TABLES

CLOCK_COLUMNS = {"fetched_at", "recorded_at", "run_id"}


def table_digest(df: pl.DataFrame) -> str:
    df = df.select(c for c in df.columns if c not in CLOCK_COLUMNS)
    df = df.sort(df.columns, nulls_last=True)
    buffer = io.BytesIO()
    df.write_ipc(buffer, compression="uncompressed")  # column types are part of the behaviour
    return hashlib.sha256(buffer.getvalue()).hexdigest()[:16]


def summary_lines(text: str, lake_root: str, home: str) -> str:
    text = text.replace(lake_root, "<lake>").replace(home, "<home>")
    return re.sub(r"\(\d+\.\d s\)", "(<seconds>)", text)


def fingerprint() -> dict[str, object]:
    with tempfile.TemporaryDirectory() as tmp, dg.instance_for_test() as instance:
        root = f"{tmp}/lake"
        printed = io.StringIO()
        with contextlib.redirect_stdout(printed):
            result = run_demo(lake_root=root, instance=instance)
            print_summary(result)
        lake = Lake(root)
        tables = {}
        for name, table in sorted(TABLES.items()):
            df = lake.read_table(table)
            tables[f"{table.layer}.{name}"] = {"rows": df.height, "digest": table_digest(df)}
        # The bodies are named by their content's sha256, so their names are their bytes' digest.
        bodies = sorted(str(p.relative_to(root)) for p in Path(root, "bronze").rglob("*.json.gz"))
        summary = summary_lines(printed.getvalue(), root, instance.root_directory)
        return {
            "tables": tables,
            "bronze_files": {"count": len(bodies), "digest": hashlib.sha256("\n".join(bodies).encode()).hexdigest()[:16]},
            "summary_digest": hashlib.sha256(summary.encode()).hexdigest()[:16],
            "summary": summary.splitlines(),
        }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", help="write the fingerprint to this JSON file")
    parser.add_argument("--compare", help="compare with a fingerprint written before; exit 1 on any difference")
    args = parser.parse_args()
    now = fingerprint()
    if args.out:
        Path(args.out).write_text(json.dumps(now, indent=1) + "\n")
    for name, entry in now["tables"].items():
        print(f"{name:32} {entry['rows']:>8} rows  {entry['digest']}")
    print(f"{'bronze files':32} {now['bronze_files']['count']:>8}       {now['bronze_files']['digest']}")
    print(f"{'demo summary':32} {len(now['summary']):>8} lines {now['summary_digest']}")
    if args.compare:
        before = json.loads(Path(args.compare).read_text())
        differ = [k for k in sorted(set(before["tables"]) | set(now["tables"]))
                  if before["tables"].get(k) != now["tables"].get(k)]
        if before["bronze_files"] != now["bronze_files"]:
            differ.append("bronze files")
        if before["summary_digest"] != now["summary_digest"]:
            differ.append("demo summary")
            changed = [line for line in now["summary"] if line not in before["summary"]]
            if sorted(now["summary"]) == sorted(before["summary"]):
                print("demo summary: the same lines in another order")
            else:
                print("summary lines new or changed:", *changed[:20], sep="\n  ")
        print(f"\n{'identical to ' + args.compare if not differ else 'DIFFERENT: ' + ', '.join(differ)}")
        sys.exit(1 if differ else 0)


if __name__ == "__main__":
    main()
